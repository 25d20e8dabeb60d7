/* The one token signer: kyso-sign's documents, kyso-ra's certificates. */
#include "signer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/i18n.h"
#include "p11.h"

#define MAX_CHAIN 16

struct p11_signer {
	struct p11 *p11;
	CK_SESSION_HANDLE session; /* CK_INVALID_HANDLE when none */
	struct p11_key key;
	struct buf *cert; /* NULL: P11_SIGNER_NO_CERT, none */
	struct buf *chain[MAX_CHAIN];
	size_t nchain;
	size_t sig_max;
	/* P11_SIGNER_RELOGIN: what opening the session again needs, kept
	 * for the signer's life and wiped at the end. */
	char *token, *pin;
	CK_SLOT_ID slot; /* the token's, for p11_signer_present */
	char serial[17]; /* its serial number */
	void (*notice)(const char *what, void *ud);
	void *notice_ud;
	pthread_mutex_t lock; /* one signature at a time */
};

enum p11_signer_key
p11_signer_key_type(const struct p11_signer *s)
{
	return s->key.type == CKK_EC ? P11_SIGNER_EC : P11_SIGNER_RSA;
}

const struct buf *
p11_signer_cert(const struct p11_signer *s)
{
	return s->cert;
}
size_t
p11_signer_chain_count(const struct p11_signer *s)
{
	return s->nchain;
}
const struct buf *
p11_signer_chain(const struct p11_signer *s, size_t i)
{
	return s->chain[i];
}
size_t
p11_signer_sig_max(const struct p11_signer *s)
{
	return s->sig_max;
}

/* The --chain file's certificates, for a token that does not hold the
 * CA certificates beside the key. */
static int
load_chain(struct p11_signer *s, const char *path, const char **why)
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

/* The signature size from the certificate's public key, else (no
 * certificate) from the key on the token. */
static int
sig_size(struct p11_signer *s, const char **why)
{
	const unsigned char *p;
	struct buf *spki = NULL;
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	int r = KYSO_ERR_INVALID;

	if (s->cert != NULL) {
		p = buf_ptr(s->cert);
		if ((x = d2i_X509(NULL, &p, (long)buf_len(s->cert))) == NULL) {
			*why = N_("the token's certificate cannot be read");
			goto out;
		}
		pk = X509_get0_pubkey(x);
		s->sig_max = pk != NULL ? (size_t)EVP_PKEY_get_size(pk) + 16
					: 1024;
		r = 0;
		goto out;
	}
	*why = N_("the signing key's public key cannot be read");
	if ((spki = buf_new(65536)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = p11_public_key(s->p11, s->session, &s->key, spki)) != 0)
		goto out;
	p = buf_ptr(spki);
	if ((pk = d2i_PUBKEY(NULL, &p, (long)buf_len(spki))) == NULL) {
		r = KYSO_ERR_CRYPTO;
		goto out;
	}
	s->sig_max = (size_t)EVP_PKEY_get_size(pk) + 16;
	EVP_PKEY_free(pk);
	r = 0;
out:
	X509_free(x);
	buf_free(spki);
	return r;
}

/* A session logged in with a copy of the PIN (p11_session_login wipes
 * what it is given), and the key found on it. */
static int
login_find(struct p11_signer *s, const char *token, const char *pin,
    const uint8_t *id, size_t idlen, const char **why)
{
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h;
	char *copy;
	int r;

	if ((r = p11_find_token(s->p11, token, &slot, &ti)) != 0) {
		*why = r == KYSO_ERR_BUSY
		    ? N_("several tokens are present: choose one with --token")
		    : N_("the token was not found (is it plugged in?)");
		return r;
	}
	if ((r = p11_session_open(s->p11, slot, 0, &h)) != 0) {
		*why = N_("cannot open a session on the token");
		return r;
	}
	if ((copy = strdup(pin)) == NULL) {
		p11_session_close(s->p11, h);
		*why = N_("out of memory");
		return KYSO_ERR_NOMEM;
	}
	r = p11_session_login(s->p11, h, CKU_USER, copy, NULL);
	free(copy);
	if (r != 0) {
		p11_session_close(s->p11, h);
		*why = r == KYSO_ERR_PIN_INCORRECT ? N_("the PIN is incorrect")
		    : r == KYSO_ERR_PIN_LOCKED	   ? N_("the PIN is locked")
		    : r == KYSO_ERR_PIN_EXPIRED
		    ? N_("the token's default PIN must be changed first (kyso-token change-pin)")
		    : N_("logging in to the token failed");
		return r;
	}
	s->session = h;
	s->slot = slot;
	p11_str(ti.serialNumber, sizeof(ti.serialNumber), s->serial);
	if ((r = p11_find_key(s->p11, h, id, idlen, &s->key)) != 0) {
		*why = r == KYSO_ERR_BUSY
		    ? N_("the token holds several keys: choose one with --cert-id")
		    : N_("no signing key with a certificate on the token");
		return r;
	}
	return 0;
}

/* Everything a batch needs is found once here, so that a token that
 * cannot sign is refused before the first document is touched. */
int
p11_signer_open(const struct p11_signer_opts *o, const char *pin,
    struct p11_signer **out, const char **why)
{
	struct p11_signer *s = calloc(1, sizeof(*s));
	int r = KYSO_ERR_INTERNAL;

	*why = N_("out of memory");
	if (s == NULL)
		return KYSO_ERR_NOMEM;
	s->session = CK_INVALID_HANDLE;
	pthread_mutex_init(&s->lock, NULL);
	s->notice = o->notice;
	s->notice_ud = o->notice_ud;
	if ((r = p11_open(o->module, &s->p11)) != 0) {
		*why = N_("cannot load the PKCS#11 module");
		goto out;
	}
	if ((r = login_find(s, o->token, pin, o->key_id, o->key_id_len, why)) != 0)
		goto out;
	if (s->key.cert != CK_INVALID_HANDLE &&
	    (r = p11_get_attr(s->p11, s->session, s->key.cert, CKA_VALUE,
		 &s->cert)) != 0) {
		*why = N_("the signing key has no certificate on the token");
		r = KYSO_ERR_NOT_FOUND;
		goto out;
	}
	if (s->cert == NULL && !(o->flags & P11_SIGNER_NO_CERT)) {
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
	} else if (s->cert != NULL &&
	    (r = p11_cert_chain(s->p11, s->session, s->cert, s->chain,
		 MAX_CHAIN, &s->nchain)) != 0) {
		*why = N_("the token's certificate cannot be read");
		goto out;
	}
	if (o->flags & P11_SIGNER_RELOGIN) {
		*why = N_("out of memory");
		r = KYSO_ERR_NOMEM;
		if ((o->token != NULL && (s->token = strdup(o->token)) == NULL) ||
		    (s->pin = strdup(pin)) == NULL)
			goto out;
	}
	*out = s;
	s = NULL;
	r = 0;
out:
	p11_signer_free(s);
	return r;
}

/* Logs out before closing: the token should not stay logged in for
 * another program once this one is done. */
void
p11_signer_free(struct p11_signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->session != CK_INVALID_HANDLE) {
		p11_logout(s->p11, s->session);
		p11_session_close(s->p11, s->session);
	}
	p11_free(s->p11);
	buf_free(s->cert);
	for (i = 0; i < s->nchain; i++)
		buf_free(s->chain[i]);
	free(s->token);
	if (s->pin != NULL) {
		OPENSSL_cleanse(s->pin, strlen(s->pin));
		free(s->pin);
	}
	OPENSSL_cleanse(&s->key, sizeof(s->key));
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The slot may hold another token by now: the serial must match. */
int
p11_signer_present(struct p11_signer *s)
{
	CK_TOKEN_INFO ti;
	char serial[sizeof(s->serial)];
	int r;

	pthread_mutex_lock(&s->lock);
	r = p11_token_info(s->p11, s->slot, &ti);
	pthread_mutex_unlock(&s->lock);
	if (r != 0)
		return 0;
	p11_str(ti.serialNumber, sizeof(ti.serialNumber), serial);
	return strcmp(serial, s->serial) == 0;
}

/* kyso-ra's CA key keeps no certificate on the token: it reads its
 * public half from the key pair. */
int
p11_signer_public_key(struct p11_signer *s, struct buf *spki)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = p11_public_key(s->p11, s->session, &s->key, spki);
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* A new session, logged in again, and the key found again by its id
 * (the handles of the old session mean nothing now). */
static int
reopen(struct p11_signer *s)
{
	uint8_t id[sizeof(s->key.id)];
	size_t idlen = s->key.idlen;
	const char *why;
	int r;

	memcpy(id, s->key.id, idlen);
	p11_session_close(s->p11, s->session);
	s->session = CK_INVALID_HANDLE;
	r = login_find(s, s->token, s->pin, id, idlen, &why);
	OPENSSL_cleanse(id, sizeof(id));
	return r;
}

/* With P11_SIGNER_RELOGIN, a failed signature is tried once more on a
 * new session: the token may have gone away and come back. */
int
p11_signer_sign_digest(struct p11_signer *s, const uint8_t digest[32],
    struct buf *sig)
{
	int r;

	pthread_mutex_lock(&s->lock);
	r = s->session == CK_INVALID_HANDLE
	    ? KYSO_ERR_NOT_FOUND
	    : p11_sign_digest(s->p11, s->session, &s->key, digest, 32, sig);
	if (r != 0 && s->pin != NULL) {
		if (s->notice != NULL)
			s->notice("the token did not sign; opening a new session",
			    s->notice_ud);
		if ((r = reopen(s)) == 0)
			r = p11_sign_digest(s->p11, s->session, &s->key, digest,
			    32, sig);
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
