/* The database layer on SQLite: schema, parameters (SQL metacharacters
 * stay data), transactions, the append-only audit table, a pool's
 * transactions on its writer connection. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "unit.h"

struct give_back {
	struct db_pool *pool;
	struct db *d;
};

/* Gives a connection back a moment after the main thread began to wait
 * for one. */
static void *
give_back_later(void *arg)
{
	struct give_back *g = arg;

	usleep(200 * 1000);
	db_pool_put(g->pool, g->d);
	return NULL;
}

int
main(void)
{
	char path[] = "/tmp/kyso-ra-db-XXXXXX";
	char file[64], aux[128];
	struct db *db = NULL;
	struct db_pool *pool = NULL;
	struct db_rows *rows = NULL;
	const char *evil = "x'); DROP TABLE registrations; --";
	const char *p[4];
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	unlink(path);
	snprintf(file, sizeof(file), "%s.db", path);
	CHECK_ERR(db_open(file, &db), 0);
	if (db == NULL)
		return unit_done();
	CHECK_ERR(db_migrate(db), 0);
	CHECK_ERR(db_migrate(db), 0); /* idempotent */
	CHECK(!db_is_pg(db));

	p[0] = evil;
	p[1] = "h1";
	CHECK_ERR(db_exec(db,
		      "INSERT INTO operators (name, token_hash,"
		      " created_at) VALUES (?, ?, 1)",
		      2, p, NULL),
	    0);
	CHECK_ERR(db_exec(db,
		      "INSERT INTO operators (name, token_hash,"
		      " created_at) VALUES (?, ?, 1)",
		      2, p, NULL),
	    KYSO_ERR_EXISTS);
	CHECK_ERR(db_exec(db, "SELECT name FROM operators WHERE token_hash = ?",
		      1, p + 1, &rows),
	    0);
	CHECK(db_rows_count(rows) == 1);
	CHECK(strcmp(db_rows_get(rows, 0, 0), evil) == 0);
	CHECK(db_rows_get(rows, 0, 1) == NULL);
	CHECK(db_rows_get(rows, 1, 0) == NULL);
	db_rows_free(rows);
	rows = NULL;

	/* A rolled-back transaction leaves nothing. */
	p[0] = "rolled";
	p[1] = "h2";
	CHECK_ERR(db_begin(db), 0);
	CHECK_ERR(db_exec(db,
		      "INSERT INTO operators (name, token_hash,"
		      " created_at) VALUES (?, ?, 1)",
		      2, p, NULL),
	    0);
	db_rollback(db);
	CHECK_ERR(db_exec(db, "SELECT count(*) FROM operators", 0, NULL, &rows),
	    0);
	CHECK(strcmp(db_rows_get(rows, 0, 0), "1") == 0);
	db_rows_free(rows);
	rows = NULL;

	/* The audit log takes rows and refuses changes. */
	CHECK_ERR(db_exec(db,
		      "INSERT INTO audit (ts, actor, action) VALUES"
		      " (1, 'a', 'b')",
		      0, NULL, NULL),
	    0);
	CHECK(db_exec(db, "UPDATE audit SET actor = 'z'", 0, NULL, NULL) != 0);
	CHECK(db_exec(db, "DELETE FROM audit", 0, NULL, NULL) != 0);
	CHECK_ERR(db_exec(db, "SELECT actor FROM audit", 0, NULL, &rows), 0);
	CHECK(db_rows_count(rows) == 1 &&
	    strcmp(db_rows_get(rows, 0, 0), "a") == 0);
	db_rows_free(rows);
	rows = NULL;
	db_free(db);
	db = NULL;

	/* In a pool every transaction runs on the one writer connection: a
	 * BEGIN inside an open transaction is refused and leaves it open,
	 * routed and locked, so that the rollback ends it and the next BEGIN
	 * (of any thread) finds the writer free. */
	CHECK_ERR(db_pool_new(file, 2, &pool), 0);
	if (pool != NULL && (db = db_pool_get(pool)) != NULL) {
		p[0] = "nested";
		p[1] = "h3";
		CHECK_ERR(db_begin(db), 0);
		CHECK(db_begin(db) != 0);
		CHECK_ERR(db_exec(db,
			      "INSERT INTO operators (name, token_hash,"
			      " created_at) VALUES (?, ?, 1)",
			      2, p, NULL),
		    0);
		db_rollback(db);
		CHECK_ERR(db_begin(db), 0);
		CHECK_ERR(db_exec(db, "SELECT count(*) FROM operators", 0, NULL,
			      &rows),
		    0);
		CHECK(db_rows_count(rows) == 1 &&
		    strcmp(db_rows_get(rows, 0, 0), "1") == 0);
		db_rows_free(rows);
		CHECK_ERR(db_commit(db), 0);
	}
	CHECK(db != NULL);

	/* Connections are lent per request: two at once are two, the last
	 * one given back is lent next, a transaction left open is rolled
	 * back when given back (its writer lock let go), and past max_idle
	 * (2) the rest are closed (ASan sees a leak otherwise). */
	if (pool != NULL && db != NULL) {
		struct db *d2 = db_pool_get(pool), *d3 = db_pool_get(pool);

		CHECK(d2 != NULL && d3 != NULL && d2 != db && d3 != db &&
		    d2 != d3);
		p[0] = "left";
		p[1] = "h4";
		CHECK_ERR(db_begin(d2), 0);
		CHECK_ERR(db_exec(d2,
			      "INSERT INTO operators (name, token_hash,"
			      " created_at) VALUES (?, ?, 1)",
			      2, p, NULL),
		    0);
		db_pool_put(pool, d3);
		db_pool_put(pool, d2);
		db_pool_put(pool, db);
		db = db_pool_get(pool);
		CHECK(db == d2);
		if (db != NULL) {
			CHECK_ERR(db_begin(db), 0);
			CHECK_ERR(db_exec(db, "SELECT count(*) FROM operators",
				      0, NULL, &rows),
			    0);
			CHECK(db_rows_count(rows) == 1 &&
			    strcmp(db_rows_get(rows, 0, 0), "1") == 0);
			db_rows_free(rows);
			CHECK_ERR(db_commit(db), 0);
		}
	}
	/* At most DB_POOL_MAX_OPEN are open for the API: with them all lent,
	 * the next request waits and gets the one given back. The PKI
	 * listener's take DB_POOL_RESERVE more, and then wait too. */
	if (pool != NULL && db != NULL) {
		struct db *held[DB_POOL_MAX_OPEN + DB_POOL_RESERVE];
		struct give_back g = { pool, NULL };
		pthread_t t;
		size_t i, n = 1;

		held[0] = db;
		db = NULL;
		while (n < DB_POOL_MAX_OPEN &&
		    (held[n] = db_pool_get(pool)) != NULL)
			n++;
		CHECK(n == DB_POOL_MAX_OPEN);
		g.d = held[1];
		CHECK(pthread_create(&t, NULL, give_back_later, &g) == 0);
		held[1] = db_pool_get(pool);
		pthread_join(t, NULL);
		CHECK(held[1] != NULL && held[1] == g.d);
		while (n < DB_POOL_MAX_OPEN + DB_POOL_RESERVE &&
		    (held[n] = db_pool_get_reserved(pool)) != NULL)
			n++;
		CHECK(n == DB_POOL_MAX_OPEN + DB_POOL_RESERVE);
		g.d = held[2];
		CHECK(pthread_create(&t, NULL, give_back_later, &g) == 0);
		held[2] = db_pool_get_reserved(pool);
		pthread_join(t, NULL);
		CHECK(held[2] != NULL && held[2] == g.d);
		for (i = 0; i < n; i++)
			db_pool_put(pool, held[i]);
	}
	db_pool_put(pool, db);
	db_pool_free(pool);
	unlink(file);
	snprintf(aux, sizeof(aux), "%s-wal", file);
	unlink(aux);
	snprintf(aux, sizeof(aux), "%s-shm", file);
	unlink(aux);
	return unit_done();
}
