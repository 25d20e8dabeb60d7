/* What the API handlers call: answers, the request body, the call's
 * transaction, mail queued until commit. Below the handlers: nothing here
 * calls a handler or the dispatcher. */
#include "audit.h"
#include "ra.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonwipe.h"

/* One clock for the handlers, the audit and the expiries. */
int64_t
api_now(void)
{
	return (int64_t)time(NULL);
}

/* Every JSON answer goes through here (and so through one allocator). */
int
api_json(struct api *a, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	buf_free(a->rs->body);
	a->rs->body = NULL;
	if (s == NULL || (a->rs->body = buf_new(0)) == NULL ||
	    buf_put(a->rs->body, s, strlen(s)) != 0) {
		jsonwipe_free(s);
		a->rs->status = 500;
		return 500;
	}
	jsonwipe_free(s);
	a->rs->status = status;
	a->rs->content_type = "application/json";
	return status;
}

/* Errors are {"error": code, "message": text} everywhere. */
int
api_error(struct api *a, int status, const char *code, const char *msg)
{
	api_json(a, status,
	    json_pack("{s:s,s:s}", "error", code, "message", msg));
	return status;
}

/* Optional string members: absent and null are the same. */
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

/* Unknown fields are refused, so a typo is not silently ignored. */
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
	json_object_foreach(j, key, v)
	{
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

/* Mail waits for the commit: a code is never mailed for a call that
 * rolled back. */
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

void
api_secret_used(struct api *a, int otp, const char *s)
{
	/* As the mail shows it: "OTP: 123456", or the code in its four
	 * groups (XXXXX-XXXXX-XXXXX-XXXXX). */
	if (otp)
		snprintf(a->used, sizeof(a->used), "OTP: %s", s);
	else if (strlen(s) == 20)
		snprintf(a->used, sizeof(a->used), "%.5s-%.5s-%.5s-%.5s", s,
		    s + 5, s + 10, s + 15);
}

void
api_discarded(struct api *a, const char *why)
{
	if (a->issued[0] != '\0' && a->discard_why == NULL)
		a->discard_why = why;
}

void
api_discarded_report(struct api *a)
{
	char action[160];
	const char *why = a->discard_why != NULL
	    ? a->discard_why
	    : "its transaction was not committed";

	if (a->issued[0] == '\0')
		return;
	fprintf(stderr,
	    "kyso-ra: certificate %s signed and discarded, never sent: %s\n",
	    a->issued, why);
	/* Outside the call's transaction (rolled back or never committed):
	 * the row stays even so. */
	snprintf(action, sizeof(action), "certificate discarded: %s", why);
	if (audit_row(a->db, api_now(), "kyso-ra", action, a->issued,
		a->rq->remote, a->rs->status) != 0)
		fprintf(stderr, "kyso-ra: audit insert failed\n");
	a->issued[0] = '\0';
	a->discard_why = NULL;
}

/* Handlers that check before they write (activation completion) open the
 * transaction late; the others get it from the dispatcher. */
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
