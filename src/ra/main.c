/* kyso-ra: the RA and CA server. Commands: init, operator add, serve. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "ca.h"
#include "codes.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/i18n.h"
#include "common/parse.h"
#include "http.h"
#include "ra.h"
#include "ca_key.h"
#include "tls.h"
#include "validate.h"

/* Exit codes: stable, listed in --help. */
enum {
	EX_OK = 0,
	EX_FAIL = 1,
	EX_USAGE = 2,
	EX_STATE = 3,     /* init: already initialized; others: not yet */
};

static int
usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, _("kyso-ra %s: %s\nRun 'kyso-ra %s --help'.\n"), cmd,
	    what, cmd);
	return EX_USAGE;
}

static char *
ra_dir(void)
{
	char *home = kyso_home(), *d;

	if (home == NULL)
		return NULL;
	d = path_join(home, "ra");
	free(home);
	return d;
}

static int
set_home(const char *dir)
{
	return setenv("KYSO_HOME", dir, 1) == 0 ? 0 : KYSO_ERR_NOMEM;
}

/* A secret from a file descriptor: one line, at most 255 bytes. */
static int
read_fd_secret(int fd, char **out)
{
	char buf[257];
	size_t n = 0;
	ssize_t k;

	while (n < sizeof(buf) - 1) {
		k = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
		if (memchr(buf, '\n', n) != NULL)
			break;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0' || n >= sizeof(buf) - 1) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return KYSO_ERR_INVALID;
	}
	*out = strdup(buf);
	OPENSSL_cleanse(buf, sizeof(buf));
	return *out ? 0 : KYSO_ERR_NOMEM;
}

/* A URL fit to go into certificate extensions: http(s), no blanks, commas
 * or quotes (X509V3 value syntax). */
static int
url_ok(const char *u)
{
	return strlen(u) <= 400 && valid_text(u, 400) == 0 &&
	    strpbrk(u, " ,\"<>") == NULL &&
	    (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
}

/* The PIN from fd, else from file (its first line). */
static int
read_pin(int fd, const char *file, char **out)
{
	int r;

	if (fd >= 0)
		return read_fd_secret(fd, out);
	if (file == NULL)
		return KYSO_ERR_INVALID;
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return KYSO_ERR_NOT_FOUND;
	r = read_fd_secret(fd, out);
	close(fd);
	return r;
}

static int
parse_fd(const char *s, int *fd)
{
	uint64_t v;

	if (parse_u64(s, 0, 1024, &v) != 0)
		return KYSO_ERR_INVALID;
	*fd = (int)v;
	return 0;
}

static int
db_where(const char *dir, const struct config *conf, const char *opt,
    char **out)
{
	const char *c = conf ? config_get(conf, "db") : NULL;

	if (opt != NULL)
		*out = strdup(opt);
	else if (c != NULL)
		*out = strdup(c);
	else
		*out = path_join(dir, "ra.db");
	return *out ? 0 : KYSO_ERR_NOMEM;
}

static int
load_conf(const char *dir, struct config **out)
{
	char *p = path_join(dir, "ra.conf");
	int r;

	if (p == NULL)
		return KYSO_ERR_NOMEM;
	r = config_load(p, out);
	free(p);
	return r;
}

static int
is_initialized(const char *dir)
{
	char *p = path_join(dir, "ca.pem");
	struct stat st;
	int r = p != NULL && stat(p, &st) == 0;

	free(p);
	return r;
}

/* ---- init ---- */

static void
init_usage(FILE *f)
{
	fprintf(f, _("Usage: kyso-ra init [OPTIONS]\n"
	    "Create the CA (root, issuing CA, OCSP responder and TSA certificates),\n"
	    "the admin master key and the database in $KYSO_HOME/ra.\n\n"
	    "  --home DIR            use DIR as $KYSO_HOME\n"
	    "  --name NAME           the CA's name (default \"kyso Demo CA\")\n"
	    "  --ca-key-type TYPE    p256 (default), rsa2048 or rsa3072\n"
	    "  --db URL              postgresql://... (default: SQLite ra.db)\n"
	    "  --ca-module PATH      keep the issuing CA key on a PKCS#11 token\n"
	    "  --ca-token SERIAL     the token, by serial number or label\n"
	    "  --ca-pin-fd N         read the token's user PIN from fd N\n"
	    "  --ca-pin-file FILE    read the token's user PIN from FILE\n"
	    "  --ca-key-id HEX       use the key pair with this CKA_ID already on\n"
	    "                        the token (default: generate one)\n"
	    "  --public-url URL      the server's public URL: the issuing CA then\n"
	    "                        names URL/root.crl (made now) and URL/root.crt,\n"
	    "                        and serve uses it unless told otherwise\n"
	    "  --root-cert FILE      put the issuing CA under this existing root\n"
	    "  --root-key FILE       ... whose key (PEM) signs it once, not kept\n"
	    "  --root-crl URL        ... and whose owner publishes its CRL at URL:\n"
	    "                        the issuing CA names it\n\n"
	    "Exit status: 0 done, 1 failed, 2 usage, 3 already initialized.\n"));
}

static int
write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *p = path_join(dir, name);
	int r = p ? file_write_atomic(p, text, strlen(text), mode) :
	    KYSO_ERR_NOMEM;

	free(p);
	return r;
}

static int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "name", required_argument, NULL, 'n' },
		{ "ca-key-type", required_argument, NULL, 'k' },
		{ "db", required_argument, NULL, 'd' },
		{ "ca-module", required_argument, NULL, 'm' },
		{ "ca-token", required_argument, NULL, 't' },
		{ "ca-pin-fd", required_argument, NULL, 'p' },
		{ "ca-pin-file", required_argument, NULL, 'F' },
		{ "root-cert", required_argument, NULL, 'r' },
		{ "root-key", required_argument, NULL, 'R' },
		{ "root-crl", required_argument, NULL, 'L' },
		{ "ca-key-id", required_argument, NULL, 'i' },
		{ "public-url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 } };
	const char *name = "kyso Demo CA", *kt = "p256", *dbopt = NULL;
	const char *use_id = NULL, *public_url = NULL;
	const char *module = NULL, *token = NULL, *pin_file = NULL;
	struct ca_root root = { NULL, NULL, NULL };
	char *dir = NULL, *where = NULL, *pin = NULL, *key_id = NULL;
	struct ca_key *sg = NULL;
	struct db *db = NULL;
	struct buf *conf = NULL;
	uint8_t master[32];
	int pin_fd = -1, c, r, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': init_usage(stdout); return EX_OK;
		case 'H': if (set_home(optarg) != 0) return EX_FAIL; break;
		case 'n': name = optarg; break;
		case 'k': kt = optarg; break;
		case 'd': dbopt = optarg; break;
		case 'm': module = optarg; break;
		case 't': token = optarg; break;
		case 'p':
			if (parse_fd(optarg, &pin_fd) != 0)
				return usage_error("init", _("bad --ca-pin-fd"));
			break;
		case 'F': pin_file = optarg; break;
		case 'r': root.cert = optarg; break;
		case 'R': root.key = optarg; break;
		case 'L': root.crl_url = optarg; break;
		case 'i': use_id = optarg; break;
		case 'u': public_url = optarg; break;
		default: return usage_error("init", _("unknown option"));
		}
	}
	if (optind != argc)
		return usage_error("init", _("unexpected argument"));
	if (strcmp(kt, "p256") != 0 && strcmp(kt, "rsa2048") != 0 &&
	    strcmp(kt, "rsa3072") != 0)
		return usage_error("init", _("--ca-key-type must be p256, "
		    "rsa2048 or rsa3072"));
	if (valid_text(name, 100) != 0)
		return usage_error("init", _("bad --name"));
	if ((module != NULL) != (token != NULL) ||
	    (module != NULL && pin_fd < 0 && pin_file == NULL))
		return usage_error("init", _("--ca-module needs --ca-token and "
		    "--ca-pin-fd or --ca-pin-file"));
	if (use_id != NULL && (module == NULL || strlen(use_id) > 128 ||
	    strlen(use_id) % 2 != 0 || strspn(use_id, "0123456789abcdefABCDEF") !=
	    strlen(use_id) || *use_id == '\0'))
		return usage_error("init", _("--ca-key-id needs --ca-module and "
		    "an even number of hex digits"));
	if ((root.cert != NULL) != (root.key != NULL))
		return usage_error("init", _("--root-cert and --root-key go "
		    "together"));
	if (root.crl_url != NULL && (root.cert == NULL || !url_ok(root.crl_url)))
		return usage_error("init", _("--root-crl needs --root-cert and "
		    "an http:// or https:// URL"));
	if (public_url != NULL && !url_ok(public_url))
		return usage_error("init", _("bad --public-url"));
	if ((dir = ra_dir()) == NULL)
		goto out;
	if (is_initialized(dir)) {
		fprintf(stderr, _("kyso-ra: %s already holds a CA\n"), dir);
		ex = EX_STATE;
		goto out;
	}
	if (mkdir_p(dir, 0700) != 0) {
		fprintf(stderr, _("kyso-ra: cannot create %s\n"), dir);
		goto out;
	}
	if ((conf = buf_new(0)) == NULL)
		goto out;
	if (module != NULL) {
		if (read_pin(pin_fd, pin_file, &pin) != 0) {
			fprintf(stderr, _("kyso-ra: no PIN to read\n"));
			goto out;
		}
		r = ca_key_from_p11(module, token, pin, use_id, kt, &key_id, &sg);
		if (r != 0) {
			fprintf(stderr, _("kyso-ra: cannot make the CA key on the "
			    "token: %s\n"), kyso_strerror(r));
			goto out;
		}
		if (buf_putf(conf, "ca_key = pkcs11\nca_module = %s\n"
		    "ca_token = %s\nca_key_id = %s\n", module, token, key_id) != 0)
			goto out;
	} else if (buf_putf(conf, "ca_key = pem\n") != 0) {
		goto out;
	}
	if (public_url != NULL &&
	    buf_putf(conf, "public_url = %s\n", public_url) != 0)
		goto out;
	if ((r = ca_create(dir, name, kt, sg, root.cert != NULL ? &root : NULL,
	    public_url)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot create the CA: %s\n"),
		    kyso_strerror(r));
		goto out;
	}
	if (crypto_random(master, sizeof(master)) != 0)
		goto out;
	{
		char *mp = path_join(dir, "admin-master.key");

		r = mp ? file_write_atomic(mp, master, sizeof(master), 0600) :
		    KYSO_ERR_NOMEM;
		free(mp);
		if (r != 0)
			goto out;
	}
	if (dbopt != NULL && buf_putf(conf, "db = %s\n", dbopt) != 0)
		goto out;
	if (buf_put_u8(conf, 0) != 0 ||
	    write_text(dir, "ra.conf", (const char *)buf_ptr(conf), 0600) != 0)
		goto out;
	if (db_where(dir, NULL, dbopt, &where) != 0 ||
	    db_open(where, &db) != 0 || db_migrate(db) != 0) {
		fprintf(stderr, _("kyso-ra: cannot create the database\n"));
		goto out;
	}
	printf(_("kyso-ra: CA \"%s\" created in %s\n"), name, dir);
	ex = EX_OK;
out:
	OPENSSL_cleanse(master, sizeof(master));
	if (pin != NULL) {
		OPENSSL_cleanse(pin, strlen(pin));
		free(pin);
	}
	ca_key_free(sg);
	db_free(db);
	buf_free(conf);
	free(key_id);
	free(where);
	free(dir);
	return ex;
}

/* ---- operator add ---- */

static void
operator_usage(FILE *f)
{
	fprintf(f, _("Usage: kyso-ra operator add NAME [--home DIR] [--db URL]\n"
	    "       kyso-ra operator list | remove NAME [--home DIR] [--db URL]\n"
	    "add: create an operator account and print its API token once (only\n"
	    "a hash of it is stored). Operators send it as\n"
	    "\"Authorization: Bearer TOKEN\". remove: the token stops working.\n\n"
	    "Exit status: 0 done, 1 failed (e.g. the name exists, or no such\n"
	    "operator), 2 usage, 3 not initialized.\n"));
}

static int
cmd_operator(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "db", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 } };
	const char *dbopt = NULL, *name, *p[3], *verb;
	char *dir = NULL, *where = NULL, tok[65], hex[65];
	struct config *conf = NULL;
	struct db *db = NULL;
	struct db_num nn;
	uint8_t rnd[32], dg[32];
	int c, i, r, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': operator_usage(stdout); return EX_OK;
		case 'H': if (set_home(optarg) != 0) return EX_FAIL; break;
		case 'd': dbopt = optarg; break;
		default: return usage_error("operator", _("unknown option"));
		}
	}
	if (argc - optind == 1 && strcmp(argv[optind], "list") == 0)
		verb = "list";
	else if (argc - optind == 2 && (strcmp(argv[optind], "add") == 0 ||
	    strcmp(argv[optind], "remove") == 0))
		verb = argv[optind];
	else
		return usage_error("operator", _("say: operator add NAME, "
		    "operator list or operator remove NAME"));
	name = strcmp(verb, "list") == 0 ? "" : argv[optind + 1];
	if (*name != '\0' && valid_text(name, 64) != 0)
		return usage_error("operator", _("bad operator name"));
	if ((dir = ra_dir()) == NULL)
		goto out;
	if (!is_initialized(dir)) {
		fprintf(stderr, _("kyso-ra: no CA in %s; run kyso-ra init\n"), dir);
		ex = EX_STATE;
		goto out;
	}
	if (load_conf(dir, &conf) != 0 || db_where(dir, conf, dbopt, &where) != 0 ||
	    db_open(where, &db) != 0 || db_migrate(db) != 0)
		goto out;
	if (strcmp(verb, "list") == 0) {
		struct db_rows *rows = NULL;
		size_t k;

		if (db_exec(db, "SELECT name, created_at FROM operators"
		    " ORDER BY name", 0, NULL, &rows) != 0)
			goto out;
		for (k = 0; k < db_rows_count(rows); k++)
			printf("%s\n", db_rows_get(rows, k, 0));
		db_rows_free(rows);
		ex = EX_OK;
		goto out;
	}
	if (strcmp(verb, "remove") == 0) {
		struct db_rows *rows = NULL;
		size_t k = 1;

		p[0] = name;
		p[1] = db_num(&nn, (int64_t)time(NULL));
		if (db_begin(db) != 0)
			goto out;
		if (db_exec(db, "DELETE FROM operators WHERE name = ?"
		    " RETURNING name", 1, p, &rows) != 0 ||
		    (k = db_rows_count(rows)) != 1) {
			db_rows_free(rows);
			db_rollback(db);
			if (k == 0)
				fprintf(stderr, _("kyso-ra: no operator '%s'\n"),
				    name);
			goto out;
		}
		db_rows_free(rows);
		p[0] = p[1];
		p[1] = name;
		if (db_exec(db, "INSERT INTO audit (ts, actor, action, target,"
		    " remote, status) VALUES (?, 'cli', 'operator remove', ?,"
		    " 'local', 0)", 2, p, NULL) != 0 || db_commit(db) != 0) {
			db_rollback(db);
			goto out;
		}
		ex = EX_OK;
		goto out;
	}
	if (crypto_random(rnd, sizeof(rnd)) != 0 ||
	    crypto_sha256(NULL, 0, dg) != 0)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(tok + 2 * i, 3, "%02x", rnd[i]);
	if (crypto_sha256(tok, 64, dg) != 0)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", dg[i]);
	p[0] = name;
	p[1] = hex;
	p[2] = db_num(&nn, (int64_t)time(NULL));
	r = db_exec(db, "INSERT INTO operators (name, token_hash, created_at)"
	    " VALUES (?, ?, ?)", 3, p, NULL);
	if (r == KYSO_ERR_EXISTS) {
		fprintf(stderr, _("kyso-ra: operator '%s' exists\n"), name);
		goto out;
	}
	if (r != 0)
		goto out;
	p[0] = p[2];
	p[1] = name;
	if (db_exec(db, "INSERT INTO audit (ts, actor, action, target, remote,"
	    " status) VALUES (?, 'cli', 'operator add', ?, 'local', 0)", 2, p,
	    NULL) != 0)
		goto out;
	printf("%s\n", tok);
	ex = EX_OK;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_cleanse(tok, sizeof(tok));
	config_free(conf);
	db_free(db);
	free(where);
	free(dir);
	return ex;
}

/* ---- serve ---- */

static void
serve_usage(FILE *f)
{
	fprintf(f, _("Usage: kyso-ra serve [OPTIONS]\n"
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
	    "  --threads N          worker threads (default 4), each with its own\n"
	    "                       database connection\n"
	    "  --port-file FILE     write the port listened on to FILE\n"
	    "  --quiet              no access log (one line per request on stderr)\n\n"
	    "Exit status: 0 stopped by a signal, 1 failed, 2 usage, 3 not initialized.\n"));
}

struct serve_opts {
	const char *listen, *db, *smtp, *from, *public_url, *port_file;
	const char *pin_file;
	int insecure, pin_fd, quiet;
	uint64_t code_ttl, otp_ttl, rate, pin_rate, threads;
};

static int
serve_parse(int argc, char **argv, struct serve_opts *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
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
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 } };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': serve_usage(stdout); return -1;
		case 'H': if (set_home(optarg) != 0) return EX_FAIL; break;
		case 'l': o->listen = optarg; break;
		case 'i': o->insecure = 1; break;
		case 'd': o->db = optarg; break;
		case 's': o->smtp = optarg; break;
		case 'f': o->from = optarg; break;
		case 'u': o->public_url = optarg; break;
		case 'P': o->port_file = optarg; break;
		case 'F': o->pin_file = optarg; break;
		case 'q': o->quiet = 1; break;
		case 't':
			if (parse_u64(optarg, 1, 32, &o->threads))
				return usage_error("serve", _("--threads must be "
				    "1 to 32"));
			break;
		case 'c':
			if (parse_u64(optarg, 0, 30L * 24 * 3600, &o->code_ttl))
				return usage_error("serve", _("bad --code-ttl"));
			break;
		case 'o':
			if (parse_u64(optarg, 0, 3600, &o->otp_ttl))
				return usage_error("serve", _("bad --otp-ttl"));
			break;
		case 'r':
			if (parse_u64(optarg, 0, 1000000, &o->rate))
				return usage_error("serve", _("bad --rate-limit"));
			break;
		case 'R':
			if (parse_u64(optarg, 0, 1000000, &o->pin_rate))
				return usage_error("serve",
				    _("bad --pin-reset-limit"));
			break;
		case 'p':
			if (parse_fd(optarg, &o->pin_fd) != 0)
				return usage_error("serve", _("bad --ca-pin-fd"));
			break;
		default: return usage_error("serve", _("unknown option"));
		}
	}
	if (optind != argc)
		return usage_error("serve", _("unexpected argument"));
	return 0;
}

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

static int
cmd_serve(int argc, char **argv)
{
	struct serve_opts o = { .listen = "127.0.0.1:8443", .pin_fd = -1,
		.code_ttl = 72 * 3600, .otp_ttl = 300, .rate = 60,
		.pin_rate = 10, .threads = 4 };
	struct ra ra;
	struct config *conf = NULL;
	struct ca_key *sg = NULL;
	struct http *h = NULL;
	char *dir = NULL, *where = NULL, *cert = NULL, *key = NULL, *pin = NULL;
	char *outbox = NULL, host[64], url[512];
	uint16_t port;
	int loop, sig, r, ex = EX_FAIL;
	sigset_t set;

	memset(&ra, 0, sizeof(ra));
	if ((r = serve_parse(argc, argv, &o)) != 0)
		return r < 0 ? EX_OK : r;
	if (http_parse_listen(o.listen, host, sizeof(host), &port, &loop) != 0)
		return usage_error("serve", _("bad --listen (HOST:PORT)"));
	if (o.insecure && !loop)
		return usage_error("serve", _("--insecure-http is allowed only "
		    "on a loopback address"));
	if (o.public_url != NULL && !url_ok(o.public_url))
		return usage_error("serve", _("bad --public-url"));
	if (o.from != NULL && (strlen(o.from) > 300 ||
	    valid_text(o.from, 300) != 0 || strchr(o.from, '@') == NULL))
		return usage_error("serve", _("bad --smtp-from"));
	if ((dir = ra_dir()) == NULL)
		goto out;
	if (!is_initialized(dir)) {
		fprintf(stderr, _("kyso-ra: no CA in %s; run kyso-ra init\n"), dir);
		ex = EX_STATE;
		goto out;
	}
	if (load_conf(dir, &conf) != 0)
		goto out;
	if (o.public_url == NULL && config_get(conf, "public_url") != NULL &&
	    url_ok(config_get(conf, "public_url")))
		o.public_url = config_get(conf, "public_url");
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
			fprintf(stderr, _("kyso-ra: ra.conf lacks ca_module, "
			    "ca_token or ca_key_id\n"));
			goto out;
		}
		if (read_pin(o.pin_fd, o.pin_file, &pin) != 0) {
			fprintf(stderr, _("kyso-ra: the CA key is on a token: "
			    "give its PIN with --ca-pin-fd or --ca-pin-file\n"));
			ex = EX_USAGE;
			goto out;
		}
		if ((r = ca_key_from_p11(m, t, pin, id, NULL, NULL, &sg)) != 0) {
			fprintf(stderr, _("kyso-ra: cannot use the CA key on the "
			    "token: %s\n"), kyso_strerror(r));
			goto out;
		}
	}
	if ((r = db_where(dir, conf, o.db, &where)) != 0 ||
	    (r = db_pool_new(where, &ra.pool)) != 0 ||
	    db_pool_get(ra.pool) == NULL ||
	    (r = db_migrate(db_pool_get(ra.pool))) != 0) {
		fprintf(stderr, _("kyso-ra: cannot open the database\n"));
		goto out;
	}
	ra.code_ttl = (int64_t)o.code_ttl;
	ra.otp_ttl = (int64_t)o.otp_ttl;
	if ((ra.rl_addr = ratelimit_new((unsigned)o.rate, 60)) == NULL ||
	    (ra.rl_pin_addr = ratelimit_new((unsigned)o.pin_rate, 900)) == NULL)
		goto out;
	if ((outbox = path_join(dir, "outbox")) == NULL ||
	    mailer_new(outbox, o.smtp, o.from, &ra.mail) != 0)
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
	if (o.public_url != NULL)
		snprintf(url, sizeof(url), "%s", o.public_url);
	else if (strchr(host, ':') != NULL)
		snprintf(url, sizeof(url), "%s://[%s]:%u", o.insecure ? "http" :
		    "https", host, http_port(h));
	else
		snprintf(url, sizeof(url), "%s://%s:%u", o.insecure ? "http" :
		    "https", host, http_port(h));
	while (strlen(url) > 0 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	if ((r = ca_load(dir, sg, url, &ra.ca)) != 0) {
		sg = NULL;
		fprintf(stderr, _("kyso-ra: cannot load the CA: %s\n"),
		    kyso_strerror(r));
		goto out;
	}
	sg = NULL;
	http_access_log(h, !o.quiet);
	if ((r = http_run(h, cert, key, (unsigned)o.threads, api_handle,
	    &ra)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot start the HTTP server\n"));
		goto out;
	}
	if (o.port_file != NULL) {
		char ps[16];

		snprintf(ps, sizeof(ps), "%u\n", http_port(h));
		if (file_write_atomic(o.port_file, ps, strlen(ps), 0644) != 0)
			goto out;
	}
	printf(_("kyso-ra: listening on %s://%s%s%s:%u (public URL %s)\n"),
	    o.insecure ? "http" : "https", strchr(host, ':') ? "[" : "", host,
	    strchr(host, ':') ? "]" : "", http_port(h), url);
	fflush(stdout);
	sigwait(&set, &sig);
	ex = EX_OK;
out:
	http_stop(h);
	ca_free(ra.ca);
	ca_key_free(sg);
	db_pool_free(ra.pool);
	mailer_free(ra.mail);
	ratelimit_free(ra.rl_addr);
	ratelimit_free(ra.rl_pin_addr);
	crypto_hmac_free(ra.code_mac);
	OPENSSL_cleanse(&ra, sizeof(ra));
	if (pin != NULL) {
		OPENSSL_cleanse(pin, strlen(pin));
		free(pin);
	}
	if (key != NULL) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	free(cert);
	free(outbox);
	free(where);
	free(dir);
	config_free(conf);
	return ex;
}

/* ---- root-crl ---- */

static int
cmd_root_crl(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 } };
	char *dir = NULL;
	int c, r, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf(_("Usage: kyso-ra root-crl [--home DIR]\n"
			    "Sign the root's CRL (ra/root.crl) again for a year "
			    "with ra/root-key.pem.\nA running server serves the "
			    "new one after a restart.\n\nExit status: 0 done, "
			    "1 failed, 2 usage, 3 not initialized.\n"));
			return EX_OK;
		case 'H': if (set_home(optarg) != 0) return EX_FAIL; break;
		default: return usage_error("root-crl", _("unknown option"));
		}
	}
	if (optind != argc)
		return usage_error("root-crl", _("unexpected argument"));
	if ((dir = ra_dir()) == NULL)
		return EX_FAIL;
	if (!is_initialized(dir)) {
		fprintf(stderr, _("kyso-ra: no CA in %s; run kyso-ra init\n"), dir);
		ex = EX_STATE;
	} else if ((r = ca_root_crl_renew(dir)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot sign the root CRL: %s\n"),
		    kyso_strerror(r));
	} else {
		ex = EX_OK;
	}
	free(dir);
	return ex;
}

static void
usage(FILE *f)
{
	fprintf(f, _("Usage: kyso-ra COMMAND [OPTIONS]\n"
	    "The kyso RA and CA server.\n\n"
	    "Commands:\n"
	    "  init           create the CA, the admin master key and the database\n"
	    "  operator       add NAME (prints its API token once), list, remove NAME\n"
	    "  serve          run the server\n"
	    "  root-crl       sign the root's CRL again (yearly)\n\n"
	    "Run 'kyso-ra COMMAND --help' for a command's options.\n"));
}

int
main(int argc, char **argv)
{
	int r;

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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EX_FAIL;
	if (strcmp(argv[1], "init") == 0)
		r = cmd_init(argc - 1, argv + 1);
	else if (strcmp(argv[1], "operator") == 0)
		r = cmd_operator(argc - 1, argv + 1);
	else if (strcmp(argv[1], "serve") == 0)
		r = cmd_serve(argc - 1, argv + 1);
	else if (strcmp(argv[1], "root-crl") == 0)
		r = cmd_root_crl(argc - 1, argv + 1);
	else {
		fprintf(stderr, _("kyso-ra: unknown command '%s'\n"), argv[1]);
		usage(stderr);
		r = EX_USAGE;
	}
	curl_global_cleanup();
	return r;
}
