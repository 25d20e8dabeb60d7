/* What the files of libkysotm share: the session and the token and RA
 * conversations the flows are made of. Not for the faces. */
#ifndef KYSO_TM_INT_H
#define KYSO_TM_INT_H

#include <jansson.h>

#include "tm.h"

struct tm_session {
	struct p11 *p11; /* borrowed */
	CK_SLOT_ID slot;
	char *ra_url;
	char *ra_ca_file;
};

/* Fills res for a stop: why, err; returns err. */
int tm_fail(struct tm_result *res, enum tm_why why, int err);
/* The same for a token refusal of op: err from src/p11, the module's own
 * answer from p11_last_rv for the faces that word each one. */
int tm_fail_token(struct tm_session *t, struct tm_result *res, enum tm_op op,
    int err);
/* Asks who's PIN (the user's, or the SO's), opens a read-write session
 * and logs in; on failure no session is left open. */
int tm_login(struct tm_session *t, CK_USER_TYPE who, const struct tm_ui *ui,
    struct tm_result *res, CK_SESSION_HANDLE *out) KYSO_WUR;
/* A locked PIN stops a flow before anyone types it: TM_WHY_TOKEN with
 * KYSO_ERR_PIN_LOCKED (rv CKR_PIN_LOCKED, tries_left 0, op TM_OP_LOGIN);
 * otherwise 0, with the tries the token shows in res (pin.c). */
int tm_pin_unlocked(struct tm_session *t, CK_USER_TYPE who,
    struct tm_result *res) KYSO_WUR;
/* Logs out and closes; accepts CK_INVALID_HANDLE. */
void tm_close(struct tm_session *t, CK_SESSION_HANDLE s);
/* A secret from the face; TM_WHY_NO_SECRET when none (or an empty code
 * or OTP). The caller wipes it with secret_free. */
int tm_ask_secret(const struct tm_ui *ui, enum tm_secret what,
    struct tm_result *res, char **out) KYSO_WUR;
/* TM_WHY_CANCELLED when the face wants to stop. */
int tm_check_cancel(const struct tm_ui *ui, struct tm_result *res) KYSO_WUR;
void tm_progress(const struct tm_ui *ui, enum tm_step step,
    const struct tm_result *res);
/* The token's state, and its serial into res->token_serial. */
int tm_token_info(struct tm_session *t, CK_TOKEN_INFO *ti,
    struct tm_result *res) KYSO_WUR;
/* The change-PIN flow on a result of its own, reported to the enclosing
 * flow through TM_STEP_PIN_CHANGED / TM_STEP_PIN_NOT_CHANGED. 1 when
 * the PIN was changed. */
int tm_offer_pin_change(struct tm_session *t, const struct tm_ui *ui,
    const struct tm_result *res);

/* POSTs req to the RA at path; on 2xx 0 and *resp, else
 * TM_WHY_RA_UNREACHABLE or TM_WHY_RA_REFUSED in res. */
int tm_ra_post(const struct tm_session *t, const char *path, json_t *req,
    json_t **resp, struct tm_result *res) KYSO_WUR;

#endif
