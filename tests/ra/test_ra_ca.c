/* The CA module: creation, loading, CSR checks (exact error codes for weak,
 * mismatched, SHA-1 and forged requests), issuance from the registration's
 * subject, CRLs, serial numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "ca_priv.h"
#include "common/buf.h"
#include "common/der.h"
#include "unit.h"

/* What make_csr does besides signing. */
enum csr_how {
	CSR_SIGNED = 0,
	CSR_TAMPERED = 1,   /* the subject changed after signing */
	CSR_COMPRESSED = 2, /* an EC key's point written compressed */
};

/* A PEM CSR for a fresh key of alg/param, signed with md. */
static char *
make_csr(const char *alg, const char *param, size_t bits, const EVP_MD *md,
    int how)
{
	EVP_PKEY *k = bits ? EVP_PKEY_Q_keygen(NULL, NULL, alg, bits)
			   : EVP_PKEY_Q_keygen(NULL, NULL, alg, param);
	X509_REQ *req = X509_REQ_new();
	X509_NAME *n = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *out = NULL;
	long len;

	if (k == NULL || req == NULL || n == NULL || b == NULL)
		goto done;
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"Someone Else", -1, -1, 0);
	X509_REQ_set_subject_name(req, n);
	if (how == CSR_COMPRESSED &&
	    EVP_PKEY_set_utf8_string_param(k,
		OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
		OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_COMPRESSED) != 1)
		goto done;
	X509_REQ_set_pubkey(req, k);
	if (X509_REQ_sign(req, k, md) <= 0)
		goto done;
	if (how == CSR_TAMPERED) {
		/* Change the subject after signing. */
		X509_NAME *m = X509_NAME_new();

		X509_NAME_add_entry_by_txt(m, "CN", MBSTRING_ASC,
		    (const unsigned char *)"Mallory", -1, -1, 0);
		X509_REQ_set_subject_name(req, m);
		X509_NAME_free(m);
	}
	PEM_write_bio_X509_REQ(b, req);
	if ((len = BIO_get_mem_data(b, &p)) > 0 && (out = malloc(len + 1))) {
		memcpy(out, p, len);
		out[len] = '\0';
	}
done:
	EVP_PKEY_free(k);
	X509_REQ_free(req);
	X509_NAME_free(n);
	BIO_free(b);
	return out;
}

/* pem's DER through edit (into a new DER of *olen bytes), back as PEM. */
typedef unsigned char *(*der_editor)(const unsigned char *der, long len,
    long *olen, const void *arg);

static char *
pem_edit(const char *pem, der_editor edit, const void *arg)
{
	BIO *in = BIO_new_mem_buf(pem, -1), *out = BIO_new(BIO_s_mem());
	char *name = NULL, *hdr = NULL, *p, *res = NULL;
	unsigned char *der = NULL, *d2 = NULL;
	long len, dlen, olen;

	if (in == NULL || out == NULL ||
	    PEM_read_bio(in, &name, &hdr, &der, &len) != 1 ||
	    (d2 = edit(der, len, &dlen, arg)) == NULL ||
	    PEM_write_bio(out, name, hdr, d2, dlen) <= 0 ||
	    (olen = BIO_get_mem_data(out, &p)) <= 0 ||
	    (res = calloc(1, (size_t)olen + 1)) == NULL)
		goto done;
	memcpy(res, p, (size_t)olen);
done:
	OPENSSL_free(name);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	free(d2);
	BIO_free(in);
	BIO_free(out);
	return res;
}

/* One zero byte after the DER. */
static unsigned char *
trailing_byte(const unsigned char *der, long len, long *olen, const void *arg)
{
	unsigned char *d = calloc(1, (size_t)len + 1);

	(void)arg;
	if (d != NULL)
		memcpy(d, der, (size_t)len);
	*olen = len + 1;
	return d;
}

/* One bit flipped 40 bytes after the first match of arg (4 bytes). */
static unsigned char *
flip_after(const unsigned char *der, long len, long *olen, const void *arg)
{
	unsigned char *d = malloc((size_t)len);
	long i;

	if (d == NULL)
		return NULL;
	memcpy(d, der, (size_t)len);
	for (i = 0; i + 4 + 40 < len; i++)
		if (memcmp(d + i, arg, 4) == 0) {
			d[i + 3 + 40] ^= 0x01;
			break;
		}
	*olen = len;
	return d;
}

/* The outer SEQUENCE's length in one byte more than DER allows
 * (30 81 LL -> 30 82 00 LL): BER, not DER. */
static unsigned char *
long_form_outer(const unsigned char *der, long len, long *olen, const void *arg)
{
	unsigned char *d;

	(void)arg;
	if (len < 4 || (der[1] != 0x81 && der[1] != 0x82) ||
	    (d = malloc((size_t)len + 1)) == NULL)
		return NULL;
	d[0] = 0x30;
	d[1] = (unsigned char)(der[1] + 1);
	d[2] = 0x00;
	memcpy(d + 3, der + 2, (size_t)len - 2);
	*olen = len + 1;
	return d;
}

/* A request built by hand (the DER writer), for what OpenSSL will not
 * make: an RSA key with exponent e (its INTEGER's content bytes as
 * given) "signed" with the PKCS#1 v1.5 block of its own digest, which
 * verifies when e is 1; or an EC key whose point is the given bytes. */
static char *
handmade_csr(const uint8_t *e, size_t elen, const uint8_t *point, size_t plen)
{
	static const uint8_t sha256_info[] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
		0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
		0x05, 0x00, 0x04, 0x20 };
	static const uint8_t rsa_alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
		0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
	static const uint8_t ec_alg[] = { 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
		0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
		0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const uint8_t rsa_sig[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
		0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
	static const uint8_t ec_sig[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
		0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	static const uint8_t head[] = { 0x02, 0x01, 0x00, 0x30, 0x00 };
	static const uint8_t attrs[] = { 0xa0, 0x00 };
	static const uint8_t junk_ecdsa[] = { 0x30, 0x06, 0x02, 0x01, 0x01,
		0x02, 0x01, 0x01 };
	struct buf *t = buf_new(0), *u = buf_new(0), *info = buf_new(0),
		   *req = buf_new(0), *der = buf_new(0);
	uint8_t n[257], block[257];
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *out = NULL;
	long len;
	int ok;

	n[0] = 0; /* the sign byte: n's top bit is set */
	RAND_bytes(n + 1, 256);
	n[1] |= 0x80;
	n[256] |= 1;
	if (point == NULL)
		ok = der_put(t, DER_INTEGER, n, sizeof(n)) == 0 &&
		    der_put(t, DER_INTEGER, e, elen) == 0 &&
		    der_wrap(u, DER_SEQUENCE, t) == 0 &&
		    (buf_reset(t), buf_put_u8(t, 0) == 0) &&
		    buf_put(t, buf_ptr(u), buf_len(u)) == 0 &&
		    (buf_reset(u), buf_put(u, rsa_alg, sizeof(rsa_alg)) == 0);
	else
		ok = buf_put_u8(t, 0) == 0 && buf_put(t, point, plen) == 0 &&
		    buf_put(u, ec_alg, sizeof(ec_alg)) == 0;
	/* u: the algorithm; t: the BIT STRING's content. */
	ok = ok && der_wrap(u, DER_BIT_STRING, t) == 0 &&
	    (buf_reset(t), der_wrap(t, DER_SEQUENCE, u) == 0) &&
	    (buf_reset(u), buf_put(u, head, sizeof(head)) == 0) &&
	    buf_put(u, buf_ptr(t), buf_len(t)) == 0 &&
	    buf_put(u, attrs, sizeof(attrs)) == 0 &&
	    der_wrap(info, DER_SEQUENCE, u) == 0;
	if (!ok)
		goto done;
	buf_reset(t);
	if (point == NULL) {
		/* 00 01 FF.. 00 DigestInfo(SHA-256(info)), 256 bytes */
		memset(block, 0xff, sizeof(block));
		block[0] = 0x00; /* the BIT STRING's unused bits */
		block[1] = 0x00;
		block[2] = 0x01;
		block[257 - 32 - sizeof(sha256_info) - 1] = 0x00;
		memcpy(block + 257 - 32 - sizeof(sha256_info), sha256_info,
		    sizeof(sha256_info));
		SHA256(buf_ptr(info), buf_len(info), block + 257 - 32);
		ok = buf_put(req, buf_ptr(info), buf_len(info)) == 0 &&
		    buf_put(req, rsa_sig, sizeof(rsa_sig)) == 0 &&
		    der_put(req, DER_BIT_STRING, block, sizeof(block)) == 0;
	} else {
		ok = buf_put_u8(t, 0) == 0 &&
		    buf_put(t, junk_ecdsa, sizeof(junk_ecdsa)) == 0 &&
		    buf_put(req, buf_ptr(info), buf_len(info)) == 0 &&
		    buf_put(req, ec_sig, sizeof(ec_sig)) == 0 &&
		    der_wrap(req, DER_BIT_STRING, t) == 0;
	}
	if (!ok || der_wrap(der, DER_SEQUENCE, req) != 0 || b == NULL ||
	    PEM_write_bio(b, "CERTIFICATE REQUEST", "", buf_ptr(der),
		(long)buf_len(der)) <= 0)
		goto done;
	if ((len = BIO_get_mem_data(b, &p)) > 0 && (out = malloc(len + 1))) {
		memcpy(out, p, len);
		out[len] = '\0';
	}
done:
	buf_free(t);
	buf_free(u);
	buf_free(info);
	buf_free(req);
	buf_free(der);
	BIO_free(b);
	return out;
}

/* What sig_edit does to an ECDSA request's signature. */
enum sig_change {
	SIG_SAME,	/* decoded and encoded again */
	SIG_HIGH_S,	/* s -> n - s: as valid */
	SIG_S_PLUS_N,	/* s -> s + n */
	SIG_R_PLUS_N,	/* r -> r + n */
	SIG_R_ZERO,	/* r -> 0 */
	SIG_S_ZERO,	/* s -> 0 */
	SIG_RS_ZERO,	/* r, s -> 0, 0 (CVE-2022-21449) */
	SIG_R_N,	/* r -> n */
	SIG_TRAILING,	/* a zero byte after the ECDSA-Sig-Value */
	SIG_PADDED_R,	/* r's INTEGER with one zero byte too many */
	SIG_LONG_LENGTH /* the SEQUENCE's length in the long form */
};

struct sig_edit {
	enum sig_change change;
	int nid;	    /* the key's curve */
	const uint8_t *alg; /* another signature algorithm, or NULL */
	size_t alen;
};

/* The ECDSA-Sig-Value sig (len bytes) changed as e says, into out. */
static int
sig_change(const struct sig_edit *e, const uint8_t *sig, size_t len,
    struct buf *out)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name(e->nid);
	const uint8_t *p = sig;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r0, *s0, *n;
	BIGNUM *r = NULL, *s = NULL;
	struct buf *ints = buf_new(0);
	uint8_t *der = NULL, rb[80];
	int dlen, rlen, ok = -1;

	if (g == NULL || es == NULL || ints == NULL || p != sig + len)
		goto done;
	n = EC_GROUP_get0_order(g);
	ECDSA_SIG_get0(es, &r0, &s0);
	switch (e->change) {
	case SIG_TRAILING:
		ok = buf_put(out, sig, len) == 0 && buf_put_u8(out, 0) == 0;
		goto done;
	case SIG_LONG_LENGTH:
		ok = len < 130 && sig[1] < 0x80 && buf_put_u8(out, 0x30) == 0 &&
		    buf_put_u8(out, 0x81) == 0 &&
		    buf_put(out, sig + 1, len - 1) == 0;
		goto done;
	case SIG_PADDED_R:
		/* 00, then r's minimal content (itself 00 before a high bit) */
		rb[0] = 0;
		rb[1] = 0;
		rlen = BN_bn2bin(r0, rb + 2);
		if (rb[2] & 0x80)
			ok = der_put(ints, DER_INTEGER, rb, (size_t)rlen + 2);
		else
			ok = der_put(ints, DER_INTEGER, rb + 1, (size_t)rlen + 1);
		p = sig + 2 + 2 + sig[3]; /* s's INTEGER, after r's */
		ok = ok == 0 && buf_put(ints, p, len - (size_t)(p - sig)) == 0 &&
		    der_wrap(out, DER_SEQUENCE, ints) == 0;
		goto done;
	default: break;
	}
	if ((r = BN_dup(r0)) == NULL || (s = BN_dup(s0)) == NULL)
		goto done;
	if ((e->change == SIG_HIGH_S && BN_sub(s, n, s0) != 1) ||
	    (e->change == SIG_S_PLUS_N && BN_add(s, s0, n) != 1) ||
	    (e->change == SIG_R_PLUS_N && BN_add(r, r0, n) != 1) ||
	    ((e->change == SIG_R_ZERO || e->change == SIG_RS_ZERO) &&
		BN_set_word(r, 0) != 1) ||
	    ((e->change == SIG_S_ZERO || e->change == SIG_RS_ZERO) &&
		BN_set_word(s, 0) != 1) ||
	    (e->change == SIG_R_N && BN_copy(r, n) == NULL) ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto done;
	r = s = NULL;
	ok = (dlen = i2d_ECDSA_SIG(es, &der)) > 0 &&
	    buf_put(out, der, (size_t)dlen) == 0;
done:
	OPENSSL_free(der);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	EC_GROUP_free(g);
	buf_free(ints);
	return ok == 1 ? 0 : -1;
}

/* The request put together again with its signature changed as arg (a
 * struct sig_edit) says, and its signature algorithm replaced if asked. */
static unsigned char *
sig_edit(const unsigned char *der, long len, long *olen, const void *arg)
{
	const struct sig_edit *e = arg;
	const uint8_t *req, *c, *alg, *bits;
	size_t reqlen, clen, tbslen, alglen, bitslen, total;
	uint8_t tag;
	struct buf *sig = buf_new(0), *out = buf_new(0);
	unsigned char *res = NULL;

	if (sig == NULL || out == NULL ||
	    der_read(der, (size_t)len, &tag, &req, &reqlen, &total) != 0 ||
	    der_read(req, reqlen, &tag, &c, &clen, &tbslen) != 0 ||
	    der_read((alg = req + tbslen), reqlen - tbslen, &tag, &c, &clen,
		&alglen) != 0 ||
	    der_read(alg + alglen, reqlen - tbslen - alglen, &tag, &bits,
		&bitslen, &total) != 0 ||
	    tag != DER_BIT_STRING || bitslen < 2 || bits[0] != 0 ||
	    sig_change(e, bits + 1, bitslen - 1, sig) != 0 ||
	    der_put_signed(out, req, tbslen, e->alg != NULL ? e->alg : alg,
		e->alg != NULL ? e->alen : alglen, buf_ptr(sig),
		buf_len(sig)) != 0 ||
	    (res = malloc(buf_len(out))) == NULL)
		goto done;
	memcpy(res, buf_ptr(out), buf_len(out));
	*olen = (long)buf_len(out);
done:
	buf_free(sig);
	buf_free(out);
	return res;
}

/* The uncompressed point's prefix 04 (after 03 LL 00, the BIT STRING's
 * header for a curve of fb-byte coordinates) as the hybrid form's 06 or
 * 07, whichever Y's parity makes a point OpenSSL reads. */
static unsigned char *
hybrid_point(const unsigned char *der, long len, long *olen, const void *arg)
{
	size_t fb = *(const size_t *)arg;
	const uint8_t head[] = { 0x03, (uint8_t)(2 + 2 * fb), 0x00, 0x04 };
	unsigned char *d = malloc((size_t)len);
	long i;

	if (d == NULL)
		return NULL;
	memcpy(d, der, (size_t)len);
	for (i = 0; i + 3 + 2 * (long)fb < len; i++)
		if (memcmp(d + i, head, 4) == 0) {
			d[i + 3] = (uint8_t)(0x06 | (d[i + 3 + 2 * fb] & 1));
			*olen = len;
			return d;
		}
	free(d);
	return NULL;
}

static int
csr_check(const char *pem, const char *kt)
{
	struct ca_csr *c = NULL;
	int r;

	if (pem == NULL)
		return 12345;
	r = ca_csr_parse(pem, strlen(pem), kt, &c);
	ca_csr_free(c);
	return r;
}

/* pem with its signature changed (and its algorithm, when alg is not
 * NULL) against key type kt. */
static int
sig_check(const char *pem, const char *kt, int nid, enum sig_change change,
    const uint8_t *alg, size_t alen)
{
	struct sig_edit e = { change, nid, alg, alen };
	char *bad = pem_edit(pem, sig_edit, &e);
	int r;

	if (bad == NULL)
		return 12345;
	r = csr_check(bad, kt);
	free(bad);
	return r;
}

/* The proof of possession of EC requests (csr_ec.c): what ECDSA takes
 * and refuses, the digests, the points. */
static void
ec_checks(void)
{
	static const uint8_t alg_sha384[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
		0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
	static const struct {
		const char *curve, *kt;
		int nid;
		size_t fb;
	} curves[] = {
		{ "P-256", "p256", NID_X9_62_prime256v1, 32 },
		{ "P-384", "p384", NID_secp384r1, 48 },
	};
	/* The point (0 or 1, y) when y*y = x^3 - 3x + b has no solution:
	 * x = 1 on P-256, checked by Euler's criterion. */
	static const uint8_t off_curve[33] = { 0x02, [32] = 0x01 };
	/* The generator's X, which has a Y: the same request gets past the
	 * point and fails on its signature (the builder is sound). */
	static const uint8_t gen_x[33] = { 0x03, 0x6b, 0x17, 0xd1, 0xf2, 0xe1,
		0x2c, 0x42, 0x47, 0xf8, 0xbc, 0xe6, 0xe5, 0x63, 0xa4, 0x40,
		0xf2, 0x77, 0x03, 0x7d, 0x81, 0x2d, 0xeb, 0x33, 0xa0, 0xf4,
		0xa1, 0x39, 0x45, 0xd8, 0x98, 0xc2, 0x96 };
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	size_t i, j;
	char *pem, *bad;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		const char *kt = curves[i].kt;
		int nid = curves[i].nid;

		/* Each digest on each curve: a longer digest than the
		 * order is cut to the order's bits. */
		for (j = 0; j < sizeof(mds) / sizeof(mds[0]); j++) {
			pem = make_csr("EC", curves[i].curve, 0, mds[j],
			    CSR_SIGNED);
			CHECK_ERR(csr_check(pem, kt), 0);
			free(pem);
		}
		/* Signed over other bytes than the request info's. */
		pem = make_csr("EC", curves[i].curve, 0, EVP_sha256(),
		    CSR_TAMPERED);
		CHECK_ERR(csr_check(pem, kt), KYSO_ERR_CRYPTO);
		free(pem);
		pem = make_csr("EC", curves[i].curve, 0, EVP_sha256(),
		    CSR_SIGNED);
		/* The editor itself: decoded and encoded again, it verifies. */
		CHECK_ERR(sig_check(pem, kt, nid, SIG_SAME, NULL, 0), 0);
		/* A SHA-256 signature said to be over SHA-384. */
		CHECK_ERR(sig_check(pem, kt, nid, SIG_SAME, alg_sha384,
			      sizeof(alg_sha384)),
		    KYSO_ERR_CRYPTO);
		/* (r, n - s) is as valid as (r, s): taken, as before. */
		CHECK_ERR(sig_check(pem, kt, nid, SIG_HIGH_S, NULL, 0), 0);
		/* Out of 0 < r, s < n. s + n has the same inverse mod n, so
		 * a verifier that reduced s first would take it. */
		CHECK_ERR(sig_check(pem, kt, nid, SIG_S_PLUS_N, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_R_PLUS_N, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_R_N, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_R_ZERO, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_S_ZERO, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_RS_ZERO, NULL, 0),
		    KYSO_ERR_CRYPTO);
		/* Not DER: bytes after it, a padded INTEGER, a long-form
		 * length. */
		CHECK_ERR(sig_check(pem, kt, nid, SIG_TRAILING, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_PADDED_R, NULL, 0),
		    KYSO_ERR_CRYPTO);
		CHECK_ERR(sig_check(pem, kt, nid, SIG_LONG_LENGTH, NULL, 0),
		    KYSO_ERR_CRYPTO);
		/* The hybrid form (06/07 X Y), which OpenSSL reads. */
		bad = pem_edit(pem, hybrid_point, &curves[i].fb);
		CHECK(bad != NULL);
		if (bad != NULL)
			CHECK_ERR(csr_check(bad, kt), KYSO_ERR_INVALID);
		free(bad);
		free(pem);

		/* A compressed point: taken, and the SPKI handed on is the
		 * key's uncompressed one (issue 15 item 8). */
		pem = make_csr("EC", curves[i].curve, 0, EVP_sha256(),
		    CSR_COMPRESSED);
		{
			struct ca_csr *c = NULL;
			const uint8_t *spki = NULL, *bits = NULL;
			size_t slen = 0, blen = 0;
			unsigned char *want = NULL;
			int wlen = -1;
			BIO *b = BIO_new_mem_buf(pem, -1);
			X509_REQ *req = PEM_read_bio_X509_REQ(b, NULL, NULL,
			    NULL);
			EVP_PKEY *k = req != NULL ? X509_REQ_get_pubkey(req)
						  : NULL;

			unsigned char *der = NULL;
			int dlen = req != NULL ? i2d_X509_REQ(req, &der) : -1,
			    compressed = 0, at;

			/* the point as sent: BIT STRING 00 02|03 X */
			for (at = 0; at + 4 <= dlen; at++)
				if (der[at] == 0x03 &&
				    der[at + 1] == 2 + curves[i].fb &&
				    der[at + 2] == 0 &&
				    (der[at + 3] == 0x02 || der[at + 3] == 0x03))
					compressed = 1;
			CHECK(compressed);
			OPENSSL_free(der);
			CHECK_ERR(ca_csr_parse(pem, strlen(pem), kt, &c), 0);
			if (k != NULL &&
			    EVP_PKEY_set_utf8_string_param(k,
				OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
				OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) ==
				1)
				wlen = i2d_PUBKEY(k, &want);
			if (c != NULL)
				ca_csr_spki(c, &spki, &slen, &bits, &blen);
			CHECK(wlen > 0 && slen == (size_t)wlen &&
			    memcmp(spki, want, slen) == 0);
			CHECK(blen == 1 + 2 * curves[i].fb && bits[0] == 0x04 &&
			    bits + blen == spki + slen);
			OPENSSL_free(want);
			EVP_PKEY_free(k);
			X509_REQ_free(req);
			BIO_free(b);
			ca_csr_free(c);
		}
		free(pem);
	}
	/* A compressed X with no Y on the curve, and the generator's X. */
	pem = handmade_csr(NULL, 0, off_curve, sizeof(off_curve));
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_INVALID);
	free(pem);
	pem = handmade_csr(NULL, 0, gen_x, sizeof(gen_x));
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_CRYPTO);
	free(pem);
}

int
main(void)
{
	char dir[] = "/tmp/kyso-ra-ca-XXXXXX", serial[64], *pem, *dn = NULL;
	struct ra_subject s = { "organization", "Công ty Thử", "Công ty Thử",
		"Công ty Thử", "MST", "0101234567-001", "Hà Nội",
		"a@example.vn" };
	struct ca *ca = NULL;
	struct ca_csr *csr = NULL;
	struct ca_issued iss, iss2;
	struct ca_revoked rev[1];
	struct buf *crl = buf_new(0);
	X509 *x = NULL;
	BIO *b;
	char cmd[256];

	if (mkdtemp(dir) == NULL || crl == NULL)
		return 1;
	CHECK_ERR(ca_create(dir, "kyso Unit CA", "p256", NULL, NULL,
		      "http://ra.example.vn"),
	    0);
	CHECK_ERR(ca_load(dir, NULL, "http://ra.example.vn", &ca), 0);
	if (ca == NULL)
		return unit_done();
	CHECK(strstr(ca_chain_pem(ca), ca_issuing_pem(ca)) == ca_chain_pem(ca));

	/* CSR checks. */
	pem = make_csr("EC", "P-256", 0, EVP_sha256(), 0);
	CHECK_ERR(csr_check(pem, "p256"), 0);
	CHECK_ERR(csr_check(pem, "p384"), KYSO_ERR_PERMISSION);
	CHECK_ERR(csr_check(pem, "rsa2048"), KYSO_ERR_PERMISSION);
	free(pem);
	pem = make_csr("EC", "P-384", 0, EVP_sha384(), 0);
	CHECK_ERR(csr_check(pem, "p384"), 0);
	free(pem);
	pem = make_csr("RSA", NULL, 1024, EVP_sha256(), 0);
	CHECK_ERR(csr_check(pem, "rsa2048"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	pem = make_csr("RSA", NULL, 2048, EVP_sha1(), 0);
	CHECK_ERR(csr_check(pem, "rsa2048"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	pem = make_csr("RSA", NULL, 2048, EVP_sha256(), 0);
	CHECK_ERR(csr_check(pem, "rsa2048"), 0);
	CHECK_ERR(csr_check(pem, "rsa3072"), KYSO_ERR_PERMISSION);
	free(pem);
	pem = make_csr("EC", "P-256", 0, EVP_sha256(), 1);
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_CRYPTO);
	free(pem);
	pem = make_csr("ED25519", NULL, 0, NULL, 0);
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	pem = make_csr("EC", "secp256k1", 0, EVP_sha256(), 0);
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	/* Curves the token offers but the RA issues for no key_type. */
	pem = make_csr("EC", "P-521", 0, EVP_sha512(), 0);
	CHECK_ERR(csr_check(pem, "p384"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	pem = make_csr("EC", "brainpoolP256r1", 0, EVP_sha256(), 0);
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	pem = make_csr("EC", "P-256", 0, EVP_sha224(), 0);
	CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_UNSUPPORTED);
	free(pem);
	{
		/* The uncompressed point's prefix, inside the BIT STRING. */
		static const uint8_t point[] = { 0x03, 0x42, 0x00, 0x04 };
		char *bad;

		pem = make_csr("EC", "P-256", 0, EVP_sha256(), 0);
		bad = pem_edit(pem, trailing_byte, NULL);
		CHECK_ERR(csr_check(bad, "p256"), KYSO_ERR_INVALID);
		free(bad);
		/* A length in more bytes than DER allows. */
		bad = pem_edit(pem, long_form_outer, NULL);
		CHECK(bad != NULL);
		CHECK_ERR(csr_check(bad, "p256"), KYSO_ERR_INVALID);
		free(bad);
		/* A point off the curve. */
		bad = pem_edit(pem, flip_after, point);
		CHECK_ERR(csr_check(bad, "p256"), KYSO_ERR_INVALID);
		free(bad);
		free(pem);
	}
	{
		/* Exponent 1, verifying its own padded digest: refused, and
		 * so is 1 written with leading zero bytes (not DER). */
		static const uint8_t e1[] = { 0x01 },
				     e1long[] = { 0x00, 0x00, 0x01 },
				     e3[] = { 0x03 };
		/* The point at infinity, which OpenSSL takes as a key. */
		static const uint8_t inf[] = { 0x00 };

		pem = handmade_csr(e1, sizeof(e1), NULL, 0);
		CHECK_ERR(csr_check(pem, "rsa2048"), KYSO_ERR_UNSUPPORTED);
		free(pem);
		pem = handmade_csr(e1long, sizeof(e1long), NULL, 0);
		CHECK_ERR(csr_check(pem, "rsa2048"), KYSO_ERR_INVALID);
		free(pem);
		/* The builder itself: e = 3 passes the key checks and fails
		 * only on the signature. */
		pem = handmade_csr(e3, sizeof(e3), NULL, 0);
		CHECK_ERR(csr_check(pem, "rsa2048"), KYSO_ERR_CRYPTO);
		free(pem);
		pem = handmade_csr(NULL, 0, inf, sizeof(inf));
		CHECK_ERR(csr_check(pem, "p256"), KYSO_ERR_INVALID);
		free(pem);
	}
	CHECK_ERR(csr_check("not a csr", "p256"), KYSO_ERR_INVALID);
	CHECK_ERR(csr_check("", "p256"), KYSO_ERR_INVALID);
	ec_checks();

	/* The subject comes from the registration. */
	CHECK_ERR(ca_subject_dn(&s, &dn), 0);
	CHECK(dn != NULL && strstr(dn, "UID=MST:0101234567-001") != NULL);
	CHECK(dn != NULL && strstr(dn, "O=Công ty Thử") != NULL);
	CHECK(dn != NULL && strstr(dn, "C=VN") != NULL);
	free(dn);
	pem = make_csr("EC", "P-256", 0, EVP_sha256(), 0);
	CHECK_ERR(ca_csr_parse(pem, strlen(pem), "p256", &csr), 0);
	free(pem);
	CHECK_ERR(ca_issue(ca, csr, &s, 4, &iss), KYSO_ERR_INVALID);
	CHECK_ERR(ca_issue(ca, csr, &s, 2, &iss), 0);
	CHECK_ERR(ca_issue(ca, csr, &s, 2, &iss2), 0);
	CHECK(strcmp(iss.serial, iss2.serial) != 0);
	CHECK(strlen(iss.serial) >= 16);
	CHECK(iss.not_after - iss.not_before >= 2 * 365 * 86400);
	b = BIO_new_mem_buf(iss.pem, -1);
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	CHECK(x != NULL);
	if (x != NULL) {
		uint32_t ku = X509_get_key_usage(x);
		char buf[512];

		CHECK(ku == (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
		CHECK((X509_get_extended_key_usage(x) &
			  (XKU_SMIME | XKU_SSL_CLIENT)) ==
		    (XKU_SMIME | XKU_SSL_CLIENT));
		CHECK(X509_get0_subject_key_id(x) != NULL);
		CHECK(X509_get0_authority_key_id(x) != NULL);
		X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
		CHECK(strstr(buf, "Someone Else") == NULL);
		CHECK(strstr(buf, "UID=MST:0101234567-001") != NULL);
		CHECK(X509_get0_pubkey(x) != NULL &&
		    EVP_PKEY_get_bits(X509_get0_pubkey(x)) == 256);
		{
			/* The subject is the DER ca_subject_der writes
			 * (test_ra_subject compares that with OpenSSL's). */
			struct buf *sd = buf_new(0);
			unsigned char *xd = NULL;
			int xl = i2d_X509_NAME(X509_get_subject_name(x), &xd);

			CHECK_ERR(ca_subject_der(&s, sd), 0);
			CHECK(xl > 0 && buf_len(sd) == (size_t)xl &&
			    memcmp(buf_ptr(sd), xd, (size_t)xl) == 0);
			OPENSSL_free(xd);
			buf_free(sd);
		}
		X509_free(x);
	}
	{
		/* A subject OpenSSL refused is refused at issuance as it
		 * was: a CN over 64 characters, an e-mail not ASCII. */
		struct ra_subject bad = s;
		struct ca_issued bi;

		bad.cn = "Công ty Trách nhiệm Hữu hạn Thương mại và Dịch vụ "
			 "Kỹ thuật Số Việt Nam Toàn Cầu";
		CHECK_ERR(ca_issue(ca, csr, &bad, 1, &bi), KYSO_ERR_INVALID);
		CHECK(bi.pem == NULL);
		bad.cn = s.cn;
		bad.email = "thử@example.vn";
		CHECK_ERR(ca_issue(ca, csr, &bad, 1, &bi), KYSO_ERR_INVALID);
		CHECK(bi.pem == NULL);
	}
	/* An RSA request: the certificate's key is the request's. */
	pem = make_csr("RSA", NULL, 2048, EVP_sha256(), 0);
	{
		struct ca_csr *rc = NULL;
		struct ca_issued ri;
		X509_REQ *req;
		X509 *rx = NULL;

		b = BIO_new_mem_buf(pem, -1);
		req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL);
		BIO_free(b);
		CHECK_ERR(ca_csr_parse(pem, strlen(pem), "rsa2048", &rc), 0);
		CHECK_ERR(ca_issue(ca, rc, &s, 1, &ri), 0);
		if (ri.pem != NULL) {
			b = BIO_new_mem_buf(ri.pem, -1);
			rx = PEM_read_bio_X509(b, NULL, NULL, NULL);
			BIO_free(b);
		}
		CHECK(rx != NULL && req != NULL &&
		    EVP_PKEY_eq(X509_get0_pubkey(rx),
			X509_REQ_get0_pubkey(req)) == 1);
		X509_free(rx);
		X509_REQ_free(req);
		ca_issued_clear(&ri);
		ca_csr_free(rc);
	}
	free(pem);
	/* CRL */
	rev[0].serial = iss.serial;
	rev[0].revoked_at = iss.not_before + 600;
	rev[0].reason = 1;
	CHECK_ERR(ca_crl(ca, rev, 1, 7, 24, crl), 0);
	CHECK(buf_len(crl) > 100);
	ca_issued_clear(&iss);
	ca_issued_clear(&iss2);
	ca_csr_free(csr);

	CHECK_ERR(ca_serial_norm("00ABcd", serial), 0);
	CHECK(strcmp(serial, "abcd") == 0);
	CHECK_ERR(ca_serial_norm("xyz", serial), KYSO_ERR_INVALID);
	CHECK_ERR(ca_serial_norm("", serial), KYSO_ERR_INVALID);
	CHECK_ERR(ca_serial_norm("1234567890123456789012345678901234567890a",
		      serial),
	    KYSO_ERR_INVALID);

	/* Loading notices files that do not belong together. */
	ca_free(ca);
	ca = NULL;
	snprintf(cmd, sizeof(cmd), "%s/ca-key.pem", dir);
	{
		FILE *f = fopen(cmd, "w");
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

		if (f != NULL && k != NULL)
			PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		if (f != NULL)
			fclose(f);
		EVP_PKEY_free(k);
	}
	CHECK_ERR(ca_load(dir, NULL, "http://x", &ca), KYSO_ERR_CORRUPT);
	CHECK(ca == NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	buf_free(crl);
	return unit_done();
}
