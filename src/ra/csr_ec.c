/* A request's EC key and its signature, with OpenSSL's EC_KEY and
 * ECDSA_verify. Both are deprecated in OpenSSL 3.0, which kyso builds
 * with OPENSSL_NO_DEPRECATED; this is the one file that takes them back
 * (and silences their warnings). Why: the EVP path (EVP_PKEY_dup of a
 * curve template, EVP_PKEY_set1_encoded_public_key, then
 * EVP_DigestVerifyInit_ex and EVP_DigestVerify) spends about 10 us of
 * each verification on provider fetches and key copies around the same
 * ECDSA_verify it ends in. On Debian 12's OpenSSL 3.0.19: 20,000 P-256
 * verifies in blocks of 1,000, the ways taking turns, median 87 us that
 * way and 75 us this one (the math, EC_POINT_mul, is the same either
 * way); ca_csr_parse of a P-256 request, A/B in turns, 10 rounds of
 * 20,000: median 88.3 us before, 79.4 after, lower in 9 of 10 rounds
 * (docs/internals/ra.md). The non-deprecated ways measured slower in
 * the same blocks: EVP_PKEY_verify on a digest (median 88 us), ECDSA by
 * hand with EC_POINT_mul and BN_mod_inverse (84 us). What it gives up:
 * EC_KEY and ECDSA_verify run libcrypto's built-in EC code whatever
 * providers are configured, so a FIPS provider (or default_properties
 * "fips=yes") does not take over this check; only the digest is fetched
 * and follows the configuration. kyso-ra makes no FIPS claim; one that
 * did would need the EVP path back here. */
#undef OPENSSL_NO_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED

#include "csr_ec.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

struct csr_ec {
	EC_KEY *key;
};

/* The curves and digests, made once for the process (and tried again if
 * making them failed). An EC_GROUP from the curve's name costs more
 * than the rest of reading a point; EVP_Digest with EVP_sha256() would
 * fetch the implementation again every time. */
static struct {
	int nid;
	EC_GROUP *group;
} curves[] = { { NID_X9_62_prime256v1, NULL }, { NID_secp384r1, NULL } };

static struct {
	const char *name;
	EVP_MD *md;
} digests[] = { { "SHA256", NULL }, { "SHA384", NULL }, { "SHA512", NULL } };

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static const EC_GROUP *
curve_group(int nid)
{
	const EC_GROUP *g = NULL;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].nid == nid) {
			if (curves[i].group == NULL)
				curves[i].group = EC_GROUP_new_by_curve_name(nid);
			g = curves[i].group;
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return g;
}

static const EVP_MD *
digest(const char *name)
{
	const EVP_MD *md = NULL;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++)
		if (strcmp(digests[i].name, name) == 0) {
			if (digests[i].md == NULL)
				digests[i].md = EVP_MD_fetch(NULL, name, NULL);
			md = digests[i].md;
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return md;
}

int
csr_ec_new(int nid, const uint8_t *point, size_t len, struct csr_ec **out)
{
	const EC_GROUP *g = curve_group(nid);
	struct csr_ec *k = NULL;
	size_t fb;
	int r = KYSO_ERR_NOMEM;

	if (g == NULL)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->key = EC_KEY_new()) == NULL || EC_KEY_set_group(k->key, g) != 1)
		goto out;
	r = KYSO_ERR_INVALID;
	/* Only the forms RFC 5480 names: not the hybrid ones (06/07 X Y),
	 * nor the one-byte point at infinity, against which any "signature"
	 * with s = 1 verifies (and which oct2point takes). */
	fb = ((size_t)EC_GROUP_get_degree(g) + 7) / 8;
	if (!((len == 1 + 2 * fb && point[0] == 0x04) ||
		(len == 1 + fb && (point[0] == 0x02 || point[0] == 0x03))))
		goto out;
	/* oct2point refuses a point off the curve (an X without a Y for a
	 * compressed one); P-256 and P-384 have cofactor 1, so every point
	 * on the curve is in the group. */
	if (EC_KEY_oct2key(k->key, point, len, NULL) != 1 ||
	    EC_POINT_is_at_infinity(g, EC_KEY_get0_public_key(k->key)))
		goto out;
	*out = k;
	k = NULL;
	r = 0;
out:
	csr_ec_free(k);
	return r;
}

void
csr_ec_free(struct csr_ec *k)
{
	if (k == NULL)
		return;
	EC_KEY_free(k->key);
	free(k);
}

int
csr_ec_put_uncompressed(const struct csr_ec *k, struct buf *out)
{
	const EC_GROUP *g = EC_KEY_get0_group(k->key);
	const EC_POINT *p = EC_KEY_get0_public_key(k->key);
	uint8_t *dst;
	size_t n;
	int r;

	n = EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, NULL, 0,
	    NULL);
	if (n == 0)
		return KYSO_ERR_INTERNAL;
	if ((r = buf_reserve(out, n, &dst)) != 0)
		return r;
	if (EC_POINT_point2oct(g, p, POINT_CONVERSION_UNCOMPRESSED, dst, n,
		NULL) != n)
		return KYSO_ERR_INTERNAL;
	return 0;
}

int
csr_ec_verify(const struct csr_ec *k, const char *md, const uint8_t *tbs,
    size_t tbslen, const uint8_t *sig, size_t siglen)
{
	const EVP_MD *m = digest(md);
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dlen;

	if (m == NULL)
		return KYSO_ERR_NOMEM;
	if (siglen > INT_MAX || EVP_Digest(tbs, tbslen, d, &dlen, m, NULL) != 1)
		return KYSO_ERR_CRYPTO;
	/* What EVP_DigestVerify ended in (the 3.0 provider's ecdsa_verify
	 * calls it), so exactly as strict: d2i_ECDSA_SIG, then the bytes must
	 * be the signature's own DER again (no trailing bytes, no long-form
	 * length, no padded or negative INTEGER), then ECDSA_do_verify, which
	 * takes only 0 < r, s < n and truncates a longer digest to the
	 * order's bits. 1 is a good signature; 0 a bad one, -1 a broken
	 * encoding. A high S (n - s) is as valid as s, as it always was. */
	return ECDSA_verify(0, d, (int)dlen, sig, (int)siglen, k->key) == 1
	    ? 0
	    : KYSO_ERR_CRYPTO;
}
