#include "db.h"

#include <inttypes.h>
#include <pthread.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "common/buf.h"
#include "walvfs.h"

#define DB_MAX_PARAMS 32

#define DB_STMT_CACHE 64

struct db {
	sqlite3 *lite;
	PGconn *pg;
	/* Prepared statements kept for reuse, by their SQL text: SQLite's
	 * statement, or on PostgreSQL a statement prepared on the connection
	 * under the name "k" and its index (st NULL). */
	struct {
		char *sql;
		sqlite3_stmt *st;
	} cache[DB_STMT_CACHE];
	size_t ncache;
	/* SQLite in a pool: the pool's writer lock, held from BEGIN to
	 * COMMIT/ROLLBACK, so this process's threads queue for the write
	 * lock instead of sleeping in SQLite's busy handler. */
	pthread_mutex_t *txlock;
	int locked;
	/* SQLite in a pool: the pool's one writer connection, which runs
	 * every transaction of every thread (under txlock), and, while a
	 * transaction is open, where this connection's statements go. One
	 * connection for all writes keeps its page cache: when each thread
	 * wrote on its own connection, every commit made the others read
	 * back the pages it changed (issue 15, two client connections). */
	struct db *writer, *route;
};

struct db_rows {
	size_t nrows, ncols;
	char **v; /* nrows * ncols, NULL for SQL NULL */
};

/* The schema, written once for both engines: AUTOID, SEQID and the
 * trigger text are the only differences. The audit table refuses UPDATE
 * and DELETE.
 *
 * Issue 15: each page an issuance's transaction changes is a WAL frame
 * written at COMMIT, so what is indexed is kept to what is read. The
 * audit's id is SQLite's plain rowid (SEQID: AUTOINCREMENT wrote the
 * sqlite_sequence page on every insert); it is still never reused, as
 * SQLite gives max(id) + 1 and the prune never deletes the newest row
 * (audit.c). The audit has no index on ts: the prune is its only reader,
 * and it went through every row older than the cutoff with the index
 * too (the rows kept stay). Registrations are found by token_serial
 * only among the active ones, through registrations_token_active
 * (db_migrate): an index on every registration's token_serial too cost
 * two more pages per completion (its entry moved from NULL to the
 * token), and is kept only where that one could not be made. */
static const char *const schema_common[] = {
	"CREATE TABLE IF NOT EXISTS operators ("
	" id AUTOID, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL UNIQUE,"
	" created_at BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS registrations ("
	" id AUTOID, type TEXT NOT NULL, name TEXT NOT NULL,"
	" id_kind TEXT NOT NULL, id_number TEXT NOT NULL,"
	" representative TEXT, province TEXT NOT NULL, email TEXT NOT NULL,"
	" phone TEXT NOT NULL, profile TEXT NOT NULL, key_type TEXT NOT NULL,"
	" validity_years INTEGER NOT NULL, status TEXT NOT NULL,"
	" token_serial TEXT, created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS registrations_idn"
	" ON registrations(id_number)",
	/* A pending activation: the details the certificate will carry. */
	"CREATE TABLE IF NOT EXISTS activations ("
	" id AUTOID, registration_id BIGINT NOT NULL REFERENCES registrations(id),"
	" code_hash TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
	" details TEXT NOT NULL, expires_at BIGINT NOT NULL,"
	" spent_at BIGINT, created_at BIGINT NOT NULL)",
	/* A subscriber's certificate, or (registration_id NULL, purpose
	 * 'ocsp' or 'tsa') one of the CA's service certificates, so that
	 * revocation and the CRL treat them alike. */
	"CREATE TABLE IF NOT EXISTS certificates ("
	" serial TEXT PRIMARY KEY,"
	" registration_id BIGINT REFERENCES registrations(id),"
	" not_before BIGINT NOT NULL, not_after BIGINT NOT NULL,"
	" status TEXT NOT NULL, revoked_at BIGINT, reason INTEGER,"
	" token_serial TEXT, pem TEXT NOT NULL, created_at BIGINT NOT NULL,"
	" purpose TEXT)",
	"CREATE INDEX IF NOT EXISTS certificates_reg"
	" ON certificates(registration_id)",
	"CREATE INDEX IF NOT EXISTS certificates_token"
	" ON certificates(token_serial)",
	"CREATE TABLE IF NOT EXISTS otps ("
	" id AUTOID, registration_id BIGINT NOT NULL REFERENCES registrations(id),"
	" token_serial TEXT NOT NULL, otp_hash TEXT NOT NULL,"
	" expires_at BIGINT NOT NULL, tries INTEGER NOT NULL,"
	" spent INTEGER NOT NULL, created_at BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS otps_token ON otps(token_serial)",
	"CREATE TABLE IF NOT EXISTS audit ("
	" id SEQID, ts BIGINT NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, target TEXT, remote TEXT, status INTEGER)",
	"CREATE TABLE IF NOT EXISTS meta ("
	" k TEXT PRIMARY KEY, v TEXT NOT NULL)",
	/* Unauthenticated failures (401, 429, a subscriber's refused call)
	 * are counted, not logged one by one: a row per address, minute and
	 * status, with the first call of that minute (audit.c). */
	"CREATE TABLE IF NOT EXISTS audit_counts ("
	" remote TEXT NOT NULL, minute BIGINT NOT NULL, status INTEGER NOT NULL,"
	" n BIGINT NOT NULL, first_action TEXT,"
	" PRIMARY KEY (remote, minute, status))",
	"DROP INDEX IF EXISTS audit_ts",
};

static const char *const schema_sqlite[] = {
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
	/* DELETE only inside `kyso-ra audit prune`'s transaction, which
	 * marks itself in meta (audit.c). */
	"DROP TRIGGER IF EXISTS audit_no_delete",
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	" WHEN NOT EXISTS (SELECT 1 FROM meta WHERE k = 'audit_prune')"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END",
};

static const char *const schema_pg[] = {
	"CREATE OR REPLACE FUNCTION kyso_audit_append_only() RETURNS trigger"
	" LANGUAGE plpgsql AS $$ BEGIN"
	" IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM meta"
	" WHERE k = 'audit_prune') THEN RETURN NULL; END IF;"
	" RAISE EXCEPTION 'audit log is append-only'; END $$",
	"DROP TRIGGER IF EXISTS audit_append_only ON audit",
	"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
	" FOR EACH STATEMENT EXECUTE FUNCTION kyso_audit_append_only()",
};

const char *
db_num(struct db_num *n, int64_t v)
{
	snprintf(n->s, sizeof(n->s), "%" PRId64, v);
	return n->s;
}

int
db_is_pg(const struct db *d)
{
	return d->pg != NULL;
}

static int
is_pg_url(const char *w)
{
	return strncmp(w, "postgresql://", 13) == 0 ||
	    strncmp(w, "postgres://", 11) == 0;
}

int
db_open(const char *where, struct db **out)
{
	struct db *d = calloc(1, sizeof(*d));
	int r = KYSO_ERR_IO;

	if (d == NULL)
		return KYSO_ERR_NOMEM;
	if (is_pg_url(where)) {
		d->pg = PQconnectdb(where);
		if (d->pg == NULL || PQstatus(d->pg) != CONNECTION_OK) {
			fprintf(stderr, "%s: PostgreSQL: %s",
			    program_invocation_short_name,
			    d->pg ? PQerrorMessage(d->pg) : "out of memory\n");
			goto out;
		}
		/* Quiet NOTICEs from IF NOT EXISTS. */
		PQclear(PQexec(d->pg, "SET client_min_messages = warning"));
	} else {
		/* Issue 15: a commit's WAL frames in one write (walvfs.c). */
		if (walvfs_register() != 0) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		if (sqlite3_open_v2(where, &d->lite,
			SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX,
			WALVFS_NAME) != SQLITE_OK) {
			fprintf(stderr, "%s: SQLite %s: %s\n",
			    program_invocation_short_name, where,
			    d->lite ? sqlite3_errmsg(d->lite) : "no memory");
			goto out;
		}
		sqlite3_busy_timeout(d->lite, 10000);
		if (sqlite3_exec(d->lite,
			"PRAGMA journal_mode=WAL;"
			"PRAGMA foreign_keys=ON;PRAGMA synchronous=NORMAL;"
			/* Issue 15: under load the WAL is started over every
			 * quarter second (the checkpointer) and may hold 30 MB
			 * by then. A 16 MiB limit cut the file back at each
			 * start, and the frames past it went into pages new to
			 * the page cache each time (a 4 KiB write into a new
			 * page cost 2.5 times one into a page still cached). */
			"PRAGMA journal_size_limit=67108864;",
			NULL, NULL, NULL) != SQLITE_OK)
			goto out;
	}
	*out = d;
	d = NULL;
	r = 0;
out:
	db_free(d);
	return r;
}

void
db_free(struct db *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ncache; i++) {
		sqlite3_finalize(d->cache[i].st);
		free(d->cache[i].sql);
	}
	d->ncache = 0;
	if (d->lite != NULL)
		sqlite3_close(d->lite);
	if (d->pg != NULL)
		PQfinish(d->pg);
	free(d);
}

/* Replaces AUTOID with the engine's auto-increment key, SEQID with a key
 * that SQLite numbers without sqlite_sequence. */
static int
dialect(const struct db *d, const char *sql, char **out)
{
	static const struct {
		const char *word, *pg, *lite;
	} words[] = {
		{ "AUTOID", "BIGSERIAL PRIMARY KEY",
		    "INTEGER PRIMARY KEY AUTOINCREMENT" },
		{ "SEQID", "BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY" },
	};
	struct buf *b = buf_new(64 * 1024);
	const char *at, *x, *rep;
	size_t k, w = 0;
	int r = KYSO_ERR_NOMEM;

	if (b == NULL)
		return r;
	/* the first of the words left in sql, each time */
	for (;;) {
		at = NULL;
		for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if ((x = strstr(sql, words[k].word)) != NULL &&
			    (at == NULL || x < at)) {
				at = x;
				w = k;
			}
		if (at == NULL)
			break;
		rep = d->pg ? words[w].pg : words[w].lite;
		if (buf_put(b, sql, (size_t)(at - sql)) != 0 ||
		    buf_put(b, rep, strlen(rep)) != 0)
			goto out;
		sql = at + strlen(words[w].word);
	}
	if (buf_put(b, sql, strlen(sql)) != 0)
		goto out;
	if ((*out = buf_to_cstr(b)) == NULL)
		goto out;
	r = 0;
out:
	buf_free(b);
	return r;
}

/* 1 when table has column col, 0 when not, <0. */
static int
table_has(struct db *d, const char *table, const char *col)
{
	struct db_rows *rows = NULL;
	const char *p[2] = { table, col };
	int r;

	r = db_exec(d,
	    d->pg ? "SELECT 1 FROM information_schema.columns WHERE"
		    " table_name = ? AND column_name = ?"
		  : "SELECT 1 FROM pragma_table_info(?) WHERE name = ?",
	    2, p, &rows);
	if (r == 0)
		r = db_rows_count(rows) > 0;
	db_rows_free(rows);
	return r;
}

/* SQLite's way to change a table it cannot alter in place: when probe
 * finds a row, the steps (rename the table, drop what goes with it) run
 * and *copy is set, for the caller to fill the table made again from the
 * old one. */
static int
lite_rebuild(struct db *d, const char *probe, const char *const *steps,
    size_t n, int *copy)
{
	struct db_rows *rows = NULL;
	size_t i;
	int r;

	if ((r = db_exec(d, probe, 0, NULL, &rows)) != 0)
		return r;
	*copy = db_rows_count(rows) > 0;
	db_rows_free(rows);
	for (i = 0; *copy && i < n; i++)
		if ((r = db_exec(d, steps[i], 0, NULL, NULL)) != 0)
			return r;
	return 0;
}

/* Before issue 15's service certificates, certificates.registration_id
 * was NOT NULL and there was no purpose column. PostgreSQL changes the
 * column in place; SQLite cannot, so the table is renamed (with its
 * indexes dropped), made again by the schema and filled from the old one,
 * in the migration's transaction. *copy is set when that fill is due. */
static int
certificates_upgrade(struct db *d, int *copy)
{
	static const char *const lite[] = {
		"ALTER TABLE certificates RENAME TO certificates_old",
		"DROP INDEX IF EXISTS certificates_reg",
		"DROP INDEX IF EXISTS certificates_token",
	};
	*copy = 0;
	if (d->pg)
		return db_exec(d,
		    "ALTER TABLE certificates ALTER COLUMN"
		    " registration_id DROP NOT NULL",
		    0, NULL, NULL);
	return lite_rebuild(d,
	    "SELECT 1 FROM pragma_table_info('certificates')"
	    " WHERE name = 'registration_id' AND \"notnull\" = 1",
	    lite, sizeof(lite) / sizeof(lite[0]), copy);
}

/* Before issue 15's frame count, SQLite's audit id was AUTOINCREMENT. A
 * table's key cannot be changed in place: the table is renamed (its
 * trigger and ts index dropped), made again by the schema and filled from
 * the old one with the same ids. *copy is set when that fill is due. */
static int
audit_upgrade(struct db *d, int *copy)
{
	static const char *const lite[] = {
		"ALTER TABLE audit RENAME TO audit_old",
		"DROP TRIGGER IF EXISTS audit_no_update",
		"DROP TRIGGER IF EXISTS audit_no_delete",
		"DROP INDEX IF EXISTS audit_ts",
	};
	*copy = 0;
	if (d->pg)
		return 0;
	return lite_rebuild(d,
	    "SELECT 1 FROM sqlite_master WHERE type = 'table'"
	    " AND name = 'audit' AND sql LIKE '%AUTOINCREMENT%'",
	    lite, sizeof(lite) / sizeof(lite[0]), copy);
}

/* The old audit's rows into the new table, ids kept. AUTOINCREMENT never
 * gave an id again even when the row that held the highest had been
 * pruned: then a row recording the change takes the id after it, so
 * that max(id) + 1 goes on from there. */
static int
audit_fill(struct db *d)
{
	struct db_num nn;
	const char *p[1] = { db_num(&nn, (int64_t)time(NULL)) };
	int r;

	if ((r = db_exec(d,
		 "INSERT INTO audit (id, ts, actor, action, target, remote,"
		 " status) SELECT id, ts, actor, action, target, remote, status"
		 " FROM audit_old",
		 0, NULL, NULL)) != 0 ||
	    (r = db_exec(d,
		 "INSERT INTO audit (id, ts, actor, action) SELECT seq + 1, ?,"
		 " 'kyso-ra', 'audit ids without AUTOINCREMENT from here'"
		 " FROM sqlite_sequence WHERE name = 'audit_old'"
		 " AND seq > (SELECT coalesce(max(id), 0) FROM audit)",
		 1, p, NULL)) != 0)
		return r;
	return db_exec(d, "DROP TABLE audit_old", 0, NULL, NULL);
}

int
db_migrate(struct db *d)
{
	size_t i;
	char *sql = NULL;
	int r, copy = 0, acopy = 0;

	if ((r = db_begin(d)) != 0)
		return r;
	if ((r = audit_upgrade(d, &acopy)) != 0)
		goto fail;
	if (table_has(d, "certificates", "serial") == 1 &&
	    table_has(d, "certificates", "purpose") == 0 &&
	    ((r = certificates_upgrade(d, &copy)) != 0 ||
		(d->pg &&
		    (r = db_exec(d,
			 "ALTER TABLE certificates ADD COLUMN purpose TEXT", 0,
			 NULL, NULL)) != 0)))
		goto fail;
	for (i = 0; i < sizeof(schema_common) / sizeof(schema_common[0]); i++) {
		if ((r = dialect(d, schema_common[i], &sql)) != 0 ||
		    (r = db_exec(d, sql, 0, NULL, NULL)) != 0)
			goto fail;
		free(sql);
		sql = NULL;
	}
	for (i = 0; d->pg && i < sizeof(schema_pg) / sizeof(schema_pg[0]); i++)
		if ((r = db_exec(d, schema_pg[i], 0, NULL, NULL)) != 0)
			goto fail;
	for (i = 0;
	     d->lite && i < sizeof(schema_sqlite) / sizeof(schema_sqlite[0]); i++)
		if ((r = db_exec(d, schema_sqlite[i], 0, NULL, NULL)) != 0)
			goto fail;
	if (copy &&
	    ((r = db_exec(d,
		  "INSERT INTO certificates (serial, registration_id,"
		  " not_before, not_after, status, revoked_at, reason,"
		  " token_serial, pem, created_at) SELECT serial,"
		  " registration_id, not_before, not_after, status, revoked_at,"
		  " reason, token_serial, pem, created_at FROM certificates_old",
		  0, NULL, NULL)) != 0 ||
		(r = db_exec(d, "DROP TABLE certificates_old", 0, NULL, NULL)) !=
		    0))
		goto fail;
	if (acopy && (r = audit_fill(d)) != 0)
		goto fail;
	if ((r = db_commit(d)) != 0)
		return r;
	/* Added by issue 15 (a CN shorter than a long legal name): a
	 * database made before gets the column. */
	if (table_has(d, "registrations", "common_name") == 0 &&
	    (r = db_exec(d, "ALTER TABLE registrations ADD COLUMN common_name TEXT",
		 0, NULL, NULL)) != 0 &&
	    table_has(d, "registrations", "common_name") != 1)
		return r;
	/* One active registration per token serial, held by the database
	 * too (two servers completing at once). A database made before this
	 * may hold two already: it works on, with the check in the API. */
	if (db_exec(d,
		"CREATE UNIQUE INDEX IF NOT EXISTS"
		" registrations_token_active ON registrations(token_serial)"
		" WHERE status = 'active'",
		0, NULL, NULL) != 0) {
		fprintf(stderr,
		    "kyso-ra: two active registrations share a token "
		    "serial; the index that keeps serials apart was not made\n");
		/* The token's holders are still looked up by index. */
		return db_exec(d,
		    "CREATE INDEX IF NOT EXISTS registrations_token"
		    " ON registrations(token_serial)",
		    0, NULL, NULL);
	}
	return db_exec(d, "DROP INDEX IF EXISTS registrations_token", 0, NULL,
	    NULL);
fail:
	free(sql);
	db_rollback(d);
	return r;
}

static void
tx_unlock(struct db *d)
{
	if (d->locked) {
		d->locked = 0;
		d->route = NULL;
		pthread_mutex_unlock(d->txlock);
	}
}

int
db_begin(struct db *d)
{
	int took = 0, r;

	if (d->lite != NULL && d->txlock != NULL && !d->locked) {
		pthread_mutex_lock(d->txlock);
		d->locked = 1;
		d->route = d->writer;
		took = 1;
	}

	/* SQLite: take the write lock now, so two writers never deadlock on
	 * a lock upgrade. A BEGIN inside an open transaction fails and
	 * leaves it as it was: still this thread's, on the writer, under the
	 * lock (letting go would leave the pool's writer connection in a
	 * transaction no one holds, and every thread's BEGIN failing). */
	r = db_exec(d, d->pg ? "BEGIN" : "BEGIN IMMEDIATE", 0, NULL, NULL);
	if (r != 0 && took)
		tx_unlock(d);
	return r;
}

int
db_commit(struct db *d)
{
	int r = db_exec(d, "COMMIT", 0, NULL, NULL);

	if (r != 0)
		db_rollback(d);
	tx_unlock(d);
	return r;
}

void
db_rollback(struct db *d)
{
	struct db *t = d->route != NULL ? d->route : d;

	/* PostgreSQL ends a transaction whose COMMIT failed: a ROLLBACK
	 * then would only log a warning. */
	if (t->pg != NULL) {
		if (PQtransactionStatus(t->pg) != PQTRANS_IDLE)
			PQclear(PQexec(t->pg, "ROLLBACK"));
	} else if (!sqlite3_get_autocommit(t->lite))
		sqlite3_exec(t->lite, "ROLLBACK", NULL, NULL, NULL);
	tx_unlock(d);
}

static struct db_rows *
rows_new(size_t nrows, size_t ncols)
{
	struct db_rows *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->nrows = nrows;
	r->ncols = ncols;
	if (nrows * ncols > 0 &&
	    (r->v = calloc(nrows * ncols, sizeof(char *))) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

static int
rows_grow(struct db_rows *r, size_t ncols)
{
	char **nv;

	if (r->nrows >= 1000000)
		return KYSO_ERR_TOO_LARGE;
	nv = realloc(r->v, (r->nrows + 1) * ncols * sizeof(char *));
	if (nv == NULL)
		return KYSO_ERR_NOMEM;
	r->v = nv;
	memset(r->v + r->nrows * ncols, 0, ncols * sizeof(char *));
	r->nrows++;
	return 0;
}

static int
exec_sqlite(struct db *d, const char *sql, size_t n, const char *const *params,
    struct db_rows **rows)
{
	sqlite3_stmt *st = NULL;
	struct db_rows *res = NULL;
	size_t i, ncols;
	int rc, cached = 0, r = KYSO_ERR_IO;

	for (i = 0; i < d->ncache; i++)
		if (strcmp(d->cache[i].sql, sql) == 0) {
			st = d->cache[i].st;
			cached = 1;
			break;
		}
	if (st == NULL) {
		if (sqlite3_prepare_v3(d->lite, sql, -1,
			d->ncache < DB_STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0,
			&st, NULL) != SQLITE_OK) {
			fprintf(stderr, "%s: SQL: %s\n",
			    program_invocation_short_name,
			    sqlite3_errmsg(d->lite));
			return KYSO_ERR_INTERNAL;
		}
		if (d->ncache < DB_STMT_CACHE &&
		    (d->cache[d->ncache].sql = strdup(sql)) != NULL) {
			d->cache[d->ncache++].st = st;
			cached = 1;
		}
	}
	for (i = 0; i < n; i++) {
		rc = params[i] == NULL ? sqlite3_bind_null(st, (int)i + 1)
				       : sqlite3_bind_text(st, (int)i + 1,
					     params[i], -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK)
			goto out;
	}
	ncols = (size_t)sqlite3_column_count(st);
	if ((res = rows_new(0, ncols)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = rows_grow(res, ncols)) != 0)
			goto out;
		for (i = 0; i < ncols; i++) {
			const unsigned char *t = sqlite3_column_text(st, (int)i);

			if (t == NULL)
				continue;
			if ((res->v[(res->nrows - 1) * ncols + i] = strdup(
				 (const char *)t)) == NULL) {
				r = KYSO_ERR_NOMEM;
				goto out;
			}
		}
	}
	if (rc != SQLITE_DONE) {
		if (rc == SQLITE_CONSTRAINT)
			r = KYSO_ERR_EXISTS;
		else if (rc == SQLITE_BUSY)
			r = KYSO_ERR_BUSY;
		else
			r = KYSO_ERR_IO;
		fprintf(stderr, "%s: SQL: %s\n", program_invocation_short_name,
		    sqlite3_errmsg(d->lite));
		goto out;
	}
	if (rows != NULL) {
		*rows = res;
		res = NULL;
	}
	r = 0;
out:
	db_rows_free(res);
	if (cached) {
		/* Ends the statement (and its read of the database) now. */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
	return r;
}

/* "?" placeholders to $1, $2, ... (never inside quotes: kyso's SQL keeps
 * literals out of the statements that take parameters). */
static int
pg_sql(const char *sql, char **out)
{
	struct buf *b = buf_new(64 * 1024);
	unsigned k = 0;
	int r = KYSO_ERR_NOMEM;

	if (b == NULL)
		return r;
	for (; *sql; sql++) {
		if (*sql == '?') {
			if (buf_putf(b, "$%u", ++k) != 0)
				goto out;
		} else if (buf_put_u8(b, (uint8_t)*sql) != 0) {
			goto out;
		}
	}
	if ((*out = buf_to_cstr(b)) != NULL)
		r = 0;
out:
	buf_free(b);
	return r;
}

/* The connection's statements die with it (PQreset): forgets them. */
static void
pg_cache_clear(struct db *d)
{
	size_t i;

	for (i = 0; i < d->ncache; i++)
		free(d->cache[i].sql);
	d->ncache = 0;
}

/* Runs one statement. One with parameters (every statement of the API)
 * is prepared on the connection the first time and executed by name
 * after: PostgreSQL parses and plans it once per connection instead of
 * at every call. A statement without parameters (schema, BEGIN, COMMIT)
 * is run as it is. NULL: out of memory. */
static PGresult *
pg_run(struct db *d, const char *sql, size_t n, const char *const *params)
{
	PGresult *res = NULL;
	char name[24], *q = NULL;
	size_t i;

	for (i = 0; n > 0 && i < d->ncache; i++)
		if (strcmp(d->cache[i].sql, sql) == 0)
			goto run;
	if (pg_sql(sql, &q) != 0)
		return NULL;
	if (n == 0 || d->ncache == DB_STMT_CACHE ||
	    (d->cache[i].sql = strdup(sql)) == NULL) {
		res = PQexecParams(d->pg, q, (int)n, NULL, params, NULL, NULL, 0);
		goto out;
	}
	snprintf(name, sizeof(name), "k%zu", i);
	res = PQprepare(d->pg, name, q, (int)n, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		free(d->cache[i].sql);
		goto out;
	}
	PQclear(res);
	d->cache[i].st = NULL;
	d->ncache++;
run:
	snprintf(name, sizeof(name), "k%zu", i);
	res = PQexecPrepared(d->pg, name, (int)n, params, NULL, NULL, 0);
out:
	free(q);
	return res;
}

static int
exec_pg(struct db *d, const char *sql, size_t n, const char *const *params,
    struct db_rows **rows)
{
	PGresult *res = NULL;
	struct db_rows *rr = NULL;
	size_t i, j, nr, nc;
	int st, r, idle;

	idle = PQtransactionStatus(d->pg) == PQTRANS_IDLE ||
	    PQstatus(d->pg) != CONNECTION_OK;
	res = pg_run(d, sql, n, params);
	st = res ? (int)PQresultStatus(res) : PGRES_FATAL_ERROR;
	/* A lost connection (the server restarted) is made again, and a
	 * statement outside any transaction tried once more; inside one the
	 * transaction is gone and the caller's rollback answers. */
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    PQstatus(d->pg) == CONNECTION_BAD) {
		PQreset(d->pg);
		pg_cache_clear(d);
		if (PQstatus(d->pg) == CONNECTION_OK) {
			PQclear(
			    PQexec(d->pg, "SET client_min_messages = warning"));
			if (idle) {
				PQclear(res);
				res = pg_run(d, sql, n, params);
				st = res ? (int)PQresultStatus(res)
					 : PGRES_FATAL_ERROR;
			}
		}
	}
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = res
		    ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
		    : NULL;

		r = KYSO_ERR_IO;
		if (state != NULL && strcmp(state, "23505") == 0)
			r = KYSO_ERR_EXISTS;
		else if (state != NULL &&
		    (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
			r = KYSO_ERR_BUSY;
		fprintf(stderr, "%s: SQL: %s", program_invocation_short_name,
		    PQerrorMessage(d->pg));
		goto out;
	}
	nr = (size_t)PQntuples(res);
	nc = (size_t)PQnfields(res);
	if ((rr = rows_new(nr, nc)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++)
		for (j = 0; j < nc; j++) {
			if (PQgetisnull(res, (int)i, (int)j))
				continue;
			if ((rr->v[i * nc + j] = strdup(
				 PQgetvalue(res, (int)i, (int)j))) == NULL) {
				r = KYSO_ERR_NOMEM;
				goto out;
			}
		}
	if (rows != NULL) {
		*rows = rr;
		rr = NULL;
	}
	r = 0;
out:
	db_rows_free(rr);
	PQclear(res);
	return r;
}

int
db_exec(struct db *d, const char *sql, size_t n, const char *const *params,
    struct db_rows **rows)
{
	if (n > DB_MAX_PARAMS)
		return KYSO_ERR_INVALID;
	if (d->route != NULL)
		d = d->route;
	if (d->pg != NULL)
		return exec_pg(d, sql, n, params, rows);
	return exec_sqlite(d, sql, n, params, rows);
}

size_t
db_rows_count(const struct db_rows *r)
{
	return r == NULL ? 0 : r->nrows;
}

const char *
db_rows_get(const struct db_rows *r, size_t row, size_t col)
{
	if (r == NULL || row >= r->nrows || col >= r->ncols)
		return NULL;
	return r->v[row * r->ncols + col];
}

void
db_rows_free(struct db_rows *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrows * r->ncols; i++)
		free(r->v[i]);
	free(r->v);
	free(r);
}

/* SQLite checkpoints run in a thread of their own, every interval, so
 * that no request waits for the copy back into the database file and its
 * fsync. */
#define DB_CHECKPOINT_MS      250
/* Frames (pages) in the WAL past which the checkpointer, after its
 * PASSIVE pass, runs a RESTART pass with the pool's writers held (4 MiB);
 * that pass waits at most DB_RESTART_WAIT_MS for readers. */
#define DB_WAL_RESTART_FRAMES 1024
#define DB_RESTART_WAIT_MS    100

struct db_pool {
	char *where;
	pthread_mutex_t lock;
	pthread_mutex_t txlock;
	/* Connections between two requests, the last one given back on top
	 * (its pages and statements the warmest); at most max_idle. */
	struct db **idle;
	size_t nidle, max_idle;
	/* Connections open, lent or idle (the writer and the checkpointer's
	 * aside): at most DB_POOL_MAX_OPEN, so that a burst of requests (a
	 * thread per client connection, http.c) neither opens past a
	 * PostgreSQL server's max_connections nor spends the descriptors
	 * below FD_SETSIZE that libmicrohttpd's select() needs for client
	 * sockets (a SQLite connection holds 2: the database and its WAL).
	 * A request that finds them all lent waits for one given back
	 * (freed). */
	size_t nopen;
	pthread_cond_t freed;
	/* SQLite: the connection every transaction runs on (struct db). */
	struct db *writer;
	/* SQLite: the checkpointer, its connection and its stop signal. */
	struct db *ckpt;
	pthread_t ckpt_thread;
	pthread_cond_t ckpt_cond;
	int ckpt_running, ckpt_stop;
};

static void *
checkpointer(void *arg)
{
	struct db_pool *p = arg;
	struct timespec until;
	int nlog;

	pthread_mutex_lock(&p->lock);
	while (!p->ckpt_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += DB_CHECKPOINT_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&p->ckpt_cond, &p->lock, &until);
		pthread_mutex_unlock(&p->lock);
		/* PASSIVE: copies what no reader still needs, never waits. */
		nlog = 0;
		sqlite3_wal_checkpoint_v2(p->ckpt->lite, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &nlog, NULL);
		/* Issue 15: under a steady stream of issuances the writers
		 * added frames while the pass copied and synced, so the WAL
		 * was never all copied, no writer started it over, and it
		 * grew without end (35 MB for 600 certificates; writing past
		 * its end made the file system allocate at every commit).
		 * Past a bound, a RESTART pass with this process's writers
		 * held back copies the few frames written meanwhile and waits
		 * (at most its busy timeout) for readers to leave the WAL:
		 * the next writer starts it over, and journal_size_limit
		 * trims the file. */
		if (nlog >= DB_WAL_RESTART_FRAMES) {
			pthread_mutex_lock(&p->txlock);
			sqlite3_wal_checkpoint_v2(p->ckpt->lite, NULL,
			    SQLITE_CHECKPOINT_RESTART, NULL, NULL);
			pthread_mutex_unlock(&p->txlock);
		}
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Starts the checkpointer; without it SQLite checkpoints at commit. */
static void
checkpointer_start(struct db_pool *p)
{
	if (is_pg_url(p->where) || db_open(p->where, &p->ckpt) != 0)
		return;
	sqlite3_busy_timeout(p->ckpt->lite, DB_RESTART_WAIT_MS);
	pthread_cond_init(&p->ckpt_cond, NULL);
	if (pthread_create(&p->ckpt_thread, NULL, checkpointer, p) != 0) {
		pthread_cond_destroy(&p->ckpt_cond);
		db_free(p->ckpt);
		p->ckpt = NULL;
		return;
	}
	p->ckpt_running = 1;
}

static void
checkpointer_stop(struct db_pool *p)
{
	if (!p->ckpt_running)
		return;
	pthread_mutex_lock(&p->lock);
	p->ckpt_stop = 1;
	pthread_cond_signal(&p->ckpt_cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->ckpt_thread, NULL);
	pthread_cond_destroy(&p->ckpt_cond);
	db_free(p->ckpt);
	p->ckpt = NULL;
	p->ckpt_running = 0;
}

int
db_pool_new(const char *where, size_t max_idle, struct db_pool **out)
{
	struct db_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return KYSO_ERR_NOMEM;
	p->max_idle = max_idle > 0 ? max_idle : 1;
	if ((p->where = strdup(where)) == NULL ||
	    (p->idle = calloc(p->max_idle, sizeof(*p->idle))) == NULL) {
		free(p->where);
		free(p);
		return KYSO_ERR_NOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->txlock, NULL);
	{
		/* the wait for a connection is not moved by the wall clock */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&p->freed, &ca);
		pthread_condattr_destroy(&ca);
	}
	checkpointer_start(p);
	*out = p;
	return 0;
}

/* SQLite: the pool's writer connection, opened on first use (under
 * p->lock). 0, or the pool cannot serve. */
static int
writer_ready(struct db_pool *p)
{
	if (is_pg_url(p->where) || p->writer != NULL)
		return 0;
	if (db_open(p->where, &p->writer) != 0)
		return KYSO_ERR_IO;
	if (p->ckpt_running)
		sqlite3_wal_autocheckpoint(p->writer->lite, 0);
	return 0;
}

/* One of the pool's connections is closed (or was never opened): room
 * for a waiting request to open another. Every waiter looks: one held to
 * DB_POOL_MAX_OPEN may still have to wait where a reserved one need not
 * (an idle connection, db_pool_put, serves any, so one is woken there). */
static void
pool_closed(struct db_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->nopen--;
	pthread_cond_broadcast(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* An idle connection or a new one, waiting while limit are open and
 * none is idle. */
static struct db *
pool_get(struct db_pool *p, size_t limit)
{
	struct db *d = NULL;
	struct timespec until;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += DB_POOL_WAIT_S;
	pthread_mutex_lock(&p->lock);
	while ((r = writer_ready(p)) == 0 && p->nidle == 0 && p->nopen >= limit)
		if (pthread_cond_timedwait(&p->freed, &p->lock, &until) != 0) {
			r = KYSO_ERR_BUSY;
			break;
		}
	if (r == 0 && p->nidle > 0)
		d = p->idle[--p->nidle];
	else if (r == 0)
		p->nopen++;
	pthread_mutex_unlock(&p->lock);
	if (r != 0 || d != NULL)
		return d;
	/* None idle: a new one, opened outside the lock (a PostgreSQL
	 * connection takes a round trip or more). */
	if (db_open(p->where, &d) != 0) {
		pool_closed(p);
		return NULL;
	}
	d->txlock = &p->txlock;
	d->writer = p->writer;
	if (p->ckpt_running && d->lite != NULL)
		sqlite3_wal_autocheckpoint(d->lite, 0);
	return d;
}

struct db *
db_pool_get(struct db_pool *p)
{
	return pool_get(p, DB_POOL_MAX_OPEN);
}

struct db *
db_pool_get_reserved(struct db_pool *p)
{
	return pool_get(p, DB_POOL_MAX_OPEN + DB_POOL_RESERVE);
}

void
db_pool_put(struct db_pool *p, struct db *d)
{
	if (d == NULL)
		return;
	/* A transaction left open (a bug) must not pass to the next
	 * request, nor hold the writer's lock. */
	if (d->locked ||
	    (d->pg != NULL && PQtransactionStatus(d->pg) != PQTRANS_IDLE))
		db_rollback(d);
	pthread_mutex_lock(&p->lock);
	if (p->nidle < p->max_idle) {
		p->idle[p->nidle++] = d;
		d = NULL;
		pthread_cond_signal(&p->freed);
	}
	pthread_mutex_unlock(&p->lock);
	if (d != NULL) {
		db_free(d);
		pool_closed(p);
	}
}

void
db_pool_free(struct db_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	checkpointer_stop(p);
	for (i = 0; i < p->nidle; i++)
		db_free(p->idle[i]);
	free(p->idle);
	db_free(p->writer);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->txlock);
	free(p->where);
	free(p);
}
