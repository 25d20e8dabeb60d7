/* Activation codes: the format both ends agree on (see actcode.h). */
#include "actcode.h"

#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>

const char actcode_alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Typing is forgiving: the letters people confuse with digits read as
 * those digits, case and separators do not matter. */
int
actcode_norm(const char *in, char out[ACTCODE_NORM_LEN + 1])
{
	size_t n = 0;

	for (; *in; in++) {
		char c = (char)toupper((unsigned char)*in);

		if (c == '-' || c == ' ')
			continue;
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		if (c == '\0' || strchr(actcode_alphabet, c) == NULL ||
		    n >= ACTCODE_NORM_LEN)
			goto bad;
		out[n++] = c;
	}
	if (n != ACTCODE_NORM_LEN)
		goto bad;
	out[n] = '\0';
	return 0;
bad:
	OPENSSL_cleanse(out, ACTCODE_NORM_LEN + 1);
	return KYSO_ERR_INVALID;
}

/* Luhn mod N with N = 32: catches every single wrong character and most
 * swaps of two neighbours, the typos people make. */
char
actcode_check_char(const char *body19)
{
	unsigned sum = 0, factor = 2, v, i;

	for (i = ACTCODE_NORM_LEN - 1; i-- > 0;) {
		v = (unsigned)(strchr(actcode_alphabet, body19[i]) -
		    actcode_alphabet);
		v *= factor;
		sum += v / 32 + v % 32;
		factor = factor == 2 ? 1 : 2;
	}
	return actcode_alphabet[(32 - sum % 32) % 32];
}

/* Said apart, so that a face can tell "not a code" from "a typo". */
int
actcode_check(const char *in)
{
	char norm[ACTCODE_NORM_LEN + 1];
	int r;

	if ((r = actcode_norm(in, norm)) != 0)
		return r;
	r = actcode_check_char(norm) == norm[ACTCODE_NORM_LEN - 1]
	    ? 0
	    : KYSO_ERR_CORRUPT;
	OPENSSL_cleanse(norm, sizeof(norm));
	return r;
}
