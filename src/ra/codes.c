#include "codes.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/crypto.h"

static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

int
code_new_activation(char out[CODE_LEN + 1])
{
	uint8_t rnd[20];
	size_t i, o = 0;

	if (crypto_random(rnd, sizeof(rnd)) != 0)
		return KYSO_ERR_CRYPTO;
	for (i = 0; i < 20; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = '-';
		out[o++] = crockford[rnd[i] & 31]; /* 5 bits of each byte */
	}
	out[o] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}

int
code_norm_activation(const char *in, char out[21])
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
		if (strchr(crockford, c) == NULL || c == '\0' || n >= 20)
			goto bad;
		out[n++] = c;
	}
	if (n != 20)
		goto bad;
	out[n] = '\0';
	return 0;
bad:
	OPENSSL_cleanse(out, 21);
	return KYSO_ERR_INVALID;
}

int
code_new_otp(char out[7])
{
	uint32_t v;

	/* Uniform in [0, 10^6): reject the top partial range. */
	do {
		if (crypto_random(&v, sizeof(v)) != 0)
			return KYSO_ERR_CRYPTO;
	} while (v >= 4294000000u);
	snprintf(out, 7, "%06u", v % 1000000u);
	OPENSSL_cleanse(&v, sizeof(v));
	return 0;
}

int
code_check_otp(const char *in)
{
	size_t i;

	for (i = 0; i < 6; i++)
		if (!isdigit((unsigned char)in[i]))
			return KYSO_ERR_INVALID;
	return in[6] == '\0' ? 0 : KYSO_ERR_INVALID;
}

int
code_hash(const struct crypto_hmac *mac, const char *purpose, const char *code,
    char out[CODE_HASH_LEN + 1])
{
	char msg[128];
	uint8_t h[32];
	int n, i, r;

	n = snprintf(msg, sizeof(msg), "%s:%s", purpose, code);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return KYSO_ERR_INVALID;
	r = crypto_hmac(mac, msg, (size_t)n, h);
	OPENSSL_cleanse(msg, sizeof(msg));
	if (r != 0)
		return r;
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return 0;
}
