/* Validation data for PAdES B-LT: for each certificate of the signer's
 * chain (not the self-signed root) an OCSP response from the responder
 * its AIA names, else the CRL its distribution point names, fetched over
 * HTTP. A certificate the responder reports revoked fails. */
#ifndef KYSO_REVOCATION_H
#define KYSO_REVOCATION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

#define REVOC_MAX 64

struct revoc {
	struct buf *certs[REVOC_MAX]; /* DER */
	size_t ncerts;
	struct buf *ocsps[REVOC_MAX]; /* OCSPResponse DER */
	size_t nocsps;
	struct buf *crls[REVOC_MAX]; /* CRL DER */
	size_t ncrls;
};

/* chain[0] is the signer's certificate, then its issuers (DER each). */
int revoc_collect(const struct buf *const *chain, size_t n, struct revoc *out,
    const char **why) KYSO_WUR;
void revoc_clear(struct revoc *r);
/* Adds the certificates of the signature time-stamp in cms (a CMS
 * SignedData) and, best effort, their OCSP responses or CRLs (a TSA
 * certificate without revocation information is not an error). An
 * issuer is looked for among rv's certificates, the token's and extra's
 * (NULL: none; one found there is added too). */
struct stack_st_X509;
int revoc_add_tsa(struct revoc *rv, const uint8_t *cms, size_t n,
    struct stack_st_X509 *extra) KYSO_WUR;
/* The same for a time-stamp token itself (a document time-stamp's). */
int revoc_add_token(struct revoc *rv, const uint8_t *der, size_t n,
    struct stack_st_X509 *extra) KYSO_WUR;

/* The signer's status, asked online now: "good", "revoked" or
 * "unavailable" (then *why says why: a responder not reached, no
 * responder named...). extra: other certificates (the CMS's, KeyInfo's);
 * trust_pem: anchors (a file or a folder) that complete the chain, or
 * NULL. */
struct x509_st;
struct stack_st_X509;
const char *revoc_status(struct x509_st *signer, struct stack_st_X509 *extra,
    const char *trust_pem, const char **why);
/* The signer's status by the validation data a document carries (vd, a
 * PAdES DSS), without the network (revoc_offline.c): an OCSP response
 * for it that its CA's responder signed, else a full CRL its CA signed,
 * made after at (a verified time-stamp's time; 0: none, and then nothing
 * is judged) or valid across it; a revocation after at does not count.
 * "good", "revoked", or "none" when nothing there covers it. With trust_pem
 * NULL, a responder's chain may end at the signer's issuer or a
 * self-signed certificate at hand. */
const char *revoc_offline(struct x509_st *signer, struct stack_st_X509 *extra,
    const char *trust_pem, const struct revoc *vd, time_t at);

#endif
