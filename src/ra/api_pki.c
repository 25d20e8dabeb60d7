/* The public endpoints: the CA certificates, CRLs, OCSP, time-stamps and
 * the health check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/parse.h"
#include "ocsp.h"
#include "ocsp_cache.h"
#include "ocsp_fast.h"
#include "ra.h"
#include "tsa.h"

#define CRL_HOURS   24
#define CRL_REFRESH 3600 /* seconds: serve a stored CRL this long */

static int
meta_set(struct db *db, const char *k, const char *v)
{
	const char *p[2] = { k, v };

	return db_exec(db,
	    "INSERT INTO meta (k, v) VALUES (?, ?)"
	    " ON CONFLICT (k) DO UPDATE SET v = excluded.v",
	    2, p, NULL);
}

int
api_crl_refresh(struct db *db, struct ca *ca, struct buf *der)
{
	struct db_rows *rows = NULL, *num = NULL;
	struct ca_revoked *rev = NULL;
	struct buf *hex = NULL;
	struct db_num tn;
	const char *p[1] = { "crl_number" };
	char *hs = NULL;
	uint64_t number = 0, v;
	size_t i, n;
	int r;

	/* The CRL number, counted up under the row's lock. */
	if ((r = db_exec(db,
		 "INSERT INTO meta (k, v) VALUES (?, '0')"
		 " ON CONFLICT (k) DO NOTHING",
		 1, p, NULL)) != 0 ||
	    (r = db_exec(db,
		 "UPDATE meta SET v = CAST(CAST(v AS BIGINT) + 1"
		 " AS TEXT) WHERE k = ? RETURNING v",
		 1, p, &num)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	if (db_rows_count(num) != 1 ||
	    parse_u64(db_rows_get(num, 0, 0), 1, INT64_MAX, &number) != 0)
		goto out;
	if ((r = db_exec(db,
		 "SELECT serial, revoked_at, reason FROM"
		 " certificates WHERE status = 'revoked' ORDER BY serial",
		 0, NULL, &rows)) != 0)
		goto out;
	n = db_rows_count(rows);
	r = KYSO_ERR_NOMEM;
	if ((rev = calloc(n + 1, sizeof(*rev))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		rev[i].serial = db_rows_get(rows, i, 0);
		rev[i].revoked_at = parse_u64(db_rows_get(rows, i, 1), 0,
					INT64_MAX, &v) == 0
		    ? (int64_t)v
		    : 0;
		rev[i].reason = parse_u64(db_rows_get(rows, i, 2), 0, 10, &v) == 0
		    ? (int)v
		    : 0;
	}
	if ((r = ca_crl(ca, rev, n, number, CRL_HOURS, der)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((hex = buf_new(0)) == NULL ||
	    hex_encode(hex, buf_ptr(der), buf_len(der)) != 0 ||
	    (hs = buf_to_cstr(hex)) == NULL)
		goto out;
	if ((r = meta_set(db, "crl", hs)) != 0 ||
	    (r = meta_set(db, "crl_at", db_num(&tn, api_now()))))
		goto out;
	r = 0;
out:
	free(hs);
	buf_free(hex);
	free(rev);
	db_rows_free(rows);
	db_rows_free(num);
	return r;
}

/* Binary answers (certificates, CRLs, OCSP, TSA) take the buffer over. */
static int
answer_bytes(struct api *a, const char *ctype, struct buf *b)
{
	buf_free(a->rs->body);
	a->rs->body = b;
	a->rs->status = 200;
	a->rs->content_type = ctype;
	return 200;
}

/* A server the operator cannot reach still answers with no body. */
static int
answer_failed(struct api *a, struct buf *b)
{
	buf_free(b);
	buf_free(a->rs->body);
	a->rs->body = NULL;
	a->rs->status = 500;
	return 500;
}

/* A copy of bytes the CA keeps (they live as long as the server). */
static int
answer_copy(struct api *a, const char *ctype, const void *p, size_t n)
{
	struct buf *b = buf_new(0);

	if (b == NULL || buf_put(b, p, n) != 0)
		return answer_failed(a, b);
	return answer_bytes(a, ctype, b);
}

/* GET /ca.pem: the issuing CA and the root, for clients to trust. */
int
api_ca_pem(struct api *a)
{
	const char *pem = ca_chain_pem(a->ra->ca);

	return answer_copy(a, "application/x-pem-file", pem, strlen(pem));
}

/* A CA certificate as DER, as der() writes it. */
static int
answer_cert(struct api *a, int (*der)(const struct ca *, struct buf *))
{
	struct buf *b = buf_new(0);

	if (b == NULL || der(a->ra->ca, b) != 0)
		return answer_failed(a, b);
	return answer_bytes(a, "application/pkix-cert", b);
}

/* GET /ca.crt: the issuing CA (the certificates' AIA names it). */
int
api_ca_crt(struct api *a)
{
	return answer_cert(a, ca_issuing_der);
}

/* GET /root.crt: the root (the issuing CA's AIA names it). */
int
api_root_crt(struct api *a)
{
	return answer_cert(a, ca_root_der);
}

/* GET /root.crl: only when this CA made its root (init without
 * --root-cert); otherwise the root's owner publishes it. */
int
api_root_crl(struct api *a)
{
	const struct buf *c = ca_root_crl(a->ra->ca);

	if (c == NULL)
		return api_error(a, 404, "not_found", "no such endpoint");
	return answer_copy(a, "application/pkix-crl", buf_ptr(c), buf_len(c));
}

/* GET /healthz, for load balancers: this instance answers and reaches the
 * database. */
int
api_healthz(struct api *a)
{
	struct db_rows *rows = NULL;
	int st;

	int64_t na = ca_issuing_not_after(a->ra->ca), now = api_now();
	const char *ca = now >= na || now < ca_issuing_not_before(a->ra->ca)
	    ? "invalid"
	    : na - now < CA_EXPIRY_WARN ? "expiring"
					: "ok";

	/* The issuing CA's state too: a monitor sees its end coming. */
	/* ... and the OCSP responder's and the TSA's (kyso-ra rotate) */
	int64_t oa = ca_service_not_after(a->ra->ca, CA_SVC_OCSP),
		ta = ca_service_not_after(a->ra->ca, CA_SVC_TSA);

	if (db_exec(a->db, "SELECT 1", 0, NULL, &rows) == 0 &&
	    db_rows_count(rows) == 1)
		st = api_json(a, 200,
		    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "status", "ok", "ca",
			ca, "ca_not_after", (json_int_t)na, "ca_days_left",
			(json_int_t)((na - now) / 86400), "ocsp_days_left",
			(json_int_t)((oa - now) / 86400), "tsa_days_left",
			(json_int_t)((ta - now) / 86400)));
	else
		st = api_error(a, 503, "busy", "the database is not reachable");
	db_rows_free(rows);
	return st;
}

/* GET /crl: the stored CRL while it is fresh, else a new one. */
int
api_crl(struct api *a)
{
	struct db_rows *rows = NULL;
	struct buf *der = buf_new(0);
	const char *p[2] = { "crl", "crl_at" };
	uint64_t at;
	int r;

	if (der == NULL)
		return api_error(a, 500, "internal", "out of memory");
	if (db_exec(a->db,
		"SELECT k, v FROM meta WHERE k = ? OR k = ?"
		" ORDER BY k",
		2, p, &rows) == 0 &&
	    db_rows_count(rows) == 2 &&
	    parse_u64(db_rows_get(rows, 1, 1), 0, INT64_MAX, &at) == 0 &&
	    (int64_t)at + CRL_REFRESH > api_now()) {
		const char *hex = db_rows_get(rows, 0, 1);

		if (hex_decode(der, hex, strlen(hex)) == 0) {
			db_rows_free(rows);
			return answer_bytes(a, "application/pkix-crl", der);
		}
		buf_reset(der);
	}
	db_rows_free(rows);
	if ((r = db_begin(a->db)) != 0 ||
	    (r = api_crl_refresh(a->db, a->ra->ca, der)) != 0 ||
	    (r = db_commit(a->db)) != 0) {
		db_rollback(a->db);
		buf_free(der);
		return api_error(a, 503, "busy", "could not make the CRL");
	}
	return answer_bytes(a, "application/pkix-crl", der);
}

static int
ocsp_lookup(void *ud, const char *serial, int *status, int64_t *revoked_at,
    int *reason)
{
	struct db *db = ud;
	struct db_rows *rows = NULL;
	const char *p[1] = { serial };
	uint64_t v;
	int r;

	if ((r = db_exec(db,
		 "SELECT status, revoked_at, reason FROM"
		 " certificates WHERE serial = ?",
		 1, p, &rows)) != 0)
		return r;
	*status = OCSP_UNKNOWN;
	if (db_rows_count(rows) == 1) {
		if (strcmp(db_rows_get(rows, 0, 0), "revoked") == 0) {
			*status = OCSP_REVOKED;
			*revoked_at = parse_u64(db_rows_get(rows, 0, 1), 0,
					  INT64_MAX, &v) == 0
			    ? (int64_t)v
			    : 0;
			*reason = parse_u64(db_rows_get(rows, 0, 2), 0, 10,
				      &v) == 0
			    ? (int)v
			    : 0;
		} else {
			*status = OCSP_GOOD;
		}
	}
	db_rows_free(rows);
	return 0;
}

/* The certificate statuses come from the database at each request. A
 * simple request (one CertID of ours, at most a nonce) goes the short
 * way (ocsp_fast.c); without a nonce its answer may come from the cache
 * (ocsp_cache.h), when the response there states the status just read
 * and is recent. Anything else goes through OpenSSL (ocsp.c). */
static int
ocsp_answer(struct api *a, const uint8_t *der, size_t n)
{
	struct buf *out = buf_new(0);
	struct ocsp_cache *cache = a->ra->ocsp_cache;
	struct ocsp_req_key k;
	struct ocsp_status st = { OCSP_UNKNOWN, 0, 0 };
	int64_t t0 = (int64_t)time(NULL);

	if (out == NULL)
		return api_error(a, 500, "internal", "OCSP failed");
	if (a->ra->ocsp_fast != NULL && ocsp_req_read(der, n, &k) == 0 &&
	    ocsp_fast_ours(a->ra->ocsp_fast, &k) &&
	    ocsp_lookup(a->db, k.serial, &st.status, &st.revoked_at,
		&st.reason) == 0) {
		int cacheable = cache != NULL && k.nonce_ext == NULL &&
		    st.status != OCSP_UNKNOWN;

		if (cacheable && ocsp_cache_get(cache, &k, &st, t0, out) == 0)
			return answer_bytes(a, "application/ocsp-response", out);
		buf_reset(out);
		if (ocsp_fast_respond(a->ra->ocsp_fast, &k, &st, t0, out) == 0) {
			if (cacheable &&
			    ocsp_cache_put(cache, &k, &st, t0, buf_ptr(out),
				buf_len(out)) != 0)
				fprintf(stderr,
				    "kyso-ra: OCSP cache: out of memory\n");
			return answer_bytes(a, "application/ocsp-response", out);
		}
		buf_reset(out);
	}
	if (ocsp_respond(a->ra->ca, der, n, ocsp_lookup, a->db, out) != 0) {
		buf_free(out);
		return api_error(a, 500, "internal", "OCSP failed");
	}
	return answer_bytes(a, "application/ocsp-response", out);
}

/* POST /ocsp: the DER request as the body. */
int
api_ocsp_post(struct api *a)
{
	if (a->rq->too_large)
		return api_error(a, 413, "too_large", "request too large");
	return ocsp_answer(a, a->rq->body, a->rq->body_len);
}

/* GET /ocsp/B64: RFC 6960 A.1, base64 of the DER request (the path is
 * already URL-decoded). Bad base64 gets OCSP's own malformedRequest. */
int
api_ocsp_get(struct api *a)
{
	const char *b64 = a->arg[0];
	size_t n = strlen(b64);
	uint8_t *der = NULL;
	EVP_ENCODE_CTX *ctx = NULL;
	int o1 = 0, o2 = 0, st;

	if (n > 8192 || (der = malloc(n + 3)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL) {
		st = api_error(a, 400, "bad_request", "bad OCSP request");
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &o1, (const unsigned char *)b64, (int)n) <
		0 ||
	    EVP_DecodeFinal(ctx, der + o1, &o2) < 0)
		st = ocsp_answer(a, (const uint8_t *)"", 0);
	else
		st = ocsp_answer(a, der, (size_t)(o1 + o2));
out:
	EVP_ENCODE_CTX_free(ctx);
	free(der);
	return st;
}

/* POST /tsa: RFC 3161 over HTTP. */
int
api_tsa(struct api *a)
{
	struct buf *out;

	if (a->rq->too_large)
		return api_error(a, 413, "too_large", "request too large");
	if (a->rq->content_type == NULL ||
	    strncmp(a->rq->content_type, "application/timestamp-query", 27) != 0)
		return api_error(a, 415, "unsupported_media_type",
		    "send application/timestamp-query");
	if ((out = buf_new(0)) == NULL ||
	    tsa_respond(a->ra->ca, a->rq->body, a->rq->body_len, out) != 0) {
		buf_free(out);
		return api_error(a, 400, "bad_request", "not a time-stamp query");
	}
	return answer_bytes(a, "application/timestamp-reply", out);
}
