/* PAdES B-LT: a further incremental update that adds the Document
 * Security Store (/DSS in the catalog) with certificates, OCSP responses
 * and CRLs, so that the signature can be validated long after. */
#ifndef KYSO_PDF_DSS_H
#define KYSO_PDF_DSS_H

#include "revocation.h"

/* Appends a DSS revision to in_path's bytes into out_path (temp +
 * rename). An existing DSS keeps its entries. */
int pdf_add_dss(const char *in_path, const char *out_path,
    const struct revoc *rv, const char **why) KYSO_WUR;

#endif
