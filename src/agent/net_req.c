/* A page's sign request checked field by field (net_req.h). */
#include "agent/net_req.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "agent/net_b64.h"
#include "agent/proto.h"

static int refuse(struct net_why *w, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Notes why the request is refused; KYSO_ERR_INVALID for the caller to
 * return. */
static int
refuse(struct net_why *w, int code, const char *fmt, ...)
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
pdf_option(int has_tsa, const char *key, const json_t *v, struct buf *o,
    struct net_why *w)
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
		if (strcmp(s, "B-B") != 0 && !has_tsa)
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
options(int has_tsa, int kind, const json_t *opts, struct buf *o,
    struct net_why *w)
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
			r = pdf_option(has_tsa, key, v, o, w);
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
item(int has_tsa, const json_t *it, size_t i, struct buf *f, struct net_why *w)
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
	/* The document is at most 3 bytes for every 4 of its base64. */
	if ((opt = buf_new(4096)) == NULL ||
	    (doc = buf_new(json_string_length(data) / 4 * 3 + 3)) == NULL)
		goto out;
	if ((r = options(has_tsa, kind, json_object_get(it, "options"), opt, w)) !=
	    0)
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
build(const char *origin, int has_tsa, json_t *root, struct buf *f,
    size_t *count, struct net_why *w)
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
	if ((r = buf_put_cstring(f, origin)) != 0 ||
	    (r = buf_put_cstring(f, cert)) != 0 ||
	    (r = buf_put_u32(f, (uint32_t)n)) != 0)
		return refuse(w, AGENT_INTERNAL, "%s", "out of memory");
	for (i = 0; i < n; i++)
		if ((r = item(has_tsa, json_array_get(items, i), i, f, w)) != 0)
			return r;
	*count = n;
	return 0;
}

int
net_sign_parse(const uint8_t *body, size_t len, const char *origin, int has_tsa,
    struct buf *frame, size_t *count, struct net_why *why)
{
	json_t *root;
	json_error_t jerr;
	size_t n = 0;
	int r;

	root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		return refuse(why, AGENT_BAD_REQUEST, "%s",
		    "the body is not JSON");
	r = build(origin, has_tsa, root, frame, &n, why);
	json_decref(root);
	if (r == 0)
		*count = n;
	return r;
}
