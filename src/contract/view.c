/* A contract's pages on its page: the held version page by page (images
 * rendered by render.c) with each signer's stamp box drawn where it will
 * go, and, for the owner before anyone signs, the stamp placed by a click
 * on the page (static/contract.js posts it to /documents/ID/stamp). */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "render.h"

#define STAMP_MIN_W 60 /* the smallest stamp box, in points */
#define STAMP_MIN_H 30

/* 1 when the caller may still place doc's stamps: its owner, the
 * document waiting, nobody signed yet (the stamps then stay where the
 * first signature put its own). */
int
view_can_place(struct ctx *c, const char *doc)
{
	struct q *st = NULL;
	int ok = 0;

	if (q_prepare(c->a->db,
		"SELECT 1 FROM documents d WHERE d.id = ?1 AND d.owner_id = ?2"
		" AND d.state = 'waiting' AND NOT EXISTS (SELECT 1 FROM signers"
		" s WHERE s.doc_id = d.id AND s.state <> 'waiting')",
		&st) != 0)
		return 0;
	q_bind_text(st, 1, doc);
	q_bind_int(st, 2, c->account);
	ok = q_step(st) == Q_ROW;
	q_finalize(st);
	return ok;
}

/* The signers' stamp boxes, as data the page's script draws; without
 * the script they are a list. */
static void
out_stamps(struct ctx *c, const char *doc, int place)
{
	struct q *st = NULL;
	int first = 1;

	if (q_prepare(c->a->db,
		"SELECT pos, email, page, x, y, w, h, state FROM signers"
		" WHERE doc_id = ? ORDER BY pos",
		&st) != 0) {
		c->err = 1;
		return;
	}
	q_bind_text(st, 1, doc);
	out(c, "<ul class=\"stamps\">");
	while (q_step(st) == Q_ROW) {
		int pos = q_col_i32(st, 0);

		const char *state = (const char *)q_col(st, 7);

		out(c,
		    "<li><label><input type=\"radio\" name=\"placing\" "
		    "value=\"%d\"%s%s> <span class=\"stamp\" data-pos=\"%d\"",
		    pos, first ? " checked" : "", place ? "" : " hidden", pos);
		/* A signed stamp is on the page itself: no box over it. */
		if (state != NULL && strcmp(state, "waiting") == 0)
			out(c, " data-page=\"%d\" data-box=\"%d,%d,%d,%d\"",
			    q_col_i32(st, 2), q_col_i32(st, 3), q_col_i32(st, 4),
			    q_col_i32(st, 5), q_col_i32(st, 6));
		out(c, ">%d. ", pos);
		out_esc(c, (const char *)q_col(st, 1));
		out(c, "</span></label></li>");
		first = 0;
	}
	q_finalize(st);
	out(c, "</ul>");
}

/* The held version page by page, the stamp boxes on it. */
void
view_pages(struct ctx *c, const char *doc, const char *sha256, int place)
{
	struct render_info *ri = NULL;
	int i;

	out(c, "<section class=\"pages\" data-doc=\"%s\"%s><h2>%s</h2>", doc,
	    place ? " data-place=\"1\"" : "", _("The document"));
	if (render_info(c->a, sha256, &ri) != 0) {
		out(c, "<p class=\"error\">%s</p></section>",
		    _("The pages cannot be shown; download the PDF to read "
		      "it."));
		return;
	}
	if (place)
		out(c, "<p class=\"hint\">%s</p>",
		    _("Choose a signer, then click on the page where their "
		      "stamp goes (its top left corner). Stamps can be moved "
		      "until the first signature."));
	out_stamps(c, doc, place);
	for (i = 0; i < ri->n; i++) {
		out(c,
		    "<figure class=\"page\" data-page=\"%d\" data-w=\"%d\" "
		    "data-h=\"%d\"><div class=\"sheet\"><img src=\"/documents/"
		    "%s/page/%d?v=%.16s\" alt=\"%s %d\" loading=\"lazy\" "
		    "width=\"%d\" height=\"%d\"></div><figcaption>%s %d / %d"
		    "</figcaption></figure>",
		    i + 1, ri->w[i], ri->h[i], doc, i + 1, sha256, _("Page"),
		    i + 1, ri->w[i] * 3 / 2, ri->h[i] * 3 / 2, _("Page"), i + 1,
		    ri->n);
	}
	out(c, "</section>");
	free(ri);
}

/* One page of the held version as PNG. */
void
h_page(struct ctx *c)
{
	char sha[65];
	uint64_t n;
	struct buf *b = NULL;

	if (doc_visible(c, sha) != 0 ||
	    parse_u64(c->part[1], 1, RENDER_MAX_PAGES, &n) != 0 ||
	    render_png(c->a, sha, (unsigned)n, &b) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	c->rs->status = 200;
	c->rs->content_type = "image/png";
	c->rs->body = b;
}

/* Clamps v into [lo, hi]. */
static int64_t
clamp(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The owner's click: signer pos's stamp moves to page, its lower left
 * corner at (x, y) in points, kept whole inside the page. Answers the
 * stored box as JSON. */
void
h_stamp(struct ctx *c)
{
	struct render_info *ri = NULL;
	struct q *st = NULL;
	const char *f[4] = { web_field(c->rq, "pos"), web_field(c->rq, "page"),
		web_field(c->rq, "x"), web_field(c->rq, "y") };
	uint64_t v[4];
	int64_t w = 0, h = 0, x, y;
	char sha[65], detail[96];
	int i;

	if (doc_visible(c, sha) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	for (i = 0; i < 4; i++)
		if (f[i] == NULL || parse_u64(f[i], 0, 20000, &v[i]) != 0) {
			page_error(c, 400, _("The stamp position is not valid."));
			return;
		}
	if (!view_can_place(c, c->part[0])) {
		page_error(c, 409,
		    _("Only the owner places the stamps, before the first "
		      "signature."));
		return;
	}
	if (render_info(c->a, sha, &ri) != 0 || v[1] < 1 ||
	    v[1] > (uint64_t)ri->n) {
		free(ri);
		page_error(c, 400, _("The stamp position is not valid."));
		return;
	}
	if (q_prepare(c->a->db,
		"SELECT w, h FROM signers WHERE doc_id = ? AND pos = ?",
		&st) == 0) {
		q_bind_text(st, 1, c->part[0]);
		q_bind_int(st, 2, (int64_t)v[0]);
		if (q_step(st) == Q_ROW)
			w = q_col_int(st, 0), h = q_col_int(st, 1);
	}
	q_finalize(st);
	st = NULL;
	if (w == 0) {
		free(ri);
		page_error(c, 400, _("The stamp position is not valid."));
		return;
	}
	w = clamp(w, STAMP_MIN_W, ri->w[v[1] - 1]);
	h = clamp(h, STAMP_MIN_H, ri->h[v[1] - 1]);
	x = clamp((int64_t)v[2], 0, ri->w[v[1] - 1] - w);
	y = clamp((int64_t)v[3], 0, ri->h[v[1] - 1] - h);
	free(ri);
	if (q_prepare(c->a->db,
		"UPDATE signers SET page = ?, x = ?, y = ?, w = ?, h = ? WHERE"
		" doc_id = ? AND pos = ?",
		&st) != 0) {
		c->err = 1;
		return;
	}
	q_bind_int(st, 1, (int64_t)v[1]);
	q_bind_int(st, 2, x);
	q_bind_int(st, 3, y);
	q_bind_int(st, 4, w);
	q_bind_int(st, 5, h);
	q_bind_text(st, 6, c->part[0]);
	q_bind_int(st, 7, (int64_t)v[0]);
	if (q_step(st) != Q_DONE)
		c->err = 1;
	q_finalize(st);
	snprintf(detail, sizeof(detail), "#%d page %d: %d %d %d %d", (int)v[0],
	    (int)v[1], (int)x, (int)y, (int)w, (int)h);
	if (c->err ||
	    audit_append(c->a->db, c->part[0], c->email, web_remote(c->rq),
		"stamp-placed", detail) != 0) {
		c->err = 1;
		return;
	}
	c->rs->status = 200;
	c->rs->content_type = "application/json";
	out(c, "{\"pos\":%d,\"page\":%d,\"box\":\"%d,%d,%d,%d\"}\n", (int)v[0],
	    (int)v[1], (int)x, (int)y, (int)w, (int)h);
}
