#include "parse.h"

#include <string.h>

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return KYSO_ERR_INVALID;
	for (p = s; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return KYSO_ERR_INVALID;
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return KYSO_ERR_INVALID;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return KYSO_ERR_INVALID;
	*out = v;
	return 0;
}

int
hex_encode(struct buf *out, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *s = p;
	uint8_t *d;
	size_t i;
	int r;

	if (n > SIZE_MAX / 2)
		return KYSO_ERR_TOO_LARGE;
	if ((r = buf_reserve(out, n * 2, &d)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		d[2 * i] = (uint8_t)digits[s[i] >> 4];
		d[2 * i + 1] = (uint8_t)digits[s[i] & 15];
	}
	return 0;
}

int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(struct buf *out, const char *s, size_t n)
{
	uint8_t *d;
	size_t i;
	int r;

	if (n % 2 != 0)
		return KYSO_ERR_INVALID;
	for (i = 0; i < n; i++)
		if (hex_digit(s[i]) < 0)
			return KYSO_ERR_INVALID;
	if ((r = buf_reserve(out, n / 2, &d)) != 0)
		return r;
	for (i = 0; i < n / 2; i++)
		d[i] = (uint8_t)(hex_digit(s[2 * i]) << 4 |
		    hex_digit(s[2 * i + 1]));
	return 0;
}

/* One strict UTF-8 character of s[i..n) in *cp, its length; 0 for an
 * invalid one (bad byte, overlong form, surrogate, past U+10FFFF). */
size_t
utf8_strict(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
	uint32_t c = s[i], min;
	size_t k, len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c < 0xe0) {
		len = 2;
		min = 0x80;
	} else if (c >= 0xe0 && c < 0xf0) {
		len = 3;
		min = 0x800;
	} else if (c >= 0xf0 && c < 0xf5) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n - i)
		return 0;
	c &= 0xffu >> (len + 1);
	for (k = 1; k < len; k++) {
		if ((s[i + k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i + k] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}
