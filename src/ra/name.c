#include "name.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

/* The longest name taken, in bytes, before anything is converted. */
#define NAME_MAX_BYTES 2048

/* Issue 15: a subject could carry U+202E (right-to-left override), zero
 * width characters and C0/C1 controls, so what a relying party sees is
 * not what the bytes say. Refused by category: Cc, Cf, Co, Cn, Zl, Zp,
 * and noncharacters. */
static int
char_ok(UChar32 c)
{
	switch (u_charType(c)) {
	case U_CONTROL_CHAR:
	case U_FORMAT_CHAR:
	case U_PRIVATE_USE_CHAR:
	case U_UNASSIGNED:
	case U_SURROGATE:
	case U_LINE_SEPARATOR:
	case U_PARAGRAPH_SEPARATOR: return 0;
	default: return !U_IS_UNICODE_NONCHAR(c);
	}
}

/* Vietnamese typed on different systems arrives precomposed (NFC) or
 * decomposed (NFD: base letter and combining marks): one form is stored,
 * so the same name is the same bytes in every certificate and search. */
int
name_check(const char *s, size_t max, char **out)
{
	UChar *u = NULL, *n = NULL;
	char *o = NULL;
	UErrorCode e = U_ZERO_ERROR;
	const UNormalizer2 *nfc;
	int32_t ulen, nlen, olen, i;
	size_t bytes = strlen(s), chars = 0, blanks = 0;
	int r = KYSO_ERR_INVALID;

	if (bytes == 0 || bytes > NAME_MAX_BYTES)
		return r;
	r = KYSO_ERR_NOMEM;
	/* NFC of UTF-16 is at most 3 times as long as its input */
	if ((u = calloc(bytes + 1, sizeof(*u))) == NULL ||
	    (n = calloc(3 * bytes + 1, sizeof(*n))) == NULL)
		goto out;
	r = KYSO_ERR_INVALID;
	u_strFromUTF8(u, (int32_t)bytes + 1, &ulen, s, (int32_t)bytes, &e);
	if (U_FAILURE(e))
		goto out;
	nfc = unorm2_getNFCInstance(&e);
	if (U_FAILURE(e))
		goto out;
	nlen = unorm2_normalize(nfc, u, ulen, n, 3 * (int32_t)bytes + 1, &e);
	if (U_FAILURE(e))
		goto out;
	for (i = 0; i < nlen;) {
		UChar32 c;

		U16_NEXT(n, i, nlen, c);
		if (!char_ok(c))
			goto out;
		chars++;
		blanks += u_isUWhiteSpace(c) ? 1 : 0;
	}
	if (chars > max || blanks == chars)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((o = malloc(4 * (size_t)nlen + 1)) == NULL)
		goto out;
	r = KYSO_ERR_INVALID;
	u_strToUTF8(o, 4 * nlen + 1, &olen, n, nlen, &e);
	if (U_FAILURE(e))
		goto out;
	*out = o;
	o = NULL;
	r = 0;
out:
	free(o);
	free(n);
	free(u);
	return r;
}

size_t
name_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}
