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
/* A secret handed over by a script: the first line of fd (>= 0), else
 * of the file at path. KYSO_ERR_INVALID when there is neither or the line
 * is empty, KYSO_ERR_NOT_FOUND when path cannot be opened, and
 * KYSO_ERR_TOO_LARGE past SECRET_MAX bytes. */
int secret_read_file(int fd, const char *path, char **out) KYSO_WUR;
/* Wipes and frees; accepts NULL. */
void secret_free(char *s);

#endif
