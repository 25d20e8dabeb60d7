/* The objects a new PDF revision writes: changed objects (copies read
 * from the file, edited) and new ones, some of them streams. */
#ifndef KYSO_PDF_REV_H
#define KYSO_PDF_REV_H

#include <stdint.h>

#include "common/buf.h"
#include "sign/pdf/pdf.h"

#define REV_MAX 64

struct upd {
	int64_t num;
	uint32_t gen;
	struct pdf_obj *obj; /* NULL: the signature dictionary (text) */
	struct buf *data;    /* a stream's (encoded) data, or NULL */
	uint64_t off;	     /* in the output file */
};

struct rev {
	struct pdf *pdf;
	struct upd u[REV_MAX];
	size_t nu;
	int64_t next; /* next free object number */
};

/* Queues obj (taken, even on failure) as object num; replaces an older
 * entry for num. */
int rev_put(struct rev *v, int64_t num, struct pdf_obj *obj) KYSO_WUR;
/* A stream object: dict and data are taken; /Length is set here. */
int rev_put_stream(struct rev *v, int64_t num, struct pdf_obj *dict,
    struct buf *data) KYSO_WUR;
void rev_clear(struct rev *v);
/* Writes the revision after base bytes of file: every queued object (an
 * entry with obj NULL is written by text), then a cross-reference section
 * of the file's kind (table or stream) with /Prev, and the trailer. */
typedef int (*rev_text_fn)(void *ctx, struct buf *b);
int rev_write(struct rev *v, struct buf *b, uint64_t base, rev_text_fn text,
    void *ctx) KYSO_WUR;

#endif
