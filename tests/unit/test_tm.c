/* libkysotm driven by a scripted struct tm_ui (no terminal) against a
 * real virtual token: the factory-PIN check and its offer, change-PIN
 * with a wrong old PIN (tries left), a mismatched confirmation, a PIN
 * the rules refuse, a good change, and a locked PIN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pin.h"
#include "p11/p11.h"
#include "tm/tm.h"
#include "unit.h"

#define SERIAL "tm0001"
#define USER   "24681357"

/* What the scripted face answers and what it saw. */
struct script {
	const char *old_pin, *new_pin, *again; /* NULL: none given */
	int yes; /* the answer to every question */
	int asked[TM_SECRET_OTP + 1];
	int choices;
	int changed, not_changed;
};

/* Hands over a copy, as a face must (the library frees it). */
static int
scripted_secret(void *ud, enum tm_secret what, char **out)
{
	struct script *sc = ud;
	const char *v = NULL;

	sc->asked[what]++;
	switch (what) {
	case TM_SECRET_OLD_PIN: v = sc->old_pin; break;
	case TM_SECRET_NEW_PIN: v = sc->new_pin; break;
	case TM_SECRET_NEW_PIN_AGAIN: v = sc->again; break;
	default: break;
	}
	if (v == NULL)
		return KYSO_ERR_NOT_FOUND;
	return (*out = strdup(v)) != NULL ? 0 : KYSO_ERR_NOMEM;
}

static int
scripted_choice(void *ud, enum tm_question q, const struct tm_result *r)
{
	struct script *sc = ud;

	(void)q;
	(void)r;
	sc->choices++;
	return sc->yes;
}

static void
scripted_progress(void *ud, enum tm_step step, const struct tm_result *r)
{
	struct script *sc = ud;

	(void)r;
	if (step == TM_STEP_PIN_CHANGED)
		sc->changed++;
	else if (step == TM_STEP_PIN_NOT_CHANGED)
		sc->not_changed++;
}

/* A fresh script and the ui that reads it. */
static void
script(struct script *sc, struct tm_ui *ui, const char *old_pin,
    const char *new_pin, const char *again, int yes)
{
	memset(sc, 0, sizeof(*sc));
	sc->old_pin = old_pin;
	sc->new_pin = new_pin;
	sc->again = again;
	sc->yes = yes;
	memset(ui, 0, sizeof(*ui));
	ui->ud = sc;
	ui->ask_secret = scripted_secret;
	ui->ask_choice = scripted_choice;
	ui->progress = scripted_progress;
}

/* A plugged-in virtual token with 3 user tries, made the way the shell
 * tests make one. */
static int
make_token(const char *build)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	    "printf '87654321\\n' | '%s/bin/kyso-token' "
	    "vtoken create --serial " SERIAL " --kdf-cost 10 --user-retries 3 "
	    "--plug --so-pin-fd 0 >/dev/null",
	    build);
	return system(cmd) == 0 ? 0 : -1;
}

/* The factory PIN: found, offered, declined, then changed on the offer. */
static void
test_factory_pin(struct tm_session *t, struct tm_result *res)
{
	struct script sc;
	struct tm_ui ui;

	script(&sc, &ui, NULL, NULL, NULL, 0);
	CHECK_ERR(tm_check(t, 30, &ui, res), 0);
	CHECK(strcmp(res->token_serial, SERIAL) == 0);
	CHECK(sc.choices == 1);
	CHECK(res->nfindings == 1 &&
	    res->findings[0].kind == TM_FINDING_FACTORY_PIN);
	/* Enrolment stops before it asks anything else. */
	script(&sc, &ui, NULL, NULL, NULL, 0);
	CHECK_ERR(tm_register(t, &ui, res), KYSO_ERR_PERMISSION);
	CHECK(res->why == TM_WHY_FACTORY_PIN);
	CHECK(sc.asked[TM_SECRET_PIN] == 0);
	/* Yes, but the new PIN is the factory PIN: refused, not changed. */
	script(&sc, &ui, KYSO_FACTORY_PIN, KYSO_FACTORY_PIN, KYSO_FACTORY_PIN, 1);
	CHECK_ERR(tm_check(t, 30, &ui, res), 0);
	CHECK(sc.not_changed == 1 && sc.changed == 0);
	CHECK(res->nfindings == 1 &&
	    res->findings[0].kind == TM_FINDING_FACTORY_PIN);
	/* Yes, with a good new PIN: no finding left. */
	script(&sc, &ui, KYSO_FACTORY_PIN, USER, USER, 1);
	CHECK_ERR(tm_check(t, 30, &ui, res), 0);
	CHECK(sc.changed == 1);
	CHECK(res->nfindings == 0);
}

/* change-PIN's refusals, before and by the token. */
static void
test_change_pin(struct tm_session *t, struct tm_result *res)
{
	struct script sc;
	struct tm_ui ui;

	/* A confirmation that differs costs no try. */
	script(&sc, &ui, USER, "11223344", "11223355", 0);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_INVALID);
	CHECK(res->why == TM_WHY_PIN_MISMATCH);
	script(&sc, &ui, USER, "123", "123", 0);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_INVALID);
	CHECK(res->why == TM_WHY_PIN_LENGTH && res->pin_min > 3);
	script(&sc, &ui, NULL, NULL, NULL, 0);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_NOT_FOUND);
	CHECK(res->why == TM_WHY_NO_SECRET && res->secret == TM_SECRET_OLD_PIN);
	/* A wrong old PIN: the token counts it. 3 tries: unknown, then 1. */
	script(&sc, &ui, "99999999", "11223344", "11223344", 0);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_PIN_INCORRECT);
	CHECK(res->why == TM_WHY_TOKEN && res->op == TM_OP_CHANGE_PIN);
	CHECK(res->rv == CKR_PIN_INCORRECT);
	CHECK(res->tries_left == P11_TRIES_UNKNOWN);
	script(&sc, &ui, "99999999", "11223344", "11223344", 0);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_PIN_INCORRECT);
	CHECK(res->tries_left == 1);
	/* The right one resets the count. */
	script(&sc, &ui, USER, "11223344", NULL, 0);
	sc.again = "11223344";
	CHECK_ERR(tm_change_pin(t, &ui, res), 0);
	CHECK(res->why == TM_WHY_NONE);
	/* Three wrong ones lock it; the check says so. */
	script(&sc, &ui, "99999999", "55667788", "55667788", 0);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tm_change_pin(t, &ui, res), KYSO_ERR_PIN_INCORRECT);
	CHECK(res->tries_left == 1);
	CHECK(tm_change_pin(t, &ui, res) != 0);
	CHECK(res->tries_left == 0);
	CHECK_ERR(tm_check(t, 30, &ui, res), 0);
	CHECK(res->nfindings == 1 && res->findings[0].kind == TM_FINDING_LOCKED);
}

int
main(void)
{
	const char *build = getenv("KYSO_BUILD");
	char home[] = "/tmp/kyso-unit-tm.XXXXXX", mod[1024], cmd[1100];
	struct p11 *p = NULL;
	struct tm_session *t = NULL;
	struct tm_result *res = calloc(1, sizeof(*res));
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;

	if (build == NULL || res == NULL || mkdtemp(home) == NULL) {
		fprintf(stderr, "KYSO_BUILD must name the build folder\n");
		return 1;
	}
	setenv("KYSO_HOME", home, 1);
	unsetenv("KYSO_MODULE");
	unsetenv("KYSO_SLOTS");
	snprintf(mod, sizeof(mod), "%s/lib/libkyso-pkcs11.so", build);
	CHECK(make_token(build) == 0);
	CHECK_ERR(p11_open(mod, &p), 0);
	if (p != NULL && p11_find_token(p, SERIAL, &slot, &ti) == 0 &&
	    tm_new(p, slot, &t) == 0) {
		test_factory_pin(t, res);
		test_change_pin(t, res);
	} else {
		CHECK(!"the virtual token is there");
	}
	tm_free(t);
	p11_free(p);
	free(res);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	CHECK(system(cmd) == 0);
	return unit_done();
}
