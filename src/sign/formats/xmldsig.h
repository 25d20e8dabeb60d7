/* XML-DSig enveloped signatures for e-invoices and declarations (libxml2
 * for parsing and canonicalization). An empty <Signature> template the
 * document holds (as Vietnamese e-invoice software leaves one per party)
 * is filled: its algorithms and references, its Object's SigningTime.
 * Else a signature of ours: the whole document (URI="") or one element
 * by its Id, the <Signature> placed under a chosen element, exclusive
 * (default) or inclusive C14N, SHA-256, the signing time in an Object
 * (SignatureProperty/SigningTime, referenced and so signed), KeyInfo
 * with the certificate and chain. */
#ifndef KYSO_XMLDSIG_H
#define KYSO_XMLDSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "p11/signer.h"

#define XMLDSIG_MAX_INPUT ((size_t)256 * 1024 * 1024)

struct xmldsig_opts {
	const char *ref_id; /* NULL: URI=""; else the element whose
			     * Id/ID/id attribute is ref_id */
	const char *parent; /* element to put <Signature> under, by name
			     * or a path ending there ("DSCKS/NBan");
			     * NULL: the referenced element (or root) */
	int inclusive;	    /* 1: C14N 1.0, 0: exclusive C14N */
	time_t when;	    /* the signing time; 0: now */
};

int xmldsig_sign_file(struct p11_signer *s, const char *in_path,
    const char *out_path, const struct xmldsig_opts *o,
    const char **why) KYSO_WUR;

/* The same in memory: appends the signed document to out. */
int xmldsig_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct xmldsig_opts *o, struct buf *out, const char **why) KYSO_WUR;

struct sig_report;
/* Every <Signature> of the document: its references' digests (the
 * transforms kyso-sign writes: enveloped, C14N), the signature over
 * SignedInfo by the first KeyInfo certificate, the chain to trust. */
struct verify_opts;
int xmldsig_verify_file(const char *path, const struct verify_opts *vo,
    struct sig_report **out, size_t *n, const char **why) KYSO_WUR;

#endif
