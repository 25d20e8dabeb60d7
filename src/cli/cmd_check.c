/* kyso-token check: what the Token Manager says when a token is plugged
 * in (seed 000/001): factory PIN not changed, certificate about to expire
 * or expired, PIN locked. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

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

static void
worse(int *ex, int now)
{
	if (rank(now) > rank(*ex))
		*ex = now;
}

/* The subject's common name as UTF-8, whatever string type the CA used
 * (UTF8String, PrintableString, BMPString...). */
static char *
subject_cn(X509 *x)
{
	const X509_NAME *nm = X509_get_subject_name(x);
	unsigned char *utf8 = NULL;
	char *cn;
	int i, n;

	i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	if (i < 0 || (n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
	    X509_NAME_get_entry(nm, i)))) < 0)
		return strdup("?");
	cn = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return cn;
}

int
cli_check_slot(struct cli *c, int interactive, long warn_days)
{
	struct cli_cert *v = NULL;
	size_t n = 0, i;
	json_t *j = json_object(), *findings = json_array();
	char serial[17];
	int ex = EXIT_OK, r;

	if (c->fn->C_GetTokenInfo(c->slot, &c->ti) != CKR_OK) {
		fprintf(stderr, _("The token cannot be read.\n"));
		json_decref(j);
		json_decref(findings);
		return EXIT_NO_TOKEN;
	}
	p11_str(c->ti.serialNumber, sizeof(c->ti.serialNumber), serial);
	json_object_set_new(j, "serial", json_string(serial));
	if (c->ti.flags & CKF_USER_PIN_LOCKED) {
		json_array_append_new(findings, json_string("pin-locked"));
		if (!c->json)
			printf(_("Token %s: the PIN is locked after too many wrong tries.\n"
			    "  Request an unblock with 'kyso-token forgot-pin': an OTP is sent to\n"
			    "  your registered e-mail and the PIN is reset to the factory PIN.\n"), serial);
		worse(&ex, EXIT_CHECK_LOCKED);
	} else if (c->ti.flags & CKF_USER_PIN_TO_BE_CHANGED) {
		int fixed = 0;

		if (!c->json)
			printf(_("Token %s still has the factory PIN. Change it before you sign.\n"), serial);
		if (interactive && cli_confirm(_("Change the PIN now? [Y/n] "))) {
			r = cli_change_pin(c);
			fixed = r == EXIT_OK;
		}
		if (!fixed) {
			json_array_append_new(findings, json_string("default-pin"));
			if (!c->json)
				printf(_("  Run 'kyso-token change-pin' to change it.\n"));
			worse(&ex, EXIT_CHECK_DEFAULT_PIN);
		}
	}
	if ((r = cli_certs_read(c, &v, &n)) != EXIT_OK) {
		ex = r;
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *cn;

		if (v[i].is_ca)
			continue;
		cn = subject_cn(v[i].x);
		if (v[i].days_left < 0) {
			json_array_append_new(findings, json_pack("{s:s,s:s,s:i}",
			    "finding", "certificate-expired", "subject", cn ? cn : "?",
			    "days_left", v[i].days_left));
			if (!c->json)
				printf(_("The certificate of %s has EXPIRED. Signatures made with it are no longer valid.\n"
				    "  Contact your certificate authority to renew it ('kyso-token renew').\n"), cn ? cn : "?");
			worse(&ex, EXIT_CHECK_EXPIRED);
		} else if (v[i].days_left <= warn_days) {
			json_array_append_new(findings, json_pack("{s:s,s:s,s:i}",
			    "finding", "certificate-expiring", "subject", cn ? cn : "?",
			    "days_left", v[i].days_left));
			if (!c->json)
				printf(_("The certificate of %s expires in %d days. Renew it now ('kyso-token renew')\n"
				    "  and sign pending invoices and declarations before the new one is installed.\n"),
				    cn ? cn : "?", v[i].days_left);
			worse(&ex, EXIT_CHECK_EXPIRING);
		}
		free(cn);
	}
	if (ex == EXIT_OK && !c->json)
		printf(_("Token %s: OK.\n"), serial);
out:
	if (c->json) {
		json_object_set_new(j, "findings", findings);
		json_object_set_new(j, "exit", json_integer(ex));
		cli_json_print(j);
	} else {
		json_decref(findings);
	}
	json_decref(j);
	cli_certs_free(v, n);
	return ex;
}

int
cli_check_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct cli_check_opts *o = ud;
	uint64_t v;

	switch (opt) {
	case 'w':
		if (parse_u64(arg, 0, 3650, &v) != 0)
			return cli_usage_error(c, _("--warn-days needs a number of days"));
		o->warn_days = (long)v;
		return EXIT_OK;
	case 'b':
		o->batch = 1;
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	{ "warn-days", required_argument, NULL, 'w' },
	{ "batch", no_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

static const char *
check_help(void)
{
	return _("Usage: kyso-token check [--warn-days N] [--batch] [OPTIONS]\n"
	    "Runs the checks the Token Manager makes when a token is plugged in:\n"
	    "  - the factory PIN is not changed yet: says so and, on a terminal,\n"
	    "    offers to change it now;\n"
	    "  - a certificate expires within the warning window (default 30 days,\n"
	    "    'warn_days' in kyso.conf): suggests renewal;\n"
	    "  - a certificate has expired: warns;\n"
	    "  - the PIN is locked: says how to request an unblock.\n"
	    "Exit codes: 0 all good, 10 factory PIN, 11 certificate expiring,\n"
	    "12 certificate expired, 13 PIN locked (the most severe wins).\n"
	    "  --warn-days N   warn this many days before a certificate expires\n"
	    "  --batch         never ask; just report\n\n");
}

long
cli_warn_days_default(void)
{
	struct config *cfg = NULL;
	long d = DEFAULT_WARN_DAYS;

	if (config_load_home(&cfg) == 0) {
		d = (long)config_get_u64(cfg, "warn_days", 0, 3650, DEFAULT_WARN_DAYS);
		config_free(cfg);
	}
	return d;
}

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
		ex = cli_check_slot(&c, !o.batch && !c.json && isatty(STDIN_FILENO),
		    o.warn_days);
	cli_done(&c);
	return ex;
}
