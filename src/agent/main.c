/* kyso-agent: the signing service web pages call on the loopback
 * interface. One program, two processes: this one (the token side and
 * supervisor, tok.h) and the network side it starts as `kyso-agent
 * --net-child` (net.h). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/net.h"
#include "agent/tok.h"
#include "common/config.h"
#include "common/i18n.h"
#include "common/jsonwipe.h"
#include "common/parse.h"

static void
usage(FILE *f)
{
	fputs(_("Usage: kyso-agent [serve] [--foreground]\n"
		"       kyso-agent origins list|allow|revoke [ORIGIN] [--json]\n"
		"The kyso signing agent: web pages on this computer ask it to sign with\n"
		"your USB token; you approve each site and each batch in a dialog.\n\n"
		"  serve          run the agent (the default)\n"
		"  --foreground   do not detach; log to standard error\n"
		"  origins        list, allow or revoke the sites that may use the token\n"
		"  --version      print the version\n"),
	    f);
}

/* Tests only: the token side alone on a socket the test holds
 * (`--tok-fd N [--test-step DIR]`), without listeners or network side. */
static int
tok_fd_main(int argc, char **argv, const struct config *conf)
{
	struct tok *t = NULL;
	uint64_t fd;
	int rc = 2;

	if (argc < 2 || parse_u64(argv[1], 0, 1023, &fd) != 0)
		return 2;
	/* Not inherited by the dialog programs. */
	if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) != 0 || tok_new(conf, &t) != 0)
		return 1;
	if (argc >= 4 && strcmp(argv[2], "--test-step") == 0)
		tok_set_test_step(t, argv[3]);
	rc = tok_serve_fd(t, (int)fd) == 0 ? 0 : 1;
	tok_free(t);
	return rc;
}

int
main(int argc, char **argv)
{
	struct config *conf = NULL;
	const char *cmd = argc > 1 ? argv[1] : "serve";
	int rc = 2, fg = 0, i;

	jsonwipe_install();
	i18n_init(argv[0]);
	/* The network side reads its own settings: nothing of ours is
	 * carried across the exec. */
	if (strcmp(cmd, "--net-child") == 0)
		return net_child_main(argc - 1, argv + 1);
	if (strcmp(cmd, "origins") == 0)
		return origins_main(argc - 1, argv + 1);
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("kyso-agent %s\n", KYSO_VERSION);
		return 0;
	}
	if (config_load_home(&conf) != 0) {
		fputs(_("kyso-agent: cannot read kyso.conf\n"), stderr);
		return 1;
	}
	/* A dialog program or network side that went away is an error
	 * from write(2), not the end of this process. */
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(cmd, "--tok-fd") == 0) {
		rc = tok_fd_main(argc - 1, argv + 1, conf);
		goto out;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--foreground") == 0)
			fg = 1;
		else if (i != 1 || strcmp(argv[i], "serve") != 0) {
			fprintf(stderr,
			    _("kyso-agent: unknown argument '%s'.\n"), argv[i]);
			usage(stderr);
			goto out;
		}
	}
	rc = tok_supervise(conf, fg);
out:
	config_free(conf);
	return rc;
}
