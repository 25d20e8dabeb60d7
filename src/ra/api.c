/* Routing, authentication, transactions, the audit log and mail after
 * commit: what every API call goes through. */
#include "ra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "codes.h"
#include "common/crypto.h"
#include "common/parse.h"

int64_t
api_now(void)
{
	return (int64_t)time(NULL);
}

int
api_json(struct api *a, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	buf_free(a->rs->body);
	a->rs->body = NULL;
	if (s == NULL || (a->rs->body = buf_new(0)) == NULL ||
	    buf_put(a->rs->body, s, strlen(s)) != 0) {
		free(s);
		a->rs->status = 500;
		return 500;
	}
	free(s);
	a->rs->status = status;
	a->rs->content_type = "application/json";
	return status;
}

int
api_error(struct api *a, int status, const char *code, const char *msg)
{
	api_json(a, status, json_pack("{s:s,s:s}", "error", code, "message",
	    msg));
	return status;
}

const char *
api_str(json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

int
api_body(struct api *a, const char *const *allowed, json_t **out)
{
	json_error_t err;
	json_t *j;
	const char *key;
	json_t *v;
	size_t i;

	if (a->rq->too_large)
		return api_error(a, 413, "too_large",
		    "the request body is larger than 64 KiB");
	j = json_loadb((const char *)a->rq->body, a->rq->body_len,
	    JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return api_error(a, 400, "bad_json",
		    "the body must be a JSON object");
	}
	json_object_foreach(j, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL) {
			char msg[160];

			snprintf(msg, sizeof(msg), "unknown field '%.64s'", key);
			json_decref(j);
			return api_error(a, 400, "unknown_field", msg);
		}
	}
	*out = j;
	return 0;
}

int
api_queue_mail(struct api *a, int otp, const char *to, const char *name,
    const char *kind, const char *secret, int64_t expires_at)
{
	struct api_mail *m;

	if (a->nmail >= sizeof(a->mail) / sizeof(a->mail[0]) ||
	    strlen(to) >= sizeof(m->to) || strlen(name) >= sizeof(m->name) ||
	    strlen(kind) >= sizeof(m->kind) ||
	    strlen(secret) >= sizeof(m->secret))
		return KYSO_ERR_INVALID;
	m = &a->mail[a->nmail++];
	m->otp = otp;
	/* The lengths were checked above. */
	memcpy(m->to, to, strlen(to) + 1);
	memcpy(m->name, name, strlen(name) + 1);
	memcpy(m->kind, kind, strlen(kind) + 1);
	memcpy(m->secret, secret, strlen(secret) + 1);
	m->expires_at = expires_at;
	return 0;
}

static void
send_mail(struct api *a)
{
	size_t i;

	for (i = 0; i < a->nmail; i++) {
		struct api_mail *m = &a->mail[i];
		int r = m->otp ?
		    mail_otp(a->ra->mail, m->to, m->name, m->secret,
		    (int)(a->ra->otp_ttl / 60 ? a->ra->otp_ttl / 60 : 1)) :
		    mail_activation(a->ra->mail, m->to, m->name, m->kind,
		    m->secret, m->expires_at);

		if (r != 0)
			fprintf(stderr, "kyso-ra: could not send mail: %s\n",
			    kyso_strerror(r));
	}
}

static void
wipe_mail(struct api *a)
{
	OPENSSL_cleanse(a->mail, sizeof(a->mail));
	a->nmail = 0;
}

/* The operator behind a Bearer token, or NULL. */
static char *
operator_auth(struct api *a)
{
	const char *h = a->rq->authorization, *tok;
	uint8_t dg[32];
	char hex[65];
	struct db_rows *rows = NULL;
	const char *p[1];
	char *name = NULL;
	int i;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return NULL;
	tok = h + 7;
	if (strlen(tok) < 16 || strlen(tok) > 128 ||
	    crypto_sha256(tok, strlen(tok), dg) != 0)
		return NULL;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	p[0] = hex;
	if (db_exec(a->db, "SELECT name, token_hash FROM operators"
	    " WHERE token_hash = ?", 1, p, &rows) == 0 &&
	    db_rows_count(rows) == 1 &&
	    CRYPTO_memcmp(db_rows_get(rows, 0, 1), hex, 64) == 0)
		name = strdup(db_rows_get(rows, 0, 0));
	db_rows_free(rows);
	return name;
}

static void
audit(struct api *a, const char *action)
{
	struct db_num ts, st;
	const char *p[6];

	p[0] = db_num(&ts, api_now());
	p[1] = a->actor;
	p[2] = action;
	p[3] = a->target[0] ? a->target : NULL;
	p[4] = a->rq->remote;
	p[5] = db_num(&st, a->rs->status);
	if (db_exec(a->db, "INSERT INTO audit (ts, actor, action, target,"
	    " remote, status) VALUES (?, ?, ?, ?, ?, ?)", 6, p, NULL) != 0)
		fprintf(stderr, "kyso-ra: audit insert failed\n");
}

/* "/api/v1/registrations/12/renew" -> seg = {"registrations","12","renew"} */
static size_t
split(char *path, char **seg, size_t max)
{
	size_t n = 0;
	char *p = path, *s;

	while (*p == '/')
		p++;
	while (*p && n < max) {
		seg[n++] = p;
		if ((s = strchr(p, '/')) == NULL)
			break;
		*s = '\0';
		p = s + 1;
	}
	return *p && n == max ? max + 1 : n;
}

enum route_kind { R_NONE, R_OPERATOR, R_SUBSCRIBER };

static int
route(struct api *a, char **seg, size_t n, const char *m, enum route_kind k)
{
	int post = strcmp(m, "POST") == 0, get = strcmp(m, "GET") == 0;

	if (k == R_OPERATOR) {
		if (n == 1 && strcmp(seg[0], "registrations") == 0) {
			if (post)
				return api_registrations_create(a);
			if (get)
				return api_registrations_list(a);
		}
		if (n == 2 && strcmp(seg[0], "registrations") == 0 && get)
			return api_registrations_get(a, seg[1]);
		if (n == 3 && strcmp(seg[0], "registrations") == 0 && post &&
		    (strcmp(seg[2], "renew") == 0 || strcmp(seg[2], "update") == 0))
			return api_registrations_prepare(a, seg[1], seg[2]);
		if (n == 3 && strcmp(seg[0], "certificates") == 0 && post &&
		    strcmp(seg[2], "revoke") == 0)
			return api_certificates_revoke(a, seg[1]);
	} else {
		if (n == 2 && strcmp(seg[0], "activation") == 0 && post) {
			if (strcmp(seg[1], "lookup") == 0)
				return api_activation_lookup(a);
			if (strcmp(seg[1], "complete") == 0)
				return api_activation_complete(a);
		}
		if (n == 2 && strcmp(seg[0], "pin-reset") == 0 && post) {
			if (strcmp(seg[1], "request") == 0)
				return api_pin_reset_request(a);
			if (strcmp(seg[1], "confirm") == 0)
				return api_pin_reset_confirm(a);
		}
	}
	return api_error(a, 404, "not_found", "no such endpoint");
}

/* An /api/v1/ call: authenticate, run the handler in a transaction,
 * audit it, then send its mail. */
static void
api_call(struct api *a, const char *rest)
{
	char path[512], action[600], *seg[4];
	size_t n;
	enum route_kind k;
	char *op = NULL;
	int status;

	snprintf(action, sizeof(action), "%s /api/v1/%.500s", a->rq->method,
	    rest);
	if (strlen(rest) >= sizeof(path)) {
		api_error(a, 404, "not_found", "no such endpoint");
		return;
	}
	memcpy(path, rest, strlen(rest) + 1);
	if ((n = split(path, seg, 4)) == 0 || n > 3) {
		api_error(a, 404, "not_found", "no such endpoint");
		return;
	}
	k = strcmp(seg[0], "activation") == 0 || strcmp(seg[0], "pin-reset") == 0 ?
	    R_SUBSCRIBER : R_OPERATOR;
	if (k == R_OPERATOR) {
		if ((op = operator_auth(a)) == NULL) {
			a->actor = "anonymous";
			api_error(a, 401, "unauthorized",
			    "an operator token is required");
			audit(a, action);
			return;
		}
		a->actor = op;
	} else {
		a->actor = "subscriber";
		if (!ratelimit_hit(a->ra->rl_addr, a->rq->remote, api_now())) {
			api_error(a, 429, "rate_limited",
			    "too many requests; try again later");
			audit(a, action);
			return;
		}
	}
	/* Activation completion checks the CSR (CPU work) before it opens
	 * its transaction; every other call runs in one from the start. */
	if (!(k == R_SUBSCRIBER && n == 2 && strcmp(seg[1], "complete") == 0) &&
	    api_begin(a) != 0)
		goto out;
	status = route(a, seg, n, a->rq->method, k);
	if (!a->tx) {
		audit(a, action);
		if (status < 400)
			send_mail(a);
	} else if (status < 400 || a->keep) {
		audit(a, action);
		if (db_commit(a->db) != 0) {
			wipe_mail(a);
			api_error(a, 503, "busy", "the database is busy; retry");
			audit(a, action);
			goto out;
		}
		send_mail(a);
	} else {
		db_rollback(a->db);
		audit(a, action);
	}
out:
	wipe_mail(a);
	free(op);
}

int
api_begin(struct api *a)
{
	if (a->tx)
		return 0;
	if (db_begin(a->db) != 0) {
		api_error(a, 503, "busy", "the database is busy; retry");
		return 503;
	}
	a->tx = 1;
	return 0;
}

void
api_handle(void *ud, const struct http_req *rq, struct http_resp *rs)
{
	struct api a;
	const char *p = rq->path;

	memset(&a, 0, sizeof(a));
	a.ra = ud;
	a.rq = rq;
	a.rs = rs;
	if ((a.db = db_pool_get(a.ra->pool)) == NULL) {
		a.actor = "public";
		api_error(&a, 503, "busy", "the database is not reachable");
		return;
	}
	if (strncmp(p, "/api/v1/", 8) == 0) {
		api_call(&a, p + 8);
		return;
	}
	a.actor = "public";
	if (strcmp(p, "/crl") == 0 && strcmp(rq->method, "GET") == 0) {
		api_crl(&a);
	} else if (strcmp(p, "/ca.pem") == 0 && strcmp(rq->method, "GET") == 0) {
		rs->body = buf_new(0);
		if (rs->body == NULL || buf_put(rs->body, ca_chain_pem(a.ra->ca),
		    strlen(ca_chain_pem(a.ra->ca))) != 0) {
			rs->status = 500;
			return;
		}
		rs->status = 200;
		rs->content_type = "application/x-pem-file";
	} else if (strcmp(p, "/ca.crt") == 0 && strcmp(rq->method, "GET") == 0) {
		if ((rs->body = buf_new(0)) == NULL ||
		    ca_issuing_der(a.ra->ca, rs->body) != 0) {
			rs->status = 500;
			return;
		}
		rs->status = 200;
		rs->content_type = "application/pkix-cert";
	} else if (strcmp(p, "/root.crt") == 0 && strcmp(rq->method, "GET") == 0) {
		if ((rs->body = buf_new(0)) == NULL ||
		    ca_root_der(a.ra->ca, rs->body) != 0) {
			rs->status = 500;
			return;
		}
		rs->status = 200;
		rs->content_type = "application/pkix-cert";
	} else if (strcmp(p, "/root.crl") == 0 && strcmp(rq->method, "GET") == 0 &&
	    ca_root_crl(a.ra->ca) != NULL) {
		const struct buf *c = ca_root_crl(a.ra->ca);

		if ((rs->body = buf_new(0)) == NULL ||
		    buf_put(rs->body, buf_ptr(c), buf_len(c)) != 0) {
			rs->status = 500;
			return;
		}
		rs->status = 200;
		rs->content_type = "application/pkix-crl";
	} else if (strcmp(p, "/ocsp") == 0 && strcmp(rq->method, "POST") == 0) {
		if (rq->too_large)
			api_error(&a, 413, "too_large", "request too large");
		else
			api_ocsp(&a, rq->body, rq->body_len);
	} else if (strncmp(p, "/ocsp/", 6) == 0 && strcmp(rq->method, "GET") == 0) {
		/* RFC 6960 A.1: base64 of the DER request (already URL-decoded). */
		size_t n = strlen(p + 6);
		uint8_t *der = malloc(n + 3);
		EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
		int o1 = 0, o2 = 0;

		if (der == NULL || ctx == NULL || n > 8192) {
			api_error(&a, 400, "bad_request", "bad OCSP request");
		} else {
			EVP_DecodeInit(ctx);
			if (EVP_DecodeUpdate(ctx, der, &o1,
			    (const unsigned char *)p + 6, (int)n) < 0 ||
			    EVP_DecodeFinal(ctx, der + o1, &o2) < 0)
				api_ocsp(&a, (const uint8_t *)"", 0);
			else
				api_ocsp(&a, der, (size_t)(o1 + o2));
		}
		EVP_ENCODE_CTX_free(ctx);
		free(der);
	} else if (strcmp(p, "/tsa") == 0 && strcmp(rq->method, "POST") == 0) {
		api_tsa(&a);
	} else if (strcmp(p, "/healthz") == 0 && strcmp(rq->method, "GET") == 0) {
		/* For load balancers: this instance answers and reaches the
		 * database. */
		struct db_rows *rows = NULL;

		if (db_exec(a.db, "SELECT 1", 0, NULL, &rows) == 0 &&
		    db_rows_count(rows) == 1)
			api_json(&a, 200, json_pack("{s:s}", "status", "ok"));
		else
			api_error(&a, 503, "busy", "the database is not reachable");
		db_rows_free(rows);
	} else {
		api_error(&a, 404, "not_found", "no such endpoint");
	}
}
