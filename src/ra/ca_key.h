/* The issuing CA's key: a PEM file (development) or a key on a PKCS#11
 * token (an HSM, SoftHSM2, our own token). Signs certificates and CRLs;
 * the rest of the RA never sees which. */
#ifndef KYSO_RA_CA_KEY_H
#define KYSO_RA_CA_KEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/err.h"

struct ca_key;

/* key_type: "p256", "p384", "rsa2048", "rsa3072". */
int ca_key_keygen(const char *key_type, EVP_PKEY **out) KYSO_WUR;
/* Takes ownership of key. */
int ca_key_from_pkey(EVP_PKEY *key, struct ca_key **out) KYSO_WUR;
/* A key on a token: module path (from the command line or ra.conf, never
 * from a request), token serial or label, the key's CKA_ID in hex. With
 * key_id NULL, generates a new key pair of key_type and sets *new_id. */
int ca_key_from_p11(const char *module, const char *token, const char *pin,
    const char *key_id, const char *key_type, char **new_id,
    struct ca_key **out) KYSO_WUR;
void ca_key_free(struct ca_key *s);
/* The public key (owned by k). */
EVP_PKEY *ca_key_pub(const struct ca_key *s);
/* The DER AlgorithmIdentifier the key signs with (SHA-256). */
const uint8_t *ca_key_alg(const struct ca_key *s, size_t *len);
/* Signs the DER TBS bytes and appends SEQUENCE { tbs, ca_key_alg,
 * BIT STRING signature } to out: a certificate or a CRL. A token's
 * signature is checked against the public key before it is used. */
int ca_key_sign_tbs(struct ca_key *s, const uint8_t *tbs, size_t tlen,
    struct buf *out) KYSO_WUR;
/* Replaces *x / *c with the signed object. */
int ca_key_sign_x509(struct ca_key *s, X509 **x) KYSO_WUR;
int ca_key_sign_crl(struct ca_key *s, X509_CRL **c) KYSO_WUR;

#endif
