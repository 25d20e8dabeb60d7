/* Verifying signatures: every signature field of a PDF, or a detached
 * CMS over a file. The report says per signature who signed, the claimed
 * and the time-stamped time, whether the signed bytes are intact, what
 * changed after it, whether the certificate chains to the trust anchors,
 * and the PAdES/CAdES level. */
#ifndef KYSO_VERIFY_H
#define KYSO_VERIFY_H

#include <stddef.h>

#include "common/err.h"

enum verify_changes {
	CHANGES_NONE,	     /* the signature covers the whole file */
	CHANGES_SIGNATURES,  /* later revisions: signatures (and DSS) */
	CHANGES_DSS,	     /* later revisions: validation data only */
	CHANGES_OTHER,	     /* other bytes were appended after it */
	CHANGES_METADATA,    /* later revisions: /Info and XMP only */
	CHANGES_PERMITTED,   /* form filling, annotations as DocMDP allows */
	CHANGES_FORM_FILLED, /* form filling after an approval signature */
};

/* ETSI EN 319 102-1's three verdicts. */
enum sig_verdict {
	VERDICT_VALID,	       /* intact, trusted, not revoked */
	VERDICT_INDETERMINATE, /* intact as far as checked, but not trusted,
				* revocation unknown, or a part unsupported */
	VERDICT_INVALID,       /* broken, revoked, or changed after */
};

struct sig_report {
	char *field;  /* PDF field name, or the .p7s file */
	char *signer; /* the certificate's subject */
	/* kyso's legal-name extension (a name too long for the subject) */
	char *signer_legal_name;
	char *claimed_time; /* /M or signingTime, "" when none */
	char *ts_time;	    /* the time-stamp's genTime, or NULL */
	char *archive_time; /* B-LTA: the genTime of the newest document
			     * time-stamp over the validation data */
	int intact;	    /* 1: digest and signature verify */
	int ts_valid;	    /* 1: the time-stamp matches the signature */
	int ts_untrusted;   /* 1: intact, but its TSA reaches no anchor */
	int trusted;	    /* 1 yes, 0 no, -1 not checked (no anchors) */
	enum verify_changes changes;
	const char *level;	/* "B-B", "B-T", "B-LT", "B-LTA", "PKCS#7",
				 * "CMS", "document time-stamp"... */
	const char *problem;	/* why intact or trusted is 0, or NULL */
	int docmdp;		/* a certification's DocMDP P, 0: approval */
	int docmdp_broken;	/* 1: what came after, P forbids */
	const char *revocation; /* "good", "revoked", "unavailable"; NULL:
				 * not checked */
	/* By the validation data in the document (a PDF's DSS), offline:
	 * "good", "revoked", "none" (nothing there covers the signer);
	 * NULL when the document carries none. */
	const char *doc_revocation;
	char *signed_part; /* XML: the element signed, NULL: all */
	char *reason;	   /* a PDF's /Reason as UTF-8, or NULL */
	char *location;	   /* its /Location as UTF-8, or NULL */
	/* 1: problem names something verify does not support (an
	 * algorithm, a SubFilter): INDETERMINATE, not INVALID. */
	int unsupported;
	const char *revocation_why; /* why revocation is "unavailable" */
	char *anchor;		    /* the trust anchor the chain reached */
	const char *anchor_from;    /* where the anchors came from (the
				     * caller says: --trust, kyso.conf) */
	const char *digest;	    /* the digest the signature names */
	int signed_attrs;	    /* 1: signed attributes, 0: plain PKCS#7 */
	int scv2;		    /* 1: signing-certificate-v2 is there */
	enum sig_verdict verdict;   /* set by sig_report_judge */
	const char *verdict_why;    /* its reason (untranslated), or NULL */
};

struct verify_opts {
	const char *trust; /* PEM trust anchors (a file or a folder), or NULL */
	int revocation;	   /* check the chain online (OCSP, else CRL) */
};

void sig_reports_free(struct sig_report *r, size_t n);
/* The verdict of each report by what was checked (the verify_* functions
 * call it; a caller that changes a report calls it again). */
void sig_report_judge(struct sig_report *r);
const char *sig_verdict_word(enum sig_verdict v); /* "VALID"... */

/* *why on failure (the file is not a readable PDF). */
int verify_pdf_file(const char *path, const struct verify_opts *vo,
    struct sig_report **out, size_t *n, const char **why) KYSO_WUR;
int verify_cms_file(const char *p7s_path, const char *content_path,
    const struct verify_opts *vo, struct sig_report **out, size_t *n,
    const char **why) KYSO_WUR;

#endif
