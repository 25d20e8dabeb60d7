/* Base64 (RFC 4648, with padding, no line breaks) over OpenSSL's EVP
 * block coders, for the documents pages send and the results they get. */
#ifndef KYSO_AGENT_NET_B64_H
#define KYSO_AGENT_NET_B64_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* A new NUL-terminated string (malloc'd). */
int b64_encode(const uint8_t *p, size_t n, char **out) KYSO_WUR;
/* Appends the bytes of s (n chars, a multiple of 4, '=' only as the last
 * one or two) to out; any other character is KYSO_ERR_INVALID. */
int b64_decode(const char *s, size_t n, struct buf *out) KYSO_WUR;

#endif
