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
#include "common/parse.h"

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA foreign_keys=ON;"
    "CREATE TABLE IF NOT EXISTS orgs(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS accounts(id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES orgs(id),"
    " email TEXT NOT NULL UNIQUE COLLATE NOCASE, pwhash TEXT NOT NULL,"
    " admin INTEGER NOT NULL DEFAULT 0,"
    " sign_method TEXT NOT NULL DEFAULT 'none',"
    " identity TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(token_hash TEXT PRIMARY KEY,"
    " account_id INTEGER NOT NULL REFERENCES accounts(id),"
    " csrf TEXT NOT NULL, expires_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS login_fails(key TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS login_fails_key ON login_fails(key, at);"
    "CREATE TABLE IF NOT EXISTS documents(id TEXT PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES orgs(id),"
    " owner_id INTEGER NOT NULL REFERENCES accounts(id),"
    " title TEXT NOT NULL, ordered INTEGER NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'waiting',"
    " sha256 TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS versions(doc_id TEXT NOT NULL"
    " REFERENCES documents(id), n INTEGER NOT NULL, sha256 TEXT NOT NULL,"
    " size INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " PRIMARY KEY(doc_id, n));"
    "CREATE TABLE IF NOT EXISTS signers(doc_id TEXT NOT NULL"
    " REFERENCES documents(id), pos INTEGER NOT NULL, email TEXT NOT NULL"
    " COLLATE NOCASE, state TEXT NOT NULL DEFAULT 'waiting',"
    " page INTEGER NOT NULL DEFAULT 1, x INTEGER NOT NULL DEFAULT 50,"
    " y INTEGER NOT NULL DEFAULT 50, w INTEGER NOT NULL DEFAULT 200,"
    " h INTEGER NOT NULL DEFAULT 60, reason TEXT, at INTEGER,"
    " PRIMARY KEY(doc_id, pos));"
    "CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY,"
    " doc_id TEXT, at INTEGER NOT NULL, actor TEXT NOT NULL,"
    " remote TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL,"
    " prev TEXT NOT NULL, hash TEXT NOT NULL);"
    /* Append-only: the server never changes or removes a row. */
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;";

/* Opens (create: and makes) the database in dir and its schema. */
int
store_open(const char *dir, int create, sqlite3 **out)
{
	char *path = path_join(dir, "contract.db");
	sqlite3 *db = NULL;
	int r = KYSO_ERR_NOMEM;

	if (path == NULL)
		goto out;
	r = KYSO_ERR_IO;
	if (sqlite3_open_v2(path, &db,
		SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
		    SQLITE_OPEN_NOMUTEX,
		NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	*out = db;
	db = NULL;
	r = 0;
out:
	sqlite3_close(db);
	free(path);
	return r;
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
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? (const char *)t : "";
}

/* The new row's hash covers the previous row's: a changed, removed or
 * inserted row breaks every hash after it. */
int
audit_append(sqlite3 *db, const char *doc, const char *actor,
    const char *remote, const char *action, const char *detail)
{
	sqlite3_stmt *st = NULL;
	char prev[65] = "", hash[65];
	int64_t id = 1, at = store_now();
	int r = KYSO_ERR_IO;

	if (sqlite3_prepare_v2(db,
		"SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", -1, &st,
		NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", col(st, 1));
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((r = row_hash(prev, id, doc, at, actor, remote, action, detail,
		 hash)) != 0)
		goto out;
	r = KYSO_ERR_IO;
	if (sqlite3_prepare_v2(db,
		"INSERT INTO audit(id, doc_id, at, actor, remote, action, detail,"
		" prev, hash) VALUES(?,?,?,?,?,?,?,?,?)",
		-1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, id);
	if (doc != NULL)
		sqlite3_bind_text(st, 2, doc, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, at);
	sqlite3_bind_text(st, 4, actor, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, remote, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, prev, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, hash, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	r = 0;
out:
	sqlite3_finalize(st);
	return r;
}

/* Recomputes the chain from the first row: a changed field, a removed
 * or a reordered row breaks it at that row. */
int
audit_check(sqlite3 *db, int64_t *bad_id)
{
	sqlite3_stmt *st = NULL;
	char prev[65] = "", hash[65];
	int64_t id;
	int r = KYSO_ERR_IO, s;

	if (sqlite3_prepare_v2(db,
		"SELECT id, doc_id, at, actor, remote, action, detail, prev,"
		" hash FROM audit ORDER BY id",
		-1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if ((r = row_hash(prev, id,
			 sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL
								   : col(st, 1),
			 sqlite3_column_int64(st, 2), col(st, 3), col(st, 4),
			 col(st, 5), col(st, 6), hash)) != 0)
			goto out;
		if (strcmp(col(st, 7), prev) != 0 ||
		    strcmp(col(st, 8), hash) != 0) {
			*bad_id = id;
			r = KYSO_ERR_CORRUPT;
			goto out;
		}
		memcpy(prev, hash, sizeof(prev));
	}
	r = s == SQLITE_DONE ? 0 : KYSO_ERR_IO;
out:
	sqlite3_finalize(st);
	return r;
}
