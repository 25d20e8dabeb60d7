/* What a PDF's revisions after a signature changed: each revision is
 * compared object by object with the one before it, and only what a
 * later signature or validation data (a DSS) adds is let through. The
 * rules are in docs/internals/sign.md ("Changed after"). */
#ifndef KYSO_PDF_CHANGES_H
#define KYSO_PDF_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "sign/verify/verify.h"

/* The bytes d[0..len) after a signature whose range ends at end, given
 * where every signature's range of the document ends (sig_ends); mdp is
 * the P of the document's intact certification (0: none): 2 lets form
 * filling in, 3 also annotations. */
enum verify_changes pdf_changes_after(const uint8_t *d, size_t len,
    const uint64_t *sig_ends, size_t nsigs, uint64_t end, int mdp);

#endif
