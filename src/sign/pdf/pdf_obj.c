#include "sign/pdf/pdf_obj.h"

#include <stdlib.h>
#include <string.h>

struct pdf_obj *
pdf_obj_new(enum pdf_type t)
{
	struct pdf_obj *o = calloc(1, sizeof(*o));

	if (o != NULL)
		o->type = t;
	return o;
}

void
pdf_obj_free(struct pdf_obj *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->count; i++)
		pdf_obj_free(o->items[i]);
	free(o->items);
	free(o->s);
	free(o);
}

struct pdf_obj *
pdf_int_new(int64_t v)
{
	struct pdf_obj *o = pdf_obj_new(PDF_INT);

	if (o != NULL)
		o->i = v;
	return o;
}

struct pdf_obj *
pdf_ref_new(int64_t num, uint32_t gen)
{
	struct pdf_obj *o = pdf_obj_new(PDF_REF);

	if (o != NULL) {
		o->i = num;
		o->gen = gen;
	}
	return o;
}

struct pdf_obj *
pdf_bytes_new(enum pdf_type t, const void *p, size_t n)
{
	struct pdf_obj *o;

	if (n == SIZE_MAX || (o = pdf_obj_new(t)) == NULL)
		return NULL;
	if ((o->s = malloc(n + 1)) == NULL) {
		free(o);
		return NULL;
	}
	if (n > 0)
		memcpy(o->s, p, n);
	o->s[n] = '\0';
	o->n = n;
	return o;
}

struct pdf_obj *
pdf_name_new(const char *name)
{
	return pdf_bytes_new(PDF_NAME, name, strlen(name));
}

static int
items_push(struct pdf_obj *a, struct pdf_obj *v)
{
	struct pdf_obj **ni;
	size_t na;

	if (v == NULL)
		return KYSO_ERR_NOMEM;
	if (a->count >= PDF_MAX_ITEMS * 2) {
		pdf_obj_free(v);
		return KYSO_ERR_TOO_LARGE;
	}
	if (a->count == a->alloc) {
		na = a->alloc ? a->alloc * 2 : 8;
		if ((ni = realloc(a->items, na * sizeof(*ni))) == NULL) {
			pdf_obj_free(v);
			return KYSO_ERR_NOMEM;
		}
		a->items = ni;
		a->alloc = na;
	}
	a->items[a->count++] = v;
	return 0;
}

struct pdf_obj *
pdf_obj_dup(const struct pdf_obj *o)
{
	struct pdf_obj *c;
	size_t i;

	if (o == NULL || (c = pdf_obj_new(o->type)) == NULL)
		return NULL;
	c->i = o->i;
	c->gen = o->gen;
	c->hex = o->hex;
	c->data_off = o->data_off;
	c->data_len = o->data_len;
	if (o->s != NULL) {
		if ((c->s = malloc(o->n + 1)) == NULL)
			goto fail;
		memcpy(c->s, o->s, o->n + 1);
		c->n = o->n;
	}
	for (i = 0; i < o->count; i++)
		if (items_push(c, pdf_obj_dup(o->items[i])) != 0)
			goto fail;
	return c;
fail:
	pdf_obj_free(c);
	return NULL;
}

int
pdf_array_push(struct pdf_obj *a, struct pdf_obj *v)
{
	if (a == NULL || a->type != PDF_ARRAY) {
		pdf_obj_free(v);
		return KYSO_ERR_INVALID;
	}
	return items_push(a, v);
}

int
pdf_name_is(const struct pdf_obj *o, const char *name)
{
	size_t n = strlen(name);

	return o != NULL && o->type == PDF_NAME && o->n == n &&
	    memcmp(o->s, name, n) == 0;
}

static int
is_dict(const struct pdf_obj *d)
{
	return d != NULL && (d->type == PDF_DICT || d->type == PDF_STREAM);
}

struct pdf_obj *
pdf_dict_get(const struct pdf_obj *d, const char *key)
{
	size_t i;

	if (!is_dict(d))
		return NULL;
	for (i = 0; i + 1 < d->count; i += 2)
		if (pdf_name_is(d->items[i], key))
			return d->items[i + 1];
	return NULL;
}

int
pdf_dict_set(struct pdf_obj *d, const char *key, struct pdf_obj *v)
{
	size_t i;
	int r;

	if (v == NULL)
		return KYSO_ERR_NOMEM;
	if (!is_dict(d)) {
		pdf_obj_free(v);
		return KYSO_ERR_INVALID;
	}
	for (i = 0; i + 1 < d->count; i += 2) {
		if (pdf_name_is(d->items[i], key)) {
			pdf_obj_free(d->items[i + 1]);
			d->items[i + 1] = v;
			return 0;
		}
	}
	if ((r = items_push(d, pdf_name_new(key))) != 0) {
		pdf_obj_free(v);
		return r;
	}
	return items_push(d, v);
}

void
pdf_dict_del(struct pdf_obj *d, const char *key)
{
	size_t i;

	if (!is_dict(d))
		return;
	for (i = 0; i + 1 < d->count; i += 2) {
		if (pdf_name_is(d->items[i], key)) {
			pdf_obj_free(d->items[i]);
			pdf_obj_free(d->items[i + 1]);
			memmove(&d->items[i], &d->items[i + 2],
			    (d->count - i - 2) * sizeof(*d->items));
			d->count -= 2;
			return;
		}
	}
}

/* Regular characters of a name that print as themselves. */
static int
name_plain(uint8_t c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>[]{}/%#", c) == NULL;
}

static int
write_name(struct buf *out, const struct pdf_obj *o)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t k;
	int r;

	if ((r = buf_put_u8(out, '/')) != 0)
		return r;
	for (k = 0; k < o->n; k++) {
		uint8_t c = o->s[k];

		if (name_plain(c)) {
			r = buf_put_u8(out, c);
		} else {
			uint8_t e[3] = { '#', (uint8_t)hexd[c >> 4],
				(uint8_t)hexd[c & 15] };
			r = buf_put(out, e, 3);
		}
		if (r != 0)
			return r;
	}
	return 0;
}

static int
write_string(struct buf *out, const struct pdf_obj *o)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t k;
	int r;

	/* Hex is always safe; a string read as literal stays literal. */
	if (o->hex) {
		if ((r = buf_put_u8(out, '<')) != 0)
			return r;
		for (k = 0; k < o->n; k++) {
			uint8_t e[2] = { (uint8_t)hexd[o->s[k] >> 4],
				(uint8_t)hexd[o->s[k] & 15] };
			if ((r = buf_put(out, e, 2)) != 0)
				return r;
		}
		return buf_put_u8(out, '>');
	}
	if ((r = buf_put_u8(out, '(')) != 0)
		return r;
	for (k = 0; k < o->n; k++) {
		uint8_t c = o->s[k];

		if (c == '(' || c == ')' || c == '\\')
			r = buf_putf(out, "\\%c", c);
		else if (c == '\r')
			r = buf_put(out, "\\r", 2);
		else if (c == '\n')
			r = buf_put(out, "\\n", 2);
		else
			r = buf_put_u8(out, c);
		if (r != 0)
			return r;
	}
	return buf_put_u8(out, ')');
}

static int
write_obj(struct buf *out, const struct pdf_obj *o, int depth)
{
	size_t k;
	int r = 0;

	if (depth > PDF_MAX_DEPTH)
		return KYSO_ERR_INVALID;
	switch (o->type) {
	case PDF_NULL: return buf_put(out, "null", 4);
	case PDF_BOOL: return buf_putf(out, "%s", o->i ? "true" : "false");
	case PDF_INT: return buf_putf(out, "%lld", (long long)o->i);
	case PDF_REAL: return buf_put(out, o->s, o->n);
	case PDF_STRING: return write_string(out, o);
	case PDF_NAME: return write_name(out, o);
	case PDF_REF:
		return buf_putf(out, "%lld %u R", (long long)o->i, o->gen);
	case PDF_ARRAY:
		if ((r = buf_put_u8(out, '[')) != 0)
			return r;
		for (k = 0; k < o->count; k++) {
			if (k > 0 && (r = buf_put_u8(out, ' ')) != 0)
				return r;
			if ((r = write_obj(out, o->items[k], depth + 1)) != 0)
				return r;
		}
		return buf_put_u8(out, ']');
	case PDF_DICT:
	case PDF_STREAM:
		if ((r = buf_put(out, "<<", 2)) != 0)
			return r;
		for (k = 0; k + 1 < o->count; k += 2) {
			if ((r = write_obj(out, o->items[k], depth + 1)) != 0 ||
			    (r = buf_put_u8(out, ' ')) != 0 ||
			    (r = write_obj(out, o->items[k + 1], depth + 1)) != 0)
				return r;
		}
		return buf_put(out, ">>", 2);
	}
	return KYSO_ERR_INTERNAL;
}

int
pdf_obj_write(struct buf *out, const struct pdf_obj *o)
{
	return write_obj(out, o, 0);
}
