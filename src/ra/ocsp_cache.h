/* Pre-signed OCSP responses (RFC 6960 2.2, RFC 5019 2.2 and 6.2): the
 * common request, one certificate and no nonce, is answered with the
 * response signed for it a moment ago as long as the certificate's
 * status in the database is still the one it states. The status is read
 * at every request, so a revocation (by this instance or another on the
 * same database) is answered at once; a response is signed again once it
 * is OCSP_CACHE_MAX_AGE old. A request with a nonce is always answered
 * fresh (ocsp.c). */
#ifndef KYSO_RA_OCSP_CACHE_H
#define KYSO_RA_OCSP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define OCSP_CACHE_MAX_AGE    60 /* seconds: thisUpdate at most this old */
#define OCSP_CACHE_SLOTS      4096
#define OCSP_CACHE_MAX_CERTID 160
#define OCSP_NONCE_MIN	      1 /* octets (RFC 8954 2.1) */
#define OCSP_NONCE_MAX	      32

/* What a simple request asks (all pointers into the request): its
 * CertID's bytes, the part of them that names the issuer (hash
 * algorithm, name and key hashes), the serial as the database writes it
 * (lower-case hex), and its nonce extension (the whole Extension) or
 * NULL. */
struct ocsp_req_key {
	const uint8_t *certid;
	size_t certid_len;
	const uint8_t *issuer;
	size_t issuer_len;
	char serial[64];
	const uint8_t *nonce_ext;
	size_t nonce_ext_len;
};

/* A certificate's status as the database gave it (ocsp.h's OCSP_*). */
struct ocsp_status {
	int status;
	int64_t revoked_at;
	int reason;
};

struct ocsp_cache;

/* 0 when the DER OCSPRequest der is a simple one: exactly one CertID
 * with a positive serial, no version, requestor name or signature, and
 * no extension but a nonce of 1 to 32 octets (then k->nonce_ext is set,
 * and the answer may not come from the cache). Reads the DER in place; allocates nothing. */
int ocsp_req_read(const uint8_t *der, size_t n, struct ocsp_req_key *k) KYSO_WUR;
/* 0 when v (n bytes), a nonce extension's extnValue contents, is Nonce
 * ::= OCTET STRING (SIZE(1..32)) as RFC 8954 says; else KYSO_ERR_INVALID
 * (a request answered malformedRequest). */
int ocsp_nonce_ok(const uint8_t *v, size_t n) KYSO_WUR;
int ocsp_cache_new(struct ocsp_cache **out) KYSO_WUR;
void ocsp_cache_free(struct ocsp_cache *c);
/* Appends the response stored for k to out when it states st and was
 * made less than OCSP_CACHE_MAX_AGE before now; else KYSO_ERR_NOT_FOUND. */
int ocsp_cache_get(struct ocsp_cache *c, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, struct buf *out) KYSO_WUR;
/* Stores the response resp (made at now, stating st) for k. */
int ocsp_cache_put(struct ocsp_cache *c, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, const uint8_t *resp,
    size_t len) KYSO_WUR;

#endif
