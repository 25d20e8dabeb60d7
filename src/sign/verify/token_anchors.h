/* kyso-sign verify's anchors from the user's tokens: the CA certificates
 * kyso-token register installs beside the signing certificate. */
#ifndef KYSO_TOKEN_ANCHORS_H
#define KYSO_TOKEN_ANCHORS_H

#include "common/err.h"

/* The CA certificates (CKA_CERTIFICATE_CATEGORY authority) on every token
 * plugged in, read without a PIN, written as PEM to a new temporary file
 * (its path in *path, for token_anchors_remove). KYSO_ERR_NOT_FOUND when
 * no token holds one (or the module cannot be loaded). */
int token_anchors_file(const char *module, char **path) KYSO_WUR;
/* Removes the file and frees path (NULL is fine). */
void token_anchors_remove(char *path);

#endif
