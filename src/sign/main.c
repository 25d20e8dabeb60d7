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
#include "sign/formats/pdf_lta.h"
#include "sign/formats/pdf_sign.h"
#include "common/secret.h"
#include "sign/formats/xmldsig.h"
#include "common/x509_text.h"
#include "p11/signer.h"
#include "sign/precheck.h"
#include "sign/verify/cmd_verify.h"

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
	int lta;
	int revocation;
	const char *cert_id; /* --cert-id: a number, serial or ID prefix */
	int pin_fd;
	int json;
};

static const char usage_text[] = N_(
    "Usage: kyso-sign pdf|cms|xml FILE... [-o OUT | --outdir DIR] [options]\n"
    "       kyso-sign verify FILE... [--trust FILE] [--content FILE] [--json]\n"
    "               (PDF, FILE.p7s with its content, or signed .xml)\n"
    "       kyso-sign fields FILE.pdf...\n"
    "       kyso-sign extend FILE.pdf... --tsa URL [-o OUT | --outdir DIR]\n"
    "\n"
    "  pdf     sign PDF files (PAdES B-B, or B-T with --tsa) by incremental\n"
    "          update; FILE.pdf -> FILE.signed.pdf unless -o/--outdir\n"
    "  cms     detached CAdES signature of any file: FILE -> FILE.p7s\n"
    "  xml     XML-DSig enveloped signature (e-invoices, declarations):\n"
    "          FILE.xml -> FILE.signed.xml\n"
    "  verify  check every signature of signed PDFs, or FILE.p7s (with the\n"
    "          signed file beside it, or --content)\n"
    "  fields  list a PDF's signature fields, empty (prepared) or signed\n"
    "  extend  bring signed PDFs to PAdES B-LTA: validation data for every\n"
    "          signature and time-stamp in a DSS, then an archive document\n"
    "          time-stamp; FILE.pdf -> FILE.lta.pdf unless -o/--outdir\n"
    "  kyso-sign COMMAND --help: that command's options only\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT    output file (one input only)\n"
    "  --outdir DIR        write outputs into DIR under the input's name\n"
    "  --token SERIAL      the token, by serial number or label\n"
    "  --cert-id WHICH     the certificate (and its key) to sign with: its\n"
    "                      number in the list kyso-sign shows, its serial,\n"
    "                      or the start of its ID (default: the newest\n"
    "                      certificate valid now)\n"
    "  --module PATH       PKCS#11 module (default: the kyso virtual token)\n"
    "  --pin-fd N          read the PIN from file descriptor N\n"
    "  --chain FILE        PEM certificates to include in the signature\n"
    "                      (default: the CA certificates on the token)\n"
    "  --tsa URL           RFC 3161 time-stamp server (PAdES/CAdES B-T)\n"
    "  --lt                pdf: B-LT: add the chain's OCSP responses or CRLs\n"
    "                      (from the certificates' AIA/CRL URLs) in a DSS\n"
    "  --lta               pdf: B-LTA: B-LT, then a document time-stamp\n"
    "                      from --tsa over the whole file\n"
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
    "Exit status: 0 all files done (verify: every signature VALID), 1 some\n"
    "file failed (verify: a signature INVALID), 2 usage, 3 token or PIN,\n"
    "4 verify: none INVALID but some INDETERMINATE.\n");

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
    "B-LT with --tsa --lt; B-LTA with --tsa --lta) by incremental update:\n"
    "the original bytes are kept. FILE.pdf -> FILE.signed.pdf unless -o or\n"
    "--outdir.\n"
    "A document with exactly one empty signature field is signed into it.\n"
    "\n");

static const char help_pdf_opts[] = N_(
    "  --tsa URL           RFC 3161 time-stamp server (B-T)\n"
    "  --lt                B-LT: the chain's OCSP responses or CRLs in a DSS\n"
    "  --lta               B-LTA: B-LT, then a document time-stamp over it\n"
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
    "  --trust FILE|DIR    PEM trust anchors (default: trust = in kyso.conf,\n"
    "                      else the CA certificates on the tokens)\n"
    "  --revocation        ask the chain's OCSP responders (else CRLs) now\n"
    "                      whether the signer is revoked\n"
    "  --content FILE      the signed file (a .p7s)\n"
    "  --json              print the report as JSON\n"
    "\n"
    "Exit status: 0 every signature VALID; 1 some signature INVALID, or a\n"
    "file cannot be read; 2 usage; 4 none INVALID but some INDETERMINATE\n"
    "(intact, but the signer's chain or revocation not established).\n");

static const char help_fields[] = N_(
    "Usage: kyso-sign fields FILE.pdf...\n"
    "Lists each PDF's signature fields: name, empty (prepared for a signer)\n"
    "or signed, page and rectangle (points). Sign into an empty one with\n"
    "'kyso-sign pdf FILE.pdf --field NAME'.\n"
    "\n"
    "Exit status: 0 all files read, 1 some file cannot be read, 2 usage.\n");

static const char help_extend[] = N_(
    "Usage: kyso-sign extend FILE.pdf... --tsa URL [-o OUT | --outdir DIR]\n"
    "Brings signed PDFs (kyso's or another program's) to PAdES B-LTA: the\n"
    "certificates and OCSP responses or CRLs of every signature and\n"
    "time-stamp in the document's DSS, then a document time-stamp (an\n"
    "archive time-stamp) over the whole file. Run it again before the\n"
    "last time-stamp's certificate expires: fresh validation data and a\n"
    "new time-stamp over the old. No token is needed.\n"
    "FILE.pdf -> FILE.lta.pdf unless -o or --outdir. A document with no\n"
    "signature, or with an INVALID one, is not extended.\n"
    "\n"
    "  -o, --output OUT    output file (one input only)\n"
    "  --outdir DIR        write outputs into DIR under the input's name\n"
    "  --tsa URL           RFC 3161 time-stamp server (required)\n"
    "  --chain FILE        PEM CA certificates that complete the signers'\n"
    "                      chains up to their roots\n"
    "  --trust FILE|DIR    PEM trust anchors for the check before\n"
    "\n"
    "Exit status: 0 all files extended, 1 some file failed, 2 usage.\n");

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
		{ "extend", help_extend, NULL },
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
		{ "lta", no_argument, NULL, 'A' },
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
		case 'A': o->lta = 1; break;
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
			if (optarg[0] == '\0' ||
			    strspn(optarg, "0123456789abcdefABCDEF:") !=
				strlen(optarg))
				return usage_error(_(
				    "--cert-id wants a number from the list, a serial or the start of an ID (hex)"));
			o->cert_id = optarg;
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
	const char *mark = strcmp(o->cmd, "extend") == 0 ? ".lta" : ".signed";
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
		/* name.pdf -> name.signed.pdf (.xml likewise; extend:
		 * name.lta.pdf) */
		const char *ext = strcmp(o->cmd, "xml") == 0 ? ".xml" : ".pdf";

		n = strlen(in);
		if ((res = malloc(n + 16)) != NULL) {
			if (n > 4 && strcasecmp(in + n - 4, ext) == 0)
				snprintf(res, n + 16, "%.*s%s%s", (int)(n - 4),
				    in, mark, ext);
			else
				snprintf(res, n + 16, "%s%s%s", in, mark, ext);
		}
	}
	free(copy);
	return res;
}

/* The options that need no token, checked before anything is asked. */
static int
check_sign_opts(const struct opts *o, int nfiles)
{
	struct stat st;

	if (o->out != NULL && nfiles != 1)
		return usage_error(
		    _("-o takes one input file; use --outdir for several"));
	if (o->outdir != NULL && o->out != NULL)
		return usage_error(_("-o and --outdir exclude each other"));
	if (o->outdir != NULL &&
	    (stat(o->outdir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return usage_error(_("--outdir must name an existing folder"));
	if (o->lt && o->tsa == NULL)
		return usage_error(_("--lt needs a time-stamp server (--tsa)"));
	if (o->lta && o->tsa == NULL)
		return usage_error(_("--lta needs a time-stamp server (--tsa)"));
	if (o->lta && strcmp(o->cmd, "pdf") != 0)
		return usage_error(_("--lta is for PDF (kyso-sign pdf)"));
	return EXIT_OK;
}

/* The files that cannot be signed as far as their first bytes tell are
 * named now, before the PIN; ok[i] marks the others. How many are ok. */
static int
check_inputs(const struct opts *o, int nfiles, char **files, char *ok)
{
	enum precheck_kind kind = strcmp(o->cmd, "pdf") == 0 ? PRECHECK_PDF
	    : strcmp(o->cmd, "xml") == 0		     ? PRECHECK_XML
							     : PRECHECK_ANY;
	const char *why;
	int i, good = 0;

	for (i = 0; i < nfiles; i++) {
		if ((why = precheck_file(files[i], kind)) != NULL)
			fprintf(stderr, _("kyso-sign: %s: not signed: %s\n"),
			    files[i], _(why));
		ok[i] = why == NULL;
		good += ok[i];
	}
	return good;
}

/* One file with the open signer. */
static int
sign_one(const struct opts *o, struct p11_signer *s, const char *in,
    const char *out, const char **why)
{
	if (strcmp(o->cmd, "pdf") == 0) {
		struct pdf_sign_opts po = { o->tsa, o->field, 0, o->certify,
			o->page,
			{ o->rect[0], o->rect[1], o->rect[2], o->rect[3] },
			o->stamp_text, o->font, o->lt, o->reason, o->location,
			o->image, o->lta };

		return pdf_sign_file(s, in, out, &po, why);
	}
	if (strcmp(o->cmd, "xml") == 0) {
		struct xmldsig_opts xo = { o->xml_id, o->xml_parent,
			o->inclusive, 0 };

		return xmldsig_sign_file(s, in, out, &xo, why);
	}
	return cades_sign_file(s, in, out, o->tsa, why);
}

/* A token pulled out mid-batch: every file from index on is named as
 * not signed, once, instead of a refusal per file. */
static void
say_removed(int from, int nfiles, char **files, const char *ok)
{
	int i, left = 0;

	for (i = from; i < nfiles; i++)
		left += ok[i];
	fprintf(stderr,
	    _("kyso-sign: the token was removed; the batch stopped. %d file(s) not signed:\n"),
	    left);
	for (i = from; i < nfiles; i++)
		if (ok[i])
			fprintf(stderr, "  %s\n", files[i]);
}

/* Everything that needs no PIN first (options, files, token, the
 * certificate), then one PIN and one login for the whole batch. */
static int
cmd_sign(struct opts *o, int nfiles, char **files)
{
	struct p11_signer_opts so = { 0 };
	struct p11_signer *s = NULL;
	struct precheck_key key;
	const char *why = NULL;
	char *pin = NULL, *ok = NULL;
	int i, failed = 0, r, ex, tty = isatty(STDERR_FILENO);

	if ((ex = check_sign_opts(o, nfiles)) != EXIT_OK)
		return ex;
	if ((ok = calloc((size_t)nfiles, 1)) == NULL)
		return EXIT_FAIL;
	failed = nfiles - check_inputs(o, nfiles, files, ok);
	if (failed == nfiles) {
		ex = EXIT_FAIL;
		goto out;
	}
	if (precheck_key(o->module, o->token, o->cert_id, &key) != 0) {
		ex = EXIT_TOKEN;
		goto out;
	}
	so.module = o->module;
	so.token = o->token;
	so.key_id = key.id;
	so.key_id_len = key.idlen;
	so.chain_pem = o->chain;
	if (secret_read(o->pin_fd, _("Token PIN: "), &pin) != 0) {
		fprintf(stderr, _("kyso-sign: no PIN was given.\n"));
		ex = EXIT_USAGE;
		goto out;
	}
	r = p11_signer_open(&so, pin, &s, &why);
	secret_free(pin);
	if (r != 0) {
		fprintf(stderr, "kyso-sign: %s\n", _(why));
		ex = EXIT_TOKEN;
		goto out;
	}
	ex = EXIT_OK;
	for (i = 0; i < nfiles; i++) {
		char *out;

		if (!ok[i])
			continue;
		if ((out = output_path(o, files[i])) == NULL) {
			failed++;
			continue;
		}
		if (tty && nfiles > 1)
			fprintf(stderr, "\r[%d/%d] %s\033[K", i + 1, nfiles,
			    files[i]);
		r = sign_one(o, s, files[i], out, &why);
		if (tty && nfiles > 1)
			fprintf(stderr, "\r\033[K");
		if (r != 0 && !p11_signer_present(s)) {
			free(out);
			say_removed(i, nfiles, files, ok);
			ex = EXIT_TOKEN;
			goto out;
		}
		if (r != 0) {
			fprintf(stderr, _("kyso-sign: %s: not signed: %s\n"),
			    files[i], _(why));
			failed++;
		} else {
			printf("%s -> %s\n", files[i], out);
		}
		free(out);
	}
out:
	p11_signer_free(s);
	if (ex != EXIT_TOKEN && ex != EXIT_USAGE && failed > 0 && nfiles > 1)
		fprintf(stderr, _("kyso-sign: %d of %d files failed.\n"),
		    failed, nfiles);
	free(ok);
	if (ex == EXIT_OK && failed > 0)
		ex = EXIT_FAIL;
	return ex;
}

/* `kyso-sign extend`: validation data and an archive time-stamp for
 * signed PDFs; no token. */
static int
cmd_extend(const struct opts *o, int nfiles, char **files)
{
	struct pdf_extend_opts eo = { o->tsa, o->chain, o->trust };
	int i, failed = 0, ex;

	if ((ex = check_sign_opts(o, nfiles)) != EXIT_OK)
		return ex;
	if (o->tsa == NULL)
		return usage_error(_("extend needs a time-stamp server (--tsa)"));
	for (i = 0; i < nfiles; i++) {
		const char *why = NULL;
		char *out = output_path(o, files[i]);

		if (out == NULL) {
			failed++;
			continue;
		}
		if (pdf_extend_file(&eo, files[i], out, &why) != 0) {
			fprintf(stderr, _("kyso-sign: %s: not extended: %s\n"),
			    files[i], _(why));
			failed++;
		} else {
			printf("%s -> %s\n", files[i], out);
		}
		free(out);
	}
	if (failed > 0 && nfiles > 1)
		fprintf(stderr, _("kyso-sign: %d of %d files failed.\n"),
		    failed, nfiles);
	return failed > 0 ? EXIT_FAIL : EXIT_OK;
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
	    strcmp(o.cmd, "fields") != 0 && strcmp(o.cmd, "extend") != 0)
		return usage_error(_(
		    "unknown command (pdf, cms, xml, verify, fields or extend)"));
	r = parse_args(&o, argc - 1, argv + 1);
	if (r != EXIT_OK)
		return r < 0 ? EXIT_OK : r;
	if (optind >= argc - 1)
		return usage_error(_("no input file"));
	if (strcmp(o.cmd, "verify") == 0) {
		struct verify_cli vc = { o.trust, o.content, o.revocation,
			o.json };

		return cmd_verify(&vc, argc - 1 - optind, argv + 1 + optind);
	}
	if (strcmp(o.cmd, "fields") == 0)
		return cmd_fields(argc - 1 - optind, argv + 1 + optind);
	if (strcmp(o.cmd, "extend") == 0)
		return cmd_extend(&o, argc - 1 - optind, argv + 1 + optind);
	return cmd_sign(&o, argc - 1 - optind, argv + 1 + optind);
}
