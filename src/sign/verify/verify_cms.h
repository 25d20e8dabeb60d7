/* Checking one CMS SignedData (OpenSSL's CMS parser): the signature over
 * the signed attributes, messageDigest against a digest the caller
 * computed, the chain to trust anchors, and a signatureTimeStampToken. */
#ifndef KYSO_VERIFY_CMS_H
#define KYSO_VERIFY_CMS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "sign/verify/verify.h"

struct revoc;

/* The digest of the signed content with md (the algorithm the signature
 * names) into out (EVP_MAX_MD_SIZE bytes), its length in *len. */
typedef int (
    *verify_digest_fn)(void *ud, const EVP_MD *md, uint8_t *out, unsigned *len);

/* Fills rep's signer, claimed_time (the signing-time attribute, when rep
 * has none yet), intact, trusted, ts_time, ts_valid, problem and
 * level (a B-level when signing-certificate-v2 is there), digest,
 * signed_attrs, scv2, anchor, revocation when vo asks, and doc_revocation
 * by vd (the document's validation data; NULL: none). The signed content
 * is hashed by fn with the digest the SignerInfo names. */
int verify_cms_der(const uint8_t *der, size_t n, verify_digest_fn fn, void *ud,
    const struct verify_opts *vo, const struct revoc *vd,
    struct sig_report *rep) KYSO_WUR;

/* A document time-stamp (PAdES /SubFilter /ETSI.RFC3161: an RFC 3161
 * TimeStampToken over the byte ranges): its imprint by its own digest,
 * its signature, the TSA's chain to the anchors. Fills rep's signer (the
 * TSA), ts_time, ts_valid, intact, trusted, anchor, digest, problem. */
int verify_doc_ts(const uint8_t *der, size_t n, verify_digest_fn fn, void *ud,
    const struct verify_opts *vo, struct sig_report *rep) KYSO_WUR;

#endif
