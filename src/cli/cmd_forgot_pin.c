/* kyso-token forgot-pin: the seed's "Send forgot pin request remotely".
 * Personal or organization, ID card number or tax code and the contact
 * e-mail; an OTP comes by e-mail; with it the CA's server answers the
 * token's unblock challenge and the token resets its PIN to the factory
 * PIN, which must then be changed. No PIN or key travels. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/buf.h"
#include "common/parse.h"

#define FACTORY_PIN "12345678"
#define CHALLENGE_LABEL "kyso-unblock-challenge"

struct forgot {
	struct ra ra;
	const char *type;
	const char *id;
	const char *email;
	int otp_fd;
};

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
		if (strcmp(arg, "personal") != 0 && strcmp(arg, "organization") != 0)
			return cli_usage_error(c, _("--type is personal or organization"));
		f->type = arg;
		return EXIT_OK;
	case 'i':
		f->id = arg;
		return EXIT_OK;
	case 'e':
		f->email = arg;
		return EXIT_OK;
	case 'O':
		if (parse_u64(arg, 0, 1024, &v) != 0)
			return cli_usage_error(c, _("--otp-fd needs a file descriptor number"));
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

/* The token's current unblock challenge, as hex. */
static int
read_challenge(struct cli *c, CK_SESSION_HANDLE s, char **hex)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, CHALLENGE_LABEL, sizeof(CHALLENGE_LABEL) - 1 },
	};
	CK_OBJECT_HANDLE h;
	CK_ULONG n = 0;
	struct buf *v = NULL, *out = NULL;
	int r = KYSO_ERR_NOT_FOUND;

	if (c->fn->C_FindObjectsInit(s, t, 2) != CKR_OK)
		return KYSO_ERR_IO;
	if (c->fn->C_FindObjects(s, &h, 1, &n) != CKR_OK)
		n = 0;
	c->fn->C_FindObjectsFinal(s);
	if (n != 1)
		return KYSO_ERR_NOT_FOUND;
	if ((r = p11_get_attr(c->p11, s, h, CKA_VALUE, &v)) != 0)
		return r;
	if ((out = buf_new(1024)) == NULL) {
		buf_free(v);
		return KYSO_ERR_NOMEM;
	}
	if ((r = hex_encode(out, buf_ptr(v), buf_len(v))) == 0 &&
	    (*hex = buf_to_cstr(out)) == NULL)
		r = KYSO_ERR_NOMEM;
	buf_free(v);
	buf_free(out);
	return r;
}

int
cmd_forgot_pin(int argc, char **argv)
{
	struct cli c;
	struct forgot f;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	char serial[17], *type = NULL, *id = NULL, *email = NULL, *otp = NULL;
	char *challenge = NULL;
	json_t *req = NULL, *resp = NULL;
	const char *answer;
	CK_RV rv;
	int ex;

	memset(&f, 0, sizeof(f));
	f.otp_fd = -1;
	cli_init(&c, "forgot-pin");
	ex = cli_parse(&c, argc, argv, opts, _(
	    "Usage: kyso-token forgot-pin [--type personal|organization] [--id NUMBER]\n"
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
	p11_str(c.ti.serialNumber, sizeof(c.ti.serialNumber), serial);
	/* Steps 1 and 2. */
	if ((type = ask(f.type, _("Personal or organization? [personal/organization]: "))) == NULL ||
	    (strcmp(type, "personal") != 0 && strcmp(type, "organization") != 0)) {
		ex = cli_usage_error(&c, _("say --type personal or --type organization"));
		goto out;
	}
	if ((id = ask(f.id, strcmp(type, "personal") == 0 ?
	    _("ID card number (CCCD/CMND): ") : _("Tax code (MST): "))) == NULL ||
	    (email = ask(f.email, _("Contact e-mail: "))) == NULL) {
		ex = cli_usage_error(&c, _("give --id and --email"));
		goto out;
	}
	/* Step 3: send the request; an OTP goes to the e-mail if it matches. */
	req = json_pack("{s:s,s:s,s:s,s:s}", "type", type,
	    strcmp(type, "personal") == 0 ? "id_number" : "tax_code", id,
	    "email", email, "token_serial", serial);
	if ((ex = cli_ra_post(&f.ra, "/api/v1/pin-reset/request", req, &resp, NULL)) != EXIT_OK)
		goto out;
	printf(_("Request sent. If the details match the CA's records, a one-time code (OTP)\n"
	    "was sent to %s. It is valid for 5 minutes.\n"), email);
	fflush(stdout);
	/* Step 4: the OTP, then the challenge-response unblock. */
	if (cli_read_secret(f.otp_fd, _("OTP from the e-mail: "), &otp) != 0 || *otp == '\0') {
		fprintf(stderr, _("No OTP was given; the PIN was not reset.\n"));
		ex = EXIT_USAGE;
		goto out;
	}
	rv = c.fn->C_OpenSession(c.slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s);
	if (rv != CKR_OK) {
		s = CK_INVALID_HANDLE;
		ex = cli_fail_rv(&c, _("Opening the token"), rv);
		goto out;
	}
	if (read_challenge(&c, s, &challenge) != 0) {
		fprintf(stderr, _("This token does not support remote PIN reset. Take it to your CA.\n"));
		ex = EXIT_FAIL;
		goto out;
	}
	json_decref(req);
	json_decref(resp);
	resp = NULL;
	req = json_pack("{s:s,s:s,s:s}", "token_serial", serial, "otp", otp,
	    "challenge", challenge);
	if ((ex = cli_ra_post(&f.ra, "/api/v1/pin-reset/confirm", req, &resp, NULL)) != EXIT_OK)
		goto out;
	answer = json_string_value(json_object_get(resp, "response"));
	if (answer == NULL ||
	    (rv = c.fn->C_Login(s, CKU_SO, (CK_UTF8CHAR *)answer, strlen(answer))) != CKR_OK) {
		fprintf(stderr, _("The token did not accept the CA's answer; the PIN was not reset.\n"));
		ex = EXIT_FAIL;
		goto out;
	}
	rv = c.fn->C_InitPIN(s, (CK_UTF8CHAR *)FACTORY_PIN, strlen(FACTORY_PIN));
	c.fn->C_Logout(s);
	if (rv != CKR_OK) {
		ex = cli_fail_rv(&c, _("Resetting the PIN"), rv);
		goto out;
	}
	if (c.json)
		printf("{\"reset\": true, \"serial\": \"%s\"}\n", serial);
	else
		printf(_("The PIN of token %s was reset to the factory PIN 12345678.\n"
		    "Change it now with 'kyso-token change-pin' before you sign.\n"), serial);
	ex = EXIT_OK;
out:
	if (s != CK_INVALID_HANDLE)
		c.fn->C_CloseSession(s);
	cli_pin_free(otp);
	free(type);
	free(id);
	free(email);
	free(challenge);
	json_decref(req);
	json_decref(resp);
	cli_ra_done(&f.ra);
	cli_done(&c);
	return ex;
}
