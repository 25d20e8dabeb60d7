/* A signing key on a token, opened once for a batch or a server's life:
 * the module loaded, the token found, the user logged in (one PIN), the
 * key and its certificate (plus an optional chain) found. Everything
 * signs through p11_signer_sign_digest: the caller hashes, the token
 * signs. kyso-sign signs documents with it, kyso-ra certificates and
 * CRLs. */
#ifndef KYSO_P11_SIGNER_H
#define KYSO_P11_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct p11_signer;

/* Opt-in behaviours (p11_signer_opts.flags). */
enum {
	/* Keep a copy of the PIN for the signer's life (wiped at the end):
	 * when the token does not sign, log in again on a new session and
	 * try once more. For servers whose token may go away and come back
	 * (an HSM restart, a USB token re-plugged). */
	P11_SIGNER_RELOGIN = 1 << 0,
	/* The key need not have a certificate on the token (a CA's key:
	 * its certificate lives in the CA's files); the signature size
	 * then comes from the public key. */
	P11_SIGNER_NO_CERT = 1 << 1,
};

struct p11_signer_opts {
	const char *module;    /* NULL: the kyso token */
	const char *token;     /* serial or label; NULL: the only token */
	const uint8_t *key_id; /* CKA_ID; NULL: the only key with a cert */
	size_t key_id_len;
	const char *chain_pem; /* extra certificates (PEM file) or NULL */
	unsigned flags;	       /* P11_SIGNER_* */
	/* Told (a static English sentence) before a P11_SIGNER_RELOGIN
	 * retry, for the program's log; may be NULL. */
	void (*notice)(const char *what, void *ud);
	void *notice_ud;
};

/* On failure *why gets a static sentence for the user (untranslated;
 * marked for the catalog). The PIN is wiped in a copy; the caller wipes
 * its own. */
int p11_signer_open(const struct p11_signer_opts *o, const char *pin,
    struct p11_signer **out, const char **why) KYSO_WUR;
void p11_signer_free(struct p11_signer *s);

enum p11_signer_key { P11_SIGNER_RSA, P11_SIGNER_EC };
enum p11_signer_key p11_signer_key_type(const struct p11_signer *s);
/* The signer's certificate, DER; NULL with P11_SIGNER_NO_CERT when the
 * token holds none. */
const struct buf *p11_signer_cert(const struct p11_signer *s);
/* The chain certificates (DER each). */
size_t p11_signer_chain_count(const struct p11_signer *s);
const struct buf *p11_signer_chain(const struct p11_signer *s, size_t i);
/* Appends the key's DER SubjectPublicKeyInfo to spki. */
int p11_signer_public_key(struct p11_signer *s, struct buf *spki) KYSO_WUR;
/* Appends the signature of a SHA-256 digest: PKCS#1 v1.5 for RSA, DER
 * ECDSA-Sig-Value for EC. Threads may share a signer. */
int p11_signer_sign_digest(struct p11_signer *s, const uint8_t digest[32],
    struct buf *sig) KYSO_WUR;
/* True while the token the signer logged in to is still plugged in: a
 * batch tells "the token was removed" from "the token refused". */
int p11_signer_present(struct p11_signer *s);
/* An upper bound on the signature's length. */
size_t p11_signer_sig_max(const struct p11_signer *s);

#endif
