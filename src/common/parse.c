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
