/* A visible signature: the widget's appearance stream with the signer's
 * name, organization and time in a TrueType font embedded as a subset (one that
 * covers Vietnamese: DejaVu Sans by default), as Type0/CIDFontType2 with
 * Identity-H and a ToUnicode map so that the text can be copied. */
#ifndef KYSO_STAMP_H
#define KYSO_STAMP_H

#include <time.h>

#include "sign/pdf/pdf_rev.h"

#define STAMP_DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define STAMP_MAX_TEXT	   2048

/* "Ký bởi / Signed by:\nCN\nO\nNgày ký / Date: ..." from the certificate
 * (O left out when it is the CN or part of it; the date in Vietnam's
 * time, UTC+7, when TZ is unset, else in TZ's, with its offset). */
char *stamp_default_text(const struct buf *cert_der, time_t when);
struct stamp_spec {
	const char *text;  /* UTF-8, lines split by \n, wrapped to fit */
	int w, h;	   /* the widget's rectangle on the page, points */
	int rotate;	   /* the page's /Rotate: 0, 90, 180 or 270 */
	const char *font;  /* NULL: STAMP_DEFAULT_FONT */
	const char *image; /* PNG or JPEG in place of the check mark; NULL */
};

/* Queues the appearance XObject and its font (and image) objects in v:
 * a check mark in a ring (or the picture) and the text at the largest
 * size (4 to 24 pt) that fills the box, upright as the page is shown;
 * *ap_num gets the XObject's number. */
int stamp_build(struct rev *v, const struct stamp_spec *sp, int64_t *ap_num,
    const char **why) KYSO_WUR;

#endif
