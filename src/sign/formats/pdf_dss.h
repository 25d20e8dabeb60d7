/* PAdES B-LT: a further incremental update that adds the Document
 * Security Store (/DSS in the catalog) with certificates, OCSP responses
 * and CRLs, so that the signature can be validated long after. */
#ifndef KYSO_PDF_DSS_H
#define KYSO_PDF_DSS_H

#include <stddef.h>
#include <stdint.h>

#include "sign/verify/revocation.h"

#define DSS_KNOWN_MAX 1024 /* a DSS's entries of one kind looked at */

/* One signature's (or time-stamp's) validation data, and its /VRI key:
 * the uppercase hex SHA-1 of its /Contents bytes (pdf_dss_vri_key), or
 * "" for none. */
struct dss_vri {
	char key[41];
	const struct revoc *rv;
};

/* The revision to append to data (len bytes) that adds a DSS, or updates
 * the document's, with each vri's certificates, OCSP responses and CRLs
 * (one already in the DSS is referred to, not written again) and a /VRI
 * entry for each key naming them. An existing DSS keeps its entries. */
int pdf_dss_revision(const uint8_t *data, size_t len, const struct dss_vri *vri,
    size_t nvri, struct buf **rev_out, const char **why) KYSO_WUR;

/* The /VRI key of a signature whose /Contents string holds n bytes:
 * all of them, padding included, for a signature; a document
 * time-stamp's token without its padding (as iText and Acrobat do). */
void pdf_dss_vri_key(const uint8_t *contents, size_t n, char key[41]);

struct pdf;
struct pdf_obj;
/* The DSS of the document whose catalog is root, decoded: up to
 * REVOC_MAX certificates, OCSP responses and CRLs, the newest kept when
 * there are more. *out is empty when there is no DSS; an entry that
 * cannot be read is left out. */
int pdf_dss_read(struct pdf *pdf, const struct pdf_obj *root,
    struct revoc *out) KYSO_WUR;

#endif
