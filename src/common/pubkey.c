#include "pubkey.h"

#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

/* The prime curves PKCS#11 keys may be on, by their DER OID (the
 * CKA_EC_PARAMS namedCurve): OpenSSL's group name and the field size. */
static const struct curve {
	const char *name;
	unsigned bits;
	size_t oidlen;
	uint8_t oid[11];
} curves[] = {
	{ "P-256", 256, 10,
	    { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 } },
	{ "P-384", 384, 7, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 } },
	{ "P-521", 521, 7, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 } },
	{ "brainpoolP256r1", 256, 11,
	    { 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07 } },
	{ "brainpoolP384r1", 384, 11,
	    { 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b } },
	{ "brainpoolP512r1", 512, 11,
	    { 0x06, 0x09, 0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d } },
};

#define NCURVES (sizeof(curves) / sizeof(curves[0]))

static const struct curve *
curve_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < NCURVES; i++)
		if (strcmp(curves[i].name, name) == 0)
			return &curves[i];
	return NULL;
}

const char *
pubkey_curve_name(const uint8_t *oid, size_t n)
{
	size_t i;

	for (i = 0; i < NCURVES; i++)
		if (n == curves[i].oidlen && memcmp(oid, curves[i].oid, n) == 0)
			return curves[i].name;
	return NULL;
}

const uint8_t *
pubkey_curve_oid(const char *name, size_t *n)
{
	const struct curve *c = curve_by_name(name);

	if (c == NULL)
		return NULL;
	*n = c->oidlen;
	return c->oid;
}

unsigned
pubkey_curve_bits(const char *name)
{
	const struct curve *c = curve_by_name(name);

	return c != NULL ? c->bits : 0;
}

int
pubkey_der_octets(const uint8_t *p, size_t n, const uint8_t **v, size_t *vn)
{
	return pubkey_der_value(p, n, 0x04, v, vn);
}

int
pubkey_der_value(const uint8_t *p, size_t n, uint8_t tag, const uint8_t **v,
    size_t *vn)
{
	size_t len, hdr;

	if (n < 2 || p[0] != tag)
		return 0;
	if (p[1] < 0x80) {
		len = p[1];
		hdr = 2;
	} else if (p[1] == 0x81 && n >= 3 && p[2] >= 0x80) {
		len = p[2];
		hdr = 3;
	} else if (p[1] == 0x82 && n >= 4 && p[2] != 0) {
		len = ((size_t)p[2] << 8) | p[3];
		hdr = 4;
	} else {
		return 0;
	}
	if (n - hdr != len)
		return 0;
	*v = p + hdr;
	*vn = len;
	return 1;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY *k = NULL;

	if (params != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
		k = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

EVP_PKEY *
pubkey_rsa(const uint8_t *n, size_t nlen, const uint8_t *e, size_t elen)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	EVP_PKEY *k = NULL;

	if (nlen == 0 || elen == 0 || nlen > INT_MAX || elen > INT_MAX)
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    (bn = BN_bin2bn(n, (int)nlen, NULL)) != NULL &&
	    (be = BN_bin2bn(e, (int)elen, NULL)) != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		k = from_params("RSA", bld);
	BN_free(bn);
	BN_free(be);
	OSSL_PARAM_BLD_free(bld);
	return k;
}

/* A point encoding for a curve of fb-byte coordinates: uncompressed
 * (04 X Y) or compressed (02/03 X). Not the one-byte point at infinity,
 * which OpenSSL takes as a key, and against which any ECDSA "signature"
 * with s = 1 verifies. */
static int
point_form_ok(const uint8_t *p, size_t n, size_t fb)
{
	return (n == 1 + 2 * fb && p[0] == 0x04) ||
	    (n == 1 + fb && (p[0] == 0x02 || p[0] == 0x03));
}

EVP_PKEY *
pubkey_ec(const uint8_t *oid, size_t oidlen, const uint8_t *point, size_t ptlen)
{
	const char *curve = pubkey_curve_name(oid, oidlen);
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *k = NULL;
	size_t fb;

	if (curve == NULL)
		return NULL;
	/* A CKA_EC_POINT is the point in a DER OCTET STRING (a long-form
	 * length from P-521 on); some modules give the bare point, whose
	 * lengths tell it apart. */
	fb = (pubkey_curve_bits(curve) + 7) / 8;
	if (ptlen != 1 + fb && ptlen != 1 + 2 * fb &&
	    !pubkey_der_octets(point, ptlen, &point, &ptlen))
		return NULL;
	if (!point_form_ok(point, ptlen, fb))
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		curve, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		point, ptlen) == 1)
		k = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return k;
}
