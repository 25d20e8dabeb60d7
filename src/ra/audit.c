#include "audit.h"

#include "common/parse.h"

int
audit_row(struct db *db, int64_t ts, const char *actor, const char *action,
    const char *target, const char *remote, int status)
{
	struct db_num tn, sn;
	const char *p[6];

	p[0] = db_num(&tn, ts);
	p[1] = actor;
	p[2] = action;
	p[3] = target;
	p[4] = remote;
	p[5] = db_num(&sn, status);
	return db_exec(db,
	    "INSERT INTO audit (ts, actor, action, target,"
	    " remote, status) VALUES (?, ?, ?, ?, ?, ?)",
	    6, p, NULL);
}

/* A flood of refused calls (issue 15: 401s and 429s at 10 GB an hour)
 * costs one row per address, minute and status, updated in place. */
int
audit_count(struct db *db, int64_t ts, const char *remote, int status,
    const char *action)
{
	struct db_num mn, sn;
	const char *p[4];

	p[0] = remote;
	p[1] = db_num(&mn, ts - ts % 60);
	p[2] = db_num(&sn, status);
	p[3] = action;
	return db_exec(db,
	    "INSERT INTO audit_counts (remote, minute, status, n,"
	    " first_action) VALUES (?, ?, ?, 1, ?)"
	    " ON CONFLICT (remote, minute, status) DO UPDATE"
	    " SET n = audit_counts.n + 1",
	    4, p, NULL);
}

/* What the retention lets go: calls by no operator (anonymous, public,
 * subscriber) that neither issued a certificate nor took part in a PIN
 * reset. Rows before the counters existed hold the refused calls. Never
 * the newest row: SQLite numbers the audit max(id) + 1 (no AUTOINCREMENT,
 * db.c), so keeping it keeps ids from being given twice. */
#define AUDIT_PRUNABLE                                                  \
	" FROM audit WHERE ts < ? AND id < (SELECT max(id) FROM audit)" \
	" AND actor IN ('anonymous', 'public',"                         \
	" 'subscriber') AND NOT (status < 400 AND (action LIKE"         \
	" 'POST /api/v1/activation/complete%' OR action LIKE"           \
	" 'POST /api/v1/pin-reset/%'))"

/* The append-only triggers let a DELETE through only while meta holds
 * 'audit_prune', inside this transaction. */
int
audit_prune(struct db *db, int64_t cutoff, uint64_t *rows, uint64_t *counts)
{
	struct db_rows *n1 = NULL, *n2 = NULL;
	struct db_num cn;
	const char *p[1];
	uint64_t a, b;
	int r;

	p[0] = db_num(&cn, cutoff);
	if ((r = db_begin(db)) != 0)
		return r;
	if ((r = db_exec(db, "SELECT count(*)" AUDIT_PRUNABLE, 1, p, &n1)) != 0 ||
	    (r = db_exec(db, "SELECT count(*) FROM audit_counts WHERE minute < ?",
		 1, p, &n2)) != 0)
		goto fail;
	r = KYSO_ERR_CORRUPT;
	if (db_rows_count(n1) != 1 || db_rows_count(n2) != 1 ||
	    parse_u64(db_rows_get(n1, 0, 0), 0, INT64_MAX, &a) != 0 ||
	    parse_u64(db_rows_get(n2, 0, 0), 0, INT64_MAX, &b) != 0)
		goto fail;
	if ((r = db_exec(db, "INSERT INTO meta (k, v) VALUES ('audit_prune', '1')",
		 0, NULL, NULL)) != 0 ||
	    (r = db_exec(db, "DELETE" AUDIT_PRUNABLE, 1, p, NULL)) != 0 ||
	    (r = db_exec(db, "DELETE FROM meta WHERE k = 'audit_prune'", 0,
		 NULL, NULL)) != 0 ||
	    (r = db_exec(db, "DELETE FROM audit_counts WHERE minute < ?", 1, p,
		 NULL)) != 0 ||
	    (r = db_commit(db)) != 0)
		goto fail;
	db_rows_free(n1);
	db_rows_free(n2);
	*rows = a;
	*counts = b;
	return 0;
fail:
	db_rows_free(n1);
	db_rows_free(n2);
	db_rollback(db);
	return r;
}
