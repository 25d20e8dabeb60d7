#include "cli.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/parse.h"
#include "common/secret.h"

void
cli_init(struct cli *c, const char *cmd)
{
	memset(c, 0, sizeof(*c));
	c->cmd = cmd;
	c->pin_fd = c->new_pin_fd = c->so_pin_fd = -1;
}

void
cli_done(struct cli *c)
{
	p11_free(c->p11);
	c->p11 = NULL;
}

static int
parse_fd(const char *arg, int *fd)
{
	uint64_t v;

	if (parse_u64(arg, 0, 1024, &v) != 0)
		return -1;
	*fd = (int)v;
	return 0;
}

int
cli_usage_error(const struct cli *c, const char *what)
{
	fprintf(stderr, _("kyso-token %s: %s\nTry 'kyso-token %s --help'.\n"),
	    c->cmd, what, c->cmd);
	return EXIT_USAGE;
}

int
cli_common_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'M': c->module = arg; return EXIT_OK;
	case 'T': c->token = arg; return EXIT_OK;
	case 'J': c->json = 1; return EXIT_OK;
	case 'P':
		return parse_fd(arg, &c->pin_fd) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--pin-fd needs a file descriptor number"));
	case 'N':
		return parse_fd(arg, &c->new_pin_fd) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--new-pin-fd needs a file descriptor number"));
	case 'S':
		return parse_fd(arg, &c->so_pin_fd) == 0
		    ? EXIT_OK
		    : cli_usage_error(c,
			  _("--so-pin-fd needs a file descriptor number"));
	case '?': return EXIT_USAGE;
	}
	return -1;
}

int
cli_open_module(struct cli *c)
{
	int r;

	if (c->p11 != NULL)
		return EXIT_OK;
	if ((r = p11_open(c->module, &c->p11)) != 0) {
		fprintf(stderr,
		    _("Cannot load the token driver (PKCS#11 module) %s: %s.\n"),
		    c->module != NULL ? c->module : "", kyso_strerror(r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
cli_open_token(struct cli *c)
{
	int r, ex;

	if ((ex = cli_open_module(c)) != EXIT_OK)
		return ex;
	r = p11_find_token(c->p11, c->token, &c->slot, &c->ti);
	if (r == KYSO_ERR_BUSY) {
		fprintf(stderr,
		    _("Several tokens are plugged in. Choose one with --token SERIAL (see 'kyso-token list').\n"));
		return EXIT_USAGE;
	}
	if (r != 0) {
		if (c->token != NULL)
			fprintf(stderr,
			    _("No token with serial or label '%s' is plugged in.\n"),
			    c->token);
		else
			fprintf(stderr,
			    _("No token is plugged in. Plug in your USB token and try again.\n"));
		return EXIT_NO_TOKEN;
	}
	return EXIT_OK;
}

int
cli_fail_rv(const struct cli *c, const char *what, CK_RV rv)
{
	(void)c;
	switch (rv) {
	case CKR_PIN_INCORRECT:
		fprintf(stderr, _("%s: the PIN is incorrect.\n"), what);
		return EXIT_PIN_INCORRECT;
	case CKR_PIN_LOCKED:
		fprintf(stderr,
		    _("%s: the PIN is locked after too many wrong tries. Request an unblock with 'kyso-token forgot-pin'.\n"),
		    what);
		return EXIT_PIN_LOCKED;
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_INVALID:
		fprintf(stderr,
		    _("%s: the new PIN must be 6 to 16 characters.\n"), what);
		return EXIT_PIN_INVALID;
	case CKR_PIN_EXPIRED:
		fprintf(stderr,
		    _("%s: the token still has its factory PIN. Change it first with 'kyso-token change-pin'.\n"),
		    what);
		return EXIT_CHECK_DEFAULT_PIN;
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
		fprintf(stderr, _("%s: the token was removed.\n"), what);
		return EXIT_NO_TOKEN;
	case CKR_DEVICE_MEMORY:
		fprintf(stderr, _("%s: the token's memory is full.\n"), what);
		return EXIT_FAIL;
	case CKR_DEVICE_ERROR:
		fprintf(stderr,
		    _("%s: the token could not store the change. Check that the disk has free space, then try again.\n"),
		    what);
		return EXIT_FAIL;
	}
	fprintf(stderr, _("%s failed (%s).\n"), what, p11_rv_name(rv));
	return EXIT_FAIL;
}

int
cli_fail_p11(const struct cli *c, const char *what)
{
	return cli_fail_rv(c, what, p11_last_rv(c->p11));
}

/* The session is opened before the PIN is asked, so a token pulled out
 * is reported before anyone types a PIN for it. */
int
cli_login(struct cli *c, CK_SESSION_HANDLE *s, int rw)
{
	struct p11_pin_info pi;
	CK_SESSION_HANDLE h;
	const char *tries;
	char *pin = NULL;
	int r, ex;

	if (p11_session_open(c->p11, c->slot, rw, &h) != 0)
		return cli_fail_p11(c, _("Opening the token"));
	if (secret_read(c->pin_fd, _("Token PIN: "), &pin) != 0) {
		fprintf(stderr, _("No PIN was given.\n"));
		p11_session_close(c->p11, h);
		return EXIT_USAGE;
	}
	r = p11_session_login(c->p11, h, CKU_USER, pin, &pi);
	secret_free(pin);
	if (r != 0) {
		ex = cli_fail_rv(c, _("Logging in to the token"), pi.rv);
		if (r == KYSO_ERR_PIN_INCORRECT &&
		    (tries = tm_tries_text(pi.tries_left, pi.count_low)) != NULL)
			fprintf(stderr, "%s\n", _(tries));
		p11_session_close(c->p11, h);
		return ex;
	}
	*s = h;
	return EXIT_OK;
}

int
cli_confirm(const char *question)
{
	char ans[64];
	FILE *tty;
	int fd, yes;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return 0;
	if (!isatty(fd) || (tty = fdopen(fd, "r+")) == NULL) {
		close(fd);
		return 0;
	}
	fputs(question, tty);
	fflush(tty);
	if (fgets(ans, sizeof(ans), tty) == NULL) {
		fclose(tty);
		return 0;
	}
	fclose(tty);
	/* Enter alone is yes; so are y, yes, c, có. */
	yes = ans[0] == '\n' || ans[0] == '\r' || ans[0] == 'y' ||
	    ans[0] == 'Y' || ans[0] == 'c' || ans[0] == 'C';
	return yes;
}

void
cli_json_print(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

	if (s != NULL) {
		puts(s);
		free(s);
	}
}

const char *
cli_pin_state(const CK_TOKEN_INFO *ti)
{
	if (ti->flags & CKF_USER_PIN_LOCKED)
		return "locked";
	if (ti->flags & CKF_USER_PIN_TO_BE_CHANGED)
		return "default-pin";
	if (ti->flags & CKF_USER_PIN_FINAL_TRY)
		return "final-try";
	if (ti->flags & CKF_USER_PIN_COUNT_LOW)
		return "count-low";
	return "ok";
}

static const char common_help[] = N_(
    "Common options:\n"
    "  --module PATH      PKCS#11 module (default: the kyso virtual token)\n"
    "  --token SERIAL     the token, by serial number or label\n"
    "  --json             print the result as JSON\n"
    "  --pin-fd N         read the PIN from file descriptor N\n"
    "  --new-pin-fd N     read the new PIN (and its confirmation) from N\n"
    "  --so-pin-fd N      read the security officer PIN from N\n"
    "  -h, --help         show this help\n");

int
cli_parse(struct cli *c, int argc, char **argv, const struct option *opts,
    const char *help, cli_opt_fn fn, void *ud)
{
	return cli_parse_short(c, argc, argv, "h", opts, help, fn, ud);
}

int
cli_parse_short(struct cli *c, int argc, char **argv, const char *shortopts,
    const struct option *opts, const char *help, cli_opt_fn fn, void *ud)
{
	char so[32], what[160], shortname[3];
	const char *arg;
	int opt, ex;

	/* getopt stays quiet (a leading ':' tells a missing value from an
	 * unknown option); the messages are ours, translated, with the hint. */
	if (snprintf(so, sizeof(so), ":%s", shortopts) >= (int)sizeof(so))
		return EXIT_FAIL;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, so, opts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			arg = optind > 0 && optind <= argc ? argv[optind - 1]
							   : "";
			if (strncmp(arg, "--", 2) != 0) {
				snprintf(shortname, sizeof(shortname), "-%c",
				    optopt);
				arg = shortname;
			}
			snprintf(what, sizeof(what),
			    opt == '?' ? _("unknown option '%.100s'")
				       : _("option '%.100s' needs a value"),
			    arg);
			return cli_usage_error(c, what);
		}
		if (opt == 'h') {
			fputs(help, stdout);
			fputs(_(common_help), stdout);
			return CLI_DONE;
		}
		if ((ex = cli_common_option(c, opt, optarg)) != -1) {
			if (ex != EXIT_OK)
				return ex;
			continue;
		}
		if (fn == NULL)
			return cli_usage_error(c, _("unknown option"));
		if ((ex = fn(c, opt, optarg, ud)) != EXIT_OK)
			return ex;
	}
	return EXIT_OK;
}
