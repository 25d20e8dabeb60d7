#include "sign/pdf/pdf_form.h"

/* One array of fields (or of a field's kids) at depth. */
static void
walk(struct pdf *pdf, const struct pdf_obj *fields, int depth,
    struct pdf_form_walk *w)
{
	size_t i;

	if (fields == NULL || fields->type != PDF_ARRAY)
		return;
	if (depth > PDF_FORM_DEPTH) {
		w->cut = 1;
		return;
	}
	for (i = 0; i < fields->count && !w->stopped && !w->spent; i++) {
		struct pdf_obj *f = NULL, *kids = NULL;
		enum pdf_form_next next;

		if (i >= w->width) {
			w->cut = 1;
			break;
		}
		if (w->budget == 0) {
			w->spent = 1;
			break;
		}
		w->budget--;
		if (pdf_resolve(pdf, fields->items[i], &f) != 0) {
			w->cut = 1;
			continue;
		}
		w->num = fields->items[i]->type == PDF_REF ? fields->items[i]->i
							   : -1;
		next = w->visit(w->ud, pdf, f);
		if (next == PDF_FORM_STOP)
			w->stopped = 1;
		else if (next == PDF_FORM_NEXT &&
		    pdf_dict_get(f, "Kids") != NULL) {
			if (pdf_resolve(pdf, pdf_dict_get(f, "Kids"), &kids) == 0)
				walk(pdf, kids, depth + 1, w);
			else
				w->cut = 1;
		}
		pdf_obj_free(kids);
		pdf_obj_free(f);
	}
}

/* The one walk over a form's fields, so that every bound on a hostile
 * form (depth, width, budget) is kept in one place. */
void
pdf_form_walk(struct pdf *pdf, const struct pdf_obj *fields,
    struct pdf_form_walk *w)
{
	w->stopped = 0;
	w->cut = 0;
	w->spent = 0;
	walk(pdf, fields, 0, w);
}
