/* A subscriber's certificate, written as DER with the DER writer: what
 * every certificate shares was made once at load (ca.c leaf_parts), the
 * subject's key goes in as the request carried it, and the signer signs
 * the TBS bytes. Building it through OpenSSL's X509 objects copied and
 * re-encoded every part several times over. */
#include "ca_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/der.h"

#define DAY (24 * 3600)

#define DER_UTC_TIME	     0x17
#define DER_GENERALIZED_TIME 0x18
#define DER_UTF8_STRING	     0x0c

/* id-ce-subjectKeyIdentifier and id-ce-subjectAltName */
static const uint8_t oid_ski[] = { 0x06, 0x03, 0x55, 0x1d, 0x0e };
static const uint8_t oid_san[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };
/* kyso's legal-name extension (X509_TEXT_OID_LEGAL_NAME) */
static const uint8_t oid_legal[] = { 0x06, 0x14, 0x69, 0x81, 0xc7, 0xbb, 0x8b,
	0xe0, 0xf1, 0x8d, 0x82, 0xbb, 0x89, 0x92, 0xdc, 0x8f, 0xbb, 0xd0, 0xf6,
	0x88, 0xce, 0x29 };

/* UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
static int
put_time(struct buf *b, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[32];
	int n, year, utc;

	if (gmtime_r(&tt, &tm) == NULL)
		return KYSO_ERR_INVALID;
	year = tm.tm_year + 1900;
	utc = year >= 1950 && year < 2050;
	n = snprintf(s, sizeof(s), "%0*d%02d%02d%02d%02d%02dZ", utc ? 2 : 4,
	    utc ? year % 100 : year, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= sizeof(s))
		return KYSO_ERR_INVALID;
	return der_put(b, utc ? DER_UTC_TIME : DER_GENERALIZED_TIME, s,
	    (size_t)n);
}

/* Extension ::= SEQUENCE { extnID, extnValue OCTET STRING (value) } */
static int
put_ext(struct buf *out, const uint8_t *oid, size_t oidlen,
    const struct buf *value)
{
	struct buf *e = buf_new(0);
	int r = KYSO_ERR_NOMEM;

	if (e != NULL && (r = buf_put(e, oid, oidlen)) == 0 &&
	    (r = der_wrap(e, DER_OCTET_STRING, value)) == 0)
		r = der_wrap(out, DER_SEQUENCE, e);
	buf_free(e);
	return r;
}

/* subjectKeyIdentifier: SHA-1 of the subjectPublicKey bits (RFC 5280
 * 4.2.1.2, method 1); subjectAltName: the rfc822Name; and, when the
 * subject cannot hold the legal name whole (longer than CN's and O's 64
 * characters), the name in kyso's non-critical extension, a UTF8String,
 * as Vietnamese CAs keep long company names (issue 15). */
static int
put_subject_exts(struct buf *out, const uint8_t *bits, size_t blen,
    const char *email, const char *legal)
{
	struct buf *v = buf_new(0), *names = buf_new(0);
	uint8_t id[SHA_DIGEST_LENGTH];
	int r = KYSO_ERR_NOMEM;

	if (v == NULL || names == NULL)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if (EVP_Digest(bits, blen, id, NULL, EVP_sha1(), NULL) != 1)
		goto out;
	if ((r = der_put(v, DER_OCTET_STRING, id, sizeof(id))) != 0 ||
	    (r = put_ext(out, oid_ski, sizeof(oid_ski), v)) != 0)
		goto out;
	buf_reset(v);
	/* GeneralNames ::= SEQUENCE { [1] IMPLICIT IA5String } */
	if ((r = der_put(names, 0x81, email, strlen(email))) != 0 ||
	    (r = der_wrap(v, DER_SEQUENCE, names)) != 0)
		goto out;
	if ((r = put_ext(out, oid_san, sizeof(oid_san), v)) != 0 || legal == NULL)
		goto out;
	buf_reset(v);
	if ((r = der_put(v, DER_UTF8_STRING, legal, strlen(legal))) != 0)
		goto out;
	r = put_ext(out, oid_legal, sizeof(oid_legal), v);
out:
	buf_free(v);
	buf_free(names);
	return r;
}

/* TBSCertificate ::= SEQUENCE { [0] version 3, serialNumber, signature,
 *     issuer, validity, subject, subjectPublicKeyInfo, [3] extensions } */
static int
tbs_build(struct ca *ca, const struct ca_csr *csr, const uint8_t *serial,
    const struct buf *subject, int64_t nb, int64_t na, const char *email,
    const char *legal, struct buf *tbs)
{
	static const uint8_t v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	struct buf *body = buf_new(0), *val = buf_new(0), *exts = buf_new(0),
		   *seq = buf_new(0);
	const uint8_t *alg, *spki, *bits;
	size_t alen, slen, blen;
	int r = KYSO_ERR_NOMEM;

	if (body == NULL || val == NULL || exts == NULL || seq == NULL)
		goto out;
	alg = ca_key_alg(ca->key, &alen);
	ca_csr_spki(csr, &spki, &slen, &bits, &blen);
	if ((r = buf_put(body, v3, sizeof(v3))) != 0 ||
	    (r = der_put(body, DER_INTEGER, serial, CA_SERIAL_LEN)) != 0 ||
	    (r = buf_put(body, alg, alen)) != 0 ||
	    (r = buf_put(body, buf_ptr(ca->issuer_der),
		 buf_len(ca->issuer_der))) != 0 ||
	    (r = put_time(val, nb)) != 0 || (r = put_time(val, na)) != 0 ||
	    (r = der_wrap(body, DER_SEQUENCE, val)) != 0 ||
	    (r = buf_put(body, buf_ptr(subject), buf_len(subject))) != 0 ||
	    (r = buf_put(body, spki, slen)) != 0)
		goto out;
	if ((r = buf_put(exts, buf_ptr(ca->leaf_exts), buf_len(ca->leaf_exts))) !=
		0 ||
	    (r = put_subject_exts(exts, bits, blen, email, legal)) != 0 ||
	    (r = der_wrap(seq, DER_SEQUENCE, exts)) != 0 ||
	    (r = der_wrap(body, DER_CTX_CONS(3), seq)) != 0)
		goto out;
	r = der_wrap(tbs, DER_SEQUENCE, body);
out:
	buf_free(body);
	buf_free(val);
	buf_free(exts);
	buf_free(seq);
	return r;
}

/* PEM of a certificate's DER: base64 in lines of 64. */
static char *
pem_of_der(const struct buf *der)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "-----END CERTIFICATE-----\n";
	const uint8_t *p = buf_ptr(der);
	size_t n = buf_len(der), lines = (n + 47) / 48, off = 0, i, o;
	char *s = malloc(sizeof(head) + lines * 65 + sizeof(tail));

	if (s == NULL)
		return NULL;
	memcpy(s, head, sizeof(head) - 1);
	o = sizeof(head) - 1;
	for (i = 0; i < lines; i++, off += 48) {
		size_t k = n - off < 48 ? n - off : 48;

		o += (size_t)EVP_EncodeBlock((unsigned char *)s + o, p + off,
		    (int)k);
		s[o++] = '\n';
	}
	memcpy(s + o, tail, sizeof(tail));
	return s;
}

int
ca_issue(struct ca *ca, const struct ca_csr *csr, const struct ra_subject *s,
    int years, struct ca_issued *out)
{
	struct buf *subject = buf_new(0), *tbs = buf_new(0), *der = buf_new(0);
	uint8_t serial[CA_SERIAL_LEN];
	int64_t now = (int64_t)time(NULL);
	int64_t nb = now - 300, na = now + (int64_t)years * 365 * DAY;
	int r = KYSO_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	/* Issue 15: a certificate outlived its CA, and one was issued under
	 * an expired CA. It ends when the CA does; outside the CA's validity
	 * nothing is issued. */
	if (now < ca->not_before || now >= ca->not_after) {
		r = KYSO_ERR_PERMISSION;
		goto out;
	}
	if (na > ca->not_after)
		na = ca->not_after;
	if (years < 1 || years > 3)
		goto out;
	r = KYSO_ERR_NOMEM;
	if (subject == NULL || tbs == NULL || der == NULL)
		goto out;
	if ((r = ca_subject_der(s, subject)) != 0 ||
	    (r = ca_serial_new(serial, out->serial)) != 0 ||
	    (r = tbs_build(ca, csr, serial, subject, nb, na, s->email,
		 strcmp(s->name, s->cn) != 0 &&
			 (s->org == NULL || strcmp(s->name, s->org) != 0)
		     ? s->name
		     : NULL,
		 tbs)) != 0 ||
	    (r = ca_key_sign_tbs(ca->key, buf_ptr(tbs), buf_len(tbs), der)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((out->pem = pem_of_der(der)) == NULL)
		goto out;
	out->not_before = nb;
	out->not_after = na;
	r = 0;
out:
	buf_free(subject);
	buf_free(tbs);
	buf_free(der);
	return r;
}

void
ca_issued_clear(struct ca_issued *i)
{
	free(i->pem);
	i->pem = NULL;
}
