/* kyso-ra audit prune: the audit log's retention rule. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cmd.h"
#include "common/parse.h"
#include "db.h"

/* The verbs of audit, for --help. */
static void
audit_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra audit prune [--days N] [--home DIR] [--db URL]\n"
	      "Applies the audit log's retention: deletes the counters of refused\n"
	      "unauthenticated calls, and the audit rows of calls by no operator\n"
	      "that neither issued a certificate nor took part in a PIN reset,\n"
	      "older than N days (default %d). Operator and command-line actions\n"
	      "(registrations, renewals, revocations, operators), issuance and PIN\n"
	      "resets are kept whatever their age.\n\n"
	      "Exit status: 0 done, 1 failed, 2 usage, 3 not initialized.\n"),
	    AUDIT_DEFAULT_DAYS);
}

/* Run by the operator (or cron) while the server runs: one transaction,
 * so the server's calls wait for it rather than fail. */
int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "db", required_argument, NULL, 'd' },
		{ "days", required_argument, NULL, 'D' }, { NULL, 0, NULL, 0 } };
	const char *dbopt = NULL;
	char *dir = NULL, *where = NULL;
	struct config *conf = NULL;
	struct db *db = NULL;
	uint64_t days = AUDIT_DEFAULT_DAYS, rows, counts;
	int c, r, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': audit_usage(stdout); return EX_OK;
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		case 'd': dbopt = optarg; break;
		case 'D':
			if (parse_u64(optarg, 0, 36500, &days) != 0)
				return cmd_usage_error("audit",
				    _("--days takes 0 to 36500"));
			break;
		default: return cmd_usage_error("audit", _("unknown option"));
		}
	}
	if (argc - optind != 1 || strcmp(argv[optind], "prune") != 0)
		return cmd_usage_error("audit", _("say: audit prune"));
	if ((r = cmd_ca_dir(&dir)) != EX_OK)
		return r;
	if (cmd_load_conf(dir, &conf) != 0 ||
	    cmd_db_where(dir, conf, dbopt, &where) != 0 ||
	    db_open(where, &db) != 0 || db_migrate(db) != 0)
		goto out;
	if (audit_prune(db, (int64_t)time(NULL) - (int64_t)days * 86400, &rows,
		&counts) != 0) {
		fprintf(stderr, _("kyso-ra: could not prune the audit log\n"));
		goto out;
	}
	printf(_("%llu audit rows and %llu failure counters older than %llu "
		 "days deleted\n"),
	    (unsigned long long)rows, (unsigned long long)counts,
	    (unsigned long long)days);
	ex = EX_OK;
out:
	config_free(conf);
	db_free(db);
	free(where);
	free(dir);
	return ex;
}
