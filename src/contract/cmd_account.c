/* kyso-contract account and audit-check: the commands an operator runs
 * beside the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "contract.h"

/* Opens the database of $KYSO_HOME (KYSO_HOME in the environment). */
static int
open_home(struct store **db)
{
	char *dir = contract_dir(NULL);
	int r;

	if (dir == NULL)
		return KYSO_ERR_NOMEM;
	r = store_open(dir, 0, db);
	if (r != 0)
		fprintf(stderr, _("kyso-contract: %s: %s (run init)\n"), dir,
		    kyso_strerror(r));
	free(dir);
	return r;
}

/* account ORG EMAIL: the organisation is made when it is new. */
int
cmd_account(int argc, char **argv)
{
	struct store *db = NULL;
	struct q *st = NULL;
	char pw[25];
	int64_t org;
	int ret = EX_FAIL, r;

	if (argc != 3) {
		fprintf(stderr, _("Usage: kyso-contract account ORG EMAIL\n"));
		return EX_USAGE;
	}
	if (open_home(&db) != 0)
		goto out;
	if (q_prepare(db, "SELECT id FROM orgs WHERE name = ?", &st) != 0)
		goto out;
	q_bind_text(st, 1, argv[1]);
	if (q_step(st) == Q_ROW)
		org = q_col_int(st, 0);
	else if ((r = org_create(db, argv[1], &org)) != 0)
		goto out;
	if ((r = account_with_password(db, org, argv[2], 0, pw)) != 0) {
		fprintf(stderr, _("kyso-contract: account: %s\n"),
		    kyso_strerror(r));
		goto out;
	}
	printf(_("%s password (shown once): %s\n"), argv[2], pw);
	ret = EX_OK;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	q_finalize(st);
	store_close(db);
	return ret;
}

/* Exit 0 when the chain holds, 1 (and the row) when a row was changed. */
int
cmd_audit_check(int argc, char **argv)
{
	struct store *db = NULL;
	int64_t bad = 0;
	int ret = EX_FAIL, r;

	(void)argc;
	(void)argv;
	if (open_home(&db) != 0)
		goto out;
	if ((r = audit_check(db, &bad)) == KYSO_ERR_CORRUPT) {
		printf(_("audit trail BROKEN at row %lld\n"), (long long)bad);
		goto out;
	}
	if (r != 0)
		goto out;
	printf(_("audit trail intact\n"));
	ret = EX_OK;
out:
	store_close(db);
	return ret;
}
