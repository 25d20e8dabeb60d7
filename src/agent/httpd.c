/* The HTTP server glue (httpd.h). */
#include "agent/httpd.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "common/mhd.h"

#define HTTPD_MAX_DAEMONS 2

struct httpd {
	struct MHD_Daemon *d[HTTPD_MAX_DAEMONS];
	size_t nd;
	httpd_handler fn;
	void *ud;
	atomic_size_t buffered; /* body bytes held by all connections */
};

struct conn {
	struct buf *body;
	struct timespec start;
	size_t counted; /* this body's share of buffered */
	int too_large;
	int over_budget;
	int answered; /* a response is queued already */
};

const char *
httpd_header(const struct httpd_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

int
httpd_length_over(const struct httpd_req *rq, uint64_t cap)
{
	return mhd_length_over(rq->conn, cap);
}

size_t
httpd_header_count(const struct httpd_req *rq, const char *name)
{
	return mhd_header_values(rq->conn, name, NULL, 0);
}

int
httpd_resp_header(struct httpd_resp *rs, const char *name, const char *value)
{
	if (rs->nhdr >= HTTPD_MAX_HEADERS)
		return KYSO_ERR_TOO_LARGE;
	rs->hdr[rs->nhdr].name = name;
	rs->hdr[rs->nhdr].value = value;
	rs->nhdr++;
	return 0;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct httpd *h = cls;
	struct conn *cs = *con_cls;

	(void)c;
	(void)toe;
	if (cs == NULL)
		return;
	atomic_fetch_sub(&h->buffered, cs->counted);
	buf_free(cs->body);
	free(cs);
	*con_cls = NULL;
}

/* Queues rs; its body goes to MHD as it is (rs->body is then NULL) and
 * is wiped once sent (signed documents are the user's). */
static enum MHD_Result
reply(struct MHD_Connection *c, struct httpd_resp *rs)
{
	struct mhd_reply *r;
	int json = rs->body != NULL && buf_len(rs->body) != 0;
	size_t i;

	if (mhd_reply_new(rs->status, &rs->body, &r) != 0)
		return MHD_NO;
	if (json)
		mhd_reply_header(r, "Content-Type", "application/json");
	for (i = 0; i < rs->nhdr; i++)
		mhd_reply_header(r, rs->hdr[i].name, rs->hdr[i].value);
	return mhd_reply_queue(r, c);
}

/* Seconds since the connection's request began. */
static long
elapsed(const struct conn *cs)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - cs->start.tv_sec);
}

/* Calls the handler and queues what it answered; in the head call a
 * status of 0 means "read the body". */
static enum MHD_Result
handle(struct httpd *h, struct MHD_Connection *c, struct conn *cs,
    const char *url, const char *method, int head)
{
	struct httpd_req rq;
	struct httpd_resp rs;
	enum MHD_Result ret;

	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	rq.method = method;
	rq.path = url;
	rq.head = head;
	rq.too_large = cs->too_large;
	rq.over_budget = cs->over_budget;
	rq.conn = c;
	if (!head && !cs->too_large && !cs->over_budget) {
		rq.body = buf_ptr(cs->body);
		rq.body_len = buf_len(cs->body);
	}
	h->fn(h->ud, &rq, &rs);
	if (head && rs.status == 0) {
		buf_free(rs.body);
		return MHD_YES;
	}
	if (rs.status == 0)
		rs.status = 500;
	cs->answered = 1;
	ret = reply(c, &rs);
	buf_free(rs.body);
	return ret;
}

/* Keeps n more bytes of the body, within the body's cap and the
 * server's budget; past either the rest is only counted and dropped. */
static void
take(struct httpd *h, struct conn *cs, const char *p, size_t n)
{
	if (atomic_fetch_add(&h->buffered, n) + n > HTTPD_MAX_BUFFERED) {
		atomic_fetch_sub(&h->buffered, n);
		cs->over_budget = 1;
	} else {
		cs->counted += n;
		if (buf_put(cs->body, p, n) == 0)
			return;
		cs->too_large = 1;
	}
	buf_reset(cs->body);
	atomic_fetch_sub(&h->buffered, cs->counted);
	cs->counted = 0;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct httpd *h = cls;
	struct conn *cs = *con_cls;

	(void)version;
	if (cs == NULL) {
		if ((cs = calloc(1, sizeof(*cs))) == NULL)
			return MHD_NO;
		if ((cs->body = buf_new(HTTPD_MAX_BODY)) == NULL) {
			free(cs);
			return MHD_NO;
		}
		clock_gettime(CLOCK_MONOTONIC, &cs->start);
		*con_cls = cs;
		/* Host, Origin, Content-Length and Content-Type are checked
		 * now: a refused request's body is never read. */
		return handle(h, c, cs, url, method, 1);
	}
	if (cs->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (elapsed(cs) >= HTTPD_DEADLINE)
		return MHD_NO; /* a slow sender: close */
	if (*upload_size > 0) {
		/* A chunked body past the cap (or the budget) is dropped
		 * to its end (MHD cannot answer in the middle of an upload),
		 * within the deadline; the handler then answers 413 (503). */
		if (!cs->too_large && !cs->over_budget)
			take(h, cs, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return handle(h, c, cs, url, method, 0);
}

int
httpd_start(const int *fds, size_t nfds, httpd_handler fn, void *ud,
    struct httpd **out)
{
	struct httpd *h = calloc(1, sizeof(*h));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	size_t i;
	int r = KYSO_ERR_NOMEM;

	if (h == NULL)
		goto out;
	h->fn = fn;
	h->ud = ud;
	r = KYSO_ERR_INVALID;
	for (i = 0; i < nfds; i++) {
		if (fds[i] < 0)
			continue;
		if (h->nd == HTTPD_MAX_DAEMONS)
			goto out;
		h->d[h->nd] = MHD_start_daemon(flags, 0, NULL, NULL, access_cb,
		    h, MHD_OPTION_LISTEN_SOCKET, fds[i],
		    MHD_OPTION_NOTIFY_COMPLETED, completed, h,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTPD_DEADLINE,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTPD_MAX_CONN,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
		    MHD_OPTION_END);
		if (h->d[h->nd] == NULL) {
			r = KYSO_ERR_IO;
			goto out;
		}
		h->nd++;
	}
	if (h->nd == 0)
		goto out;
	*out = h;
	h = NULL;
	r = 0;
out:
	httpd_stop(h);
	return r;
}

void
httpd_stop(struct httpd *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->nd; i++)
		MHD_stop_daemon(h->d[i]);
	free(h);
}
