#include "attrs.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#define ATTRS_MAX      256
#define ATTR_VALUE_MAX (1024 * 1024)

struct attr {
	CK_ATTRIBUTE_TYPE type;
	uint8_t *val;
	size_t len;
};

struct attrs {
	struct attr *v;
	size_t n, alloc;
};

struct attrs *
attrs_new(void)
{
	return calloc(1, sizeof(struct attrs));
}

void
attrs_free(struct attrs *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		OPENSSL_cleanse(a->v[i].val, a->v[i].len);
		free(a->v[i].val);
	}
	free(a->v);
	free(a);
}

static struct attr *
find(const struct attrs *a, CK_ATTRIBUTE_TYPE t)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].type == t)
			return &a->v[i];
	return NULL;
}

int
attrs_set(struct attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
{
	struct attr *at = find(a, t);
	uint8_t *copy;

	if (n > ATTR_VALUE_MAX)
		return KYSO_ERR_TOO_LARGE;
	if ((copy = malloc(n ? n : 1)) == NULL)
		return KYSO_ERR_NOMEM;
	if (n > 0)
		memcpy(copy, v, n);
	if (at == NULL) {
		if (a->n >= ATTRS_MAX) {
			free(copy);
			return KYSO_ERR_TOO_LARGE;
		}
		if (a->n == a->alloc) {
			size_t na = a->alloc ? a->alloc * 2 : 16;
			struct attr *nv = realloc(a->v, na * sizeof(*nv));

			if (nv == NULL) {
				free(copy);
				return KYSO_ERR_NOMEM;
			}
			a->v = nv;
			a->alloc = na;
		}
		at = &a->v[a->n++];
		at->type = t;
	} else {
		OPENSSL_cleanse(at->val, at->len);
		free(at->val);
	}
	at->val = copy;
	at->len = n;
	return 0;
}

/* Drops t (wiped) if present: a private key's components once they are
 * encoded, which the object must not carry twice. */
void
attrs_del(struct attrs *a, CK_ATTRIBUTE_TYPE t)
{
	struct attr *at = find(a, t);
	size_t i;

	if (at == NULL)
		return;
	OPENSSL_cleanse(at->val, at->len);
	free(at->val);
	i = (size_t)(at - a->v);
	memmove(at, at + 1, (a->n - i - 1) * sizeof(*at));
	a->n--;
}

int
attrs_set_ulong(struct attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v)
{
	return attrs_set(a, t, &v, sizeof(v));
}

int
attrs_set_bool(struct attrs *a, CK_ATTRIBUTE_TYPE t, int v)
{
	CK_BBOOL b = v ? CK_TRUE : CK_FALSE;

	return attrs_set(a, t, &b, sizeof(b));
}

int
attrs_default_bool(struct attrs *a, CK_ATTRIBUTE_TYPE t, int v)
{
	return find(a, t) != NULL ? 0 : attrs_set_bool(a, t, v);
}

int
attrs_default(struct attrs *a, CK_ATTRIBUTE_TYPE t, const void *v, size_t n)
{
	return find(a, t) != NULL ? 0 : attrs_set(a, t, v, n);
}

struct attrs *
attrs_dup(const struct attrs *a)
{
	struct attrs *d = attrs_new();
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < a->n; i++) {
		if (attrs_set(d, a->v[i].type, a->v[i].val, a->v[i].len) != 0) {
			attrs_free(d);
			return NULL;
		}
	}
	return d;
}

const uint8_t *
attrs_get(const struct attrs *a, CK_ATTRIBUTE_TYPE t, size_t *n)
{
	struct attr *at = find(a, t);

	if (at == NULL)
		return NULL;
	if (n != NULL)
		*n = at->len;
	return at->val;
}

int
attrs_has(const struct attrs *a, CK_ATTRIBUTE_TYPE t)
{
	return find(a, t) != NULL;
}

int
attrs_get_ulong(const struct attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG *v)
{
	struct attr *at = find(a, t);

	if (at == NULL)
		return KYSO_ERR_NOT_FOUND;
	if (at->len != sizeof(CK_ULONG))
		return KYSO_ERR_INVALID;
	memcpy(v, at->val, sizeof(*v));
	return 0;
}

int
attrs_bool(const struct attrs *a, CK_ATTRIBUTE_TYPE t, int def)
{
	struct attr *at = find(a, t);

	if (at == NULL || at->len != sizeof(CK_BBOOL))
		return def;
	return at->val[0] != CK_FALSE;
}

int
attrs_match(const struct attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++) {
		struct attr *at = find(a, tmpl[i].type);

		if (at == NULL || at->len != tmpl[i].ulValueLen)
			return 0;
		if (at->len > 0 && memcmp(at->val, tmpl[i].pValue, at->len) != 0)
			return 0;
	}
	return 1;
}

int
attrs_from_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, struct attrs **out)
{
	struct attrs *a;
	CK_ULONG i;
	int r;

	if (n > 0 && tmpl == NULL)
		return KYSO_ERR_INVALID;
	if ((a = attrs_new()) == NULL)
		return KYSO_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (tmpl[i].ulValueLen > 0 && tmpl[i].pValue == NULL) {
			attrs_free(a);
			return KYSO_ERR_INVALID;
		}
		if (tmpl[i].ulValueLen == CK_UNAVAILABLE_INFORMATION) {
			attrs_free(a);
			return KYSO_ERR_INVALID;
		}
		if ((r = attrs_set(a, tmpl[i].type, tmpl[i].pValue,
			 tmpl[i].ulValueLen)) != 0) {
			attrs_free(a);
			return r;
		}
	}
	*out = a;
	return 0;
}

size_t
attrs_count(const struct attrs *a)
{
	return a->n;
}

size_t
attrs_size(const struct attrs *a)
{
	size_t i, s = 4;

	for (i = 0; i < a->n; i++)
		s += 12 + a->v[i].len;
	return s;
}

int
attrs_serialize(const struct attrs *a, struct buf *out)
{
	size_t i;
	int r;

	if ((r = buf_put_u32(out, (uint32_t)a->n)) != 0)
		return r;
	for (i = 0; i < a->n; i++) {
		if ((r = buf_put_u64(out, a->v[i].type)) != 0 ||
		    (r = buf_put_string(out, a->v[i].val, a->v[i].len)) != 0)
			return r;
	}
	return 0;
}

int
attrs_parse(struct buf *in, struct attrs **out)
{
	struct attrs *a = NULL;
	uint32_t n, i;
	uint64_t t;
	const uint8_t *v;
	size_t len;
	int r;

	if ((r = buf_get_u32(in, &n)) != 0)
		return r;
	if (n > ATTRS_MAX)
		return KYSO_ERR_CORRUPT;
	if ((a = attrs_new()) == NULL)
		return KYSO_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if ((r = buf_get_u64(in, &t)) != 0 ||
		    (r = buf_get_string_direct(in, &v, &len)) != 0 ||
		    (r = attrs_set(a, (CK_ATTRIBUTE_TYPE)t, v, len)) != 0) {
			attrs_free(a);
			return r;
		}
	}
	*out = a;
	return 0;
}
