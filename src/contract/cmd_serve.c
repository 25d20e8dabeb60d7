/* kyso-contract serve: opens the store and runs the web server on the
 * loopback address until SIGINT or SIGTERM. TLS is the reverse proxy's
 * (--secure-cookies when it speaks HTTPS to the browser). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/fsutil.h"
#include "common/mail.h"
#include "common/parse.h"
#include "pages.h"

/* The options of serve, for --help. */
static void
serve_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-contract serve [OPTIONS]\n"
	      "Run the e-contract web server on 127.0.0.1.\n\n"
	      "  --home DIR          use DIR as $KYSO_HOME\n"
	      "  --port N            port (default: contract_port in kyso.conf, "
	      "else 8480; 0 picks one)\n"
	      "  --max-upload MIB    the largest upload (contract_max_upload_mib; "
	      "20)\n"
	      "  --trust PEM         trust anchors of signers' CAs "
	      "(contract_trust)\n"
	      "  --smtp-url URL      send mail over SMTP (contract_smtp_url); "
	      "default:\n"
	      "                      .eml files in $KYSO_HOME/contract/outbox\n"
	      "  --smtp-from ADDR    the From: of the mail (contract_smtp_from)\n"
	      "  --secure-cookies    mark cookies Secure (behind a TLS proxy)\n"
	      "  --agent-port N      the port pages find kyso-agent on "
	      "(agent_port; 28731)\n"));
	fputs(_("  --level B-T|B-LT    the level a signed upload must reach "
		"(contract_level;\n                      B-T; B-LT: with the "
		"DSS, the signer shown good by it)\n"),
	    f);
	fputs(_("  --revocation online|off  ask the signer's CA (OCSP, else CRL)\n"
		"                      whether the certificate was revoked before\n"
		"                      the signing time; refuse when it cannot tell\n"
		"                      (contract_revocation; off)\n"),
	    f);
	fputs(store_help(), f);
}

/* An option, else the kyso.conf key, else def. */
static const char *
opt_or_conf(const char *opt, const struct config *conf, const char *key,
    const char *def)
{
	if (opt != NULL)
		return opt;
	if (conf != NULL && config_get(conf, key) != NULL)
		return config_get(conf, key);
	return def;
}

/* Options win over kyso.conf's contract_* keys, which win over defaults. */
int
cmd_serve(int argc, char **argv)
{
	static const struct option lo[] = { { "home", 1, NULL, 'H' },
		{ "port", 1, NULL, 'p' }, { "max-upload", 1, NULL, 'm' },
		{ "trust", 1, NULL, 't' }, { "smtp-url", 1, NULL, 's' },
		{ "smtp-from", 1, NULL, 'f' },
		{ "secure-cookies", 0, NULL, 'S' }, { "level", 1, NULL, 'l' },
		{ "revocation", 1, NULL, 'R' }, { "agent-port", 1, NULL, 'a' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *home = NULL, *port_s = NULL, *max_s = NULL, *trust = NULL,
		   *smtp = NULL, *from = NULL, *outbox_dir, *agent_s = NULL,
		   *level = NULL, *revocation = NULL;
	struct app a = { 0 };
	struct config *conf = NULL;
	struct web *w = NULL;
	char *outbox = NULL;
	uint64_t port, mib, aport;
	sigset_t set;
	int c, sig, ret = EX_FAIL, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'p': port_s = optarg; break;
		case 'm': max_s = optarg; break;
		case 't': trust = optarg; break;
		case 's': smtp = optarg; break;
		case 'f': from = optarg; break;
		case 'S': a.secure_cookies = 1; break;
		case 'l': level = optarg; break;
		case 'R': revocation = optarg; break;
		case 'a': agent_s = optarg; break;
		case 'h': serve_usage(stdout); return EX_OK;
		default: serve_usage(stderr); return EX_USAGE;
		}
	}
	if (home != NULL && setenv("KYSO_HOME", home, 1) != 0)
		return EX_FAIL;
	if ((r = config_load_home(&conf)) != 0 && r != KYSO_ERR_NOT_FOUND)
		conf = NULL;
	if (parse_u64(opt_or_conf(port_s, conf, "contract_port", "8480"), 0,
		65535, &port) != 0 ||
	    parse_u64(opt_or_conf(max_s, conf, "contract_max_upload_mib", "20"),
		1, 1024, &mib) != 0 ||
	    parse_u64(opt_or_conf(agent_s, conf, "agent_port", "28731"), 1,
		65535, &aport) != 0) {
		serve_usage(stderr);
		ret = EX_USAGE;
		goto out;
	}
	level = opt_or_conf(level, conf, "contract_level", "B-T");
	if (strcmp(level, "B-T") != 0 && strcmp(level, "B-LT") != 0) {
		serve_usage(stderr);
		ret = EX_USAGE;
		goto out;
	}
	a.require_lt = strcmp(level, "B-LT") == 0;
	revocation = opt_or_conf(revocation, conf, "contract_revocation", "off");
	if (strcmp(revocation, "online") != 0 && strcmp(revocation, "off") != 0) {
		serve_usage(stderr);
		ret = EX_USAGE;
		goto out;
	}
	a.revocation_online = strcmp(revocation, "online") == 0;
	a.max_upload = (size_t)mib << 20;
	a.agent_port = (uint16_t)aport;
	trust = opt_or_conf(trust, conf, "contract_trust", NULL);
	smtp = opt_or_conf(smtp, conf, "contract_smtp_url", NULL);
	from = opt_or_conf(from, conf, "contract_smtp_from",
	    "kyso-contract <contract@localhost>");
	if ((a.dir = contract_dir(NULL)) == NULL ||
	    (a.blobs = path_join(a.dir, "blobs")) == NULL ||
	    (outbox = path_join(a.dir, "outbox")) == NULL)
		goto out;
	if (trust != NULL && (a.trust = strdup(trust)) == NULL)
		goto out;
	if ((r = store_open(a.dir, 0, &a.db)) != 0) {
		fprintf(stderr, _("kyso-contract: %s: %s (run init)\n"), a.dir,
		    kyso_strerror(r));
		goto out;
	}
	outbox_dir = outbox;
	if ((r = mailer_new(outbox_dir, smtp, from, &a.mail)) != 0) {
		fprintf(stderr, _("kyso-contract: mail: %s\n"), kyso_strerror(r));
		goto out;
	}
	/* Signals are taken by sigwait below, not by the server's thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	/* gettext follows each request's locale, never the environment's. */
	unsetenv("LANGUAGE");
	if ((r = web_new((uint16_t)port, a.max_upload + 64 * 1024, dispatch, &a,
		 &w)) != 0) {
		fprintf(stderr, _("kyso-contract: cannot listen on port %u\n"),
		    (unsigned)port);
		goto out;
	}
	printf(_("kyso-contract: listening on http://127.0.0.1:%u/\n"),
	    (unsigned)web_port(w));
	fflush(stdout);
	sigwait(&set, &sig);
	ret = EX_OK;
out:
	web_free(w);
	mailer_free(a.mail);
	store_close(a.db);
	config_free(conf);
	free(outbox);
	free(a.dir);
	free(a.blobs);
	free(a.trust);
	return ret;
}
