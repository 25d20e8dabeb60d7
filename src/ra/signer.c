#include "signer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/der.h"
#include "common/parse.h"
#include "p11/p11.h"

struct signer {
	EVP_PKEY *key;     /* PEM: the private key; token: the public key */
	/* Token only: a throwaway key of the same type. Signing with it
	 * writes the algorithm identifiers; the token then signs the TBS
	 * bytes and the signature is put in its place. */
	EVP_PKEY *shape;
	struct p11 *p11;
	CK_SESSION_HANDLE session;
	struct p11_key pk;
	/* To open the session again when the token went away and came back
	 * (an HSM restart, a USB token re-plugged): kept for the server's
	 * life, wiped at the end. */
	char *token, *pin;
	uint8_t id[64];
	size_t idlen;
	pthread_mutex_t lock;
};

int
signer_keygen(const char *key_type, EVP_PKEY **out)
{
	EVP_PKEY *k = NULL;

	if (strcmp(key_type, "p256") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(key_type, "p384") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	else if (strcmp(key_type, "rsa2048") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (strcmp(key_type, "rsa3072") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072);
	else
		return KYSO_ERR_INVALID;
	if (k == NULL)
		return KYSO_ERR_CRYPTO;
	*out = k;
	return 0;
}

static struct signer *
signer_alloc(void)
{
	struct signer *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->session = CK_INVALID_HANDLE;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

int
signer_from_pkey(EVP_PKEY *key, struct signer **out)
{
	struct signer *s = signer_alloc();

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	s->key = key;
	*out = s;
	return 0;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	if (s->p11 != NULL && s->session != CK_INVALID_HANDLE) {
		p11_fn(s->p11)->C_Logout(s->session);
		p11_fn(s->p11)->C_CloseSession(s->session);
	}
	p11_free(s->p11);
	free(s->token);
	if (s->pin != NULL) {
		OPENSSL_cleanse(s->pin, strlen(s->pin));
		free(s->pin);
	}
	OPENSSL_cleanse(s->id, sizeof(s->id));
	EVP_PKEY_free(s->key);
	EVP_PKEY_free(s->shape);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

EVP_PKEY *
signer_pub(const struct signer *s)
{
	return s->key;
}

/* The AlgorithmIdentifier of what a signer signs with: SHA-256 and the
 * key's algorithm (RSA with a NULL parameter, ECDSA with none). */
static const uint8_t alg_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const uint8_t alg_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86,
	0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };

const uint8_t *
signer_alg(const struct signer *s, size_t *len)
{
	if (EVP_PKEY_get_base_id(s->key) == EVP_PKEY_EC) {
		*len = sizeof(alg_ecdsa_sha256);
		return alg_ecdsa_sha256;
	}
	*len = sizeof(alg_rsa_sha256);
	return alg_rsa_sha256;
}

/* SEQUENCE { tbs, algorithm, BIT STRING signature }: the shape of a
 * certificate and of a CRL alike. */
static int
assemble(const struct signer *s, const uint8_t *tbs, size_t tlen,
    const struct buf *sig, struct buf *out)
{
	struct buf *body = buf_new(0), *bits = buf_new(0);
	const uint8_t *alg;
	size_t alen;
	int r = KYSO_ERR_NOMEM;

	alg = signer_alg(s, &alen);
	if (body == NULL || bits == NULL)
		goto out;
	if ((r = buf_put_u8(bits, 0)) != 0 ||
	    (r = buf_put(bits, buf_ptr(sig), buf_len(sig))) != 0 ||
	    (r = buf_put(body, tbs, tlen)) != 0 ||
	    (r = buf_put(body, alg, alen)) != 0 ||
	    (r = der_wrap(body, DER_BIT_STRING, bits)) != 0 ||
	    (r = der_wrap(out, DER_SEQUENCE, body)) != 0)
		goto out;
out:
	buf_free(body);
	buf_free(bits);
	return r;
}

/* A new session, logged in, and the key found again. */
static int
token_reopen(struct signer *s)
{
	CK_FUNCTION_LIST *fn = p11_fn(s->p11);
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h;
	CK_RV rv;
	int r;

	if (s->session != CK_INVALID_HANDLE)
		fn->C_CloseSession(s->session);
	s->session = CK_INVALID_HANDLE;
	if ((r = p11_find_token(s->p11, s->token, &slot, &ti)) != 0)
		return r;
	if ((rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h)) != CKR_OK)
		return p11_err(rv);
	s->session = h;
	rv = fn->C_Login(h, CKU_USER, (CK_UTF8CHAR *)s->pin, strlen(s->pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return p11_err(rv);
	return p11_find_key(s->p11, h, s->id, s->idlen, &s->pk);
}

/* The token signs SHA-256(tbs); when that fails, once more on a new
 * session (the token may have gone away and come back). */
static int
token_sign(struct signer *s, const uint8_t *tbs, size_t tlen, struct buf *sig)
{
	uint8_t dg[32];
	int r;

	if ((r = crypto_sha256(tbs, tlen, dg)) != 0)
		return r;
	pthread_mutex_lock(&s->lock);
	r = p11_sign_digest(s->p11, s->session, &s->pk, dg, sizeof(dg), sig);
	if (r != 0 && s->pin != NULL) {
		fprintf(stderr, "kyso-ra: the CA token did not sign; opening a "
		    "new session\n");
		if ((r = token_reopen(s)) == 0)
			r = p11_sign_digest(s->p11, s->session, &s->pk, dg,
			    sizeof(dg), sig);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* sig over tbs by key (SHA-256; ECDSA's in DER) verifies. */
static int
pkey_verify(EVP_PKEY *key, const uint8_t *tbs, size_t tlen,
    const struct buf *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = m != NULL && EVP_DigestVerifyInit_ex(m, NULL, "SHA256", NULL, NULL,
	    key, NULL) == 1 && EVP_DigestVerify(m, buf_ptr(sig), buf_len(sig),
	    tbs, tlen) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : KYSO_ERR_CRYPTO;
}

static int
pkey_sign(EVP_PKEY *key, const uint8_t *tbs, size_t tlen, struct buf *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t out[1024];   /* RSA-4096 is 512 bytes */
	size_t n = sizeof(out);
	int r = KYSO_ERR_CRYPTO;

	if (m != NULL && EVP_DigestSignInit_ex(m, NULL, "SHA256", NULL, NULL,
	    key, NULL) == 1 && EVP_DigestSign(m, out, &n, tbs, tlen) == 1)
		r = buf_put(sig, out, n);
	EVP_MD_CTX_free(m);
	return r;
}

int
signer_sign_tbs(struct signer *s, const uint8_t *tbs, size_t tlen,
    struct buf *out)
{
	struct buf *sig = buf_new(4096);
	int r = KYSO_ERR_NOMEM;

	if (sig == NULL)
		goto out;
	if (s->p11 == NULL) {
		r = pkey_sign(s->key, tbs, tlen, sig);
	} else if ((r = token_sign(s, tbs, tlen, sig)) == 0) {
		/* A token that signed with another key than the CA's
		 * certificate names must not put out a bad certificate. */
		r = pkey_verify(s->key, tbs, tlen, sig);
	}
	if (r == 0)
		r = assemble(s, tbs, tlen, sig, out);
out:
	buf_free(sig);
	return r;
}

/* Certificates and CRLs made with OpenSSL's objects (the CA's own,
 * the service certificates, every CRL): with a PEM key OpenSSL signs; on
 * a token, signing with the shape key writes the algorithm identifiers,
 * the TBS goes through signer_sign_tbs and the whole is read back. */
static int
x509_sign(void *obj, EVP_PKEY *key)
{
	return X509_sign(obj, key, EVP_sha256()) > 0;
}

static int
x509_tbs(void *obj, unsigned char **der)
{
	return i2d_re_X509_tbs(obj, der);
}

static int
crl_sign(void *obj, EVP_PKEY *key)
{
	return X509_CRL_sign(obj, key, EVP_sha256()) > 0;
}

static int
crl_tbs(void *obj, unsigned char **der)
{
	return i2d_re_X509_CRL_tbs(obj, der);
}

static int
sign_object(struct signer *s, void **obj, int (*sign)(void *, EVP_PKEY *),
    int (*tbs_of)(void *, unsigned char **), const ASN1_ITEM *item)
{
	struct buf *der = NULL;
	uint8_t *tbs = NULL;
	const uint8_t *p;
	void *signed_obj;
	int tlen, r = KYSO_ERR_CRYPTO;

	if (s->p11 == NULL)
		return sign(*obj, s->key) ? 0 : KYSO_ERR_CRYPTO;
	if (!sign(*obj, s->shape) || (tlen = tbs_of(*obj, &tbs)) <= 0)
		goto out;
	if ((der = buf_new(0)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = signer_sign_tbs(s, tbs, (size_t)tlen, der)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	p = buf_ptr(der);
	if ((signed_obj = ASN1_item_d2i(NULL, &p, (long)buf_len(der),
	    item)) == NULL)
		goto out;
	ASN1_item_free(*obj, item);
	*obj = signed_obj;
	r = 0;
out:
	OPENSSL_free(tbs);
	buf_free(der);
	return r;
}

int
signer_sign_x509(struct signer *s, X509 **xp)
{
	void *o = *xp;
	int r;

	r = sign_object(s, &o, x509_sign, x509_tbs, ASN1_ITEM_rptr(X509));
	*xp = o;
	return r;
}

int
signer_sign_crl(struct signer *s, X509_CRL **cp)
{
	void *o = *cp;
	int r;

	r = sign_object(s, &o, crl_sign, crl_tbs, ASN1_ITEM_rptr(X509_CRL));
	*cp = o;
	return r;
}

/* ---- keys on a token ---- */

static const uint8_t oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
	0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };

static int
token_generate(struct signer *s, const char *key_type, uint8_t id[16])
{
	CK_FUNCTION_LIST *fn = p11_fn(s->p11);
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	CK_ULONG bits = 0;
	CK_BYTE e[] = { 1, 0, 1 };
	CK_UTF8CHAR label[] = "kyso-ra issuing CA";
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE hpub, hpriv;
	CK_ATTRIBUTE pub[8], priv[8];
	CK_ULONG np = 0, nq = 0;
	const uint8_t *oid = NULL;
	size_t oidlen = 0;
	CK_RV rv;

	if (crypto_random(id, 16) != 0)
		return KYSO_ERR_CRYPTO;
	if (strcmp(key_type, "p256") == 0) {
		oid = oid_p256;
		oidlen = sizeof(oid_p256);
	} else if (strcmp(key_type, "p384") == 0) {
		oid = oid_p384;
		oidlen = sizeof(oid_p384);
	} else if (strcmp(key_type, "rsa2048") == 0) {
		bits = 2048;
	} else if (strcmp(key_type, "rsa3072") == 0) {
		bits = 3072;
	} else {
		return KYSO_ERR_INVALID;
	}
#define A(arr, n, ty, v, l) do { arr[n].type = ty; arr[n].pValue = (void *)(v); \
	arr[n].ulValueLen = l; n++; } while (0)
	A(pub, np, CKA_TOKEN, &t, sizeof(t));
	A(pub, np, CKA_VERIFY, &t, sizeof(t));
	A(pub, np, CKA_ID, id, 16);
	A(pub, np, CKA_LABEL, label, sizeof(label) - 1);
	if (bits) {
		m.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		A(pub, np, CKA_MODULUS_BITS, &bits, sizeof(bits));
		A(pub, np, CKA_PUBLIC_EXPONENT, e, sizeof(e));
	} else {
		A(pub, np, CKA_EC_PARAMS, oid, oidlen);
	}
	A(priv, nq, CKA_TOKEN, &t, sizeof(t));
	A(priv, nq, CKA_PRIVATE, &t, sizeof(t));
	A(priv, nq, CKA_SENSITIVE, &t, sizeof(t));
	A(priv, nq, CKA_EXTRACTABLE, &f, sizeof(f));
	A(priv, nq, CKA_SIGN, &t, sizeof(t));
	A(priv, nq, CKA_ID, id, 16);
	A(priv, nq, CKA_LABEL, label, sizeof(label) - 1);
#undef A
	rv = fn->C_GenerateKeyPair(s->session, &m, pub, np, priv, nq, &hpub,
	    &hpriv);
	if (rv != CKR_OK) {
		fprintf(stderr, "kyso-ra: C_GenerateKeyPair: %s\n",
		    p11_rv_name(rv));
		return KYSO_ERR_CRYPTO;
	}
	return 0;
}

/* The public half, read from the token's public key object. */
static int
token_pub(struct signer *s, const uint8_t *id, size_t idlen, EVP_PKEY **out)
{
	CK_FUNCTION_LIST *fn = p11_fn(s->p11);
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE q[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)id, idlen } };
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	struct buf *a = NULL, *b = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	EVP_PKEY *k = NULL;
	int r = KYSO_ERR_NOT_FOUND;

	if (fn->C_FindObjectsInit(s->session, q, 2) != CKR_OK)
		return KYSO_ERR_IO;
	if (fn->C_FindObjects(s->session, &h, 1, &n) != CKR_OK)
		n = 0;
	fn->C_FindObjectsFinal(s->session);
	if (n != 1)
		return r;
	r = KYSO_ERR_CRYPTO;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	if (s->pk.type == CKK_RSA) {
		if ((r = p11_get_attr(s->p11, s->session, h, CKA_MODULUS, &a)) != 0 ||
		    (r = p11_get_attr(s->p11, s->session, h,
		    CKA_PUBLIC_EXPONENT, &b)) != 0)
			goto out;
		r = KYSO_ERR_CRYPTO;
		if ((bn_n = BN_bin2bn(buf_ptr(a), (int)buf_len(a), NULL)) == NULL ||
		    (bn_e = BN_bin2bn(buf_ptr(b), (int)buf_len(b), NULL)) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		const char *group;
		const uint8_t *pt;
		size_t ptlen;

		if ((r = p11_get_attr(s->p11, s->session, h, CKA_EC_PARAMS, &a)) != 0 ||
		    (r = p11_get_attr(s->p11, s->session, h, CKA_EC_POINT, &b)) != 0)
			goto out;
		r = KYSO_ERR_UNSUPPORTED;
		if (buf_len(a) == sizeof(oid_p256) &&
		    memcmp(buf_ptr(a), oid_p256, sizeof(oid_p256)) == 0)
			group = "P-256";
		else if (buf_len(a) == sizeof(oid_p384) &&
		    memcmp(buf_ptr(a), oid_p384, sizeof(oid_p384)) == 0)
			group = "P-384";
		else
			goto out;
		/* CKA_EC_POINT is a DER OCTET STRING around the point. */
		pt = buf_ptr(b);
		ptlen = buf_len(b);
		if (ptlen > 2 && pt[0] == 0x04 && pt[1] == ptlen - 2) {
			pt += 2;
			ptlen -= 2;
		}
		r = KYSO_ERR_CRYPTO;
		if (!OSSL_PARAM_BLD_push_utf8_string(bld,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		    pt, ptlen))
			goto out;
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	}
	if (ctx == NULL || (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	*out = k;
	r = 0;
out:
	BN_free(bn_n);
	BN_free(bn_e);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	buf_free(a);
	buf_free(b);
	return r;
}

/* A throwaway key of the same kind as the token's, for the algorithm
 * identifiers. */
static int
shape_for(EVP_PKEY *pub, EVP_PKEY **out)
{
	char group[32];
	size_t gl = 0;

	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA)
		return signer_keygen("rsa2048", out);
	if (!EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &gl))
		return KYSO_ERR_CRYPTO;
	return signer_keygen(strcmp(group, "secp384r1") == 0 ||
	    strcmp(group, "P-384") == 0 ? "p384" : "p256", out);
}

int
signer_from_p11(const char *module, const char *token, const char *pin,
    const char *key_id, const char *key_type, char **new_id,
    struct signer **out)
{
	struct signer *s = signer_alloc();
	CK_FUNCTION_LIST *fn;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	struct buf *id = NULL, *hex = NULL;
	uint8_t gen[16];
	CK_RV rv;
	int r;

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	if ((id = buf_new(64)) == NULL || (hex = buf_new(256)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = p11_open(module, &s->p11)) != 0) {
		fprintf(stderr, "kyso-ra: cannot load PKCS#11 module %s\n",
		    module);
		goto out;
	}
	fn = p11_fn(s->p11);
	if ((r = p11_find_token(s->p11, token, &slot, &ti)) != 0) {
		fprintf(stderr, "kyso-ra: token %s not found\n", token);
		goto out;
	}
	if ((rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s->session)) != CKR_OK) {
		r = p11_err(rv);
		goto out;
	}
	if ((rv = fn->C_Login(s->session, CKU_USER, (CK_UTF8CHAR *)pin,
	    strlen(pin))) != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		fprintf(stderr, "kyso-ra: token login: %s\n", p11_rv_name(rv));
		r = p11_err(rv);
		goto out;
	}
	if (key_id == NULL) {
		if ((r = token_generate(s, key_type, gen)) != 0 ||
		    (r = buf_put(id, gen, sizeof(gen))) != 0)
			goto out;
	} else if ((r = hex_decode(id, key_id, strlen(key_id))) != 0) {
		goto out;
	}
	if ((r = p11_find_key(s->p11, s->session, buf_ptr(id), buf_len(id),
	    &s->pk)) != 0) {
		fprintf(stderr, "kyso-ra: CA key not found on the token\n");
		goto out;
	}
	if ((r = token_pub(s, buf_ptr(id), buf_len(id), &s->key)) != 0 ||
	    (r = shape_for(s->key, &s->shape)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if (buf_len(id) > sizeof(s->id) || (s->token = strdup(token)) == NULL ||
	    (s->pin = strdup(pin)) == NULL)
		goto out;
	memcpy(s->id, buf_ptr(id), buf_len(id));
	s->idlen = buf_len(id);
	if (new_id != NULL) {
		if ((r = hex_encode(hex, buf_ptr(id), buf_len(id))) != 0)
			goto out;
		if ((*new_id = buf_to_cstr(hex)) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	OPENSSL_cleanse(gen, sizeof(gen));
	buf_free(id);
	buf_free(hex);
	signer_free(s);
	return r;
}
