/* PKCS#10 requests as kyso-ra takes them: read with the DER reader, the
 * key made from its pieces and the signature checked over the request
 * info's bytes as they came. OpenSSL 3.0's d2i of a request runs its
 * decoder framework for the key, which costs more than the rest of an
 * issuance together; nothing here needs it. An EC key is no EVP_PKEY
 * at all (csr_ec.c: without the provider's fetches and key copies
 * around one ECDSA verification). */
#include "ca_priv.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "common/buf.h"
#include "common/der.h"
#include "common/pubkey.h"
#include "csr_ec.h"

#define CSR_MAX_PEM (32 * 1024)

struct ca_csr {
	uint8_t *der; /* the whole request */
	long der_len;
	int ec;		     /* else RSA */
	EVP_PKEY *key;	     /* RSA */
	struct csr_ec *eck;  /* EC */
	int curve_nid;	     /* EC: NID_X9_62_prime256v1 or NID_secp384r1 */
	const uint8_t *spki; /* the SubjectPublicKeyInfo element in der */
	size_t spki_len;
	struct buf *spki_own; /* or this one, made uncompressed */
	const uint8_t *bits; /* subjectPublicKey, without its unused-bits byte */
	size_t bits_len;
};

/* The DER of the OIDs a request may carry. */
static const uint8_t oid_ec_key[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x02, 0x01 };
static const uint8_t oid_rsa_key[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
	0x0d, 0x01, 0x01, 0x01 };

static const struct {
	uint8_t oid[11];
	size_t len;
	int ec;
	const char *md;
} sig_algs[] = {
	{ { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 }, 10, 1,
	    "SHA256" },
	{ { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 }, 10, 1,
	    "SHA384" },
	{ { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 }, 10, 1,
	    "SHA512" },
	{ { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b },
	    11, 0, "SHA256" },
	{ { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c },
	    11, 0, "SHA384" },
	{ { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d },
	    11, 0, "SHA512" },
};

/* One element of the given tag at *p; moves *p and *left past it. */
static int
take(const uint8_t **p, size_t *left, uint8_t want, const uint8_t **content,
    size_t *clen, const uint8_t **whole, size_t *wlen)
{
	uint8_t tag;
	size_t total, hdr, k;

	if (der_read(*p, *left, &tag, content, clen, &total) != 0 || tag != want)
		return KYSO_ERR_INVALID;
	/* DER's length: the short form below 128, else the fewest bytes
	 * (what is copied into a certificate must be DER). */
	for (hdr = 2, k = *clen; *clen >= 0x80 && k > 0; k >>= 8)
		hdr++;
	if (total - *clen != hdr)
		return KYSO_ERR_INVALID;
	if (whole != NULL) {
		*whole = *p;
		*wlen = total;
	}
	*p += total;
	*left -= total;
	return 0;
}

/* The content of a BIT STRING with no unused bits. */
static int
bit_string(const uint8_t *c, size_t n, const uint8_t **bits, size_t *len)
{
	if (n < 2 || c[0] != 0)
		return KYSO_ERR_INVALID;
	*bits = c + 1;
	*len = n - 1;
	return 0;
}

/* An INTEGER's magnitude: positive and in DER's minimal form (a zero
 * byte only before a high bit: "00 00 01" is not e = 1 to be let by),
 * without the sign byte. */
static int
unsigned_int(const uint8_t **p, size_t *left, const uint8_t **v, size_t *n)
{
	if (take(p, left, DER_INTEGER, v, n, NULL, NULL) != 0 || *n == 0 ||
	    ((*v)[0] & 0x80) || (*n > 1 && (*v)[0] == 0 && ((*v)[1] & 0x80) == 0))
		return KYSO_ERR_INVALID;
	if (*n > 1 && (*v)[0] == 0) {
		(*v)++;
		(*n)--;
	}
	return 0;
}

/* Issue 15: a compressed EC point (02/03 X) was copied into the
 * certificate as sent; some verifiers take only the uncompressed form
 * (RFC 5480 2.2: uncompressed MUST be supported, compressed MAY). The
 * SPKI is written again, { { id-ecPublicKey, curve }, 04 X Y }, and
 * c->spki and c->bits point into that. curve is the request's named
 * curve OID, which spki_key found byte for byte in pubkey.c's table. */
static int
spki_uncompressed(struct ca_csr *c, const uint8_t *curve, size_t clen)
{
	struct buf *alg = buf_new(0), *bits = buf_new(0), *in = buf_new(0),
		   *out = buf_new(0);
	int r = KYSO_ERR_NOMEM;

	if (alg == NULL || bits == NULL || in == NULL || out == NULL)
		goto out;
	if ((r = buf_put(alg, oid_ec_key, sizeof(oid_ec_key))) != 0 ||
	    (r = buf_put(alg, curve, clen)) != 0 ||
	    (r = der_wrap(in, DER_SEQUENCE, alg)) != 0 ||
	    (r = buf_put_u8(bits, 0)) != 0 ||
	    (r = csr_ec_put_uncompressed(c->eck, bits)) != 0 ||
	    (r = der_wrap(in, DER_BIT_STRING, bits)) != 0 ||
	    (r = der_wrap(out, DER_SEQUENCE, in)) != 0)
		goto out;
	c->spki_own = out;
	out = NULL;
	c->spki = buf_ptr(c->spki_own);
	c->spki_len = buf_len(c->spki_own);
	/* The BIT STRING's content ends the SPKI: 00, then the point. */
	c->bits_len = buf_len(bits) - 1;
	c->bits = c->spki + c->spki_len - c->bits_len;
	r = 0;
out:
	buf_free(alg);
	buf_free(bits);
	buf_free(in);
	buf_free(out);
	return r;
}

/* SubjectPublicKeyInfo: the key and what kind it is. Unknown kinds and
 * curves are KYSO_ERR_UNSUPPORTED, broken encodings KYSO_ERR_INVALID. */
static int
spki_key(struct ca_csr *c, const uint8_t *p, size_t left)
{
	const uint8_t *alg, *oid, *param, *bs, *x, *seq, *n, *e;
	size_t alen, olen, plen, bslen, xlen, seqlen, nlen, elen;
	const char *curve;
	int r;

	if (take(&p, &left, DER_SEQUENCE, &alg, &alen, NULL, NULL) != 0 ||
	    take(&p, &left, DER_BIT_STRING, &bs, &bslen, NULL, NULL) != 0 ||
	    left != 0 || bit_string(bs, bslen, &c->bits, &c->bits_len) != 0 ||
	    take(&alg, &alen, DER_OID, &x, &xlen, &oid, &olen) != 0)
		return KYSO_ERR_INVALID;
	if (olen == sizeof(oid_ec_key) && memcmp(oid, oid_ec_key, olen) == 0) {
		/* A named curve; explicit parameters (a SEQUENCE) are not
		 * taken. */
		if (take(&alg, &alen, DER_OID, &x, &xlen, &param, &plen) != 0)
			return alen > 0 && alg[0] == DER_SEQUENCE
			    ? KYSO_ERR_UNSUPPORTED
			    : KYSO_ERR_INVALID;
		if (alen != 0)
			return KYSO_ERR_INVALID;
		/* The RA issues for P-256 and P-384 only (the token's other
		 * curves are no key_type of a registration). */
		if ((curve = pubkey_curve_name(param, plen)) == NULL ||
		    (strcmp(curve, "P-256") != 0 && strcmp(curve, "P-384") != 0))
			return KYSO_ERR_UNSUPPORTED;
		c->ec = 1;
		c->curve_nid = strcmp(curve, "P-256") == 0 ? NID_X9_62_prime256v1
							   : NID_secp384r1;
		if ((r = csr_ec_new(c->curve_nid, c->bits, c->bits_len,
			 &c->eck)) != 0)
			return r;
		return c->bits[0] == 0x04 ? 0 : spki_uncompressed(c, param, plen);
	}
	if (olen != sizeof(oid_rsa_key) || memcmp(oid, oid_rsa_key, olen) != 0)
		return KYSO_ERR_UNSUPPORTED;
	if (alen != 0 &&
	    (take(&alg, &alen, DER_NULL, &x, &xlen, NULL, NULL) != 0 || alen != 0))
		return KYSO_ERR_INVALID;
	/* RSAPublicKey ::= SEQUENCE { modulus, publicExponent } */
	x = c->bits;
	xlen = c->bits_len;
	if (take(&x, &xlen, DER_SEQUENCE, &seq, &seqlen, NULL, NULL) != 0 ||
	    xlen != 0 || unsigned_int(&seq, &seqlen, &n, &nlen) != 0 ||
	    unsigned_int(&seq, &seqlen, &e, &elen) != 0 || seqlen != 0)
		return KYSO_ERR_INVALID;
	/* An exponent of 1 (or an even one) makes any "signature" verify:
	 * odd, at least 3, at most 64 bits. */
	if (elen > 8 || (e[elen - 1] & 1) == 0 || (elen == 1 && e[0] < 3))
		return KYSO_ERR_UNSUPPORTED;
	c->key = pubkey_rsa(n, nlen, e, elen);
	return c->key != NULL ? 0 : KYSO_ERR_INVALID;
}

/* The key against the registered key_type: KYSO_ERR_UNSUPPORTED for a
 * key never taken, KYSO_ERR_PERMISSION for one of another type. */
static int
key_acceptable(const struct ca_csr *c, const char *key_type)
{
	int bits;

	if (c->ec) {
		if (c->curve_nid == NID_X9_62_prime256v1)
			return strcmp(key_type, "p256") == 0
			    ? 0
			    : KYSO_ERR_PERMISSION;
		return strcmp(key_type, "p384") == 0 ? 0 : KYSO_ERR_PERMISSION;
	}
	bits = EVP_PKEY_get_bits(c->key);
	if (bits < 2048)
		return KYSO_ERR_UNSUPPORTED;
	if ((strcmp(key_type, "rsa2048") == 0 && bits == 2048) ||
	    (strcmp(key_type, "rsa3072") == 0 && bits == 3072))
		return 0;
	return KYSO_ERR_PERMISSION;
}

/* The signature algorithm's digest (SHA-256 or better, of the key's
 * kind), or NULL. */
static const char *
sig_digest(const struct ca_csr *c, const uint8_t *alg, size_t alen)
{
	const uint8_t *oid, *x;
	size_t olen, xlen, i;

	if (take(&alg, &alen, DER_OID, &x, &xlen, &oid, &olen) != 0)
		return NULL;
	for (i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++) {
		if (olen != sig_algs[i].len ||
		    memcmp(oid, sig_algs[i].oid, olen) != 0)
			continue;
		if (sig_algs[i].ec != c->ec)
			return NULL;
		/* ECDSA has no parameters; RSA's are NULL or absent. */
		if (alen != 0 &&
		    (c->ec ||
			take(&alg, &alen, DER_NULL, &x, &xlen, NULL, NULL) != 0 ||
			alen != 0))
			return NULL;
		return sig_algs[i].md;
	}
	return NULL;
}

/* An RSA request's signature (PKCS#1 v1.5): 0, else KYSO_ERR_CRYPTO. */
static int
rsa_verify(EVP_PKEY *key, const char *md, const uint8_t *tbs, size_t tbslen,
    const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int r = KYSO_ERR_CRYPTO;

	if (m != NULL &&
	    EVP_DigestVerifyInit_ex(m, NULL, md, NULL, NULL, key, NULL) == 1 &&
	    EVP_DigestVerify(m, sig, siglen, tbs, tbslen) == 1)
		r = 0;
	EVP_MD_CTX_free(m);
	return r;
}

int
ca_csr_parse(const char *pem, size_t len, const char *key_type,
    struct ca_csr **out)
{
	struct ca_csr *c = calloc(1, sizeof(*c));
	BIO *b = NULL;
	char *name = NULL, *hdr = NULL;
	const uint8_t *p, *req, *info, *tbs, *alg, *sig, *x, *v;
	size_t left, reqlen, infolen, tbslen, alen, siglen, xlen, vlen;
	const char *md;
	int r = KYSO_ERR_INVALID;

	*out = NULL;
	if (c == NULL)
		return KYSO_ERR_NOMEM;
	if (len > CSR_MAX_PEM)
		goto out;
	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if (PEM_read_bio(b, &name, &hdr, &c->der, &c->der_len) != 1 ||
	    c->der_len <= 0 ||
	    (strcmp(name, "CERTIFICATE REQUEST") != 0 &&
		strcmp(name, "NEW CERTIFICATE REQUEST") != 0))
		goto out;
	/* CertificationRequest ::= SEQUENCE { certificationRequestInfo,
	 *     signatureAlgorithm, signature BIT STRING } */
	p = c->der;
	left = (size_t)c->der_len;
	if (take(&p, &left, DER_SEQUENCE, &req, &reqlen, NULL, NULL) != 0 ||
	    left != 0 ||
	    take(&req, &reqlen, DER_SEQUENCE, &info, &infolen, &tbs, &tbslen) !=
		0 ||
	    take(&req, &reqlen, DER_SEQUENCE, &alg, &alen, NULL, NULL) != 0 ||
	    take(&req, &reqlen, DER_BIT_STRING, &sig, &siglen, NULL, NULL) != 0 ||
	    reqlen != 0 || bit_string(sig, siglen, &sig, &siglen) != 0)
		goto out;
	/* CertificationRequestInfo ::= SEQUENCE { version 0, subject,
	 *     subjectPKInfo, attributes [0] } */
	if (take(&info, &infolen, DER_INTEGER, &v, &vlen, NULL, NULL) != 0 ||
	    vlen != 1 || v[0] != 0 ||
	    take(&info, &infolen, DER_SEQUENCE, &x, &xlen, NULL, NULL) != 0 ||
	    take(&info, &infolen, DER_SEQUENCE, &x, &xlen, &c->spki,
		&c->spki_len) != 0)
		goto out;
	if ((r = spki_key(c, x, xlen)) != 0)
		goto out;
	r = KYSO_ERR_INVALID;
	if (infolen != 0 &&
	    (take(&info, &infolen, DER_CTX_CONS(0), &v, &vlen, NULL, NULL) != 0 ||
		infolen != 0))
		goto out;
	if ((r = key_acceptable(c, key_type)) != 0)
		goto out;
	r = KYSO_ERR_UNSUPPORTED;
	if ((md = sig_digest(c, alg, alen)) == NULL)
		goto out;
	r = c->ec ? csr_ec_verify(c->eck, md, tbs, tbslen, sig, siglen)
		  : rsa_verify(c->key, md, tbs, tbslen, sig, siglen);
	if (r != 0)
		goto out;
	*out = c;
	c = NULL;
	r = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	BIO_free(b);
	ca_csr_free(c);
	return r;
}

void
ca_csr_free(struct ca_csr *c)
{
	if (c == NULL)
		return;
	EVP_PKEY_free(c->key);
	csr_ec_free(c->eck);
	buf_free(c->spki_own);
	OPENSSL_free(c->der);
	free(c);
}

void
ca_csr_spki(const struct ca_csr *c, const uint8_t **spki, size_t *len,
    const uint8_t **bits, size_t *blen)
{
	*spki = c->spki;
	*len = c->spki_len;
	*bits = c->bits;
	*blen = c->bits_len;
}
