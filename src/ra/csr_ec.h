/* The EC key of a PKCS#10 request and its proof of possession (csr.c):
 * the point read onto a curve made once, the signature checked with
 * ECDSA over a digest made once, without an EVP_PKEY. */
#ifndef KYSO_RA_CSR_EC_H
#define KYSO_RA_CSR_EC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct csr_ec;

/* A public key on the curve nid (NID_X9_62_prime256v1 or NID_secp384r1)
 * from its point, uncompressed (04 X Y) or compressed (02/03 X) in the
 * curve's length: KYSO_ERR_INVALID for any other encoding, a point off
 * the curve or the point at infinity. */
int csr_ec_new(int nid, const uint8_t *point, size_t len,
    struct csr_ec **out) KYSO_WUR;
void csr_ec_free(struct csr_ec *k);
/* The point uncompressed (04 X Y), appended to out. */
int csr_ec_put_uncompressed(const struct csr_ec *k, struct buf *out) KYSO_WUR;
/* Whether sig, one DER ECDSA-Sig-Value (nothing after it, minimal
 * integers, 0 < r, s < n), signs tbs under digest md ("SHA256", "SHA384"
 * or "SHA512"): 0, else KYSO_ERR_CRYPTO. */
int csr_ec_verify(const struct csr_ec *k, const char *md, const uint8_t *tbs,
    size_t tbslen, const uint8_t *sig, size_t siglen) KYSO_WUR;

#endif
