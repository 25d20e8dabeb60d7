/* kyso-agent's token side and supervisor: it holds the PKCS#11 module,
 * the token session of a batch and the dialogs, and answers the network
 * side's framed requests (proto.h) over a socketpair. It never reads HTTP
 * or JSON from pages; it trusts no frame (a malformed one drops the
 * network side, which the supervisor then starts again). */
#ifndef KYSO_AGENT_TOK_H
#define KYSO_AGENT_TOK_H

#include "common/config.h"
#include "common/err.h"

struct tok;

/* The default port web pages call (kyso.conf agent_port). */
#define TOK_DEFAULT_PORT	   28731
/* How long a dialog may stay open (kyso.conf agent_dialog_timeout). */
#define TOK_DEFAULT_DIALOG_TIMEOUT 120

/* A token side for the settings in conf (borrowed: it outlives t). */
int tok_new(const struct config *conf, struct tok **out) KYSO_WUR;
void tok_free(struct tok *t);
/* Tests only: after each signed item wait for the file DIR/step.<index>
 * (10 s at most), so that a test can act between two items. */
void tok_set_test_step(struct tok *t, const char *dir);
/* Answers requests on fd until the peer closes it, sends a frame that is
 * not well-formed, or SIGTERM came: then returns (0 on a clean close). */
int tok_serve_fd(struct tok *t, int fd) KYSO_WUR;

/* `kyso-agent serve`: binds the listeners, starts the network side
 * (argv0 --net-child) and serves it, starting it again when it dies.
 * Returns the program's exit code. */
int tok_supervise(const struct config *conf, int foreground);

#endif
