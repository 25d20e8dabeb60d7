/* A contract's audit trail as a PDF beside the document (GET
 * /documents/ID/audit.pdf): what a clerk files with the signed contract.
 * Written with cairo's PDF surface (DejaVu Sans, which has Vietnamese):
 * the document's id and held hash, whether the chain holds, then each row
 * (time, who, address, action, detail, the row's hash) wrapped to the
 * page. The rows are the ones audit.json exports. */
#include "pages.h"

#include <stdio.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>

#include "render.h"

#define A4_W   595.0
#define A4_H   842.0
#define MARGIN 50.0
#define LINE   13.0

struct sheet {
	cairo_surface_t *s;
	cairo_t *cr;
	double y;
};

/* A new page when the next line would not fit. */
static void
room(struct sheet *sh)
{
	if (sh->y + LINE <= A4_H - MARGIN)
		return;
	cairo_show_page(sh->cr);
	sh->y = MARGIN;
}

/* The byte length of the longest prefix of s (cut at a space when it
 * can be, never inside a UTF-8 character) that fits in width. */
static size_t
fit(cairo_t *cr, const char *s, double width)
{
	cairo_text_extents_t e;
	char tmp[512];
	size_t n = strlen(s), best = 0, i, sp = 0;

	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	for (i = 1; i <= n; i++) {
		if (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			continue; /* inside a character */
		memcpy(tmp, s, i);
		tmp[i] = '\0';
		cairo_text_extents(cr, tmp, &e);
		if (e.x_advance > width)
			break;
		best = i;
		if (s[i - 1] == ' ')
			sp = i;
	}
	if (best < strlen(s) && sp > 0)
		best = sp;
	return best > 0 ? best : 1;
}

/* Writes label and text from x, wrapped to the right margin. */
static void
text(struct sheet *sh, double size, int bold, const char *label, const char *s)
{
	char line[512];
	size_t k;
	double x = MARGIN;

	cairo_select_font_face(sh->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	    CAIRO_FONT_WEIGHT_BOLD);
	cairo_set_font_size(sh->cr, size);
	room(sh);
	if (label != NULL) {
		cairo_text_extents_t e;

		cairo_move_to(sh->cr, x, sh->y);
		cairo_show_text(sh->cr, label);
		cairo_text_extents(sh->cr, label, &e);
		x += e.x_advance + 4;
	}
	cairo_select_font_face(sh->cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
	    bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	do {
		k = fit(sh->cr, s, A4_W - MARGIN - x);
		memcpy(line, s, k < sizeof(line) ? k : sizeof(line) - 1);
		line[k < sizeof(line) ? k : sizeof(line) - 1] = '\0';
		/* A newline in a reason ends the line. */
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) < k)
			k = strlen(line) + 1;
		room(sh);
		cairo_move_to(sh->cr, x, sh->y);
		cairo_show_text(sh->cr, line);
		sh->y += size + 3;
		s += k;
		x = label != NULL ? MARGIN + 20 : MARGIN;
	} while (*s != '\0');
}

/* The audit trail of doc as PDF bytes in b. */
int
audit_pdf(struct store *db, const char *doc, const char *title,
    const char *sha256, struct buf *b)
{
	struct sheet sh = { NULL, NULL, MARGIN };
	struct q *st = NULL;
	int64_t bad = 0;
	char head[160];
	int r = KYSO_ERR_IO, intact = audit_check(db, &bad) == 0;

	sh.s = cairo_pdf_surface_create_for_stream(render_write_buf, b, A4_W,
	    A4_H);
	sh.cr = cairo_create(sh.s);
	cairo_pdf_surface_set_metadata(sh.s, CAIRO_PDF_METADATA_TITLE,
	    "Audit trail / Nhật ký");
	cairo_set_source_rgb(sh.cr, 0, 0, 0);
	text(&sh, 16, 1, NULL, _("Audit trail"));
	sh.y += 6;
	text(&sh, 10, 0, _("Document:"), title);
	text(&sh, 10, 0, "ID:", doc);
	text(&sh, 10, 0, "SHA-256:", sha256);
	text(&sh, 10, 1, NULL,
	    intact ? _("The audit trail is intact.")
		   : _("The audit trail has been changed!"));
	sh.y += 8;
	if (q_prepare(db,
		"SELECT at, actor, remote, action,"
		" detail, hash FROM audit WHERE doc_id = ? ORDER BY id",
		&st) != 0)
		goto out;
	q_bind_text(st, 1, doc);
	while (q_step(st) == Q_ROW) {
		const char *col[6];
		char when[24];
		int k;

		store_utc(q_col_int(st, 0), when);
		for (k = 0; k < 6; k++) {
			col[k] = (const char *)q_col(st, k);
			if (col[k] == NULL)
				col[k] = "";
		}
		snprintf(head, sizeof(head), "%s UTC  %s  %s  %s", when,
		    audit_action_text(col[3]), col[1], col[2]);
		text(&sh, 9, 1, NULL, head);
		if (col[4][0] != '\0')
			text(&sh, 9, 0, _("Detail:"),
			    audit_detail_text(col[3], col[4]));
		text(&sh, 7, 0, _("Row hash:"), col[5]);
		sh.y += 4;
	}
	cairo_show_page(sh.cr);
	r = cairo_status(sh.cr) == CAIRO_STATUS_SUCCESS ? 0 : KYSO_ERR_IO;
out:
	q_finalize(st);
	cairo_destroy(sh.cr);
	cairo_surface_finish(sh.s);
	if (cairo_surface_status(sh.s) != CAIRO_STATUS_SUCCESS)
		r = KYSO_ERR_IO;
	cairo_surface_destroy(sh.s);
	return r;
}
