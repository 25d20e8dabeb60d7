/* A certificate request signed by a key that stays on the token. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "p11.h"
#include "../common/der.h"
#include "../common/pubkey.h"

/* The public key object's components, for modules without
 * CKA_PUBLIC_KEY_INFO. */
static EVP_PKEY *
from_components(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[2] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)k->id, k->idlen } };
	CK_OBJECT_HANDLE h, *hs = NULL;
	size_t n = 0;
	struct buf *a = NULL, *b = NULL;
	EVP_PKEY *key = NULL;

	/* The first public key with the id, as before the finder was one. */
	if (p11_find_all(p, s, t, 2, &hs, &n) != 0 || n == 0) {
		free(hs);
		return NULL;
	}
	h = hs[0];
	free(hs);
	if (k->type == CKK_RSA) {
		if (p11_get_attr(p, s, h, CKA_MODULUS, &a) == 0 &&
		    p11_get_attr(p, s, h, CKA_PUBLIC_EXPONENT, &b) == 0)
			key = pubkey_rsa(buf_ptr(a), buf_len(a), buf_ptr(b),
			    buf_len(b));
	} else if (p11_get_attr(p, s, h, CKA_EC_PARAMS, &a) == 0 &&
	    p11_get_attr(p, s, h, CKA_EC_POINT, &b) == 0) {
		key = pubkey_ec(buf_ptr(a), buf_len(a), buf_ptr(b), buf_len(b));
	}
	buf_free(a);
	buf_free(b);
	return key;
}

int
p11_public_key(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k,
    struct buf *spki)
{
	struct buf *info = NULL;
	EVP_PKEY *key;
	uint8_t *der = NULL;
	int n, r;

	if (p11_get_attr(p, s, k->priv, CKA_PUBLIC_KEY_INFO, &info) == 0 &&
	    buf_len(info) > 0) {
		r = buf_put(spki, buf_ptr(info), buf_len(info));
		buf_free(info);
		return r;
	}
	buf_free(info);
	if ((key = from_components(p, s, k)) == NULL)
		return KYSO_ERR_NOT_FOUND;
	n = i2d_PUBKEY(key, &der);
	EVP_PKEY_free(key);
	if (n <= 0)
		return KYSO_ERR_CRYPTO;
	r = buf_put(spki, der, (size_t)n);
	OPENSSL_free(der);
	return r;
}

int
p11_make_csr(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k,
    const char *cn, struct buf *pem)
{
	struct buf *spki = NULL, *sig = NULL, *der = NULL, *alg = NULL;
	X509_REQ *req = NULL, *back = NULL;
	X509_NAME *name = NULL;
	EVP_PKEY *pub = NULL;
	const uint8_t *q;
	uint8_t *tbs = NULL, dig[32];
	BIO *bio = NULL;
	char *text;
	long tlen;
	int tbslen, r = KYSO_ERR_CRYPTO;

	if ((spki = buf_new(8192)) == NULL || (sig = buf_new(1024)) == NULL ||
	    (der = buf_new(65536)) == NULL || (alg = buf_new(64)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = p11_public_key(p, s, k, spki)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	q = buf_ptr(spki);
	if ((pub = d2i_PUBKEY(NULL, &q, (long)buf_len(spki))) == NULL ||
	    (req = X509_REQ_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, name) != 1 ||
	    X509_REQ_set_pubkey(req, pub) != 1)
		goto out;
	if ((tbslen = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0 ||
	    EVP_Digest(tbs, (size_t)tbslen, dig, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	if ((r = p11_sign_digest(p, s, k, dig, sizeof(dig), sig)) != 0)
		goto out;
	/* CertificationRequest ::= SEQUENCE { info, algorithm, BIT STRING } */
	if ((r = der_put_sig_alg(alg, k->type == CKK_EC)) != 0 ||
	    (r = der_put_signed(der, tbs, (size_t)tbslen, buf_ptr(alg),
		 buf_len(alg), buf_ptr(sig), buf_len(sig))) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	q = buf_ptr(der);
	/* Check what the token signed before anyone else sees it. */
	if ((back = d2i_X509_REQ(NULL, &q, (long)buf_len(der))) == NULL ||
	    X509_REQ_verify(back, pub) != 1)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL ||
	    PEM_write_bio_X509_REQ(bio, back) != 1)
		goto out;
	tlen = BIO_get_mem_data(bio, &text);
	if (tlen <= 0)
		goto out;
	r = buf_put(pem, text, (size_t)tlen);
out:
	BIO_free(bio);
	OPENSSL_free(tbs);
	X509_REQ_free(back);
	X509_REQ_free(req);
	X509_NAME_free(name);
	EVP_PKEY_free(pub);
	buf_free(spki);
	buf_free(sig);
	buf_free(der);
	buf_free(alg);
	return r;
}
