#include "crypto.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

int
crypto_random(void *p, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(p, (int)n) != 1)
		return KYSO_ERR_CRYPTO;
	return 0;
}

static int
gcm(int enc, const uint8_t key[32], const uint8_t iv[12], const void *aad,
    size_t aadlen, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len, r = KYSO_ERR_CRYPTO;

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	if (n > INT32_MAX || aadlen > INT32_MAX)
		goto out;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv, enc) != 1)
		goto out;
	if (aadlen > 0 && EVP_CipherUpdate(c, NULL, &len, aad, (int)aadlen) != 1)
		goto out;
	if (n > 0 && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
crypto_seal(const uint8_t key[32], const void *aad, size_t aadlen,
    const void *pt, size_t n, struct buf *out)
{
	uint8_t *d;
	int r;

	if (n > SIZE_MAX - CRYPTO_SEAL_OVERHEAD)
		return KYSO_ERR_TOO_LARGE;
	if ((r = buf_reserve(out, n + CRYPTO_SEAL_OVERHEAD, &d)) != 0)
		return r;
	if ((r = crypto_random(d, 12)) != 0)
		return r;
	return gcm(1, key, d, aad, aadlen, pt, n, d + 12, d + 12 + n);
}

int
crypto_open(const uint8_t key[32], const void *aad, size_t aadlen,
    const void *in, size_t n, struct buf *out)
{
	const uint8_t *s = in;
	uint8_t tag[16], *d;
	size_t len;
	int r;

	if (n < CRYPTO_SEAL_OVERHEAD)
		return KYSO_ERR_CRYPTO;
	len = n - CRYPTO_SEAL_OVERHEAD;
	memcpy(tag, s + 12 + len, 16);
	if ((r = buf_reserve(out, len, &d)) != 0)
		return r;
	if ((r = gcm(0, key, s, aad, aadlen, s + 12, len, d, tag)) != 0)
		OPENSSL_cleanse(d, len);
	return r;
}

int
crypto_scrypt(const void *pin, size_t n, const uint8_t *salt, size_t saltlen,
    unsigned log_n, uint8_t out[32])
{
	uint64_t N;

	if (log_n < 10 || log_n > 20)
		return KYSO_ERR_INVALID;
	N = (uint64_t)1 << log_n;
	if (EVP_PBE_scrypt(pin, n, salt, saltlen, N, 8, 1,
	    (uint64_t)N * 8 * 128 + 1024 * 1024, out, 32) != 1)
		return KYSO_ERR_CRYPTO;
	return 0;
}

int
crypto_hmac_sha256(const void *key, size_t klen, const void *d, size_t n,
    uint8_t out[32])
{
	unsigned int len = 32;

	if (klen > INT32_MAX)
		return KYSO_ERR_INVALID;
	if (HMAC(EVP_sha256(), key, (int)klen, d, n, out, &len) == NULL)
		return KYSO_ERR_CRYPTO;
	return 0;
}

int
crypto_sha256(const void *d, size_t n, uint8_t out[32])
{
	if (EVP_Digest(d, n, out, NULL, EVP_sha256(), NULL) != 1)
		return KYSO_ERR_CRYPTO;
	return 0;
}

int
crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

int
kyso_admin_key(const void *master, size_t mlen, const char *serial,
    uint8_t out[32])
{
	static const char prefix[] = "kyso-token-admin-v1:";
	uint8_t msg[sizeof(prefix) + 64];
	size_t sl = strlen(serial), pl = sizeof(prefix) - 1;

	if (sl > 64)
		return KYSO_ERR_INVALID;
	memcpy(msg, prefix, pl);
	memcpy(msg + pl, serial, sl);
	return crypto_hmac_sha256(master, mlen, msg, pl + sl, out);
}

int
kyso_unblock_response(const uint8_t admin_key[32], const void *challenge,
    size_t n, uint8_t out[32])
{
	return crypto_hmac_sha256(admin_key, 32, challenge, n, out);
}
