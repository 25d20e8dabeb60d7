/* A PDF document opened for reading: its cross-reference (tables, streams,
 * hybrid files, every incremental update through /Prev), its trailer, and
 * its objects, read from the file's bytes on demand. The bytes stay the
 * caller's (often a read-only mapping of the file) and must outlive it. */
#ifndef KYSO_PDF_H
#define KYSO_PDF_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "sign/pdf/pdf_obj.h"

struct pdf;

#define PDF_MAX_SECTIONS 4096 /* cross-reference sections followed */
#define PDF_MAX_DECODED	 ((size_t)64 * 1024 * 1024) /* one decoded stream */

/* Opens data; on failure *why (when not NULL) gets a static sentence that
 * says what is wrong with the file. An encrypted file opens when it has
 * an owner password only (the empty user password opens it): its objects
 * are read decrypted, its streams decoded decrypted. Any other encrypted
 * file: KYSO_ERR_UNSUPPORTED. */
int pdf_open(const uint8_t *data, size_t len, struct pdf **out,
    const char **why) KYSO_WUR;
void pdf_free(struct pdf *pdf);
/* An encrypted file's security handler (pdf_crypt.h), else NULL: what a
 * new revision encrypts its strings and streams with. */
struct pdf_crypt;
const struct pdf_crypt *pdf_crypt_of(const struct pdf *pdf);

const uint8_t *pdf_data(const struct pdf *pdf);
size_t pdf_len(const struct pdf *pdf);
/* The newest trailer dictionary (for an xref stream, its dictionary). */
const struct pdf_obj *pdf_trailer(const struct pdf *pdf);
/* Where the newest cross-reference section starts. */
uint64_t pdf_startxref(const struct pdf *pdf);
/* 1 when the newest section is a cross-reference stream. */
int pdf_xref_is_stream(const struct pdf *pdf);
/* The first object number an update may use. */
int64_t pdf_next_num(const struct pdf *pdf);

/* A fresh copy of object num (the caller frees it). A free or missing
 * object gives a null object, as the PDF standard says. */
int pdf_get(struct pdf *pdf, int64_t num, struct pdf_obj **out) KYSO_WUR;
/* o itself (copied) or, for a reference, the object it names. */
int pdf_resolve(struct pdf *pdf, const struct pdf_obj *o,
    struct pdf_obj **out) KYSO_WUR;
/* The generation number the newest xref gives num (0 for new objects). */
uint32_t pdf_gen(const struct pdf *pdf, int64_t num);
/* The object numbers (but 0) the newest section marks free. */
const int64_t *pdf_newest_freed(const struct pdf *pdf, size_t *n);
/* The in-use objects the newest cross-reference section defines. */
const int64_t *pdf_newest_nums(const struct pdf *pdf, size_t *n);
/* Checks that every uncompressed object is where the cross-reference
 * says (a signer must not sign what it cannot read back); *bad gets the
 * first object that is not. */
int pdf_check_xref(const struct pdf *pdf, int64_t *bad) KYSO_WUR;
/* A stream's decoded data. */
int pdf_stream_decode(struct pdf *pdf, const struct pdf_obj *stream, size_t cap,
    struct buf **out) KYSO_WUR;

#endif
