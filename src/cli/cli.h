/* What the kyso-token subcommands share: options, exit codes, PIN input,
 * opening the module and the token. */
#ifndef KYSO_CLI_H
#define KYSO_CLI_H

#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "common/config.h"
#include "common/err.h"
#include "common/i18n.h"
#include "p11/p11.h"
#include "tm/tm.h"

/* Exit codes: stable, documented in kyso-token(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_NO_TOKEN = 3,
	EXIT_PIN_INCORRECT = 4,
	EXIT_PIN_LOCKED = 5,
	EXIT_PIN_MISMATCH = 6,
	EXIT_PIN_INVALID = 7,
	EXIT_DECLINED = 8,
	EXIT_CHECK_DEFAULT_PIN = 10,
	EXIT_CHECK_EXPIRING = 11,
	EXIT_CHECK_EXPIRED = 12,
	EXIT_CHECK_LOCKED = 13,
};

struct cli {
	const char *cmd;
	const char *module;
	const char *token;
	int json;
	int pin_fd;
	int new_pin_fd;
	int so_pin_fd;
	struct p11 *p11;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
};

/* The options every subcommand takes; add these to a getopt table. */
#define CLI_COMMON_OPTIONS                                  \
	{ "help", no_argument, NULL, 'h' },                 \
	    { "module", required_argument, NULL, 'M' },     \
	    { "token", required_argument, NULL, 'T' },      \
	    { "json", no_argument, NULL, 'J' },             \
	    { "pin-fd", required_argument, NULL, 'P' },     \
	    { "new-pin-fd", required_argument, NULL, 'N' }, \
	{                                                   \
		"so-pin-fd", required_argument, NULL, 'S'   \
	}

#define CLI_DONE 100 /* --help was printed: exit 0 */

typedef int (*cli_opt_fn)(struct cli *c, int opt, const char *arg, void *ud);
/* Parses argv with opts (which include CLI_COMMON_OPTIONS); fn gets the
 * command's own options. Returns EXIT_OK, CLI_DONE or an exit code. */
int cli_parse(struct cli *c, int argc, char **argv, const struct option *opts,
    const char *help, cli_opt_fn fn, void *ud);
/* The same with short options beyond -h (getopt syntax, "h" included). */
int cli_parse_short(struct cli *c, int argc, char **argv, const char *shortopts,
    const struct option *opts, const char *help, cli_opt_fn fn, void *ud);

/* Handles a common option; -1 when opt is not one. Returns an exit code
 * otherwise (EXIT_OK to go on). */
int cli_common_option(struct cli *c, int opt, const char *arg);
void cli_init(struct cli *c, const char *cmd);
void cli_done(struct cli *c);
/* Prints a message for an unexpected option or argument; EXIT_USAGE. */
int cli_usage_error(const struct cli *c, const char *what);

/* Loads the module and selects the token (--token, or the only one). */
int cli_open_token(struct cli *c);
int cli_open_module(struct cli *c);
/* Opens a session and logs the user in with a PIN from --pin-fd or a
 * prompt. */
int cli_login(struct cli *c, CK_SESSION_HANDLE *s, int rw);
/* The exit code and message for a failed PKCS#11 call. */
int cli_fail_rv(const struct cli *c, const char *what, CK_RV rv);
/* The same for the last failed p11_* call on c->p11 (p11_last_rv). */
int cli_fail_p11(const struct cli *c, const char *what);

/* Asks yes/no on the terminal; 0 when there is none. */
int cli_confirm(const char *question);

/* The --json output: one object printed at the end. */
void cli_json_print(json_t *j);
/* The token's PIN state as a machine word: "ok", "default-pin",
 * "count-low", "final-try", "locked". */
const char *cli_pin_state(const CK_TOKEN_INFO *ti);

int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_change_pin(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_certs(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_vtoken(int argc, char **argv);

/* change-pin's work: libkysotm's flow with the terminal face. */
int cli_change_pin(struct cli *c);
/* check's work on one slot, shared with watch. */
int cli_check_slot(struct cli *c, int interactive, long warn_days);
/* check's options, which watch takes too: --warn-days N ('w'), --batch
 * ('b'). */
struct cli_check_opts {
	long warn_days;
	int batch;
};
int cli_check_opt(struct cli *c, int opt, const char *arg, void *ud);
/* warn_days from kyso.conf, else 30. */
long cli_warn_days_default(void);

/* Talking to the CA's RA server (kyso-ra): where it is. */
struct ra_client {
	const char *url;     /* --ra, else ra_url in kyso.conf */
	const char *ca_file; /* --ra-ca, else ra_ca in kyso.conf */
	struct config *cfg;
};

#define CLI_RA_OPTIONS                                \
	{ "ra", required_argument, NULL, 'R' },       \
	{                                             \
		"ra-ca", required_argument, NULL, 'A' \
	}

/* Handles --ra/--ra-ca; -1 when opt is not one of them. */
int cli_ra_option(struct ra_client *ra, int opt, const char *arg);
/* Fills what the options left from kyso.conf; EXIT_USAGE when no URL. */
int cli_ra_ready(const struct cli *c, struct ra_client *ra);
void cli_ra_done(struct ra_client *ra);

/* kyso-token as the terminal face of libkysotm (tm_term.c): the
 * callbacks a flow asks through, and its results in kyso-token's words
 * and exit codes. */
struct tm_term {
	struct tm_ui ui; /* ud points back here */
	struct cli *c;
	const struct ra_client *ra; /* for the flows that talk to the RA */
	int pin_fd, new_pin_fd, so_pin_fd;
	int code_fd;	   /* --code-fd: the activation code */
	int otp_fd;	   /* --otp-fd: the PIN reset's OTP */
	int enrolling;	   /* register/renew/update: the factory PIN
			    * must go before anything else */
	int yes;	   /* --yes: accept the details unasked */
	int interactive;   /* check: may offer to change the PIN */
	const char *email; /* forgot-pin: where the OTP went */
	int code_refused;  /* the typed code failed its local check
			    * (already said) */
	int otp_asks;	   /* OTPs asked so far in this run */
};

/* A line a person types and sees (an activation code, an answer): from
 * fd when a script gave one, else echoed on the terminal, else a line of
 * standard input. As secret_read: a malloc'd string, wiped by the
 * caller. */
int cli_ask_line(int fd, const char *prompt, char **out);

/* The callbacks, the file descriptors from c's options. */
void tm_term_init(struct tm_term *tt, struct cli *c);
/* A libkysotm session on c's token (and tt->ra's server). */
int tm_term_session(struct tm_term *tt, struct tm_session **out);
/* Says why a flow stopped; the exit code. */
int tm_term_fail(const struct tm_term *tt, const struct tm_result *r);
/* Says that the PIN was reset to the factory PIN (JSON: {key: true,
 * serial}). */
void tm_term_pin_reset(const struct tm_term *tt, const struct tm_result *r,
    const char *key);

int cmd_register(int argc, char **argv);
int cmd_renew(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_forgot_pin(int argc, char **argv);
int cmd_unblock(int argc, char **argv);

#endif
