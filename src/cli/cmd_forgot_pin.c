/* kyso-token forgot-pin: the seed's "Send forgot pin request remotely".
 * Personal or organization, ID card number or tax code and the contact
 * e-mail are asked here; the flow is libkysotm's tm_forgot_pin (an OTP
 * comes by e-mail; with it the CA's server answers the token's unblock
 * challenge and the token resets its PIN to the factory PIN, which must
 * then be changed). No PIN or key travels. */
#include <ctype.h>
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

static int type_of(const char *ans);

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
		if (type_of(arg) < 0)
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

/* Personal or organization, in English or Vietnamese, with or without
 * diacritics, any case, spaces ignored: 0 personal, 1 organization, -1
 * not an answer. */
static int
type_of(const char *ans)
{
	static const char *const personal[] = { "personal", "p", "person",
		"canhan", "c\xc3\xa1nh\xc3\xa2n", "c\xc3\xa1nhan",
		"canh\xc3\xa2n", NULL };
	static const char *const org[] = { "organization", "organisation", "o",
		"org", "tochuc",
		"t\xe1\xbb\x95"
		"ch\xe1\xbb\xa9"
		"c",
		"t\xe1\xbb\x95"
		"chuc",
		"toch\xe1\xbb\xa9"
		"c",
		NULL };
	char w[64];
	size_t n = 0, i;

	for (; *ans != '\0'; ans++) {
		if (*ans == ' ' || *ans == '\t')
			continue;
		if (n == sizeof(w) - 1)
			return -1;
		w[n++] = (char)tolower((unsigned char)*ans);
	}
	w[n] = '\0';
	for (i = 0; personal[i] != NULL; i++)
		if (strcmp(w, personal[i]) == 0)
			return 0;
	for (i = 0; org[i] != NULL; i++)
		if (strcmp(w, org[i]) == 0)
			return 1;
	return -1;
}

/* The number the CA registered: CCCD 12 digits or CMND 9 for a person,
 * MST 10 or 13 digits (or 10-3) for an organization; the RA checks the
 * same, but in English and after the request. */
static int
id_ok(int organization, const char *s)
{
	size_t n = strlen(s), d = strspn(s, "0123456789");

	if (!organization)
		return d == n && (n == 9 || n == 12);
	return (d == n && (n == 10 || n == 13)) ||
	    (n == 14 && d == 10 && s[10] == '-' &&
		strspn(s + 11, "0123456789") == 3);
}

/* An address the CA could have mailed: something@domain.tld, no blanks. */
static int
email_ok(const char *s)
{
	const char *at = strchr(s, '@');

	return at != NULL && at != s && strchr(at + 1, '@') == NULL &&
	    strchr(at + 1, '.') != NULL && strpbrk(s, " \t<>,;:\"") == NULL &&
	    strlen(s) <= 254;
}

/* One answer: the option's value, else asked on the terminal until it
 * passes ok (a person gets another go; a script does not). NULL when no
 * answer came; *bad when the given one did not pass. */
static char *
ask(const char *given, const char *prompt, const char *why_bad,
    int (*ok)(int, const char *), int organization, int *bad)
{
	char *line = NULL;
	int i;

	*bad = 0;
	if (given != NULL) {
		if (ok(organization, given))
			return strdup(given);
		fprintf(stderr, "%s\n", why_bad);
		*bad = 1;
		return NULL;
	}
	if (!isatty(STDIN_FILENO))
		return NULL;
	for (i = 0; i < 5; i++) {
		if (cli_ask_line(-1, prompt, &line) != 0)
			return NULL;
		if (ok(organization, line))
			return line;
		fprintf(stderr, "%s\n", why_bad);
		free(line);
		line = NULL;
	}
	*bad = 1;
	return NULL;
}

/* ask's test for the type question. */
static int
type_ok(int organization, const char *s)
{
	(void)organization;
	return type_of(s) >= 0;
}

/* ask's test for the e-mail. */
static int
email_test(int organization, const char *s)
{
	(void)organization;
	return email_ok(s);
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
	int ex, bad = 0, org;

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
	/* Steps 1 and 2: a wrong answer is explained and asked again. */
	if ((type = ask(f.type,
		 _("Personal or organization? [personal/organization]: "),
		 _("Answer personal (or: cá nhân) or organization (or: tổ chức)."),
		 type_ok, 0, &bad)) == NULL) {
		ex = bad ? EXIT_USAGE
			 : cli_usage_error(&c,
			       _("say --type personal or --type organization"));
		goto out;
	}
	org = type_of(type);
	if ((id = ask(f.id,
		 org ? _("Tax code (MST): ") : _("ID card number (CCCD/CMND): "),
		 org ? _("A tax code (MST) has 10 or 13 digits (or 10 digits, a dash and 3).")
		     : _("An ID card number has 12 digits (CCCD) or 9 (CMND)."),
		 id_ok, org, &bad)) == NULL ||
	    (email = ask(f.email, _("Contact e-mail: "),
		 _("Give the e-mail address registered with the CA, like name@example.vn."),
		 email_test, org, &bad)) == NULL) {
		ex = bad ? EXIT_USAGE
			 : cli_usage_error(&c, _("give --id and --email"));
		goto out;
	}
	/* Steps 3 and 4: the request, the OTP, the unblock. */
	who.organization = org;
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
	tm_term_pin_reset(&tt, r, "reset");
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
