/* The pages of a stored version as images (render.c): poppler-glib in a
 * child process under limits, each page rendered once and cached. */
#ifndef KYSO_CONTRACT_RENDER_H
#define KYSO_CONTRACT_RENDER_H

#include <cairo.h>

#include "contract.h"

#define RENDER_MAX_PAGES 500

struct render_info {
	int n;			 /* pages */
	int w[RENDER_MAX_PAGES]; /* each page's width in points */
	int h[RENDER_MAX_PAGES]; /* ... and height */
};

/* The page count and sizes of version hex (freed with free()). */
int render_info(const struct app *a, const char *hex,
    struct render_info **out) KYSO_WUR;
/* Page n (from 1) of version hex as PNG. */
int render_png(const struct app *a, const char *hex, unsigned page,
    struct buf **out) KYSO_WUR;
/* cairo's write callback into a struct buf (closure), for PNG and PDF. */
cairo_status_t render_write_buf(void *closure, const unsigned char *data,
    unsigned int n);
/* kyso-contract render-page: the child the two above start. */
int cmd_render_page(int argc, char **argv);

#endif
