#include "web.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/mhd.h"

struct web {
	struct MHD_Daemon *d;
	web_handler fn;
	void *ud;
	size_t max_body;
	uint16_t port;
};

struct field {
	char *name;
	int file; /* it came with a filename */
	int term; /* a NUL follows the value (web_field) */
	struct buf *val;
};

struct web_req {
	struct MHD_Connection *c;
	const char *method;
	const char *path;
	char remote[64];
	struct MHD_PostProcessor *pp;
	struct field f[WEB_MAX_FIELDS];
	size_t nf;
	size_t seen; /* body bytes so far */
	int too_large;
};

/* Frees a request and wipes its fields (passwords pass through them). */
static void
req_free(struct web_req *rq)
{
	size_t i;

	if (rq == NULL)
		return;
	if (rq->pp != NULL)
		MHD_destroy_post_processor(rq->pp);
	for (i = 0; i < rq->nf; i++) {
		free(rq->f[i].name);
		buf_free(rq->f[i].val);
	}
	free(rq);
}

/* MHD's post processor hands each field in pieces: off 0 starts one. */
static enum MHD_Result
field_cb(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *ctype, const char *enc, const char *data,
    uint64_t off, size_t size)
{
	struct web_req *rq = cls;
	struct field *f = NULL;
	size_t i;

	(void)kind;
	(void)ctype;
	(void)enc;
	if (off != 0) {
		for (i = rq->nf; i > 0; i--)
			if (strcmp(rq->f[i - 1].name, key) == 0) {
				f = &rq->f[i - 1];
				break;
			}
	}
	if (f == NULL) {
		if (rq->nf == WEB_MAX_FIELDS) {
			rq->too_large = 1;
			return MHD_YES;
		}
		f = &rq->f[rq->nf];
		f->file = filename != NULL;
		f->val = buf_new(f->file ? SIZE_MAX : WEB_MAX_FIELD);
		if ((f->name = strdup(key)) == NULL || f->val == NULL) {
			free(f->name);
			buf_free(f->val);
			return MHD_NO;
		}
		rq->nf++;
	}
	if (size != 0 && buf_put(f->val, data, size) != 0)
		rq->too_large = 1;
	return MHD_YES;
}

/* MHD's end of a request: its fields are wiped and freed. */
static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	req_free(*con_cls);
	*con_cls = NULL;
}

/* Every answer carries the same security headers: pages load scripts,
 * styles and images from this server only, are never framed, and no
 * answer is cached (they name people and documents). */
static enum MHD_Result
reply(struct MHD_Connection *c, struct web_resp *rs)
{
	struct mhd_reply *r;
	size_t i;

	if (mhd_reply_new(rs->status, &rs->body, &r) != 0)
		return MHD_NO;
	mhd_reply_header(r, "Content-Type", rs->content_type);
	mhd_reply_header(r, "Allow", rs->allow);
	mhd_reply_header(r, "Location", rs->location);
	mhd_reply_header(r, "Content-Disposition", rs->disposition);
	for (i = 0; i < 2; i++)
		mhd_reply_header(r, "Set-Cookie", rs->cookie[i]);
	mhd_reply_header(r, "Content-Security-Policy",
	    "default-src 'none'; script-src 'self'; style-src 'self'; "
	    "img-src 'self'; connect-src 'self' http://127.0.0.1:* "
	    "ws://127.0.0.1:*; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'");
	mhd_reply_header(r, "X-Frame-Options", "DENY");
	mhd_reply_header(r, "Referrer-Policy", "no-referrer");
	return mhd_reply_queue(r, c);
}

/* A short text answer, before any handler ran (413). */
static enum MHD_Result
answer_status(struct MHD_Connection *c, int status, const char *text)
{
	struct web_resp rs = { .status = status,
		.content_type = "text/plain; charset=utf-8" };

	rs.body = buf_from(text, strlen(text));
	return reply(c, &rs);
}

/* MHD calls this first with the headers, then with each piece of the
 * body, then once more with none: the handler runs then. */
static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data,
    size_t *data_size, void **con_cls)
{
	struct web *w = cls;
	struct web_req *rq = *con_cls;
	struct web_resp rs = { .status = 500 };
	enum MHD_Result ret;

	(void)version;
	if (rq == NULL) {
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		*con_cls = rq;
		rq->c = c;
		rq->method = method;
		rq->path = url;
		if (mhd_peer(c, rq->remote, sizeof(rq->remote)) != 0)
			rq->remote[0] = '\0';
		rq->too_large = mhd_length_over(c, w->max_body);
		if (strcmp(method, "POST") == 0 && !rq->too_large)
			rq->pp = MHD_create_post_processor(c, 64 * 1024,
			    field_cb, rq);
		return MHD_YES;
	}
	if (*data_size != 0) {
		if (*data_size > w->max_body - rq->seen)
			rq->too_large = 1;
		else
			rq->seen += *data_size;
		if (!rq->too_large && rq->pp != NULL &&
		    MHD_post_process(rq->pp, data, *data_size) != MHD_YES)
			rq->too_large = 1;
		*data_size = 0;
		return MHD_YES;
	}
	if (rq->too_large)
		return answer_status(c, 413, "too large\n");
	w->fn(w->ud, rq, &rs);
	ret = reply(c, &rs);
	buf_free(rs.body);
	free(rs.cookie[0]);
	free(rs.cookie[1]);
	return ret;
}

/* One listening thread: the handlers share one SQLite connection and run
 * one at a time (enough for a clerk's office; see docs/contract.md). */
int
web_new(uint16_t port, size_t max_body, web_handler fn, void *ud, struct web **out)
{
	struct web *w = calloc(1, sizeof(*w));
	int fd = -1, r;

	if (w == NULL)
		return KYSO_ERR_NOMEM;
	w->fn = fn;
	w->ud = ud;
	w->max_body = max_body;
	if ((r = mhd_listen("127.0.0.1", port, 0, &fd, &w->port)) != 0)
		goto fail;
	w->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
		MHD_USE_ERROR_LOG,
	    0, NULL, NULL, access_cb, w, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, w,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_END);
	/* The socket is MHD's from the call on, also when it did not start:
	 * libmicrohttpd may have closed it on its way out, and a second
	 * close here could close what another thread has opened under the
	 * same number since. At worst it stays open until the program
	 * exits. */
	fd = -1;
	if (w->d == NULL) {
		r = KYSO_ERR_IO;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(w);
	return r;
}

/* The port bound (port 0 picks one). */
uint16_t
web_port(const struct web *w)
{
	return w->port;
}

/* Stops the server; waits for the handler in progress. */
void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	MHD_stop_daemon(w->d);
	free(w);
}

/* The request's pieces, for the handlers. */
const char *
web_method(const struct web_req *rq)
{
	return rq->method;
}

const char *
web_path(const struct web_req *rq)
{
	return rq->path;
}

const char *
web_remote(const struct web_req *rq)
{
	return rq->remote;
}

const char *
web_cookie(const struct web_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->c, MHD_COOKIE_KIND, name);
}

const char *
web_query(const struct web_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->c, MHD_GET_ARGUMENT_KIND, name);
}

/* A field's bytes as a C string: a NUL is appended once, past the
 * length buf_len reports, and a field holding a NUL is no text. */
const char *
web_field_n(const struct web_req *rq, const char *name, size_t i)
{
	size_t k, n;
	struct field *f;

	for (k = 0; k < rq->nf; k++) {
		f = (struct field *)&rq->f[k];
		if (f->file || strcmp(f->name, name) != 0 || i-- != 0)
			continue;
		if (!f->term) {
			if (buf_put_u8(f->val, 0) != 0)
				return NULL;
			f->term = 1;
		}
		n = buf_len(f->val) - 1;
		if (memchr(buf_ptr(f->val), 0, n) != NULL)
			return NULL;
		return (const char *)buf_ptr(f->val);
	}
	return NULL;
}

/* The first field called name. */
const char *
web_field(const struct web_req *rq, const char *name)
{
	return web_field_n(rq, name, 0);
}

/* The first uploaded file called name. */
const struct buf *
web_file(const struct web_req *rq, const char *name)
{
	size_t k;

	for (k = 0; k < rq->nf; k++)
		if (rq->f[k].file && strcmp(rq->f[k].name, name) == 0)
			return rq->f[k].val;
	return NULL;
}

/* Set when a field or the field count passed its cap. */
int
web_too_large(const struct web_req *rq)
{
	return rq->too_large;
}
