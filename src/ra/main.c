/* kyso-ra: the RA and CA server. One file per command (cmd_*.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "cmd.h"
#include "common/jsonwipe.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
	{ "init", cmd_init,
	    N_("create the CA, the admin master key and the database") },
	{ "operator", cmd_operator,
	    N_("add NAME (prints its API token once), list, remove NAME") },
	{ "serve", cmd_serve, N_("run the server") },
	{ "reissue", cmd_reissue,
	    N_("mail a registration a new activation code (the old one stops working)") },
	{ "root-crl", cmd_root_crl, N_("sign the root's CRL again (yearly)") },
	{ "audit", cmd_audit, N_("prune: apply the audit log's retention") },
	{ "registration", cmd_registration,
	    N_("edit ID or cancel ID: a way out for a stuck registration") },
	{ "rotate", cmd_rotate,
	    N_("ocsp|tsa: a new key and certificate for the OCSP responder or the TSA") },
};

/* The command list, from the table. */
static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    _("Usage: kyso-ra COMMAND [OPTIONS]\n"
	      "The kyso RA and CA server.\n\n"
	      "Commands:\n"));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, _(cmds[i].what));
	fprintf(f,
	    _("\nRun 'kyso-ra COMMAND --help' for a command's options.\n"));
}

int
main(int argc, char **argv)
{
	size_t i;
	int r;

	jsonwipe_install();
	i18n_init(argv[0]);
	/* Everything kyso-ra creates (database, keys, mail with codes) is for
	 * its own user only. */
	umask(077);
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EX_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("kyso-ra %s\n", KYSO_VERSION);
		return EX_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, _("kyso-ra: unknown command '%s'\n"), argv[1]);
		usage(stderr);
		return EX_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EX_FAIL;
	r = cmds[i].fn(argc - 1, argv + 1);
	curl_global_cleanup();
	return r;
}
