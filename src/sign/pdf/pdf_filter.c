#include "sign/pdf/pdf_filter.h"

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define CHUNK 65536

static int
inflate_all(const uint8_t *data, size_t n, struct buf *out)
{
	z_stream z;
	uint8_t *chunk = NULL;
	int zr, r = KYSO_ERR_INTERNAL;

	memset(&z, 0, sizeof(z));
	if ((chunk = malloc(CHUNK)) == NULL)
		return KYSO_ERR_NOMEM;
	if (inflateInit(&z) != Z_OK) {
		free(chunk);
		return KYSO_ERR_NOMEM;
	}
	z.next_in = (Bytef *)data;
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	for (;;) {
		z.next_out = chunk;
		z.avail_out = CHUNK;
		zr = inflate(&z, Z_NO_FLUSH);
		if ((zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR) &&
		    (r = buf_put(out, chunk, CHUNK - z.avail_out)) != 0)
			goto out;
		if (zr == Z_STREAM_END)
			break;
		/* A stream cut short: keep what came out (as readers do). */
		if (zr == Z_BUF_ERROR && z.avail_out != 0)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			r = KYSO_ERR_INVALID;
			goto out;
		}
	}
	r = 0;
out:
	inflateEnd(&z);
	free(chunk);
	return r;
}

static int
paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

static int64_t
parm_int(const struct pdf_obj *parms, const char *key, int64_t def)
{
	const struct pdf_obj *v = pdf_dict_get(parms, key);

	return v != NULL && v->type == PDF_INT ? v->i : def;
}

/* Undoes a PNG (>= 10) or TIFF (2, 8 bits) predictor in place into out. */
static int
unpredict(const struct pdf_obj *parms, struct buf *in, size_t cap,
    struct buf **out)
{
	int64_t pred = parm_int(parms, "Predictor", 1);
	int64_t colors = parm_int(parms, "Colors", 1);
	int64_t bpc = parm_int(parms, "BitsPerComponent", 8);
	int64_t cols = parm_int(parms, "Columns", 1);
	struct buf *o = NULL;
	const uint8_t *src = buf_ptr(in);
	size_t len = buf_len(in), bpp, row, pos, i;
	uint8_t *prev = NULL, *cur = NULL;
	int r = KYSO_ERR_INTERNAL;

	if (pred == 1) {
		*out = buf_dup(in);
		return *out == NULL ? KYSO_ERR_NOMEM : 0;
	}
	if (colors < 1 || colors > 32 ||
	    (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16) ||
	    cols < 1 || cols > (1 << 20))
		return KYSO_ERR_INVALID;
	bpp = (size_t)((colors * bpc + 7) / 8);
	row = (size_t)((colors * bpc * cols + 7) / 8);
	if ((o = buf_new(cap)) == NULL || (prev = calloc(1, row)) == NULL ||
	    (cur = malloc(row)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if (pred == 2) {
		if (bpc != 8) {
			r = KYSO_ERR_UNSUPPORTED;
			goto out;
		}
		for (pos = 0; len - pos >= row; pos += row) {
			memcpy(cur, src + pos, row);
			for (i = bpp; i < row; i++)
				cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
			if ((r = buf_put(o, cur, row)) != 0)
				goto out;
		}
	} else if (pred >= 10 && pred <= 15) {
		for (pos = 0; len - pos >= row + 1; pos += row + 1) {
			uint8_t ft = src[pos];

			memcpy(cur, src + pos + 1, row);
			for (i = 0; i < row; i++) {
				int a = i >= bpp ? cur[i - bpp] : 0;
				int b = prev[i];
				int c = i >= bpp ? prev[i - bpp] : 0;

				switch (ft) {
				case 0: break;
				case 1: cur[i] = (uint8_t)(cur[i] + a); break;
				case 2: cur[i] = (uint8_t)(cur[i] + b); break;
				case 3:
					cur[i] = (uint8_t)(cur[i] + (a + b) / 2);
					break;
				case 4:
					cur[i] = (uint8_t)(cur[i] +
					    paeth(a, b, c));
					break;
				default: r = KYSO_ERR_INVALID; goto out;
				}
			}
			if ((r = buf_put(o, cur, row)) != 0)
				goto out;
			memcpy(prev, cur, row);
		}
	} else {
		r = KYSO_ERR_UNSUPPORTED;
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	buf_free(o);
	free(prev);
	free(cur);
	return r;
}

int
pdf_filter_decode(const struct pdf_obj *dict, const uint8_t *data, size_t n,
    size_t cap, struct buf **out)
{
	const struct pdf_obj *f = pdf_dict_get(dict, "Filter");
	const struct pdf_obj *parms = pdf_dict_get(dict, "DecodeParms");
	struct buf *raw = NULL;
	int r = KYSO_ERR_INTERNAL;

	if (f != NULL && f->type == PDF_ARRAY) {
		if (f->count == 0) {
			f = NULL;
		} else if (f->count == 1) {
			f = f->items[0];
			if (parms != NULL && parms->type == PDF_ARRAY)
				parms = parms->count == 1 ? parms->items[0]
							  : NULL;
		} else {
			return KYSO_ERR_UNSUPPORTED;
		}
	}
	if ((raw = buf_new(cap)) == NULL)
		return KYSO_ERR_NOMEM;
	if (f == NULL || f->type == PDF_NULL) {
		r = buf_put(raw, data, n);
		if (r == 0) {
			*out = raw;
			return 0;
		}
		goto out;
	}
	if (!pdf_name_is(f, "FlateDecode") && !pdf_name_is(f, "Fl")) {
		r = KYSO_ERR_UNSUPPORTED;
		goto out;
	}
	if ((r = inflate_all(data, n, raw)) != 0)
		goto out;
	if (parms != NULL && parms->type == PDF_DICT &&
	    parm_int(parms, "Predictor", 1) > 1) {
		r = unpredict(parms, raw, cap, out);
		goto out;
	}
	*out = raw;
	raw = NULL;
	r = 0;
out:
	buf_free(raw);
	return r;
}
