/* An encrypted PDF's standard security handler (ISO 32000-1 7.6.3,
 * ISO 32000-2 7.6.4): whether it opens without a password (an owner
 * password only, the user password empty), what its permissions (/P)
 * allow, and, when it opens, the file key that decrypts what is read and
 * encrypts what a new revision writes. */
#ifndef KYSO_PDF_CRYPT_H
#define KYSO_PDF_CRYPT_H

#include <stdint.h>

#include "common/buf.h"
#include "sign/pdf/pdf_obj.h"

struct pdf_crypt;

enum pdf_crypt_kind {
	PDF_CRYPT_UNKNOWN, /* another handler, or a dictionary not understood */
	PDF_CRYPT_USER_PASSWORD, /* a password is needed to open it */
	PDF_CRYPT_OWNER_ONLY,	 /* opens without a password */
};

/* What enc (the /Encrypt dictionary) and id0 (the first string of the
 * trailer's /ID, NULL when none) say. For PDF_CRYPT_OWNER_ONLY, *out
 * (when out is not NULL) gets the handler with the file key. */
enum pdf_crypt_kind pdf_crypt_open(const struct pdf_obj *enc,
    const struct pdf_obj *id0, struct pdf_crypt **out);
void pdf_crypt_free(struct pdf_crypt *c);

/* The permissions a signature needs (ISO 32000-1 table 22): into an
 * existing empty signature field, bit 6 (fill in form fields) or, from
 * revision 3, bit 9 (fill in existing form fields, signature fields
 * included); a new signature field is a new form field, which needs bits
 * 4 (modify) and 6 together. */
int pdf_crypt_may_fill(const struct pdf_crypt *c);
int pdf_crypt_may_create(const struct pdf_crypt *c);

/* Decrypts (enc 0) or encrypts (enc 1) n bytes of object num, gen: a
 * string (stream 0) or a stream's data (stream 1; metadata 1 for a
 * /Type /Metadata stream, left as it is when /EncryptMetadata is false). */
int pdf_crypt_bytes(const struct pdf_crypt *c, int64_t num, uint32_t gen,
    int enc, int stream, int metadata, const uint8_t *p, size_t n,
    struct buf **out) KYSO_WUR;
/* Every string of o (object num, gen), in place, marked hex (decrypted
 * or encrypted, its bytes are what counts). A signature dictionary's
 * /Contents (one with a /ByteRange) is left as it is: ISO 32000-1 7.6.1
 * does not encrypt it. */
int pdf_crypt_obj(const struct pdf_crypt *c, int64_t num, uint32_t gen, int enc,
    struct pdf_obj *o) KYSO_WUR;

#endif
