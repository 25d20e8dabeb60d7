/* The HTTP the signer needs (libcurl): POST a body and GET a URL, for
 * time-stamps, OCSP and CRLs. http and https only; answers capped. */
#ifndef KYSO_SIGN_HTTP_H
#define KYSO_SIGN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* ctype NULL: a GET. A non-200 answer is KYSO_ERR_INVALID; no answer at
 * all KYSO_ERR_IO. */
int http_fetch(const char *url, const char *ctype, const void *body,
    size_t n, size_t cap, struct buf **out) KYSO_WUR;

#endif
