/* The origins file (origins.h). */
#include "agent/origins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/parse.h"

struct line {
	char *text;   /* the line as read, for comments */
	char *origin; /* NULL for a comment or a line we skip */
	enum origin_decision d;
};

struct origins {
	struct line *l;
	size_t n, alloc;
};

/* A host name as browsers serialize it: lower-case letters, digits, '-'
 * and '.', labels not empty (punycode for international names). */
static int
host_name_ok(const char *h, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = h[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label != 0;
}

/* "[" hex digits, ':' and '.' "]": the browser wrote a parsed address. */
static int
host_v6_ok(const char *h, size_t n)
{
	size_t i;

	if (n < 4 || h[0] != '[' || h[n - 1] != ']')
		return 0;
	for (i = 1; i < n - 1; i++)
		if (strchr("0123456789abcdef:.", h[i]) == NULL || h[i] == '\0')
			return 0;
	return 1;
}

int
origin_valid(const char *s)
{
	const char *h, *end, *colon;
	size_t hn, len;
	uint64_t port;

	if (s == NULL || (len = strlen(s)) > ORIGIN_MAX)
		return 0;
	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return 0;
	end = s + len;
	if (*h == '[') {
		const char *rb = strchr(h, ']');

		if (rb == NULL)
			return 0;
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (colon == NULL && rb[1] != '\0')
			return 0;
	} else {
		colon = strchr(h, ':');
	}
	hn = (size_t)((colon != NULL ? colon : end) - h);
	if (!(h[0] == '[' ? host_v6_ok(h, hn) : host_name_ok(h, hn)))
		return 0;
	if (colon == NULL)
		return 1;
	/* Digits only, no leading zero, 1..65535 (parse_u64 would allow a
	 * sign or spaces on some systems: check the characters first). */
	if (colon[1] < '1' || colon[1] > '9' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return 0;
	return parse_u64(colon + 1, 1, 65535, &port) == 0;
}

int
origins_path(char **out)
{
	char *home = kyso_home(), *dir = NULL, *p = NULL;
	int r = KYSO_ERR_NOMEM;

	if (home == NULL || (dir = path_join(home, "agent")) == NULL ||
	    (p = path_join(dir, "origins")) == NULL)
		goto out;
	*out = p;
	p = NULL;
	r = 0;
out:
	free(p);
	free(dir);
	free(home);
	return r;
}

void
origins_free(struct origins *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->n; i++) {
		free(o->l[i].text);
		free(o->l[i].origin);
	}
	free(o->l);
	free(o);
}

/* Appends a line (text copied; origin copied when not NULL). */
static int
add_line(struct origins *o, const char *text, size_t tn, const char *origin,
    enum origin_decision d)
{
	struct line *nl;

	if (o->n == o->alloc) {
		size_t na = o->alloc ? o->alloc * 2 : 16;

		if ((nl = realloc(o->l, na * sizeof(*nl))) == NULL)
			return KYSO_ERR_NOMEM;
		o->l = nl;
		o->alloc = na;
	}
	nl = &o->l[o->n];
	memset(nl, 0, sizeof(*nl));
	if ((nl->text = strndup(text, tn)) == NULL)
		return KYSO_ERR_NOMEM;
	if (origin != NULL && (nl->origin = strdup(origin)) == NULL) {
		free(nl->text);
		return KYSO_ERR_NOMEM;
	}
	nl->d = d;
	o->n++;
	return 0;
}

/* One line of the file: "allow ORIGIN" or "deny ORIGIN" (spaces or tabs
 * around), else kept as text only. */
static int
parse_line(struct origins *o, const char *s, size_t n)
{
	char tmp[ORIGIN_MAX + 16];
	const char *w = s, *e = s + n, *v;
	enum origin_decision d = ORIGIN_UNKNOWN;
	size_t vn;

	while (w < e && (*w == ' ' || *w == '\t'))
		w++;
	if ((size_t)(e - w) > 6 && strncmp(w, "allow", 5) == 0 &&
	    (w[5] == ' ' || w[5] == '\t')) {
		d = ORIGIN_ALLOW;
		v = w + 5;
	} else if ((size_t)(e - w) > 5 && strncmp(w, "deny", 4) == 0 &&
	    (w[4] == ' ' || w[4] == '\t')) {
		d = ORIGIN_DENY;
		v = w + 4;
	} else {
		return add_line(o, s, n, NULL, ORIGIN_UNKNOWN);
	}
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	vn = (size_t)(e - v);
	if (vn == 0 || vn >= sizeof(tmp))
		return add_line(o, s, n, NULL, ORIGIN_UNKNOWN);
	memcpy(tmp, v, vn);
	tmp[vn] = '\0';
	if (!origin_valid(tmp))
		return add_line(o, s, n, NULL, ORIGIN_UNKNOWN);
	return add_line(o, s, n, tmp, d);
}

int
origins_load(const char *path, struct origins **out)
{
	struct origins *o = calloc(1, sizeof(*o));
	struct buf *b = NULL;
	const char *p, *nl;
	size_t left;
	int r = KYSO_ERR_NOMEM;

	if (o == NULL)
		goto out;
	r = file_read(path, ORIGINS_FILE_MAX, &b);
	if (r == KYSO_ERR_NOT_FOUND) {
		*out = o;
		o = NULL;
		r = 0;
		goto out;
	}
	if (r != 0)
		goto out;
	p = (const char *)buf_ptr(b);
	left = buf_len(b);
	if (memchr(p, '\0', left) != NULL) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	while (left > 0) {
		size_t n;

		nl = memchr(p, '\n', left);
		n = nl != NULL ? (size_t)(nl - p) : left;
		if ((r = parse_line(o, p, n)) != 0)
			goto out;
		p += n;
		left -= n;
		if (left > 0) { /* the '\n' */
			p++;
			left--;
		}
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	buf_free(b);
	origins_free(o);
	return r;
}

enum origin_decision
origins_get(const struct origins *o, const char *origin)
{
	size_t i;
	enum origin_decision d = ORIGIN_UNKNOWN;

	/* The last line about an origin wins, as when reading top down. */
	for (i = 0; i < o->n; i++)
		if (o->l[i].origin != NULL && strcmp(o->l[i].origin, origin) == 0)
			d = o->l[i].d;
	return d;
}

int
origins_remove(struct origins *o, const char *origin)
{
	size_t i, k = 0;
	int found = 0;

	for (i = 0; i < o->n; i++) {
		if (o->l[i].origin != NULL &&
		    strcmp(o->l[i].origin, origin) == 0) {
			free(o->l[i].text);
			free(o->l[i].origin);
			found = 1;
			continue;
		}
		o->l[k++] = o->l[i];
	}
	o->n = k;
	return found ? 0 : KYSO_ERR_NOT_FOUND;
}

int
origins_set(struct origins *o, const char *origin, enum origin_decision d)
{
	char line[ORIGIN_MAX + 16];
	int n;

	if (!origin_valid(origin) || (d != ORIGIN_ALLOW && d != ORIGIN_DENY))
		return KYSO_ERR_INVALID;
	if (origins_remove(o, origin) == KYSO_ERR_NOMEM)
		return KYSO_ERR_NOMEM;
	n = snprintf(line, sizeof(line), "%s %s",
	    d == ORIGIN_ALLOW ? "allow" : "deny", origin);
	if (n < 0 || (size_t)n >= sizeof(line))
		return KYSO_ERR_INVALID;
	return add_line(o, line, (size_t)n, origin, d);
}

int
origins_save(const struct origins *o, const char *path)
{
	struct buf *b = buf_new(ORIGINS_FILE_MAX);
	char *dir = NULL, *slash;
	size_t i;
	int r = KYSO_ERR_NOMEM;

	if (b == NULL || (dir = strdup(path)) == NULL)
		goto out;
	for (i = 0; i < o->n; i++)
		if ((r = buf_put(b, o->l[i].text, strlen(o->l[i].text))) != 0 ||
		    (r = buf_put_u8(b, '\n')) != 0)
			goto out;
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (dir[0] != '\0' && (r = mkdir_p(dir, 0700)) != 0)
			goto out;
	}
	r = file_write_atomic(path, buf_ptr(b), buf_len(b), 0600);
out:
	free(dir);
	buf_free(b);
	return r;
}

int
origins_at(const struct origins *o, size_t n, const char **origin,
    enum origin_decision *d)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		if (o->l[i].origin == NULL)
			continue;
		if (n-- == 0) {
			*origin = o->l[i].origin;
			*d = o->l[i].d;
			return 0;
		}
	}
	return KYSO_ERR_NOT_FOUND;
}

enum origin_decision
origins_lookup(const char *path, const char *origin)
{
	struct origins *o = NULL;
	enum origin_decision d;

	if (origins_load(path, &o) != 0)
		return ORIGIN_UNKNOWN;
	d = origins_get(o, origin);
	origins_free(o);
	return d;
}

int
origins_store(const char *path, const char *origin, enum origin_decision d)
{
	struct origins *o = NULL;
	int r;

	if ((r = origins_load(path, &o)) != 0)
		goto out;
	if ((r = origins_set(o, origin, d)) != 0)
		goto out;
	r = origins_save(o, path);
out:
	origins_free(o);
	return r;
}
