/* The RA's database: SQLite (a file, WAL) or PostgreSQL (libpq), one schema,
 * one small API. Every value travels as text through prepared statements
 * ("?" placeholders; rewritten to $n for PostgreSQL). */
#ifndef KYSO_RA_DB_H
#define KYSO_RA_DB_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct db;
struct db_rows;

/* where: "postgresql://..." or "postgres://..." for PostgreSQL, else the
 * path of an SQLite file. */
int db_open(const char *where, struct db **out) KYSO_WUR;
void db_free(struct db *d);
int db_is_pg(const struct db *d);
/* Creates the tables when missing (idempotent). */
int db_migrate(struct db *d) KYSO_WUR;

int db_begin(struct db *d) KYSO_WUR;
int db_commit(struct db *d) KYSO_WUR;
void db_rollback(struct db *d);

/* Runs sql with n text parameters (a NULL one is SQL NULL). rows may be
 * NULL when the caller wants no result. */
int db_exec(struct db *d, const char *sql, size_t n, const char *const *params,
    struct db_rows **rows) KYSO_WUR;
size_t db_rows_count(const struct db_rows *r);
/* NULL for SQL NULL or out of range. */
const char *db_rows_get(const struct db_rows *r, size_t row, size_t col);
void db_rows_free(struct db_rows *r);

/* Connections lent out one request at a time (the HTTP server runs a
 * thread per client connection): a request takes one with db_pool_get
 * and gives it back with db_pool_put. At most max_idle stay open between
 * requests, and at most DB_POOL_MAX_OPEN at all: a request that finds
 * them all lent waits for one, up to DB_POOL_WAIT_S seconds. */
#define DB_POOL_MAX_OPEN 64
#define DB_POOL_WAIT_S	 10
/* Past DB_POOL_MAX_OPEN, kept for db_pool_get_reserved. */
#define DB_POOL_RESERVE	 8
struct db_pool;

int db_pool_new(const char *where, size_t max_idle, struct db_pool **out) KYSO_WUR;
/* An idle connection or a new one; NULL when none can be opened, or all
 * stayed lent for DB_POOL_WAIT_S. It is the caller's alone until
 * db_pool_put. */
struct db *db_pool_get(struct db_pool *p);
/* The same for the PKI listener's requests (OCSP, CRLs, time-stamps),
 * which may also take the DB_POOL_RESERVE connections past
 * DB_POOL_MAX_OPEN: they answer while the API's have every other one
 * lent. */
struct db *db_pool_get_reserved(struct db_pool *p);
/* Gives d back (NULL: nothing), its transaction ended; one left open is
 * rolled back. */
void db_pool_put(struct db_pool *p, struct db *d);
/* After every connection was given back. */
void db_pool_free(struct db_pool *p);

/* The text of a signed 64-bit integer, for parameters. */
struct db_num {
	char s[24];
};
const char *db_num(struct db_num *n, int64_t v);

#endif
