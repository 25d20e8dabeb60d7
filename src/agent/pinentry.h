/* kyso-agent's native dialogs: a pinentry program (GnuPG's Assuan
 * protocol on its stdin and stdout) started for one dialog and ended with
 * BYE. The program comes from kyso.conf `pinentry`, $KYSO_PINENTRY (tests)
 * or `pinentry` on PATH; never from a request. While a dialog waits, a
 * watched descriptor (the network side's socket) may abort it: the
 * program is then killed, so the dialog closes on the user's screen. */
#ifndef KYSO_AGENT_PINENTRY_H
#define KYSO_AGENT_PINENTRY_H

#include "common/err.h"

struct pinentry;

/* How a dialog ended when the call itself worked. */
enum pinentry_answer {
	PINENTRY_OK = 0,      /* OK pressed, or a PIN given */
	PINENTRY_CANCEL = 1,  /* Cancel pressed or the window closed */
	PINENTRY_TIMEOUT = 2, /* left open past the timeout */
	PINENTRY_ABORT = 3,   /* the watch callback asked to end it */
	PINENTRY_CLOSED = 4,  /* the program ended without an answer */
};

/* Called when the watched descriptor is readable; nonzero ends the
 * dialog with PINENTRY_ABORT. */
typedef int (*pinentry_watch_fn)(void *ud);

/* Starts prog (NULL: "pinentry") and reads its greeting; the dialog may
 * stay open timeout_s seconds in all. */
int pinentry_start(const char *prog, unsigned timeout_s,
    struct pinentry **out) KYSO_WUR;
/* Sends BYE, waits briefly, kills what is left; accepts NULL. */
void pinentry_free(struct pinentry *pe);
/* While waiting for an answer, fd readable calls fn(ud). */
void pinentry_watch(struct pinentry *pe, int fd, pinentry_watch_fn fn, void *ud);
/* One setting line: "SETTITLE", "SETDESC", "SETOK", "SETCANCEL",
 * "SETPROMPT", "SETERROR"; arg is percent-escaped here and cut, at a
 * UTF-8 boundary, to fit Assuan's line. */
int pinentry_set(struct pinentry *pe, const char *cmd, const char *arg) KYSO_WUR;
/* CONFIRM: *ans PINENTRY_OK when the user chose OK. */
int pinentry_confirm(struct pinentry *pe, enum pinentry_answer *ans) KYSO_WUR;
/* GETPIN: on PINENTRY_OK *pin is a new string (free with secret_free);
 * every copy on the way is wiped. */
int pinentry_getpin(struct pinentry *pe, enum pinentry_answer *ans,
    char **pin) KYSO_WUR;

#endif
