#include "ca_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/der.h"
#include "common/parse.h"
#include "p11/p11.h"
#include "p11/signer.h"

struct ca_key {
	EVP_PKEY *key; /* PEM: the private key; token: the public key */
	/* Token only: a throwaway key of the same type. Signing with it
	 * writes the algorithm identifiers; the token then signs the TBS
	 * bytes and the signature is put in its place. */
	EVP_PKEY *shape;
	/* Token, EC only: the token's public key with the shape's private
	 * scalar. OpenSSL's OCSP and time-stamp signers check that the key
	 * matches the signer's certificate (the public halves): this one
	 * passes, signs wrongly, and the token's signature replaces it. */
	EVP_PKEY *standin;
	struct p11_signer *token;
	struct buf *alg; /* DER AlgorithmIdentifier, from the key's type */
};

int
ca_key_keygen(const char *key_type, EVP_PKEY **out)
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

/* The AlgorithmIdentifier of what the CA key signs with: SHA-256 and the
 * key's algorithm, worked out once. */
static int
alg_for(struct ca_key *k, EVP_PKEY *key)
{
	if ((k->alg = buf_new(64)) == NULL)
		return KYSO_ERR_NOMEM;
	return der_put_sig_alg(k->alg, EVP_PKEY_get_base_id(key) == EVP_PKEY_EC);
}

/* A PEM key (development, tests): OpenSSL signs with it directly. */
int
ca_key_from_pkey(EVP_PKEY *key, struct ca_key **out)
{
	struct ca_key *k = calloc(1, sizeof(*k));

	int r;

	if (k == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = alg_for(k, key)) != 0) {
		free(k);
		return r;
	}
	k->key = key;
	*out = k;
	return 0;
}

void
ca_key_free(struct ca_key *k)
{
	if (k == NULL)
		return;
	p11_signer_free(k->token);
	EVP_PKEY_free(k->key);
	EVP_PKEY_free(k->shape);
	EVP_PKEY_free(k->standin);
	buf_free(k->alg);
	free(k);
}

EVP_PKEY *
ca_key_pub(const struct ca_key *s)
{
	return s->key;
}

const uint8_t *
ca_key_alg(const struct ca_key *s, size_t *len)
{
	*len = buf_len(s->alg);
	return buf_ptr(s->alg);
}

/* The token signs SHA-256(tbs); the p11 signer logs in again and tries
 * once more when the token went away and came back. */
static int
token_sign(struct ca_key *k, const uint8_t *tbs, size_t tlen, struct buf *sig)
{
	uint8_t dg[32];
	int r;

	if ((r = crypto_sha256(tbs, tlen, dg)) != 0)
		return r;
	return p11_signer_sign_digest(k->token, dg, sig);
}

/* sig over tbs by key (SHA-256; ECDSA's in DER) verifies. */
static int
pkey_verify(EVP_PKEY *key, const uint8_t *tbs, size_t tlen, const struct buf *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	int ok;

	ok = m != NULL &&
	    EVP_DigestVerifyInit_ex(m, NULL, "SHA256", NULL, NULL, key, NULL) ==
		1 &&
	    EVP_DigestVerify(m, buf_ptr(sig), buf_len(sig), tbs, tlen) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : KYSO_ERR_CRYPTO;
}

static int
pkey_sign(EVP_PKEY *key, const uint8_t *tbs, size_t tlen, struct buf *sig)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t out[1024]; /* RSA-4096 is 512 bytes */
	size_t n = sizeof(out);
	int r = KYSO_ERR_CRYPTO;

	if (m != NULL &&
	    EVP_DigestSignInit_ex(m, NULL, "SHA256", NULL, NULL, key, NULL) == 1 &&
	    EVP_DigestSign(m, out, &n, tbs, tlen) == 1)
		r = buf_put(sig, out, n);
	EVP_MD_CTX_free(m);
	return r;
}

int
ca_key_sign_tbs(struct ca_key *s, const uint8_t *tbs, size_t tlen, struct buf *out)
{
	struct buf *sig = buf_new(4096);
	int r = KYSO_ERR_NOMEM;

	if (sig == NULL)
		goto out;
	if (s->token == NULL) {
		r = pkey_sign(s->key, tbs, tlen, sig);
	} else if ((r = token_sign(s, tbs, tlen, sig)) == 0) {
		/* A token that signed with another key than the CA's
		 * certificate names must not put out a bad certificate. */
		r = pkey_verify(s->key, tbs, tlen, sig);
	}
	if (r == 0)
		r = der_put_signed(out, tbs, tlen, buf_ptr(s->alg),
		    buf_len(s->alg), buf_ptr(sig), buf_len(sig));
out:
	buf_free(sig);
	return r;
}

/* Certificates and CRLs made with OpenSSL's objects (the CA's own,
 * the service certificates, every CRL): with a PEM key OpenSSL signs; on
 * a token, signing with the shape key writes the algorithm identifiers,
 * the TBS goes through ca_key_sign_tbs and the whole is read back. */
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
sign_object(struct ca_key *s, void **obj, int (*sign)(void *, EVP_PKEY *),
    int (*tbs_of)(void *, unsigned char **), const ASN1_ITEM *item)
{
	struct buf *der = NULL;
	uint8_t *tbs = NULL;
	const uint8_t *p;
	void *signed_obj;
	int tlen, r = KYSO_ERR_CRYPTO;

	if (s->token == NULL)
		return sign(*obj, s->key) ? 0 : KYSO_ERR_CRYPTO;
	if (!sign(*obj, s->shape) || (tlen = tbs_of(*obj, &tbs)) <= 0)
		goto out;
	if ((der = buf_new(0)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = ca_key_sign_tbs(s, tbs, (size_t)tlen, der)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	p = buf_ptr(der);
	if ((signed_obj = ASN1_item_d2i(NULL, &p, (long)buf_len(der), item)) ==
	    NULL)
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
ca_key_sign_x509(struct ca_key *s, X509 **xp)
{
	void *o = *xp;
	int r;

	r = sign_object(s, &o, x509_sign, x509_tbs, ASN1_ITEM_rptr(X509));
	*xp = o;
	return r;
}

int
ca_key_sign_crl(struct ca_key *s, X509_CRL **cp)
{
	void *o = *cp;
	int r;

	r = sign_object(s, &o, crl_sign, crl_tbs, ASN1_ITEM_rptr(X509_CRL));
	*cp = o;
	return r;
}

/* ---- keys on a token ---- */

/* Prints the p11 signer's notices (a re-login) to the server's log. */
static void
token_notice(const char *what, void *ud)
{
	(void)ud;
	fprintf(stderr, "kyso-ra: the CA token: %s\n", what);
}

/* A new key pair on the token, before the server signs with it: a
 * session of its own, closed again (the signer opens its own). */
static int
token_generate(const char *module, const char *token, const char *pin,
    const char *key_type, const char *label, uint8_t id[16])
{
	struct p11 *p = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	struct p11_key k;
	char *copy = NULL;
	int r;

	if (crypto_random(id, 16) != 0)
		return KYSO_ERR_CRYPTO;
	if ((r = p11_open(module, &p)) != 0) {
		fprintf(stderr, "kyso-ra: cannot load PKCS#11 module %s\n",
		    module);
		goto out;
	}
	if ((r = p11_find_token(p, token, &slot, &ti)) != 0) {
		fprintf(stderr, "kyso-ra: token %s not found\n", token);
		goto out;
	}
	if ((copy = strdup(pin)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = p11_login(p, slot, 1, CKU_USER, copy, &s, NULL)) != 0) {
		fprintf(stderr, "kyso-ra: token login: %s\n",
		    p11_rv_name(p11_last_rv(p)));
		goto out;
	}
	if ((r = p11_generate_keypair(p, s, key_type, id, 16, label, &k, NULL)) !=
	    0) {
		fprintf(stderr, "kyso-ra: C_GenerateKeyPair: %s\n",
		    p11_rv_name(p11_last_rv(p)));
		r = r == KYSO_ERR_INVALID ? r : KYSO_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	free(copy);
	if (s != CK_INVALID_HANDLE) {
		p11_logout(p, s);
		p11_session_close(p, s);
	}
	p11_free(p);
	return r;
}

/* The public half, as the token gives it. */
static int
token_pub(struct ca_key *k, EVP_PKEY **out)
{
	struct buf *spki = buf_new(65536);
	const uint8_t *q;
	EVP_PKEY *pk;
	int r = KYSO_ERR_NOMEM;

	if (spki == NULL)
		return r;
	if ((r = p11_signer_public_key(k->token, spki)) == 0) {
		q = buf_ptr(spki);
		if ((pk = d2i_PUBKEY(NULL, &q, (long)buf_len(spki))) == NULL)
			r = KYSO_ERR_CRYPTO;
		else
			*out = pk;
	}
	buf_free(spki);
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
		return ca_key_keygen("rsa2048", out);
	if (!EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
		group, sizeof(group), &gl))
		return KYSO_ERR_CRYPTO;
	return ca_key_keygen(strcmp(group, "secp384r1") == 0 ||
		    strcmp(group, "P-384") == 0
		? "p384"
		: "p256",
	    out);
}

/* The stand-in (see struct ca_key): the token's group and public point,
 * the shape's private scalar. */
static int
standin_for(struct ca_key *k)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIGNUM *priv = NULL;
	uint8_t pub[133];
	char group[32];
	size_t pl = 0, gl = 0;
	int r = KYSO_ERR_CRYPTO;

	if (bld == NULL ||
	    !EVP_PKEY_get_utf8_string_param(k->key, OSSL_PKEY_PARAM_GROUP_NAME,
		group, sizeof(group), &gl) ||
	    !EVP_PKEY_get_octet_string_param(k->key, OSSL_PKEY_PARAM_PUB_KEY,
		pub, sizeof(pub), &pl) ||
	    !EVP_PKEY_get_bn_param(k->shape, OSSL_PKEY_PARAM_PRIV_KEY, &priv) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
		pl) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k->standin, EVP_PKEY_KEYPAIR, params) != 1)
		goto out;
	r = 0;
out:
	BN_clear_free(priv);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* A key on a token: made there first when key_id is NULL, then opened
 * like any token signer, but keeping the PIN to log in again (a server
 * outlives a USB token pulled out, an HSM restarted). */
static int
open_p11(const char *module, const char *token, const char *pin,
    const char *key_id, const char *key_type, const char *label, char **new_id,
    struct ca_key **out)
{
	struct p11_signer_opts o = { 0 };
	struct ca_key *k = calloc(1, sizeof(*k));
	struct buf *id = NULL, *hex = NULL;
	const char *why;
	uint8_t gen[16];
	int r;

	if (k == NULL)
		return KYSO_ERR_NOMEM;
	if ((id = buf_new(64)) == NULL || (hex = buf_new(256)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if (key_id == NULL) {
		if ((r = token_generate(module, token, pin, key_type, label,
			 gen)) != 0 ||
		    (r = buf_put(id, gen, sizeof(gen))) != 0)
			goto out;
	} else if ((r = hex_decode(id, key_id, strlen(key_id))) != 0) {
		goto out;
	}
	o.module = module;
	o.token = token;
	o.key_id = buf_ptr(id);
	o.key_id_len = buf_len(id);
	o.flags = P11_SIGNER_RELOGIN | P11_SIGNER_NO_CERT;
	o.notice = token_notice;
	if ((r = p11_signer_open(&o, pin, &k->token, &why)) != 0) {
		fprintf(stderr, "kyso-ra: the CA key on the token: %s\n", why);
		goto out;
	}
	if ((r = token_pub(k, &k->key)) != 0 ||
	    (r = shape_for(k->key, &k->shape)) != 0 ||
	    (r = alg_for(k, k->key)) != 0 ||
	    (EVP_PKEY_get_base_id(k->key) == EVP_PKEY_EC &&
		(r = standin_for(k)) != 0))
		goto out;
	if (new_id != NULL) {
		if ((r = hex_encode(hex, buf_ptr(id), buf_len(id))) != 0)
			goto out;
		if ((*new_id = buf_to_cstr(hex)) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
	}
	*out = k;
	k = NULL;
	r = 0;
out:
	OPENSSL_cleanse(gen, sizeof(gen));
	buf_free(id);
	buf_free(hex);
	ca_key_free(k);
	return r;
}

int
ca_key_from_p11(const char *module, const char *token, const char *pin,
    const char *key_id, const char *key_type, char **new_id, struct ca_key **out)
{
	return open_p11(module, token, pin, key_id, key_type,
	    "kyso-ra issuing CA", new_id, out);
}

int
ca_key_new_p11(const char *module, const char *token, const char *pin,
    const char *label, char **new_id, struct ca_key **out)
{
	return open_p11(module, token, pin, NULL, "p256", label, new_id, out);
}

int
ca_key_on_token(const struct ca_key *k)
{
	return k->token != NULL;
}

/* A service's signature (OCSP, time-stamps) over bytes OpenSSL encoded:
 * SHA-256, ECDSA in DER, checked against the token's public key. */
static int
token_sign_checked(struct ca_key *k, const uint8_t *d, size_t n, struct buf *sig)
{
	int r;

	if ((r = token_sign(k, d, n, sig)) == 0)
		r = pkey_verify(k->key, d, n, sig);
	return r;
}

int
ca_key_sign_bytes(struct ca_key *k, const uint8_t *d, size_t n, struct buf *sig)
{
	if (k->token == NULL)
		return KYSO_ERR_UNSUPPORTED;
	return token_sign_checked(k, d, n, sig);
}

/* An OCSP response signed by OpenSSL with the stand-in: the token's
 * signature over the ResponseData replaces the stand-in's. */
int
ca_key_sign_ocsp(struct ca_key *k, X509 *signer, OCSP_BASICRESP *bs)
{
	unsigned char *der = NULL;
	struct buf *sig = buf_new(4096);
	ASN1_BIT_STRING *bits;
	int len, r = KYSO_ERR_CRYPTO;

	if (sig == NULL)
		return KYSO_ERR_NOMEM;
	if (k->standin == NULL ||
	    OCSP_basic_sign(bs, signer, k->standin, EVP_sha256(), NULL, 0) != 1 ||
	    (len = i2d_OCSP_RESPDATA((OCSP_RESPDATA *)OCSP_resp_get0_respdata(bs),
		 &der)) <= 0 ||
	    (r = token_sign_checked(k, der, (size_t)len, sig)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	bits = (ASN1_BIT_STRING *)OCSP_resp_get0_signature(bs);
	if (ASN1_BIT_STRING_set(bits, (unsigned char *)buf_ptr(sig),
		(int)buf_len(sig)) != 1)
		goto out;
	r = 0;
out:
	OPENSSL_free(der);
	buf_free(sig);
	return r;
}

/* A time-stamp signed with the stand-in key: the token signs the
 * SignerInfo's signed attributes (DER, as a SET) and its signature
 * replaces the shape's. */
int
ca_key_sign_ts(struct ca_key *k, TS_RESP *resp)
{
	PKCS7 *p7 = TS_RESP_get_token(resp);
	STACK_OF(PKCS7_SIGNER_INFO) *sis = p7 ? PKCS7_get_signer_info(p7) : NULL;
	PKCS7_SIGNER_INFO *si;
	unsigned char *der = NULL;
	struct buf *sig = buf_new(4096);
	int len, r = KYSO_ERR_CRYPTO;

	if (sig == NULL)
		return KYSO_ERR_NOMEM;
	if (p7 == NULL) { /* a rejection carries no token: nothing signed */
		r = 0;
		goto out;
	}
	if (sis == NULL || sk_PKCS7_SIGNER_INFO_num(sis) != 1 ||
	    (si = sk_PKCS7_SIGNER_INFO_value(sis, 0)) == NULL ||
	    (len = ASN1_item_i2d((ASN1_VALUE *)si->auth_attr, &der,
		 ASN1_ITEM_rptr(PKCS7_ATTR_SIGN))) <= 0 ||
	    (r = token_sign_checked(k, der, (size_t)len, sig)) != 0)
		goto out;
	r = ASN1_STRING_set(si->enc_digest, buf_ptr(sig), (int)buf_len(sig)) == 1
	    ? 0
	    : KYSO_ERR_CRYPTO;
out:
	OPENSSL_free(der);
	buf_free(sig);
	return r;
}

EVP_PKEY *
ca_key_shape(const struct ca_key *k)
{
	return k->standin != NULL ? k->standin
	    : k->shape != NULL	  ? k->shape
				  : k->key;
}
