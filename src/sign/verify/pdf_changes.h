/* What a PDF's revisions after a signature changed: each revision is
 * compared object by object with the one before it, and only what a
 * later signature or validation data (a DSS) adds is let through. The
 * rules are in docs/internals/sign.md ("Changed after"). */
#ifndef KYSO_PDF_CHANGES_H
#define KYSO_PDF_CHANGES_H

#include <stddef.h>
#include <stdint.h>

#include "sign/verify/verify.h"

/* What a signature's FieldMDP locks (ISO 32000-1 12.7.4.5, 12.8.2.4):
 * its field's /Lock and its /Reference FieldMDP's /TransformParams, each
 * /Action /All, /Include or /Exclude with /Fields (fully qualified
 * names); NULL where there is none. */
struct field_locks {
	const struct pdf_obj *d[2];
};

/* The bytes d[0..len) after a signature whose range ends at end, given
 * where every signature's range of the document ends (sig_ends); mdp is
 * the P of the document's intact certification (0: none): 0 (approval
 * signatures only), 2 and 3 let form filling in, unless locks (this
 * signature's FieldMDP; NULL: none) lock the field; 3 also annotations. */
enum verify_changes pdf_changes_after(const uint8_t *d, size_t len,
    const uint64_t *sig_ends, size_t nsigs, uint64_t end, int mdp,
    const struct field_locks *locks);

#endif
