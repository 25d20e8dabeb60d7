/* kyso-token info: the "Hardware Information USB Token" screen. */
#include <string.h>

#include "cli.h"

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

static const char *
yes_no(int v)
{
	return v ? _("yes") : _("no");
}

static void
mem(char *out, size_t n, CK_ULONG v)
{
	if (v == CK_UNAVAILABLE_INFORMATION || v == CK_EFFECTIVELY_INFINITE)
		snprintf(out, n, "%s", _("not reported"));
	else
		snprintf(out, n, _("%lu bytes"), v);
}

int
cmd_info(int argc, char **argv)
{
	struct cli c;
	CK_TOKEN_INFO *t = &c.ti;
	char label[33], manuf[33], model[17], serial[17], total[64], freem[64];
	const char *pin;
	json_t *j;
	int ex;

	cli_init(&c, "info");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token info [OPTIONS]\n"
	      "Shows the token's hardware information: label, maker, model, serial\n"
	      "number, versions, memory and PIN state.\n\n"),
	    NULL, NULL);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_token(&c)) != EXIT_OK)
		goto out;
	p11_str(t->label, sizeof(t->label), label);
	p11_str(t->manufacturerID, sizeof(t->manufacturerID), manuf);
	p11_str(t->model, sizeof(t->model), model);
	p11_str(t->serialNumber, sizeof(t->serialNumber), serial);
	pin = cli_pin_state(t);
	if (c.json) {
		j = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:s,s:b,s:b,s:b,s:b}",
		    "slot", (json_int_t)c.slot, "label", label, "manufacturer",
		    manuf, "model", model, "serial", serial, "hardware_version",
		    "", "firmware_version", "", "total_memory",
		    (json_int_t)t->ulTotalPublicMemory, "free_memory",
		    (json_int_t)t->ulFreePublicMemory, "min_pin_length",
		    (json_int_t)t->ulMinPinLen, "max_pin_length",
		    (json_int_t)t->ulMaxPinLen, "sessions",
		    (json_int_t)t->ulSessionCount, "flags",
		    (json_int_t)t->flags, "pin_state", pin, "initialized",
		    (t->flags & CKF_TOKEN_INITIALIZED) != 0,
		    "user_pin_initialized",
		    (t->flags & CKF_USER_PIN_INITIALIZED) != 0,
		    "pin_to_be_changed",
		    (t->flags & CKF_USER_PIN_TO_BE_CHANGED) != 0,
		    "so_pin_locked", (t->flags & CKF_SO_PIN_LOCKED) != 0);
		json_object_set_new(j, "hardware_version",
		    json_sprintf("%u.%u", t->hardwareVersion.major,
			t->hardwareVersion.minor));
		json_object_set_new(j, "firmware_version",
		    json_sprintf("%u.%u", t->firmwareVersion.major,
			t->firmwareVersion.minor));
		cli_json_print(j);
		json_decref(j);
		goto out;
	}
	mem(total, sizeof(total), t->ulTotalPublicMemory);
	mem(freem, sizeof(freem), t->ulFreePublicMemory);
	printf(_("Token hardware information\n"));
	printf(_("  Label:             %s\n"), label);
	printf(_("  Manufacturer:      %s\n"), manuf);
	printf(_("  Model:             %s\n"), model);
	/* kyso's virtual tokens say their profile in the model. */
	if (strcmp(model, "kyso vToken") == 0 ||
	    strcmp(model, "kyso vToken gen") == 0)
		printf(_("  Profile:           %s\n"),
		    strcmp(model, "kyso vToken") == 0
			? _("ca (keys made on the token, never leaving it)")
			: _("general (general-purpose soft token)"));
	printf(_("  Serial number:     %s\n"), serial);
	printf(_("  Hardware version:  %u.%u\n"), t->hardwareVersion.major,
	    t->hardwareVersion.minor);
	printf(_("  Firmware version:  %u.%u\n"), t->firmwareVersion.major,
	    t->firmwareVersion.minor);
	printf(_("  Total memory:      %s\n"), total);
	printf(_("  Free memory:       %s\n"), freem);
	printf(_("  PIN length:        %lu to %lu characters\n"),
	    t->ulMinPinLen, t->ulMaxPinLen);
	printf(_("  Initialized:       %s\n"),
	    yes_no(t->flags & CKF_TOKEN_INITIALIZED));
	printf(_("  User PIN set:      %s\n"),
	    yes_no(t->flags & CKF_USER_PIN_INITIALIZED));
	if (strcmp(pin, "locked") == 0)
		printf(_(
		    "  PIN state:         locked: request an unblock with 'kyso-token forgot-pin'\n"));
	else if (strcmp(pin, "default-pin") == 0)
		printf(_(
		    "  PIN state:         factory PIN, must be changed before signing\n"));
	else if (strcmp(pin, "final-try") == 0)
		printf(_(
		    "  PIN state:         one try left before the PIN locks\n"));
	else if (strcmp(pin, "count-low") == 0)
		printf(_(
		    "  PIN state:         a wrong PIN was entered recently\n"));
	else
		printf(_("  PIN state:         OK\n"));
	printf(_("  SO PIN locked:     %s\n"),
	    yes_no(t->flags & CKF_SO_PIN_LOCKED));
	printf(_("  Module:            %s\n"), p11_path(c.p11));
out:
	cli_done(&c);
	return ex;
}
