/* kyso-token list: slots and the tokens in them. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };

int
cmd_list(int argc, char **argv)
{
	struct cli c;
	CK_SLOT_ID *slots = NULL;
	size_t n = 0, i;
	json_t *arr = NULL;
	int ex;

	cli_init(&c, "list");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token list [OPTIONS]\n"
	      "Lists the token readers (slots) and the tokens plugged into them.\n\n"),
	    NULL, NULL);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_module(&c)) != EXIT_OK)
		return ex;
	ex = EXIT_FAIL;
	if (p11_slot_list(c.p11, 0, &slots, &n) != 0) {
		fprintf(stderr, _("Cannot read the list of token readers.\n"));
		goto out;
	}
	arr = json_array();
	for (i = 0; i < n; i++) {
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;
		char desc[65], label[33], serial[17], model[17];
		json_t *o;

		if (p11_slot_info(c.p11, slots[i], &si) != 0)
			continue;
		p11_str(si.slotDescription, sizeof(si.slotDescription), desc);
		o = json_pack("{s:I,s:s,s:b}", "slot", (json_int_t)slots[i],
		    "reader", desc, "present",
		    (si.flags & CKF_TOKEN_PRESENT) != 0);
		if (!(si.flags & CKF_TOKEN_PRESENT)) {
			if (!c.json)
				printf(_("Slot %lu: %s: no token\n"), slots[i],
				    desc);
		} else if (p11_token_info(c.p11, slots[i], &ti) != 0) {
			if (!c.json)
				printf(_("Slot %lu: %s: a token that cannot be read\n"),
				    slots[i], desc);
			json_object_set_new(o, "readable", json_false());
		} else {
			p11_str(ti.label, sizeof(ti.label), label);
			p11_str(ti.serialNumber, sizeof(ti.serialNumber), serial);
			p11_str(ti.model, sizeof(ti.model), model);
			json_object_set_new(o, "label", json_string(label));
			json_object_set_new(o, "serial", json_string(serial));
			json_object_set_new(o, "model", json_string(model));
			json_object_set_new(o, "pin_state",
			    json_string(cli_pin_state(&ti)));
			json_object_set_new(o, "initialized",
			    json_boolean(ti.flags & CKF_TOKEN_INITIALIZED));
			if (!c.json && !(ti.flags & CKF_TOKEN_INITIALIZED)) {
				printf(_("Slot %lu: %s: an empty token, not initialized\n"),
				    slots[i], desc);
			} else if (!c.json) {
				printf(_("Slot %lu: %s: token \"%s\", serial %s, model %s"),
				    slots[i], desc, label, serial, model);
				if (ti.flags & CKF_USER_PIN_LOCKED)
					printf(_(" (PIN locked)"));
				else if (ti.flags & CKF_USER_PIN_TO_BE_CHANGED)
					printf(
					    _(" (factory PIN not changed yet)"));
				printf("\n");
			}
		}
		json_array_append_new(arr, o);
	}
	if (c.json)
		cli_json_print(arr);
	ex = EXIT_OK;
out:
	json_decref(arr);
	free(slots);
	cli_done(&c);
	return ex;
}
