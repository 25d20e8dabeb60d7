#include "sign/formats/ttf.h"

#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"

struct ttf {
	struct buf *data;
	const uint8_t *d;
	size_t len;
	unsigned upem;
	int ascent, descent, bbox[4];
	size_t hmtx, hmtx_len;
	unsigned nhmetrics;
	size_t cmap; /* the chosen subtable's offset */
	unsigned cmap_fmt;
};

static uint16_t
u16(const struct ttf *t, size_t off)
{
	if (off > t->len || t->len - off < 2)
		return 0;
	return (uint16_t)(t->d[off] << 8 | t->d[off + 1]);
}

static int16_t
i16(const struct ttf *t, size_t off)
{
	return (int16_t)u16(t, off);
}

static uint32_t
u32(const struct ttf *t, size_t off)
{
	return (uint32_t)u16(t, off) << 16 | u16(t, off + 2);
}

static int
find_table(const struct ttf *t, const char *tag, size_t *off, size_t *len)
{
	unsigned n = u16(t, 4), i;

	for (i = 0; i < n; i++) {
		size_t rec = 12 + (size_t)i * 16;

		if (rec + 16 > t->len)
			return KYSO_ERR_INVALID;
		if (memcmp(t->d + rec, tag, 4) == 0) {
			*off = u32(t, rec + 8);
			*len = u32(t, rec + 12);
			if (*off > t->len || *len > t->len - *off)
				return KYSO_ERR_INVALID;
			return 0;
		}
	}
	return KYSO_ERR_NOT_FOUND;
}

static int
scale(const struct ttf *t, int v)
{
	return (int)((long)v * 1000 / (long)t->upem);
}

int
ttf_open(const char *path, struct ttf **out)
{
	struct ttf *t = calloc(1, sizeof(*t));
	size_t off, len, i, best = 0;
	unsigned n, best_rank = 0;
	int r;

	if (t == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = file_read(path, TTF_MAX_FILE, &t->data)) != 0)
		goto fail;
	t->d = buf_ptr(t->data);
	t->len = buf_len(t->data);
	r = KYSO_ERR_INVALID;
	if (t->len < 12 ||
	    (u32(t, 0) != 0x00010000 && memcmp(t->d, "true", 4) != 0))
		goto fail;
	if (find_table(t, "head", &off, &len) != 0 || len < 54)
		goto fail;
	t->upem = u16(t, off + 18);
	if (t->upem < 16 || t->upem > 16384)
		goto fail;
	t->bbox[0] = scale(t, i16(t, off + 36));
	t->bbox[1] = scale(t, i16(t, off + 38));
	t->bbox[2] = scale(t, i16(t, off + 40));
	t->bbox[3] = scale(t, i16(t, off + 42));
	if (find_table(t, "hhea", &off, &len) != 0 || len < 36)
		goto fail;
	t->ascent = scale(t, i16(t, off + 4));
	t->descent = scale(t, i16(t, off + 6));
	t->nhmetrics = u16(t, off + 34);
	if (find_table(t, "hmtx", &t->hmtx, &t->hmtx_len) != 0 ||
	    t->nhmetrics == 0 || (size_t)t->nhmetrics * 4 > t->hmtx_len)
		goto fail;
	if (find_table(t, "cmap", &off, &len) != 0 || len < 4)
		goto fail;
	/* Prefer Unicode full (3,10 format 12), then BMP (3,1 format 4). */
	n = u16(t, off + 2);
	for (i = 0; i < n; i++) {
		size_t rec = off + 4 + i * 8, sub;
		unsigned pid = u16(t, rec), eid = u16(t, rec + 2), fmt, rank = 0;

		if (rec + 8 > off + len)
			break;
		sub = off + u32(t, rec + 4);
		if (sub >= t->len)
			continue;
		fmt = u16(t, sub);
		if (fmt == 12 && (pid == 0 || (pid == 3 && eid == 10)))
			rank = 3;
		else if (fmt == 4 && (pid == 0 || (pid == 3 && eid == 1)))
			rank = 2;
		if (rank > best_rank) {
			best_rank = rank;
			best = sub;
			t->cmap_fmt = fmt;
		}
	}
	if (best_rank == 0)
		goto fail;
	t->cmap = best;
	*out = t;
	return 0;
fail:
	ttf_free(t);
	return r;
}

void
ttf_free(struct ttf *t)
{
	if (t == NULL)
		return;
	buf_free(t->data);
	free(t);
}

const struct buf *
ttf_data(const struct ttf *t)
{
	return t->data;
}

uint16_t
ttf_glyph(const struct ttf *t, uint32_t cp)
{
	size_t s = t->cmap, i;

	if (t->cmap_fmt == 12) {
		uint32_t groups = u32(t, s + 12);

		for (i = 0; i < groups && s + 16 + (i + 1) * 12 <= t->len; i++) {
			size_t g = s + 16 + i * 12;
			uint32_t a = u32(t, g), b = u32(t, g + 4),
				 first = u32(t, g + 8);

			if (cp >= a && cp <= b) {
				uint32_t gid = first + (cp - a);
				return gid > 0xffff ? 0 : (uint16_t)gid;
			}
		}
		return 0;
	}
	if (cp > 0xffff)
		return 0;
	{
		unsigned segx2 = u16(t, s + 6), k;
		size_t ends = s + 14, starts = ends + segx2 + 2;
		size_t deltas = starts + segx2, ranges = deltas + segx2;

		for (k = 0; k < segx2 / 2; k++) {
			unsigned end = u16(t, ends + 2 * k),
				 start = u16(t, starts + 2 * k);
			unsigned delta = u16(t, deltas + 2 * k),
				 ro = u16(t, ranges + 2 * k);

			if (cp > end)
				continue;
			if (cp < start)
				return 0;
			if (ro == 0)
				return (uint16_t)((cp + delta) & 0xffff);
			{
				size_t at = ranges + 2 * k + ro +
				    2 * (cp - start);
				unsigned g = u16(t, at);

				return g == 0 ? 0
					      : (uint16_t)((g + delta) & 0xffff);
			}
		}
	}
	return 0;
}

int
ttf_advance(const struct ttf *t, uint16_t gid)
{
	unsigned i = gid < t->nhmetrics ? gid : t->nhmetrics - 1;

	return scale(t, u16(t, t->hmtx + (size_t)i * 4));
}

void
ttf_metrics(const struct ttf *t, int *ascent, int *descent, int bbox[4])
{
	*ascent = t->ascent;
	*descent = t->descent;
	memcpy(bbox, t->bbox, sizeof(t->bbox));
}

/* ---- subsetting ---- */

#define MAX_COMPOSITE_DEPTH 8

static int
glyph_range(const struct ttf *t, size_t loca, int long_loca, size_t glyf,
    size_t glyf_len, unsigned g, size_t *off, size_t *len)
{
	size_t a, b;

	if (long_loca) {
		a = u32(t, loca + (size_t)g * 4);
		b = u32(t, loca + (size_t)g * 4 + 4);
	} else {
		a = (size_t)u16(t, loca + (size_t)g * 2) * 2;
		b = (size_t)u16(t, loca + (size_t)g * 2 + 2) * 2;
	}
	if (b < a || b > glyf_len)
		return KYSO_ERR_INVALID;
	*off = glyf + a;
	*len = b - a;
	return 0;
}

/* Marks g and, for a composite glyph, its components. */
static int
mark(const struct ttf *t, uint8_t *keep, unsigned nglyphs, size_t loca,
    int long_loca, size_t glyf, size_t glyf_len, unsigned g, int depth)
{
	size_t off, len, p;
	unsigned flags;
	int r;

	if (g >= nglyphs || depth > MAX_COMPOSITE_DEPTH)
		return 0;
	keep[g] = 1;
	if ((r = glyph_range(t, loca, long_loca, glyf, glyf_len, g, &off, &len)) !=
	    0)
		return r;
	if (len < 10 || i16(t, off) >= 0)
		return 0; /* empty or simple */
	p = off + 10;
	do {
		if (p + 4 > off + len)
			return KYSO_ERR_INVALID;
		flags = u16(t, p);
		if ((r = mark(t, keep, nglyphs, loca, long_loca, glyf, glyf_len,
			 u16(t, p + 2), depth + 1)) != 0)
			return r;
		p += 4 + ((flags & 0x1) ? 4 : 2);
		if (flags & 0x8)
			p += 2;
		else if (flags & 0x40)
			p += 4;
		else if (flags & 0x80)
			p += 8;
	} while (flags & 0x20);
	return 0;
}

static uint32_t
checksum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i += 4) {
		uint32_t w = 0;
		size_t k;

		for (k = 0; k < 4; k++)
			w = w << 8 | (i + k < n ? p[i + k] : 0);
		s += w;
	}
	return s;
}

static int
put_u16(struct buf *b, unsigned v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, x, 2);
}

static int
put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	return buf_put(b, x, 4);
}

int
ttf_subset(const struct ttf *t, const uint16_t *gids, size_t n, struct buf **out)
{
	static const char *const keep_tables[] = { "OS/2", "cmap", "cvt ",
		"fpgm", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name",
		"post", "prep" }; /* sorted by tag, as the directory must be */
	enum { NT = sizeof(keep_tables) / sizeof(keep_tables[0]) };
	struct buf *glyf_new = NULL, *loca_new = NULL, *head_new = NULL;
	struct buf *res = NULL;
	uint8_t *keep = NULL;
	size_t head, head_len, loca, loca_len, glyf, glyf_len, maxp, maxp_len;
	size_t toff[NT], tlen[NT], i;
	const uint8_t *tdata[NT];
	unsigned nglyphs, g, ntab = 0, k;
	int long_loca, r = KYSO_ERR_INVALID;

	if (find_table(t, "head", &head, &head_len) != 0 || head_len < 54 ||
	    find_table(t, "loca", &loca, &loca_len) != 0 ||
	    find_table(t, "glyf", &glyf, &glyf_len) != 0 ||
	    find_table(t, "maxp", &maxp, &maxp_len) != 0 || maxp_len < 6)
		return KYSO_ERR_INVALID;
	nglyphs = u16(t, maxp + 4);
	long_loca = i16(t, head + 50) != 0;
	if (nglyphs == 0 ||
	    loca_len < ((size_t)nglyphs + 1) * (long_loca ? 4 : 2))
		return KYSO_ERR_INVALID;
	if ((keep = calloc(nglyphs, 1)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = mark(t, keep, nglyphs, loca, long_loca, glyf, glyf_len, 0, 0)) !=
	    0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = mark(t, keep, nglyphs, loca, long_loca, glyf, glyf_len,
			 gids[i], 0)) != 0)
			goto out;
	r = KYSO_ERR_NOMEM;
	if ((glyf_new = buf_new(0)) == NULL || (loca_new = buf_new(0)) == NULL ||
	    (head_new = buf_new(0)) == NULL || (res = buf_new(0)) == NULL)
		goto out;
	/* glyf with only the kept glyphs (4-byte aligned), long loca. */
	for (g = 0; g < nglyphs; g++) {
		size_t off, len;

		if ((r = put_u32(loca_new, (uint32_t)buf_len(glyf_new))) != 0)
			goto out;
		if (!keep[g])
			continue;
		if ((r = glyph_range(t, loca, long_loca, glyf, glyf_len, g,
			 &off, &len)) != 0 ||
		    (len > 0 && (r = buf_put(glyf_new, t->d + off, len)) != 0))
			goto out;
		while (buf_len(glyf_new) % 4 != 0)
			if ((r = buf_put_u8(glyf_new, 0)) != 0)
				goto out;
	}
	if ((r = put_u32(loca_new, (uint32_t)buf_len(glyf_new))) != 0 ||
	    (r = buf_put(head_new, t->d + head, head_len)) != 0)
		goto out;
	{
		uint8_t *h = buf_mutable_ptr(head_new);

		memset(h + 8, 0, 4); /* checkSumAdjustment */
		h[50] = 0;
		h[51] = 1; /* indexToLocFormat: long */
	}
	for (k = 0; k < NT; k++) {
		size_t off, len;

		if (strcmp(keep_tables[k], "glyf") == 0) {
			tdata[ntab] = buf_ptr(glyf_new);
			tlen[ntab] = buf_len(glyf_new);
		} else if (strcmp(keep_tables[k], "loca") == 0) {
			tdata[ntab] = buf_ptr(loca_new);
			tlen[ntab] = buf_len(loca_new);
		} else if (strcmp(keep_tables[k], "head") == 0) {
			tdata[ntab] = buf_ptr(head_new);
			tlen[ntab] = buf_len(head_new);
		} else if (find_table(t, keep_tables[k], &off, &len) == 0) {
			tdata[ntab] = t->d + off;
			tlen[ntab] = len;
		} else {
			continue;
		}
		toff[ntab] = (size_t)k; /* remember the tag */
		ntab++;
	}
	/* Offset table, directory, tables (each padded to 4 bytes). */
	{
		unsigned es = 0, sr;
		size_t at = 12 + (size_t)ntab * 16;

		while ((2u << es) <= ntab)
			es++;
		sr = (1u << es) * 16;
		if ((r = put_u32(res, 0x00010000)) != 0 ||
		    (r = put_u16(res, ntab)) != 0 ||
		    (r = put_u16(res, sr)) != 0 || (r = put_u16(res, es)) != 0 ||
		    (r = put_u16(res, ntab * 16 - sr)) != 0)
			goto out;
		for (i = 0; i < ntab; i++) {
			if ((r = buf_put(res, keep_tables[toff[i]], 4)) != 0 ||
			    (r = put_u32(res, checksum(tdata[i], tlen[i]))) != 0 ||
			    (r = put_u32(res, (uint32_t)at)) != 0 ||
			    (r = put_u32(res, (uint32_t)tlen[i])) != 0)
				goto out;
			at += (tlen[i] + 3) / 4 * 4;
		}
		for (i = 0; i < ntab; i++) {
			if ((r = buf_put(res, tdata[i], tlen[i])) != 0)
				goto out;
			while (buf_len(res) % 4 != 0)
				if ((r = buf_put_u8(res, 0)) != 0)
					goto out;
		}
	}
	*out = res;
	res = NULL;
	r = 0;
out:
	free(keep);
	buf_free(glyf_new);
	buf_free(loca_new);
	buf_free(head_new);
	buf_free(res);
	return r;
}
