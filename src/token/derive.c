/* C_DeriveKey's OpenSSL side: ECDH (CKM_ECDH1_DERIVE and its cofactor
 * form, the same on the prime curves the token offers, whose cofactor is
 * 1) of a private EC key and a peer's point, or (CKM_ECDH1_DERIVE) of a
 * Montgomery key, X25519 or X448 (RFC 7748), and its peer's public
 * bytes; and the ANSI X9.63 KDFs
 * PKCS#11 names (CKD_NULL, CKD_SHA*_KDF). The shared secret is wiped
 * on every path. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "../common/pubkey.h"
#include "fetch.h"
#include "keys.h"

#define SECRET_MAX 66 /* P-521's field, the largest the token may offer */
#define KEY_MAX	   64 /* the longest derived key */
#define SHARED_MAX 1024

/* The digest of a PKCS#11 KDF; "" for CKD_NULL, NULL for none known. */
static const char *
kdf_digest(CK_ULONG kdf)
{
	switch (kdf) {
	case CKD_NULL: return "";
	case CKD_SHA1_KDF: return "SHA1";
	case CKD_SHA224_KDF: return "SHA224";
	case CKD_SHA256_KDF: return "SHA256";
	case CKD_SHA384_KDF: return "SHA384";
	case CKD_SHA512_KDF: return "SHA512";
	}
	return NULL;
}

/* A Montgomery peer's public data: its raw bytes (32 for X25519, 56 for
 * X448), or the same in a DER OCTET STRING. */
static EVP_PKEY *
peer_x(EVP_PKEY *base, const uint8_t *pt, size_t n)
{
	const char *type = EVP_PKEY_is_a(base, "X25519") ? "X25519" : "X448";
	size_t len = strcmp(type, "X25519") == 0 ? 32 : 56;

	if (n != len && !pubkey_der_octets(pt, n, &pt, &n))
		return NULL;
	if (n != len)
		return NULL;
	return EVP_PKEY_new_raw_public_key_ex(NULL, type, NULL, pt, n);
}

/* The peer's public key on base's curve from its point: the raw
 * uncompressed point, or the same wrapped in a DER OCTET STRING (both
 * are met in the wild; their lengths tell them apart). */
static EVP_PKEY *
peer_key(EVP_PKEY *base, const uint8_t *pt, size_t n)
{
	char group[64];
	size_t glen = 0, field = ((size_t)EVP_PKEY_get_bits(base) + 7) / 8;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *peer = NULL;
	OSSL_PARAM params[3];

	if (EVP_PKEY_is_a(base, "X25519") || EVP_PKEY_is_a(base, "X448"))
		return peer_x(base, pt, n);

	if (n != 2 * field + 1 && !pubkey_der_octets(pt, n, &pt, &n))
		return NULL;
	if (n != 2 * field + 1 || pt[0] != 0x04)
		return NULL;
	if (EVP_PKEY_get_utf8_string_param(base, OSSL_PKEY_PARAM_GROUP_NAME,
		group, sizeof(group), &glen) != 1)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)pt, n);
	params[2] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
		peer = NULL;
	EVP_PKEY_CTX_free(ctx);
	return peer;
}

/* X9.63: hash(Z || counter || shared data), counter from 1, for want
 * bytes. */
static CK_RV
x963(const char *md, const uint8_t *z, size_t zn, const uint8_t *info,
    size_t infon, uint8_t *out, size_t want)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "X963KDF", NULL);
	EVP_KDF_CTX *kc = NULL;
	OSSL_PARAM params[4];
	CK_RV rv = CKR_DEVICE_ERROR;

	if (kdf == NULL || (kc = EVP_KDF_CTX_new(kdf)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)md, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)z, zn);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infon);
	params[3] = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kc, out, want, params) == 1)
		rv = CKR_OK;
out:
	EVP_KDF_CTX_free(kc);
	EVP_KDF_free(kdf);
	return rv;
}

CK_RV
keys_derive(const CK_MECHANISM *m, EVP_PKEY *base, struct attrs *key)
{
	const CK_ECDH1_DERIVE_PARAMS *p = m->pParameter;
	const char *md;
	uint8_t z[SECRET_MAX], val[KEY_MAX];
	size_t zn = sizeof(z), want = 0;
	CK_ULONG len;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *peer = NULL;
	CK_RV rv = CKR_MECHANISM_PARAM_INVALID;

	if (m->mechanism != CKM_ECDH1_DERIVE &&
	    m->mechanism != CKM_ECDH1_COFACTOR_DERIVE)
		return CKR_MECHANISM_INVALID;
	if (p == NULL || m->ulParameterLen != sizeof(*p) ||
	    (md = kdf_digest(p->kdf)) == NULL || p->pPublicData == NULL ||
	    p->ulPublicDataLen == 0 || p->ulSharedDataLen > SHARED_MAX ||
	    (p->ulSharedDataLen > 0 && p->pSharedData == NULL) ||
	    (*md == '\0' && p->ulSharedDataLen > 0))
		return rv;
	if ((peer = peer_key(base, p->pPublicData, p->ulPublicDataLen)) == NULL)
		goto out;
	rv = CKR_DEVICE_ERROR;
	if ((ctx = EVP_PKEY_CTX_new(base, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1)
		goto out;
	if (m->mechanism == CKM_ECDH1_COFACTOR_DERIVE &&
	    EVP_PKEY_CTX_set_ecdh_cofactor_mode(ctx, 1) != 1)
		goto out;
	/* peer_key's decoding put an EC point on the curve (OpenSSL refuses
	 * one that is not) and every EC curve offered has cofactor 1; a
	 * Montgomery key (X25519, X448, once offered) needs no check, as
	 * OpenSSL's derivation refuses a small-order point's all-zero
	 * secret. The full public-key check of EVP_PKEY_derive_set_peer (for
	 * EC a scalar multiplication by the order, as costly as the
	 * derivation itself) would add nothing. */
	if (EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1) {
		rv = CKR_MECHANISM_PARAM_INVALID;
		goto out;
	}
	if (EVP_PKEY_derive(ctx, z, &zn) != 1)
		goto out;
	if (attrs_get_ulong(key, CKA_KEY_TYPE, &kt) != 0)
		kt = CKK_GENERIC_SECRET;
	/* The key's length: CKA_VALUE_LEN, else the whole secret (CKD_NULL)
	 * or one hash (a KDF); CKD_NULL gives at most the secret, its
	 * leading bytes. */
	if (attrs_get_ulong(key, CKA_VALUE_LEN, &len) == 0)
		want = len;
	else if (kt == CKK_AES)
		want = 32;
	else
		want = *md == '\0' ? zn : (size_t)EVP_MD_get_size(fetch_md(md));
	rv = CKR_TEMPLATE_INCONSISTENT;
	if (want == 0 || want > sizeof(val) || (*md == '\0' && want > zn))
		goto out;
	if (*md == '\0')
		memcpy(val, z, want);
	else if ((rv = x963(md, z, zn, p->pSharedData, p->ulSharedDataLen, val,
		      want)) != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	if (attrs_set(key, CKA_VALUE, val, want) != 0 ||
	    attrs_set_ulong(key, CKA_VALUE_LEN, want) != 0)
		goto out;
	rv = CKR_OK;
out:
	OPENSSL_cleanse(z, sizeof(z));
	OPENSSL_cleanse(val, sizeof(val));
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}
