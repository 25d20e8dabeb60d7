/* The PIN flows: change-PIN (seed B1-B4), the offer to change the factory
 * PIN that other flows make, and forgot-PIN (the seed's "Send forgot pin
 * request remotely": an OTP by e-mail, then the CA's server answers the
 * token's unblock challenge and the token resets its PIN to the factory
 * PIN). No PIN or key travels. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/pin.h"
#include "common/secret.h"
#include "tm_int.h"

#define CHALLENGE_LABEL "kyso-unblock-challenge"

/* PKCS#11 tells the tries only as flags; one reading of them for every
 * flow and face, so that "one try left" and "locked" are said alike. */
void
tm_pin_tries(const CK_TOKEN_INFO *ti, CK_USER_TYPE who, struct tm_result *res)
{
	int so = who == CKU_SO;

	res->tries_left = -1;
	if (ti->flags & (so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED))
		res->tries_left = 0;
	else if (ti->flags & (so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY))
		res->tries_left = 1;
	res->count_low = (ti->flags &
			     (so ? CKF_SO_PIN_COUNT_LOW
				 : CKF_USER_PIN_COUNT_LOW)) != 0;
}

/* Asking a PIN of a locked token only makes the subscriber type a secret
 * for nothing; the flow stops with the lock, worded as a login refusal. */
int
tm_pin_unlocked(struct tm_session *t, CK_USER_TYPE who, struct tm_result *res)
{
	CK_TOKEN_INFO ti;
	int r;

	if ((r = tm_token_info(t, &ti, res)) != 0)
		return r;
	tm_pin_tries(&ti, who, res);
	res->secret = who == CKU_SO ? TM_SECRET_SO_PIN : TM_SECRET_PIN;
	if (res->tries_left != 0)
		return 0;
	res->op = TM_OP_LOGIN;
	res->rv = CKR_PIN_LOCKED;
	return tm_fail(res, TM_WHY_TOKEN, KYSO_ERR_PIN_LOCKED);
}

/* The checks come before the token is asked, so that a mistyped
 * confirmation costs no try; a locked PIN is not asked at all. */
int
tm_change_pin(struct tm_session *t, const struct tm_ui *ui, struct tm_result *res)
{
	char *old = NULL, *pin = NULL, *again = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	size_t n;
	int r;

	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
	if ((r = tm_token_info(t, &ti, res)) != 0 ||
	    (r = tm_pin_unlocked(t, CKU_USER, res)) != 0 ||
	    (r = tm_ask_secret(ui, TM_SECRET_OLD_PIN, res, &old)) != 0 ||
	    (r = tm_ask_secret(ui, TM_SECRET_NEW_PIN, res, &pin)) != 0)
		goto out;
	/* The confirmation: none at all when the face has no such step. */
	if (ui->ask_secret(ui->ud, TM_SECRET_NEW_PIN_AGAIN, &again) != 0) {
		res->secret = TM_SECRET_NEW_PIN_AGAIN;
		r = tm_fail(res, TM_WHY_NO_SECRET, KYSO_ERR_NOT_FOUND);
		goto out;
	}
	if (again != NULL && strcmp(pin, again) != 0) {
		r = tm_fail(res, TM_WHY_PIN_MISMATCH, KYSO_ERR_INVALID);
		goto out;
	}
	n = strlen(pin);
	if (n < ti.ulMinPinLen || n > ti.ulMaxPinLen) {
		res->pin_min = ti.ulMinPinLen;
		res->pin_max = ti.ulMaxPinLen;
		r = tm_fail(res, TM_WHY_PIN_LENGTH, KYSO_ERR_INVALID);
		goto out;
	}
	if (strcmp(pin, KYSO_FACTORY_PIN) == 0 || strcmp(pin, old) == 0) {
		r = tm_fail(res, TM_WHY_PIN_REUSED, KYSO_ERR_INVALID);
		goto out;
	}
	if ((r = tm_check_cancel(ui, res)) != 0)
		goto out;
	if ((r = p11_session_open(t->p11, t->slot, 1, &s)) != 0) {
		s = CK_INVALID_HANDLE;
		tm_fail_token(t, res, TM_OP_OPEN, r);
		goto out;
	}
	/* p11_set_pin wipes both; secret_free below wipes again, harmless. */
	if ((r = p11_set_pin(t->p11, s, old, pin)) != 0) {
		tm_fail_token(t, res, TM_OP_CHANGE_PIN, r);
		goto out;
	}
	r = 0;
out:
	p11_session_close(t->p11, s);
	secret_free(old);
	secret_free(pin);
	secret_free(again);
	res->err = r;
	return r;
}

/* Register and the plug-in checks offer to change the factory PIN on the
 * spot; the change's own outcome goes to the face as a step. */
int
tm_offer_pin_change(struct tm_session *t, const struct tm_ui *ui,
    const struct tm_result *res)
{
	struct tm_result *sub;
	int changed;

	if (ui->ask_choice == NULL ||
	    !ui->ask_choice(ui->ud, TM_ASK_CHANGE_FACTORY_PIN, res))
		return 0;
	if ((sub = calloc(1, sizeof(*sub))) == NULL)
		return 0;
	changed = tm_change_pin(t, ui, sub) == 0;
	tm_progress(ui, changed ? TM_STEP_PIN_CHANGED : TM_STEP_PIN_NOT_CHANGED,
	    sub);
	free(sub);
	return changed;
}

/* The token's current unblock challenge, as hex. */
static int
read_challenge(struct tm_session *t, CK_SESSION_HANDLE s, char **hex)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, CHALLENGE_LABEL, sizeof(CHALLENGE_LABEL) - 1 },
	};
	CK_OBJECT_HANDLE h;
	struct buf *v = NULL, *out = NULL;
	int r;

	if ((r = p11_find_one(t->p11, s, tmpl, 2, &h)) != 0)
		goto out;
	if ((r = p11_get_attr(t->p11, s, h, CKA_VALUE, &v)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((out = buf_new(1024)) == NULL)
		goto out;
	if ((r = hex_encode(out, buf_ptr(v), buf_len(v))) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((*hex = buf_to_cstr(out)) == NULL)
		goto out;
	r = 0;
out:
	buf_free(v);
	buf_free(out);
	return r;
}

/* The OTP, asked again after a refusal up to the server's limit: a typo
 * should not cost a new OTP (a new request voids the old one). The
 * challenge stays the same until the SO login, so it is read once. */
static int
confirm_otp(struct tm_session *t, const char *challenge, char *otp,
    const struct tm_ui *ui, struct tm_result *res, json_t **resp)
{
	json_t *req;
	int r = 0, i;

	for (i = 0; i < TM_OTP_TRIES; i++) {
		/* The first OTP came with the call (otp, ours to wipe). */
		if (i > 0 && tm_ask_secret(ui, TM_SECRET_OTP, res, &otp) != 0) {
			/* None after a refusal: the refusal is the news. */
			return tm_fail(res, TM_WHY_RA_REFUSED,
			    KYSO_ERR_PERMISSION);
		}
		if ((r = tm_check_cancel(ui, res)) != 0) {
			secret_free(otp);
			return r;
		}
		req = json_pack("{s:s,s:s,s:s}", "token_serial",
		    res->token_serial, "otp", otp, "challenge", challenge);
		r = tm_ra_post(t, "/api/v1/pin-reset/confirm", req, resp, res);
		json_decref(req);
		secret_free(otp);
		otp = NULL;
		if (r == 0 || res->why != TM_WHY_RA_REFUSED ||
		    strcmp(res->ra_error, "otp_invalid") != 0)
			return r;
	}
	return r;
}

/* The OTP proves the e-mail; the CA's answer to the challenge proves the
 * CA; the token then lets the reset happen as its security officer. */
int
tm_forgot_pin(struct tm_session *t, const struct tm_who *who,
    const struct tm_ui *ui, struct tm_result *res)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	char *otp = NULL, *challenge = NULL;
	json_t *req = NULL, *resp = NULL, *ttl;
	const char *answer;
	char *so = NULL;
	int r;

	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
	if ((r = tm_token_info(t, &ti, res)) != 0)
		goto out;
	/* The request: an OTP goes to the e-mail if the details match. */
	tm_progress(ui, TM_STEP_SENDING_REQUEST, res);
	req = json_pack("{s:s,s:s,s:s,s:s}", "type",
	    who->organization ? "organization" : "personal",
	    who->organization ? "tax_code" : "id_number", who->id, "email",
	    who->email, "token_serial", res->token_serial);
	if ((r = tm_ra_post(t, "/api/v1/pin-reset/request", req, &resp, res)) != 0)
		goto out;
	ttl = json_object_get(resp, "expires_in");
	/* An older server says nothing: then no lifetime is told. */
	if (json_is_integer(ttl) && json_integer_value(ttl) > 0 &&
	    json_integer_value(ttl) <= TM_OTP_TTL_MAX)
		res->otp_ttl = (long)json_integer_value(ttl);
	tm_progress(ui, TM_STEP_OTP_SENT, res);
	if ((r = tm_ask_secret(ui, TM_SECRET_OTP, res, &otp)) != 0 ||
	    (r = tm_check_cancel(ui, res)) != 0)
		goto out;
	/* The challenge-response unblock. */
	if ((r = p11_session_open(t->p11, t->slot, 1, &s)) != 0) {
		s = CK_INVALID_HANDLE;
		tm_fail_token(t, res, TM_OP_OPEN, r);
		goto out;
	}
	if (read_challenge(t, s, &challenge) != 0) {
		r = tm_fail(res, TM_WHY_NO_CHALLENGE, KYSO_ERR_UNSUPPORTED);
		goto out;
	}
	json_decref(resp);
	resp = NULL;
	r = confirm_otp(t, challenge, otp, ui, res, &resp);
	otp = NULL; /* confirm_otp wiped it */
	if (r != 0)
		goto out;
	tm_progress(ui, TM_STEP_RESETTING_PIN, res);
	answer = json_string_value(json_object_get(resp, "response"));
	/* The answer is the SO's one-time PIN: p11 wipes what it is given. */
	if (answer == NULL || (so = strdup(answer)) == NULL ||
	    p11_session_login(t->p11, s, CKU_SO, so, NULL) != 0) {
		r = tm_fail(res, TM_WHY_ANSWER_REFUSED, KYSO_ERR_PERMISSION);
		goto out;
	}
	if ((r = p11_init_pin(t->p11, s, KYSO_FACTORY_PIN)) != 0) {
		tm_fail_token(t, res, TM_OP_RESET_PIN, r);
		goto out;
	}
	r = 0;
out:
	tm_close(t, s);
	secret_free(so);
	secret_free(otp);
	free(challenge);
	json_decref(req);
	json_decref(resp);
	res->err = r;
	return r;
}
