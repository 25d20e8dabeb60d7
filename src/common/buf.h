/* One byte buffer for all bytes in kyso (after OpenSSH's sshbuf and curl's
 * dynbuf). A buffer has a write end and a read offset, and a cap it never
 * grows past: anything that came from outside gets a cap that fits it. */
#ifndef KYSO_BUF_H
#define KYSO_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KYSO_BUF_DEFAULT_CAP ((size_t)64 * 1024 * 1024)

struct buf;

struct buf *buf_new(size_t cap);
/* A read-only view of bytes the caller keeps alive. */
struct buf *buf_from(const void *data, size_t len);
void buf_free(struct buf *b); /* wipes the bytes; accepts NULL */

const uint8_t *buf_ptr(const struct buf *b); /* at the read offset */
uint8_t *buf_mutable_ptr(struct buf *b);
size_t buf_len(const struct buf *b); /* bytes left to read */
void buf_reset(struct buf *b);	     /* wipes, keeps the cap */
int buf_consume(struct buf *b, size_t n) KYSO_WUR;
/* Reserves n bytes at the end and returns where to write them. */
int buf_reserve(struct buf *b, size_t n, uint8_t **dst) KYSO_WUR;

int buf_put(struct buf *b, const void *p, size_t n) KYSO_WUR;
int buf_put_u8(struct buf *b, uint8_t v) KYSO_WUR;
int buf_put_u32(struct buf *b, uint32_t v) KYSO_WUR;
int buf_put_u64(struct buf *b, uint64_t v) KYSO_WUR;
/* A u32 length and the bytes. */
int buf_put_string(struct buf *b, const void *p, size_t n) KYSO_WUR;
int buf_put_cstring(struct buf *b, const char *s) KYSO_WUR;
int buf_putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) KYSO_WUR;

int buf_get(struct buf *b, void *p, size_t n) KYSO_WUR;
int buf_get_u8(struct buf *b, uint8_t *v) KYSO_WUR;
int buf_get_u32(struct buf *b, uint32_t *v) KYSO_WUR;
int buf_get_u64(struct buf *b, uint64_t *v) KYSO_WUR;
/* Points into the buffer; valid until it changes. */
int buf_get_string_direct(struct buf *b, const uint8_t **p, size_t *n) KYSO_WUR;
/* A new NUL-terminated copy; fails on an embedded NUL. */
int buf_get_cstring(struct buf *b, char **s) KYSO_WUR;

/* Whole-buffer helpers. */
struct buf *buf_dup(const struct buf *b);
char *buf_to_cstr(const struct buf *b); /* copy, fails on embedded NUL */

#endif
