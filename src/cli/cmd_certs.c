/* kyso-token certs, certs delete and export: the certificates on the
 * token, as libkysotm's tm_certs reads them (the list kyso-manager shows
 * too) and tm_cert_delete removes them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "common/buf.h"
#include "common/parse.h"
#include "common/x509_text.h"

/* The token's certificates through libkysotm; the exit code. */
static int
certs_read(struct cli *c, struct tm_session **t, struct tm_cert **v, size_t *n)
{
	struct tm_term tt;
	struct tm_result *r = calloc(1, sizeof(*r));
	int ex;

	if (r == NULL)
		return EXIT_FAIL;
	tm_term_init(&tt, c);
	if ((ex = tm_term_session(&tt, t)) == EXIT_OK &&
	    tm_certs(*t, v, n, r) != 0)
		ex = tm_term_fail(&tt, r);
	free(r);
	return ex;
}

/* The CKA_ID in hex, as --id takes it. */
static void
id_hex(const struct tm_cert *cc, char *out, size_t n)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < cc->idlen && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, n - 2 * i, "%02x", cc->id[i]);
}

/* Scripts keep the UTC form --json always had. */
static void
utc_text(int64_t t, char *out, size_t n)
{
	time_t when = (time_t)t;
	struct tm tm;

	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(out, n, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, n, "?");
}

/* A person reads local time with its offset. */
static void
local_text(int64_t t, char *out, size_t n)
{
	if (x509_text_local(t, 0, out, n) != 0)
		snprintf(out, n, "?");
}

/* One certificate as kyso-token certs prints it. */
static void
print_cert(const struct tm_cert *v, size_t i)
{
	char nb[X509_TEXT_TIME_MAX], na[X509_TEXT_TIME_MAX], id[2 * 64 + 1];

	local_text(v->not_before_t, nb, sizeof(nb));
	local_text(v->not_after_t, na, sizeof(na));
	id_hex(v, id, sizeof(id));
	printf(_("Certificate %zu%s\n"), i + 1,
	    v->is_ca ? _(" (certificate authority)") : "");
	printf(_("  Label:      %s\n"), v->label);
	printf(_("  ID:         %s\n"), id);
	printf(_("  Subject:    %s\n"), v->subject_dn);
	if (v->legal_name[0] != '\0')
		printf(_("  Legal name: %s\n"), v->legal_name);
	printf(_("  Issuer:     %s\n"), v->issuer_dn);
	printf(_("  Serial:     %s\n"), v->serial);
	printf(_("  Valid from: %s\n"), nb);
	printf(_("  Valid to:   %s\n"), na);
	if (v->days_left < 0)
		printf(_("  Status:     EXPIRED\n"));
	else
		printf(_("  Days left:  %d\n"), v->days_left);
	if (v->superseded)
		printf(_(
		    "  Replaced:   a newer certificate for the same holder is on the token\n"));
}

/* One certificate for --json (English, UTC: for scripts). */
static json_t *
json_cert(const struct tm_cert *v)
{
	char nb[X509_TEXT_TIME_MAX], na[X509_TEXT_TIME_MAX], id[2 * 64 + 1];

	utc_text(v->not_before_t, nb, sizeof(nb));
	utc_text(v->not_after_t, na, sizeof(na));
	id_hex(v, id, sizeof(id));
	return json_pack("{s:s,s:s,s:s,s:s*,s:s,s:s,s:s,s:s,s:i,s:b,s:b}",
	    "label", v->label, "id", id, "subject", v->subject_dn, "legal_name",
	    v->legal_name[0] != '\0' ? v->legal_name : NULL, "issuer",
	    v->issuer_dn, "serial", v->serial, "not_before", nb, "not_after",
	    na, "days_left", v->days_left, "ca", v->is_ca, "superseded",
	    v->superseded);
}

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

static int cmd_certs_delete(int argc, char **argv);

/* The list; "certs delete" is its own verb. */
int
cmd_certs(int argc, char **argv)
{
	struct cli c;
	struct tm_session *t = NULL;
	struct tm_cert *v = NULL;
	size_t n = 0, i;
	json_t *arr;
	int ex;

	if (argc > 1 && strcmp(argv[1], "delete") == 0)
		return cmd_certs_delete(argc - 1, argv + 1);
	cli_init(&c, "certs");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token certs [OPTIONS]\n"
	      "       kyso-token certs delete SERIAL [--yes] [OPTIONS]\n"
	      "Lists the certificates on the token with subject, issuer, serial\n"
	      "number, validity (local time) and the days left, and marks those a\n"
	      "newer certificate has replaced. No PIN is needed.\n"
	      "'certs delete' removes an old certificate and its key pair (see\n"
	      "'kyso-token certs delete --help').\n\n"),
	    NULL, NULL);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) != EXIT_OK ||
	    (ex = certs_read(&c, &t, &v, &n)) != EXIT_OK)
		goto out;
	if (c.json) {
		arr = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(arr, json_cert(&v[i]));
		cli_json_print(arr);
		json_decref(arr);
	} else if (n == 0) {
		printf(_("There are no certificates on the token.\n"));
	}
	for (i = 0; !c.json && i < n; i++)
		print_cert(&v[i], i);
out:
	tm_certs_free(v, n);
	tm_free(t);
	cli_done(&c);
	return ex;
}

struct delete_opts {
	int yes;
};

static int
delete_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct delete_opts *d = ud;

	(void)c;
	(void)arg;
	if (opt == 'y') {
		d->yes = 1;
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option delete_tab[] = {
	CLI_COMMON_OPTIONS,
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 },
};

/* A serial as a person types it (any case, ':' between bytes) in the
 * form tm_certs writes (upper-case hex); 0 when it is not hex. */
static int
serial_norm(const char *in, char *out, size_t n)
{
	size_t k = 0;

	for (; *in != '\0'; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || k + 1 >= n)
			return 0;
		out[k++] = (char)toupper((unsigned char)*in);
	}
	out[k] = '\0';
	return k > 0;
}

/* Asks before a key pair goes: nothing signs with it afterwards. */
static int
delete_confirmed(const struct delete_opts *d, const struct tm_cert *v)
{
	char q[1024];

	if (d->yes)
		return 1;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr,
		    _("Deleting a certificate needs a confirmation: run it on a terminal, or add --yes.\n"));
		return 0;
	}
	print_cert(v, 0);
	if (!v->superseded && !v->is_ca && v->days_left >= 0)
		printf(_("This certificate is still valid and no newer one replaces it: after deleting\n"
			 "it you cannot sign with it any more.\n"));
	snprintf(q, sizeof(q), "%s",
	    v->is_ca
		? _("Delete this CA certificate from the token? [Y/n] ")
		: _("Delete this certificate and its key pair from the token? [Y/n] "));
	return cli_confirm(q);
}

/* certs delete: the old certificate, after a confirmation and the PIN
 * (libkysotm's tm_cert_delete, the usual PIN rules and exit codes). */
static int
cmd_certs_delete(int argc, char **argv)
{
	struct cli c;
	struct delete_opts d = { 0 };
	struct tm_term tt;
	struct tm_session *t = NULL;
	struct tm_result *r = NULL;
	struct tm_cert *v = NULL, *hit = NULL;
	char serial[80];
	size_t n = 0, i;
	int ex;

	cli_init(&c, "certs delete");
	ex = cli_parse(&c, argc, argv, delete_tab,
	    _("Usage: kyso-token certs delete SERIAL [--yes] [OPTIONS]\n"
	      "Removes a certificate from the token (its serial as 'kyso-token certs'\n"
	      "shows it) and, for a subscriber's certificate, its key pair: an old\n"
	      "certificate a renewal has replaced, for instance. Signatures made with\n"
	      "it stay as valid as they were. Asks for a confirmation, then the PIN.\n"
	      "  --yes           do not ask for the confirmation\n\n"),
	    delete_opt, &d);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc - 1)
		return cli_usage_error(&c,
		    _("give the serial of the certificate to delete"));
	if (!serial_norm(argv[optind], serial, sizeof(serial)))
		return cli_usage_error(&c, _("the serial is hexadecimal"));
	if ((ex = cli_open_token(&c)) != EXIT_OK ||
	    (ex = certs_read(&c, &t, &v, &n)) != EXIT_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].serial, serial) == 0)
			hit = &v[i];
	if (hit == NULL) {
		fprintf(stderr,
		    _("There is no certificate with serial %s on the token (see 'kyso-token certs').\n"),
		    serial);
		ex = EXIT_FAIL;
		goto out;
	}
	if (!delete_confirmed(&d, hit)) {
		printf(_("Nothing was deleted.\n"));
		ex = EXIT_DECLINED;
		goto out;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ex = EXIT_FAIL;
		goto out;
	}
	tm_term_init(&tt, &c);
	if (tm_cert_delete(t, serial, &tt.ui, r) != 0) {
		ex = tm_term_fail(&tt, r);
		goto out;
	}
	if (c.json) {
		json_t *j = json_pack("{s:b,s:s}", "deleted", 1, "serial",
		    serial);

		cli_json_print(j);
		json_decref(j);
	} else if (hit->is_ca) {
		printf(_("The certificate %s was deleted.\n"), serial);
	} else {
		printf(_("The certificate %s and its key pair were deleted.\n"),
		    serial);
	}
out:
	free(r);
	tm_certs_free(v, n);
	tm_free(t);
	cli_done(&c);
	return ex;
}

struct export_opts {
	const char *out;
	const char *id;
	const char *label;
};

static int
export_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct export_opts *e = ud;

	(void)c;
	switch (opt) {
	case 'o': e->out = arg; return EXIT_OK;
	case 'i': e->id = arg; return EXIT_OK;
	case 'l': e->label = arg; return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option export_opts_tab[] = {
	CLI_COMMON_OPTIONS,
	{ "output", required_argument, NULL, 'o' },
	{ "id", required_argument, NULL, 'i' },
	{ "label", required_argument, NULL, 'l' },
	{ NULL, 0, NULL, 0 },
};

int
cmd_export(int argc, char **argv)
{
	struct cli c;
	struct export_opts e = { NULL, NULL, NULL };
	struct tm_session *t = NULL;
	struct tm_cert *v = NULL;
	size_t n = 0, i, written = 0;
	FILE *f = NULL;
	int ex;

	cli_init(&c, "export");
	ex = cli_parse_short(&c, argc, argv, "ho:", export_opts_tab,
	    _("Usage: kyso-token export [--id HEX | --label LABEL] [--output FILE]\n"
	      "Writes certificates from the token as PEM: all of them, or those with\n"
	      "the given ID or label.\n"
	      "  --id HEX          the certificate's CKA_ID, in hex\n"
	      "  --label LABEL     the certificate's label\n"
	      "  -o, --output FILE write to FILE instead of standard output\n\n"),
	    export_opt, &e);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) != EXIT_OK ||
	    (ex = certs_read(&c, &t, &v, &n)) != EXIT_OK)
		goto out;
	for (i = 0; i < n; i++) {
		const unsigned char *p = v[i].der;
		char id[2 * 64 + 1];
		X509 *x;
		int ok;

		id_hex(&v[i], id, sizeof(id));
		if ((e.id != NULL && strcasecmp(id, e.id) != 0) ||
		    (e.label != NULL && strcmp(v[i].label, e.label) != 0))
			continue;
		/* Opened at the first match, so that no match leaves no file. */
		if (f == NULL &&
		    (f = e.out != NULL ? fopen(e.out, "w") : stdout) == NULL) {
			fprintf(stderr, _("Cannot write %s.\n"), e.out);
			ex = EXIT_FAIL;
			goto out;
		}
		x = d2i_X509(NULL, &p, (long)v[i].der_len);
		ok = x != NULL && PEM_write_X509(f, x) == 1;
		X509_free(x);
		if (!ok) {
			ex = EXIT_FAIL;
			goto out;
		}
		written++;
	}
	if (written == 0) {
		fprintf(stderr, _("No certificate on the token matches.\n"));
		ex = EXIT_FAIL;
	}
out:
	if (f != NULL && f != stdout && fclose(f) != 0)
		ex = EXIT_FAIL;
	tm_certs_free(v, n);
	tm_free(t);
	cli_done(&c);
	return ex;
}
