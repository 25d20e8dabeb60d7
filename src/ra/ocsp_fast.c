#include "ocsp_fast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca_key.h"
#include "ca_priv.h"
#include "common/der.h"
#include "ocsp.h"

#define DER_ENUMERATED	     0x0a
#define DER_GENERALIZED_TIME 0x18
#define OCSP_FAST_PREFIXES   4
#define OCSP_FAST_SIG_MAX    512 /* bytes: RSA-4096 */

struct ocsp_fast {
	EVP_PKEY *key;	    /* the responder's in PEM (the CA's), or */
	struct ca_key *tok; /* the responder's on the CA's token */
	/* PEM key: EVP_DigestSignInit done once (the algorithm fetch and key
	 * setup cost about a sixth of a P-256 signature); each answer signs
	 * with a copy, so threads never share a context being used. */
	EVP_MD_CTX *tmpl;
	struct buf *responder; /* [1] EXPLICIT Name */
	struct buf *certs;     /* [0] EXPLICIT SEQUENCE { certificate } */
	struct buf *sig_alg;   /* AlgorithmIdentifier */
	struct buf *prefix[OCSP_FAST_PREFIXES]; /* CertID parts naming the issuer */
};

/* id-pkix-ocsp-basic */
static const uint8_t oid_basic[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05,
	0x07, 0x30, 0x01, 0x01 };

/* hashAlgorithm, issuerNameHash, issuerKeyHash of a CertID for issuer */
static int
prefix_new(X509 *issuer, const char *oid, const EVP_MD *md, int with_null,
    struct buf **out)
{
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(issuer);
	uint8_t *name = NULL, h[EVP_MAX_MD_SIZE];
	unsigned hl;
	int nl, r = KYSO_ERR_CRYPTO;
	struct buf *b = buf_new(0);

	if (b == NULL)
		return KYSO_ERR_NOMEM;
	if (key == NULL ||
	    (nl = i2d_X509_NAME(X509_get_subject_name(issuer), &name)) <= 0)
		goto out;
	if ((r = der_put_alg(b, oid, with_null)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if (EVP_Digest(name, (size_t)nl, h, &hl, md, NULL) != 1 ||
	    der_put(b, DER_OCTET_STRING, h, hl) != 0 ||
	    EVP_Digest(key->data, (size_t)key->length, h, &hl, md, NULL) != 1 ||
	    der_put(b, DER_OCTET_STRING, h, hl) != 0)
		goto out;
	*out = b;
	b = NULL;
	r = 0;
out:
	OPENSSL_free(name);
	buf_free(b);
	return r;
}

/* DER bytes of an OpenSSL object, wrapped in tag (0: as they are). */
static int
put_i2d(struct buf *out, uint8_t tag, int len, uint8_t *der)
{
	int r = KYSO_ERR_CRYPTO;

	if (len > 0)
		r = tag ? der_put(out, tag, der, (size_t)len)
			: buf_put(out, der, (size_t)len);
	OPENSSL_free(der);
	return r;
}

int
ocsp_fast_new(const struct ca *ca, struct ocsp_fast **out)
{
	struct ocsp_fast *f = calloc(1, sizeof(*f));
	struct buf *seq = NULL;
	uint8_t *d = NULL;
	int len, r = KYSO_ERR_NOMEM;

	if (ca->ocsp_tok == NULL && ca->ocsp_key == NULL) {
		free(f);
		return KYSO_ERR_UNSUPPORTED;
	}
	if (f == NULL || (f->responder = buf_new(0)) == NULL ||
	    (f->certs = buf_new(0)) == NULL ||
	    (f->sig_alg = buf_new(0)) == NULL || (seq = buf_new(0)) == NULL)
		goto fail;
	f->key = ca->ocsp_tok != NULL ? NULL : ca->ocsp_key;
	f->tok = ca->ocsp_tok;
	len = i2d_X509_NAME(X509_get_subject_name(ca->ocsp), &d);
	if ((r = put_i2d(f->responder, DER_CTX_CONS(1), len, d)) != 0)
		goto fail;
	d = NULL;
	len = i2d_X509(ca->ocsp, &d);
	if ((r = put_i2d(seq, 0, len, d)) != 0)
		goto fail;
	/* [0] { SEQUENCE { cert } } */
	{
		struct buf *s2 = buf_new(0);

		r = s2 == NULL ? KYSO_ERR_NOMEM : der_wrap(s2, DER_SEQUENCE, seq);
		if (r == 0)
			r = der_wrap(f->certs, DER_CTX_CONS(0), s2);
		buf_free(s2);
		if (r != 0)
			goto fail;
	}
	if (f->tok != NULL) {
		size_t al;
		const uint8_t *alg = ca_key_alg(f->tok, &al);

		r = buf_put(f->sig_alg, alg, al);
	} else if ((r = der_put_sig_alg(f->sig_alg,
			EVP_PKEY_get_base_id(f->key) == EVP_PKEY_EC)) == 0 &&
	    ((f->tmpl = EVP_MD_CTX_new()) == NULL ||
		EVP_PKEY_get_size(f->key) > OCSP_FAST_SIG_MAX ||
		EVP_DigestSignInit(f->tmpl, NULL, EVP_sha256(), NULL, f->key) !=
		    1))
		r = KYSO_ERR_CRYPTO;
	if (r != 0 ||
	    (r = prefix_new(ca->issuing, "1.3.14.3.2.26", EVP_sha1(), 1,
		 &f->prefix[0])) != 0 ||
	    (r = prefix_new(ca->issuing, "1.3.14.3.2.26", EVP_sha1(), 0,
		 &f->prefix[1])) != 0 ||
	    (r = prefix_new(ca->issuing, "2.16.840.1.101.3.4.2.1", EVP_sha256(),
		 1, &f->prefix[2])) != 0 ||
	    (r = prefix_new(ca->issuing, "2.16.840.1.101.3.4.2.1", EVP_sha256(),
		 0, &f->prefix[3])) != 0)
		goto fail;
	buf_free(seq);
	*out = f;
	return 0;
fail:
	buf_free(seq);
	ocsp_fast_free(f);
	return r;
}

void
ocsp_fast_free(struct ocsp_fast *f)
{
	size_t i;

	if (f == NULL)
		return;
	buf_free(f->responder);
	buf_free(f->certs);
	buf_free(f->sig_alg);
	EVP_MD_CTX_free(f->tmpl);
	for (i = 0; i < OCSP_FAST_PREFIXES; i++)
		buf_free(f->prefix[i]);
	free(f);
}

int
ocsp_fast_ours(const struct ocsp_fast *f, const struct ocsp_req_key *k)
{
	size_t i;

	for (i = 0; i < OCSP_FAST_PREFIXES; i++)
		if (buf_len(f->prefix[i]) == k->issuer_len &&
		    memcmp(buf_ptr(f->prefix[i]), k->issuer, k->issuer_len) == 0)
			return 1;
	return 0;
}

/* GeneralizedTime, as RFC 6960 wants (YYYYMMDDHHMMSSZ). */
static int
put_gtime(struct buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];
	int n;

	if (gmtime_r(&tt, &tm) == NULL)
		return KYSO_ERR_INVALID;
	n = snprintf(s, sizeof(s), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n != 15)
		return KYSO_ERR_INVALID;
	return der_put(b, DER_GENERALIZED_TIME, s, (size_t)n);
}

/* SingleResponse ::= SEQUENCE { certID, certStatus, thisUpdate,
 * [0] EXPLICIT nextUpdate } */
static int
put_single(struct buf *out, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, struct buf *t1, struct buf *t2)
{
	static const uint8_t good[] = { 0x80, 0x00 }, unknown[] = { 0x82, 0x00 };
	uint8_t reason = (uint8_t)st->reason;
	int r;

	if ((r = buf_put(t1, k->certid, k->certid_len)) != 0)
		return r;
	if (st->status == OCSP_GOOD)
		r = buf_put(t1, good, sizeof(good));
	else if (st->status == OCSP_UNKNOWN)
		r = buf_put(t1, unknown, sizeof(unknown));
	else {
		/* revoked [1] IMPLICIT SEQUENCE { revocationTime,
		 * [0] EXPLICIT revocationReason } */
		buf_reset(t2);
		if ((r = put_gtime(t2, st->revoked_at)) == 0 &&
		    (r = buf_put(t2,
			 (const uint8_t[]){ DER_CTX_CONS(0), 3, DER_ENUMERATED,
			     1, reason },
			 5)) == 0)
			r = der_wrap(t1, DER_CTX_CONS(1), t2);
	}
	if (r != 0 || (r = put_gtime(t1, now)) != 0)
		return r;
	buf_reset(t2);
	if ((r = put_gtime(t2, now + 3600)) != 0 ||
	    (r = der_wrap(t1, DER_CTX_CONS(0), t2)) != 0)
		return r;
	return der_wrap(out, DER_SEQUENCE, t1);
}

/* The signature BIT STRING's content over tbs into out (reset): a zero
 * (no unused bits), then the signature, by the PEM key or the token. */
static int
sign(const struct ocsp_fast *f, EVP_MD_CTX *md, const struct buf *tbs,
    struct buf *out)
{
	uint8_t sig[OCSP_FAST_SIG_MAX];
	size_t slen = sizeof(sig);
	int r;

	buf_reset(out);
	if ((r = buf_put(out, (const uint8_t[]){ 0 }, 1)) != 0)
		return r;
	if (f->tok != NULL) {
		struct buf *t = buf_new(0);

		r = t == NULL
		    ? KYSO_ERR_NOMEM
		    : ca_key_sign_bytes(f->tok, buf_ptr(tbs), buf_len(tbs), t);
		if (r == 0)
			r = buf_put(out, buf_ptr(t), buf_len(t));
		buf_free(t);
		return r;
	}
	if (EVP_MD_CTX_copy_ex(md, f->tmpl) != 1 ||
	    EVP_DigestSign(md, sig, &slen, buf_ptr(tbs), buf_len(tbs)) != 1)
		return KYSO_ERR_CRYPTO;
	return buf_put(out, sig, slen);
}

int
ocsp_fast_respond(const struct ocsp_fast *f, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, struct buf *out)
{
	struct buf *a = buf_new(0), *b = buf_new(0), *c = buf_new(0),
		   *d = buf_new(0);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = KYSO_ERR_NOMEM;

	if (a == NULL || b == NULL || c == NULL || d == NULL || md == NULL)
		goto out;
	/* ResponseData ::= SEQUENCE { responderID, producedAt, responses
	 * SEQUENCE OF SingleResponse, [1] EXPLICIT responseExtensions } */
	if ((r = buf_put(a, buf_ptr(f->responder), buf_len(f->responder))) != 0 ||
	    (r = put_gtime(a, now)) != 0 ||
	    (r = put_single(b, k, st, now, c, d)) != 0 ||
	    (r = der_wrap(a, DER_SEQUENCE, b)) != 0)
		goto out;
	if (k->nonce_ext != NULL) {
		buf_reset(b);
		buf_reset(c);
		if ((r = buf_put(c, k->nonce_ext, k->nonce_ext_len)) != 0 ||
		    (r = der_wrap(b, DER_SEQUENCE, c)) != 0 ||
		    (r = der_wrap(a, DER_CTX_CONS(1), b)) != 0)
			goto out;
	}
	buf_reset(b);
	if ((r = der_wrap(b, DER_SEQUENCE, a)) != 0) /* b: tbsResponseData */
		goto out;
	if ((r = sign(f, md, b, d)) != 0) /* d: 0 unused bits, signature */
		goto out;
	/* BasicOCSPResponse ::= SEQUENCE { tbsResponseData,
	 * signatureAlgorithm, signature, [0] EXPLICIT certs } */
	buf_reset(a);
	if ((r = buf_put(a, buf_ptr(b), buf_len(b))) != 0 ||
	    (r = buf_put(a, buf_ptr(f->sig_alg), buf_len(f->sig_alg))) != 0 ||
	    (r = der_put(a, DER_BIT_STRING, buf_ptr(d), buf_len(d))) != 0 ||
	    (r = buf_put(a, buf_ptr(f->certs), buf_len(f->certs))) != 0)
		goto out;
	buf_reset(b);
	buf_reset(c);
	/* OCSPResponse ::= SEQUENCE { responseStatus successful,
	 * [0] EXPLICIT ResponseBytes { id-pkix-ocsp-basic, OCTET STRING } } */
	if ((r = der_wrap(b, DER_SEQUENCE, a)) != 0 ||
	    (r = buf_put(c, oid_basic, sizeof(oid_basic))) != 0 ||
	    (r = der_wrap(c, DER_OCTET_STRING, b)) != 0)
		goto out;
	buf_reset(a);
	buf_reset(b);
	if ((r = buf_put(a, (const uint8_t[]){ DER_ENUMERATED, 1, 0 }, 3)) != 0 ||
	    (r = der_wrap(b, DER_SEQUENCE, c)) != 0 ||
	    (r = der_wrap(a, DER_CTX_CONS(0), b)) != 0)
		goto out;
	r = der_wrap(out, DER_SEQUENCE, a);
out:
	EVP_MD_CTX_free(md);
	buf_free(a);
	buf_free(b);
	buf_free(c);
	buf_free(d);
	return r;
}
