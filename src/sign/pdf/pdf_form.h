/* An AcroForm's fields, walked once for everyone who needs them (signing:
 * names taken, a signature already there, appearances; verification: the
 * signature fields). The walk is bounded: in depth, in items per array
 * when asked, and by a budget of fields looked at, so a form whose kids
 * loop back ends. */
#ifndef KYSO_PDF_FORM_H
#define KYSO_PDF_FORM_H

#include <stddef.h>
#include <stdint.h>

#include "sign/pdf/pdf.h"

#define PDF_FORM_DEPTH 8 /* levels of /Kids followed below /Fields */

/* What a visitor answers for a field. */
enum pdf_form_next {
	PDF_FORM_NEXT,	    /* go on, into its /Kids too */
	PDF_FORM_SKIP_KIDS, /* go on, but not into its /Kids */
	PDF_FORM_STOP,	    /* the visitor has what it wanted */
};

struct pdf_form_walk {
	/* field is the resolved item (a dictionary, or whatever the item
	 * held: a null for a dangling reference). */
	enum pdf_form_next (
	    *visit)(void *ud, struct pdf *pdf, const struct pdf_obj *field);
	void *ud;
	int64_t num;   /* during visit: the field's object number, or -1
			* for a field written directly in its array */
	size_t budget; /* fields looked at, at most */
	size_t width;  /* items of one array looked at (SIZE_MAX: all) */
	int stopped;   /* out: visit answered PDF_FORM_STOP */
	int cut;       /* out: a level past PDF_FORM_DEPTH, items past
			* width, or an item unreadable was left out */
	int spent;     /* out: the budget ran out (the walk ended) */
};

/* Walks fields (an AcroForm's /Fields array; anything else holds no
 * field) depth first, a field before its kids, until the end, a stop or
 * the budget's end; w's out fields say which. */
void pdf_form_walk(struct pdf *pdf, const struct pdf_obj *fields,
    struct pdf_form_walk *w);

#endif
