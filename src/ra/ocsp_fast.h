/* The OCSP responder's short way for simple requests (ocsp_cache.h's
 * ocsp_req_read: one CertID of this CA's issuing certificate, at most a
 * nonce): the BasicOCSPResponse written as DER from parts made once (the
 * responder's name, its certificate, the issuer's hashes) and signed by
 * the responder key, without OpenSSL's OCSP objects, which cost more than
 * the signature. The same answer as ocsp.c's (RFC 6960): responder by
 * name, producedAt and thisUpdate now, nextUpdate an hour later, the
 * request's nonce extension copied, the responder's certificate. */
#ifndef KYSO_RA_OCSP_FAST_H
#define KYSO_RA_OCSP_FAST_H

#include <stdint.h>

#include "ca.h"
#include "ocsp_cache.h"

struct ocsp_fast;

/* The responder's key in PEM (EVP_DigestSign) or on the CA's token
 * (ca_key_sign_bytes, through src/p11's signer); KYSO_ERR_UNSUPPORTED
 * when there is none. */
int ocsp_fast_new(const struct ca *ca, struct ocsp_fast **out) KYSO_WUR;
void ocsp_fast_free(struct ocsp_fast *f);
/* 1 when k's CertID names this CA's issuing certificate (SHA-1 or
 * SHA-256, the hash algorithm's parameters NULL or absent). */
int ocsp_fast_ours(const struct ocsp_fast *f, const struct ocsp_req_key *k);
/* Appends the signed OCSPResponse for k, stating st at now, to out. */
int ocsp_fast_respond(const struct ocsp_fast *f, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, struct buf *out) KYSO_WUR;

#endif
