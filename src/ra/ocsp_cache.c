#include "ocsp_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/der.h"

struct slot {
	uint8_t certid[OCSP_CACHE_MAX_CERTID];
	size_t certid_len;
	struct ocsp_status st;
	int64_t made;
	struct buf *resp; /* NULL: empty */
};

struct ocsp_cache {
	pthread_mutex_t lock;
	struct slot *slots;
};

/* The one element that must fill [p, p + n) exactly, with tag. */
static int
only(const uint8_t *p, size_t n, uint8_t tag, const uint8_t **c, size_t *cl)
{
	uint8_t t;
	size_t total;

	if (der_read(p, n, &t, c, cl, &total) != 0 || t != tag || total != n)
		return KYSO_ERR_INVALID;
	return 0;
}

/* The next element of [*p, *p + *n), with tag; moves past it. */
static int
next(const uint8_t **p, size_t *n, uint8_t tag, const uint8_t **c, size_t *cl)
{
	uint8_t t;
	size_t total;

	if (*n == 0 || der_read(*p, *n, &t, c, cl, &total) != 0 || t != tag)
		return KYSO_ERR_INVALID;
	*p += total;
	*n -= total;
	return 0;
}

/* id-pkix-ocsp-nonce */
static const uint8_t oid_nonce[] = { 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05,
	0x07, 0x30, 0x01, 0x02 };

int
ocsp_nonce_ok(const uint8_t *v, size_t n)
{
	const uint8_t *c;
	size_t cl;

	if (only(v, n, DER_OCTET_STRING, &c, &cl) != 0 || cl < OCSP_NONCE_MIN ||
	    cl > OCSP_NONCE_MAX)
		return KYSO_ERR_INVALID;
	return 0;
}

/* requestExtensions [2] EXPLICIT Extensions: a nonce and nothing else. */
static int
read_nonce(const uint8_t *p, size_t n, struct ocsp_req_key *k)
{
	const uint8_t *c, *e, *x;
	size_t cl, el, xl;

	if (only(p, n, DER_CTX_CONS(2), &c, &cl) != 0 ||
	    only(c, cl, DER_SEQUENCE, &c, &cl) != 0 || /* Extensions */
	    only(c, cl, DER_SEQUENCE, &e, &el) != 0)   /* one Extension */
		return KYSO_ERR_INVALID;
	if (el < sizeof(oid_nonce) || memcmp(e, oid_nonce, sizeof(oid_nonce)) != 0)
		return KYSO_ERR_INVALID;
	x = e + sizeof(oid_nonce);
	xl = el - sizeof(oid_nonce);
	/* extnValue (no critical flag): the nonce, as RFC 8954 bounds it */
	if (only(x, xl, DER_OCTET_STRING, &x, &xl) != 0 ||
	    ocsp_nonce_ok(x, xl) != 0)
		return KYSO_ERR_INVALID;
	k->nonce_ext = c;
	k->nonce_ext_len = cl;
	return 0;
}

/* OCSPRequest ::= SEQUENCE { tbsRequest SEQUENCE { requestList SEQUENCE
 * OF Request, [2] requestExtensions OPTIONAL } } with Request ::=
 * SEQUENCE { reqCert CertID } and CertID ::= SEQUENCE { hashAlgorithm,
 * issuerNameHash, issuerKeyHash, serialNumber }: anything more goes the
 * general way (ocsp.c). */
int
ocsp_req_read(const uint8_t *der, size_t n, struct ocsp_req_key *k)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *p, *c, *cid, *sn, *tbs;
	size_t pl, cl, cidl, snl, tbsl, i;

	memset(k, 0, sizeof(*k));
	if (only(der, n, DER_SEQUENCE, &tbs, &tbsl) != 0 ||
	    only(tbs, tbsl, DER_SEQUENCE, &tbs, &tbsl) != 0 || /* tbsRequest */
	    next(&tbs, &tbsl, DER_SEQUENCE, &p, &pl) != 0 ||   /* requestList */
	    (tbsl != 0 && read_nonce(tbs, tbsl, k) != 0) ||
	    only(p, pl, DER_SEQUENCE, &p, &pl) != 0 || /* Request */
	    only(p, pl, DER_SEQUENCE, &c, &cl) != 0)   /* CertID */
		return KYSO_ERR_INVALID;
	cid = p;
	cidl = pl;
	p = c;
	pl = cl;
	k->issuer = c;
	if (next(&p, &pl, DER_SEQUENCE, &c, &cl) != 0 ||
	    next(&p, &pl, DER_OCTET_STRING, &c, &cl) != 0 ||
	    next(&p, &pl, DER_OCTET_STRING, &c, &cl) != 0)
		return KYSO_ERR_INVALID;
	k->issuer_len = (size_t)(p - k->issuer);
	if (next(&p, &pl, DER_INTEGER, &sn, &snl) != 0 || pl != 0)
		return KYSO_ERR_INVALID;
	/* positive, minimal: the hex the database holds */
	if (snl == 0 || (sn[0] & 0x80) != 0)
		return KYSO_ERR_INVALID;
	if (sn[0] == 0 && snl > 1) {
		if ((sn[1] & 0x80) == 0)
			return KYSO_ERR_INVALID;
		sn++;
		snl--;
	}
	if (snl > 20 || cidl > OCSP_CACHE_MAX_CERTID)
		return KYSO_ERR_INVALID;
	for (i = 0; i < snl; i++) {
		k->serial[2 * i] = digits[sn[i] >> 4];
		k->serial[2 * i + 1] = digits[sn[i] & 0x0f];
	}
	k->serial[2 * i] = '\0';
	k->certid = cid;
	k->certid_len = cidl;
	return 0;
}

int
ocsp_cache_new(struct ocsp_cache **out)
{
	struct ocsp_cache *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	if ((c->slots = calloc(OCSP_CACHE_SLOTS, sizeof(struct slot))) == NULL) {
		free(c);
		return KYSO_ERR_NOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void
ocsp_cache_free(struct ocsp_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < OCSP_CACHE_SLOTS; i++)
		buf_free(c->slots[i].resp);
	pthread_mutex_destroy(&c->lock);
	free(c->slots);
	free(c);
}

/* One slot per CertID (FNV-1a of its bytes); another CertID with the
 * same hash takes the slot over. */
static struct slot *
slot_of(struct ocsp_cache *c, const struct ocsp_req_key *k)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < k->certid_len; i++)
		h = (h ^ k->certid[i]) * 16777619u;
	return &c->slots[h % OCSP_CACHE_SLOTS];
}

static int
same_status(const struct ocsp_status *a, const struct ocsp_status *b)
{
	return a->status == b->status && a->revoked_at == b->revoked_at &&
	    a->reason == b->reason;
}

int
ocsp_cache_get(struct ocsp_cache *c, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, struct buf *out)
{
	struct slot *s = slot_of(c, k);
	int r = KYSO_ERR_NOT_FOUND;

	pthread_mutex_lock(&c->lock);
	if (s->resp != NULL && s->certid_len == k->certid_len &&
	    memcmp(s->certid, k->certid, k->certid_len) == 0 &&
	    same_status(&s->st, st) && now >= s->made &&
	    now - s->made < OCSP_CACHE_MAX_AGE)
		r = buf_put(out, buf_ptr(s->resp), buf_len(s->resp));
	pthread_mutex_unlock(&c->lock);
	return r;
}

int
ocsp_cache_put(struct ocsp_cache *c, const struct ocsp_req_key *k,
    const struct ocsp_status *st, int64_t now, const uint8_t *resp, size_t len)
{
	struct slot *s = slot_of(c, k);
	struct buf *b = buf_new(0);
	int r;

	if (b == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = buf_put(b, resp, len)) != 0) {
		buf_free(b);
		return r;
	}
	pthread_mutex_lock(&c->lock);
	buf_free(s->resp);
	s->resp = b;
	memcpy(s->certid, k->certid, k->certid_len);
	s->certid_len = k->certid_len;
	s->st = *st;
	s->made = now;
	pthread_mutex_unlock(&c->lock);
	return 0;
}
