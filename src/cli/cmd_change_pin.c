/* kyso-token change-pin: old PIN, new PIN, confirmation (seed B1-B4).
 * The flow is libkysotm's tm_change_pin, run by cli_change_pin
 * (tm_term.c). */
#include "cli.h"

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

/* The options, then the flow on the chosen token. */
int
cmd_change_pin(int argc, char **argv)
{
	struct cli c;
	int ex;

	cli_init(&c, "change-pin");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token change-pin [OPTIONS]\n"
	      "Changes the token PIN: asks the old PIN, the new PIN and the new PIN\n"
	      "again. If the two new PINs differ, nothing changes. A new PIN has 6 to\n"
	      "16 characters and may not be the factory PIN 12345678.\n"
	      "Scripts give the old PIN on --pin-fd and the new PIN, then its\n"
	      "confirmation, as two lines on --new-pin-fd.\n\n"),
	    NULL, NULL);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) == EXIT_OK)
		ex = cli_change_pin(&c);
	cli_done(&c);
	return ex;
}
