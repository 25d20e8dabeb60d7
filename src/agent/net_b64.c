/* Base64 (net_b64.h). */
#include "agent/net_b64.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* EVP_EncodeBlock and EVP_DecodeBlock take an int length. */
#define B64_CHUNK ((size_t)3 * 1024 * 1024)

int
b64_encode(const uint8_t *p, size_t n, char **out)
{
	char *s;
	size_t done = 0, o = 0;
	int k;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return KYSO_ERR_TOO_LARGE;
	if ((s = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return KYSO_ERR_NOMEM;
	/* Whole 3-byte groups per chunk, so the pieces join without
	 * padding in the middle. */
	while (n - done > 0) {
		size_t c = n - done < B64_CHUNK ? n - done : B64_CHUNK;

		k = EVP_EncodeBlock((unsigned char *)s + o, p + done, (int)c);
		o += (size_t)k;
		done += c;
	}
	s[o] = '\0';
	*out = s;
	return 0;
}

/* 1 for the 64 letters of the alphabet. */
static int
b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int
b64_decode(const char *s, size_t n, struct buf *out)
{
	size_t i, pad = 0, done = 0, body;
	uint8_t *dst, last[3];
	int k, r;

	if (n % 4 != 0)
		return KYSO_ERR_INVALID;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!b64_char(s[i]))
			return KYSO_ERR_INVALID;
	/* Chunks of whole 4-char groups; the last group apart, since
	 * EVP_DecodeBlock writes 3 bytes for it padding included. */
	body = n > 0 ? n - 4 : 0;
	while (body - done > 0) {
		size_t c = body - done < B64_CHUNK / 3 * 4 ? body - done
							   : B64_CHUNK / 3 * 4;

		if ((r = buf_reserve(out, c / 4 * 3, &dst)) != 0)
			return r;
		k = EVP_DecodeBlock(dst, (const unsigned char *)s + done, (int)c);
		if (k < 0 || (size_t)k != c / 4 * 3)
			return KYSO_ERR_INVALID;
		done += c;
	}
	if (n > 0) {
		if (EVP_DecodeBlock(last, (const unsigned char *)s + body, 4) != 3)
			return KYSO_ERR_INVALID;
		return buf_put(out, last, 3 - pad);
	}
	return 0;
}
