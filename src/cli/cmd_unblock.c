/* kyso-token unblock: the security officer's way out of a locked PIN,
 * with no CA and no network: the SO PIN (set when the token was made)
 * logs in as SO and the user PIN is set back to the factory PIN
 * (C_InitPIN), which must then be changed. The flow is libkysotm's
 * tm_unblock; a locked SO PIN is not asked. */
#include <stdlib.h>

#include "cli.h"

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

/* The options, the token, then the flow; the next step is said on
 * success since the factory PIN must go before the token signs. */
int
cmd_unblock(int argc, char **argv)
{
	struct cli c;
	struct tm_term tt;
	struct tm_session *t = NULL;
	struct tm_result *r = NULL;
	int ex;

	cli_init(&c, "unblock");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token unblock [OPTIONS]\n"
	      "Unblocks a locked (or forgotten) token PIN with the token's SO PIN\n"
	      "(the security officer PIN set when the token was made): the PIN is\n"
	      "set back to the factory PIN 12345678, which you must then change\n"
	      "('kyso-token change-pin'). Without the SO PIN, use 'kyso-token\n"
	      "forgot-pin' (the CA e-mails a one-time code).\n"
	      "Scripts give the SO PIN on --so-pin-fd.\n"
	      "Exit codes: 0 unblocked, 1 failed, 2 usage, 3 no token, 4 wrong SO PIN,\n"
	      "5 SO PIN locked.\n\n"),
	    NULL, NULL);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) != EXIT_OK)
		goto out;
	tm_term_init(&tt, &c);
	if ((ex = tm_term_session(&tt, &t)) != EXIT_OK)
		goto out;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ex = EXIT_FAIL;
		goto out;
	}
	if (tm_unblock(t, &tt.ui, r) != 0) {
		ex = tm_term_fail(&tt, r);
		goto out;
	}
	tm_term_pin_reset(&tt, r, "unblocked");
	ex = EXIT_OK;
out:
	free(r);
	tm_free(t);
	cli_done(&c);
	return ex;
}
