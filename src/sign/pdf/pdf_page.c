#include "common/err.h"
#include "sign/pdf/pdf_page.h"

/* Down the page tree by /Count, kid by kid: as many reads as the tree
 * is deep times its width, not as many as the pages. */
int
pdf_page_nth(struct pdf *pdf, const struct pdf_obj *root, int64_t n,
    int64_t *num, struct pdf_obj **page)
{
	const struct pdf_obj *ref = pdf_dict_get(root, "Pages");
	struct pdf_obj *node = NULL, *kid = NULL;
	int64_t cur;
	size_t i, visits = 0;
	int depth, r = KYSO_ERR_CORRUPT;

	if (ref == NULL || ref->type != PDF_REF)
		return KYSO_ERR_CORRUPT;
	cur = ref->i;
	for (depth = 0; depth < PAGE_TREE_DEPTH; depth++) {
		const struct pdf_obj *kids;
		int64_t next = -1;

		pdf_obj_free(node);
		node = NULL;
		if ((r = pdf_get(pdf, cur, &node)) != 0)
			goto out;
		r = KYSO_ERR_CORRUPT;
		if (node->type != PDF_DICT)
			goto out;
		kids = pdf_dict_get(node, "Kids");
		if (pdf_name_is(pdf_dict_get(node, "Type"), "Page") ||
		    kids == NULL) {
			if (n != 0) {
				r = KYSO_ERR_NOT_FOUND;
				goto out;
			}
			*num = cur;
			*page = node;
			node = NULL;
			r = 0;
			goto out;
		}
		if (kids->type != PDF_ARRAY)
			goto out;
		for (i = 0; i < kids->count && next < 0; i++) {
			const struct pdf_obj *c;
			int64_t cnt;

			if (kids->items[i]->type != PDF_REF ||
			    ++visits > PAGE_TREE_NODES)
				goto out;
			pdf_obj_free(kid);
			kid = NULL;
			if ((r = pdf_get(pdf, kids->items[i]->i, &kid)) != 0)
				goto out;
			r = KYSO_ERR_CORRUPT;
			c = pdf_dict_get(kid, "Count");
			if (pdf_dict_get(kid, "Kids") != NULL &&
			    !pdf_name_is(pdf_dict_get(kid, "Type"), "Page"))
				cnt = c != NULL && c->type == PDF_INT && c->i >= 0
				    ? c->i
				    : 0;
			else
				cnt = 1;
			if (n < cnt)
				next = kids->items[i]->i;
			else
				n -= cnt;
		}
		if (next < 0) {
			r = KYSO_ERR_NOT_FOUND;
			goto out;
		}
		cur = next;
	}
out:
	pdf_obj_free(node);
	pdf_obj_free(kid);
	return r;
}

/* 1 when page's /Annots (direct or indirect) holds a reference to annot. */
static int
annots_hold(struct pdf *pdf, const struct pdf_obj *page, int64_t annot)
{
	struct pdf_obj *a = NULL;
	size_t i;
	int found = 0;

	if (pdf_resolve(pdf, pdf_dict_get(page, "Annots"), &a) != 0)
		return 0;
	for (i = 0; a->type == PDF_ARRAY && i < a->count && !found; i++)
		found = a->items[i]->type == PDF_REF && a->items[i]->i == annot;
	pdf_obj_free(a);
	return found;
}

/* Page by page from the first, so that a widget whose /P is missing or
 * wrong is still placed where a viewer shows it. */
int
pdf_page_find(struct pdf *pdf, const struct pdf_obj *root, int64_t p,
    int64_t annot, int64_t *index, int64_t *num, int *listed)
{
	int64_t i, pnum, by_p = -1, by_p_num = -1;
	struct pdf_obj *page = NULL;
	int r;

	for (i = 0; i < PAGE_FIND_MAX; i++) {
		pdf_obj_free(page);
		page = NULL;
		if ((r = pdf_page_nth(pdf, root, i, &pnum, &page)) != 0)
			break;
		if (annots_hold(pdf, page, annot)) {
			*index = i;
			*num = pnum;
			*listed = 1;
			pdf_obj_free(page);
			return 0;
		}
		if (pnum == p && by_p < 0) {
			by_p = i;
			by_p_num = pnum;
		}
	}
	pdf_obj_free(page);
	if (by_p < 0)
		return KYSO_ERR_NOT_FOUND;
	*index = by_p;
	*num = by_p_num;
	*listed = 0;
	return 0;
}

/* Up the /Parent chain (at most PAGE_TREE_DEPTH steps) to the first
 * /Rotate, as viewers inherit it. */
int
pdf_page_rotate(struct pdf *pdf, const struct pdf_obj *page)
{
	struct pdf_obj *node = NULL, *next = NULL;
	const struct pdf_obj *cur = page, *rot;
	int64_t deg = 0;
	int depth;

	for (depth = 0; depth < PAGE_TREE_DEPTH && cur != NULL; depth++) {
		if ((rot = pdf_dict_get(cur, "Rotate")) != NULL) {
			deg = rot->type == PDF_INT ? rot->i : 0;
			break;
		}
		if (pdf_resolve(pdf, pdf_dict_get(cur, "Parent"), &next) != 0 ||
		    next->type != PDF_DICT) {
			pdf_obj_free(next);
			next = NULL;
			break;
		}
		pdf_obj_free(node);
		node = next;
		next = NULL;
		cur = node;
	}
	pdf_obj_free(node);
	deg %= 360;
	if (deg < 0)
		deg += 360;
	return deg % 90 == 0 ? (int)deg : 0;
}
