/* kyso-ra serve: loads the CA, the keys and the database, then runs the
 * HTTP(S) server until SIGINT or SIGTERM. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmd.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "common/secret.h"
#include "audit.h"
#include "audit_sweep.h"
#include "http.h"
#include "ocsp_cache.h"
#include "ocsp_fast.h"
#include "outbox.h"
#include "proxy.h"
#include "service.h"
#include "ra.h"
#include "ca_key.h"
#include "tls.h"
#include "validate.h"

/* The options of serve, for --help. */
static void
serve_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra serve [OPTIONS]\n"
	      "Run the RA/CA server (HTTPS, JSON API, CRL, OCSP, time-stamps).\n\n"
	      "  --home DIR           use DIR as $KYSO_HOME\n"
	      "  --listen HOST:PORT   address (default 127.0.0.1:8443; port 0 picks one)\n"
	      "  --insecure-http      plain HTTP (loopback addresses only; for tests)\n"
	      "  --db URL             postgresql://... (default: from init, or SQLite)\n"
	      "  --smtp-url URL       send mail over SMTP (smtp:// with STARTTLS when\n"
	      "                       offered, smtps://); default: write .eml files to\n"
	      "                       $KYSO_HOME/ra/outbox\n"
	      "  --smtp-from ADDR     the From: of the mail\n"
	      "  --public-url URL     base URL in certificates (CRL, OCSP, CA issuers)\n"
	      "  --code-ttl SECS      activation code lifetime (default 259200 = 72 h)\n"
	      "  --otp-ttl SECS       PIN-reset OTP lifetime (default 300)\n"
	      "  --rate-limit N       subscriber calls per minute per address (60;\n"
	      "                       0 = no limit)\n"
	      "  --pin-reset-limit N  PIN-reset requests per 15 min per address (10)\n"
	      "  --ca-pin-fd N        the CA token's PIN, when the CA key is on a token\n"
	      "  --ca-pin-file FILE   ... or read it from FILE\n"
	      "  --threads N          database connections kept open between\n"
	      "                       requests (default 16; each client connection\n"
	      "                       has a thread of its own)\n"
	      "  --max-connections N  connections in all, a quarter of them the\n"
	      "                       --pki-listen listener's (default 512, at most 800)\n"
	      "  --max-per-address N  connections from one client address (32)\n"
	      "  --request-deadline SECS  a request's headers and body must arrive\n"
	      "                       within SECS (default 15)\n"
	      "  --pki-listen HOST:PORT  also serve OCSP, CRLs, time-stamps and the CA\n"
	      "                       certificates (plain HTTP, nothing else) on this\n"
	      "                       address, apart from the API's connections\n"
	      "  --tls-priorities S   GnuTLS priority string for HTTPS (default: TLS\n"
	      "                       1.2 and 1.3 with ECDHE and AEAD ciphers only)\n"
	      "  --trusted-proxy ADDR[,ADDR]  reverse proxies whose header names\n"
	      "                       the client (rate limits, audit, log); default:\n"
	      "                       ra.conf trusted_proxy, else none\n"
	      "  --proxy-header NAME  that header (default X-Forwarded-For: its\n"
	      "                       right-most address that is not a trusted proxy;\n"
	      "                       or X-Real-IP)\n"
	      "  --port-file FILE     write the port listened on to FILE\n"
	      "  --pki-port-file FILE write the PKI listener's port to FILE\n"
	      "  --audit-days N|off   prune the audit log as 'kyso-ra audit prune\n"
	      "                       --days N' does, at start and daily (default:\n"
	      "                       ra.conf's audit_days, else 365)\n"
	      "  --quiet              no access log (one line per request on stderr)\n\n"
	      "Exit status: 0 stopped by a signal, 1 failed, 2 usage, 3 not initialized.\n"));
}

struct serve_opts {
	const char *listen, *db, *smtp, *from, *public_url, *port_file;
	const char *pin_file, *pki_listen, *pki_port_file, *tls_prio;
	const char *trusted_proxy, *proxy_header;
	const char *audit_days;
	int insecure, pin_fd, quiet;
	uint64_t code_ttl, otp_ttl, rate, pin_rate, threads;
	uint64_t max_conn, per_addr, deadline;
};

/* Fills o from argv; -1 after --help, else 0 or an exit code. */
static int
serve_parse(int argc, char **argv, struct serve_opts *o)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "listen", required_argument, NULL, 'l' },
		{ "insecure-http", no_argument, NULL, 'i' },
		{ "db", required_argument, NULL, 'd' },
		{ "smtp-url", required_argument, NULL, 's' },
		{ "smtp-from", required_argument, NULL, 'f' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "code-ttl", required_argument, NULL, 'c' },
		{ "otp-ttl", required_argument, NULL, 'o' },
		{ "rate-limit", required_argument, NULL, 'r' },
		{ "pin-reset-limit", required_argument, NULL, 'R' },
		{ "ca-pin-fd", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "ca-pin-file", required_argument, NULL, 'F' },
		{ "threads", required_argument, NULL, 't' },
		{ "pki-listen", required_argument, NULL, 'K' },
		{ "tls-priorities", required_argument, NULL, 'T' },
		{ "pki-port-file", required_argument, NULL, 'k' },
		{ "max-connections", required_argument, NULL, 'M' },
		{ "max-per-address", required_argument, NULL, 'A' },
		{ "request-deadline", required_argument, NULL, 'D' },
		{ "trusted-proxy", required_argument, NULL, 'X' },
		{ "proxy-header", required_argument, NULL, 'Y' },
		{ "audit-days", required_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' }, { NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': serve_usage(stdout); return -1;
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		case 'l': o->listen = optarg; break;
		case 'i': o->insecure = 1; break;
		case 'd': o->db = optarg; break;
		case 's': o->smtp = optarg; break;
		case 'f': o->from = optarg; break;
		case 'u': o->public_url = optarg; break;
		case 'P': o->port_file = optarg; break;
		case 'F': o->pin_file = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'a': o->audit_days = optarg; break;
		case 't':
			if (parse_u64(optarg, 1, 32, &o->threads))
				return cmd_usage_error("serve",
				    _("--threads must be "
				      "1 to 32"));
			break;
		case 'c':
			if (parse_u64(optarg, 0, 30L * 24 * 3600, &o->code_ttl))
				return cmd_usage_error("serve",
				    _("bad --code-ttl"));
			break;
		case 'o':
			if (parse_u64(optarg, 0, 3600, &o->otp_ttl))
				return cmd_usage_error("serve",
				    _("bad --otp-ttl"));
			break;
		case 'r':
			if (parse_u64(optarg, 0, 1000000, &o->rate))
				return cmd_usage_error("serve",
				    _("bad --rate-limit"));
			break;
		case 'R':
			if (parse_u64(optarg, 0, 1000000, &o->pin_rate))
				return cmd_usage_error("serve",
				    _("bad --pin-reset-limit"));
			break;
		case 'K': o->pki_listen = optarg; break;
		case 'X': o->trusted_proxy = optarg; break;
		case 'Y': o->proxy_header = optarg; break;
		case 'T': o->tls_prio = optarg; break;
		case 'k': o->pki_port_file = optarg; break;
		case 'M':
			if (parse_u64(optarg, 1, HTTP_MAX_CONNECTIONS,
				&o->max_conn))
				return cmd_usage_error("serve",
				    _("bad --max-connections"));
			break;
		case 'A':
			if (parse_u64(optarg, 1, 100000, &o->per_addr))
				return cmd_usage_error("serve",
				    _("bad --max-per-address"));
			break;
		case 'D':
			if (parse_u64(optarg, 1, 3600, &o->deadline))
				return cmd_usage_error("serve",
				    _("bad --request-deadline"));
			break;
		case 'p':
			if (cmd_parse_fd(optarg, &o->pin_fd) != 0)
				return cmd_usage_error("serve",
				    _("bad --ca-pin-fd"));
			break;
		default: return cmd_usage_error("serve", _("unknown option"));
		}
	}
	if (optind != argc)
		return cmd_usage_error("serve", _("unexpected argument"));
	return 0;
}

/* Well before the issuing CA ends (CA_EXPIRY_WARN), the operator is told
 * at every start, and /healthz says "expiring"; once it has ended, nothing
 * is issued (OCSP and CRLs go on). */
static void
ca_warn_expiry(const struct ca *ca)
{
	int64_t now = (int64_t)time(NULL), na = ca_issuing_not_after(ca);
	time_t t = (time_t)na;
	struct tm tm;
	char when[32];

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	if (now >= na || now < ca_issuing_not_before(ca))
		fprintf(stderr,
		    _("kyso-ra: the issuing CA is not valid now (it ends %s): "
		      "no certificate can be issued until a new issuing CA "
		      "replaces it\n"),
		    when);
	else if (na - now < CA_EXPIRY_WARN)
		fprintf(stderr,
		    _("kyso-ra: warning: the issuing CA expires on %s (in %lld "
		      "days); certificates issued now end then. Make a new "
		      "issuing CA before.\n"),
		    when, (long long)((na - now) / 86400));
}

/* --audit-days, else ra.conf's audit_days, else AUDIT_DEFAULT_DAYS; "off"
 * leaves pruning to `kyso-ra audit prune` (-1). */
static int
audit_days(const char *opt, const struct config *conf, int64_t *days)
{
	const char *v = opt ? opt : config_get(conf, "audit_days");
	uint64_t d = AUDIT_DEFAULT_DAYS;

	if (v != NULL && strcmp(v, "off") == 0) {
		*days = -1;
		return 0;
	}
	if (v != NULL && parse_u64(v, 0, 36500, &d) != 0)
		return KYSO_ERR_INVALID;
	*days = (int64_t)d;
	return 0;
}

/* --port-file: the port a listener got (port 0 picks one). */
static int
write_port(const char *file, uint16_t port)
{
	char ps[16];

	snprintf(ps, sizeof(ps), "%u\n", port);
	return file_write_atomic(file, ps, strlen(ps), 0644);
}

/* The admin master key: exactly 32 bytes, or the server does not start. */
static int
load_master(const char *dir, uint8_t out[32])
{
	char *p = path_join(dir, "admin-master.key");
	struct buf *b = NULL;
	int r;

	if (p == NULL)
		return KYSO_ERR_NOMEM;
	r = file_read(p, 64, &b);
	free(p);
	if (r != 0)
		return r;
	if (buf_len(b) != 32)
		r = KYSO_ERR_CORRUPT;
	else
		memcpy(out, buf_ptr(b), 32);
	buf_free(b);
	return r;
}

/* Everything is loaded before the first request: the port is bound first
 * because the CA's URLs may name it. */
int
cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { .listen = "127.0.0.1:8443",
		.pin_fd = -1,
		.code_ttl = 72 * 3600,
		.otp_ttl = 300,
		.rate = 60,
		.pin_rate = 10,
		.threads = 16,
		.max_conn = HTTP_DEFAULT_CONNECTIONS,
		.per_addr = HTTP_DEFAULT_PER_ADDRESS,
		.deadline = HTTP_DEFAULT_DEADLINE };
	struct ra ra;
	struct config *conf = NULL;
	struct ca_key *sg = NULL;
	struct http *h = NULL, *hp = NULL;
	struct db *db = NULL;
	struct outbox_sweeper *sweep = NULL;
	struct proxy *px = NULL;
	struct audit_sweeper *asweep = NULL;
	struct ca_key *svc[2] = { NULL, NULL };
	int64_t adays;
	char *dir = NULL, *where = NULL, *cert = NULL, *key = NULL, *pin = NULL;
	char *outbox = NULL, host[64], url[512];
	uint16_t port;
	int loop, sig, r, ex = EX_FAIL;
	sigset_t set;

	memset(&ra, 0, sizeof(ra));
	if ((r = serve_parse(argc, argv, &o)) != 0)
		return r < 0 ? EX_OK : r;
	if (http_parse_listen(o.listen, host, sizeof(host), &port, &loop) != 0)
		return cmd_usage_error("serve", _("bad --listen (HOST:PORT)"));
	if (o.insecure && !loop)
		return cmd_usage_error("serve",
		    _("--insecure-http is allowed only "
		      "on a loopback address"));
	if (o.pki_listen != NULL &&
	    http_parse_listen(o.pki_listen, host, sizeof(host), &port, &loop) != 0)
		return cmd_usage_error("serve",
		    _("bad --pki-listen (HOST:PORT)"));
	if (http_parse_listen(o.listen, host, sizeof(host), &port, &loop) != 0)
		return cmd_usage_error("serve", _("bad --listen (HOST:PORT)"));
	if (o.public_url != NULL && !cmd_url_ok(o.public_url))
		return cmd_usage_error("serve", _("bad --public-url"));
	if (o.from != NULL &&
	    (strlen(o.from) > 300 || valid_text(o.from, 300) != 0 ||
		strchr(o.from, '@') == NULL))
		return cmd_usage_error("serve", _("bad --smtp-from"));
	if ((r = cmd_ca_dir(&dir)) != EX_OK)
		return r;
	if (cmd_load_conf(dir, &conf) != 0)
		goto out;
	if (audit_days(o.audit_days, conf, &adays) != 0) {
		ex = cmd_usage_error("serve",
		    _("--audit-days (or audit_days in ra.conf) takes 0 to "
		      "36500 or off"));
		goto out;
	}
	if (o.public_url == NULL && config_get(conf, "public_url") != NULL &&
	    cmd_url_ok(config_get(conf, "public_url")))
		o.public_url = config_get(conf, "public_url");
	if (o.trusted_proxy == NULL)
		o.trusted_proxy = config_get(conf, "trusted_proxy");
	if (o.proxy_header == NULL)
		o.proxy_header = config_get(conf, "proxy_header");
	if (o.trusted_proxy != NULL &&
	    proxy_new(o.trusted_proxy, o.proxy_header, &px) != 0) {
		ex = cmd_usage_error("serve",
		    _("bad --trusted-proxy (addresses, comma-separated) or "
		      "--proxy-header"));
		goto out;
	}
	if (load_master(dir, ra.master) != 0) {
		fprintf(stderr, _("kyso-ra: cannot read admin-master.key\n"));
		goto out;
	}
	{
		uint8_t hk[32];
		int hr;

		hr = crypto_hmac_sha256(ra.master, sizeof(ra.master),
			 "kyso-ra-code-hash-v1", 20, hk) != 0 ||
		    crypto_hmac_new(hk, sizeof(hk), &ra.code_mac) != 0;
		OPENSSL_cleanse(hk, sizeof(hk));
		if (hr)
			goto out;
	}
	if (config_get(conf, "ca_key") != NULL &&
	    strcmp(config_get(conf, "ca_key"), "pkcs11") == 0) {
		const char *m = config_get(conf, "ca_module"),
			   *t = config_get(conf, "ca_token"),
			   *id = config_get(conf, "ca_key_id");

		if (m == NULL || t == NULL || id == NULL) {
			fprintf(stderr,
			    _("kyso-ra: ra.conf lacks ca_module, "
			      "ca_token or ca_key_id\n"));
			goto out;
		}
		if (secret_read_file(o.pin_fd, o.pin_file, &pin) != 0) {
			fprintf(stderr,
			    _("kyso-ra: the CA key is on a token: "
			      "give its PIN with --ca-pin-fd or --ca-pin-file\n"));
			ex = EX_USAGE;
			goto out;
		}
		r = ca_key_from_p11(m, t, pin, id, NULL, NULL, &sg);
		/* the OCSP and TSA keys `rotate` made on the token, if any */
		if (r == 0 && service_keys_open(conf, pin, svc) != 0) {
			secret_free(pin);
			pin = NULL;
			goto out;
		}
		/* Logged in: only the signer's own copy (for logging in
		 * again after a replug) stays for the server's life. */
		secret_free(pin);
		pin = NULL;
		if (r != 0) {
			fprintf(stderr,
			    _("kyso-ra: cannot use the CA key on the "
			      "token: %s\n"),
			    kyso_strerror(r));
			goto out;
		}
	}
	if ((r = cmd_db_where(dir, conf, o.db, &where)) != 0 ||
	    (r = db_pool_new(where, (size_t)o.threads, &ra.pool)) != 0 ||
	    (db = db_pool_get(ra.pool)) == NULL || (r = db_migrate(db)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot open the database\n"));
		goto out;
	}
	/* The OCSP and TSA certificates in the table, so revoke reaches
	 * them (a database older than issue 15 lacks them). */
	if (service_record(db, dir) != 0) {
		fprintf(stderr,
		    _("kyso-ra: cannot record the OCSP and TSA "
		      "certificates\n"));
		goto out;
	}
	service_warn(db, dir);
	db_pool_put(ra.pool, db);
	db = NULL;
	if (adays >= 0 && audit_sweeper_start(ra.pool, adays, &asweep) != 0)
		goto out;
	ra.code_ttl = (int64_t)o.code_ttl;
	ra.otp_ttl = (int64_t)o.otp_ttl;
	if ((ra.rl_addr = ratelimit_new((unsigned)o.rate, 60)) == NULL ||
	    (ra.rl_pin_addr = ratelimit_new((unsigned)o.pin_rate, 900)) == NULL ||
	    ocsp_cache_new(&ra.ocsp_cache) != 0)
		goto out;
	if ((outbox = path_join(dir, "outbox")) == NULL ||
	    mailer_new(outbox, o.smtp, o.from, &ra.mail) != 0 ||
	    (o.smtp == NULL &&
		outbox_sweeper_start(ra.mail, ra.code_ttl, ra.otp_ttl, &sweep) !=
		    0))
		goto out;
	if (!o.insecure && (r = tls_dev_cert(dir, &cert, &key)) != 0) {
		fprintf(stderr, _("kyso-ra: no TLS certificate: %s\n"),
		    kyso_strerror(r));
		goto out;
	}
	/* The HTTP threads inherit this mask: signals come to sigwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The CA needs the public URL, which needs the port: bind first,
	 * serve once everything is loaded. */
	if ((r = http_bind(o.listen, &h)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot listen on %s\n"), o.listen);
		goto out;
	}
	if (o.pki_listen != NULL && (r = http_bind(o.pki_listen, &hp)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot listen on %s\n"),
		    o.pki_listen);
		goto out;
	}
	if (o.public_url != NULL)
		snprintf(url, sizeof(url), "%s", o.public_url);
	else if (strchr(host, ':') != NULL)
		snprintf(url, sizeof(url), "%s://[%s]:%u",
		    o.insecure ? "http" : "https", host, http_port(h));
	else
		snprintf(url, sizeof(url), "%s://%s:%u",
		    o.insecure ? "http" : "https", host, http_port(h));
	while (strlen(url) > 0 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	if ((r = ca_load(dir, sg, url, &ra.ca)) != 0) {
		sg = NULL;
		fprintf(stderr, _("kyso-ra: cannot load the CA: %s\n"),
		    kyso_strerror(r));
		goto out;
	}
	sg = NULL;
	if (service_keys_use(ra.ca, svc) != 0)
		goto out;
	/* OCSP's short way and cache, the responder's key in PEM or on the
	 * CA's token */
	if ((r = ocsp_fast_new(ra.ca, &ra.ocsp_fast)) != 0 &&
	    r != KYSO_ERR_UNSUPPORTED) {
		fprintf(stderr, _("kyso-ra: cannot load the CA: %s\n"),
		    kyso_strerror(r));
		goto out;
	}
	ca_warn_expiry(ra.ca);
	http_access_log(h, !o.quiet);
	{
		/* --max-connections is over both listeners (select() takes
		 * descriptors below 1024 in one process, http.h): with
		 * --pki-listen that one has a quarter, at least one. */
		unsigned pki = hp != NULL ? (unsigned)o.max_conn / 4 : 0;
		struct http_limits lim = { (unsigned)o.max_conn,
			(unsigned)o.per_addr, (unsigned)o.deadline };

		if (hp != NULL && pki == 0)
			pki = 1; /* and the API's stays 1: --max-connections 1 */
		if (lim.max_connections > pki)
			lim.max_connections -= pki;
		http_set_limits(h, &lim);
		http_set_proxy(h, px);
		if (hp != NULL)
			http_set_proxy(hp, px);
		if (o.tls_prio != NULL)
			http_set_tls_priorities(h, o.tls_prio);
		if (hp != NULL) {
			lim.max_connections = pki;
			http_set_limits(hp, &lim);
		}
	}
	/* OCSP, CRLs and time-stamps are signed: plain HTTP, as relying
	 * parties fetch them, on connections of their own. */
	if (hp != NULL) {
		http_access_log(hp, !o.quiet);
		if ((r = http_run(hp, NULL, NULL, api_handle_pki, &ra)) != 0 ||
		    (o.pki_port_file != NULL &&
			write_port(o.pki_port_file, http_port(hp)) != 0)) {
			fprintf(stderr,
			    _("kyso-ra: cannot start the HTTP server\n"));
			goto out;
		}
	}
	if ((r = http_run(h, cert, key, api_handle, &ra)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot start the HTTP server\n"));
		goto out;
	}
	if (o.port_file != NULL && write_port(o.port_file, http_port(h)) != 0)
		goto out;
	printf(_("kyso-ra: listening on %s://%s%s%s:%u (public URL %s)\n"),
	    o.insecure ? "http" : "https", strchr(host, ':') ? "[" : "", host,
	    strchr(host, ':') ? "]" : "", http_port(h), url);
	if (hp != NULL)
		printf(_("kyso-ra: OCSP, CRLs and time-stamps also on "
			 "http://%s\n"),
		    o.pki_listen);
	fflush(stdout);
	sigwait(&set, &sig);
	ex = EX_OK;
out:
	http_stop(h);
	http_stop(hp);
	outbox_sweeper_stop(sweep);
	audit_sweeper_stop(asweep);
	ca_free(ra.ca);
	ca_key_free(sg);
	ca_key_free(svc[0]);
	ca_key_free(svc[1]);
	if (db != NULL)
		db_pool_put(ra.pool, db);
	db_pool_free(ra.pool);
	mailer_free(ra.mail);
	ratelimit_free(ra.rl_addr);
	ratelimit_free(ra.rl_pin_addr);
	proxy_free(px);
	ocsp_cache_free(ra.ocsp_cache);
	ocsp_fast_free(ra.ocsp_fast);
	crypto_hmac_free(ra.code_mac);
	OPENSSL_cleanse(&ra, sizeof(ra));
	secret_free(pin);
	secret_free(key);
	free(cert);
	free(outbox);
	free(where);
	free(dir);
	config_free(conf);
	return ex;
}
