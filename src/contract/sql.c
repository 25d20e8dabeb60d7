/* The statement shim over kyso-ra's db layer: sqlite3's shape for the
 * handlers, one SQL text for SQLite and PostgreSQL. */
#include "sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "ra/db.h"

#define Q_PARAMS 32

struct store {
	struct db *d;
	int tx;
};

struct q {
	struct store *s;
	char *sql;
	char *v[Q_PARAMS + 1]; /* by SQLite's 1-based index */
	int bad;	       /* a bind that did not fit */
	struct db_rows *rows;
	size_t next; /* rows handed out */
	int ran;
};

/* Opens the engine where names; its schema is the caller's. */
int
store_connect(const char *where, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = db_open(where, &s->d)) != 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

/* Closes the connection; a transaction left open is rolled back. */
void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->tx)
		db_rollback(s->d);
	db_free(s->d);
	free(s);
}

/* The few places the dialects differ ask this. */
int
store_is_pg(const struct store *s)
{
	return db_is_pg(s->d);
}

/* Schema statements and table locks: no parameters, no rows. */
int
store_exec(struct store *s, const char *sql)
{
	return db_exec(s->d, sql, 0, NULL, NULL);
}

/* BEGIN IMMEDIATE on SQLite (the write lock now), BEGIN on PostgreSQL. */
int
store_begin(struct store *s)
{
	int r = db_begin(s->d);

	if (r == 0)
		s->tx = 1;
	return r;
}

/* COMMIT; a failed one is rolled back by the db layer. */
int
store_commit(struct store *s)
{
	s->tx = 0;
	return db_commit(s->d);
}

/* ROLLBACK, harmless outside a transaction. */
void
store_rollback(struct store *s)
{
	s->tx = 0;
	db_rollback(s->d);
}

/* audit_append takes its own transaction only outside the caller's. */
int
store_in_tx(const struct store *s)
{
	return s->tx;
}

/* Keeps the SQL; nothing runs before the first q_step. */
int
q_prepare(struct store *s, const char *sql, struct q **out)
{
	struct q *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return KYSO_ERR_NOMEM;
	if ((q->sql = strdup(sql)) == NULL) {
		free(q);
		return KYSO_ERR_NOMEM;
	}
	q->s = s;
	*out = q;
	return 0;
}

/* Parameter i (1-based) as text; NULL stays SQL NULL. */
void
q_bind_text(struct q *q, int i, const char *v)
{
	if (i < 1 || i > Q_PARAMS) {
		q->bad = 1;
		return;
	}
	free(q->v[i]);
	q->v[i] = NULL;
	if (v != NULL && (q->v[i] = strdup(v)) == NULL)
		q->bad = 1;
}

/* Parameter i as the text of an integer (both engines cast it). */
void
q_bind_int(struct q *q, int i, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	q_bind_text(q, i, s);
}

/* "?N" and "?" as SQLite numbers them, written as plain "?" in order
 * with each one's value; quoted text is copied as it is. */
static int
expand(const struct q *q, struct buf *b, const char **pv, size_t *n)
{
	const char *p = q->sql;
	long idx, last = 0;
	char *end;
	int quoted = 0;

	*n = 0;
	for (; *p; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (*p != '?' || quoted) {
			if (buf_put_u8(b, (uint8_t)*p) != 0)
				return KYSO_ERR_NOMEM;
			continue;
		}
		idx = strtol(p + 1, &end, 10);
		if (end == p + 1)
			idx = last + 1;
		else
			p = end - 1;
		if (idx < 1 || idx > Q_PARAMS || *n >= Q_PARAMS)
			return KYSO_ERR_INVALID;
		if (idx > last)
			last = idx;
		pv[(*n)++] = q->v[idx];
		if (buf_put_u8(b, '?') != 0)
			return KYSO_ERR_NOMEM;
	}
	return 0;
}

/* Runs the statement once, keeping its rows. */
static int
run(struct q *q)
{
	struct buf *b = buf_new(64 * 1024);
	const char *pv[Q_PARAMS];
	char *sql = NULL;
	size_t n;
	int r = KYSO_ERR_NOMEM;

	if (b == NULL)
		goto out;
	if ((r = expand(q, b, pv, &n)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((sql = buf_to_cstr(b)) == NULL)
		goto out;
	r = db_exec(q->s->d, sql, n, pv, &q->rows);
out:
	free(sql);
	buf_free(b);
	return r;
}

/* Q_ROW while rows remain, then Q_DONE; Q_CONSTRAINT for a unique key
 * already taken. */
int
q_step(struct q *q)
{
	int r;

	if (!q->ran) {
		q->ran = 1;
		if (q->bad)
			return Q_ERROR;
		if ((r = run(q)) != 0)
			return r == KYSO_ERR_EXISTS ? Q_CONSTRAINT : Q_ERROR;
		q->next = 0;
	}
	if (q->next >= db_rows_count(q->rows))
		return Q_DONE;
	q->next++;
	return Q_ROW;
}

/* The current row: the one the last Q_ROW gave. */
const char *
q_col(const struct q *q, int i)
{
	if (q->next == 0 || i < 0)
		return NULL;
	return db_rows_get(q->rows, q->next - 1, (size_t)i);
}

/* An integer column; 0 for NULL as sqlite3_column_int64. */
int64_t
q_col_int(const struct q *q, int i)
{
	const char *t = q_col(q, i);

	return t != NULL ? strtoll(t, NULL, 10) : 0;
}

/* An int column (page numbers, positions). */
int
q_col_i32(const struct q *q, int i)
{
	return (int)q_col_int(q, i);
}

/* SQL NULL in the current row. */
int
q_col_null(const struct q *q, int i)
{
	return q_col(q, i) == NULL;
}

/* The statement's row count (RETURNING makes an UPDATE's changes). */
size_t
q_rows(const struct q *q)
{
	return db_rows_count(q->rows);
}

/* Frees the statement and its copies of the parameters. */
void
q_finalize(struct q *q)
{
	int i;

	if (q == NULL)
		return;
	for (i = 0; i <= Q_PARAMS; i++)
		free(q->v[i]);
	db_rows_free(q->rows);
	free(q->sql);
	free(q);
}
