#include "der.h"

#include <stdlib.h>
#include <string.h>

static int
put_len(struct buf *out, size_t n)
{
	uint8_t l[9];
	size_t k, i;

	if (n < 0x80)
		return buf_put_u8(out, (uint8_t)n);
	k = der_head_len(n) - 2;
	l[0] = (uint8_t)(0x80 | k);
	for (i = 0; i < k; i++)
		l[1 + i] = (uint8_t)(n >> (8 * (k - 1 - i)));
	return buf_put(out, l, k + 1);
}

int
der_put_head(struct buf *out, uint8_t tag, size_t n)
{
	int r;

	if ((r = buf_put_u8(out, tag)) != 0)
		return r;
	return put_len(out, n);
}

size_t
der_head_len(size_t n)
{
	size_t k = 2;

	if (n >= 0x80)
		for (; n > 0; n >>= 8)
			k++;
	return k;
}

int
der_put(struct buf *out, uint8_t tag, const void *content, size_t n)
{
	int r;

	if ((r = der_put_head(out, tag, n)) != 0)
		return r;
	return n ? buf_put(out, content, n) : 0;
}

int
der_wrap(struct buf *out, uint8_t tag, const struct buf *inner)
{
	return der_put(out, tag, buf_ptr(inner), buf_len(inner));
}

int
der_put_oid(struct buf *out, const char *dotted)
{
	struct buf *c = buf_new(64);
	uint64_t arcs[32], first;
	size_t n = 0, i;
	const char *p = dotted;
	int r = KYSO_ERR_INVALID;

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	while (*p != '\0' && n < 32) {
		uint64_t v = 0;

		if (*p < '0' || *p > '9')
			goto out;
		while (*p >= '0' && *p <= '9') {
			if (v > UINT64_MAX / 16)
				goto out;
			v = v * 10 + (uint64_t)(*p++ - '0');
		}
		arcs[n++] = v;
		if (*p == '.' && *++p == '\0')
			goto out; /* a trailing dot */
	}
	if (n < 2 || *p != '\0' || arcs[0] > 2)
		goto out;
	first = arcs[0] * 40 + arcs[1];
	for (i = 1; i < n; i++) {
		uint64_t v = i == 1 ? first : arcs[i];
		uint8_t tmp[10];
		size_t k = 0;

		do {
			tmp[k++] = (uint8_t)(v & 0x7f);
			v >>= 7;
		} while (v != 0);
		while (k > 0) {
			uint8_t b;

			k--;
			b = (uint8_t)(tmp[k] | (k ? 0x80 : 0));
			if ((r = buf_put_u8(c, b)) != 0)
				goto out;
		}
	}
	r = der_wrap(out, DER_OID, c);
out:
	buf_free(c);
	return r;
}

int
der_put_alg(struct buf *out, const char *oid, int with_null)
{
	struct buf *c = buf_new(64);
	int r;

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = der_put_oid(c, oid)) == 0 &&
	    (!with_null || (r = der_put(c, DER_NULL, NULL, 0)) == 0))
		r = der_wrap(out, DER_SEQUENCE, c);
	buf_free(c);
	return r;
}

int
der_put_sig_alg(struct buf *out, int ec)
{
	return der_put_alg(out, ec ? DER_OID_ECDSA_SHA256 : DER_OID_RSA_SHA256,
	    !ec);
}

/* kyso-ra's certificates and CRLs and kyso-token's requests are signed
 * on a token: the TBS bytes are built first, the token signs their
 * digest, and this puts the three parts together. */
int
der_put_signed(struct buf *out, const uint8_t *tbs, size_t tlen,
    const uint8_t *alg, size_t alen, const uint8_t *sig, size_t slen)
{
	struct buf *body = buf_new(0), *bits = buf_new(0);
	int r = KYSO_ERR_NOMEM;

	if (body == NULL || bits == NULL)
		goto out;
	if ((r = buf_put_u8(bits, 0)) != 0 ||
	    (r = buf_put(bits, sig, slen)) != 0 ||
	    (r = buf_put(body, tbs, tlen)) != 0 ||
	    (r = buf_put(body, alg, alen)) != 0 ||
	    (r = der_wrap(body, DER_BIT_STRING, bits)) != 0 ||
	    (r = der_wrap(out, DER_SEQUENCE, body)) != 0)
		goto out;
out:
	buf_free(body);
	buf_free(bits);
	return r;
}

static int
cmp_der(const void *a, const void *b)
{
	const struct buf *x = *(struct buf *const *)a,
			 *y = *(struct buf *const *)b;
	size_t n = buf_len(x) < buf_len(y) ? buf_len(x) : buf_len(y);
	int c = memcmp(buf_ptr(x), buf_ptr(y), n);

	if (c != 0)
		return c;
	return buf_len(x) < buf_len(y) ? -1 : buf_len(x) > buf_len(y);
}

int
der_put_set_of(struct buf *out, struct buf **elems, size_t n)
{
	struct buf *c = buf_new(0);
	size_t i;
	int r = 0;

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	qsort(elems, n, sizeof(*elems), cmp_der);
	for (i = 0; i < n && r == 0; i++)
		r = buf_put(c, buf_ptr(elems[i]), buf_len(elems[i]));
	if (r == 0)
		r = der_wrap(out, DER_SET, c);
	buf_free(c);
	return r;
}

int
der_read(const uint8_t *p, size_t len, uint8_t *tag, const uint8_t **content,
    size_t *clen, size_t *total)
{
	size_t n, hdr, k, i;

	if (len < 2)
		return KYSO_ERR_TRUNCATED;
	if ((p[0] & 0x1f) == 0x1f)
		return KYSO_ERR_UNSUPPORTED; /* high tag numbers */
	if (p[1] < 0x80) {
		n = p[1];
		hdr = 2;
	} else {
		k = p[1] & 0x7f;
		if (k == 0 || k > sizeof(size_t) || len - 2 < k)
			return KYSO_ERR_INVALID;
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | p[2 + i];
		hdr = 2 + k;
	}
	if (n > len - hdr)
		return KYSO_ERR_TRUNCATED;
	*tag = p[0];
	*content = p + hdr;
	*clen = n;
	*total = hdr + n;
	return 0;
}
