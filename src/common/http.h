/* The HTTP client kyso's programs and libkysosign use to talk to servers
 * (libcurl): RA calls as JSON, time-stamps, OCSP and CRLs. http and https
 * only, no redirects, every answer capped. Thread-safe: libcurl is set up
 * once for the process, each call has its own handle and gives its
 * transport error back to its caller. */
#ifndef KYSO_HTTP_H
#define KYSO_HTTP_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"

#define HTTP_ERROR_MAX 256 /* libcurl's CURL_ERROR_SIZE */

struct http_opts {
	const char *ca_file; /* extra trust anchor for the server's TLS cert */
	long timeout_s;	     /* 0: 30 s */
};

/* One request. ctype NULL: a GET; else a POST of body (len bytes) with
 * that Content-Type. */
struct http_req {
	const char *url;
	const char *ctype;
	const void *body;
	size_t len;
	const char *accept; /* Accept header, or NULL */
	size_t cap;	    /* the answer's cap */
};

/* What kind of transport failure it was, for a face that explains it in
 * the user's language with what to do (curl's text is English). */
enum http_fail {
	HTTP_FAIL_NONE = 0,
	HTTP_FAIL_OTHER,       /* see the text */
	HTTP_FAIL_UNREACHABLE, /* no such host, nothing listening, no route */
	HTTP_FAIL_UNTRUSTED,   /* the server's TLS certificate is not trusted */
	HTTP_FAIL_TLS,	       /* the TLS handshake failed otherwise */
	HTTP_FAIL_TIMEOUT,     /* no answer in time */
};

/* A transport error in words, per call (empty when there was none). */
struct http_error {
	char text[HTTP_ERROR_MAX];
	enum http_fail kind;
};

/* Sends q; *status is the HTTP status and *out the answer's body, whatever
 * the status. KYSO_ERR_IO when the server cannot be reached,
 * KYSO_ERR_TOO_LARGE for an answer past q->cap. o and e may be NULL. */
int http_send(const struct http_req *q, const struct http_opts *o, long *status,
    struct buf **out, struct http_error *e) KYSO_WUR;

/* ctype NULL: a GET. A non-200 answer is KYSO_ERR_INVALID; no answer at
 * all (or one past cap) KYSO_ERR_IO. For time-stamps, OCSP and CRLs. */
int http_fetch(const char *url, const char *ctype, const void *body, size_t n,
    size_t cap, struct buf **out) KYSO_WUR;

/* POSTs req as JSON; *resp is the parsed JSON answer (or NULL when the
 * body was not JSON) and *status the HTTP status. KYSO_ERR_IO when the
 * server cannot be reached; e (may be NULL) says why. */
int http_send_json(const char *url, const struct http_opts *o, json_t *req,
    long *status, json_t **resp, struct http_error *e) KYSO_WUR;

/* http_send_json with the error kept for http_last_error(). */
int http_post_json(const char *url, const struct http_opts *o, json_t *req,
    long *status, json_t **resp) KYSO_WUR;
/* The calling thread's last http_post_json transport error in words. */
const char *http_last_error(void);
/* ... and its kind. */
enum http_fail http_last_fail(void);

#endif
