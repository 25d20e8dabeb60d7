/* kyso-token forgot-pin: the seed's "Send forgot pin request remotely".
 * Personal or organization, ID card number or tax code and the contact
 * e-mail are asked here; the flow is libkysotm's tm_forgot_pin (an OTP
 * comes by e-mail; with it the CA's server answers the token's unblock
 * challenge and the token resets its PIN to the factory PIN, which must
 * then be changed). No PIN or key travels. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/parse.h"

struct forgot {
	struct ra_client ra;
	const char *type;
	const char *id;
	const char *email;
	int otp_fd;
};

/* --type, --id, --email, --otp-fd and the RA's options. */
static int
forgot_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct forgot *f = ud;
	uint64_t v;
	int ex;

	if ((ex = cli_ra_option(&f->ra, opt, arg)) != -1)
		return ex;
	switch (opt) {
	case 't':
		if (strcmp(arg, "personal") != 0 &&
		    strcmp(arg, "organization") != 0)
			return cli_usage_error(c,
			    _("--type is personal or organization"));
		f->type = arg;
		return EXIT_OK;
	case 'i': f->id = arg; return EXIT_OK;
	case 'e': f->email = arg; return EXIT_OK;
	case 'O':
		if (parse_u64(arg, 0, 1024, &v) != 0)
			return cli_usage_error(c,
			    _("--otp-fd needs a file descriptor number"));
		f->otp_fd = (int)v;
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	CLI_RA_OPTIONS,
	{ "type", required_argument, NULL, 't' },
	{ "id", required_argument, NULL, 'i' },
	{ "email", required_argument, NULL, 'e' },
	{ "otp-fd", required_argument, NULL, 'O' },
	{ NULL, 0, NULL, 0 },
};

/* Asks for a value not given as an option (not secret: echoed). */
static char *
ask(const char *given, const char *prompt)
{
	char line[256];

	if (given != NULL)
		return strdup(given);
	if (!isatty(STDIN_FILENO))
		return NULL;
	fputs(prompt, stdout);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return NULL;
	line[strcspn(line, "\r\n")] = '\0';
	return line[0] != '\0' ? strdup(line) : NULL;
}

/* The identity, asked when not given, then the flow. */
int
cmd_forgot_pin(int argc, char **argv)
{
	struct cli c;
	struct forgot f;
	struct tm_term tt;
	struct tm_session *t = NULL;
	struct tm_result *r = NULL;
	struct tm_who who;
	char *type = NULL, *id = NULL, *email = NULL;
	int ex;

	memset(&f, 0, sizeof(f));
	f.otp_fd = -1;
	cli_init(&c, "forgot-pin");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token forgot-pin [--type personal|organization] [--id NUMBER]\n"
	      "                             [--email ADDRESS] [--otp-fd N] [--ra URL]\n"
	      "Resets a forgotten or locked PIN with the CA's help:\n"
	      "  1. personal (ID card number, CCCD/CMND) or organization (tax code, MST);\n"
	      "  2. the number and the contact e-mail registered with the CA;\n"
	      "  3. the CA e-mails a one-time code (OTP);\n"
	      "  4. enter the OTP: the token's PIN is reset to the factory PIN 12345678,\n"
	      "     which you must then change ('kyso-token change-pin').\n"
	      "  --ra URL, --ra-ca FILE   the CA's server (default: ra_url in kyso.conf)\n"
	      "  --otp-fd N               read the OTP from file descriptor N\n\n"),
	    forgot_opt, &f);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_ra_ready(&c, &f.ra)) != EXIT_OK ||
	    (ex = cli_open_token(&c)) != EXIT_OK)
		goto out;
	/* Steps 1 and 2. */
	if ((type = ask(f.type,
		 _("Personal or organization? [personal/organization]: "))) ==
		NULL ||
	    (strcmp(type, "personal") != 0 && strcmp(type, "organization") != 0)) {
		ex = cli_usage_error(&c,
		    _("say --type personal or --type organization"));
		goto out;
	}
	if ((id = ask(f.id,
		 strcmp(type, "personal") == 0 ? _("ID card number (CCCD/CMND): ")
					       : _("Tax code (MST): "))) == NULL ||
	    (email = ask(f.email, _("Contact e-mail: "))) == NULL) {
		ex = cli_usage_error(&c, _("give --id and --email"));
		goto out;
	}
	/* Steps 3 and 4: the request, the OTP, the unblock. */
	who.organization = strcmp(type, "organization") == 0;
	who.id = id;
	who.email = email;
	tm_term_init(&tt, &c);
	tt.ra = &f.ra;
	tt.otp_fd = f.otp_fd;
	tt.email = email;
	if ((ex = tm_term_session(&tt, &t)) != EXIT_OK)
		goto out;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ex = EXIT_FAIL;
		goto out;
	}
	if (tm_forgot_pin(t, &who, &tt.ui, r) != 0) {
		ex = tm_term_fail(&tt, r);
		goto out;
	}
	if (c.json)
		printf("{\"reset\": true, \"serial\": \"%s\"}\n",
		    r->token_serial);
	else
		printf(_("The PIN of token %s was reset to the factory PIN 12345678.\n"
			 "Change it now with 'kyso-token change-pin' before you sign.\n"),
		    r->token_serial);
	ex = EXIT_OK;
out:
	free(r);
	tm_free(t);
	free(type);
	free(id);
	free(email);
	cli_ra_done(&f.ra);
	cli_done(&c);
	return ex;
}
