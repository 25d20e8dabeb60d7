/* PAdES signing of a PDF by incremental update: the original bytes are
 * copied untouched and a new revision appends the signature dictionary,
 * a signature field with its widget (or fills a prepared empty field), the
 * updated AcroForm, page and catalog, and a cross-reference section of the kind
 * the file already uses, with /Prev. */
#ifndef KYSO_PDF_SIGN_H
#define KYSO_PDF_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

#include "p11/signer.h"

struct pdf_sign_opts {
	const char *tsa_url;	/* NULL: B-B; else B-T */
	const char *field_name; /* a prepared empty field of that name is
				 * filled, else a new field gets the name;
				 * NULL: the only empty field when there is
				 * one and no page is given, else
				 * "Signature<n>", the first free */
	time_t when;		/* /M; 0: now */
	int certify;		/* 0: approval signature; 1-3: certification
				 * (DocMDP) allowing no changes, form
				 * filling and signing, or also annotations */
	int page;		/* 0: invisible (on page 1); else the page
				 * (1-based) of a visible stamp */
	int rect[4];		/* the stamp: x1 y1 x2 y2 in points */
	const char *stamp_text; /* NULL: signer, organization and time */
	const char *font;	/* NULL: DejaVu Sans */
	int lt;			/* B-LT: then a DSS revision with the
				 * chain's OCSP responses or CRLs */
	const char *reason;	/* /Reason; NULL: none */
	const char *location;	/* /Location; NULL: none. Both UTF-8 of at
				 * most PDF_SIGN_TEXT_MAX bytes, no control
				 * characters; else refused with *why */
	const char *image;	/* a visible stamp's picture (PNG or JPEG)
				 * in place of its check mark; NULL: none */
	int lta;		/* B-LTA: B-LT, then a document time-stamp
				 * from tsa_url over it all */
};

#define PDF_SIGN_TEXT_MAX 200 /* bytes of a reason or location */

/* 0 when t (NULL: none) may be a reason or location; else an error and
 * *why (callers that take them from elsewhere refuse early with it). */
int pdf_sign_text_check(const char *t, const char **why) KYSO_WUR;

/* Signs in_path into out_path (a temp file renamed into place: on any
 * failure out_path is not created). *why gets a sentence on failure. */
int pdf_sign_file(struct p11_signer *s, const char *in_path, const char *out_path,
    const struct pdf_sign_opts *o, const char **why) KYSO_WUR;

/* The same in memory (for kyso-agent): appends the signed PDF to out
 * (data, then the new revisions); out's cap bounds it. */
int pdf_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct pdf_sign_opts *o, struct buf *out, const char **why) KYSO_WUR;

#endif
