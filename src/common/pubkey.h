/* Public keys from the pieces PKCS#11 keeps them in: an RSA modulus and
 * exponent, or an EC curve OID and point. Used by the token module and
 * by the programs that read keys off any token. */
#ifndef KYSO_PUBKEY_H
#define KYSO_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* "P-256" or "P-384" for the DER OID (CKA_EC_PARAMS), else NULL. */
const char *pubkey_curve_name(const uint8_t *oid, size_t n);
/* The DER OID of a curve name above, or NULL. */
const uint8_t *pubkey_curve_oid(const char *name, size_t *n);
EVP_PKEY *pubkey_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
    size_t elen);
/* point: the raw point or, as CKA_EC_POINT holds it, a DER OCTET STRING. */
EVP_PKEY *pubkey_ec(const uint8_t *oid, size_t oidlen, const uint8_t *point,
    size_t ptlen);
/* A curve's parameters alone ("P-256", "P-384"): a template for
 * pubkey_ec_with, which then skips building the curve again (most of
 * what pubkey_ec costs). */
EVP_PKEY *pubkey_ec_params(const char *curve);
/* A public key on the template's curve from its raw point (checked to
 * be on the curve). */
EVP_PKEY *pubkey_ec_with(const EVP_PKEY *params, const uint8_t *point,
    size_t ptlen);

#endif
