/* libkysosign: the C API kyso-sign, kyso-agent and kyso-contract share.
 *
 *   struct p11_signer *s;
 *   const char *why;
 *   struct p11_signer_opts so = { .token = "SERIAL" };
 *   if (p11_signer_open(&so, pin, &s, &why) != 0) ...     one login per batch
 *   pdf_sign_file(s, "in.pdf", "out.pdf", &(struct pdf_sign_opts){0}, &why);
 *   cades_sign_file(s, "file", "file.p7s", NULL, &why);
 *   xmldsig_sign_file(s, "inv.xml", "inv.signed.xml", &xo, &why);
 *   p11_signer_free(s);
 *   verify_pdf_file("out.pdf", &(struct verify_opts){ "anchors.pem", 0 },
 *       &rep, &n, &why);
 *
 * In memory (kyso-agent): pdf_sign_mem, cades_sign_mem, xmldsig_sign_mem;
 * a digest computed elsewhere: cms_sign_detached.
 *
 * Every call returns 0 or a negative kyso error (common/err.h) and, on
 * failure, a sentence for the user in *why. Outputs are written through
 * a temp file renamed into place: a failure leaves no output. Inputs are
 * mapped read-only, so memory does not grow with the file's size. The
 * private key stays on the token: the library hashes, the token signs. */
#ifndef KYSO_SIGN_H
#define KYSO_SIGN_H

#include "sign/formats/cades.h"
#include "sign/formats/cms.h"
#include "sign/formats/pdf_sign.h"
#include "sign/formats/xmldsig.h"
#include "p11/signer.h"
#include "sign/verify/verify.h"

#endif
