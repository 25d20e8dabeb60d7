/* The store: one SQLite database, documents as files named by their
 * SHA-256 (never overwritten: each signed version is a new file), and the
 * audit trail, append-only and hash-chained. */
#include "contract.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/config.h"
#include "common/parse.h"

/* The schema, one text for both engines: AUTOID is the engine's row
 * key, NOCASE SQLite's case-blind e-mail column (PostgreSQL compares
 * lower() and keeps a unique index on it), ROWID the insertion order
 * PostgreSQL has no implicit column for. */
static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS orgs(id AUTOID, name TEXT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS accounts(id AUTOID,"
	" org_id BIGINT NOT NULL REFERENCES orgs(id),"
	" email TEXT NOT NULL UNIQUE NOCASE, pwhash TEXT NOT NULL,"
	" admin INTEGER NOT NULL DEFAULT 0,"
	" sign_method TEXT NOT NULL DEFAULT 'none',"
	" identity TEXT NOT NULL DEFAULT '', created_at BIGINT NOT NULL)",
	"CREATE UNIQUE INDEX IF NOT EXISTS accounts_email_ci"
	" ON accounts(lower(email))",
	"CREATE TABLE IF NOT EXISTS sessions(token_hash TEXT PRIMARY KEY,"
	" account_id BIGINT NOT NULL REFERENCES accounts(id),"
	" csrf TEXT NOT NULL, expires_at BIGINT NOT NULL)",
	"CREATE TABLE IF NOT EXISTS login_fails(key TEXT NOT NULL,"
	" at BIGINT NOT NULL)",
	"CREATE INDEX IF NOT EXISTS login_fails_key ON login_fails(key, at)",
	"CREATE TABLE IF NOT EXISTS documents(id TEXT PRIMARY KEY,"
	" org_id BIGINT NOT NULL REFERENCES orgs(id),"
	" owner_id BIGINT NOT NULL REFERENCES accounts(id),"
	" title TEXT NOT NULL, ordered INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'waiting',"
	" sha256 TEXT NOT NULL, created_at BIGINT NOT NULL ROWID)",
	"CREATE TABLE IF NOT EXISTS versions(doc_id TEXT NOT NULL"
	" REFERENCES documents(id), n INTEGER NOT NULL, sha256 TEXT NOT NULL,"
	" size BIGINT NOT NULL, created_at BIGINT NOT NULL,"
	" PRIMARY KEY(doc_id, n))",
	"CREATE TABLE IF NOT EXISTS signers(doc_id TEXT NOT NULL"
	" REFERENCES documents(id), pos INTEGER NOT NULL, email TEXT NOT NULL"
	" NOCASE, state TEXT NOT NULL DEFAULT 'waiting',"
	" page INTEGER NOT NULL DEFAULT 1, x INTEGER NOT NULL DEFAULT 50,"
	" y INTEGER NOT NULL DEFAULT 50, w INTEGER NOT NULL DEFAULT 200,"
	" h INTEGER NOT NULL DEFAULT 60, reason TEXT, at BIGINT,"
	" PRIMARY KEY(doc_id, pos))",
	"CREATE TABLE IF NOT EXISTS audit(id BIGINT PRIMARY KEY,"
	" doc_id TEXT, at BIGINT NOT NULL, actor TEXT NOT NULL,"
	" remote TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL)",
};

/* Append-only: the server never changes or removes an audit row. */
static const char *const schema_sqlite[] = {
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
};

static const char *const schema_pg[] = {
	"CREATE OR REPLACE FUNCTION kyso_contract_audit_append_only()"
	" RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	" RAISE EXCEPTION 'audit is append-only'; END $$",
	"DROP TRIGGER IF EXISTS audit_append_only ON audit",
	"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
	" FOR EACH STATEMENT EXECUTE FUNCTION kyso_contract_audit_append_only()",
};

/* sql with the schema's tokens replaced by the engine's words. */
static int
dialect(const char *sql, int pg, struct buf *b)
{
	static const char *const tok[][3] = {
		{ "AUTOID", "INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY" },
		{ " NOCASE", " COLLATE NOCASE", "" },
		{ " ROWID", "", ", rowid BIGSERIAL" },
	};
	size_t i, n;

	while (*sql) {
		for (i = 0; i < sizeof(tok) / sizeof(tok[0]); i++)
			if (strncmp(sql, tok[i][0], strlen(tok[i][0])) == 0)
				break;
		if (i < sizeof(tok) / sizeof(tok[0])) {
			n = strlen(tok[i][pg ? 2 : 1]);
			if (buf_put(b, tok[i][pg ? 2 : 1], n) != 0)
				return KYSO_ERR_NOMEM;
			sql += strlen(tok[i][0]);
		} else if (buf_put_u8(b, (uint8_t)*sql++) != 0) {
			return KYSO_ERR_NOMEM;
		}
	}
	return 0;
}

/* Every table, index and trigger, in one transaction. */
static int
make_schema(struct store *db)
{
	int pg = store_is_pg(db);
	const char *const *extra = pg ? schema_pg : schema_sqlite;
	size_t i,
	    nextra = pg ? sizeof(schema_pg) / sizeof(schema_pg[0])
			: sizeof(schema_sqlite) / sizeof(schema_sqlite[0]);
	struct buf *b = buf_new(64 * 1024);
	char *sql = NULL;
	int r = KYSO_ERR_NOMEM;

	if (b == NULL)
		return r;
	if ((r = store_begin(db)) != 0)
		goto out;
	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++) {
		buf_reset(b);
		if ((r = dialect(schema[i], pg, b)) != 0)
			goto out;
		r = KYSO_ERR_NOMEM;
		if ((sql = buf_to_cstr(b)) == NULL)
			goto out;
		if ((r = store_exec(db, sql)) != 0)
			goto out;
		free(sql);
		sql = NULL;
	}
	for (i = 0; i < nextra; i++)
		if ((r = store_exec(db, extra[i])) != 0)
			goto out;
	r = store_commit(db);
out:
	if (r != 0)
		store_rollback(db);
	free(sql);
	buf_free(b);
	return r;
}

/* Where the database is: kyso.conf's contract_database (beside dir, in
 * $KYSO_HOME) when set, else dir/contract.db. */
static int
store_where(const char *dir, char **out)
{
	struct config *conf = NULL;
	char *path = path_join(dir, "../kyso.conf");
	const char *v = NULL;
	int r;

	if (path == NULL)
		return KYSO_ERR_NOMEM;
	r = config_load(path, &conf);
	free(path);
	if (r != 0 && r != KYSO_ERR_NOT_FOUND)
		return r;
	if (conf != NULL)
		v = config_get(conf, "contract_database");
	*out = v != NULL && *v != '\0' ? strdup(v)
				       : path_join(dir, "contract.db");
	config_free(conf);
	return *out != NULL ? 0 : KYSO_ERR_NOMEM;
}

/* Opens the database of dir (kyso.conf's contract_database, else SQLite
 * in dir); create (init) makes the schema. SQLite's is checked on every
 * open, as before; PostgreSQL's only at init, so that instances starting
 * together do not race on it. */
int
store_open(const char *dir, int create, struct store **out)
{
	struct store *db = NULL;
	struct stat st;
	char *where = NULL;
	int r;

	if ((r = store_where(dir, &where)) != 0)
		goto out;
	r = KYSO_ERR_NOT_FOUND;
	if (!create && strstr(where, "://") == NULL && stat(where, &st) != 0)
		goto out;
	if ((r = store_connect(where, &db)) != 0)
		goto out;
	if ((create || !store_is_pg(db)) && (r = make_schema(db)) != 0)
		goto out;
	/* PostgreSQL before init: "run init", not a failing first query. */
	r = KYSO_ERR_NOT_FOUND;
	if (!create && store_is_pg(db) &&
	    store_exec(db, "SELECT 1 FROM audit LIMIT 1") != 0)
		goto out;
	*out = db;
	db = NULL;
	r = 0;
out:
	store_close(db);
	free(where);
	return r;
}

/* Where the database is, for init's and serve's --help. */
const char *
store_help(void)
{
	return _("\nThe database: kyso.conf's contract_database = "
		 "postgresql://... (several\ninstances on one database), "
		 "else SQLite in $KYSO_HOME/contract/contract.db.\n");
}

/* A row's time as people read it: "YYYY-MM-DD HH:MM:SS", UTC. */
void
store_utc(int64_t at, char out[24])
{
	time_t t = (time_t)at;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 24, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 24, "%lld", (long long)at);
}

/* Seconds since the epoch, the one clock of the rows. */
int64_t
store_now(void)
{
	return (int64_t)time(NULL);
}

/* Bytes as lowercase hex, NUL-terminated (out: 2n+1 bytes). */
static void
to_hex(const uint8_t *p, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Ids, session tokens, CSRF tokens, passwords: from the CSPRNG. */
int
random_hex(size_t nbytes, char *out)
{
	uint8_t b[64];

	if (nbytes > sizeof(b) || crypto_random(b, nbytes) != 0)
		return KYSO_ERR_CRYPTO;
	to_hex(b, nbytes, out);
	OPENSSL_cleanse(b, sizeof(b));
	return 0;
}

/* The SHA-256 of p as 64 lowercase hex digits: blob names, audit
 * hashes, stored session tokens. */
int
sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t md[32];
	int r;

	if ((r = crypto_sha256(p, n, md)) != 0)
		return r;
	to_hex(md, sizeof(md), out);
	return 0;
}

/* Content addressing: the name is the hash, so a second upload of the
 * same bytes finds its file and nothing is ever written over. */
int
blob_put(const char *blobs, const void *data, size_t n, char hex[65])
{
	char *path = NULL;
	struct stat st;
	int r;

	if ((r = sha256_hex(data, n, hex)) != 0)
		return r;
	if ((path = path_join(blobs, hex)) == NULL)
		return KYSO_ERR_NOMEM;
	if (stat(path, &st) == 0)
		r = 0;
	else
		r = file_write_atomic(path, data, n, 0600);
	free(path);
	return r;
}

/* A stored version; the name is checked to be a hash first. */
int
blob_get(const char *blobs, const char *hex, size_t cap, struct buf **out)
{
	char *path;
	int r;

	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return KYSO_ERR_INVALID;
	if ((path = path_join(blobs, hex)) == NULL)
		return KYSO_ERR_NOMEM;
	r = file_read(path, cap, out);
	free(path);
	return r;
}

/* The hash of one row: the previous row's hash and every field, each
 * length-prefixed so no two rows serialise alike. */
static int
row_hash(const char *prev, int64_t id, const char *doc, int64_t at,
    const char *actor, const char *remote, const char *action,
    const char *detail, char out[65])
{
	struct buf *b = buf_new(1 << 20);
	int r = KYSO_ERR_NOMEM;

	if (b == NULL)
		goto out;
	if ((r = buf_put_cstring(b, prev)) != 0 ||
	    (r = buf_put_u64(b, (uint64_t)id)) != 0 ||
	    (r = buf_put_cstring(b, doc != NULL ? doc : "")) != 0 ||
	    (r = buf_put_u64(b, (uint64_t)at)) != 0 ||
	    (r = buf_put_cstring(b, actor)) != 0 ||
	    (r = buf_put_cstring(b, remote)) != 0 ||
	    (r = buf_put_cstring(b, action)) != 0 ||
	    (r = buf_put_cstring(b, detail)) != 0 ||
	    (r = sha256_hex(buf_ptr(b), buf_len(b), out)) != 0)
		goto out;
	r = 0;
out:
	buf_free(b);
	return r;
}

/* A text column, "" for NULL. */
static const char *
col(const struct q *st, int i)
{
	const char *t = q_col(st, i);

	return t != NULL ? t : "";
}

/* The new row's hash covers the previous row's: a changed, removed or
 * inserted row breaks every hash after it. "Read the last row, insert
 * the next" is one transaction holding the audit's write lock (SQLite:
 * BEGIN IMMEDIATE; PostgreSQL: LOCK TABLE, as instances share it), the
 * caller's when it has one, so two writers never chain on one row. */
int
audit_append(struct store *db, const char *doc, const char *actor,
    const char *remote, const char *action, const char *detail)
{
	struct q *st = NULL;
	char prev[65] = "", hash[65];
	int64_t id = 1, at = store_now();
	int own = !store_in_tx(db), r = KYSO_ERR_IO;

	if (own && store_begin(db) != 0)
		return r;
	if (store_is_pg(db) &&
	    store_exec(db, "LOCK TABLE audit IN EXCLUSIVE MODE") != 0)
		goto out;
	if (q_prepare(db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
		&st) != 0)
		goto out;
	switch (q_step(st)) {
	case Q_ROW:
		id = q_col_int(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s",
		    q_col(st, 1) != NULL ? q_col(st, 1) : "");
		break;
	case Q_DONE: break;
	default: goto out;
	}
	q_finalize(st);
	st = NULL;
	if ((r = row_hash(prev, id, doc, at, actor, remote, action, detail,
		 hash)) != 0)
		goto out;
	r = KYSO_ERR_IO;
	if (q_prepare(db,
		"INSERT INTO audit(id, doc_id, at, actor, remote, action, detail,"
		" prev, hash) VALUES(?,?,?,?,?,?,?,?,?)",
		&st) != 0)
		goto out;
	q_bind_int(st, 1, id);
	q_bind_text(st, 2, doc);
	q_bind_int(st, 3, at);
	q_bind_text(st, 4, actor);
	q_bind_text(st, 5, remote);
	q_bind_text(st, 6, action);
	q_bind_text(st, 7, detail);
	q_bind_text(st, 8, prev);
	q_bind_text(st, 9, hash);
	if (q_step(st) != Q_DONE)
		goto out;
	if (own && store_commit(db) != 0)
		goto out;
	own = 0;
	r = 0;
out:
	q_finalize(st);
	if (own)
		store_rollback(db);
	return r;
}

/* Recomputes the chain from the first row: a changed field, a removed
 * or a reordered row breaks it at that row. */
int
audit_check(struct store *db, int64_t *bad_id)
{
	struct q *st = NULL;
	char prev[65] = "", hash[65];
	const char *p, *h;
	int64_t id;
	int r = KYSO_ERR_IO, s;

	if (q_prepare(db,
		"SELECT id, doc_id, at, actor, remote, action, detail, prev,"
		" hash FROM audit ORDER BY id",
		&st) != 0)
		goto out;
	while ((s = q_step(st)) == Q_ROW) {
		id = q_col_int(st, 0);
		if ((r = row_hash(prev, id, q_col(st, 1), q_col_int(st, 2),
			 col(st, 3), col(st, 4), col(st, 5), col(st, 6),
			 hash)) != 0)
			goto out;
		p = col(st, 7);
		h = col(st, 8);
		if (strcmp(p, prev) != 0 || strcmp(h, hash) != 0) {
			*bad_id = id;
			r = KYSO_ERR_CORRUPT;
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
	}
	r = s == Q_DONE ? 0 : KYSO_ERR_IO;
out:
	q_finalize(st);
	return r;
}
