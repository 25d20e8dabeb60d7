/* POST /v1/sign: the page's batch checked field by field and sent to the
 * token side as one P_SIGN frame. Anything the contract does not name is
 * refused: no PIN, path, module, URL or switch ever reaches the token
 * side. */
#include "agent/net_api.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent/net_b64.h"
#include "agent/proto.h"

/* Why the request is refused; the answer's message. */
struct why {
	int code;
	char msg[160];
};

static int refuse(struct why *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Notes why the request is refused; KYSO_ERR_INVALID for the caller to
 * return. */
static int
refuse(struct why *w, int code, const char *fmt, ...)
{
	va_list ap;

	w->code = code;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return KYSO_ERR_INVALID;
}

/* A string for the dialog or the options list: at most NET_MAX_TEXT bytes,
 * no control character (a line break would forge a key=value line). */
static int
text_ok(const json_t *v, int may_be_empty)
{
	const char *s;
	size_t i, n;

	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > NET_MAX_TEXT || (n == 0 && !may_be_empty))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* "x1,y1,x2,y2": four decimal numbers (points), sign and fraction
 * allowed. */
static int
rect_ok(const char *s)
{
	int k;

	for (k = 0; k < 4; k++) {
		size_t d = 0;

		if (*s == '-')
			s++;
		while (*s >= '0' && *s <= '9' && d < 8) {
			s++;
			d++;
		}
		if (d == 0)
			return 0;
		if (*s == '.') {
			s++;
			for (d = 0; *s >= '0' && *s <= '9' && d < 4; d++)
				s++;
			if (d == 0)
				return 0;
		}
		if (k < 3 && *s++ != ',')
			return 0;
	}
	return *s == '\0';
}

/* An XML Id: letters, digits, '_', '-', '.'. */
static int
xml_id_ok(const char *s)
{
	return strspn(s,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789_-.") == strlen(s);
}

/* One option of a PDF item, appended as "key=value\n". */
static int
pdf_option(struct net *n, const char *key, const json_t *v, struct buf *o,
    struct why *w)
{
	const char *s;

	if (strcmp(key, "level") == 0) {
		if (!json_is_string(v))
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be "
			    "B-B, B-T or B-LT",
			    key);
		s = json_string_value(v);
		if (strcmp(s, "B-B") != 0 && strcmp(s, "B-T") != 0 &&
		    strcmp(s, "B-LT") != 0)
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be "
			    "B-B, B-T or B-LT",
			    key);
		if (strcmp(s, "B-B") != 0 && !n->has_tsa)
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s needs a "
			    "time-stamp server, and kyso.conf names none",
			    s);
		return buf_putf(o, "level=%s\n", s);
	}
	if (strcmp(key, "visible") == 0) {
		if (!json_is_boolean(v))
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be "
			    "true or false",
			    key);
		return buf_putf(o, "visible=%s\n",
		    json_is_true(v) ? "true" : "false");
	}
	if (strcmp(key, "page") == 0) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000000)
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be a page "
			    "number (1 the first, 0 the last)",
			    key);
		return buf_putf(o, "page=%lld\n",
		    (long long)json_integer_value(v));
	}
	if (strcmp(key, "rect") == 0) {
		if (!json_is_string(v) || !rect_ok(json_string_value(v)))
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be "
			    "\"x1,y1,x2,y2\" in points",
			    key);
		return buf_putf(o, "rect=%s\n", json_string_value(v));
	}
	if (strcmp(key, "reason") == 0 || strcmp(key, "location") == 0 ||
	    strcmp(key, "field") == 0) {
		if (!text_ok(v, strcmp(key, "field") != 0))
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be a text "
			    "of at most 200 bytes without control characters",
			    key);
		return buf_putf(o, "%s=%s\n", key, json_string_value(v));
	}
	return refuse(w, AGENT_BAD_REQUEST, "unknown option %.60s", key);
}

/* An item's options as the token side takes them. */
static int
options(struct net *n, int kind, const json_t *opts, struct buf *o, struct why *w)
{
	const char *key;
	json_t *v;
	int r;

	if (opts == NULL)
		return 0;
	if (!json_is_object(opts))
		return refuse(w, AGENT_BAD_REQUEST, "%s must be an object",
		    "options");
	json_object_foreach((json_t *)opts, key, v)
	{
		if (kind == ITEM_PDF) {
			r = pdf_option(n, key, v, o, w);
		} else if (kind == ITEM_XML && strcmp(key, "id") == 0) {
			if (!text_ok(v, 1) || !xml_id_ok(json_string_value(v)))
				return refuse(w, AGENT_BAD_REQUEST,
				    "%s must be "
				    "an XML Id",
				    key);
			r = buf_putf(o, "id=%s\n", json_string_value(v));
		} else {
			return refuse(w, AGENT_BAD_REQUEST,
			    "unknown option %.60s", key);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

/* Checks one item and appends it to the P_SIGN frame. */
static int
item(struct net *n, const json_t *it, size_t i, struct buf *f, struct why *w)
{
	const char *key, *type;
	json_t *v, *title, *data;
	struct buf *opt = NULL, *doc = NULL;
	char at[32];
	int kind, r = KYSO_ERR_NOMEM;

	snprintf(at, sizeof(at), "items[%zu]", i);
	if (!json_is_object(it))
		return refuse(w, AGENT_BAD_REQUEST, "%s must be an object", at);
	json_object_foreach((json_t *)it, key, v) if (strcmp(key, "type") != 0 &&
	    strcmp(key, "title") != 0 && strcmp(key, "data") != 0 &&
	    strcmp(key, "options") != 0) return refuse(w, AGENT_BAD_REQUEST,
	    "unknown field %.60s", key);
	type = json_string_value(json_object_get(it, "type"));
	if (type != NULL && strcmp(type, "pdf") == 0)
		kind = ITEM_PDF;
	else if (type != NULL && strcmp(type, "xml") == 0)
		kind = ITEM_XML;
	else if (type != NULL && strcmp(type, "cms") == 0)
		kind = ITEM_CMS;
	else
		return refuse(w, AGENT_BAD_REQUEST,
		    "%s: type must be pdf, xml "
		    "or cms",
		    at);
	title = json_object_get(it, "title");
	if (title != NULL && !text_ok(title, 1))
		return refuse(w, AGENT_BAD_REQUEST,
		    "%s: the title must be a "
		    "text of at most 200 bytes without control characters",
		    at);
	data = json_object_get(it, "data");
	if (!json_is_string(data) || json_string_length(data) == 0)
		return refuse(w, AGENT_BAD_REQUEST,
		    "%s: data must be the "
		    "document in base64",
		    at);
	if ((opt = buf_new(4096)) == NULL ||
	    (doc = buf_new(HTTPD_MAX_BODY)) == NULL)
		goto out;
	if ((r = options(n, kind, json_object_get(it, "options"), opt, w)) != 0)
		goto out;
	if (b64_decode(json_string_value(data), json_string_length(data), doc) !=
	    0) {
		r = refuse(w, AGENT_BAD_REQUEST, "%s: data is not base64", at);
		goto out;
	}
	if ((r = buf_put_u8(f, (uint8_t)kind)) != 0 ||
	    (r = buf_put_cstring(f, title ? json_string_value(title) : "")) ||
	    (r = buf_put_u32(f, (uint32_t)buf_len(opt))) != 0 ||
	    (r = buf_put(f, buf_ptr(opt), buf_len(opt))) != 0 ||
	    (r = buf_put_string(f, buf_ptr(doc), buf_len(doc))) != 0)
		goto out;
	r = 0;
out:
	if (r == KYSO_ERR_TOO_LARGE)
		refuse(w, AGENT_TOO_LARGE, "%s: the batch is too large", at);
	else if (r != 0 && r != KYSO_ERR_INVALID)
		refuse(w, AGENT_INTERNAL, "%s", "out of memory");
	buf_free(opt);
	buf_free(doc);
	return r;
}

/* The whole body: {"certificate":id?, "items":[…]} into a P_SIGN frame. */
static int
build(struct net_call *c, json_t *root, struct buf *f, size_t *count,
    struct why *w)
{
	const char *key, *cert = "";
	json_t *v, *items;
	size_t i, n;
	int r;

	if (!json_is_object(root))
		return refuse(w, AGENT_BAD_REQUEST, "%s",
		    "the body must be "
		    "a JSON object");
	json_object_foreach(root, key, v) if (strcmp(key, "certificate") != 0 &&
	    strcmp(key, "items") != 0) return refuse(w, AGENT_BAD_REQUEST,
	    "unknown field %.60s", key);
	if ((v = json_object_get(root, "certificate")) != NULL) {
		cert = json_string_value(v);
		if (cert == NULL ||
		    (strlen(cert) != 0 &&
			(strlen(cert) != 64 ||
			    strspn(cert, "0123456789abcdef") != 64)))
			return refuse(w, AGENT_BAD_REQUEST,
			    "%s must be a "
			    "certificate id from /v1/certificates",
			    "certificate");
	}
	items = json_object_get(root, "items");
	if (!json_is_array(items) || (n = json_array_size(items)) == 0)
		return refuse(w, AGENT_BAD_REQUEST,
		    "%s must be a list of "
		    "documents",
		    "items");
	if (n > NET_MAX_ITEMS)
		return refuse(w, AGENT_TOO_LARGE, "%s: at most 100 a batch",
		    "items");
	if ((r = buf_put_cstring(f, c->origin)) != 0 ||
	    (r = buf_put_cstring(f, cert)) != 0 ||
	    (r = buf_put_u32(f, (uint32_t)n)) != 0)
		return refuse(w, AGENT_INTERNAL, "%s", "out of memory");
	for (i = 0; i < n; i++)
		if ((r = item(c->n, json_array_get(items, i), i, f, w)) != 0)
			return r;
	*count = n;
	return 0;
}

/* The batch's frames go to the job table. */
static void
batch_frame(void *ud, struct buf *frame)
{
	jobs_frame(ud, frame);
}

void
net_sign(struct net_call *c)
{
	struct net *n = c->n;
	struct buf *f = NULL;
	json_t *root = NULL;
	json_error_t jerr;
	struct why w = { AGENT_BAD_REQUEST, "" };
	char id[JOB_ID_LEN + 1];
	size_t count = 0;
	int r;

	root = json_loadb((const char *)c->rq->body, c->rq->body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		net_reply_error(c, AGENT_BAD_REQUEST, "the body is not JSON");
		goto out;
	}
	if (proto_begin(P_SIGN, &f) != 0) {
		net_reply_error(c, AGENT_INTERNAL, "out of memory");
		goto out;
	}
	if (build(c, root, f, &count, &w) != 0) {
		net_reply_error(c, w.code, w.msg);
		goto out;
	}
	json_decref(root);
	root = NULL;
	/* One batch at a time across all origins: the job and the frame
	 * go out together or not at all. */
	pthread_mutex_lock(&n->batch_m);
	if (link_batch_running(n->link)) {
		pthread_mutex_unlock(&n->batch_m);
		net_reply_error(c, AGENT_BUSY,
		    "another signing batch is running");
		goto out;
	}
	if ((r = jobs_start(n->jobs, c->origin, (uint32_t)count, id)) != 0) {
		pthread_mutex_unlock(&n->batch_m);
		net_reply_error(c, AGENT_INTERNAL, "out of memory");
		goto out;
	}
	r = link_batch(n->link, f, batch_frame, n->jobs);
	if (r != 0)
		jobs_abort(n->jobs);
	pthread_mutex_unlock(&n->batch_m);
	if (r == KYSO_ERR_BUSY) {
		net_reply_error(c, AGENT_BUSY,
		    "another signing batch is running");
	} else if (r != 0) {
		net_reply_error(c, AGENT_INTERNAL,
		    "the token side is restarting");
		c->rs->status = 503;
	} else {
		net_reply(c, 202,
		    json_pack("{s:s,s:I}", "job", id, "total", (json_int_t)count));
	}
out:
	json_decref(root);
	buf_free(f);
}
