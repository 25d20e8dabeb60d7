#include "ttf.h"

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
	size_t cmap;          /* the chosen subtable's offset */
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
	if (t->len < 12 || (u32(t, 0) != 0x00010000 && memcmp(t->d, "true", 4) != 0))
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

const struct buf *ttf_data(const struct ttf *t) { return t->data; }

uint16_t
ttf_glyph(const struct ttf *t, uint32_t cp)
{
	size_t s = t->cmap, i;

	if (t->cmap_fmt == 12) {
		uint32_t groups = u32(t, s + 12);

		for (i = 0; i < groups && s + 16 + (i + 1) * 12 <= t->len; i++) {
			size_t g = s + 16 + i * 12;
			uint32_t a = u32(t, g), b = u32(t, g + 4), first = u32(t, g + 8);

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
			unsigned end = u16(t, ends + 2 * k), start = u16(t, starts + 2 * k);
			unsigned delta = u16(t, deltas + 2 * k), ro = u16(t, ranges + 2 * k);

			if (cp > end)
				continue;
			if (cp < start)
				return 0;
			if (ro == 0)
				return (uint16_t)((cp + delta) & 0xffff);
			{
				size_t at = ranges + 2 * k + ro + 2 * (cp - start);
				unsigned g = u16(t, at);

				return g == 0 ? 0 : (uint16_t)((g + delta) & 0xffff);
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
