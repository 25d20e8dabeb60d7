/* A signing key on a token, opened once for a batch: the module loaded,
 * the token found, the user logged in (one PIN), the key and its
 * certificate (plus an optional chain) found. Everything signs through
 * signer_sign_digest: the caller hashes, the token signs. */
#ifndef KYSO_SIGNER_H
#define KYSO_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct signer;

struct signer_opts {
	const char *module;     /* NULL: the kyso token */
	const char *token;      /* serial or label; NULL: the only token */
	const uint8_t *key_id;  /* CKA_ID; NULL: the only key with a cert */
	size_t key_id_len;
	const char *chain_pem;  /* extra certificates (PEM file) or NULL */
};

/* On failure *why gets a static sentence for the user. The PIN is not
 * kept (the caller wipes it). */
int signer_open(const struct signer_opts *o, const char *pin,
    struct signer **out, const char **why) KYSO_WUR;
void signer_free(struct signer *s);

enum signer_key { SIGNER_RSA, SIGNER_EC };
enum signer_key signer_key_type(const struct signer *s);
/* The signer's certificate, DER. */
const struct buf *signer_cert(const struct signer *s);
/* The chain certificates (DER each). */
size_t signer_chain_count(const struct signer *s);
const struct buf *signer_chain(const struct signer *s, size_t i);
/* Appends the signature of a SHA-256 digest: PKCS#1 v1.5 for RSA, DER
 * ECDSA-Sig-Value for EC. */
int signer_sign_digest(struct signer *s, const uint8_t digest[32],
    struct buf *sig) KYSO_WUR;
/* An upper bound on the signature's length. */
size_t signer_sig_max(const struct signer *s);

#endif
