/* kyso-token check: what the Token Manager says when a token is plugged
 * in (seed 000/001): factory PIN not changed, certificate about to expire
 * or expired, PIN locked. The checks are libkysotm's tm_check; the words
 * and exit codes are here. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/config.h"
#include "common/parse.h"

#define DEFAULT_WARN_DAYS 30

/* More severe findings decide the exit code. */
static int
rank(int ex)
{
	switch (ex) {
	case EXIT_CHECK_LOCKED: return 4;
	case EXIT_CHECK_DEFAULT_PIN: return 3;
	case EXIT_CHECK_EXPIRED: return 2;
	case EXIT_CHECK_EXPIRING: return 1;
	}
	return 0;
}

/* Keeps the more severe of two exit codes. */
static void
worse(int *ex, int now)
{
	if (rank(now) > rank(*ex))
		*ex = now;
}

/* The replaced certificates already told about in this process: watch
 * says it once per certificate, not at every plug-in. */
#define REPLACED_MAX 64
static char replaced_told[REPLACED_MAX][80];
static size_t nreplaced_told;

/* True the first time a serial is told (and remembered). */
static int
first_time(const char *serial)
{
	size_t i;

	for (i = 0; i < nreplaced_told; i++)
		if (strcmp(replaced_told[i], serial) == 0)
			return 0;
	if (nreplaced_told < REPLACED_MAX)
		snprintf(replaced_told[nreplaced_told++],
		    sizeof(replaced_told[0]), "%s", serial);
	return 1;
}

/* A certificate a newer one on the token replaced: a note, once; no
 * warning and no exit code of its own. */
static int
say_replaced(const struct cli *c, const struct tm_finding *f, json_t *findings)
{
	if (!first_time(f->serial))
		return EXIT_OK;
	json_array_append_new(findings,
	    json_pack("{s:s,s:s,s:s,s:i}", "finding", "certificate-replaced",
		"subject", f->subject, "serial", f->serial, "days_left",
		f->days_left));
	if (!c->json && f->kind == TM_FINDING_EXPIRED)
		printf(_("The certificate of %s (serial %s) has expired; a newer certificate on this\n"
			 "  token has replaced it, so nothing needs doing. To remove the old one:\n"
			 "  kyso-token certs delete %s\n"),
		    f->subject, f->serial, f->serial);
	else if (!c->json)
		printf(_("The certificate of %s (serial %s) expires soon; a newer certificate on this\n"
			 "  token has replaced it, so nothing needs doing. To remove the old one:\n"
			 "  kyso-token certs delete %s\n"),
		    f->subject, f->serial, f->serial);
	return EXIT_OK;
}

/* What kyso-token says about one finding, and its exit code. */
static int
say_finding(const struct cli *c, const struct tm_finding *f, const char *serial,
    json_t *findings)
{
	int expired;

	switch (f->kind) {
	case TM_FINDING_LOCKED:
		json_array_append_new(findings, json_string("pin-locked"));
		if (!c->json)
			printf(_("Token %s: the PIN is locked after too many wrong tries.\n"
				 "  Request an unblock with 'kyso-token forgot-pin': an OTP is sent to\n"
				 "  your registered e-mail and the PIN is reset to the factory PIN.\n"),
			    serial);
		return EXIT_CHECK_LOCKED;
	case TM_FINDING_FACTORY_PIN:
		json_array_append_new(findings, json_string("default-pin"));
		if (!c->json)
			printf(
			    _("  Run 'kyso-token change-pin' to change it.\n"));
		return EXIT_CHECK_DEFAULT_PIN;
	case TM_FINDING_EXPIRED:
	case TM_FINDING_EXPIRING: break;
	}
	if (f->replaced)
		return say_replaced(c, f, findings);
	expired = f->kind == TM_FINDING_EXPIRED;
	json_array_append_new(findings,
	    json_pack("{s:s,s:s,s:s,s:i}", "finding",
		expired ? "certificate-expired" : "certificate-expiring",
		"subject", f->subject, "serial", f->serial, "days_left",
		f->days_left));
	if (!c->json && expired)
		printf(_("The certificate of %s has EXPIRED: no new signature can be made with it.\n"
			 "  Signatures made while it was valid stay valid when they were time-stamped\n"
			 "  (B-T) or carry their validation data (B-LT).\n"
			 "  Ask your certificate authority for a renewal: it mails you an activation\n"
			 "  code, which you enter with 'kyso-token renew'.\n"),
		    f->subject);
	else if (!c->json)
		printf(_("The certificate of %s expires in %d days. Renew it now: ask your certificate\n"
			 "  authority for a renewal; it mails you an activation code, which you enter\n"
			 "  with 'kyso-token renew'. Sign pending invoices and declarations before the\n"
			 "  new certificate is installed.\n"),
		    f->subject, f->days_left);
	return expired ? EXIT_CHECK_EXPIRED : EXIT_CHECK_EXPIRING;
}

/* check's work on one slot (libkysotm's tm_check), shared with watch:
 * the findings in kyso-token's words, the most severe as exit code. A
 * failure to read the certificates comes after the PIN findings, as the
 * checks ran. */
int
cli_check_slot(struct cli *c, int interactive, long warn_days)
{
	struct tm_term tt;
	struct tm_session *t = NULL;
	struct tm_result *r = NULL;
	json_t *j = NULL, *findings = NULL;
	size_t i;
	int ex, rc;

	tm_term_init(&tt, c);
	tt.interactive = interactive;
	if ((ex = tm_term_session(&tt, &t)) != EXIT_OK)
		return ex;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		tm_free(t);
		return EXIT_FAIL;
	}
	rc = tm_check(t, warn_days, &tt.ui, r);
	if (rc != 0 && r->why == TM_WHY_TOKEN && r->op == TM_OP_INFO) {
		ex = tm_term_fail(&tt, r);
		goto out;
	}
	j = json_object();
	findings = json_array();
	json_object_set_new(j, "serial", json_string(r->token_serial));
	ex = EXIT_OK;
	for (i = 0; i < r->nfindings; i++) {
		const struct tm_finding *f = &r->findings[i];

		if (f->kind == TM_FINDING_EXPIRED ||
		    f->kind == TM_FINDING_EXPIRING)
			continue;
		worse(&ex, say_finding(c, f, r->token_serial, findings));
	}
	if (rc != 0) {
		ex = tm_term_fail(&tt, r);
		goto print;
	}
	for (i = 0; i < r->nfindings; i++) {
		const struct tm_finding *f = &r->findings[i];

		if (f->kind == TM_FINDING_EXPIRED ||
		    f->kind == TM_FINDING_EXPIRING)
			worse(&ex, say_finding(c, f, r->token_serial, findings));
	}
	/* Not "OK" with one try left: the next wrong PIN locks it. */
	if (r->tries_left == 1)
		json_object_set_new(j, "pin_final_try", json_true());
	if (ex == EXIT_OK && !c->json && r->tries_left == 1)
		printf(_("Token %s: one try is left before the PIN locks. If you are not sure of\n"
			 "the PIN, do not guess: run 'kyso-token forgot-pin'.\n"),
		    r->token_serial);
	else if (ex == EXIT_OK && !c->json)
		printf(_("Token %s: OK.\n"), r->token_serial);
print:
	if (c->json) {
		json_object_set_new(j, "findings", findings);
		findings = NULL;
		json_object_set_new(j, "exit", json_integer(ex));
		cli_json_print(j);
	}
out:
	json_decref(findings);
	json_decref(j);
	free(r);
	tm_free(t);
	return ex;
}

/* --warn-days and --batch, which watch takes too. */
int
cli_check_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct cli_check_opts *o = ud;
	uint64_t v;

	switch (opt) {
	case 'w':
		if (parse_u64(arg, 0, 3650, &v) != 0)
			return cli_usage_error(c,
			    _("--warn-days needs a number of days"));
		o->warn_days = (long)v;
		return EXIT_OK;
	case 'b': o->batch = 1; return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	{ "warn-days", required_argument, NULL, 'w' },
	{ "batch", no_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

/* check's --help. */
static const char *
check_help(void)
{
	return _(
	    "Usage: kyso-token check [--warn-days N] [--batch] [OPTIONS]\n"
	    "Runs the checks the Token Manager makes when a token is plugged in:\n"
	    "  - the factory PIN is not changed yet: says so and, on a terminal,\n"
	    "    offers to change it now;\n"
	    "  - a certificate expires within the warning window (default 30 days,\n"
	    "    'warn_days' in kyso.conf): suggests renewal;\n"
	    "  - a certificate has expired: warns;\n"
	    "  - a certificate that a newer one on the token has replaced (a\n"
	    "    renewal, a change of details): says so once, as a note;\n"
	    "  - the PIN is locked: says how to request an unblock.\n"
	    "Exit codes: 0 all good, 10 factory PIN, 11 certificate expiring,\n"
	    "12 certificate expired, 13 PIN locked (the most severe wins).\n"
	    "  --warn-days N   warn this many days before a certificate expires\n"
	    "  --batch         never ask; just report\n\n");
}

/* The warning window from kyso.conf, else 30 days. */
long
cli_warn_days_default(void)
{
	struct config *cfg = NULL;
	long d = DEFAULT_WARN_DAYS;

	if (config_load_home(&cfg) == 0) {
		d = (long)config_get_u64(cfg, "warn_days", 0, 3650,
		    DEFAULT_WARN_DAYS);
		config_free(cfg);
	}
	return d;
}

/* The options, then the checks on the chosen token. */
int
cmd_check(int argc, char **argv)
{
	struct cli c;
	struct cli_check_opts o = { cli_warn_days_default(), 0 };
	int ex;

	cli_init(&c, "check");
	ex = cli_parse(&c, argc, argv, opts, check_help(), cli_check_opt, &o);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) == EXIT_OK)
		ex = cli_check_slot(&c,
		    !o.batch && !c.json && isatty(STDIN_FILENO), o.warn_days);
	cli_done(&c);
	return ex;
}
