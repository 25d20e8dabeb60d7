/* Checks for every field a request carries. Each returns 0 or
 * KYSO_ERR_INVALID; none allocates. */
#ifndef KYSO_RA_VALIDATE_H
#define KYSO_RA_VALIDATE_H

#include <stddef.h>

#include "common/err.h"

/* UTF-8 text of 1..max bytes with no control characters. */
int valid_text(const char *s, size_t max) KYSO_WUR;
/* CCCD (12 digits) or CMND (9 digits); sets *kind to "CCCD"/"CMND". */
int valid_id_number(const char *s, const char **kind) KYSO_WUR;
/* MST: 10 digits, or 13 digits written as 10 + "-" + 3 or run together. */
int valid_tax_code(const char *s) KYSO_WUR;
int valid_email(const char *s) KYSO_WUR;
int valid_phone(const char *s) KYSO_WUR;
int valid_key_type(const char *s) KYSO_WUR;
/* A PKCS#11 token serial: 1..32 of [A-Za-z0-9._-]. */
int valid_token_serial(const char *s) KYSO_WUR;

#endif
