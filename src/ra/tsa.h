/* The RFC 3161 time-stamping authority. */
#ifndef KYSO_RA_TSA_H
#define KYSO_RA_TSA_H

#include <stddef.h>
#include <stdint.h>

#include "ca.h"

/* Answers a DER TimeStampReq with a DER TimeStampResp (a rejection
 * response for a bad request, not an error). */
int tsa_respond(struct ca *ca, const uint8_t *req, size_t n,
    struct buf *out) KYSO_WUR;

#endif
