/* Public keys from the pieces PKCS#11 keeps them in: an RSA modulus and
 * exponent, or an EC curve OID and point. Used by the token module and
 * by the programs that read keys off any token. */
#ifndef KYSO_PUBKEY_H
#define KYSO_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/* The curve (OpenSSL's group name: "P-256", "P-384", "P-521",
 * "brainpoolP256r1", "brainpoolP384r1", "brainpoolP512r1") of a DER OID
 * (CKA_EC_PARAMS' namedCurve), else NULL. A program that takes fewer
 * curves checks the name it gets. */
const char *pubkey_curve_name(const uint8_t *oid, size_t n);
/* The DER OID of a curve name above, or NULL. */
const uint8_t *pubkey_curve_oid(const char *name, size_t *n);
/* The field size in bits of a curve name above, or 0. */
unsigned pubkey_curve_bits(const char *name);
/* Whether p is exactly one DER OCTET STRING (short or long length, as a
 * CKA_EC_POINT holds a point): its contents in *v. */
int pubkey_der_octets(const uint8_t *p, size_t n, const uint8_t **v, size_t *vn);
/* The same for one DER value of any (one-byte) tag. */
int pubkey_der_value(const uint8_t *p, size_t n, uint8_t tag, const uint8_t **v,
    size_t *vn);
EVP_PKEY *pubkey_rsa(const uint8_t *n, size_t nlen, const uint8_t *e,
    size_t elen);
/* point: the raw point or, as CKA_EC_POINT holds it, a DER OCTET STRING. */
EVP_PKEY *pubkey_ec(const uint8_t *oid, size_t oidlen, const uint8_t *point,
    size_t ptlen);

#endif
