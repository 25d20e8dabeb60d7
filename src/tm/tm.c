/* libkysotm's session and the helpers every flow uses: how a stop is
 * reported, how a secret is asked, the RA server's API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"
#include "common/i18n.h"
#include "common/secret.h"
#include "tm_int.h"

/* A session is what every flow needs before it starts: the module and
 * slot (from the face, which found the token) and the RA server. */
int
tm_new(struct p11 *p, CK_SLOT_ID slot, struct tm_session **out)
{
	struct tm_session *t;

	if (p == NULL)
		return KYSO_ERR_INVALID;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return KYSO_ERR_NOMEM;
	t->p11 = p;
	t->slot = slot;
	*out = t;
	return 0;
}

/* Frees the session; the module stays the face's. */
void
tm_free(struct tm_session *t)
{
	if (t == NULL)
		return;
	free(t->ra_url);
	free(t->ra_ca_file);
	free(t);
}

/* The face resolves the RA's address (options, kyso.conf) and checks it;
 * the library only keeps a copy. */
int
tm_set_ra(struct tm_session *t, const char *url, const char *ca_file)
{
	char *u = NULL, *c = NULL;

	if (url == NULL)
		return KYSO_ERR_INVALID;
	if ((u = strdup(url)) == NULL ||
	    (ca_file != NULL && (c = strdup(ca_file)) == NULL)) {
		free(u);
		return KYSO_ERR_NOMEM;
	}
	free(t->ra_url);
	free(t->ra_ca_file);
	t->ra_url = u;
	t->ra_ca_file = c;
	return 0;
}

/* One place fills the why of a stop, so that err and why agree. */
int
tm_fail(struct tm_result *res, enum tm_why why, int err)
{
	res->why = why;
	res->err = err;
	return err;
}

/* A token refusal: the kyso error for callers, the CK_RV for faces that
 * word each PKCS#11 answer, and what a wrong PIN leaves. */
int
tm_fail_token(struct tm_session *t, struct tm_result *res, enum tm_op op, int err)
{
	struct p11_pin_info pi;

	res->op = op;
	res->rv = p11_last_rv(t->p11);
	if (err == KYSO_ERR_PIN_LOCKED)
		res->tries_left = 0;
	else if (err == KYSO_ERR_PIN_INCORRECT &&
	    p11_pin_info(t->p11, t->slot,
		res->secret == TM_SECRET_SO_PIN ? CKU_SO : CKU_USER, &pi) == 0) {
		res->tries_left = pi.tries_left;
		res->count_low = pi.count_low;
	}
	return tm_fail(res, TM_WHY_TOKEN, err);
}

/* The login every flow that changes the token starts with: a locked PIN
 * is not asked; else the PIN is asked, wiped after the module saw it, and
 * a refusal worded as a token refusal of TM_OP_LOGIN with the tries the
 * token has left. */
int
tm_login(struct tm_session *t, CK_USER_TYPE who, const struct tm_ui *ui,
    struct tm_result *res, CK_SESSION_HANDLE *out)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	char *pin = NULL;
	int r;

	if ((r = tm_pin_unlocked(t, who, res)) != 0 ||
	    (r = tm_ask_secret(ui, who == CKU_SO ? TM_SECRET_SO_PIN : TM_SECRET_PIN,
		 res, &pin)) != 0)
		goto out;
	res->secret = who == CKU_SO ? TM_SECRET_SO_PIN : TM_SECRET_PIN;
	tm_progress(ui, TM_STEP_LOGGING_IN, res);
	if ((r = p11_session_open(t->p11, t->slot, 1, &s)) != 0) {
		s = CK_INVALID_HANDLE;
		tm_fail_token(t, res, TM_OP_OPEN, r);
		goto out;
	}
	if ((r = p11_session_login(t->p11, s, who, pin, NULL)) != 0) {
		tm_fail_token(t, res, TM_OP_LOGIN, r);
		p11_session_close(t->p11, s);
		goto out;
	}
	*out = s;
	r = 0;
out:
	secret_free(pin);
	return r;
}

/* Every flow ends logged out, whatever path it took. */
void
tm_close(struct tm_session *t, CK_SESSION_HANDLE s)
{
	if (s == CK_INVALID_HANDLE)
		return;
	p11_logout(t->p11, s);
	p11_session_close(t->p11, s);
}

/* Secrets come from the face and are ours to wipe from here on. An
 * empty activation code or OTP counts as none; an empty PIN goes to the
 * token, which judges it (kyso-token always did so). */
int
tm_ask_secret(const struct tm_ui *ui, enum tm_secret what,
    struct tm_result *res, char **out)
{
	char *s = NULL;
	int code = what == TM_SECRET_CODE || what == TM_SECRET_OTP;

	if (ui->ask_secret == NULL || ui->ask_secret(ui->ud, what, &s) != 0 ||
	    s == NULL || (code && *s == '\0')) {
		secret_free(s);
		res->secret = what;
		return tm_fail(res, TM_WHY_NO_SECRET, KYSO_ERR_NOT_FOUND);
	}
	*out = s;
	return 0;
}

/* Checked between the steps that take time or touch the token. */
int
tm_check_cancel(const struct tm_ui *ui, struct tm_result *res)
{
	if (ui->cancelled != NULL && ui->cancelled(ui->ud))
		return tm_fail(res, TM_WHY_CANCELLED, KYSO_ERR_INVALID);
	return 0;
}

/* Progress is optional for a face. */
void
tm_progress(const struct tm_ui *ui, enum tm_step step, const struct tm_result *res)
{
	if (ui->progress != NULL)
		ui->progress(ui->ud, step, res);
}

/* Every flow starts from the token's current flags (factory PIN, lock)
 * and names the token by serial. */
int
tm_token_info(struct tm_session *t, CK_TOKEN_INFO *ti, struct tm_result *res)
{
	int r;

	if ((r = p11_token_info(t->p11, t->slot, ti)) != 0)
		return tm_fail_token(t, res, TM_OP_INFO, r);
	p11_str(ti->serialNumber, sizeof(ti->serialNumber), res->token_serial);
	return 0;
}

/* Copies a JSON string member into a fixed field, cut to fit. */
static void
copy_member(char *dst, size_t n, json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	snprintf(dst, n, "%s", s != NULL ? s : "");
}

/* The RA's refusals carry an error word and an English message; the face
 * words what a subscriber can do about them. */
int
tm_ra_post(const struct tm_session *t, const char *path, json_t *req,
    json_t **resp, struct tm_result *res)
{
	struct http_opts o = { t->ra_ca_file, 0 };
	char *url = NULL;
	size_t n;
	json_t *j = NULL;
	long st = 0;
	int r;

	if (t->ra_url == NULL)
		return tm_fail(res, TM_WHY_RA_UNREACHABLE, KYSO_ERR_INVALID);
	if (req == NULL)
		return tm_fail(res, TM_WHY_INTERNAL, KYSO_ERR_NOMEM);
	n = strlen(t->ra_url);
	while (n > 0 && t->ra_url[n - 1] == '/')
		n--;
	if (asprintf(&url, "%.*s%s", (int)n, t->ra_url, path) < 0)
		return tm_fail(res, TM_WHY_INTERNAL, KYSO_ERR_NOMEM);
	r = http_post_json(url, &o, req, &st, &j);
	free(url);
	res->http_status = st;
	if (r != 0) {
		/* Empty when curl said nothing: the face words err. */
		snprintf(res->ra_message, sizeof(res->ra_message), "%s",
		    http_last_error());
		res->net_fail = (int)http_last_fail();
		return tm_fail(res, TM_WHY_RA_UNREACHABLE, r);
	}
	if (st < 200 || st > 299) {
		copy_member(res->ra_error, sizeof(res->ra_error), j, "error");
		copy_member(res->ra_message, sizeof(res->ra_message), j,
		    "message");
		json_decref(j);
		return tm_fail(res, TM_WHY_RA_REFUSED, KYSO_ERR_PERMISSION);
	}
	*resp = j;
	return 0;
}

/* One list for every face: the RA's refusal codes a subscriber may meet,
 * each with what to do, as static untranslated sentences (N_) that the
 * face translates, as libkysosign's *why. */
const char *
tm_refusal_text(const char *code)
{
	static const struct {
		const char *code, *text;
	} t[] = {
		{ "code_invalid",
		    N_("the activation code is wrong, already "
		       "used or expired; ask the CA for a new one") },
		{ "token_in_use",
		    N_("this token already holds another "
		       "subscriber's certificate; use your own token, or ask "
		       "the CA") },
		{ "key_type_mismatch",
		    N_("the key made on the token is not of "
		       "the type the CA registered") },
		{ "key_unacceptable",
		    N_("the token made a key the CA does not "
		       "accept") },
		{ "otp_invalid",
		    N_("the one-time code is wrong or expired; "
		       "after three wrong tries, request a new one") },
		{ "rate_limited",
		    N_("too many requests; wait a few minutes "
		       "and try again") },
		{ "busy", N_("the CA's server is busy; try again") },
	};
	size_t i;

	for (i = 0; code != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(code, t[i].code) == 0)
			return t[i].text;
	return NULL;
}
