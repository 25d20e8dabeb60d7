/* kyso-token: the Token Manager on the command line. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/jsonwipe.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
	{ "list", cmd_list, N_("list slots and plugged-in tokens") },
	{ "info", cmd_info, N_("show the token's hardware information") },
	{ "change-pin", cmd_change_pin,
	    N_("change the token PIN (old, new, confirmation)") },
	{ "check", cmd_check,
	    N_("run the plug-in checks: default PIN, certificate expiry, PIN lock") },
	{ "watch", cmd_watch,
	    N_("wait for tokens to be plugged in and check each one") },
	{ "certs", cmd_certs, N_("list the certificates on the token") },
	{ "export", cmd_export, N_("write a certificate from the token as PEM") },
	{ "register", cmd_register,
	    N_("install a registered certificate with an activation code") },
	{ "renew", cmd_renew,
	    N_("install a renewed certificate (new serial number)") },
	{ "update", cmd_update, N_("install a certificate with changed details") },
	{ "forgot-pin", cmd_forgot_pin,
	    N_("reset a forgotten or locked PIN with an e-mailed OTP") },
	{ "unblock", cmd_unblock,
	    N_("unblock a locked PIN with the token's SO PIN") },
	{ "vtoken", cmd_vtoken, N_("make, plug in and unplug virtual tokens") },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    _("Usage: kyso-token COMMAND [OPTIONS]\n"
	      "The kyso Token Manager: manage a USB token (PKCS#11) and its certificates.\n\n"
	      "Commands:\n"));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-12s %s\n", cmds[i].name, _(cmds[i].what));
	fprintf(f,
	    _("\nRun 'kyso-token COMMAND --help' for a command's options.\n"
	      "Options every command takes:\n"
	      "  --module PATH    PKCS#11 module to use (default: the kyso virtual token)\n"
	      "  --token SERIAL   the token to use, by serial number or label\n"
	      "  --json           print the result as JSON\n"
	      "  --pin-fd N       read the PIN from file descriptor N instead of asking\n"
	      "  --version        print the version\n"));
}

int
main(int argc, char **argv)
{
	size_t i;

	jsonwipe_install();
	i18n_init(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kyso-token %s\n", KYSO_VERSION);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, _("kyso-token: unknown command '%s'.\n"), argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
