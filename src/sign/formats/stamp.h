/* A visible signature: the widget's appearance stream with the signer's
 * name, organization and time in a TrueType font embedded whole (one that
 * covers Vietnamese: DejaVu Sans by default), as Type0/CIDFontType2 with
 * Identity-H and a ToUnicode map so that the text can be copied. */
#ifndef KYSO_STAMP_H
#define KYSO_STAMP_H

#include <time.h>

#include "sign/pdf/pdf_rev.h"

#define STAMP_DEFAULT_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define STAMP_MAX_TEXT	   2048

/* "Ký bởi / Signed by: CN\nO\nNgày ký / Date: ..." from the certificate. */
char *stamp_default_text(const struct buf *cert_der, time_t when);
/* Queues the appearance XObject (w x h points) and its font objects in v;
 * *ap_num gets the XObject's number. text is UTF-8, lines split by \n. */
int stamp_build(struct rev *v, const char *text, int w, int h,
    const char *font_path, int64_t *ap_num, const char **why) KYSO_WUR;

#endif
