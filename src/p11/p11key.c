/* Signing with a key on a token: find it, hand it a digest. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "p11.h"

int
p11_get_attr(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE t, struct buf **out)
{
	CK_FUNCTION_LIST *fn = p11_fn(p);
	CK_ATTRIBUTE a = { t, NULL, 0 };
	struct buf *b;
	uint8_t *d;

	if (fn->C_GetAttributeValue(s, h, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION)
		return KYSO_ERR_NOT_FOUND;
	if (a.ulValueLen > 1024 * 1024)
		return KYSO_ERR_TOO_LARGE;
	if ((b = buf_new(a.ulValueLen + 1)) == NULL)
		return KYSO_ERR_NOMEM;
	if (buf_reserve(b, a.ulValueLen, &d) != 0) {
		buf_free(b);
		return KYSO_ERR_NOMEM;
	}
	a.pValue = d;
	if (a.ulValueLen > 0 && fn->C_GetAttributeValue(s, h, &a, 1) != CKR_OK) {
		buf_free(b);
		return KYSO_ERR_IO;
	}
	*out = b;
	return 0;
}

static int
find(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const uint8_t *id,
    size_t idlen, CK_OBJECT_HANDLE **hs, size_t *n)
{
	CK_ATTRIBUTE t[2] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, idlen },
	};

	return p11_find_all(p, s, t, id != NULL ? 2 : 1, hs, n) != 0 ? KYSO_ERR_IO
								     : 0;
}

static X509 *
x509_of(const struct buf *b)
{
	const unsigned char *p = buf_ptr(b);

	return d2i_X509(NULL, &p, (long)buf_len(b));
}

/* A certificate on the token whose subject is issuer's DER name and that
 * issued child; NULL when there is none. */
static struct buf *
find_issuer(struct p11 *p, CK_SESSION_HANDLE s, X509 *child)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_OBJECT_HANDLE *hs = NULL;
	size_t found = 0, i;
	uint8_t *name = NULL;
	int len = i2d_X509_NAME(X509_get_issuer_name(child), &name);
	struct buf *der = NULL;
	X509 *x;

	if (len <= 0)
		return NULL;
	{
		CK_ATTRIBUTE t[2] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_SUBJECT, name, (CK_ULONG)len },
		};

		if (p11_find_all(p, s, t, 2, &hs, &found) != 0)
			found = 0;
	}
	OPENSSL_free(name);
	for (i = 0; i < found; i++) {
		if (p11_get_attr(p, s, hs[i], CKA_VALUE, &der) != 0)
			continue;
		x = x509_of(der);
		if (x != NULL && X509_check_issued(x, child) == X509_V_OK &&
		    X509_verify(child, X509_get0_pubkey(x)) == 1) {
			X509_free(x);
			free(hs);
			return der;
		}
		X509_free(x);
		buf_free(der);
		der = NULL;
	}
	free(hs);
	return NULL;
}

int
p11_cert_chain(struct p11 *p, CK_SESSION_HANDLE s, const struct buf *cert,
    struct buf **out, size_t max, size_t *n)
{
	X509 *cur = x509_of(cert), *next;
	struct buf *der;

	if (cur == NULL)
		return KYSO_ERR_INVALID;
	while (*n < max && X509_check_issued(cur, cur) != X509_V_OK &&
	    (der = find_issuer(p, s, cur)) != NULL) {
		if ((next = x509_of(der)) == NULL) {
			buf_free(der);
			break;
		}
		out[(*n)++] = der;
		X509_free(cur);
		cur = next;
	}
	X509_free(cur);
	return 0;
}

static int
fill(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, struct p11_key *k)
{
	CK_FUNCTION_LIST *fn = p11_fn(p);
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &k->type, sizeof(k->type) };
	CK_OBJECT_HANDLE *hs = NULL;
	size_t n = 0;
	struct buf *id = NULL;
	int r;

	if (fn->C_GetAttributeValue(s, h, &a, 1) != CKR_OK)
		return KYSO_ERR_IO;
	if (k->type != CKK_RSA && k->type != CKK_EC)
		return KYSO_ERR_UNSUPPORTED;
	k->priv = h;
	k->cert = CK_INVALID_HANDLE;
	k->idlen = 0;
	if (p11_get_attr(p, s, h, CKA_ID, &id) == 0) {
		if (buf_len(id) <= sizeof(k->id)) {
			k->idlen = buf_len(id);
			memcpy(k->id, buf_ptr(id), k->idlen);
		}
		buf_free(id);
	}
	if ((r = find(p, s, CKO_CERTIFICATE, k->id, k->idlen, &hs, &n)) != 0)
		return r;
	if (n > 0)
		k->cert = hs[0];
	free(hs);
	return 0;
}

int
p11_find_key(struct p11 *p, CK_SESSION_HANDLE s, const uint8_t *id,
    size_t idlen, struct p11_key *out)
{
	CK_OBJECT_HANDLE *hs = NULL;
	size_t n = 0, i;
	struct p11_key k, found;
	int r, nfound = 0;

	if ((r = find(p, s, CKO_PRIVATE_KEY, id, idlen, &hs, &n)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		if (fill(p, s, hs[i], &k) != 0)
			continue;
		/* Without an id, only keys that carry a certificate count. */
		if (id == NULL && k.cert == CK_INVALID_HANDLE)
			continue;
		found = k;
		nfound++;
	}
	free(hs);
	if (nfound == 0)
		return KYSO_ERR_NOT_FOUND;
	if (nfound > 1)
		return KYSO_ERR_BUSY;
	*out = found;
	return 0;
}

/* DER DigestInfo prefixes (RFC 8017, 9.2 note 1). */
static const uint8_t di_sha256[] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
static const uint8_t di_sha384[] = { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 };
static const uint8_t di_sha512[] = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
	0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 };

static int
raw_to_der(const uint8_t *sig, size_t n, struct buf *out)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t *der = NULL;
	int len, rc = KYSO_ERR_CRYPTO;

	if (n == 0 || n % 2 != 0 || n > 264)
		return KYSO_ERR_INVALID;
	if ((es = ECDSA_SIG_new()) == NULL ||
	    (r = BN_bin2bn(sig, (int)(n / 2), NULL)) == NULL ||
	    (s = BN_bin2bn(sig + n / 2, (int)(n / 2), NULL)) == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	if ((len = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	rc = buf_put(out, der, (size_t)len);
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	return rc;
}

int
p11_sign_digest(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k,
    const uint8_t *digest, size_t dlen, struct buf *sig)
{
	CK_FUNCTION_LIST *fn = p11_fn(p);
	CK_MECHANISM m = { k->type == CKK_RSA ? CKM_RSA_PKCS : CKM_ECDSA, NULL,
		0 };
	uint8_t in[128], out[1024];
	CK_ULONG inlen = 0, outlen = sizeof(out);
	const uint8_t *pre = NULL;
	size_t plen = 0;
	CK_RV rv;

	if (dlen == 32) {
		pre = di_sha256;
		plen = sizeof(di_sha256);
	} else if (dlen == 48) {
		pre = di_sha384;
		plen = sizeof(di_sha384);
	} else if (dlen == 64) {
		pre = di_sha512;
		plen = sizeof(di_sha512);
	} else {
		return KYSO_ERR_INVALID;
	}
	if (k->type == CKK_RSA) {
		memcpy(in, pre, plen);
		inlen = plen;
	}
	memcpy(in + inlen, digest, dlen);
	inlen += dlen;
	if ((rv = fn->C_SignInit(s, &m, k->priv)) != CKR_OK)
		return p11_err(rv) == KYSO_ERR_IO ? KYSO_ERR_CRYPTO : p11_err(rv);
	if ((rv = fn->C_Sign(s, in, inlen, out, &outlen)) != CKR_OK)
		return KYSO_ERR_CRYPTO;
	if (k->type == CKK_EC)
		return raw_to_der(out, outlen, sig);
	return buf_put(sig, out, outlen);
}
