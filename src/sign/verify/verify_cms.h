/* Checking one CMS SignedData (OpenSSL's CMS parser): the signature over
 * the signed attributes, messageDigest against a digest the caller
 * computed, the chain to trust anchors, and a signatureTimeStampToken. */
#ifndef KYSO_VERIFY_CMS_H
#define KYSO_VERIFY_CMS_H

#include <stddef.h>
#include <stdint.h>

#include "sign/verify/verify.h"

struct revoc;

/* Fills rep's signer, intact, trusted, ts_time, ts_valid, problem and
 * level (a B-level when signing-certificate-v2 is there), revocation
 * when vo asks, and doc_revocation by vd (the document's validation
 * data; NULL: none). digest is SHA-256 of the signed content. */
int verify_cms_der(const uint8_t *der, size_t n, const uint8_t digest[32],
    const struct verify_opts *vo, const struct revoc *vd,
    struct sig_report *rep) KYSO_WUR;

#endif
