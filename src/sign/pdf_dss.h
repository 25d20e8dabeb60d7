/* PAdES B-LT: a further incremental update that adds the Document
 * Security Store (/DSS in the catalog) with certificates, OCSP responses
 * and CRLs, so that the signature can be validated long after. */
#ifndef KYSO_PDF_DSS_H
#define KYSO_PDF_DSS_H

#include <stddef.h>
#include <stdint.h>

#include "revocation.h"

/* The revision to append to data (len bytes) that adds a DSS with rv's
 * certificates, OCSP responses and CRLs. An existing DSS keeps its
 * entries. */
int pdf_dss_revision(const uint8_t *data, size_t len, const struct revoc *rv,
    struct buf **rev_out, const char **why) KYSO_WUR;

#endif
