/* kyso-agent's HTTP/1.1 server (libmicrohttpd) over listening sockets it
 * is given: collects a request with a capped body and hands it to one
 * handler, twice: once when the headers are in (the handler may answer
 * then, and the body is never read), once with the whole body. Knows
 * nothing about the API; never logs a body. */
#ifndef KYSO_AGENT_HTTPD_H
#define KYSO_AGENT_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* A batch of documents; a Content-Length past it is refused before the
 * body is read, a chunked body is counted as it comes. */
#define HTTPD_MAX_BODY	   ((size_t)64 * 1024 * 1024)
/* Headers and body must be in within this many seconds. */
#define HTTPD_DEADLINE	   60
/* Connections at once (one thread each: a handler may wait for a dialog). */
#define HTTPD_MAX_CONN	   64
#define HTTPD_MAX_HEADERS  8
/* Bodies held at once across all connections: a few full batches, not
 * HTTPD_MAX_CONN of them. */
#define HTTPD_MAX_BUFFERED (3 * HTTPD_MAX_BODY)

struct httpd_req {
	const char *method;
	const char *path; /* without the query */
	int head;	  /* 1: headers only, the body not read yet */
	int too_large;	  /* the body passed HTTPD_MAX_BODY */
	int over_budget;  /* HTTPD_MAX_BUFFERED reached: try again later */
	const uint8_t *body;
	size_t body_len;
	void *conn; /* for httpd_header */
};

struct httpd_resp {
	int status;	  /* 0 in the head call: go on, read the body */
	struct buf *body; /* JSON; taken and wiped by the server */
	struct {
		const char *name, *value; /* alive until the handler's caller
					   * has sent the answer */
	} hdr[HTTPD_MAX_HEADERS];
	size_t nhdr;
};

typedef void (*httpd_handler)(void *ud, const struct httpd_req *rq,
    struct httpd_resp *rs);

struct httpd;

/* A request header's value, or NULL (the first when repeated). */
const char *httpd_header(const struct httpd_req *rq, const char *name);
/* 1 when the announced Content-Length is not a number or passes cap. */
int httpd_length_over(const struct httpd_req *rq, uint64_t cap);
/* How many times a header came. */
size_t httpd_header_count(const struct httpd_req *rq, const char *name);
/* Adds a response header (both strings kept by pointer);
 * KYSO_ERR_TOO_LARGE past HTTPD_MAX_HEADERS. */
int httpd_resp_header(struct httpd_resp *rs, const char *name,
    const char *value) KYSO_WUR;

/* Serves on each listening fd (< 0 skipped) with one thread per
 * connection; fn is called from all of them. The fds are the server's
 * from the call on, also when it fails (see mhd_listen): httpd_stop
 * closes those it serves, the caller none (a failed start may leave one
 * open). */
int httpd_start(const int *fds, size_t nfds, httpd_handler fn, void *ud,
    struct httpd **out) KYSO_WUR;
void httpd_stop(struct httpd *h);

#endif
