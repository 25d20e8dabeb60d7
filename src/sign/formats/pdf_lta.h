/* PAdES B-LTA: a document time-stamp (/Type /DocTimeStamp, /SubFilter
 * /ETSI.RFC3161) over the whole file, its DSS included, in a revision of
 * its own; and `kyso-sign extend`, which brings an existing signed PDF to
 * B-LTA (or renews its archive time-stamps): a DSS update with every
 * signature's and time-stamp's validation data, then a document
 * time-stamp. */
#ifndef KYSO_PDF_LTA_H
#define KYSO_PDF_LTA_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "sign/mapfile.h"

/* The document time-stamp revision to append to data (len bytes; m its
 * mapping or NULL), from the RFC 3161 server at tsa_url. */
int pdf_lta_rev(const char *tsa_url, const uint8_t *data, size_t len,
    struct mapfile *m, struct buf **rev_out, const char **why) KYSO_WUR;

/* in_path with a document time-stamp appended, into out_path. */
int pdf_lta_file(const char *tsa_url, const char *in_path, const char *out_path,
    const char **why) KYSO_WUR;

struct pdf_extend_opts {
	const char *tsa_url;   /* the archive time-stamp's server */
	const char *chain_pem; /* CA certificates that complete the
				* signers' chains, or NULL */
	const char *trust;     /* anchors for the check before (NULL: none;
				* an untrusted signer is extended, an
				* INVALID signature is not) */
};

/* Extends in_path into out_path: refused for a document with no
 * signature or with an INVALID one (*why says which), and for one whose
 * signer's chain or revocation data cannot be had. */
int pdf_extend_file(const struct pdf_extend_opts *o, const char *in_path,
    const char *out_path, const char **why) KYSO_WUR;

#endif
