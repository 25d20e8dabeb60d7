#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
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

struct crypto_hmac {
	EVP_MD *md;
	EVP_MD_CTX *in, *out; /* after K ^ ipad, after K ^ opad */
};

void
crypto_hmac_free(struct crypto_hmac *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->in);
	EVP_MD_CTX_free(h->out);
	EVP_MD_free(h->md);
	free(h);
}

/* RFC 2104: H(K ^ opad || H(K ^ ipad || d)), K padded to the block. */
int
crypto_hmac_new(const void *key, size_t klen, struct crypto_hmac **out)
{
	struct crypto_hmac *h = calloc(1, sizeof(*h));
	uint8_t k[64], pad[64];
	size_t i;
	int r = KYSO_ERR_CRYPTO;

	memset(k, 0, sizeof(k));
	if (h == NULL)
		return KYSO_ERR_NOMEM;
	if ((h->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (h->in = EVP_MD_CTX_new()) == NULL ||
	    (h->out = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (klen > sizeof(k)) {
		if (EVP_Digest(key, klen, k, NULL, h->md, NULL) != 1)
			goto out;
	} else if (klen > 0) {
		memcpy(k, key, klen);
	}
	for (i = 0; i < sizeof(k); i++)
		pad[i] = k[i] ^ 0x36;
	if (EVP_DigestInit_ex(h->in, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->in, pad, sizeof(pad)) != 1)
		goto out;
	for (i = 0; i < sizeof(k); i++)
		pad[i] = k[i] ^ 0x5c;
	if (EVP_DigestInit_ex(h->out, h->md, NULL) != 1 ||
	    EVP_DigestUpdate(h->out, pad, sizeof(pad)) != 1)
		goto out;
	*out = h;
	h = NULL;
	r = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	crypto_hmac_free(h);
	return r;
}

int
crypto_hmac(const struct crypto_hmac *h, const void *d, size_t n, uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t inner[32];
	int r = KYSO_ERR_CRYPTO;

	if (c != NULL && EVP_MD_CTX_copy_ex(c, h->in) == 1 &&
	    EVP_DigestUpdate(c, d, n) == 1 &&
	    EVP_DigestFinal_ex(c, inner, NULL) == 1 &&
	    EVP_MD_CTX_copy_ex(c, h->out) == 1 &&
	    EVP_DigestUpdate(c, inner, sizeof(inner)) == 1 &&
	    EVP_DigestFinal_ex(c, out, NULL) == 1)
		r = 0;
	OPENSSL_cleanse(inner, sizeof(inner));
	EVP_MD_CTX_free(c);
	return r;
}

int
crypto_hmac_sha256(const void *key, size_t klen, const void *d, size_t n,
    uint8_t out[32])
{
	struct crypto_hmac *h = NULL;
	int r;

	if ((r = crypto_hmac_new(key, klen, &h)) == 0)
		r = crypto_hmac(h, d, n, out);
	crypto_hmac_free(h);
	return r;
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
