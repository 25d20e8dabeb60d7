#include "keys.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "../common/buf.h"
#include "../common/crypto.h"
#include "../common/pubkey.h"
#include "fetch.h"
#include "sym.h"

#define OUT_MAX	       1024
#define EDDSA_DATA_MAX (1024 * 1024) /* EdDSA signs the message itself */

struct mech {
	CK_MECHANISM_TYPE type;
	CK_KEY_TYPE kt; /* CK_UNAVAILABLE_INFORMATION: no key */
	CK_ULONG min, max;
	CK_FLAGS flags;
	const char *md; /* digest it hashes with, if any */
};

#define SV    (CKF_SIGN | CKF_VERIFY)
#define ED    (CKF_ENCRYPT | CKF_DECRYPT)
#define WU    (CKF_WRAP | CKF_UNWRAP)
#define ECF   (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)
#define NOKEY CK_UNAVAILABLE_INFORMATION

static const struct mech mechs[] = {
	{ CKM_RSA_PKCS_KEY_PAIR_GEN, CKK_RSA, 2048, 4096, CKF_GENERATE_KEY_PAIR,
	    NULL },
	{ CKM_EC_KEY_PAIR_GEN, CKK_EC, 256, 521, CKF_GENERATE_KEY_PAIR | ECF,
	    NULL },
	{ CKM_RSA_PKCS, CKK_RSA, 2048, 4096,
	    SV | CKF_DECRYPT | CKF_ENCRYPT | WU, NULL },
	{ CKM_RSA_X_509, CKK_RSA, 2048, 4096, SV | CKF_DECRYPT | CKF_ENCRYPT,
	    NULL },
	{ CKM_RSA_PKCS_OAEP, CKK_RSA, 2048, 4096,
	    CKF_DECRYPT | CKF_ENCRYPT | WU, NULL },
	{ CKM_RSA_PKCS_PSS, CKK_RSA, 2048, 4096, SV, NULL },
	{ CKM_SHA256_RSA_PKCS, CKK_RSA, 2048, 4096, SV, "SHA256" },
	{ CKM_SHA384_RSA_PKCS, CKK_RSA, 2048, 4096, SV, "SHA384" },
	{ CKM_SHA512_RSA_PKCS, CKK_RSA, 2048, 4096, SV, "SHA512" },
	{ CKM_SHA256_RSA_PKCS_PSS, CKK_RSA, 2048, 4096, SV, "SHA256" },
	{ CKM_SHA1_RSA_PKCS, CKK_RSA, 2048, 4096, SV, "SHA1" },
	{ CKM_SHA224_RSA_PKCS, CKK_RSA, 2048, 4096, SV, "SHA224" },
	{ CKM_SHA1_RSA_PKCS_PSS, CKK_RSA, 2048, 4096, SV, "SHA1" },
	{ CKM_SHA224_RSA_PKCS_PSS, CKK_RSA, 2048, 4096, SV, "SHA224" },
	{ CKM_SHA384_RSA_PKCS_PSS, CKK_RSA, 2048, 4096, SV, "SHA384" },
	{ CKM_SHA512_RSA_PKCS_PSS, CKK_RSA, 2048, 4096, SV, "SHA512" },
	{ CKM_ECDSA, CKK_EC, 256, 521, SV | ECF, NULL },
	{ CKM_ECDSA_SHA256, CKK_EC, 256, 521, SV | ECF, "SHA256" },
	{ CKM_ECDSA_SHA384, CKK_EC, 256, 521, SV | ECF, "SHA384" },
	{ CKM_ECDSA_SHA1, CKK_EC, 256, 521, SV | ECF, "SHA1" },
	{ CKM_ECDSA_SHA224, CKK_EC, 256, 521, SV | ECF, "SHA224" },
	{ CKM_ECDSA_SHA512, CKK_EC, 256, 521, SV | ECF, "SHA512" },
	/* and on Montgomery keys (CKK_EC_MONTGOMERY, 255 and 448 bits) */
	{ CKM_ECDH1_DERIVE, CKK_EC, 255, 521, CKF_DERIVE | ECF, NULL },
	{ CKM_ECDH1_COFACTOR_DERIVE, CKK_EC, 256, 521, CKF_DERIVE | ECF, NULL },
	{ CKM_AES_KEY_GEN, CKK_AES, 16, 32, CKF_GENERATE, NULL },
	{ CKM_GENERIC_SECRET_KEY_GEN, CKK_GENERIC_SECRET, 8, 512, CKF_GENERATE,
	    NULL },
	{ CKM_DES3_KEY_GEN, CKK_DES3, 24, 24, CKF_GENERATE, NULL },
	{ CKM_AES_ECB, CKK_AES, 16, 32, ED, NULL },
	{ CKM_AES_CBC, CKK_AES, 16, 32, ED, NULL },
	{ CKM_AES_CBC_PAD, CKK_AES, 16, 32, ED | WU, NULL },
	{ CKM_AES_KEY_WRAP, CKK_AES, 16, 32, ED | WU, NULL },
	{ CKM_AES_KEY_WRAP_PAD, CKK_AES, 16, 32, ED | WU, NULL },
	{ CKM_AES_CTR, CKK_AES, 16, 32, ED, NULL },
	{ CKM_AES_GCM, CKK_AES, 16, 32, ED, NULL },
	{ CKM_DES3_ECB, CKK_DES3, 24, 24, ED, NULL },
	{ CKM_DES3_CBC, CKK_DES3, 24, 24, ED, NULL },
	{ CKM_DES3_CBC_PAD, CKK_DES3, 24, 24, ED | WU, NULL },
	{ CKM_AES_CMAC, CKK_AES, 16, 32, SV, NULL },
	{ CKM_AES_CMAC_GENERAL, CKK_AES, 16, 32, SV, NULL },
	{ CKM_SHA_1_HMAC, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA_1_HMAC_GENERAL, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA224_HMAC, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA224_HMAC_GENERAL, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA256_HMAC, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA256_HMAC_GENERAL, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA384_HMAC, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA384_HMAC_GENERAL, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA512_HMAC, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_SHA512_HMAC_GENERAL, CKK_GENERIC_SECRET, 1, 512, SV, NULL },
	{ CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS, 255, 448,
	    CKF_GENERATE_KEY_PAIR | CKF_EC_NAMEDCURVE, NULL },
	{ CKM_EDDSA, CKK_EC_EDWARDS, 255, 448, SV | CKF_EC_NAMEDCURVE, NULL },
	{ CKM_EC_MONTGOMERY_KEY_PAIR_GEN, CKK_EC_MONTGOMERY, 255, 448,
	    CKF_GENERATE_KEY_PAIR | CKF_EC_NAMEDCURVE, NULL },
	{ CKM_SHA_1, NOKEY, 0, 0, CKF_DIGEST, "SHA1" },
	{ CKM_SHA224, NOKEY, 0, 0, CKF_DIGEST, "SHA224" },
	{ CKM_SHA256, NOKEY, 0, 0, CKF_DIGEST, "SHA256" },
	{ CKM_SHA384, NOKEY, 0, 0, CKF_DIGEST, "SHA384" },
	{ CKM_SHA512, NOKEY, 0, 0, CKF_DIGEST, "SHA512" },
	{ CKM_SHA3_224, NOKEY, 0, 0, CKF_DIGEST, "SHA3-224" },
	{ CKM_SHA3_256, NOKEY, 0, 0, CKF_DIGEST, "SHA3-256" },
	{ CKM_SHA3_384, NOKEY, 0, 0, CKF_DIGEST, "SHA3-384" },
	{ CKM_SHA3_512, NOKEY, 0, 0, CKF_DIGEST, "SHA3-512" },
};

#define NMECHS (sizeof(mechs) / sizeof(mechs[0]))

static const struct mech *
mech_find(CK_MECHANISM_TYPE t)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (mechs[i].type == t)
			return &mechs[i];
	return NULL;
}

CK_ULONG
keys_mechanisms(CK_MECHANISM_TYPE *out, CK_ULONG max)
{
	CK_ULONG i;

	for (i = 0; out != NULL && i < NMECHS && i < max; i++)
		out[i] = mechs[i].type;
	return NMECHS;
}

/* The sizes of the table, but RSA from the profile's smallest key. */
CK_RV
keys_mechanism_info(CK_MECHANISM_TYPE m, CK_MECHANISM_INFO *info,
    unsigned min_rsa_bits)
{
	const struct mech *me = mech_find(m);

	if (me == NULL)
		return CKR_MECHANISM_INVALID;
	info->ulMinKeySize = me->kt == CKK_RSA ? min_rsa_bits : me->min;
	info->ulMaxKeySize = me->max;
	info->flags = me->flags | CKF_HW;
	return CKR_OK;
}

/* Verification and encryption need only the public key. */
int
kop_kind_public(enum kop_kind k)
{
	return k == KOP_VERIFY || k == KOP_ENCRYPT;
}

/* A secret key's use is allowed when a mechanism of the table does it
 * with a key of its type (AES: encrypt, decrypt, sign and verify by
 * CMAC, wrap, unwrap; DES3: encrypt, decrypt, wrap, unwrap; a generic
 * secret: sign and verify by HMAC). */
static int
secret_usage_ok(CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE use)
{
	CK_FLAGS want;
	size_t i;

	switch (use) {
	case CKA_ENCRYPT: want = CKF_ENCRYPT; break;
	case CKA_DECRYPT: want = CKF_DECRYPT; break;
	case CKA_SIGN: want = CKF_SIGN; break;
	case CKA_VERIFY: want = CKF_VERIFY; break;
	case CKA_WRAP: want = CKF_WRAP; break;
	case CKA_UNWRAP: want = CKF_UNWRAP; break;
	case CKA_DERIVE: want = CKF_DERIVE; break;
	default: return 0;
	}
	for (i = 0; i < NMECHS; i++)
		if (mechs[i].kt == kt && (mechs[i].flags & want) != 0)
			return 1;
	return 0;
}

/* What the mechanism table offers for each class and key type: RSA
 * signs, verifies, encrypts and decrypts, wraps (public) and unwraps
 * (private) secret keys; EC signs, verifies and derives
 * (ECDH). A public EC key may say CKA_DERIVE (pkcs11-tool asks it of
 * both halves): the derivation itself takes the private one. */
int
keys_usage_ok(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE use)
{
	if (cls == CKO_PUBLIC_KEY && kt == CKK_RSA)
		return use == CKA_VERIFY || use == CKA_ENCRYPT || use == CKA_WRAP;
	if (cls == CKO_PRIVATE_KEY && kt == CKK_RSA)
		return use == CKA_SIGN || use == CKA_DECRYPT || use == CKA_UNWRAP;
	if (cls == CKO_PUBLIC_KEY && kt == CKK_EC)
		return use == CKA_VERIFY || use == CKA_DERIVE;
	if (cls == CKO_PRIVATE_KEY && kt == CKK_EC)
		return use == CKA_SIGN || use == CKA_DERIVE;
	if (kt == CKK_EC_EDWARDS)
		return use == (cls == CKO_PUBLIC_KEY ? CKA_VERIFY : CKA_SIGN);
	if (kt == CKK_EC_MONTGOMERY)
		return use == CKA_DERIVE;
	if (cls == CKO_SECRET_KEY)
		return secret_usage_ok(kt, use);
	return 0;
}

CK_KEY_TYPE
keys_mechanism_key_type(CK_MECHANISM_TYPE m)
{
	const struct mech *me = mech_find(m);

	if (me == NULL || !(me->flags & CKF_GENERATE_KEY_PAIR))
		return CK_UNAVAILABLE_INFORMATION;
	return me->kt;
}

CK_RV
keys_check_mechanism(CK_MECHANISM_TYPE m, CK_KEY_TYPE kt, enum kop_kind k)
{
	static const CK_FLAGS need[] = { CKF_SIGN, CKF_VERIFY, CKF_DECRYPT,
		CKF_DIGEST, CKF_ENCRYPT, CKF_DERIVE, CKF_WRAP, CKF_UNWRAP };
	const struct mech *me = mech_find(m);

	if (me == NULL || (me->flags & need[k]) == 0)
		return CKR_MECHANISM_INVALID;
	/* ECDH1 derives with a Montgomery key too (PKCS#11 3.0). */
	if (k != KOP_DIGEST && me->kt != kt &&
	    !(m == CKM_ECDH1_DERIVE && kt == CKK_EC_MONTGOMERY))
		return CKR_KEY_TYPE_INCONSISTENT;
	return CKR_OK;
}

static const EVP_MD *
md_of_ckm(CK_MECHANISM_TYPE h)
{
	switch (h) {
	case CKM_SHA_1: return EVP_sha1();
	case CKM_SHA224: return EVP_sha224();
	case CKM_SHA256: return EVP_sha256();
	case CKM_SHA384: return EVP_sha384();
	case CKM_SHA512: return EVP_sha512();
	}
	return NULL;
}

static const EVP_MD *
md_of_mgf(CK_RSA_PKCS_MGF_TYPE g)
{
	switch (g) {
	case CKG_MGF1_SHA1: return EVP_sha1();
	case CKG_MGF1_SHA224: return EVP_sha224();
	case CKG_MGF1_SHA256: return EVP_sha256();
	case CKG_MGF1_SHA384: return EVP_sha384();
	case CKG_MGF1_SHA512: return EVP_sha512();
	}
	return NULL;
}

/* Big-endian bytes of a BIGNUM parameter into an attribute. */
static CK_RV
set_bn(struct attrs *a, CK_ATTRIBUTE_TYPE t, const EVP_PKEY *k, const char *name)
{
	BIGNUM *bn = NULL;
	uint8_t *p = NULL;
	int n;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (EVP_PKEY_get_bn_param(k, name, &bn) != 1)
		goto out;
	n = BN_num_bytes(bn);
	if ((p = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	BN_bn2bin(bn, p);
	rv = attrs_set(a, t, p, (size_t)n) == 0 ? CKR_OK : CKR_HOST_MEMORY;
out:
	free(p);
	BN_free(bn);
	return rv;
}

static CK_RV
set_spki(struct attrs *a, EVP_PKEY *k)
{
	uint8_t *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	CK_RV rv;

	if (n <= 0)
		return CKR_DEVICE_ERROR;
	rv = attrs_set(a, CKA_PUBLIC_KEY_INFO, der, (size_t)n) == 0
	    ? CKR_OK
	    : CKR_HOST_MEMORY;
	OPENSSL_free(der);
	return rv;
}

/* CKA_EC_POINT is the DER OCTET STRING of the uncompressed point (of
 * the public key's bytes on Edwards and Montgomery curves), its length
 * in long form past 127 bytes (P-521: 04 81 85, then 133 bytes). */
static CK_RV
set_ec_point(struct attrs *a, const EVP_PKEY *k)
{
	uint8_t pt[160], der[164];
	size_t n = 0, h = 2;

	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt,
		sizeof(pt), &n) != 1 ||
	    n > sizeof(pt))
		return CKR_DEVICE_ERROR;
	der[0] = 0x04;
	if (n < 0x80) {
		der[1] = (uint8_t)n;
	} else {
		der[1] = 0x81;
		der[2] = (uint8_t)n;
		h = 3;
	}
	memcpy(der + h, pt, n);
	return attrs_set(a, CKA_EC_POINT, der, n + h) == 0 ? CKR_OK
							   : CKR_HOST_MEMORY;
}

/* The public attributes both halves of a pair carry. */
static CK_RV
set_public(struct attrs *a, EVP_PKEY *k, CK_KEY_TYPE kt)
{
	CK_RV rv;

	if ((rv = set_spki(a, k)) != CKR_OK)
		return rv;
	if (kt == CKK_RSA) {
		if ((rv = set_bn(a, CKA_MODULUS, k, OSSL_PKEY_PARAM_RSA_N)) !=
			CKR_OK ||
		    (rv = set_bn(a, CKA_PUBLIC_EXPONENT, k,
			 OSSL_PKEY_PARAM_RSA_E)) != CKR_OK)
			return rv;
		return CKR_OK;
	}
	return set_ec_point(a, k);
}

/* The curves of PKCS#11 3.0's Edwards and Montgomery keys: the OID, or
 * the PrintableString 3.0 also allows, and OpenSSL's key type. */
static const struct xcurve {
	CK_KEY_TYPE kt;
	const char *name;
	uint8_t oid[5];
	const char *printable; /* DER: 13 len name */
	size_t plen;
} xcurves[] = {
	{ CKK_EC_EDWARDS, "ED25519", { 0x06, 0x03, 0x2b, 0x65, 0x70 },
	    "\x13\x0c"
	    "edwards25519",
	    14 },
	{ CKK_EC_EDWARDS, "ED448", { 0x06, 0x03, 0x2b, 0x65, 0x71 },
	    "\x13\x0a"
	    "edwards448",
	    12 },
	{ CKK_EC_MONTGOMERY, "X25519", { 0x06, 0x03, 0x2b, 0x65, 0x6e },
	    "\x13\x0a"
	    "curve25519",
	    12 },
	{ CKK_EC_MONTGOMERY, "X448", { 0x06, 0x03, 0x2b, 0x65, 0x6f },
	    "\x13\x08"
	    "curve448",
	    10 },
};

/* An Edwards or Montgomery (kt) key's CKA_EC_PARAMS: the OpenSSL key
 * type, and the OID to keep. */
static CK_RV
x_curve(const struct attrs *a, CK_KEY_TYPE kt, const char **name,
    const uint8_t **oid, size_t *oidlen)
{
	const uint8_t *p;
	size_t i, n;

	if ((p = attrs_get(a, CKA_EC_PARAMS, &n)) == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	for (i = 0; i < sizeof(xcurves) / sizeof(xcurves[0]); i++) {
		const struct xcurve *c = &xcurves[i];

		if (c->kt != kt ||
		    !((n == sizeof(c->oid) && memcmp(p, c->oid, n) == 0) ||
			(n == c->plen && memcmp(p, c->printable, n) == 0)))
			continue;
		*name = c->name;
		*oid = c->oid;
		*oidlen = sizeof(c->oid);
		return CKR_OK;
	}
	return CKR_CURVE_NOT_SUPPORTED;
}

static CK_RV
ec_curve(const struct attrs *a, const char **name, const uint8_t **oid,
    size_t *oidlen)
{
	const uint8_t *p, *v;
	size_t n, vn;

	if ((p = attrs_get(a, CKA_EC_PARAMS, &n)) == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	if ((*name = pubkey_curve_name(p, n)) != NULL) {
		*oid = pubkey_curve_oid(*name, oidlen);
		return CKR_OK;
	}
	/* Only a named curve's OID is taken. Any other ECParameters (an
	 * OID unknown here, explicit parameters, implicitlyCA, a curve's
	 * name as a PrintableString) is a curve the token does not offer;
	 * what is no single DER value at all, an invalid attribute. */
	if (pubkey_der_value(p, n, 0x06, &v, &vn) ||
	    pubkey_der_value(p, n, 0x30, &v, &vn) ||
	    pubkey_der_value(p, n, 0x05, &v, &vn) ||
	    pubkey_der_value(p, n, 0x13, &v, &vn))
		return CKR_CURVE_NOT_SUPPORTED;
	return CKR_ATTRIBUTE_VALUE_INVALID;
}

CK_RV
keys_generate(const CK_MECHANISM *m, struct attrs *pub, struct attrs *priv,
    unsigned min_rsa_bits)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	CK_KEY_TYPE kt;
	CK_ULONG bits = 0;
	int n;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (m->mechanism == CKM_RSA_PKCS_KEY_PAIR_GEN) {
		const uint8_t *e;
		size_t elen;

		kt = CKK_RSA;
		if (attrs_get_ulong(pub, CKA_MODULUS_BITS, &bits) != 0)
			return CKR_TEMPLATE_INCOMPLETE;
		if (bits != 2048 && bits != 3072 && bits != 4096 &&
		    !(bits == 1024 && min_rsa_bits <= 1024))
			return CKR_KEY_SIZE_RANGE;
		/* Only F4: the exponent every verifier expects, in any
		 * big-endian encoding (leading zero bytes are allowed). */
		e = attrs_get(pub, CKA_PUBLIC_EXPONENT, &elen);
		while (e != NULL && elen > 0 && e[0] == 0) {
			e++;
			elen--;
		}
		if (e != NULL && !(elen == 3 && memcmp(e, "\x01\x00\x01", 3) == 0))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
		    EVP_PKEY_keygen_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits) != 1)
			goto out;
	} else if (m->mechanism == CKM_EC_KEY_PAIR_GEN) {
		const char *curve;
		const uint8_t *oid;
		size_t oidlen;

		kt = CKK_EC;
		if ((rv = ec_curve(pub, &curve, &oid, &oidlen)) != CKR_OK)
			return rv;
		rv = CKR_DEVICE_ERROR;
		if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
		    EVP_PKEY_keygen_init(ctx) != 1 ||
		    EVP_PKEY_CTX_set_group_name(ctx, curve) != 1)
			goto out;
		if (attrs_set(priv, CKA_EC_PARAMS, oid, oidlen) != 0) {
			rv = CKR_HOST_MEMORY;
			goto out;
		}
	} else if (m->mechanism == CKM_EC_EDWARDS_KEY_PAIR_GEN ||
	    m->mechanism == CKM_EC_MONTGOMERY_KEY_PAIR_GEN) {
		const char *curve;
		const uint8_t *oid;
		size_t oidlen;

		kt = m->mechanism == CKM_EC_EDWARDS_KEY_PAIR_GEN
		    ? CKK_EC_EDWARDS
		    : CKK_EC_MONTGOMERY;
		if ((rv = x_curve(pub, kt, &curve, &oid, &oidlen)) != CKR_OK)
			return rv;
		rv = CKR_HOST_MEMORY;
		if (attrs_set(pub, CKA_EC_PARAMS, oid, oidlen) != 0 ||
		    attrs_set(priv, CKA_EC_PARAMS, oid, oidlen) != 0)
			goto out;
		rv = CKR_DEVICE_ERROR;
		if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, curve, NULL)) == NULL ||
		    EVP_PKEY_keygen_init(ctx) != 1)
			goto out;
	} else {
		return CKR_MECHANISM_INVALID;
	}
	if (EVP_PKEY_keygen(ctx, &k) != 1)
		goto out;
	if ((n = i2d_PrivateKey(k, &der)) <= 0)
		goto out;
	if ((rv = set_public(pub, k, kt)) != CKR_OK ||
	    (rv = set_public(priv, k, kt)) != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	if (attrs_set_ulong(pub, CKA_KEY_TYPE, kt) != 0 ||
	    attrs_set_ulong(priv, CKA_KEY_TYPE, kt) != 0 ||
	    attrs_set(priv, KYSO_CKA_KEY_DER, der, (size_t)n) != 0)
		goto out;
	if (kt == CKK_RSA && attrs_set_ulong(pub, CKA_MODULUS_BITS, bits) != 0)
		goto out;
	rv = CKR_OK;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(ctx);
	return rv;
}

/* An RSA private key from its components: n, e, d, and the CRT values
 * when all five are given. */
static EVP_PKEY *
rsa_from_components(const struct attrs *a)
{
	static const struct {
		CK_ATTRIBUTE_TYPE t;
		const char *name;
	} parts[] = {
		{ CKA_MODULUS, OSSL_PKEY_PARAM_RSA_N },
		{ CKA_PUBLIC_EXPONENT, OSSL_PKEY_PARAM_RSA_E },
		{ CKA_PRIVATE_EXPONENT, OSSL_PKEY_PARAM_RSA_D },
		{ CKA_PRIME_1, OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ CKA_PRIME_2, OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ CKA_EXPONENT_1, OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ CKA_EXPONENT_2, OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ CKA_COEFFICIENT, OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	BIGNUM *bn[8] = { NULL };
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	size_t i, n, want = 8;
	const uint8_t *p;

	if (bld == NULL)
		goto out;
	for (i = 3; i < 8; i++)
		if (!attrs_has(a, parts[i].t))
			want = 3;
	for (i = 0; i < want; i++) {
		if ((p = attrs_get(a, parts[i].t, &n)) == NULL || n == 0 ||
		    n > 1024 || (bn[i] = BN_bin2bn(p, (int)n, NULL)) == NULL ||
		    OSSL_PARAM_BLD_push_BN(bld, parts[i].name, bn[i]) != 1)
			goto out;
	}
	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) != 1)
		k = NULL;
out:
	for (i = 0; i < 8; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* An EC private key from its curve and scalar; the public point is
 * computed. */
static EVP_PKEY *
ec_from_components(const struct attrs *a)
{
	const char *curve;
	const uint8_t *oid, *v;
	size_t oidlen, vn;
	EC_GROUP *g = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	uint8_t pub[160];
	size_t pn;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;
	int nid;

	if (ec_curve(a, &curve, &oid, &oidlen) != CKR_OK ||
	    (v = attrs_get(a, CKA_VALUE, &vn)) == NULL || vn == 0 || vn > 80)
		return NULL;
	if ((nid = EC_curve_nist2nid(curve)) == NID_undef)
		nid = OBJ_txt2nid(curve);
	if ((g = EC_GROUP_new_by_curve_name(nid)) == NULL ||
	    (d = BN_bin2bn(v, (int)vn, NULL)) == NULL || BN_is_zero(d) ||
	    BN_cmp(d, EC_GROUP_get0_order(g)) >= 0 ||
	    (pt = EC_POINT_new(g)) == NULL ||
	    EC_POINT_mul(g, pt, d, NULL, NULL, NULL) != 1 ||
	    (pn = EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub,
		 sizeof(pub), NULL)) == 0)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		curve, 0) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
		pn) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_KEYPAIR, params) != 1)
		k = NULL;
out:
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	BN_clear_free(d);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* A key brought to the token, as the object priv keeps it: sizes the
 * token takes, its encoding, its public attributes (and curve), and no
 * component twice. */
static CK_RV
adopt_private(struct attrs *priv, EVP_PKEY *k, CK_KEY_TYPE kt,
    unsigned min_rsa_bits)
{
	static const CK_ATTRIBUTE_TYPE secret[] = { CKA_PRIVATE_EXPONENT,
		CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2,
		CKA_COEFFICIENT, CKA_VALUE };
	const uint8_t *oid;
	const char *name;
	char group[64];
	size_t i, oidlen = 0, glen = 0;
	uint8_t *der = NULL;
	int n = 0;
	CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;

	if (kt == CKK_RSA &&
	    (EVP_PKEY_get_bits(k) < (int)min_rsa_bits ||
		EVP_PKEY_get_bits(k) > 4096))
		goto out;
	if (kt == CKK_EC) {
		rv = CKR_CURVE_NOT_SUPPORTED;
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
			group, sizeof(group), &glen) != 1)
			goto out;
		if ((name = EC_curve_nid2nist(OBJ_txt2nid(group))) == NULL)
			name = group; /* brainpool: no NIST name */
		if ((oid = pubkey_curve_oid(name, &oidlen)) == NULL)
			goto out;
		rv = CKR_HOST_MEMORY;
		if (attrs_set(priv, CKA_EC_PARAMS, oid, oidlen) != 0)
			goto out;
	}
	rv = CKR_DEVICE_ERROR;
	if ((n = i2d_PrivateKey(k, &der)) <= 0)
		goto out;
	if ((rv = set_public(priv, k, kt)) != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	if (attrs_set(priv, KYSO_CKA_KEY_DER, der, (size_t)n) != 0 ||
	    attrs_set_ulong(priv, CKA_KEY_TYPE, kt) != 0)
		goto out;
	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
		attrs_del(priv, secret[i]);
	rv = CKR_OK;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	return rv;
}

CK_RV
keys_import_private(struct attrs *priv, unsigned min_rsa_bits)
{
	EVP_PKEY *k = NULL;
	CK_KEY_TYPE kt;
	CK_RV rv;

	if (attrs_get_ulong(priv, CKA_KEY_TYPE, &kt) != 0)
		return CKR_TEMPLATE_INCOMPLETE;
	if (kt == CKK_RSA)
		k = rsa_from_components(priv);
	else if (kt == CKK_EC)
		k = ec_from_components(priv);
	else
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (k == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	rv = adopt_private(priv, k, kt, min_rsa_bits);
	EVP_PKEY_free(k);
	return rv;
}

CK_RV
keys_import_pkcs8(struct attrs *priv, const uint8_t *der, size_t n,
    unsigned min_rsa_bits)
{
	const uint8_t *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *k = NULL;
	CK_KEY_TYPE kt, want;
	CK_RV rv = CKR_WRAPPED_KEY_INVALID;

	if (n > INT32_MAX ||
	    (p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n)) == NULL ||
	    (size_t)(p - der) != n || (k = EVP_PKCS82PKEY(p8)) == NULL)
		goto out;
	kt = EVP_PKEY_is_a(k, "RSA") ? CKK_RSA
	    : EVP_PKEY_is_a(k, "EC") ? CKK_EC
				     : CK_UNAVAILABLE_INFORMATION;
	if (kt == CK_UNAVAILABLE_INFORMATION)
		goto out;
	rv = CKR_TEMPLATE_INCONSISTENT;
	if (attrs_get_ulong(priv, CKA_KEY_TYPE, &want) == 0 && want != kt)
		goto out;
	rv = adopt_private(priv, k, kt, min_rsa_bits);
out:
	EVP_PKEY_free(k);
	PKCS8_PRIV_KEY_INFO_free(p8);
	return rv;
}

/* Wipes and frees what keys_private_pkcs8 made. */
void
keys_free_der(uint8_t *der, size_t n)
{
	OPENSSL_clear_free(der, n);
}

CK_RV
keys_private_pkcs8(const struct attrs *priv, uint8_t **der, size_t *n)
{
	EVP_PKEY *k = keys_load(priv);
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	uint8_t *out = NULL;
	int len;
	CK_RV rv = CKR_KEY_NOT_WRAPPABLE;

	if (k == NULL || !attrs_has(priv, KYSO_CKA_KEY_DER) ||
	    (p8 = EVP_PKEY2PKCS8(k)) == NULL ||
	    (len = i2d_PKCS8_PRIV_KEY_INFO(p8, &out)) <= 0)
		goto out;
	*der = out;
	*n = (size_t)len;
	rv = CKR_OK;
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	EVP_PKEY_free(k);
	return rv;
}

/* A public key from its PKCS#11 components. */
static EVP_PKEY *
pubkey_from_components(const struct attrs *a)
{
	const uint8_t *p, *q;
	size_t pn, qn;
	CK_KEY_TYPE kt;

	if (attrs_get_ulong(a, CKA_KEY_TYPE, &kt) != 0)
		return NULL;
	if (kt == CKK_RSA) {
		if ((p = attrs_get(a, CKA_MODULUS, &pn)) == NULL ||
		    (q = attrs_get(a, CKA_PUBLIC_EXPONENT, &qn)) == NULL)
			return NULL;
		return pubkey_rsa(p, pn, q, qn);
	}
	if (kt == CKK_EC) {
		if ((p = attrs_get(a, CKA_EC_PARAMS, &pn)) == NULL ||
		    (q = attrs_get(a, CKA_EC_POINT, &qn)) == NULL)
			return NULL;
		return pubkey_ec(p, pn, q, qn);
	}
	if (kt == CKK_EC_EDWARDS || kt == CKK_EC_MONTGOMERY) {
		const char *name;
		const uint8_t *oid;
		size_t oidlen;

		if (x_curve(a, kt, &name, &oid, &oidlen) != CKR_OK ||
		    (q = attrs_get(a, CKA_EC_POINT, &qn)) == NULL)
			return NULL;
		/* The point raw, or in a DER OCTET STRING. */
		if (qn > 2 && q[0] == 0x04 && q[1] == qn - 2) {
			q += 2;
			qn -= 2;
		}
		return EVP_PKEY_new_raw_public_key_ex(NULL, name, NULL, q, qn);
	}
	return NULL;
}

CK_RV
keys_complete_public(struct attrs *pub)
{
	EVP_PKEY *k = pubkey_from_components(pub);
	CK_KEY_TYPE kt;
	CK_RV rv;

	if (k == NULL)
		return CKR_TEMPLATE_INCONSISTENT;
	if ((rv = set_spki(pub, k)) == CKR_OK &&
	    attrs_get_ulong(pub, CKA_KEY_TYPE, &kt) == 0 && kt == CKK_RSA &&
	    attrs_set_ulong(pub, CKA_MODULUS_BITS,
		(CK_ULONG)EVP_PKEY_get_bits(k)) != 0)
		rv = CKR_HOST_MEMORY;
	EVP_PKEY_free(k);
	return rv;
}

static int
set_date(struct attrs *a, CK_ATTRIBUTE_TYPE t, const ASN1_TIME *tm)
{
	struct tm s;
	char d[32];

	if (ASN1_TIME_to_tm(tm, &s) != 1)
		return 0;
	if (s.tm_year + 1900 > 9999 || s.tm_year + 1900 < 0)
		return 0;
	snprintf(d, sizeof(d), "%04d%02d%02d", s.tm_year + 1900,
	    (s.tm_mon + 1) % 100, s.tm_mday % 100);
	return attrs_default(a, t, d, 8);
}

static int
set_der(struct attrs *a, CK_ATTRIBUTE_TYPE t, int n, uint8_t *der)
{
	int r;

	if (n <= 0)
		return KYSO_ERR_CRYPTO;
	r = attrs_default(a, t, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

CK_RV
keys_complete_certificate(struct attrs *cert)
{
	const uint8_t *p, *q;
	size_t n;
	X509 *x = NULL;
	uint8_t *der = NULL;
	int dn;
	CK_RV rv = CKR_ATTRIBUTE_VALUE_INVALID;

	if ((p = attrs_get(cert, CKA_VALUE, &n)) == NULL)
		return CKR_TEMPLATE_INCOMPLETE;
	q = p;
	if (n > INT32_MAX || (x = d2i_X509(NULL, &q, (long)n)) == NULL ||
	    (size_t)(q - p) != n)
		goto out;
	rv = CKR_HOST_MEMORY;
	/* i2d_* allocates into der: call it before passing der on. */
	der = NULL;
	dn = i2d_X509_NAME(X509_get_subject_name(x), &der);
	if (set_der(cert, CKA_SUBJECT, dn, der) != 0)
		goto out;
	der = NULL;
	dn = i2d_X509_NAME(X509_get_issuer_name(x), &der);
	if (set_der(cert, CKA_ISSUER, dn, der) != 0)
		goto out;
	der = NULL;
	dn = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der);
	if (set_der(cert, CKA_SERIAL_NUMBER, dn, der) != 0)
		goto out;
	if (set_date(cert, CKA_START_DATE, X509_get0_notBefore(x)) != 0 ||
	    set_date(cert, CKA_END_DATE, X509_get0_notAfter(x)) != 0)
		goto out;
	rv = CKR_OK;
out:
	X509_free(x);
	return rv;
}

EVP_PKEY *
keys_load(const struct attrs *a)
{
	const uint8_t *p, *q;
	size_t n;

	if ((p = attrs_get(a, KYSO_CKA_KEY_DER, &n)) != NULL && n < INT32_MAX) {
		q = p;
		return d2i_AutoPrivateKey(NULL, &q, (long)n);
	}
	if ((p = attrs_get(a, CKA_PUBLIC_KEY_INFO, &n)) != NULL && n > 0 &&
	    n < INT32_MAX) {
		q = p;
		return d2i_PUBKEY(NULL, &q, (long)n);
	}
	return pubkey_from_components(a);
}

void
keys_free_pkey(void *pkey)
{
	EVP_PKEY_free(pkey);
}

/* Contexts a secret key keeps for its next operations: one per
 * operation that may run at once on it in different sessions. */
#define KKEY_KEPT_MAX 4

struct kkey {
	EVP_PKEY *pkey;	    /* NULL for a secret key */
	struct buf *secret; /* a secret key's value */
	unsigned refs;
	/* Set up (sign_init and padding / digest) for sign_mech; NULL when
	 * none is kept. */
	EVP_PKEY_CTX *sign;
	CK_MECHANISM_TYPE sign_mech;
	/* A secret key's finished operations (sym.c), their OpenSSL
	 * contexts holding the key, parked for the next ones. */
	struct sym *kept[KKEY_KEPT_MAX];
	size_t nkept;
};

struct kkey *
kkey_load(const struct attrs *a)
{
	struct kkey *k;
	CK_OBJECT_CLASS cls;
	const uint8_t *v;
	size_t n;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->refs = 1;
	if (attrs_get_ulong(a, CKA_CLASS, &cls) == 0 && cls == CKO_SECRET_KEY) {
		if ((v = attrs_get(a, CKA_VALUE, &n)) == NULL ||
		    (k->secret = buf_new(n)) == NULL ||
		    buf_put(k->secret, v, n) != 0)
			goto fail;
		return k;
	}
	if ((k->pkey = keys_load(a)) == NULL)
		goto fail;
	return k;
fail:
	kkey_free(k);
	return NULL;
}

int
kkey_current(const struct kkey *k, const struct attrs *a)
{
	const uint8_t *v;
	size_t n;

	if (k->secret == NULL)
		return 1;
	return (v = attrs_get(a, CKA_VALUE, &n)) != NULL &&
	    n == buf_len(k->secret) &&
	    CRYPTO_memcmp(v, buf_ptr(k->secret), n) == 0;
}

EVP_PKEY *
kkey_pkey(const struct kkey *k)
{
	return k->pkey;
}

void
kkey_free(void *p)
{
	struct kkey *k = p;

	if (k == NULL || --k->refs > 0)
		return;
	while (k->nkept > 0)
		sym_free(k->kept[--k->nkept]);
	EVP_PKEY_CTX_free(k->sign);
	EVP_PKEY_free(k->pkey);
	buf_free(k->secret);
	free(k);
}

struct kop {
	enum kop_kind kind;
	CK_MECHANISM_TYPE mech;
	EVP_PKEY *key;
	struct kkey *kk;  /* the object's key, when kop_new_key made it */
	EVP_MD_CTX *md;	  /* hashing mechanisms and digests */
	struct buf *data; /* raw mechanisms: the whole input */
	const EVP_MD *pss_md, *mgf_md;
	struct sym *sym; /* a secret key's operation: everything is sym.c's */
	int salt;
	struct buf *label; /* OAEP */
	size_t outlen;
	uint8_t out[OUT_MAX];
	int finished;
};

static int
is_pss(CK_MECHANISM_TYPE m)
{
	return m == CKM_RSA_PKCS_PSS || m == CKM_SHA1_RSA_PKCS_PSS ||
	    m == CKM_SHA224_RSA_PKCS_PSS || m == CKM_SHA256_RSA_PKCS_PSS ||
	    m == CKM_SHA384_RSA_PKCS_PSS || m == CKM_SHA512_RSA_PKCS_PSS;
}

static CK_RV
parse_params(struct kop *k, const CK_MECHANISM *m)
{
	const struct mech *me = mech_find(k->mech);

	if (is_pss(k->mech)) {
		const CK_RSA_PKCS_PSS_PARAMS *pp = m->pParameter;

		if (pp == NULL || m->ulParameterLen != sizeof(*pp))
			return CKR_MECHANISM_PARAM_INVALID;
		if ((k->pss_md = md_of_ckm(pp->hashAlg)) == NULL ||
		    (k->mgf_md = md_of_mgf(pp->mgf)) == NULL || pp->sLen > 1024)
			return CKR_MECHANISM_PARAM_INVALID;
		/* A hashing PSS mechanism names its hash twice: the same. */
		if (me->md != NULL &&
		    EVP_MD_get_type(k->pss_md) !=
			EVP_MD_get_type(fetch_md(me->md)))
			return CKR_MECHANISM_PARAM_INVALID;
		k->salt = (int)pp->sLen;
	} else if (k->mech == CKM_RSA_PKCS_OAEP) {
		const CK_RSA_PKCS_OAEP_PARAMS *op = m->pParameter;

		if (op == NULL || m->ulParameterLen != sizeof(*op))
			return CKR_MECHANISM_PARAM_INVALID;
		if ((k->pss_md = md_of_ckm(op->hashAlg)) == NULL ||
		    (k->mgf_md = md_of_mgf(op->mgf)) == NULL)
			return CKR_MECHANISM_PARAM_INVALID;
		if (op->source != 0 && op->source != CKZ_DATA_SPECIFIED)
			return CKR_MECHANISM_PARAM_INVALID;
		if (op->ulSourceDataLen > 0) {
			if (op->pSourceData == NULL || op->ulSourceDataLen > 4096)
				return CKR_MECHANISM_PARAM_INVALID;
			if ((k->label = buf_new(4096)) == NULL)
				return CKR_HOST_MEMORY;
			if (buf_put(k->label, op->pSourceData,
				op->ulSourceDataLen) != 0)
				return CKR_HOST_MEMORY;
		}
	} else if (k->mech == CKM_EDDSA) {
		/* eddsa_params, with the key */
	} else if (m->ulParameterLen != 0) {
		return CKR_MECHANISM_PARAM_INVALID;
	}
	return CKR_OK;
}

/* PKCS#11 3.0's CK_EDDSA_PARAMS (the headers we build with predate it). */
struct eddsa_params {
	CK_BBOOL phFlag;
	CK_ULONG ulContextDataLen;
	CK_BYTE_PTR pContextData;
};

/* CKM_EDDSA's parameters for the key. Without any, PureEdDSA: Ed25519,
 * or Ed448 with an empty context. OpenSSL 3.0 (Debian 12's) signs and
 * verifies nothing else: on Ed25519 any CK_EDDSA_PARAMS ask for
 * Ed25519ctx or Ed25519ph, on Ed448 a context or phFlag for Ed448 with a
 * context or Ed448ph, all CKR_MECHANISM_PARAM_INVALID; Ed448's phFlag
 * false and no context is PureEdDSA again. */
static CK_RV
eddsa_params(const CK_MECHANISM *m, const EVP_PKEY *key)
{
	const struct eddsa_params *p = m->pParameter;

	if (m->ulParameterLen == 0)
		return CKR_OK;
	if (p == NULL || m->ulParameterLen != sizeof(*p) || key == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	if (!p->phFlag && p->ulContextDataLen == 0 && EVP_PKEY_is_a(key, "ED448"))
		return CKR_OK;
	return CKR_MECHANISM_PARAM_INVALID;
}

CK_RV
kop_new(enum kop_kind kind, const CK_MECHANISM *m, EVP_PKEY *key, struct kop **out)
{
	const struct mech *me = mech_find(m->mechanism);
	struct kop *k;
	CK_RV rv;

	if (me == NULL || kind == KOP_DERIVE)
		return CKR_MECHANISM_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CKR_HOST_MEMORY;
	k->kind = kind;
	k->mech = m->mechanism;
	if ((rv = parse_params(k, m)) != CKR_OK)
		goto fail;
	if (key != NULL) {
		if (EVP_PKEY_up_ref(key) != 1) {
			rv = CKR_DEVICE_ERROR;
			goto fail;
		}
		k->key = key;
	}
	if (k->mech == CKM_EDDSA && (rv = eddsa_params(m, key)) != CKR_OK)
		goto fail;
	if (me->md != NULL) {
		if ((k->md = EVP_MD_CTX_new()) == NULL) {
			rv = CKR_HOST_MEMORY;
			goto fail;
		}
		if (EVP_DigestInit_ex(k->md, fetch_md(me->md), NULL) != 1) {
			rv = CKR_DEVICE_ERROR;
			goto fail;
		}
	} else if ((k->data = buf_new(k->mech == CKM_EDDSA ? EDDSA_DATA_MAX
							   : OUT_MAX)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto fail;
	}
	*out = k;
	return CKR_OK;
fail:
	kop_free(k);
	return rv;
}

/* An operation with a secret key object: on a context the key kept
 * from a finished operation that fits (sym_fits), else a new one. The
 * operation holds a reference on the key, and kop_free gives the
 * context back. OpenSSL 3 fetches the digest and sets up the key at
 * every HMAC init, and makes the cipher's provider context and key
 * schedule at every cipher init. */
static CK_RV
kop_new_kept(enum kop_kind kind, const CK_MECHANISM *m, struct kkey *key,
    struct kop **out)
{
	struct kop *k;
	struct sym *s = NULL;
	size_t i;
	CK_RV rv;

	if (mech_find(m->mechanism) == NULL || !sym_mechanism(m->mechanism))
		return CKR_MECHANISM_INVALID;
	for (i = 0; i < key->nkept; i++) {
		if (sym_fits(key->kept[i], kind, m->mechanism)) {
			s = key->kept[i];
			key->kept[i] = key->kept[--key->nkept];
			break;
		}
	}
	if (s != NULL && (rv = sym_restart(s, kind, m)) != CKR_OK) {
		sym_free(s);
		return rv;
	}
	if (s == NULL &&
	    (rv = sym_new(kind, m, buf_ptr(key->secret), buf_len(key->secret),
		 &s)) != CKR_OK)
		return rv;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		sym_free(s);
		return CKR_HOST_MEMORY;
	}
	k->kind = kind;
	k->mech = m->mechanism;
	k->sym = s;
	key->refs++;
	k->kk = key;
	*out = k;
	return CKR_OK;
}

CK_RV
kop_new_key(enum kop_kind kind, const CK_MECHANISM *m, struct kkey *key,
    struct kop **out)
{
	CK_RV rv;

	if (key != NULL && key->secret != NULL)
		return kop_new_kept(kind, m, key, out);
	if ((rv = kop_new(kind, m, key != NULL ? key->pkey : NULL, out)) != CKR_OK)
		return rv;
	if (key == NULL) /* a digest */
		return CKR_OK;
	key->refs++;
	(*out)->kk = key;
	return CKR_OK;
}

CK_RV
kop_new_secret(enum kop_kind kind, const CK_MECHANISM *m, const uint8_t *key,
    size_t keylen, struct kop **out)
{
	struct kop *k;
	CK_RV rv;

	if (mech_find(m->mechanism) == NULL || !sym_mechanism(m->mechanism))
		return CKR_MECHANISM_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CKR_HOST_MEMORY;
	k->kind = kind;
	k->mech = m->mechanism;
	if ((rv = sym_new(kind, m, key, keylen, &k->sym)) != CKR_OK) {
		kop_free(k);
		return rv;
	}
	*out = k;
	return CKR_OK;
}

int
kop_streams(const struct kop *k)
{
	return k->sym != NULL &&
	    (k->kind == KOP_ENCRYPT || k->kind == KOP_DECRYPT);
}

size_t
kop_update_len(const struct kop *k, size_t n)
{
	return k->sym != NULL ? sym_update_len(k->sym, n) : 0;
}

CK_RV
kop_update_out(struct kop *k, const void *p, size_t n, uint8_t *out,
    size_t *outlen)
{
	if (k->sym == NULL)
		return CKR_FUNCTION_FAILED;
	return sym_update(k->sym, p, n, out, outlen);
}

size_t
kop_single_len(const struct kop *k, size_t n)
{
	return k->sym != NULL ? sym_single_len(k->sym, n) : kop_out_len(k);
}

int
kop_once_ok(const struct kop *k)
{
	return kop_streams(k) && sym_once_ok(k->sym);
}

CK_RV
kop_once(struct kop *k, const void *p, size_t n, uint8_t *out, size_t *outlen)
{
	if (!kop_once_ok(k))
		return CKR_FUNCTION_FAILED;
	return sym_once(k->sym, p, n, out, outlen);
}

CK_RV
keys_generate_secret(const CK_MECHANISM *m, struct attrs *key)
{
	uint8_t v[64];
	CK_ULONG len = 0;
	CK_KEY_TYPE kt;
	CK_RV rv = CKR_TEMPLATE_INCONSISTENT;

	if (m->ulParameterLen != 0)
		return CKR_MECHANISM_PARAM_INVALID;
	kt = m->mechanism == CKM_AES_KEY_GEN   ? CKK_AES
	    : m->mechanism == CKM_DES3_KEY_GEN ? CKK_DES3
					       : CKK_GENERIC_SECRET;
	/* A DES3 key's length is fixed: CKA_VALUE_LEN may be left out. */
	if (attrs_get_ulong(key, CKA_VALUE_LEN, &len) != 0 && kt != CKK_DES3)
		return CKR_TEMPLATE_INCOMPLETE;
	if (kt == CKK_DES3 && !attrs_has(key, CKA_VALUE_LEN))
		len = 24;
	if (len > sizeof(v) || !keys_secret_len_ok(kt, len))
		return CKR_KEY_SIZE_RANGE;
	if (crypto_random(v, len) != 0)
		return CKR_DEVICE_ERROR;
	if (kt == CKK_DES3)
		keys_des_parity(v, len);
	rv = CKR_HOST_MEMORY;
	if (attrs_set(key, CKA_VALUE, v, len) == 0 &&
	    attrs_set_ulong(key, CKA_KEY_TYPE, kt) == 0)
		rv = CKR_OK;
	OPENSSL_cleanse(v, sizeof(v));
	return rv;
}

CK_RV
kop_update(struct kop *k, const void *p, size_t n)
{
	if (k->sym != NULL)
		return sym_update(k->sym, p, n, NULL, NULL);
	if (k->finished)
		return CKR_OPERATION_ACTIVE;
	if (k->md != NULL)
		return EVP_DigestUpdate(k->md, p, n) == 1 ? CKR_OK
							  : CKR_DEVICE_ERROR;
	if (n == 0)
		return CKR_OK;
	if (buf_put(k->data, p, n) != 0)
		return k->kind == KOP_DECRYPT ? CKR_ENCRYPTED_DATA_LEN_RANGE
					      : CKR_DATA_LEN_RANGE;
	return CKR_OK;
}

/* The digest, or the raw input, that the key operation works on. */
static CK_RV
input(struct kop *k, uint8_t *dig, size_t *n)
{
	unsigned int dl = 0;

	if (k->md != NULL) {
		if (EVP_DigestFinal_ex(k->md, dig, &dl) != 1)
			return CKR_DEVICE_ERROR;
		*n = dl;
		return CKR_OK;
	}
	*n = buf_len(k->data);
	memcpy(dig, buf_ptr(k->data), *n);
	return CKR_OK;
}

static CK_RV
setup(struct kop *k, EVP_PKEY_CTX *c)
{
	switch (k->mech) {
	case CKM_RSA_PKCS:
		return EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1
		    ? CKR_OK
		    : CKR_DEVICE_ERROR;
	case CKM_RSA_X_509:
		return EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1
		    ? CKR_OK
		    : CKR_DEVICE_ERROR;
	case CKM_SHA1_RSA_PKCS:
	case CKM_SHA224_RSA_PKCS:
	case CKM_SHA256_RSA_PKCS:
	case CKM_SHA384_RSA_PKCS:
	case CKM_SHA512_RSA_PKCS:
		if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(c,
			EVP_MD_CTX_get0_md(k->md)) != 1)
			return CKR_DEVICE_ERROR;
		return CKR_OK;
	case CKM_RSA_PKCS_PSS:
	case CKM_SHA1_RSA_PKCS_PSS:
	case CKM_SHA224_RSA_PKCS_PSS:
	case CKM_SHA256_RSA_PKCS_PSS:
	case CKM_SHA384_RSA_PKCS_PSS:
	case CKM_SHA512_RSA_PKCS_PSS:
		if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(c, k->pss_md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(c, k->mgf_md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(c, k->salt) != 1)
			return CKR_DEVICE_ERROR;
		return CKR_OK;
	case CKM_RSA_PKCS_OAEP:
		if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(c, k->pss_md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(c, k->mgf_md) != 1)
			return CKR_DEVICE_ERROR;
		if (k->label != NULL) {
			void *l = OPENSSL_memdup(buf_ptr(k->label),
			    buf_len(k->label));

			if (l == NULL)
				return CKR_HOST_MEMORY;
			if (EVP_PKEY_CTX_set0_rsa_oaep_label(c, l,
				(int)buf_len(k->label)) != 1) {
				OPENSSL_free(l);
				return CKR_DEVICE_ERROR;
			}
		}
		return CKR_OK;
	}
	return CKR_OK;
}

/* Raw RSA (signing, verifying, encrypting) takes a number: a shorter
 * input is left-padded to the modulus's length. in holds OUT_MAX. */
static void
raw_pad(const struct kop *k, uint8_t *in, size_t *inlen)
{
	size_t kn;

	if (k->mech != CKM_RSA_X_509 || k->kind == KOP_DECRYPT)
		return;
	kn = (size_t)EVP_PKEY_get_size(k->key);
	if (*inlen < kn && kn <= OUT_MAX) {
		memmove(in + (kn - *inlen), in, *inlen);
		memset(in, 0, kn - *inlen);
		*inlen = kn;
	}
}

static int
is_ecdsa(CK_MECHANISM_TYPE m)
{
	return m == CKM_ECDSA || m == CKM_ECDSA_SHA1 || m == CKM_ECDSA_SHA224 ||
	    m == CKM_ECDSA_SHA256 || m == CKM_ECDSA_SHA384 ||
	    m == CKM_ECDSA_SHA512;
}

static size_t
ec_half(const EVP_PKEY *key)
{
	return ((size_t)EVP_PKEY_get_bits(key) + 7) / 8;
}

/* DER ECDSA-Sig-Value to the fixed r || s PKCS#11 uses. */
static CK_RV
ecdsa_der_to_raw(const uint8_t *der, size_t n, size_t half, uint8_t *out)
{
	const uint8_t *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
	const BIGNUM *r, *sv;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (s == NULL)
		return rv;
	ECDSA_SIG_get0(s, &r, &sv);
	if (BN_bn2binpad(r, out, (int)half) == (int)half &&
	    BN_bn2binpad(sv, out + half, (int)half) == (int)half)
		rv = CKR_OK;
	ECDSA_SIG_free(s);
	return rv;
}

static CK_RV
ecdsa_raw_to_der(const uint8_t *sig, size_t n, size_t half, uint8_t **der,
    int *dlen)
{
	ECDSA_SIG *s = NULL;
	BIGNUM *r = NULL, *sv = NULL;

	if (n != 2 * half)
		return CKR_SIGNATURE_LEN_RANGE;
	if ((s = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, (int)half, NULL)) == NULL ||
	    (sv = BN_bin2bn(sig + half, (int)half, NULL)) == NULL ||
	    ECDSA_SIG_set0(s, r, sv) != 1) {
		BN_free(r);
		BN_free(sv);
		ECDSA_SIG_free(s);
		return CKR_HOST_MEMORY;
	}
	*dlen = i2d_ECDSA_SIG(s, der);
	ECDSA_SIG_free(s);
	return *dlen > 0 ? CKR_OK : CKR_DEVICE_ERROR;
}

/* EdDSA signs or verifies the whole message in one call (PureEdDSA). */
static CK_RV
eddsa(struct kop *k, const uint8_t *sig, size_t n)
{
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	size_t sl = sizeof(k->out);
	CK_RV rv = CKR_DEVICE_ERROR;

	if (mc == NULL)
		return CKR_HOST_MEMORY;
	if (sig == NULL) {
		if (EVP_DigestSignInit(mc, NULL, NULL, NULL, k->key) == 1 &&
		    EVP_DigestSign(mc, k->out, &sl, buf_ptr(k->data),
			buf_len(k->data)) == 1) {
			k->outlen = sl;
			k->finished = 1;
			rv = CKR_OK;
		}
	} else if (n != (size_t)EVP_PKEY_get_size(k->key)) {
		rv = CKR_SIGNATURE_LEN_RANGE;
	} else if (EVP_DigestVerifyInit(mc, NULL, NULL, NULL, k->key) == 1) {
		rv = EVP_DigestVerify(mc, sig, n, buf_ptr(k->data),
			 buf_len(k->data)) == 1
		    ? CKR_OK
		    : CKR_SIGNATURE_INVALID;
	}
	EVP_MD_CTX_free(mc);
	return rv;
}

/* Whether a signing context set up for m can sign again: the mechanisms
 * whose set-up depends on nothing but the mechanism (no parameters). */
static int
sign_ctx_reusable(CK_MECHANISM_TYPE m)
{
	return is_ecdsa(m) || m == CKM_RSA_PKCS || m == CKM_SHA1_RSA_PKCS ||
	    m == CKM_SHA224_RSA_PKCS || m == CKM_SHA256_RSA_PKCS ||
	    m == CKM_SHA384_RSA_PKCS || m == CKM_SHA512_RSA_PKCS;
}

static void
drop_sign_ctx(struct kkey *kk)
{
	EVP_PKEY_CTX_free(kk->sign);
	kk->sign = NULL;
}

/* The signing context for k: the one its key object keeps for this
 * mechanism (*kept; made and kept on first use), or a new one for this
 * signature only (*c, the caller frees it). OpenSSL 3 fetches the
 * signature implementation and sets up the provider's context at every
 * EVP_PKEY_sign_init: a tenth of a P-256 signature. */
static CK_RV
sign_ctx(struct kop *k, EVP_PKEY_CTX **c, EVP_PKEY_CTX **kept)
{
	EVP_PKEY_CTX *n;
	CK_RV rv;

	*c = *kept = NULL;
	if (k->kk != NULL && k->kk->sign != NULL && k->kk->sign_mech == k->mech) {
		*kept = k->kk->sign;
		return CKR_OK;
	}
	if ((n = EVP_PKEY_CTX_new(k->key, NULL)) == NULL)
		return CKR_HOST_MEMORY;
	if (EVP_PKEY_sign_init(n) != 1) {
		EVP_PKEY_CTX_free(n);
		return CKR_DEVICE_ERROR;
	}
	if ((rv = setup(k, n)) != CKR_OK) {
		EVP_PKEY_CTX_free(n);
		return rv;
	}
	if (k->kk != NULL && sign_ctx_reusable(k->mech)) {
		drop_sign_ctx(k->kk);
		k->kk->sign = *kept = n;
		k->kk->sign_mech = k->mech;
	} else {
		*c = n;
	}
	return CKR_OK;
}

CK_RV
kop_finish(struct kop *k)
{
	EVP_PKEY_CTX *c = NULL, *kept = NULL;
	uint8_t in[OUT_MAX], der[OUT_MAX];
	size_t inlen = 0, outlen;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (k->sym != NULL)
		return sym_finish(k->sym);
	if (k->finished)
		return CKR_OK;
	if (k->mech == CKM_EDDSA)
		return k->kind == KOP_SIGN ? eddsa(k, NULL, 0)
					   : CKR_FUNCTION_FAILED;
	if ((rv = input(k, in, &inlen)) != CKR_OK)
		return rv;
	raw_pad(k, in, &inlen);
	if (k->kind == KOP_DIGEST) {
		memcpy(k->out, in, inlen);
		k->outlen = inlen;
		k->finished = 1;
		rv = CKR_OK;
		goto out;
	}
	rv = CKR_DEVICE_ERROR;
	if (k->kind == KOP_SIGN) {
		if ((rv = sign_ctx(k, &c, &kept)) != CKR_OK)
			goto out;
		outlen = sizeof(der);
		if (EVP_PKEY_sign(kept != NULL ? kept : c, der, &outlen, in,
			inlen) != 1) {
			/* A context that failed is not kept. */
			if (kept != NULL)
				drop_sign_ctx(k->kk);
			rv = k->md == NULL ? CKR_DATA_LEN_RANGE
					   : CKR_FUNCTION_FAILED;
			goto out;
		}
		if (is_ecdsa(k->mech)) {
			size_t half = ec_half(k->key);

			if ((rv = ecdsa_der_to_raw(der, outlen, half, k->out)) !=
			    CKR_OK)
				goto out;
			k->outlen = 2 * half;
		} else {
			memcpy(k->out, der, outlen);
			k->outlen = outlen;
		}
	} else if ((c = EVP_PKEY_CTX_new(k->key, NULL)) == NULL) {
		goto out;
	} else if (k->kind == KOP_ENCRYPT) {
		if (EVP_PKEY_encrypt_init(c) != 1 || (rv = setup(k, c)) != CKR_OK)
			goto out;
		outlen = sizeof(k->out);
		if (EVP_PKEY_encrypt(c, k->out, &outlen, in, inlen) != 1) {
			rv = CKR_DATA_LEN_RANGE;
			goto out;
		}
		k->outlen = outlen;
	} else if (k->kind == KOP_DECRYPT) {
		if (EVP_PKEY_decrypt_init(c) != 1 || (rv = setup(k, c)) != CKR_OK)
			goto out;
		outlen = sizeof(k->out);
		if (EVP_PKEY_decrypt(c, k->out, &outlen, in, inlen) != 1) {
			rv = inlen != (size_t)EVP_PKEY_get_size(k->key)
			    ? CKR_ENCRYPTED_DATA_LEN_RANGE
			    : CKR_ENCRYPTED_DATA_INVALID;
			goto out;
		}
		k->outlen = outlen;
	} else {
		rv = CKR_FUNCTION_FAILED;
		goto out;
	}
	k->finished = 1;
	rv = CKR_OK;
out:
	OPENSSL_cleanse(in, sizeof(in));
	EVP_PKEY_CTX_free(c);
	return rv;
}

CK_RV
kop_verify(struct kop *k, const uint8_t *sig, size_t n)
{
	EVP_PKEY_CTX *c = NULL;
	uint8_t in[OUT_MAX], *der = NULL;
	size_t inlen = 0;
	int dlen = 0, v;
	CK_RV rv;

	if (k->sym != NULL)
		return sym_verify(k->sym, sig, n);
	if (k->mech == CKM_EDDSA)
		return eddsa(k, sig, n);
	if ((rv = input(k, in, &inlen)) != CKR_OK)
		return rv;
	raw_pad(k, in, &inlen);
	if (is_ecdsa(k->mech)) {
		if ((rv = ecdsa_raw_to_der(sig, n, ec_half(k->key), &der,
			 &dlen)) != CKR_OK)
			goto out;
	} else if (n != (size_t)EVP_PKEY_get_size(k->key)) {
		rv = CKR_SIGNATURE_LEN_RANGE;
		goto out;
	}
	rv = CKR_DEVICE_ERROR;
	if ((c = EVP_PKEY_CTX_new(k->key, NULL)) == NULL ||
	    EVP_PKEY_verify_init(c) != 1 || (rv = setup(k, c)) != CKR_OK)
		goto out;
	v = der != NULL ? EVP_PKEY_verify(c, der, (size_t)dlen, in, inlen)
			: EVP_PKEY_verify(c, sig, n, in, inlen);
	rv = v == 1 ? CKR_OK : CKR_SIGNATURE_INVALID;
out:
	OPENSSL_free(der);
	EVP_PKEY_CTX_free(c);
	return rv;
}

int
kop_finished(const struct kop *k)
{
	if (k->sym != NULL)
		return sym_finished(k->sym);
	return k->finished;
}

size_t
kop_out_len(const struct kop *k)
{
	if (k->sym != NULL)
		return sym_out_len(k->sym);
	if (k->finished)
		return k->outlen;
	if (k->kind == KOP_DIGEST)
		return (size_t)EVP_MD_CTX_get_size(k->md);
	if (is_ecdsa(k->mech))
		return 2 * ec_half(k->key);
	return (size_t)EVP_PKEY_get_size(k->key);
}

const uint8_t *
kop_result(const struct kop *k)
{
	if (k->sym != NULL)
		return sym_result(k->sym);
	return k->out;
}

void
kop_free(struct kop *k)
{
	size_t wipe;

	if (k == NULL)
		return;
	/* A secret key's operation leaves nothing in out[] (sym.c holds its
	 * result): only the fields before it are wiped. */
	wipe = k->sym != NULL ? offsetof(struct kop, out) : sizeof(*k);
	EVP_PKEY_free(k->key);
	/* A secret key's finished context goes back to the key, wiped of
	 * what it made; one that failed or stopped half-way does not. */
	if (k->kk != NULL && k->sym != NULL && sym_finished(k->sym) &&
	    k->kk->nkept < KKEY_KEPT_MAX) {
		sym_park(k->sym);
		k->kk->kept[k->kk->nkept++] = k->sym;
		k->sym = NULL;
	}
	kkey_free(k->kk);
	sym_free(k->sym);
	EVP_MD_CTX_free(k->md);
	buf_free(k->data);
	buf_free(k->label);
	OPENSSL_cleanse(k, wipe);
	free(k);
}
