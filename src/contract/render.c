/* The pages of a held version as PNG images, for the signer who reads a
 * contract before signing and the owner who clicks where each stamp goes.
 * poppler-glib renders them, but never in the server's process: the
 * server runs itself again as `kyso-contract render-page` under tight
 * limits (CPU time, memory, file size), so a hostile PDF that trips
 * poppler costs one short-lived child. Versions never change, so each
 * page is rendered once: $KYSO_HOME/contract/render/<sha256>-<n>.png,
 * with <sha256>.info (the page count and each page's size in points). */
#include "render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo.h>
#include <poppler.h>

#include "common/fsutil.h"
#include "common/parse.h"

#define RENDER_SCALE 1.5 /* 108 dpi: a page is about 900 pixels wide */

/* The cache's file for hex: "<hex>.info" (page 0) or "<hex>-<n>.png". */
static char *
cache_path(const char *dir, const char *hex, unsigned page)
{
	char name[96];

	if (page == 0)
		snprintf(name, sizeof(name), "%s.info", hex);
	else
		snprintf(name, sizeof(name), "%s-%u.png", hex, page);
	return path_join(dir, name);
}

/* cairo's PNG and PDF writers hand their bytes here (closure: a buf). */
cairo_status_t
render_write_buf(void *closure, const unsigned char *data, unsigned int n)
{
	return buf_put(closure, data, n) == 0 ? CAIRO_STATUS_SUCCESS
					      : CAIRO_STATUS_WRITE_ERROR;
}

/* The child's work: the info file, then page n (0: the info only). */
static int
render_now(const char *pdf, const char *dir, const char *hex, unsigned page)
{
	PopplerDocument *doc = NULL;
	PopplerPage *pg = NULL;
	cairo_surface_t *s = NULL;
	cairo_t *cr = NULL;
	struct buf *b = buf_new(64u << 20);
	GError *gerr = NULL;
	char *uri = NULL, *path = NULL;
	double w, h;
	int n, i, r = KYSO_ERR_INVALID;

	if (b == NULL)
		return KYSO_ERR_NOMEM;
	if ((uri = g_filename_to_uri(pdf, NULL, NULL)) == NULL ||
	    (doc = poppler_document_new_from_file(uri, NULL, &gerr)) == NULL)
		goto out;
	n = poppler_document_get_n_pages(doc);
	if (n < 1 || n > RENDER_MAX_PAGES || (page != 0 && page > (unsigned)n))
		goto out;
	r = KYSO_ERR_NOMEM;
	if (buf_putf(b, "%d\n", n) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((pg = poppler_document_get_page(doc, i)) == NULL)
			goto out;
		poppler_page_get_size(pg, &w, &h);
		g_object_unref(pg);
		pg = NULL;
		if (buf_putf(b, "%.0f %.0f\n", w, h) != 0)
			goto out;
	}
	if ((path = cache_path(dir, hex, 0)) == NULL ||
	    (r = file_write_atomic(path, buf_ptr(b), buf_len(b), 0600)) != 0)
		goto out;
	if (page == 0)
		goto out;
	r = KYSO_ERR_INVALID;
	buf_reset(b);
	if ((pg = poppler_document_get_page(doc, (int)page - 1)) == NULL)
		goto out;
	poppler_page_get_size(pg, &w, &h);
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
	    (int)(w * RENDER_SCALE + 0.5), (int)(h * RENDER_SCALE + 0.5));
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, RENDER_SCALE, RENDER_SCALE);
	poppler_page_render(pg, cr);
	cairo_surface_flush(s);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS ||
	    cairo_surface_write_to_png_stream(s, render_write_buf, b) !=
		CAIRO_STATUS_SUCCESS)
		goto out;
	free(path);
	if ((path = cache_path(dir, hex, page)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	r = file_write_atomic(path, buf_ptr(b), buf_len(b), 0600);
out:
	if (cr != NULL)
		cairo_destroy(cr);
	if (s != NULL)
		cairo_surface_destroy(s);
	if (pg != NULL)
		g_object_unref(pg);
	if (doc != NULL)
		g_object_unref(doc);
	if (gerr != NULL)
		g_error_free(gerr);
	g_free(uri);
	free(path);
	buf_free(b);
	return r;
}

/* kyso-contract render-page PDF DIR HEX PAGE: the child's entry (the
 * server starts it; a person has no reason to). */
int
cmd_render_page(int argc, char **argv)
{
	uint64_t page;

	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf(_("Usage: kyso-contract render-page PDF DIR SHA256 PAGE\n"
			 "(internal) Render one page of a stored version as "
			 "PNG into DIR; the server runs it.\n"));
		return EX_OK;
	}
	if (argc != 5 || strlen(argv[3]) != 64 ||
	    strspn(argv[3], "0123456789abcdef") != 64 ||
	    parse_u64(argv[4], 0, RENDER_MAX_PAGES, &page) != 0) {
		fprintf(stderr,
		    _("Usage: kyso-contract render-page PDF DIR SHA256 PAGE\n"));
		return EX_USAGE;
	}
	return render_now(argv[1], argv[2], argv[3], (unsigned)page) == 0
	    ? EX_OK
	    : EX_FAIL;
}

/* Runs the child under limits and waits for it: 0 when it said so. */
static int
spawn(const struct app *a, const char *hex, unsigned page)
{
	char *pdf = path_join(a->blobs, hex), *dir = path_join(a->dir, "render");
	char pg[16];
	pid_t pid;
	int st = 0, r = KYSO_ERR_NOMEM;

	if (pdf == NULL || dir == NULL)
		goto out;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		r = KYSO_ERR_IO;
		goto out;
	}
	snprintf(pg, sizeof(pg), "%u", page);
	fflush(NULL);
	if ((pid = fork()) < 0) {
		r = KYSO_ERR_IO;
		goto out;
	}
	if (pid == 0) {
		static const struct {
			int what;
			rlim_t max;
		} lim[] = { { RLIMIT_CPU, 20 },
#ifndef __SANITIZE_ADDRESS__ /* ASan maps terabytes of shadow memory */
			{ RLIMIT_AS, 1024u << 20 },
#endif
			{ RLIMIT_FSIZE, 64u << 20 }, { RLIMIT_CORE, 0 } };
		size_t i;

		for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
			struct rlimit rl = { lim[i].max, lim[i].max };

			if (setrlimit(lim[i].what, &rl) != 0)
				_exit(EX_FAIL);
		}
		/* Nothing of the server's (database, sockets) in the child. */
		if (close_range(3, ~0U, 0) != 0)
			_exit(EX_FAIL);
		execl("/proc/self/exe", "kyso-contract", "render-page", pdf,
		    dir, hex, pg, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			r = KYSO_ERR_IO;
			goto out;
		}
	r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : KYSO_ERR_INVALID;
out:
	free(pdf);
	free(dir);
	return r;
}

/* The cached file of hex's page (0: the info), rendered first if new. */
static int
cached(const struct app *a, const char *hex, unsigned page, size_t cap,
    struct buf **out)
{
	char *dir = path_join(a->dir, "render"), *p = NULL;
	int r = KYSO_ERR_NOMEM;

	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	if (dir == NULL || (p = cache_path(dir, hex, page)) == NULL)
		goto out;
	if (access(p, R_OK) != 0 && (r = spawn(a, hex, page)) != 0)
		goto out;
	r = file_read(p, cap, out);
out:
	free(p);
	free(dir);
	return r;
}

/* The page count and sizes of version hex. */
int
render_info(const struct app *a, const char *hex, struct render_info **out)
{
	struct render_info *ri = NULL;
	struct buf *b = NULL;
	char *txt = NULL, *tok, *save = NULL;
	uint64_t v;
	int r, i;

	if ((r = cached(a, hex, 0, 64 * 1024, &b)) != 0)
		return r;
	r = KYSO_ERR_CORRUPT;
	if ((txt = buf_to_cstr(b)) == NULL ||
	    (ri = calloc(1, sizeof(*ri))) == NULL ||
	    (tok = strtok_r(txt, " \n", &save)) == NULL ||
	    parse_u64(tok, 1, RENDER_MAX_PAGES, &v) != 0)
		goto out;
	ri->n = (int)v;
	for (i = 0; i < 2 * ri->n; i++) {
		if ((tok = strtok_r(NULL, " \n", &save)) == NULL ||
		    parse_u64(tok, 1, 20000, &v) != 0)
			goto out;
		if (i % 2 == 0)
			ri->w[i / 2] = (int)v;
		else
			ri->h[i / 2] = (int)v;
	}
	*out = ri;
	ri = NULL;
	r = 0;
out:
	free(ri);
	free(txt);
	buf_free(b);
	return r;
}

/* Page n (from 1) of version hex as PNG. */
int
render_png(const struct app *a, const char *hex, unsigned page, struct buf **out)
{
	if (page < 1 || page > RENDER_MAX_PAGES)
		return KYSO_ERR_INVALID;
	return cached(a, hex, page, 64u << 20, out);
}
