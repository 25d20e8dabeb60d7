/* kyso-contract's HTTP glue (libmicrohttpd): a request with its form
 * fields (urlencoded or multipart, through MHD's post processor) and
 * its total body capped, handed to one handler; the answer goes out with
 * the security headers every page carries (a strict CSP: no inline
 * script). Knows nothing of documents or accounts. Never logs a body. */
#ifndef KYSO_CONTRACT_WEB_H
#define KYSO_CONTRACT_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define WEB_MAX_FIELDS	 256	     /* form fields in one request */
#define WEB_MAX_FIELD	 (64 * 1024) /* one text field */
#define WEB_DEFAULT_BODY (20u << 20) /* the default upload cap: 20 MiB */

struct web_req;

struct web_resp {
	int status;
	const char *content_type; /* static string */
	const char *allow;	  /* static string: the Allow of a 405 */
	const char *location;	  /* a redirect's target (copied) */
	const char *disposition;  /* Content-Disposition (copied) */
	char *cookie[2];	  /* Set-Cookie values (freed) */
	struct buf *body;
};

typedef void (*web_handler)(void *ud, struct web_req *rq, struct web_resp *rs);

struct web;

/* Listens on 127.0.0.1:port (port 0 picks a free one); bodies past
 * max_body are answered 413 before the handler runs. */
int web_new(uint16_t port, size_t max_body, web_handler fn, void *ud,
    struct web **out) KYSO_WUR;
uint16_t web_port(const struct web *w);
void web_free(struct web *w);

const char *web_method(const struct web_req *rq);
const char *web_path(const struct web_req *rq);
const char *web_remote(const struct web_req *rq);
const char *web_cookie(const struct web_req *rq, const char *name);
const char *web_query(const struct web_req *rq, const char *name);
/* A text field (NUL-terminated, NULL when absent or holding a NUL). */
const char *web_field(const struct web_req *rq, const char *name);
/* The i-th field called name (repeated checkboxes), NULL past the end. */
const char *web_field_n(const struct web_req *rq, const char *name, size_t i);
/* An uploaded file's bytes, NULL when absent. */
const struct buf *web_file(const struct web_req *rq, const char *name);
/* 1 when a field or the body passed its cap (the handler answers 413). */
int web_too_large(const struct web_req *rq);

#endif
