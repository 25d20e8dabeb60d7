/* kyso-contract's statements on either engine: SQLite (a file) or
 * PostgreSQL (several instances on one database), through kyso-ra's
 * db layer (src/ra/db.c, one schema and one API for both). The handlers
 * keep SQLite's prepare/bind/step shape; "?N" parameters are expanded
 * here, so one SQL text serves both engines. */
#ifndef KYSO_CONTRACT_SQL_H
#define KYSO_CONTRACT_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct store;
struct q;

/* What q_step answers, as sqlite3_step did. */
enum { Q_ROW = 1, Q_DONE = 2, Q_ERROR = 3, Q_CONSTRAINT = 4 };

/* where: "postgresql://..." or the path of an SQLite file. */
int store_connect(const char *where, struct store **out) KYSO_WUR;
void store_close(struct store *s);
int store_is_pg(const struct store *s);
/* One statement, no parameters, no rows (schema, locks). */
int store_exec(struct store *s, const char *sql) KYSO_WUR;
/* A write transaction (SQLite: BEGIN IMMEDIATE); not nested. */
int store_begin(struct store *s) KYSO_WUR;
int store_commit(struct store *s) KYSO_WUR;
void store_rollback(struct store *s);
int store_in_tx(const struct store *s);

int q_prepare(struct store *s, const char *sql, struct q **out) KYSO_WUR;
void q_bind_text(struct q *q, int i, const char *v);
void q_bind_int(struct q *q, int i, int64_t v);
/* The first call runs the statement; each call then gives one row. */
int q_step(struct q *q);
/* The current row's column i; NULL for SQL NULL. */
const char *q_col(const struct q *q, int i);
int64_t q_col_int(const struct q *q, int i);
int q_col_i32(const struct q *q, int i);
int q_col_null(const struct q *q, int i);
/* Rows the statement gave: an UPDATE's changes when it says RETURNING. */
size_t q_rows(const struct q *q);
void q_finalize(struct q *q);

#endif
