/* kyso-token change-pin: old PIN, new PIN, confirmation (seed B1-B4). */
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"

#define FACTORY_PIN "12345678"

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

int
cli_change_pin(struct cli *c)
{
	char *old = NULL, *pin = NULL, *again = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	size_t n;
	CK_RV rv;
	int ex = EXIT_USAGE;

	if (cli_read_pin(c->pin_fd, _("Old PIN: "), &old) != 0 ||
	    cli_read_pin(c->new_pin_fd, _("New PIN: "), &pin) != 0) {
		fprintf(stderr, _("No PIN was given; nothing was changed.\n"));
		goto out;
	}
	/* The confirmation: a second line on --new-pin-fd, or asked. */
	if (cli_read_pin(c->new_pin_fd, _("Confirm the new PIN: "), &again) != 0) {
		if (c->new_pin_fd < 0) {
			fprintf(stderr, _("The new PIN was not confirmed; nothing was changed.\n"));
			goto out;
		}
		again = NULL;
	}
	if (again != NULL && strcmp(pin, again) != 0) {
		fprintf(stderr, _("The new PIN and its confirmation differ; nothing was changed.\n"));
		ex = EXIT_PIN_MISMATCH;
		goto out;
	}
	n = strlen(pin);
	if (n < c->ti.ulMinPinLen || n > c->ti.ulMaxPinLen) {
		fprintf(stderr, _("The new PIN must be %lu to %lu characters; nothing was changed.\n"),
		    c->ti.ulMinPinLen, c->ti.ulMaxPinLen);
		ex = EXIT_PIN_INVALID;
		goto out;
	}
	if (strcmp(pin, FACTORY_PIN) == 0 || strcmp(pin, old) == 0) {
		fprintf(stderr, _("Choose a new PIN other than the old one and the factory PIN; nothing was changed.\n"));
		ex = EXIT_PIN_INVALID;
		goto out;
	}
	rv = c->fn->C_OpenSession(c->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &s);
	if (rv != CKR_OK) {
		ex = cli_fail_rv(c, _("Opening the token"), rv);
		goto out;
	}
	rv = c->fn->C_SetPIN(s, (CK_UTF8CHAR *)old, strlen(old),
	    (CK_UTF8CHAR *)pin, n);
	if (rv != CKR_OK) {
		ex = cli_fail_rv(c, _("Changing the PIN"), rv);
		goto out;
	}
	if (c->json)
		printf("{\"changed\": true}\n");
	else
		printf(_("The token PIN was changed.\n"));
	ex = EXIT_OK;
out:
	if (s != CK_INVALID_HANDLE)
		c->fn->C_CloseSession(s);
	cli_pin_free(old);
	cli_pin_free(pin);
	cli_pin_free(again);
	return ex;
}

int
cmd_change_pin(int argc, char **argv)
{
	struct cli c;
	int ex;

	cli_init(&c, "change-pin");
	ex = cli_parse(&c, argc, argv, opts, _(
	    "Usage: kyso-token change-pin [OPTIONS]\n"
	    "Changes the token PIN: asks the old PIN, the new PIN and the new PIN\n"
	    "again. If the two new PINs differ, nothing changes. A new PIN has 6 to\n"
	    "16 characters and may not be the factory PIN 12345678.\n"
	    "Scripts give the old PIN on --pin-fd and the new PIN, then its\n"
	    "confirmation, as two lines on --new-pin-fd.\n\n"), NULL, NULL);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) == EXIT_OK)
		ex = cli_change_pin(&c);
	cli_done(&c);
	return ex;
}
