/* An encrypted PDF's standard security handler, read without decrypting
 * anything: whether it opens without a password (an owner password only,
 * the user password empty) and what its permissions (/P) allow, so that
 * a refusal can say which it is. */
#ifndef KYSO_PDF_CRYPT_H
#define KYSO_PDF_CRYPT_H

#include <stdint.h>

#include "sign/pdf/pdf_obj.h"

enum pdf_crypt_kind {
	PDF_CRYPT_UNKNOWN, /* another handler, or a dictionary not understood */
	PDF_CRYPT_USER_PASSWORD, /* a password is needed to open it */
	PDF_CRYPT_OWNER_ONLY,	 /* opens without a password */
};

/* What enc (the /Encrypt dictionary) and id0 (the first string of the
 * trailer's /ID, NULL when none) say; *may_sign: the permissions allow
 * filling in form fields, signature fields included. */
enum pdf_crypt_kind pdf_crypt_inspect(const struct pdf_obj *enc,
    const struct pdf_obj *id0, int *may_sign);

#endif
