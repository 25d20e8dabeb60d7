#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct buf {
	uint8_t *d;
	size_t off;  /* read offset */
	size_t size; /* end of data */
	size_t alloc;
	size_t cap;
	int readonly;
};

struct buf *
buf_new(size_t cap)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->cap = cap ? cap : KYSO_BUF_DEFAULT_CAP;
	return b;
}

struct buf *
buf_from(const void *data, size_t len)
{
	struct buf *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->d = (uint8_t *)data;
	b->size = b->alloc = b->cap = len;
	b->readonly = 1;
	return b;
}

void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly && b->d != NULL) {
		OPENSSL_cleanse(b->d, b->alloc);
		free(b->d);
	}
	free(b);
}

const uint8_t *
buf_ptr(const struct buf *b)
{
	return b->d == NULL ? (const uint8_t *)"" : b->d + b->off;
}

uint8_t *
buf_mutable_ptr(struct buf *b)
{
	if (b->readonly || b->d == NULL)
		return NULL;
	return b->d + b->off;
}

size_t
buf_len(const struct buf *b)
{
	return b->size - b->off;
}

void
buf_reset(struct buf *b)
{
	if (b->readonly) {
		b->off = 0;
		return;
	}
	if (b->d != NULL)
		OPENSSL_cleanse(b->d, b->alloc);
	b->off = b->size = 0;
}

int
buf_consume(struct buf *b, size_t n)
{
	if (n > buf_len(b))
		return KYSO_ERR_TRUNCATED;
	b->off += n;
	return 0;
}

int
buf_reserve(struct buf *b, size_t n, uint8_t **dst)
{
	size_t need, na;
	uint8_t *nd;

	if (b->readonly)
		return KYSO_ERR_INVALID;
	if (n > b->cap || b->size > b->cap - n)
		return KYSO_ERR_TOO_LARGE;
	need = b->size + n;
	if (need > b->alloc) {
		na = b->alloc < 256 ? 256 : b->alloc;
		while (na < need)
			na = na > b->cap / 2 ? b->cap : na * 2;
		/* Grow by copy so that the old bytes can be wiped. */
		if ((nd = malloc(na)) == NULL)
			return KYSO_ERR_NOMEM;
		if (b->d != NULL) {
			memcpy(nd, b->d, b->size);
			OPENSSL_cleanse(b->d, b->alloc);
			free(b->d);
		}
		b->d = nd;
		b->alloc = na;
	}
	*dst = b->d + b->size;
	b->size += n;
	return 0;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r;

	if (n == 0)
		return b->readonly ? KYSO_ERR_INVALID : 0;
	if ((r = buf_reserve(b, n, &dst)) != 0)
		return r;
	memcpy(dst, p, n);
	return 0;
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_put(b, &v, 1);
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
		(uint8_t)(v >> 24) };

	return buf_put(b, x, sizeof(x));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	int r;

	if ((r = buf_put_u32(b, (uint32_t)v)) != 0)
		return r;
	return buf_put_u32(b, (uint32_t)(v >> 32));
}

int
buf_put_string(struct buf *b, const void *p, size_t n)
{
	int r;

	if (n > UINT32_MAX)
		return KYSO_ERR_TOO_LARGE;
	if ((r = buf_put_u32(b, (uint32_t)n)) != 0)
		return r;
	return buf_put(b, p, n);
}

int
buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, s == NULL ? 0 : strlen(s));
}

int
buf_putf(struct buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	uint8_t *dst;
	int n, r;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		return KYSO_ERR_INVALID;
	}
	/* Reserve room for the NUL, then drop it from the length; at the
	 * very end of the cap, format elsewhere and copy. */
	if ((r = buf_reserve(b, (size_t)n + 1, &dst)) == 0) {
		vsnprintf((char *)dst, (size_t)n + 1, fmt, ap2);
		b->size--;
	} else if (r == KYSO_ERR_TOO_LARGE && (size_t)n <= b->cap - b->size) {
		char *tmp = malloc((size_t)n + 1);

		if (tmp == NULL) {
			r = KYSO_ERR_NOMEM;
		} else {
			vsnprintf(tmp, (size_t)n + 1, fmt, ap2);
			r = buf_put(b, tmp, (size_t)n);
			OPENSSL_cleanse(tmp, (size_t)n + 1);
			free(tmp);
		}
	}
	va_end(ap2);
	return r;
}

int
buf_get(struct buf *b, void *p, size_t n)
{
	if (n > buf_len(b))
		return KYSO_ERR_TRUNCATED;
	if (n > 0)
		memcpy(p, b->d + b->off, n);
	b->off += n;
	return 0;
}

int
buf_get_u8(struct buf *b, uint8_t *v)
{
	return buf_get(b, v, 1);
}

int
buf_get_u32(struct buf *b, uint32_t *v)
{
	uint8_t x[4];
	int r;

	if ((r = buf_get(b, x, sizeof(x))) != 0)
		return r;
	*v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 |
	    (uint32_t)x[3] << 24;
	return 0;
}

int
buf_get_u64(struct buf *b, uint64_t *v)
{
	uint32_t lo, hi;
	int r;

	if ((r = buf_get_u32(b, &lo)) != 0 || (r = buf_get_u32(b, &hi)) != 0)
		return r;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
buf_get_string_direct(struct buf *b, const uint8_t **p, size_t *n)
{
	uint32_t len;
	size_t save = b->off;
	int r;

	if ((r = buf_get_u32(b, &len)) != 0)
		return r;
	if (len > buf_len(b)) {
		b->off = save;
		return KYSO_ERR_TRUNCATED;
	}
	*p = b->d + b->off;
	*n = len;
	b->off += len;
	return 0;
}

int
buf_get_cstring(struct buf *b, char **s)
{
	const uint8_t *p;
	size_t n, save = b->off;
	char *c;
	int r;

	if ((r = buf_get_string_direct(b, &p, &n)) != 0)
		return r;
	if (n > 0 && memchr(p, '\0', n) != NULL) {
		b->off = save;
		return KYSO_ERR_INVALID;
	}
	if ((c = malloc(n + 1)) == NULL) {
		b->off = save;
		return KYSO_ERR_NOMEM;
	}
	if (n > 0)
		memcpy(c, p, n);
	c[n] = '\0';
	*s = c;
	return 0;
}

struct buf *
buf_dup(const struct buf *b)
{
	struct buf *n = buf_new(b->readonly ? 0 : b->cap);

	if (n == NULL)
		return NULL;
	if (buf_put(n, buf_ptr(b), buf_len(b)) != 0 && buf_len(b) > 0) {
		buf_free(n);
		return NULL;
	}
	return n;
}

char *
buf_to_cstr(const struct buf *b)
{
	size_t n = buf_len(b);
	char *s;

	if (n > 0 && memchr(buf_ptr(b), '\0', n) != NULL)
		return NULL;
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, buf_ptr(b), n);
	s[n] = '\0';
	return s;
}
