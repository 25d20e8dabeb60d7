/* PAdES B-LT: a further incremental update that adds the Document
 * Security Store (/DSS in the catalog) with certificates, OCSP responses
 * and CRLs, so that the signature can be validated long after. */
#ifndef KYSO_PDF_DSS_H
#define KYSO_PDF_DSS_H

#include <stddef.h>
#include <stdint.h>

#include "sign/verify/revocation.h"

/* The revision to append to data (len bytes) that adds a DSS with rv's
 * certificates, OCSP responses and CRLs. An existing DSS keeps its
 * entries. */
int pdf_dss_revision(const uint8_t *data, size_t len, const struct revoc *rv,
    struct buf **rev_out, const char **why) KYSO_WUR;

struct pdf;
struct pdf_obj;
/* The DSS of the document whose catalog is root, decoded: up to
 * REVOC_MAX certificates, OCSP responses and CRLs, the newest kept when
 * there are more. *out is empty when there is no DSS; an entry that
 * cannot be read is left out. */
int pdf_dss_read(struct pdf *pdf, const struct pdf_obj *root,
    struct revoc *out) KYSO_WUR;

#endif
