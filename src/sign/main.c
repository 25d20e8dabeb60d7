/* kyso-sign: sign PDF (PAdES) and any file (CAdES) with a key on a token,
 * one file or a batch with one PIN entry; verify signatures. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "common/i18n.h"
#include "common/jsonwipe.h"
#include "common/parse.h"
#include "sign/formats/cades.h"
#include "sign/formats/pdf_fields.h"
#include "sign/formats/pdf_sign.h"
#include "common/secret.h"
#include "sign/formats/xmldsig.h"
#include "p11/signer.h"
#include "sign/verify/verify.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1, /* at least one file failed or did not verify */
	EXIT_USAGE = 2,
	EXIT_TOKEN = 3, /* the token, the PIN or the key */
};

struct opts {
	const char *cmd;
	const char *out;
	const char *outdir;
	const char *token;
	const char *module;
	const char *chain;
	const char *tsa;
	const char *trust;
	const char *field;
	const char *content; /* verify: the file a .p7s signs */
	const char *xml_id;
	const char *xml_parent;
	int inclusive;
	int certify;
	int page;
	int rect[4];
	const char *stamp_text;
	const char *font;
	const char *image;
	const char *reason;
	const char *location;
	int lt;
	int revocation;
	struct buf *key_id;
	int pin_fd;
	int json;
};

static const char usage_text[] = N_(
    "Usage: kyso-sign pdf|cms|xml FILE... [-o OUT | --outdir DIR] [options]\n"
    "       kyso-sign verify FILE... [--trust FILE] [--content FILE] [--json]\n"
    "               (PDF, FILE.p7s with its content, or signed .xml)\n"
    "       kyso-sign fields FILE.pdf...\n"
    "\n"
    "  pdf     sign PDF files (PAdES B-B, or B-T with --tsa) by incremental\n"
    "          update; FILE.pdf -> FILE.signed.pdf unless -o/--outdir\n"
    "  cms     detached CAdES signature of any file: FILE -> FILE.p7s\n"
    "  xml     XML-DSig enveloped signature (e-invoices, declarations):\n"
    "          FILE.xml -> FILE.signed.xml\n"
    "  verify  check every signature of signed PDFs, or FILE.p7s (with the\n"
    "          signed file beside it, or --content)\n"
    "  fields  list a PDF's signature fields, empty (prepared) or signed\n"
    "  kyso-sign COMMAND --help: that command's options only\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT    output file (one input only)\n"
    "  --outdir DIR        write outputs into DIR under the input's name\n"
    "  --token SERIAL      the token, by serial number or label\n"
    "  --cert-id HEX       the key and certificate by CKA_ID\n"
    "  --module PATH       PKCS#11 module (default: the kyso virtual token)\n"
    "  --pin-fd N          read the PIN from file descriptor N\n"
    "  --chain FILE        PEM certificates to include in the signature\n"
    "                      (default: the CA certificates on the token)\n"
    "  --tsa URL           RFC 3161 time-stamp server (PAdES/CAdES B-T)\n"
    "  --lt                pdf: B-LT: add the chain's OCSP responses or CRLs\n"
    "                      (from the certificates' AIA/CRL URLs) in a DSS\n"
    "  --field NAME        pdf: sign into the empty field NAME (see\n"
    "                      'kyso-sign fields'), or name a new one\n"
    "  --visible PAGE,X1,Y1,X2,Y2  pdf: a visible stamp on PAGE (from 1) in\n"
    "                      that rectangle (points, from the bottom left)\n"
    "  --stamp-text TEXT   the stamp's text (default: signer, organization,\n"
    "                      time; \\n in TEXT is not special: use a newline)\n"
    "  --font FILE         TrueType font for the stamp (default DejaVu Sans)\n"
    "  --image FILE        pdf: a PNG or JPEG (a scanned signature, a seal)\n"
    "                      in the stamp in place of its check mark\n"
    "  --reason TEXT       pdf: the reason for signing (/Reason, at most\n"
    "                      200 bytes of UTF-8)\n"
    "  --location TEXT     pdf: where it is signed (/Location, likewise)\n"
    "  --certify P         pdf: a certification (DocMDP) signature allowing\n"
    "                      1 no changes, 2 form filling and signing, 3 also\n"
    "                      annotations (must be the first signature)\n"
    "  --id ID             xml: sign the element with this Id (default: the\n"
    "                      whole document, URI=\"\")\n"
    "  --parent PATH       xml: put <Signature> under the first element that\n"
    "                      PATH names (\"NBan\" or \"DSCKS/NBan\")\n"
    "  --c14n exclusive|inclusive  xml: canonicalization (default exclusive)\n"
    "  --trust FILE        PEM trust anchors (verify)\n"
    "  --revocation        verify: ask the chain's OCSP responders (else\n"
    "                      CRLs) now whether the signer is revoked\n"
    "  --content FILE      the signed file (verify a .p7s)\n"
    "  --json              print the verification report as JSON\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 all files done (verify: all signatures intact and,\n"
    "with --trust, trusted), 1 some file failed, 2 usage, 3 token or PIN.\n");

/* Each command's own help: what it does and only the options it takes.
 * The signing commands share their file and token options and their
 * exit status. */
static const char help_sign_common[] = N_(
    "  -o, --output OUT    output file (one input only)\n"
    "  --outdir DIR        write outputs into DIR under the input's name\n"
    "  --token SERIAL      the token, by serial number or label\n"
    "  --cert-id HEX       the key and certificate by CKA_ID\n"
    "  --module PATH       PKCS#11 module (default: the kyso virtual token)\n"
    "  --pin-fd N          read the PIN from file descriptor N\n"
    "  --chain FILE        PEM certificates to include in the signature\n");

static const char help_sign_exit[] = N_(
    "\n"
    "Exit status: 0 all files signed, 1 some file failed, 2 usage, 3 token\n"
    "or PIN.\n");

static const char help_pdf[] = N_(
    "Usage: kyso-sign pdf FILE.pdf... [-o OUT | --outdir DIR] [options]\n"
    "Signs PDF files with the key on the token (PAdES B-B; B-T with --tsa;\n"
    "B-LT with --tsa --lt) by incremental update: the original bytes are\n"
    "kept. FILE.pdf -> FILE.signed.pdf unless -o or --outdir.\n"
    "A document with exactly one empty signature field is signed into it.\n"
    "\n");

static const char help_pdf_opts[] = N_(
    "  --tsa URL           RFC 3161 time-stamp server (B-T)\n"
    "  --lt                B-LT: the chain's OCSP responses or CRLs in a DSS\n"
    "  --field NAME        sign into the empty field NAME (see 'kyso-sign\n"
    "                      fields'), or give a new field that name\n"
    "  --visible PAGE,X1,Y1,X2,Y2  a visible stamp on PAGE (from 1) in that\n"
    "                      rectangle (points, from the bottom left)\n"
    "  --stamp-text TEXT   the stamp's text (default: signer, organisation,\n"
    "                      date)\n"
    "  --image FILE        a PNG or JPEG in the stamp (a scanned signature,\n"
    "                      a seal) in place of its check mark\n"
    "  --font FILE         TrueType font for the stamp (default DejaVu Sans)\n"
    "  --reason TEXT       the reason for signing (at most 200 bytes)\n"
    "  --location TEXT     where it is signed (at most 200 bytes)\n"
    "  --certify P         a certification signature allowing 1 no changes,\n"
    "                      2 form filling and signing, 3 also annotations\n");

static const char help_cms[] = N_(
    "Usage: kyso-sign cms FILE... [-o OUT | --outdir DIR] [options]\n"
    "A detached CAdES signature (B-B, with the signing time; B-T with --tsa)\n"
    "of any file: FILE -> FILE.p7s.\n"
    "\n");

static const char help_cms_opts[] = N_(
    "  --tsa URL           RFC 3161 time-stamp server (B-T)\n");

static const char help_xml[] = N_(
    "Usage: kyso-sign xml FILE.xml... [-o OUT | --outdir DIR] [options]\n"
    "An enveloped XML-DSig signature (e-invoices, declarations):\n"
    "FILE.xml -> FILE.signed.xml.\n"
    "\n");

static const char help_xml_opts[] = N_(
    "  --id ID             sign the element with this Id (default: the\n"
    "                      whole document, URI=\"\")\n"
    "  --parent PATH       put <Signature> under the first element PATH\n"
    "                      names (\"NBan\" or \"DSCKS/NBan\")\n"
    "  --c14n exclusive|inclusive  canonicalization (default exclusive)\n");

static const char help_verify[] = N_(
    "Usage: kyso-sign verify FILE... [--trust FILE] [--content FILE] [--json]\n"
    "Checks every signature of signed PDFs, FILE.p7s (with the signed file\n"
    "beside it, or --content) and signed XML files.\n"
    "\n"
    "  --trust FILE        PEM trust anchors\n"
    "  --revocation        ask the chain's OCSP responders (else CRLs) now\n"
    "                      whether the signer is revoked\n"
    "  --content FILE      the signed file (a .p7s)\n"
    "  --json              print the report as JSON\n"
    "\n"
    "Exit status: 0 all signatures intact and, with --trust, trusted;\n"
    "1 some signature is not, or a file cannot be read; 2 usage.\n");

static const char help_fields[] = N_(
    "Usage: kyso-sign fields FILE.pdf...\n"
    "Lists each PDF's signature fields: name, empty (prepared for a signer)\n"
    "or signed, page and rectangle (points). Sign into an empty one with\n"
    "'kyso-sign pdf FILE.pdf --field NAME'.\n"
    "\n"
    "Exit status: 0 all files read, 1 some file cannot be read, 2 usage.\n");

/* Prints the help of cmd (NULL or unknown: the program's). */
static void
print_help(const char *cmd)
{
	static const struct {
		const char *cmd, *head, *opts; /* opts NULL: head is all */
	} h[] = {
		{ "pdf", help_pdf, help_pdf_opts },
		{ "cms", help_cms, help_cms_opts },
		{ "xml", help_xml, help_xml_opts },
		{ "verify", help_verify, NULL },
		{ "fields", help_fields, NULL },
	};
	size_t i;

	for (i = 0; cmd != NULL && i < sizeof(h) / sizeof(h[0]); i++) {
		if (strcmp(cmd, h[i].cmd) != 0)
			continue;
		fputs(_(h[i].head), stdout);
		if (h[i].opts != NULL) {
			fputs(_(help_sign_common), stdout);
			fputs(_(h[i].opts), stdout);
			fputs(_(help_sign_exit), stdout);
		}
		return;
	}
	fputs(_(usage_text), stdout);
}

static int
usage_error(const char *what)
{
	fprintf(stderr, "kyso-sign: %s\n", what);
	fprintf(stderr, _("Try 'kyso-sign --help'.\n"));
	return EXIT_USAGE;
}

/* "PAGE,X1,Y1,X2,Y2": integers, each parsed and bounded. */
static int
parse_visible(const char *arg, struct opts *o)
{
	char *copy = strdup(arg), *p, *comma;
	uint64_t v[5];
	int n = 0, r = -1;

	if (copy == NULL)
		return -1;
	for (p = copy; n < 5; p = comma + 1) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (parse_u64(p, 0, 100000, &v[n++]) != 0)
			goto out;
		if (comma == NULL)
			break;
	}
	if (n != 5 || comma != NULL || v[0] < 1)
		goto out;
	o->page = (int)v[0];
	o->rect[0] = (int)v[1];
	o->rect[1] = (int)v[2];
	o->rect[2] = (int)v[3];
	o->rect[3] = (int)v[4];
	r = 0;
out:
	free(copy);
	return r;
}

static int
parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "outdir", required_argument, NULL, 'D' },
		{ "token", required_argument, NULL, 'T' },
		{ "cert-id", required_argument, NULL, 'I' },
		{ "module", required_argument, NULL, 'M' },
		{ "pin-fd", required_argument, NULL, 'P' },
		{ "chain", required_argument, NULL, 'C' },
		{ "tsa", required_argument, NULL, 'S' },
		{ "trust", required_argument, NULL, 'R' },
		{ "field", required_argument, NULL, 'F' },
		{ "content", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'J' },
		{ "id", required_argument, NULL, 'i' },
		{ "parent", required_argument, NULL, 'p' },
		{ "c14n", required_argument, NULL, 'c' },
		{ "certify", required_argument, NULL, 'm' },
		{ "visible", required_argument, NULL, 'V' },
		{ "lt", no_argument, NULL, 'L' },
		{ "revocation", no_argument, NULL, 'O' },
		{ "stamp-text", required_argument, NULL, 'X' },
		{ "font", required_argument, NULL, 'f' },
		{ "image", required_argument, NULL, 'G' },
		{ "reason", required_argument, NULL, 'r' },
		{ "location", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", lo, NULL)) != -1) {
		switch (c) {
		case 'h': print_help(o->cmd); return -1;
		case 'o': o->out = optarg; break;
		case 'D': o->outdir = optarg; break;
		case 'T': o->token = optarg; break;
		case 'M': o->module = optarg; break;
		case 'C': o->chain = optarg; break;
		case 'S': o->tsa = optarg; break;
		case 'R': o->trust = optarg; break;
		case 'F': o->field = optarg; break;
		case 'N': o->content = optarg; break;
		case 'J': o->json = 1; break;
		case 'i': o->xml_id = optarg; break;
		case 'X': o->stamp_text = optarg; break;
		case 'L': o->lt = 1; break;
		case 'O': o->revocation = 1; break;
		case 'f': o->font = optarg; break;
		case 'G': o->image = optarg; break;
		case 'r': o->reason = optarg; break;
		case 'l': o->location = optarg; break;
		case 'V':
			if (parse_visible(optarg, o) != 0)
				return usage_error(_(
				    "--visible wants PAGE,X1,Y1,X2,Y2 (points)"));
			break;
		case 'm':
			if (parse_u64(optarg, 1, 3, &v) != 0)
				return usage_error(
				    _("--certify wants 1, 2 or 3"));
			o->certify = (int)v;
			break;
		case 'p': o->xml_parent = optarg; break;
		case 'c':
			if (strcmp(optarg, "inclusive") == 0)
				o->inclusive = 1;
			else if (strcmp(optarg, "exclusive") == 0)
				o->inclusive = 0;
			else
				return usage_error(
				    _("--c14n is exclusive or inclusive"));
			break;
		case 'P':
			if (parse_u64(optarg, 0, 1024, &v) != 0)
				return usage_error(_(
				    "--pin-fd wants a file descriptor number"));
			o->pin_fd = (int)v;
			break;
		case 'I':
			buf_free(o->key_id);
			if ((o->key_id = buf_new(64)) == NULL ||
			    hex_decode(o->key_id, optarg, strlen(optarg)) != 0 ||
			    buf_len(o->key_id) == 0)
				return usage_error(
				    _("--cert-id wants hex bytes"));
			break;
		default: return usage_error(_("unknown option"));
		}
	}
	return EXIT_OK;
}

/* Where the signed copy of in goes. */
static char *
output_path(const struct opts *o, const char *in)
{
	const char *suffix = strcmp(o->cmd, "cms") == 0 ? ".p7s" : NULL;
	char *copy = strdup(in), *base, *res = NULL;
	size_t n;

	if (copy == NULL)
		return NULL;
	if (o->out != NULL) {
		res = strdup(o->out);
	} else if (o->outdir != NULL) {
		base = basename(copy);
		n = strlen(o->outdir) + strlen(base) + 8;
		if ((res = malloc(n)) != NULL)
			snprintf(res, n, "%s/%s%s", o->outdir, base,
			    suffix ? suffix : "");
	} else if (suffix != NULL) {
		n = strlen(in) + 8;
		if ((res = malloc(n)) != NULL)
			snprintf(res, n, "%s%s", in, suffix);
	} else {
		/* name.pdf -> name.signed.pdf (.xml likewise) */
		const char *ext = strcmp(o->cmd, "xml") == 0 ? ".xml" : ".pdf";

		n = strlen(in);
		if ((res = malloc(n + 16)) != NULL) {
			if (n > 4 && strcasecmp(in + n - 4, ext) == 0)
				snprintf(res, n + 16, "%.*s.signed%s",
				    (int)(n - 4), in, ext);
			else
				snprintf(res, n + 16, "%s.signed%s", in, ext);
		}
	}
	free(copy);
	return res;
}

static int
cmd_sign(struct opts *o, int nfiles, char **files)
{
	struct p11_signer_opts so = { 0 };
	struct p11_signer *s = NULL;
	const char *why = NULL;
	char *pin = NULL;
	int i, failed = 0, r, tty = isatty(STDERR_FILENO);

	if (o->out != NULL && nfiles != 1)
		return usage_error(
		    _("-o takes one input file; use --outdir for several"));
	if (o->outdir != NULL && o->out != NULL)
		return usage_error(_("-o and --outdir exclude each other"));
	if (o->outdir != NULL) {
		struct stat st;

		if (stat(o->outdir, &st) != 0 || !S_ISDIR(st.st_mode))
			return usage_error(
			    _("--outdir must name an existing folder"));
	}
	so.module = o->module;
	so.token = o->token;
	so.key_id = o->key_id ? buf_ptr(o->key_id) : NULL;
	so.key_id_len = o->key_id ? buf_len(o->key_id) : 0;
	so.chain_pem = o->chain;
	/* One PIN, one login for the whole batch. */
	if (secret_read(o->pin_fd, _("Token PIN: "), &pin) != 0) {
		fprintf(stderr, _("kyso-sign: no PIN was given.\n"));
		return EXIT_USAGE;
	}
	r = p11_signer_open(&so, pin, &s, &why);
	secret_free(pin);
	if (r != 0) {
		fprintf(stderr, "kyso-sign: %s\n", _(why));
		return EXIT_TOKEN;
	}
	for (i = 0; i < nfiles; i++) {
		char *out = output_path(o, files[i]);

		if (tty && nfiles > 1)
			fprintf(stderr, "\r[%d/%d] %s\033[K", i + 1, nfiles,
			    files[i]);
		if (out == NULL) {
			failed++;
			continue;
		}
		if (strcmp(o->cmd, "pdf") == 0) {
			struct pdf_sign_opts po = { o->tsa, o->field, 0,
				o->certify, o->page,
				{ o->rect[0], o->rect[1], o->rect[2], o->rect[3] },
				o->stamp_text, o->font, o->lt, o->reason,
				o->location, o->image };

			r = pdf_sign_file(s, files[i], out, &po, &why);
		} else if (strcmp(o->cmd, "xml") == 0) {
			struct xmldsig_opts xo = { o->xml_id, o->xml_parent,
				o->inclusive, 0 };

			r = xmldsig_sign_file(s, files[i], out, &xo, &why);
		} else {
			r = cades_sign_file(s, files[i], out, o->tsa, &why);
		}
		if (tty && nfiles > 1)
			fprintf(stderr, "\r\033[K");
		if (r != 0) {
			fprintf(stderr, _("kyso-sign: %s: not signed: %s\n"),
			    files[i], _(why));
			failed++;
		} else {
			printf("%s -> %s\n", files[i], out);
		}
		free(out);
	}
	p11_signer_free(s);
	if (failed > 0 && nfiles > 1)
		fprintf(stderr, _("kyso-sign: %d of %d files failed.\n"),
		    failed, nfiles);
	return failed ? EXIT_FAIL : EXIT_OK;
}

static const char *
changes_word(enum verify_changes c)
{
	switch (c) {
	case CHANGES_NONE: return "none";
	case CHANGES_SIGNATURES: return "later-signatures-only";
	case CHANGES_DSS: return "validation-data-only";
	case CHANGES_OTHER: return "content-changed";
	}
	return "unknown";
}

static int
sig_ok(const struct sig_report *r)
{
	return r->intact && r->trusted != 0 && r->changes != CHANGES_OTHER &&
	    !r->docmdp_broken && (r->ts_time == NULL || r->ts_valid) &&
	    (r->revocation == NULL || strcmp(r->revocation, "revoked") != 0) &&
	    (r->doc_revocation == NULL ||
		strcmp(r->doc_revocation, "revoked") != 0);
}

/* The report a person reads, in their language (JSON stays English). */
static void
print_report(const char *file, const struct sig_report *rep, size_t n)
{
	size_t i;

	printf(n == 1 ? _("%s: %zu signature\n") : _("%s: %zu signatures\n"),
	    file, n);
	for (i = 0; i < n; i++) {
		const struct sig_report *r = &rep[i];

		printf("  [%zu] %s\n", i + 1, r->field ? r->field : "");
		printf(_("      signer:    %s\n"), r->signer ? r->signer : "?");
		if (r->signed_part != NULL)
			printf(_("      signed:    the element %s only\n"),
			    r->signed_part);
		if (r->reason != NULL)
			printf(_("      reason:    %s\n"), r->reason);
		if (r->location != NULL)
			printf(_("      location:  %s\n"), r->location);
		printf(_("      claimed:   %s\n"),
		    r->claimed_time && *r->claimed_time ? r->claimed_time
							: _("(none)"));
		if (r->ts_time != NULL)
			printf(_("      timestamp: %s (%s)\n"), r->ts_time,
			    r->ts_valid ? _("valid") : _("INVALID"));
		printf(_("      integrity: %s\n"),
		    r->intact ? _("intact") : _("BROKEN"));
		printf(_("      after it:  %s\n"),
		    r->changes == CHANGES_NONE ? _("no changes")
			: r->changes == CHANGES_SIGNATURES
			? _("only later signatures")
			: r->changes == CHANGES_DSS
			? _("only validation data (DSS)")
			: _("CONTENT CHANGED after signing"));
		printf(_("      chain:     %s\n"),
		    r->trusted < 0   ? _("not checked (no --trust)")
			: r->trusted ? _("trusted")
				     : _("NOT TRUSTED"));
		printf(_("      level:     %s\n"), r->level ? r->level : "?");
		if (r->revocation != NULL)
			printf(_("      revocation: %s\n"), _(r->revocation));
		if (r->doc_revocation != NULL)
			printf(_("      revocation in the document: %s\n"),
			    strcmp(r->doc_revocation, "none") == 0
				? _("none for this signer")
				: _(r->doc_revocation));
		if (r->docmdp > 0)
			printf(_("      type:      certification (DocMDP P=%d)\n"),
			    r->docmdp);
		if (r->problem != NULL)
			printf(_("      problem:   %s\n"), _(r->problem));
		printf(_("      result:    %s\n"),
		    sig_ok(r) ? _("VALID") : _("INVALID"));
	}
}

static json_t *
json_report(const char *file, const struct sig_report *rep, size_t n,
    const char *error)
{
	json_t *j = json_object(), *a = json_array();
	size_t i;

	json_object_set_new(j, "file", json_string(file));
	if (error != NULL)
		json_object_set_new(j, "error", json_string(error));
	for (i = 0; i < n; i++) {
		const struct sig_report *r = &rep[i];
		json_t *s = json_object();

		json_object_set_new(s, "field",
		    json_string(r->field ? r->field : ""));
		json_object_set_new(s, "signer",
		    r->signer ? json_string(r->signer) : json_null());
		json_object_set_new(s, "signed_part",
		    r->signed_part ? json_string(r->signed_part) : json_null());
		json_object_set_new(s, "reason",
		    r->reason ? json_string(r->reason) : json_null());
		json_object_set_new(s, "location",
		    r->location ? json_string(r->location) : json_null());
		json_object_set_new(s, "claimed_time",
		    json_string(r->claimed_time ? r->claimed_time : ""));
		json_object_set_new(s, "timestamp",
		    r->ts_time ? json_string(r->ts_time) : json_null());
		if (r->ts_time != NULL)
			json_object_set_new(s, "timestamp_valid",
			    json_boolean(r->ts_valid));
		json_object_set_new(s, "intact", json_boolean(r->intact));
		json_object_set_new(s, "changes_after",
		    json_string(changes_word(r->changes)));
		json_object_set_new(s, "trusted",
		    r->trusted < 0 ? json_null() : json_boolean(r->trusted));
		json_object_set_new(s, "level",
		    json_string(r->level ? r->level : ""));
		json_object_set_new(s, "certification_p",
		    json_integer(r->docmdp));
		if (r->docmdp > 0)
			json_object_set_new(s, "certification_kept",
			    json_boolean(!r->docmdp_broken &&
				r->changes != CHANGES_OTHER));
		json_object_set_new(s, "revocation",
		    r->revocation ? json_string(r->revocation) : json_null());
		json_object_set_new(s, "document_revocation",
		    r->doc_revocation ? json_string(r->doc_revocation)
				      : json_null());
		if (r->problem != NULL)
			json_object_set_new(s, "problem",
			    json_string(r->problem));
		json_object_set_new(s, "valid", json_boolean(sig_ok(r)));
		json_array_append_new(a, s);
	}
	json_object_set_new(j, "signatures", a);
	return j;
}

/* `kyso-sign fields`: the signature fields a PDF was prepared with, so
 * that a clerk can pick one for --field. */
static int
cmd_fields(int nfiles, char **files)
{
	int i, bad = 0;

	for (i = 0; i < nfiles; i++) {
		struct pdf_sig_fields *fs = NULL;
		const char *why = NULL;
		size_t k;

		if (pdf_sig_fields_file(files[i], &fs, &why) != 0) {
			fprintf(stderr, _("kyso-sign: %s: cannot read: %s\n"),
			    files[i], _(why));
			bad++;
			continue;
		}
		printf(fs->n == 1 ? _("%s: %zu signature field\n")
				  : _("%s: %zu signature fields\n"),
		    files[i], fs->n);
		for (k = 0; k < fs->n; k++) {
			const struct pdf_sig_field *f = &fs->f[k];

			printf("  %-16s %-8s", f->name,
			    f->is_signed ? _("signed") : _("empty"));
			if (f->page >= 0)
				printf(_(" page %lld [%g %g %g %g]"),
				    (long long)f->page + 1, f->rect[0],
				    f->rect[1], f->rect[2], f->rect[3]);
			else
				printf(_(" on no page"));
			putchar('\n');
		}
		pdf_sig_fields_free(fs);
	}
	return bad ? EXIT_FAIL : EXIT_OK;
}

static int
is_ext(const char *f, const char *ext)
{
	size_t n = strlen(f), e = strlen(ext);

	return n > e && strcasecmp(f + n - e, ext) == 0;
}

static int
is_p7s(const char *f)
{
	return is_ext(f, ".p7s");
}

static int
cmd_verify(struct opts *o, int nfiles, char **files)
{
	json_t *all = o->json ? json_array() : NULL;
	struct verify_opts vo = { o->trust, o->revocation };
	int i, bad = 0;

	for (i = 0; i < nfiles; i++) {
		struct sig_report *rep = NULL;
		const char *why = NULL;
		size_t n = 0, k;
		int r;

		if (is_p7s(files[i])) {
			char *content = NULL;

			if (o->content == NULL &&
			    (content = strndup(files[i], strlen(files[i]) - 4)) ==
				NULL)
				return EXIT_FAIL;
			r = verify_cms_file(files[i],
			    o->content ? o->content : content, &vo, &rep, &n,
			    &why);
			free(content);
		} else if (is_ext(files[i], ".xml")) {
			r = xmldsig_verify_file(files[i], &vo, &rep, &n, &why);
		} else {
			r = verify_pdf_file(files[i], &vo, &rep, &n, &why);
		}
		if (r != 0) {
			bad++;
			if (all != NULL)
				json_array_append_new(all,
				    json_report(files[i], NULL, 0, why));
			else
				fprintf(stderr,
				    _("kyso-sign: %s: cannot verify: %s\n"),
				    files[i], _(why));
			continue;
		}
		if (n == 0)
			bad++;
		for (k = 0; k < n; k++)
			if (!sig_ok(&rep[k]))
				bad++;
		if (all != NULL)
			json_array_append_new(all,
			    json_report(files[i], rep, n,
				n == 0 ? "no signatures" : NULL));
		else
			print_report(files[i], rep, n);
		sig_reports_free(rep, n);
	}
	if (all != NULL) {
		char *s = json_dumps(all, JSON_INDENT(2));

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(all);
	}
	return bad ? EXIT_FAIL : EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int r;

	jsonwipe_install();
	i18n_init(argv[0]);
	memset(&o, 0, sizeof(o));
	o.pin_fd = -1;
	if (argc < 2)
		return usage_error(
		    _("a command is needed: pdf, cms, xml or verify"));
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(_(usage_text), stdout);
		return EXIT_OK;
	}
	o.cmd = argv[1];
	if (strcmp(o.cmd, "pdf") != 0 && strcmp(o.cmd, "cms") != 0 &&
	    strcmp(o.cmd, "xml") != 0 && strcmp(o.cmd, "verify") != 0 &&
	    strcmp(o.cmd, "fields") != 0)
		return usage_error(
		    _("unknown command (pdf, cms, xml, verify or fields)"));
	r = parse_args(&o, argc - 1, argv + 1);
	if (r != EXIT_OK) {
		buf_free(o.key_id);
		return r < 0 ? EXIT_OK : r;
	}
	if (optind >= argc - 1) {
		buf_free(o.key_id);
		return usage_error(_("no input file"));
	}
	if (strcmp(o.cmd, "verify") == 0)
		r = cmd_verify(&o, argc - 1 - optind, argv + 1 + optind);
	else if (strcmp(o.cmd, "fields") == 0)
		r = cmd_fields(argc - 1 - optind, argv + 1 + optind);
	else
		r = cmd_sign(&o, argc - 1 - optind, argv + 1 + optind);
	buf_free(o.key_id);
	return r;
}
