/* The dispatcher: every request goes through the route table, is
 * authenticated by the route's "who", runs in a transaction by its "tx",
 * is audited, committed, and then its mail is sent. */
#include "ra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "audit.h"
#include "common/crypto.h"
#include "logesc.h"

/* After the commit, never before: a rolled-back call mails nothing. */
static void
send_mail(struct api *a)
{
	size_t i;

	for (i = 0; i < a->nmail; i++) {
		struct api_mail *m = &a->mail[i];
		int r = m->otp
		    ? mail_otp(a->ra->mail, m->to, m->name, m->secret,
			  (int)(a->ra->otp_ttl / 60 ? a->ra->otp_ttl / 60 : 1))
		    : mail_activation(a->ra->mail, m->to, m->name, m->kind,
			  m->secret, m->expires_at);

		if (r != 0)
			fprintf(stderr, "kyso-ra: could not send mail: %s\n",
			    kyso_strerror(r));
	}
}

/* After the commit too: a used code or OTP leaves the outbox's mail
 * (issue 15), the code's text replaced. */
static void
redact_used(struct api *a)
{
	int otp = strncmp(a->used, "OTP: ", 5) == 0;
	unsigned n;

	if (a->used[0] == '\0')
		return;
	if (mailer_outbox_redact(a->ra->mail, otp ? a->used + 5 : a->used, a->used,
		otp ? "OTP: (đã dùng / used)" : "(đã dùng / used)", &n) != 0)
		fprintf(stderr, "kyso-ra: could not clean the outbox\n");
}

/* The queued mail holds codes and OTPs. */
static void
wipe_mail(struct api *a)
{
	OPENSSL_cleanse(a->mail, sizeof(a->mail));
	OPENSSL_cleanse(a->used, sizeof(a->used));
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
	if (db_exec(a->db,
		"SELECT name, token_hash FROM operators"
		" WHERE token_hash = ?",
		1, p, &rows) == 0 &&
	    db_rows_count(rows) == 1 &&
	    CRYPTO_memcmp(db_rows_get(rows, 0, 1), hex, 64) == 0)
		name = strdup(db_rows_get(rows, 0, 0));
	db_rows_free(rows);
	return name;
}

/* The bytes of an audited path kept, escaped (api_call). */
#define API_AUDIT_PATH 160

/* Whether a call is kept as its own audit row: everything an operator
 * does, and what a subscriber's call changed (issuance, PIN resets).
 * Unauthenticated failures (401, 429, a refused subscriber call) and
 * lookups are only counted (audit_count), so a flood costs bounded
 * storage. */
static int
audit_kept(const struct api *a, const struct api_match *m)
{
	if (a->actor != NULL && strcmp(a->actor, "anonymous") != 0 &&
	    strcmp(a->actor, "subscriber") != 0)
		return 1;
	return a->rs->status < 400 && m->handler != api_activation_lookup;
}

/* Every API call is audited, as a row or a count; public calls (action
 * NULL) are not. */
static void
audit(struct api *a, const struct api_match *m, const char *action)
{
	int r;

	if (action == NULL)
		return;
	if (audit_kept(a, m))
		r = audit_row(a->db, api_now(), a->actor, action,
		    a->target[0] ? a->target : NULL, a->rq->remote,
		    a->rs->status);
	else
		r = audit_count(a->db, api_now(), a->rq->remote, a->rs->status,
		    action);
	if (r != 0)
		fprintf(stderr, "kyso-ra: audit insert failed\n");
}

/* The caller the route asks for: 0, or the status answered (401, 429).
 * *op gets the operator's name (to free). */
static int
authenticate(struct api *a, enum api_who who, char **op)
{
	switch (who) {
	case API_PUBLIC: a->actor = "public"; return 0;
	case API_OPERATOR:
		if ((*op = operator_auth(a)) == NULL) {
			a->actor = "anonymous";
			return api_error(a, 401, "unauthorized",
			    "an operator token is required");
		}
		a->actor = *op;
		return 0;
	case API_SUBSCRIBER:
		a->actor = "subscriber";
		if (!ratelimit_hit(a->ra->rl_addr, a->rq->remote, api_now()))
			return api_error(a, 429, "rate_limited",
			    "too many requests; try again later");
		return 0;
	}
	return api_error(a, 500, "internal", "internal error");
}

/* Nothing in the table: 405 with Allow when the path is known. */
static int
not_routed(struct api *a, const struct api_match *m)
{
	if (m->status == 405) {
		a->rs->allow = m->allow;
		return api_error(a, 405, "method_not_allowed",
		    "this endpoint does not take this method");
	}
	return api_error(a, 404, "not_found", "no such endpoint");
}

/* One call: authenticate, open the transaction, call, audit, commit, then
 * send its mail. Public calls are not audited (action NULL). */
static void
api_call(struct api *a, const struct api_match *m)
{
	char em[LOG_ESCAPE_SIZE(16)], ep[API_AUDIT_PATH],
	    buf[sizeof(em) + 1 + sizeof(ep)];
	char *op = NULL;
	const char *action = NULL;
	int status;

	/* The action as the audit records it: the client's method and path,
	 * escaped and bounded (a row costs at most this much). */
	if (m->who != API_PUBLIC) {
		log_escape(a->rq->method, 16, em, sizeof(em));
		log_escape(a->rq->path, sizeof(ep), ep, sizeof(ep));
		snprintf(buf, sizeof(buf), "%s %s", em, ep);
		action = buf;
	}
	if (authenticate(a, m->who, &op) != 0) {
		audit(a, m, action);
		goto out;
	}
	if (m->handler == NULL)
		status = not_routed(a, m);
	else if (m->tx == API_TX_CALL && api_begin(a) != 0)
		goto out;
	else
		status = m->handler(a);
	if (!a->tx) {
		audit(a, m, action);
		if (status < 400) {
			send_mail(a);
			redact_used(a);
		}
	} else if (status < 400 || a->keep) {
		audit(a, m, action);
		if (db_commit(a->db) != 0) {
			wipe_mail(a);
			api_error(a, 503, "busy", "the database is busy; retry");
			audit(a, m, action);
			goto out;
		}
		a->issued[0] = '\0'; /* recorded */
		send_mail(a);
		redact_used(a);
	} else {
		db_rollback(a->db);
		audit(a, m, action);
	}
out:
	api_discarded_report(a);
	wipe_mail(a);
	free(op);
}

/* Both listeners' handler; public_only answers 404 to every route but
 * the public ones. */
static void
handle(struct ra *ra, int public_only, const struct http_req *rq,
    struct http_resp *rs)
{
	struct api a;
	struct api_match m;

	memset(&a, 0, sizeof(a));
	a.ra = ra;
	a.rq = rq;
	a.rs = rs;
	api_route(&a, &m);
	if (public_only && m.who != API_PUBLIC) {
		a.actor = "public";
		api_error(&a, 404, "not_found", "no such endpoint");
		return;
	}
	if ((a.db = public_only ? db_pool_get_reserved(a.ra->pool)
				: db_pool_get(a.ra->pool)) == NULL) {
		a.actor = "public";
		api_error(&a, 503, "busy", "the database is busy; retry");
		return;
	}
	api_call(&a, &m);
	db_pool_put(a.ra->pool, a.db);
}

void
api_handle(void *ud, const struct http_req *rq, struct http_resp *rs)
{
	handle(ud, 0, rq, rs);
}

void
api_handle_pki(void *ud, const struct http_req *rq, struct http_resp *rs)
{
	handle(ud, 1, rq, rs);
}
