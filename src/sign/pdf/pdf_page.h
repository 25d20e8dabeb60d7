/* A document's pages: the nth by walking the page tree, and the page a
 * widget annotation is on. The walks are bounded (depth, nodes, pages),
 * so a tree that loops ends. */
#ifndef KYSO_PDF_PAGE_H
#define KYSO_PDF_PAGE_H

#include <stdint.h>

#include "sign/pdf/pdf.h"

#define PAGE_TREE_DEPTH 64
#define PAGE_TREE_NODES 100000
#define PAGE_FIND_MAX	10000 /* pages looked at to find an annotation */

/* Page n (0-based) of the catalog root: its object number and a copy of
 * it. KYSO_ERR_NOT_FOUND past the last page. */
int pdf_page_nth(struct pdf *pdf, const struct pdf_obj *root, int64_t n,
    int64_t *num, struct pdf_obj **page) KYSO_WUR;
/* The page annotation annot is on: the page p names (the annotation's
 * /P; -1 when it has none), else the first whose /Annots holds it.
 * *index is 0-based; *listed says whether the page's /Annots holds it. */
int pdf_page_find(struct pdf *pdf, const struct pdf_obj *root, int64_t p,
    int64_t annot, int64_t *index, int64_t *num, int *listed) KYSO_WUR;
/* The page's /Rotate, its own or inherited from the page tree, as 0, 90,
 * 180 or 270 (a value not a multiple of 90 counts as 0). */
int pdf_page_rotate(struct pdf *pdf, const struct pdf_obj *page);

#endif
