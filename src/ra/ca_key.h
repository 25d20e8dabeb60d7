/* The issuing CA's key: a PEM file (development) or a key on a PKCS#11
 * token (an HSM, SoftHSM2, our own token). Signs certificates and CRLs;
 * the rest of the RA never sees which. */
#ifndef KYSO_RA_CA_KEY_H
#define KYSO_RA_CA_KEY_H

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
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
/* A new P-256 key pair on that token for a service (OCSP responder,
 * TSA), labelled; its CKA_ID in hex in *new_id. */
int ca_key_new_p11(const char *module, const char *token, const char *pin,
    const char *label, char **new_id, struct ca_key **out) KYSO_WUR;
void ca_key_free(struct ca_key *s);
/* 1 when the key is on a token. */
int ca_key_on_token(const struct ca_key *k);
/* What OpenSSL signs with: the key, or for a token's EC key a stand-in
 * (its public key, a throwaway private scalar: OpenSSL's OCSP and TSA
 * signers check the public half against the certificate) whose signature
 * the token's replaces (owned by k). */
EVP_PKEY *ca_key_shape(const struct ca_key *k);
/* A token's service key signs an OCSP response (as OCSP_basic_sign with
 * no flags) or a time-stamp response (made with ca_key_shape as its
 * signer key): the token's signature, checked, goes in place of the
 * stand-in's. */
int ca_key_sign_ocsp(struct ca_key *k, X509 *signer, OCSP_BASICRESP *bs) KYSO_WUR;
int ca_key_sign_ts(struct ca_key *k, TS_RESP *resp) KYSO_WUR;
/* A token's service key signs the DER bytes d (SHA-256): appends the DER
 * ECDSA-Sig-Value, checked against the public key, to sig. */
int ca_key_sign_bytes(struct ca_key *k, const uint8_t *d, size_t n,
    struct buf *sig) KYSO_WUR;
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
