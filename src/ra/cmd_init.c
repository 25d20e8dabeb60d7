/* kyso-ra init (the CA, the admin master key, the database) and
 * kyso-ra root-crl (the root's CRL signed again). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ca.h"
#include "cmd.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/secret.h"
#include "db.h"
#include "service.h"
#include "ca_key.h"
#include "validate.h"

/* The options of init, for --help. */
static void
init_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra init [OPTIONS]\n"
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

/* Makes everything serve needs, once: a second init on the same directory
 * is refused (exit 3) so a CA is never overwritten. */
int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
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
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		case 'n': name = optarg; break;
		case 'k': kt = optarg; break;
		case 'd': dbopt = optarg; break;
		case 'm': module = optarg; break;
		case 't': token = optarg; break;
		case 'p':
			if (cmd_parse_fd(optarg, &pin_fd) != 0)
				return cmd_usage_error("init",
				    _("bad --ca-pin-fd"));
			break;
		case 'F': pin_file = optarg; break;
		case 'r': root.cert = optarg; break;
		case 'R': root.key = optarg; break;
		case 'L': root.crl_url = optarg; break;
		case 'i': use_id = optarg; break;
		case 'u': public_url = optarg; break;
		default: return cmd_usage_error("init", _("unknown option"));
		}
	}
	if (optind != argc)
		return cmd_usage_error("init", _("unexpected argument"));
	if (strcmp(kt, "p256") != 0 && strcmp(kt, "rsa2048") != 0 &&
	    strcmp(kt, "rsa3072") != 0)
		return cmd_usage_error("init",
		    _("--ca-key-type must be p256, "
		      "rsa2048 or rsa3072"));
	if (valid_text(name, 100) != 0)
		return cmd_usage_error("init", _("bad --name"));
	if ((module != NULL) != (token != NULL) ||
	    (module != NULL && pin_fd < 0 && pin_file == NULL))
		return cmd_usage_error("init",
		    _("--ca-module needs --ca-token and "
		      "--ca-pin-fd or --ca-pin-file"));
	if (use_id != NULL &&
	    (module == NULL || strlen(use_id) > 128 || strlen(use_id) % 2 != 0 ||
		strspn(use_id, "0123456789abcdefABCDEF") != strlen(use_id) ||
		*use_id == '\0'))
		return cmd_usage_error("init",
		    _("--ca-key-id needs --ca-module and "
		      "an even number of hex digits"));
	if ((root.cert != NULL) != (root.key != NULL))
		return cmd_usage_error("init",
		    _("--root-cert and --root-key go "
		      "together"));
	if (root.crl_url != NULL &&
	    (root.cert == NULL || !cmd_url_ok(root.crl_url)))
		return cmd_usage_error("init",
		    _("--root-crl needs --root-cert and "
		      "an http:// or https:// URL"));
	if (public_url != NULL && !cmd_url_ok(public_url))
		return cmd_usage_error("init", _("bad --public-url"));
	if ((dir = cmd_ra_dir()) == NULL)
		goto out;
	if (cmd_is_initialized(dir)) {
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
		if (secret_read_file(pin_fd, pin_file, &pin) != 0) {
			fprintf(stderr, _("kyso-ra: no PIN to read\n"));
			goto out;
		}
		r = ca_key_from_p11(module, token, pin, use_id, kt, &key_id, &sg);
		/* Logged in (or not): the PIN is not needed any more. */
		secret_free(pin);
		pin = NULL;
		if (r != 0) {
			fprintf(stderr,
			    _("kyso-ra: cannot make the CA key on the "
			      "token: %s\n"),
			    kyso_strerror(r));
			goto out;
		}
		if (buf_putf(conf,
			"ca_key = pkcs11\nca_module = %s\n"
			"ca_token = %s\nca_key_id = %s\n",
			module, token, key_id) != 0)
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

		r = mp ? file_write_atomic(mp, master, sizeof(master), 0600)
		       : KYSO_ERR_NOMEM;
		free(mp);
		if (r != 0)
			goto out;
	}
	if (dbopt != NULL && buf_putf(conf, "db = %s\n", dbopt) != 0)
		goto out;
	if (buf_put_u8(conf, 0) != 0 ||
	    cmd_write_text(dir, "ra.conf", (const char *)buf_ptr(conf), 0600) != 0)
		goto out;
	if (cmd_db_where(dir, NULL, dbopt, &where) != 0 ||
	    db_open(where, &db) != 0 || db_migrate(db) != 0 ||
	    service_record(db, dir) != 0) {
		fprintf(stderr, _("kyso-ra: cannot create the database\n"));
		goto out;
	}
	printf(_("kyso-ra: CA \"%s\" created in %s\n"), name, dir);
	ex = EX_OK;
out:
	OPENSSL_cleanse(master, sizeof(master));
	secret_free(pin);
	ca_key_free(sg);
	db_free(db);
	buf_free(conf);
	free(key_id);
	free(where);
	free(dir);
	return ex;
}

/* The root's CRL runs out after a year; the root key signs a new one. */
int
cmd_root_crl(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' }, { NULL, 0, NULL, 0 } };
	char *dir = NULL;
	int c, r, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			printf(_(
			    "Usage: kyso-ra root-crl [--home DIR]\n"
			    "Sign the root's CRL (ra/root.crl) again for a year "
			    "with ra/root-key.pem.\nA running server serves the "
			    "new one after a restart.\n\nExit status: 0 done, "
			    "1 failed, 2 usage, 3 not initialized.\n"));
			return EX_OK;
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		default:
			return cmd_usage_error("root-crl", _("unknown option"));
		}
	}
	if (optind != argc)
		return cmd_usage_error("root-crl", _("unexpected argument"));
	if ((r = cmd_ca_dir(&dir)) != EX_OK)
		return r;
	if ((r = ca_root_crl_renew(dir)) != 0) {
		fprintf(stderr, _("kyso-ra: cannot sign the root CRL: %s\n"),
		    kyso_strerror(r));
	} else {
		ex = EX_OK;
	}
	free(dir);
	return ex;
}
