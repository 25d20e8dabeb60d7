#include "sign/pdf/pdf_rev.h"

#include <string.h>

#include "sign/pdf/pdf_crypt.h"

void
rev_clear(struct rev *v)
{
	size_t i;

	for (i = 0; i < v->nu; i++) {
		pdf_obj_free(v->u[i].obj);
		buf_free(v->u[i].data);
	}
	v->nu = 0;
}

static int
put(struct rev *v, int64_t num, struct pdf_obj *obj, struct buf *data)
{
	size_t i;

	for (i = 0; i < v->nu; i++) {
		if (v->u[i].num == num) {
			pdf_obj_free(v->u[i].obj);
			buf_free(v->u[i].data);
			v->u[i].obj = obj;
			v->u[i].data = data;
			return 0;
		}
	}
	if (v->nu == REV_MAX) {
		pdf_obj_free(obj);
		buf_free(data);
		return KYSO_ERR_INTERNAL;
	}
	v->u[v->nu].num = num;
	v->u[v->nu].gen = pdf_gen(v->pdf, num);
	v->u[v->nu].obj = obj;
	v->u[v->nu].data = data;
	v->nu++;
	return 0;
}

int
rev_put(struct rev *v, int64_t num, struct pdf_obj *obj)
{
	return put(v, num, obj, NULL);
}

int
rev_put_stream(struct rev *v, int64_t num, struct pdf_obj *dict, struct buf *data)
{
	int r;

	if (dict == NULL || data == NULL) {
		pdf_obj_free(dict);
		buf_free(data);
		return KYSO_ERR_NOMEM;
	}
	if ((r = pdf_dict_set(dict, "Length",
		 pdf_int_new((int64_t)buf_len(data)))) != 0) {
		pdf_obj_free(dict);
		buf_free(data);
		return r;
	}
	return put(v, num, dict, data);
}

/* One queued object as the file holds it: in an encrypted file, its
 * strings and its stream data encrypted with its own key (ISO 32000-1
 * 7.6.2), /Length the encrypted data's. */
static int
write_obj(const struct pdf_crypt *c, const struct upd *u, struct buf *b)
{
	struct pdf_obj *o = NULL;
	struct buf *data = NULL;
	const struct buf *d = u->data;
	int r;

	if (c != NULL) {
		if ((o = pdf_obj_dup(u->obj)) == NULL)
			return KYSO_ERR_NOMEM;
		if ((r = pdf_crypt_obj(c, u->num, u->gen, 1, o)) != 0)
			goto out;
		if (d != NULL &&
		    ((r = pdf_crypt_bytes(c, u->num, u->gen, 1, 1,
			  pdf_name_is(pdf_dict_get(o, "Type"), "Metadata"),
			  buf_ptr(d), buf_len(d), &data)) != 0 ||
			(r = pdf_dict_set(o, "Length",
			     pdf_int_new((int64_t)buf_len(data)))) != 0))
			goto out;
		if (data != NULL)
			d = data;
	}
	if ((r = pdf_obj_write(b, o != NULL ? o : u->obj)) != 0)
		goto out;
	if (d != NULL &&
	    ((r = buf_putf(b, "\nstream\n")) != 0 ||
		(r = buf_put(b, buf_ptr(d), buf_len(d))) != 0 ||
		(r = buf_putf(b, "\nendstream")) != 0))
		goto out;
out:
	pdf_obj_free(o);
	buf_free(data);
	return r;
}

/* What the trailer of an update keeps besides /Size, /Root and /Prev:
 * /Info, /ID and, for an encrypted file, /Encrypt. */
static int
write_trailer_keys(const struct pdf_obj *tr, struct buf *b)
{
	static const char *const keys[] = { "Info", "ID", "Encrypt" };
	size_t k;
	int r;

	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (pdf_dict_get(tr, keys[k]) != NULL &&
		    ((r = buf_putf(b, "/%s ", keys[k])) != 0 ||
			(r = pdf_obj_write(b, pdf_dict_get(tr, keys[k]))) != 0))
			return r;
	return 0;
}

int
rev_write(struct rev *v, struct buf *b, uint64_t base, rev_text_fn text, void *ctx)
{
	const struct pdf_obj *tr = pdf_trailer(v->pdf);
	size_t i, j;
	uint64_t xref_off;
	int64_t size = v->next;
	int r;

	if (base > 0 && (r = buf_put_u8(b, '\n')) != 0)
		return r;
	for (i = 0; i < v->nu; i++) {
		v->u[i].off = base + buf_len(b);
		if ((r = buf_putf(b, "%lld %u obj\n", (long long)v->u[i].num,
			 v->u[i].gen)) != 0)
			return r;
		if (v->u[i].obj != NULL) {
			if ((r = write_obj(pdf_crypt_of(v->pdf), &v->u[i], b)) !=
			    0)
				return r;
		} else if (text == NULL || (r = text(ctx, b)) != 0) {
			r = r ? r : KYSO_ERR_INTERNAL;
			return r;
		}
		if ((r = buf_putf(b, "\nendobj\n")) != 0)
			return r;
	}
	/* Entries sorted by object number. */
	for (i = 1; i < v->nu; i++)
		for (j = i; j > 0 && v->u[j - 1].num > v->u[j].num; j--) {
			struct upd t = v->u[j];
			v->u[j] = v->u[j - 1];
			v->u[j - 1] = t;
		}
	xref_off = base + buf_len(b);
	if (!pdf_xref_is_stream(v->pdf)) {
		if ((r = buf_putf(b, "xref\n")) != 0)
			return r;
		for (i = 0; i < v->nu; i = j) {
			for (j = i + 1;
			     j < v->nu && v->u[j].num == v->u[j - 1].num + 1; j++)
				;
			if ((r = buf_putf(b, "%lld %zu\n",
				 (long long)v->u[i].num, j - i)) != 0)
				return r;
			for (; i < j; i++)
				if ((r = buf_putf(b, "%010llu %05u n \n",
					 (unsigned long long)v->u[i].off,
					 v->u[i].gen)) != 0)
					return r;
		}
		if ((r = buf_putf(b, "trailer\n<</Size %lld/Root ",
			 (long long)size)) != 0 ||
		    (r = pdf_obj_write(b, pdf_dict_get(tr, "Root"))) != 0)
			return r;
	} else {
		/* An uncompressed cross-reference stream, itself object
		 * number size. */
		int64_t xnum = size++;
		struct buf *rows = buf_new(0);
		int w = xref_off > UINT32_MAX ? 8 : 4, k;

		if (rows == NULL)
			return KYSO_ERR_NOMEM;
		if ((r = buf_putf(b,
			 "%lld 0 obj\n<</Type/XRef/Size %lld/W[1 %d 2]/Index[",
			 (long long)xnum, (long long)size, w)) != 0)
			goto xs_out;
		for (i = 0; i < v->nu; i = j) {
			for (j = i + 1;
			     j < v->nu && v->u[j].num == v->u[j - 1].num + 1; j++)
				;
			if ((r = buf_putf(b, "%lld %zu ",
				 (long long)v->u[i].num, j - i)) != 0)
				goto xs_out;
			for (; i < j; i++) {
				if ((r = buf_put_u8(rows, 1)) != 0)
					goto xs_out;
				for (k = w - 1; k >= 0; k--)
					if ((r = buf_put_u8(rows,
						 (uint8_t)(v->u[i].off >>
						     (8 * k)))) != 0)
						goto xs_out;
				if ((r = buf_put_u8(rows,
					 (uint8_t)(v->u[i].gen >> 8))) != 0 ||
				    (r = buf_put_u8(rows, (uint8_t)v->u[i].gen)) !=
					0)
					goto xs_out;
			}
		}
		if ((r = buf_putf(b, "%lld 1]", (long long)xnum)) != 0 ||
		    (r = buf_put_u8(rows, 1)) != 0)
			goto xs_out;
		for (k = w - 1; k >= 0; k--)
			if ((r = buf_put_u8(rows,
				 (uint8_t)(xref_off >> (8 * k)))) != 0)
				goto xs_out;
		if ((r = buf_put(rows, "\0\0", 2)) != 0 ||
		    (r = buf_putf(b, "/Length %zu/Root ", buf_len(rows))) != 0 ||
		    (r = pdf_obj_write(b, pdf_dict_get(tr, "Root"))) != 0)
			goto xs_out;
		if ((r = buf_putf(b, "/Prev %llu",
			 (unsigned long long)pdf_startxref(v->pdf))) != 0)
			goto xs_out;
		if ((r = write_trailer_keys(tr, b)) != 0)
			goto xs_out;
		if ((r = buf_putf(b, ">>\nstream\n")) != 0 ||
		    (r = buf_put(b, buf_ptr(rows), buf_len(rows))) != 0 ||
		    (r = buf_putf(b,
			 "\nendstream\nendobj\nstartxref\n%llu\n%%%%EOF\n",
			 (unsigned long long)xref_off)) != 0)
			goto xs_out;
	xs_out:
		buf_free(rows);
		return r;
	}
	if ((r = buf_putf(b, "/Prev %llu",
		 (unsigned long long)pdf_startxref(v->pdf))) != 0)
		return r;
	if ((r = write_trailer_keys(tr, b)) != 0)
		return r;
	return buf_putf(b, ">>\nstartxref\n%llu\n%%%%EOF\n",
	    (unsigned long long)xref_off);
}
