/* kyso-contract: the e-contract web platform. One file per command. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <curl/curl.h>

#include "common/jsonwipe.h"
#include "contract.h"
#include "render.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} cmds[] = {
	{ "init", cmd_init,
	    N_("create the database and the first account (printed once)") },
	{ "account", cmd_account,
	    N_("ORG EMAIL: add an account (its password printed once)") },
	{ "serve", cmd_serve, N_("run the web server") },
	{ "audit-check", cmd_audit_check,
	    N_("check the audit trail's hash chain") },
	{ "render-page", cmd_render_page,
	    N_("(internal) one page as PNG: the server runs it") },
};

/* The command list, from the table. */
static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    _("Usage: kyso-contract COMMAND [OPTIONS]\n"
	      "The kyso e-contract web platform.\n\n"
	      "Commands:\n"));
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-14s %s\n", cmds[i].name, _(cmds[i].what));
}

/* Dispatches to the command table; exit codes are decided here only. */
int
main(int argc, char **argv)
{
	size_t i;
	int r;

	jsonwipe_install();
	i18n_init(argv[0]);
	/* The database, the documents and the mail are the server's own. */
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
		printf("kyso-contract %s\n", KYSO_VERSION);
		return EX_OK;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, _("kyso-contract: unknown command '%s'\n"),
		    argv[1]);
		usage(stderr);
		return EX_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EX_FAIL;
	r = cmds[i].fn(argc - 1, argv + 1);
	curl_global_cleanup();
	return r;
}
