/* The OCSP responder (RFC 6960), signed by the delegated responder
 * certificate the CA issued at init. */
#ifndef KYSO_RA_OCSP_H
#define KYSO_RA_OCSP_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"

enum { OCSP_GOOD = 0, OCSP_REVOKED = 1, OCSP_UNKNOWN = 2 };

/* Tells the status of a serial (lower-case hex) this CA issued. */
typedef int (*ocsp_lookup_fn)(void *ud, const char *serial, int *status,
    int64_t *revoked_at, int *reason);

/* Answers a DER OCSPRequest with a DER OCSPResponse; a malformed request
 * (a nonce outside RFC 8954's 1..32 octets too)
 * gets a malformedRequest response, not an error. */
int ocsp_respond(struct ca *ca, const uint8_t *req, size_t n,
    ocsp_lookup_fn lookup, void *ud, struct buf *out) KYSO_WUR;

#endif
