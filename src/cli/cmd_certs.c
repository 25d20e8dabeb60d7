/* kyso-token certs and export: the certificates on the token. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli.h"
#include "common/buf.h"
#include "common/parse.h"
#include "common/x509_text.h"

int
cli_certs_read(struct cli *c, struct cli_cert **out, size_t *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL;
	CK_SESSION_HANDLE s;
	struct cli_cert *v = NULL;
	size_t found = 0, i, k = 0;

	if (p11_session_open(c->p11, c->slot, 0, &s) != 0)
		return cli_fail_rv(c, _("Opening the token"),
		    p11_last_rv(c->p11));
	if (p11_find_all(c->p11, s, &tmpl, 1, &hs, &found) != 0) {
		p11_session_close(c->p11, s);
		fprintf(stderr,
		    _("Cannot read the certificates on the token.\n"));
		return EXIT_FAIL;
	}
	if ((v = calloc(found + 1, sizeof(*v))) == NULL) {
		free(hs);
		p11_session_close(c->p11, s);
		return EXIT_FAIL;
	}
	for (i = 0; i < found; i++) {
		struct buf *der = NULL, *lab = NULL, *id = NULL;
		const unsigned char *p;
		int days = 0, secs = 0;

		if (p11_get_attr(c->p11, s, hs[i], CKA_VALUE, &der) != 0)
			continue;
		p = buf_ptr(der);
		v[k].x = d2i_X509(NULL, &p, (long)buf_len(der));
		buf_free(der);
		if (v[k].x == NULL)
			continue;
		v[k].h = hs[i];
		if (p11_get_attr(c->p11, s, hs[i], CKA_LABEL, &lab) == 0) {
			size_t l = buf_len(lab) < sizeof(v[k].label) - 1
			    ? buf_len(lab)
			    : sizeof(v[k].label) - 1;

			memcpy(v[k].label, buf_ptr(lab), l);
			buf_free(lab);
		}
		if (p11_get_attr(c->p11, s, hs[i], CKA_ID, &id) == 0) {
			v[k].idlen = buf_len(id) < sizeof(v[k].id)
			    ? buf_len(id)
			    : sizeof(v[k].id);
			memcpy(v[k].id, buf_ptr(id), v[k].idlen);
			buf_free(id);
		}
		v[k].is_ca = X509_check_ca(v[k].x) != 0;
		if (ASN1_TIME_diff(&days, &secs, NULL,
			X509_get0_notAfter(v[k].x)) == 1)
			v[k].days_left = days < 0 || secs < 0
			    ? (days < 0 ? days : -1)
			    : days;
		k++;
	}
	free(hs);
	p11_session_close(c->p11, s);
	*out = v;
	*n = k;
	return EXIT_OK;
}

void
cli_certs_free(struct cli_cert *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		X509_free(v[i].x);
	free(v);
}

static char *
serial_str(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h, *s;

	if (bn == NULL)
		return NULL;
	h = BN_bn2hex(bn);
	BN_free(bn);
	if (h == NULL)
		return NULL;
	s = strdup(h);
	OPENSSL_free(h);
	return s;
}

static char *
id_hex(const struct cli_cert *cc)
{
	struct buf *b = buf_new(256);
	char *s = NULL;

	if (b != NULL && hex_encode(b, cc->id, cc->idlen) == 0)
		s = buf_to_cstr(b);
	buf_free(b);
	return s;
}

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

int
cmd_certs(int argc, char **argv)
{
	struct cli c;
	struct cli_cert *v = NULL;
	size_t n = 0, i;
	json_t *arr = json_array();
	int ex;

	cli_init(&c, "certs");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token certs [OPTIONS]\n"
	      "Lists the certificates on the token with subject, issuer, serial\n"
	      "number, validity and the days left. No PIN is needed.\n\n"),
	    NULL, NULL);
	if (ex != EXIT_OK) {
		json_decref(arr);
		return ex == CLI_DONE ? EXIT_OK : ex;
	}
	if (optind != argc) {
		json_decref(arr);
		return cli_usage_error(&c, _("unexpected argument"));
	}
	if ((ex = cli_open_token(&c)) != EXIT_OK ||
	    (ex = cli_certs_read(&c, &v, &n)) != EXIT_OK)
		goto out;
	if (n == 0 && !c.json)
		printf(_("There are no certificates on the token.\n"));
	for (i = 0; i < n; i++) {
		char *sub = x509_text_name(X509_get_subject_name(v[i].x),
		    X509_TEXT_RFC2253);
		char *iss = x509_text_name(X509_get_issuer_name(v[i].x),
		    X509_TEXT_RFC2253);
		char nb[X509_TEXT_TIME_MAX], na[X509_TEXT_TIME_MAX];
		char *ser = serial_str(v[i].x), *id = id_hex(&v[i]);

		/* An unreadable time shows as "?". */
		if (x509_text_time(X509_get0_notBefore(v[i].x), X509_TIME_HUMAN,
			nb, sizeof(nb)) != 0)
			snprintf(nb, sizeof(nb), "?");
		if (x509_text_time(X509_get0_notAfter(v[i].x), X509_TIME_HUMAN,
			na, sizeof(na)) != 0)
			snprintf(na, sizeof(na), "?");

		if (c.json) {
			json_array_append_new(arr,
			    json_pack("{s:s,s:s?,s:s?,s:s?,s:s?,s:s,s:s,s:i,s:b}",
				"label", v[i].label, "id", id, "subject", sub,
				"issuer", iss, "serial", ser, "not_before", nb,
				"not_after", na, "days_left", v[i].days_left,
				"ca", v[i].is_ca));
		} else {
			printf(_("Certificate %zu%s\n"), i + 1,
			    v[i].is_ca ? _(" (certificate authority)") : "");
			printf(_("  Label:      %s\n"), v[i].label);
			printf(_("  ID:         %s\n"), id ? id : "");
			printf(_("  Subject:    %s\n"), sub ? sub : "?");
			printf(_("  Issuer:     %s\n"), iss ? iss : "?");
			printf(_("  Serial:     %s\n"), ser ? ser : "?");
			printf(_("  Valid from: %s\n"), nb);
			printf(_("  Valid to:   %s\n"), na);
			if (v[i].days_left < 0)
				printf(_("  Status:     EXPIRED\n"));
			else
				printf(_("  Days left:  %d\n"), v[i].days_left);
		}
		free(sub);
		free(iss);
		free(ser);
		free(id);
	}
	if (c.json)
		cli_json_print(arr);
out:
	json_decref(arr);
	cli_certs_free(v, n);
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
	struct cli_cert *v = NULL;
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
	    (ex = cli_certs_read(&c, &v, &n)) != EXIT_OK)
		goto out;
	for (i = 0; i < n; i++) {
		char *id = id_hex(&v[i]);
		int want = (e.id == NULL ||
			       (id != NULL && strcasecmp(id, e.id) == 0)) &&
		    (e.label == NULL || strcmp(v[i].label, e.label) == 0);

		free(id);
		if (!want)
			continue;
		/* Opened at the first match, so that no match leaves no file. */
		if (f == NULL &&
		    (f = e.out != NULL ? fopen(e.out, "w") : stdout) == NULL) {
			fprintf(stderr, _("Cannot write %s.\n"), e.out);
			ex = EXIT_FAIL;
			goto out;
		}
		if (PEM_write_X509(f, v[i].x) != 1) {
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
	cli_certs_free(v, n);
	cli_done(&c);
	return ex;
}
