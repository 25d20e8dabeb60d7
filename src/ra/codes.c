#include "codes.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/actcode.h"
#include "common/crypto.h"

/* 19 random characters (95 bits) and the check character that lets the
 * subscriber's computer catch a typo (common/actcode.c); the server
 * compares only the keyed hash of all 20. */
int
code_new_activation(char out[CODE_LEN + 1])
{
	uint8_t rnd[ACTCODE_NORM_LEN - 1];
	char body[ACTCODE_NORM_LEN];
	size_t i, o = 0;

	if (crypto_random(rnd, sizeof(rnd)) != 0)
		return KYSO_ERR_CRYPTO;
	for (i = 0; i < sizeof(rnd); i++)
		body[i] = actcode_alphabet[rnd[i] & 31]; /* 5 bits a byte */
	body[ACTCODE_NORM_LEN - 1] = actcode_check_char(body);
	for (i = 0; i < ACTCODE_NORM_LEN; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = '-';
		out[o++] = body[i];
	}
	out[o] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_cleanse(body, sizeof(body));
	return 0;
}

/* The server accepts any well-formed code (codes made before the check
 * character existed still work); the client checks the character. */
int
code_norm_activation(const char *in, char out[21])
{
	return actcode_norm(in, out);
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
