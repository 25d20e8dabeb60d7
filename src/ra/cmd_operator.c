/* kyso-ra operator add | list | remove: the accounts that may call the
 * operator API. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cmd.h"
#include "common/crypto.h"
#include "db.h"
#include "validate.h"

/* The verbs of operator, for --help. */
static void
operator_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra operator add NAME [--home DIR] [--db URL]\n"
	      "       kyso-ra operator list | remove NAME [--home DIR] [--db URL]\n"
	      "add: create an operator account and print its API token once (only\n"
	      "a hash of it is stored). Operators send it as\n"
	      "\"Authorization: Bearer TOKEN\". remove: the token stops working.\n\n"
	      "Exit status: 0 done, 1 failed (e.g. the name exists, or no such\n"
	      "operator), 2 usage, 3 not initialized.\n"));
}

/* Only a hash of an operator's token is stored: add prints the token
 * once. Every change is audited with the actor "cli". */
int
cmd_operator(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "db", required_argument, NULL, 'd' }, { NULL, 0, NULL, 0 } };
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
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		case 'd': dbopt = optarg; break;
		default:
			return cmd_usage_error("operator", _("unknown option"));
		}
	}
	if (argc - optind == 1 && strcmp(argv[optind], "list") == 0)
		verb = "list";
	else if (argc - optind == 2 &&
	    (strcmp(argv[optind], "add") == 0 ||
		strcmp(argv[optind], "remove") == 0))
		verb = argv[optind];
	else
		return cmd_usage_error("operator",
		    _("say: operator add NAME, "
		      "operator list or operator remove NAME"));
	name = strcmp(verb, "list") == 0 ? "" : argv[optind + 1];
	if (*name != '\0' && valid_text(name, 64) != 0)
		return cmd_usage_error("operator", _("bad operator name"));
	if ((r = cmd_ca_dir(&dir)) != EX_OK)
		return r;
	if (cmd_load_conf(dir, &conf) != 0 ||
	    cmd_db_where(dir, conf, dbopt, &where) != 0 ||
	    db_open(where, &db) != 0 || db_migrate(db) != 0)
		goto out;
	if (strcmp(verb, "list") == 0) {
		struct db_rows *rows = NULL;
		size_t k;

		if (db_exec(db,
			"SELECT name, created_at FROM operators"
			" ORDER BY name",
			0, NULL, &rows) != 0)
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
		if (db_exec(db,
			"DELETE FROM operators WHERE name = ?"
			" RETURNING name",
			1, p, &rows) != 0 ||
		    (k = db_rows_count(rows)) != 1) {
			db_rows_free(rows);
			db_rollback(db);
			if (k == 0)
				fprintf(stderr,
				    _("kyso-ra: no operator '%s'\n"), name);
			goto out;
		}
		db_rows_free(rows);
		p[0] = p[1];
		p[1] = name;
		if (db_exec(db,
			"INSERT INTO audit (ts, actor, action, target,"
			" remote, status) VALUES (?, 'cli', 'operator remove', ?,"
			" 'local', 0)",
			2, p, NULL) != 0 ||
		    db_commit(db) != 0) {
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
	r = db_exec(db,
	    "INSERT INTO operators (name, token_hash, created_at)"
	    " VALUES (?, ?, ?)",
	    3, p, NULL);
	if (r == KYSO_ERR_EXISTS) {
		fprintf(stderr, _("kyso-ra: operator '%s' exists\n"), name);
		goto out;
	}
	if (r != 0)
		goto out;
	p[0] = p[2];
	p[1] = name;
	if (db_exec(db,
		"INSERT INTO audit (ts, actor, action, target, remote,"
		" status) VALUES (?, 'cli', 'operator add', ?, 'local', 0)",
		2, p, NULL) != 0)
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
