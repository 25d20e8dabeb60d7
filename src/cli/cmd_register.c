/* kyso-token register, renew, update: the seed's "Register for
 * certificates" with an activation code, SAFE-CA's TH1 (renewal) and TH2
 * (change of details). The flow is libkysotm's tm_enroll (log in, send
 * the code, show the registered details, make the key pair on the token,
 * send a request signed on the token, install the certificate next to the
 * key); this file holds the options and what is said when it worked. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/parse.h"

struct enroll {
	struct ra_client ra;
	int code_fd;
	int yes;
};

/* --ra, --ra-ca, --code-fd, --yes. */
static int
enroll_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct enroll *e = ud;
	uint64_t v;
	int ex;

	if ((ex = cli_ra_option(&e->ra, opt, arg)) != -1)
		return ex;
	switch (opt) {
	case 'C':
		if (parse_u64(arg, 0, 1024, &v) != 0)
			return cli_usage_error(c,
			    _("--code-fd needs a file descriptor number"));
		e->code_fd = (int)v;
		return EXIT_OK;
	case 'y': e->yes = 1; return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	CLI_RA_OPTIONS,
	{ "code-fd", required_argument, NULL, 'C' },
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 },
};

/* What kyso-token says once the certificate is in. */
static void
say_installed(const struct cli *c, enum tm_kind kind, const struct tm_result *r)
{
	static const char *const word[] = { "new", "renew", "update" };

	if (c->json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "serial", r->cert_serial,
		    "subject", r->subject_dn, "kind", word[kind]);

		cli_json_print(o);
		json_decref(o);
		return;
	}
	if (r->resumed)
		printf(_("The certificate the CA issued earlier, kept until the token had room,\n"
			 "was installed; no activation code was needed.\n"));
	printf(_("The certificate was installed on the token.\n"
		 "  Serial number: %s\n  Valid until:   %s\n"),
	    r->cert_serial, r->valid_until);
	if (kind != TM_KIND_NEW)
		printf(_(
		    "The serial number changed: register the new certificate with the agencies\n"
		    "you file electronically with (tax, customs, invoices). The old certificate\n"
		    "stays on the token and valid unless your CA revokes it.\n"));
}

/* The options, the token and the RA, then the flow. */
static int
enroll(int argc, char **argv, const char *cmd, enum tm_kind kind, const char *help)
{
	struct cli c;
	struct enroll e;
	struct tm_term tt;
	struct tm_session *t = NULL;
	struct tm_result *r = NULL;
	int ex;

	memset(&e, 0, sizeof(e));
	e.code_fd = -1;
	cli_init(&c, cmd);
	ex = cli_parse(&c, argc, argv, opts, help, enroll_opt, &e);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_ra_ready(&c, &e.ra)) != EXIT_OK ||
	    (ex = cli_open_token(&c)) != EXIT_OK)
		goto out;
	tm_term_init(&tt, &c);
	tt.ra = &e.ra;
	tt.code_fd = e.code_fd;
	tt.yes = e.yes;
	tt.enrolling = 1;
	if ((ex = tm_term_session(&tt, &t)) != EXIT_OK)
		goto out;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ex = EXIT_FAIL;
		goto out;
	}
	if (tm_enroll(t, kind, &tt.ui, r) != 0) {
		ex = tm_term_fail(&tt, r);
		goto out;
	}
	say_installed(&c, kind, r);
	ex = EXIT_OK;
out:
	free(r);
	tm_free(t);
	cli_ra_done(&e.ra);
	cli_done(&c);
	return ex;
}

#define ENROLL_OPTS_HELP                                                               \
	N_("  --ra URL          the CA's server (default: ra_url in kyso.conf)\n"      \
	   "  --ra-ca FILE      trust this CA file for the server's TLS certificate\n" \
	   "  --code-fd N       read the activation code from file descriptor N\n"     \
	   "  --yes             accept the registered details without asking\n"        \
	   "Exit codes: 0 installed, 1 failed, 2 usage, 3 no token, 4 wrong PIN,\n"    \
	   "5 PIN locked, 8 details declined, 10 factory PIN still set.\n\n")

/* The three commands differ only in their words and the code's kind. */
static int
enroll_cmd(int argc, char **argv, const char *cmd, enum tm_kind kind,
    const char *intro)
{
	char help[2048];

	snprintf(help, sizeof(help), "%s%s", _(intro), _(ENROLL_OPTS_HELP));
	return enroll(argc, argv, cmd, kind, help);
}

/* kyso-token register. */
int
cmd_register(int argc, char **argv)
{
	return enroll_cmd(argc, argv, "register", TM_KIND_NEW,
	    N_("Usage: kyso-token register [--ra URL] [OPTIONS]\n"
	       "Installs a certificate registered at the CA: logs in to the token, asks\n"
	       "the activation code the CA e-mailed, shows the registered details to\n"
	       "check, makes the key pair on the token, sends a request signed on the\n"
	       "token and installs the certificate and its chain beside the key.\n"));
}

/* kyso-token renew (TH1). */
int
cmd_renew(int argc, char **argv)
{
	return enroll_cmd(argc, argv, "renew", TM_KIND_RENEW,
	    N_("Usage: kyso-token renew [--ra URL] [OPTIONS]\n"
	       "Renews a certificate (TH1) with the activation code the CA e-mailed\n"
	       "after preparing the renewal: shows the renewal period, makes a new key\n"
	       "pair on the token and installs the new certificate. Its serial number\n"
	       "is new; sign pending invoices and declarations first.\n"));
}

/* kyso-token update (TH2). */
int
cmd_update(int argc, char **argv)
{
	return enroll_cmd(argc, argv, "update", TM_KIND_UPDATE,
	    N_("Usage: kyso-token update [--ra URL] [OPTIONS]\n"
	       "Installs a certificate with changed details (TH2) with the activation\n"
	       "code the CA e-mailed: shows the new details, makes a new key pair on\n"
	       "the token and installs the new certificate (new serial number).\n"));
}
