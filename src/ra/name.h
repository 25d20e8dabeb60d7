/* Names that go into a certificate's subject: checked and NFC-normalised
 * (ICU), counted in characters as RFC 5280's upper bounds count them. */
#ifndef KYSO_RA_NAME_H
#define KYSO_RA_NAME_H

#include <stddef.h>

#include "common/err.h"

/* RFC 5280 appendix A upper bounds, in characters, and the profile's. */
#define NAME_UB_COMMON_NAME  64
#define NAME_UB_ORGANIZATION 64
#define NAME_UB_STATE	     128
#define NAME_UB_EMAIL	     128 /* PKCS#9 emailAddress as OpenSSL bounds it */

/* s as NFC in *out (malloc'd), when it is valid UTF-8 of 1..max
 * characters, not only blanks, and holds no control character (C0, DEL,
 * C1), no format character (bidi embeddings, overrides, isolates and
 * marks, zero-width space/joiners, BOM, soft hyphen), no line or paragraph
 * separator, private-use, unassigned or noncharacter code point.
 * KYSO_ERR_INVALID otherwise, KYSO_ERR_NOMEM. */
int name_check(const char *s, size_t max, char **out) KYSO_WUR;
/* The characters (code points) of valid UTF-8 s. */
size_t name_chars(const char *s);

#endif
