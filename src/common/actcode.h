/* The activation code's format, shared by the RA that makes codes and the
 * Token Manager that checks a typed code before sending it: 4 groups of 5
 * Crockford base32 characters (XXXXX-XXXXX-XXXXX-XXXXX), the last one a
 * check character (Luhn mod 32) over the 19 before it, so that a typo is
 * caught on the subscriber's computer. */
#ifndef KYSO_ACTCODE_H
#define KYSO_ACTCODE_H

#include "err.h"

#define ACTCODE_LEN	 23 /* with the dashes */
#define ACTCODE_NORM_LEN 20 /* without */

/* Accepts lower case, spaces and dashes anywhere, O for 0 and I/L for 1;
 * writes the canonical 20 characters. KYSO_ERR_INVALID for any other
 * character or length (out wiped). */
int actcode_norm(const char *in, char out[ACTCODE_NORM_LEN + 1]) KYSO_WUR;
/* The check character for 19 canonical characters. */
char actcode_check_char(const char *body19);
/* A typed code: 0 when it is well formed and its check character fits;
 * KYSO_ERR_INVALID when it is not 20 base32 characters, KYSO_ERR_CORRUPT
 * when the check character says it was mistyped. */
int actcode_check(const char *in) KYSO_WUR;
/* The alphabet, for the RA's generator. */
extern const char actcode_alphabet[33];

#endif
