/* The signature fields a document already holds: boxes prepared empty
 * for signers (by Acrobat, LibreOffice or a contract platform) and those
 * signed. `kyso-sign fields` lists them; signing fills an empty one. */
#ifndef KYSO_PDF_FIELDS_H
#define KYSO_PDF_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "sign/pdf/pdf.h"

#define PDF_FIELDS_MAX 256 /* signature fields kept */

struct pdf_sig_field {
	char *name;	/* /T as UTF-8 (the partial name) */
	int is_signed;	/* /V holds a signature */
	int64_t num;	/* the field's object */
	int64_t widget; /* its widget's object (num when one object) */
	int64_t page;	/* 0-based; -1 when on no page */
	int64_t page_num;
	int listed;	/* the page's /Annots holds the widget */
	double rect[4]; /* the widget's /Rect, x1 < x2, y1 < y2 */
};

struct pdf_sig_fields {
	struct pdf_sig_field f[PDF_FIELDS_MAX];
	size_t n;
};

/* Reads the signature fields of pdf's form (a field written directly in
 * an array, with no object of its own, cannot be filled and is left out). */
int pdf_sig_fields_read(struct pdf *pdf, struct pdf_sig_fields **out,
    const char **why) KYSO_WUR;
void pdf_sig_fields_free(struct pdf_sig_fields *fs);

/* The same for a file, for listing. */
int pdf_sig_fields_file(const char *path, struct pdf_sig_fields **out,
    const char **why) KYSO_WUR;

#endif
