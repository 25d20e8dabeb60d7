/* An RFC 3161 time-stamp client over HTTP (libcurl): asks the TSA at url
 * for a token over SHA-256 of data, checks the response (status granted,
 * the imprint and nonce it was asked for) and returns the token's DER
 * (a CMS ContentInfo). */
#ifndef KYSO_TSA_H
#define KYSO_TSA_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define TSA_MAX_RESPONSE (256 * 1024)

int tsa_timestamp(const char *url, const uint8_t *data, size_t n,
    struct buf **token, const char **why) KYSO_WUR;
/* The same for a SHA-256 digest already computed (a PDF's byte ranges,
 * hashed window by window). */
int tsa_timestamp_digest(const char *url, const uint8_t sha256[32],
    struct buf **token, const char **why) KYSO_WUR;

#endif
