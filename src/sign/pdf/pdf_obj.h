/* PDF objects: the values the reader parses and the writer prints.
 * A dictionary keeps its keys and values interleaved in items; a stream is
 * a dictionary plus where its raw bytes lie in the file. Every object owns
 * its children; pdf_obj_free frees the whole tree. */
#ifndef KYSO_PDF_OBJ_H
#define KYSO_PDF_OBJ_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

enum pdf_type {
	PDF_NULL,
	PDF_BOOL,
	PDF_INT,
	PDF_REAL,   /* kept as its text */
	PDF_STRING, /* decoded bytes */
	PDF_NAME,   /* decoded bytes, without the slash */
	PDF_ARRAY,
	PDF_DICT,
	PDF_REF,
	PDF_STREAM, /* a dictionary and its data's place */
};

#define PDF_MAX_DEPTH 32	 /* nesting of arrays and dictionaries */
#define PDF_MAX_ITEMS (1u << 20) /* values in one array or dictionary */

struct pdf_obj {
	enum pdf_type type;
	int64_t i;    /* BOOL, INT; REF: object number */
	uint32_t gen; /* REF */
	uint8_t *s;   /* STRING, NAME, REAL: NUL-terminated copy */
	size_t n;
	struct pdf_obj **items; /* ARRAY values; DICT, STREAM: key, value... */
	size_t count;
	size_t alloc;
	uint64_t data_off; /* STREAM: raw data in the file */
	uint64_t data_len;
	int hex; /* STRING: was written in hex */
};

struct pdf_obj *pdf_obj_new(enum pdf_type t);
void pdf_obj_free(struct pdf_obj *o);
struct pdf_obj *pdf_obj_dup(const struct pdf_obj *o);

struct pdf_obj *pdf_int_new(int64_t v);
struct pdf_obj *pdf_ref_new(int64_t num, uint32_t gen);
struct pdf_obj *pdf_name_new(const char *name);
struct pdf_obj *pdf_bytes_new(enum pdf_type t, const void *p, size_t n);

/* Appends v (taking it, even on failure) to an array. */
int pdf_array_push(struct pdf_obj *a, struct pdf_obj *v) KYSO_WUR;
/* The value for key in a dictionary or stream, or NULL. */
struct pdf_obj *pdf_dict_get(const struct pdf_obj *d, const char *key);
/* Sets key to v, replacing an older value; takes v even on failure. */
int pdf_dict_set(struct pdf_obj *d, const char *key, struct pdf_obj *v) KYSO_WUR;
void pdf_dict_del(struct pdf_obj *d, const char *key);
int pdf_name_is(const struct pdf_obj *o, const char *name);

/* Prints o in PDF syntax (a stream prints its dictionary only). */
int pdf_obj_write(struct buf *out, const struct pdf_obj *o) KYSO_WUR;

#endif
