/* Just enough of a TrueType font to embed it in a PDF and lay out a line
 * of text: Unicode to glyph (cmap formats 4 and 12), advance widths,
 * metrics. Every table read is bounds-checked against the file. */
#ifndef KYSO_TTF_H
#define KYSO_TTF_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define TTF_MAX_FILE ((size_t)32 * 1024 * 1024)

struct ttf;

int ttf_open(const char *path, struct ttf **out) KYSO_WUR;
void ttf_free(struct ttf *t);
const struct buf *ttf_data(const struct ttf *t);
/* The glyph for a code point; 0 (.notdef) when the font lacks it. */
uint16_t ttf_glyph(const struct ttf *t, uint32_t cp);
/* Advance width in thousandths of the em. */
int ttf_advance(const struct ttf *t, uint16_t gid);
/* In thousandths of the em. */
void ttf_metrics(const struct ttf *t, int *ascent, int *descent, int bbox[4]);

/* A subset of the font that keeps glyph numbers (so an Identity
 * CIDToGIDMap still holds): glyphs not in gids (nor .notdef, nor parts of
 * a kept composite) become empty; the tables a PDF viewer needs are kept,
 * layout tables dropped. */
int ttf_subset(const struct ttf *t, const uint16_t *gids, size_t n,
    struct buf **out) KYSO_WUR;

#endif
