#include "common/i18n.h"
#include "signer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "p11/p11.h"

#define MAX_CHAIN 16

struct signer {
	struct p11 *p11;
	CK_SESSION_HANDLE session;
	int have_session;
	struct p11_key key;
	struct buf *cert;
	struct buf *chain[MAX_CHAIN];
	size_t nchain;
	size_t sig_max;
};

enum signer_key
signer_key_type(const struct signer *s)
{
	return s->key.type == CKK_EC ? SIGNER_EC : SIGNER_RSA;
}

const struct buf *signer_cert(const struct signer *s) { return s->cert; }
size_t signer_chain_count(const struct signer *s) { return s->nchain; }
const struct buf *signer_chain(const struct signer *s, size_t i) { return s->chain[i]; }
size_t signer_sig_max(const struct signer *s) { return s->sig_max; }

static int
load_chain(struct signer *s, const char *path, const char **why)
{
	FILE *f = fopen(path, "r");
	X509 *x = NULL;
	unsigned char *der = NULL;
	int len, r = KYSO_ERR_INVALID;

	if (f == NULL) {
		*why = N_("cannot open the --chain file");
		return KYSO_ERR_NOT_FOUND;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (s->nchain == MAX_CHAIN) {
			*why = N_("too many certificates in the --chain file");
			goto out;
		}
		if ((len = i2d_X509(x, &der)) <= 0 ||
		    (s->chain[s->nchain] = buf_new((size_t)len)) == NULL ||
		    buf_put(s->chain[s->nchain], der, (size_t)len) != 0) {
			r = KYSO_ERR_NOMEM;
			*why = N_("out of memory");
			goto out;
		}
		s->nchain++;
		OPENSSL_free(der);
		der = NULL;
		X509_free(x);
	}
	x = NULL;
	if (s->nchain == 0) {
		*why = N_("the --chain file holds no PEM certificate");
		goto out;
	}
	r = 0;
out:
	OPENSSL_free(der);
	X509_free(x);
	fclose(f);
	return r;
}

/* The signature size from the certificate's public key. */
static int
sig_size(struct signer *s, const char **why)
{
	const unsigned char *p = buf_ptr(s->cert);
	X509 *x = d2i_X509(NULL, &p, (long)buf_len(s->cert));
	EVP_PKEY *pk;

	if (x == NULL) {
		*why = N_("the token's certificate cannot be read");
		return KYSO_ERR_INVALID;
	}
	pk = X509_get0_pubkey(x);
	s->sig_max = pk != NULL ? (size_t)EVP_PKEY_get_size(pk) + 16 : 1024;
	X509_free(x);
	return 0;
}

int
signer_open(const struct signer_opts *o, const char *pin, struct signer **out,
    const char **why)
{
	struct signer *s = calloc(1, sizeof(*s));
	CK_FUNCTION_LIST *fn;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = KYSO_ERR_INTERNAL;

	*why = N_("out of memory");
	if (s == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = p11_open(o->module, &s->p11)) != 0) {
		*why = N_("cannot load the PKCS#11 module");
		goto out;
	}
	fn = p11_fn(s->p11);
	if ((r = p11_find_token(s->p11, o->token, &slot, &ti)) != 0) {
		*why = r == KYSO_ERR_BUSY ?
		    N_("several tokens are present: choose one with --token") :
		    N_("the token was not found (is it plugged in?)");
		goto out;
	}
	if ((rv = fn->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL,
	    &s->session)) != CKR_OK) {
		*why = N_("cannot open a session on the token");
		r = p11_err(rv);
		goto out;
	}
	s->have_session = 1;
	rv = fn->C_Login(s->session, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		r = p11_err(rv);
		*why = rv == CKR_PIN_INCORRECT ? N_("the PIN is incorrect") :
		    rv == CKR_PIN_LOCKED ? N_("the PIN is locked") :
		    rv == CKR_PIN_EXPIRED ? N_("the token's default PIN must be changed first (kyso-token change-pin)") :
		    N_("logging in to the token failed");
		goto out;
	}
	if ((r = p11_find_key(s->p11, s->session, o->key_id, o->key_id_len,
	    &s->key)) != 0) {
		*why = r == KYSO_ERR_BUSY ?
		    N_("the token holds several keys: choose one with --cert-id") :
		    N_("no signing key with a certificate on the token");
		goto out;
	}
	if (s->key.cert == CK_INVALID_HANDLE ||
	    (r = p11_get_attr(s->p11, s->session, s->key.cert, CKA_VALUE,
	    &s->cert)) != 0) {
		*why = N_("the signing key has no certificate on the token");
		r = KYSO_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = sig_size(s, why)) != 0)
		goto out;
	/* The chain: the --chain file, else the CA certificates the token
	 * holds (kyso-token register puts them beside the key). */
	if (o->chain_pem != NULL) {
		if ((r = load_chain(s, o->chain_pem, why)) != 0)
			goto out;
	} else if ((r = p11_cert_chain(s->p11, s->session, s->cert, s->chain,
	    MAX_CHAIN, &s->nchain)) != 0) {
		*why = N_("the token's certificate cannot be read");
		goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	signer_free(s);
	return r;
}

void
signer_free(struct signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->have_session) {
		p11_fn(s->p11)->C_Logout(s->session);
		p11_fn(s->p11)->C_CloseSession(s->session);
	}
	p11_free(s->p11);
	buf_free(s->cert);
	for (i = 0; i < s->nchain; i++)
		buf_free(s->chain[i]);
	free(s);
}

int
signer_sign_digest(struct signer *s, const uint8_t digest[32], struct buf *sig)
{
	return p11_sign_digest(s->p11, s->session, &s->key, digest, 32, sig);
}
