/* Reading a secret someone types or a script hands over: a PIN, an
 * activation code, an OTP. Never from the command line. */
#ifndef KYSO_SECRET_H
#define KYSO_SECRET_H

#include "err.h"

#define SECRET_MAX 256

/* From fd (>= 0): one line, read byte by byte so that the next line stays
 * for the next read. Else a no-echo prompt on the terminal, else one line
 * of standard input. A trailing CR is dropped. KYSO_ERR_NOT_FOUND at end
 * of input, KYSO_ERR_TOO_LARGE past SECRET_MAX bytes. */
int secret_read(int fd, const char *prompt, char **out) KYSO_WUR;
/* Wipes and frees; accepts NULL. */
void secret_free(char *s);

#endif
