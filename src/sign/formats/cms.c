#include "common/i18n.h"
#include "sign/formats/cms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/der.h"
#include "sign/formats/tsa.h"

#define OID_DATA	    "1.2.840.113549.1.7.1"
#define OID_SIGNED_DATA	    "1.2.840.113549.1.7.2"
#define OID_CONTENT_TYPE    "1.2.840.113549.1.9.3"
#define OID_MESSAGE_DIGEST  "1.2.840.113549.1.9.4"
#define OID_SIGNING_TIME    "1.2.840.113549.1.9.5"
#define OID_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"
#define OID_TIMESTAMP_TOKEN "1.2.840.113549.1.9.16.2.14"
#define OID_SHA256	    "2.16.840.1.101.3.4.2.1"
#define OID_RSA		    "1.2.840.113549.1.1.1"
#define OID_ECDSA_SHA256    "1.2.840.10045.4.3.2"

#define TSA_RESERVE 12000

#define TAG_UTC_TIME	     0x17
#define TAG_GENERALIZED_TIME 0x18

size_t
cms_size_estimate(const struct p11_signer *s, int with_tsa)
{
	size_t n = 2048 + buf_len(p11_signer_cert(s)) + p11_signer_sig_max(s), i;

	for (i = 0; i < p11_signer_chain_count(s); i++)
		n += buf_len(p11_signer_chain(s, i)) + 8;
	return n + (with_tsa ? TSA_RESERVE : 0);
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET { value } } */
static int
put_attr(struct buf *out, const char *oid, const struct buf *value)
{
	struct buf *c = buf_new(0), *set = NULL;
	int r = KYSO_ERR_NOMEM;

	if (c == NULL || (set = buf_new(0)) == NULL)
		goto out;
	if ((r = der_put_oid(c, oid)) != 0 ||
	    (r = der_wrap(set, DER_SET, value)) != 0 ||
	    (r = buf_put(c, buf_ptr(set), buf_len(set))) != 0)
		goto out;
	r = der_wrap(out, DER_SEQUENCE, c);
out:
	buf_free(c);
	buf_free(set);
	return r;
}

/* The certificate's issuer Name and serial INTEGER, DER each. */
static int
cert_issuer_serial(const struct buf *cert, struct buf *issuer, struct buf *serial)
{
	const unsigned char *p = buf_ptr(cert);
	X509 *x = d2i_X509(NULL, &p, (long)buf_len(cert));
	unsigned char *d = NULL;
	int len, r = KYSO_ERR_INVALID;

	if (x == NULL)
		return KYSO_ERR_INVALID;
	if ((len = i2d_X509_NAME(X509_get_issuer_name(x), &d)) <= 0 ||
	    (r = buf_put(issuer, d, (size_t)len)) != 0)
		goto out;
	OPENSSL_free(d);
	d = NULL;
	r = KYSO_ERR_INVALID;
	if ((len = i2d_ASN1_INTEGER((ASN1_INTEGER *)X509_get0_serialNumber(x),
		 &d)) <= 0 ||
	    (r = buf_put(serial, d, (size_t)len)) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_free(d);
	X509_free(x);
	return r;
}

/* SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2 }
 * ESSCertIDv2 ::= SEQUENCE { certHash OCTET STRING (SHA-256, the default
 * algorithm, left out), issuerSerial { GeneralNames { [4] Name }, serial } } */
static int
put_signing_cert_v2(struct buf *out, const struct buf *cert,
    const struct buf *issuer, const struct buf *serial)
{
	struct buf *id = buf_new(0), *gn = buf_new(0), *is = buf_new(0);
	struct buf *t = buf_new(0), *seq = buf_new(0);
	uint8_t h[32];
	int r = KYSO_ERR_NOMEM;

	if (id == NULL || gn == NULL || is == NULL || t == NULL || seq == NULL)
		goto out;
	if (EVP_Digest(buf_ptr(cert), buf_len(cert), h, NULL, EVP_sha256(),
		NULL) != 1) {
		r = KYSO_ERR_CRYPTO;
		goto out;
	}
	if ((r = der_wrap(t, DER_CTX_CONS(4), issuer)) != 0 ||
	    (r = der_wrap(gn, DER_SEQUENCE, t)) != 0 ||
	    (r = buf_put(gn, buf_ptr(serial), buf_len(serial))) != 0 ||
	    (r = der_wrap(is, DER_SEQUENCE, gn)) != 0 ||
	    (r = der_put(id, DER_OCTET_STRING, h, sizeof(h))) != 0 ||
	    (r = buf_put(id, buf_ptr(is), buf_len(is))) != 0)
		goto out;
	buf_reset(t);
	if ((r = der_wrap(t, DER_SEQUENCE, id)) != 0 || /* ESSCertIDv2 */
	    (r = der_wrap(seq, DER_SEQUENCE, t)) != 0)	/* SEQUENCE OF */
		goto out;
	r = der_wrap(out, DER_SEQUENCE, seq);
out:
	buf_free(id);
	buf_free(gn);
	buf_free(is);
	buf_free(t);
	buf_free(seq);
	return r;
}

/* SigningTime ::= Time (RFC 5652 11.3): UTCTime for the years 1950 to
 * 2049, GeneralizedTime otherwise, both in UTC with seconds. */
static int
put_signing_time(struct buf *out, time_t when)
{
	struct tm tm;
	char t[32];
	int n;

	if (gmtime_r(&when, &tm) == NULL)
		return KYSO_ERR_INVALID;
	if (tm.tm_year >= 50 && tm.tm_year < 150) {
		n = snprintf(t, sizeof(t), "%02d%02d%02d%02d%02d%02dZ",
		    tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
		return n == 13 ? der_put(out, TAG_UTC_TIME, t, 13)
			       : KYSO_ERR_INTERNAL;
	}
	n = snprintf(t, sizeof(t), "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n == 15 ? der_put(out, TAG_GENERALIZED_TIME, t, 15)
		       : KYSO_ERR_INTERNAL;
}

/* The signed attributes as a DER SET OF (what the token signs): those
 * CAdES B-B and PAdES B-B both require, plus signing-time when a time is
 * given (CAdES requires it; PAdES forbids it, its time being /M). */
static int
signed_attrs(const uint8_t digest[32], const struct buf *cert,
    const struct buf *issuer, const struct buf *serial, const time_t *when,
    struct buf *set)
{
	struct buf *a[4] = { NULL, NULL, NULL, NULL }, *v = buf_new(0);
	size_t i;
	int r = KYSO_ERR_NOMEM;

	for (i = 0; i < 4; i++)
		if ((a[i] = buf_new(0)) == NULL)
			goto out;
	if (v == NULL)
		goto out;
	if ((r = der_put_oid(v, OID_DATA)) != 0 ||
	    (r = put_attr(a[0], OID_CONTENT_TYPE, v)) != 0)
		goto out;
	buf_reset(v);
	if ((r = der_put(v, DER_OCTET_STRING, digest, 32)) != 0 ||
	    (r = put_attr(a[1], OID_MESSAGE_DIGEST, v)) != 0)
		goto out;
	buf_reset(v);
	if ((r = put_signing_cert_v2(v, cert, issuer, serial)) != 0 ||
	    (r = put_attr(a[2], OID_SIGNING_CERT_V2, v)) != 0)
		goto out;
	buf_reset(v);
	if (when != NULL &&
	    ((r = put_signing_time(v, *when)) != 0 ||
		(r = put_attr(a[3], OID_SIGNING_TIME, v)) != 0))
		goto out;
	r = der_put_set_of(set, a, when != NULL ? 4 : 3);
out:
	for (i = 0; i < 4; i++)
		buf_free(a[i]);
	buf_free(v);
	return r;
}

/* The one SignedData writer behind PAdES (when NULL) and CAdES. */
static int
cms_sign(struct p11_signer *s, const uint8_t digest[32], const time_t *when,
    const char *tsa_url, struct buf *out, const char **why)
{
	struct buf *issuer = buf_new(0), *serial = buf_new(0);
	struct buf *attrs = buf_new(0), *sig = buf_new(0), *si = buf_new(0);
	struct buf *sd = buf_new(0), *t = buf_new(0), *t2 = buf_new(0);
	struct buf *tst = NULL;
	const struct buf *cert = p11_signer_cert(s);
	uint8_t h[32];
	size_t i;
	int r = KYSO_ERR_NOMEM;

	*why = N_("out of memory");
	if (issuer == NULL || serial == NULL || attrs == NULL || sig == NULL ||
	    si == NULL || sd == NULL || t == NULL || t2 == NULL)
		goto out;
	if ((r = cert_issuer_serial(cert, issuer, serial)) != 0) {
		*why = N_("the token's certificate cannot be read");
		goto out;
	}
	if ((r = signed_attrs(digest, cert, issuer, serial, when, attrs)) != 0)
		goto out;
	/* The token signs SHA-256 of the DER SET OF the signed attributes. */
	if (EVP_Digest(buf_ptr(attrs), buf_len(attrs), h, NULL, EVP_sha256(),
		NULL) != 1) {
		r = KYSO_ERR_CRYPTO;
		goto out;
	}
	if ((r = p11_signer_sign_digest(s, h, sig)) != 0) {
		*why = N_("the token refused to sign");
		goto out;
	}
	if (tsa_url != NULL) {
		if ((r = tsa_timestamp(tsa_url, buf_ptr(sig), buf_len(sig),
			 &tst, why)) != 0)
			goto out;
	}
	/* SignerInfo */
	r = KYSO_ERR_NOMEM;
	if ((r = der_put(si, DER_INTEGER, "\x01", 1)) != 0 ||
	    (r = buf_put(t, buf_ptr(issuer), buf_len(issuer))) != 0 ||
	    (r = buf_put(t, buf_ptr(serial), buf_len(serial))) != 0 ||
	    (r = der_wrap(si, DER_SEQUENCE, t)) != 0 ||
	    (r = der_put_alg(si, OID_SHA256, 0)) != 0)
		goto out;
	/* [0] IMPLICIT: the SET's content under tag A0. */
	{
		uint8_t tag;
		const uint8_t *c;
		size_t clen, total;

		if ((r = der_read(buf_ptr(attrs), buf_len(attrs), &tag, &c,
			 &clen, &total)) != 0 ||
		    (r = der_put(si, DER_CTX_CONS(0), c, clen)) != 0)
			goto out;
	}
	if (p11_signer_key_type(s) == P11_SIGNER_EC)
		r = der_put_alg(si, OID_ECDSA_SHA256, 0);
	else
		r = der_put_alg(si, OID_RSA, 1);
	if (r != 0 || (r = der_wrap(si, DER_OCTET_STRING, sig)) != 0)
		goto out;
	if (tst != NULL) {
		struct buf *attr = buf_new(0);

		if (attr == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		r = put_attr(attr, OID_TIMESTAMP_TOKEN, tst);
		if (r == 0)
			r = der_wrap(si, DER_CTX_CONS(1), attr);
		buf_free(attr);
		if (r != 0)
			goto out;
	}
	/* SignedData */
	buf_reset(t);
	if ((r = der_put(sd, DER_INTEGER, "\x01", 1)) != 0 ||
	    (r = der_put_alg(t, OID_SHA256, 0)) != 0 ||
	    (r = der_wrap(sd, DER_SET, t)) != 0)
		goto out;
	buf_reset(t);
	if ((r = der_put_oid(t, OID_DATA)) != 0 ||
	    (r = der_wrap(sd, DER_SEQUENCE, t)) != 0)
		goto out;
	buf_reset(t);
	if ((r = buf_put(t, buf_ptr(cert), buf_len(cert))) != 0)
		goto out;
	for (i = 0; i < p11_signer_chain_count(s); i++)
		if ((r = buf_put(t, buf_ptr(p11_signer_chain(s, i)),
			 buf_len(p11_signer_chain(s, i)))) != 0)
			goto out;
	if ((r = der_wrap(sd, DER_CTX_CONS(0), t)) != 0)
		goto out;
	buf_reset(t);
	if ((r = der_wrap(t, DER_SEQUENCE, si)) != 0 ||
	    (r = der_wrap(sd, DER_SET, t)) != 0)
		goto out;
	/* ContentInfo */
	buf_reset(t);
	if ((r = der_put_oid(t, OID_SIGNED_DATA)) != 0 ||
	    (r = der_wrap(t2, DER_SEQUENCE, sd)) != 0 ||
	    (r = der_wrap(t, DER_CTX_CONS(0), t2)) != 0)
		goto out;
	r = der_wrap(out, DER_SEQUENCE, t);
out:
	buf_free(issuer);
	buf_free(serial);
	buf_free(attrs);
	buf_free(sig);
	buf_free(si);
	buf_free(sd);
	buf_free(t);
	buf_free(t2);
	buf_free(tst);
	return r;
}

int
cms_sign_detached(struct p11_signer *s, const uint8_t digest[32],
    const char *tsa_url, struct buf *out, const char **why)
{
	return cms_sign(s, digest, NULL, tsa_url, out, why);
}

int
cms_sign_cades(struct p11_signer *s, const uint8_t digest[32], time_t when,
    const char *tsa_url, struct buf *out, const char **why)
{
	return cms_sign(s, digest, &when, tsa_url, out, why);
}
