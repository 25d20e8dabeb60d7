/* kyso-ra rotate ocsp|tsa: a new key and certificate for the OCSP
 * responder or the TSA (issue 15: they expired with no way to renew them,
 * and a leaked key could not be revoked). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "ca.h"
#include "ca_key.h"
#include "cmd.h"
#include "common/buf.h"
#include "common/fsutil.h"
#include "common/secret.h"
#include "db.h"
#include "service.h"

/* The verbs of rotate, for --help. */
static void
rotate_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra rotate ocsp|tsa [OPTIONS]\n"
	      "Make a new key and certificate, signed by the issuing CA, for the\n"
	      "OCSP responder (ocsp.pem) or the time-stamping authority (tsa.pem).\n"
	      "The key is made on the CA's token when the CA key is there (its id\n"
	      "goes into ra.conf), else it is a PEM file (ocsp-key.pem, tsa-key.pem).\n"
	      "The old certificate is kept as NAME-SERIAL.pem and in the database,\n"
	      "so what it signed still verifies; revoke it with the API if its key\n"
	      "leaked. Both are in the certificates table, so the CRL lists them\n"
	      "once revoked. Restart kyso-ra serve to sign with the new key.\n\n"
	      "  --home DIR           use DIR as $KYSO_HOME\n"
	      "  --db URL             postgresql://... (default: from init, or SQLite)\n"
	      "  --public-url URL     the server's public URL: the TSA certificate\n"
	      "                       names URL/crl and URL/ocsp (default: ra.conf)\n"
	      "  --ca-pin-fd N        the CA token's PIN, when the CA key is on a token\n"
	      "  --ca-pin-file FILE   ... or read it from FILE\n\n"
	      "Exit status: 0 done, 1 failed, 2 usage, 3 not initialized.\n"));
}

/* With the issuing key on a token: that key, and the service's new key
 * made on the same token (*svc, its CKA_ID in *svc_id). Both NULL when
 * the CA key is ca-key.pem: the service's key is then a PEM file too. */
static int
rotate_p11_keys(const struct config *conf, enum ca_service w, int pin_fd,
    const char *pin_file, struct ca_key **ca, struct ca_key **svc, char **svc_id)
{
	const char *k = config_get(conf, "ca_key");
	char *pin = NULL;
	int r;

	*ca = *svc = NULL;
	if (k == NULL || strcmp(k, "pkcs11") != 0)
		return EX_OK;
	if (config_get(conf, "ca_module") == NULL ||
	    config_get(conf, "ca_token") == NULL ||
	    config_get(conf, "ca_key_id") == NULL) {
		fprintf(stderr,
		    _("kyso-ra: ra.conf lacks ca_module, ca_token or "
		      "ca_key_id\n"));
		return EX_FAIL;
	}
	if (secret_read_file(pin_fd, pin_file, &pin) != 0) {
		fprintf(stderr,
		    _("kyso-ra: the CA key is on a token: give its PIN with "
		      "--ca-pin-fd or --ca-pin-file\n"));
		return EX_USAGE;
	}
	if ((r = ca_key_from_p11(config_get(conf, "ca_module"),
		 config_get(conf, "ca_token"), pin,
		 config_get(conf, "ca_key_id"), NULL, NULL, ca)) == 0 &&
	    (r = ca_key_new_p11(config_get(conf, "ca_module"),
		 config_get(conf, "ca_token"), pin,
		 w == CA_SVC_OCSP ? "kyso-ra OCSP responder" : "kyso-ra TSA",
		 svc_id, svc)) != 0) {
		ca_key_free(*ca);
		*ca = NULL;
	}
	secret_free(pin);
	if (r != 0) {
		fprintf(stderr,
		    _("kyso-ra: cannot use the CA key on the token: %s\n"),
		    kyso_strerror(r));
		return EX_FAIL;
	}
	return EX_OK;
}

/* ra.conf with key = value in place of any line for key. */
static int
conf_put(const char *dir, const char *key, const char *value)
{
	char *path = path_join(dir, "ra.conf");
	struct buf *in = NULL, *out = buf_new(1 << 20);
	const char *p, *end, *nl;
	size_t kl = strlen(key);
	int r = KYSO_ERR_NOMEM;

	if (path == NULL || out == NULL)
		goto out;
	if ((r = file_read(path, 1 << 20, &in)) != 0)
		goto out;
	p = (const char *)buf_ptr(in);
	end = p + buf_len(in);
	for (; p < end; p = nl) {
		const char *q = p;

		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		else
			nl++;
		while (q < nl && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(nl - q) > kl && memcmp(q, key, kl) == 0 &&
		    (q[kl] == ' ' || q[kl] == '=' || q[kl] == '\t'))
			continue;
		if ((r = buf_put(out, p, (size_t)(nl - p))) != 0)
			goto out;
		if (nl == end && nl > p && nl[-1] != '\n' &&
		    (r = buf_put_u8(out, '\n')) != 0)
			goto out;
	}
	if ((r = buf_putf(out, "%s = %s\n", key, value)) != 0 ||
	    (r = buf_put_u8(out, 0)) != 0)
		goto out;
	r = cmd_write_text(dir, "ra.conf", (const char *)buf_ptr(out), 0600);
out:
	buf_free(in);
	buf_free(out);
	free(path);
	return r;
}

int
cmd_rotate(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "db", required_argument, NULL, 'd' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "ca-pin-fd", required_argument, NULL, 'p' },
		{ "ca-pin-file", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 } };
	const char *dbopt = NULL, *url = NULL, *pin_file = NULL, *name;
	char *dir = NULL, *where = NULL, old[64], target[192], action[32];
	struct config *conf = NULL;
	struct ca_key *key = NULL, *svc = NULL;
	char *svc_id = NULL;
	struct db *db = NULL;
	struct ca_issued now = { .pem = NULL };
	enum ca_service w;
	struct db_num tn;
	const char *p[3];
	int pin_fd = -1, c, r, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': rotate_usage(stdout); return EX_OK;
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		case 'd': dbopt = optarg; break;
		case 'u': url = optarg; break;
		case 'p':
			if (cmd_parse_fd(optarg, &pin_fd) != 0)
				return cmd_usage_error("rotate",
				    _("bad --ca-pin-fd"));
			break;
		case 'F': pin_file = optarg; break;
		default: return cmd_usage_error("rotate", _("unknown option"));
		}
	}
	if (argc - optind != 1)
		return cmd_usage_error("rotate",
		    _("say: rotate ocsp or rotate tsa"));
	if (strcmp(argv[optind], "ocsp") == 0)
		w = CA_SVC_OCSP;
	else if (strcmp(argv[optind], "tsa") == 0)
		w = CA_SVC_TSA;
	else
		return cmd_usage_error("rotate",
		    _("say: rotate ocsp or rotate tsa"));
	name = ca_service_name(w);
	if (url != NULL && !cmd_url_ok(url))
		return cmd_usage_error("rotate", _("bad --public-url"));
	if ((r = cmd_ca_dir(&dir)) != EX_OK)
		return r;
	if (cmd_load_conf(dir, &conf) != 0)
		goto out;
	if (url == NULL && config_get(conf, "public_url") != NULL &&
	    cmd_url_ok(config_get(conf, "public_url")))
		url = config_get(conf, "public_url");
	if (url == NULL && w == CA_SVC_TSA)
		fprintf(stderr,
		    _("kyso-ra: warning: no --public-url (nor public_url in "
		      "ra.conf): the TSA certificate names no CRL or OCSP "
		      "responder\n"));
	if (cmd_db_where(dir, conf, dbopt, &where) != 0 ||
	    db_open(where, &db) != 0 || db_migrate(db) != 0) {
		fprintf(stderr, _("kyso-ra: cannot open the database\n"));
		goto out;
	}
	if ((ex = rotate_p11_keys(conf, w, pin_fd, pin_file, &key, &svc,
		 &svc_id)) != EX_OK)
		goto out;
	ex = EX_FAIL;
	/* The old certificate in the table first (a database older than
	 * issue 15 lacks it), so that it can be revoked once replaced. */
	if ((r = service_record(db, dir)) != 0 ||
	    (r = ca_service_rotate(dir, w, key, svc, url, old)) != 0 ||
	    (svc_id != NULL &&
		(r = conf_put(dir, service_key_conf(w), svc_id)) != 0) ||
	    (r = service_record(db, dir)) != 0 ||
	    (r = ca_service_info(dir, w, &now)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot rotate the %s key: %s\n"),
		    name,
		    r == KYSO_ERR_PERMISSION
			? _("the issuing CA is not valid now")
			: kyso_strerror(r));
		goto out;
	}
	snprintf(action, sizeof(action), "rotate %s", name);
	snprintf(target, sizeof(target), "certificate:%s (was %s)", now.serial,
	    old);
	p[0] = db_num(&tn, (int64_t)time(NULL));
	p[1] = action;
	p[2] = target;
	if (db_exec(db,
		"INSERT INTO audit (ts, actor, action, target, remote, status)"
		" VALUES (?, 'cli', ?, ?, 'local', 0)",
		3, p, NULL) != 0)
		fprintf(stderr,
		    _("kyso-ra: warning: the audit row was not "
		      "written\n"));
	printf(_("kyso-ra: new %s certificate %s; the old one (%s) is kept as "
		 "%s-%s.pem. Restart kyso-ra serve to use the new key.\n"),
	    name, now.serial, old, name, old);
	ex = EX_OK;
out:
	ca_issued_clear(&now);
	ca_key_free(key);
	ca_key_free(svc);
	free(svc_id);
	db_free(db);
	config_free(conf);
	free(where);
	free(dir);
	return ex;
}
