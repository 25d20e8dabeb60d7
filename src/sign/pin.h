/* The token PIN for kyso-sign: from a file descriptor (one line), else a
 * no-echo prompt on the terminal, else a line of standard input. */
#ifndef KYSO_SIGN_PIN_H
#define KYSO_SIGN_PIN_H

#include "common/err.h"

int pin_read(int fd, const char *prompt, char **out) KYSO_WUR;
/* Wipes and frees; accepts NULL. */
void pin_free(char *pin);

#endif
