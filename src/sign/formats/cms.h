/* CMS SignedData for CAdES / PAdES, detached, signed on the token:
 * signed attributes contentType, messageDigest and signing-certificate-v2
 * (what both baselines require), and for CAdES B-B (ETSI EN 319 122-1)
 * signingTime (PAdES B-B forbids it: the claimed time is the PDF's /M),
 * SHA-256,
 * the certificate and its chain; B-T adds an RFC 3161 time-stamp over the
 * signature value as the unsigned signatureTimeStampToken. */
#ifndef KYSO_CMS_H
#define KYSO_CMS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "p11/signer.h"

/* PAdES: no signingTime. tsa_url NULL: B-B. Appends the ContentInfo's
 * DER to out. */
int cms_sign_detached(struct p11_signer *s, const uint8_t digest[32],
    const char *tsa_url, struct buf *out, const char **why) KYSO_WUR;
/* CAdES (.p7s): the same with signingTime when. */
int cms_sign_cades(struct p11_signer *s, const uint8_t digest[32], time_t when,
    const char *tsa_url, struct buf *out, const char **why) KYSO_WUR;
/* Room to reserve for the CMS in a PDF (bytes of DER). */
size_t cms_size_estimate(const struct p11_signer *s, int with_tsa);

#endif
