/* walvfs.c, the VFS that gathers a commit's WAL frames into one write:
 * what a process killed after its commits leaves in the WAL is whole
 * (reopened with SQLite's own VFS: integrity and every row), transactions
 * of every size (one larger than the buffer, one whose pages spill from a
 * small cache and are written again in place; with synchronous=NORMAL,
 * and FULL with padding frames and split writes), a write that fails makes
 * the COMMIT fail and leaves the previous state, and a small commit is one
 * pwrite, and frames a cache spill left gathered do not outlive a
 * ROLLBACK (another writer, of this process or another, commits after it
 * and its rows stay whole). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "unit.h"
#include "walvfs.h"

/* What a database holds, as the checks compare it. */
struct state {
	long long rows, gens, bytes, bad;
};

/* Set around a statement that is to fail. */
static int quiet;

static int
run(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK && !quiet)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	return rc;
}

/* Set in a child: its connections run with synchronous=FULL and
 * without powersafe overwrite. */
static int sync_full;

static sqlite3 *
open_db(const char *file, const char *vfs)
{
	char uri[256];
	sqlite3 *db = NULL;

	snprintf(uri, sizeof(uri), "file:%s%s", file, sync_full ? "?psow=0" : "");
	if (sqlite3_open_v2(uri, &db,
		SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
		vfs) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	if (run(db,
		sync_full ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			    "PRAGMA wal_autocheckpoint=0;"
			  : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			    "PRAGMA wal_autocheckpoint=0;") != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* Each row's v is its id and generation written out to its length, so a
 * row whose page came back stale or torn is counted in bad. */
static int
read_state(sqlite3 *db, struct state *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db,
	    "SELECT count(*), total(gen), total(length(v)),"
	    " total(v <> printf('%0*d', length(v), id * 100000 + gen))"
	    " FROM t",
	    -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->rows = sqlite3_column_int64(st, 0);
		s->gens = sqlite3_column_int64(st, 1);
		s->bytes = sqlite3_column_int64(st, 2);
		s->bad = sqlite3_column_int64(st, 3);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

static int
integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = 0;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	return ok;
}

/* Writes rows [first, first + n) at generation gen, len bytes each, in
 * one transaction. */
static int
set_rows(sqlite3 *db, long long first, long long n, long long len, long long gen)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "BEGIN; INSERT OR REPLACE INTO t (id, gen, v)"
	    " WITH RECURSIVE s(i) AS (SELECT %lld UNION ALL SELECT i + 1 FROM s"
	    " WHERE i < %lld)"
	    " SELECT i, %lld, printf('%%0*d', %lld, i * 100000 + %lld) FROM s;"
	    " COMMIT;",
	    first, first + n - 1, gen, len, gen);
	return run(db, sql);
}

/* The child's end: no close, no checkpoint, as a crash. */
static void
die_now(int fd, const struct state *s)
{
	if (write(fd, s, sizeof(*s)) != (ssize_t)sizeof(*s))
		_exit(3);
	kill(getpid(), SIGKILL);
	_exit(4);
}

/* Commits of many sizes through the VFS, WAL restarts among them, then
 * one larger than the buffer, then one that spills from a 5-page cache
 * and rewrites spilled pages: killed after it. */
static void
child_workload(const char *file, int fd)
{
	sqlite3 *db = open_db(file, WALVFS_NAME), *db2;
	struct state s = { 0 };
	long long i;

	if (db == NULL ||
	    run(db,
		"CREATE TABLE t (id INTEGER PRIMARY KEY, gen INTEGER,"
		" v TEXT)") != SQLITE_OK)
		_exit(2);
	for (i = 1; i <= 240; i++) {
		if (set_rows(db, (i * 37) % 500, 1 + i % 17,
			10 + (i * 131) % 3000, i) != SQLITE_OK)
			_exit(2);
		/* the next commit starts the WAL over (its header at 0) */
		if (i % 60 == 0 &&
		    run(db, "PRAGMA wal_checkpoint(RESTART)") != SQLITE_OK)
			_exit(2);
	}
	/* about 100 pages: more than WALVFS_BUF_CAP */
	if (set_rows(db, 1000, 120, 3000, 1) != SQLITE_OK)
		_exit(2);
	if (run(db, "PRAGMA cache_size=5") != SQLITE_OK)
		_exit(2);
	if (run(db,
		"BEGIN;"
		" INSERT OR REPLACE INTO t (id, gen, v)"
		" WITH RECURSIVE s(i) AS (SELECT 2000 UNION ALL SELECT i + 1"
		" FROM s WHERE i < 2400)"
		" SELECT i, 7, printf('%0*d', 900, i * 100000 + 7) FROM s;"
		" UPDATE t SET gen = 8, v = printf('%0*d', length(v),"
		" id * 100000 + 8) WHERE id BETWEEN 2000 AND 2400 AND id % 3 = 0;"
		" COMMIT;") != SQLITE_OK)
		_exit(2);
	/* read on a connection of its own: a read on this one would write
	 * out anything left gathered */
	db2 = open_db(file, WALVFS_NAME);
	if (db2 == NULL || read_state(db2, &s) != SQLITE_OK)
		_exit(2);
	die_now(fd, &s);
}

/* A base state, then a COMMIT past RLIMIT_FSIZE (SIGXFSZ ignored, so the
 * write fails with EFBIG): killed after it. */
static void
child_full(const char *file, const char *wal, int fd)
{
	sqlite3 *db = open_db(file, WALVFS_NAME);
	struct state s[2] = { { 0 } };
	struct rlimit rl;
	struct stat st;
	int rc;

	if (db == NULL ||
	    run(db,
		"CREATE TABLE t (id INTEGER PRIMARY KEY, gen INTEGER,"
		" v TEXT)") != SQLITE_OK ||
	    set_rows(db, 1, 50, 500, 1) != SQLITE_OK ||
	    set_rows(db, 20, 10, 700, 2) != SQLITE_OK ||
	    read_state(db, &s[0]) != SQLITE_OK || stat(wal, &st) != 0)
		_exit(2);
	signal(SIGXFSZ, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = (rlim_t)st.st_size + 8192;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		_exit(2);
	/* about 10 pages (under the buffer): the commit's one write fails */
	quiet = 1;
	rc = set_rows(db, 100, 40, 1000, 3);
	quiet = 0;
	if (rc == SQLITE_OK || sqlite3_extended_errcode(db) != SQLITE_IOERR_WRITE)
		_exit(5);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (read_state(db, &s[1]) != SQLITE_OK)
		_exit(2);
	if (write(fd, &s[0], sizeof(s[0])) != (ssize_t)sizeof(s[0]))
		_exit(3);
	die_now(fd, &s[1]);
}

/* Runs f in a child that kills itself; the states it wrote into *s. */
static int
in_child(void (*f)(const char *, const char *, int), const char *file,
    const char *wal, struct state *s, size_t ns)
{
	int p[2], status;
	pid_t pid;
	size_t i;

	if (pipe(p) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		close(p[0]);
		f(file, wal, p[1]);
		_exit(6);
	}
	close(p[1]);
	for (i = 0; i < ns; i++)
		if (read(p[0], &s[i], sizeof(s[i])) != (ssize_t)sizeof(s[i]))
			break;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "child ended with status %d\n", status);
		return -1;
	}
	return i == ns ? 0 : -1;
}

static void
workload_entry(const char *file, const char *wal, int fd)
{
	(void)wal;
	child_workload(file, fd);
}

/* synchronous=FULL without powersafe overwrite: each commit's last frame
 * repeated up to a sector boundary, the write that crosses it split by an
 * xSync (wal.c, walWriteToLog). */
static void
workload_full_sync_entry(const char *file, const char *wal, int fd)
{
	(void)wal;
	sync_full = 1;
	child_workload(file, fd);
}

static void
full_entry(const char *file, const char *wal, int fd)
{
	child_full(file, wal, fd);
}

/* Opened with SQLite's own VFS, which replays the WAL the child left. */
static void
check_reopened(const char *file, const struct state *want)
{
	sqlite3 *db = open_db(file, "unix");
	struct state got = { 0 };

	CHECK(db != NULL);
	if (db == NULL)
		return;
	CHECK(integrity_ok(db));
	CHECK(read_state(db, &got) == SQLITE_OK);
	CHECK(got.rows == want->rows);
	CHECK(got.gens == want->gens);
	CHECK(got.bytes == want->bytes);
	CHECK(got.bad == 0);
	sqlite3_close(db);
}

/* pwrite calls counted through the default VFS's system-call hooks. */
static sqlite3_syscall_ptr real_pwrite, real_pwrite64;
static long npwrite;

static ssize_t
count_pwrite(int fd, const void *p, size_t n, off_t off)
{
	npwrite++;
	return ((ssize_t(*)(int, const void *, size_t, off_t))real_pwrite)(fd,
	    p, n, off);
}

static ssize_t
count_pwrite64(int fd, const void *p, size_t n, off_t off)
{
	npwrite++;
	return ((ssize_t(*)(int, const void *, size_t, off_t))real_pwrite64)(fd,
	    p, n, off);
}

/* pwrite calls of 50 one-row commits (after the first, which writes the
 * WAL's header), with no checkpoint: every one is a WAL write. */
static long
pwrites_per_50(const char *file, const char *vfs)
{
	sqlite3_vfs *unix_vfs = sqlite3_vfs_find("unix");
	sqlite3 *db = open_db(file, vfs);
	long n = -1, i;

	if (db == NULL ||
	    run(db,
		"CREATE TABLE t (id INTEGER PRIMARY KEY, gen INTEGER,"
		" v TEXT)") != SQLITE_OK ||
	    set_rows(db, 1, 1, 100, 1) != SQLITE_OK)
		goto out;
	real_pwrite = unix_vfs->xGetSystemCall(unix_vfs, "pwrite");
	real_pwrite64 = unix_vfs->xGetSystemCall(unix_vfs, "pwrite64");
	if (real_pwrite != NULL)
		unix_vfs->xSetSystemCall(unix_vfs, "pwrite",
		    (sqlite3_syscall_ptr)count_pwrite);
	if (real_pwrite64 != NULL)
		unix_vfs->xSetSystemCall(unix_vfs, "pwrite64",
		    (sqlite3_syscall_ptr)count_pwrite64);
	npwrite = 0;
	for (i = 0; i < 50; i++)
		if (set_rows(db, 2 + i, 1, 100, 1) != SQLITE_OK)
			break;
	unix_vfs->xSetSystemCall(unix_vfs, NULL, NULL);
	if (i == 50)
		n = npwrite;
out:
	sqlite3_close(db);
	return n;
}

/* The writes of a commit frame under synchronous=FULL without powersafe
 * overwrite when its page crosses a sector boundary 24 bytes before its
 * end (wal.c, walWriteToLog): the header, the page up to the boundary, an
 * xSync, the page's last 24 bytes. Those are no frame header (not at a
 * frame's start): when the last write returns, they are in the file. */
static void
split_tail(const char *file, const char *wal)
{
	sqlite3_vfs *vfs = sqlite3_vfs_find(WALVFS_NAME);
	sqlite3_file *f = NULL;
	uint8_t whdr[32] = { 0x37, 0x7f, 0x06, 0x82, 0, 0x2d, 0xe2, 0x18, 0, 0,
		0x10, 0 };			       /* page size 4096 */
	uint8_t fhdr[24] = { 0, 0, 0, 1, 0, 0, 0, 1 }; /* page 1, a commit */
	uint8_t page[4096], back[24];
	int fd = -1, out = 0;
	FILE *db = fopen(file, "w");

	CHECK(vfs != NULL && db != NULL);
	if (db != NULL)
		fclose(db);
	if (vfs == NULL || (f = calloc(1, (size_t)vfs->szOsFile)) == NULL)
		return;
	memset(page, 'p', sizeof(page));
	CHECK(vfs->xOpen(vfs, wal, f,
		  SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL,
		  &out) == SQLITE_OK);
	if (f->pMethods == NULL)
		goto out;
	CHECK(f->pMethods->xWrite(f, whdr, 32, 0) == SQLITE_OK);
	CHECK(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK);
	CHECK(f->pMethods->xWrite(f, fhdr, 24, 32) == SQLITE_OK);
	CHECK(f->pMethods->xWrite(f, page, 4096 - 24, 56) == SQLITE_OK);
	CHECK(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL) == SQLITE_OK);
	CHECK(f->pMethods->xWrite(f, page + 4096 - 24, 24, 4128) == SQLITE_OK);
	fd = open(wal, O_RDONLY);
	CHECK(fd >= 0 && pread(fd, back, sizeof(back), 4128) == sizeof(back) &&
	    memcmp(back, page, sizeof(back)) == 0);
	if (fd >= 0)
		close(fd);
	f->pMethods->xClose(f);
out:
	free(f);
}

/* a's transaction that is rolled back: the rows rewritten in place (the
 * same length: no page added, so page 1 stays clean and SQLite reads
 * nothing back at the ROLLBACK), from a 5-page cache, so that pages spill
 * into the WAL and the last of them stay gathered. */
static int
spill_and_roll_back(sqlite3 *a)
{
	return run(a,
	    "PRAGMA cache_size=5; BEGIN;"
	    " UPDATE t SET gen = 5, v = printf('%0*d', length(v),"
	    " id * 100000 + 5);"
	    " ROLLBACK;");
}

/* a's rows before it: about 10 pages, fewer than WALVFS_BUF_CAP holds */
#define ROLLBACK_ROWS 80

/* Another writer's commit, after a's rollback: 30 rows of 500 bytes. */
static int
other_commit(const char *file, const char *vfs, struct state *s)
{
	sqlite3 *b = open_db(file, vfs);
	int rc = SQLITE_ERROR;

	if (b != NULL && set_rows(b, 5000, 30, 500, 9) == SQLITE_OK)
		rc = read_state(b, s);
	sqlite3_close(b);
	return rc;
}

/* The review's case (issue 15): frames a cache spill wrote and that stayed
 * gathered must not outlive the transaction's ROLLBACK, or a's next call
 * on its WAL writes them over the frames another writer has committed
 * there since. The other writer is a connection of this process through
 * vfs, or (vfs NULL) a process of its own through unix. */
static void
rollback_then_other(const char *file, const char *vfs)
{
	sqlite3 *a, *c;
	struct state want = { 0 }, got = { 0 };
	int go[2] = { -1, -1 }, done[2] = { -1, -1 }, status;
	pid_t pid = -1;
	char byte = 0;

	/* the child forked before this process opens the file: SQLite's
	 * state of an open file must not cross a fork */
	if (vfs == NULL) {
		CHECK(pipe(go) == 0 && pipe(done) == 0);
		if ((pid = fork()) == 0) {
			if (read(go[0], &byte, 1) != 1 ||
			    other_commit(file, "unix", &want) != SQLITE_OK ||
			    write(done[1], &want, sizeof(want)) !=
				(ssize_t)sizeof(want))
				_exit(2);
			_exit(0);
		}
	}
	a = open_db(file, WALVFS_NAME);
	CHECK(a != NULL);
	if (a == NULL)
		goto out;
	CHECK(run(a,
		  "CREATE TABLE t (id INTEGER PRIMARY KEY, gen INTEGER,"
		  " v TEXT)") == SQLITE_OK);
	CHECK(set_rows(a, 1, ROLLBACK_ROWS, 500, 2) == SQLITE_OK);
	/* a's pages come from the database file, not from its WAL (a read of
	 * the WAL would write out what it gathered), and the WAL starts over
	 * at a's transaction: its header and frames are written from offset
	 * 0, where the other writer's go next */
	CHECK(run(a, "PRAGMA wal_checkpoint(TRUNCATE)") == SQLITE_OK);
	CHECK(spill_and_roll_back(a) == SQLITE_OK);
	if (vfs != NULL) {
		CHECK(other_commit(file, vfs, &want) == SQLITE_OK);
	} else {
		CHECK(pid > 0 && write(go[1], &byte, 1) == 1);
		CHECK(read(done[0], &want, sizeof(want)) == (ssize_t)sizeof(want));
		CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(want.rows == ROLLBACK_ROWS + 30 && want.bad == 0);
	/* a reads: the first call on its WAL since the rollback */
	CHECK(read_state(a, &got) == SQLITE_OK);
	CHECK(got.rows == want.rows && got.gens == want.gens &&
	    got.bytes == want.bytes && got.bad == 0);
	/* what the WAL holds, read by SQLite's own VFS */
	c = open_db(file, "unix");
	CHECK(c != NULL && integrity_ok(c));
	memset(&got, 0, sizeof(got));
	CHECK(c != NULL && read_state(c, &got) == SQLITE_OK);
	CHECK(got.rows == want.rows && got.gens == want.gens &&
	    got.bytes == want.bytes && got.bad == 0);
	sqlite3_close(c);
	sqlite3_close(a);
	check_reopened(file, &want);
out:
	if (a == NULL && pid > 0) {
		close(go[1]); /* the child reads no byte: it ends */
		go[1] = -1;
		waitpid(pid, &status, 0);
	}
	if (go[0] >= 0) {
		close(go[0]);
		if (go[1] >= 0)
			close(go[1]);
	}
	if (done[0] >= 0) {
		close(done[0]);
		close(done[1]);
	}
}

static void
paths(const char *dir, const char *name, char *file, char *wal, size_t n)
{
	snprintf(file, n, "%s/%s.db", dir, name);
	snprintf(wal, n, "%s/%s.db-wal", dir, name);
}

int
main(void)
{
	char dir[] = "/tmp/kyso-walvfs-XXXXXX";
	char file[128], wal[128], cmd[160];
	struct state s[2];
	long with, without;

	if (mkdtemp(dir) == NULL)
		return 1;
	CHECK_ERR(walvfs_register(), 0);
	CHECK_ERR(walvfs_register(), 0); /* once */

	paths(dir, "work", file, wal, sizeof(file));
	CHECK(in_child(workload_entry, file, wal, s, 1) == 0);
	CHECK(s[0].bad == 0 && s[0].rows > 900);
	check_reopened(file, &s[0]);

	paths(dir, "work-sync-full", file, wal, sizeof(file));
	CHECK(in_child(workload_full_sync_entry, file, wal, s, 1) == 0);
	CHECK(s[0].bad == 0 && s[0].rows > 900);
	check_reopened(file, &s[0]);

	paths(dir, "full", file, wal, sizeof(file));
	CHECK(in_child(full_entry, file, wal, s, 2) == 0);
	CHECK(s[0].rows == 50 && s[1].rows == s[0].rows &&
	    s[1].gens == s[0].gens && s[1].bytes == s[0].bytes);
	check_reopened(file, &s[0]);

	paths(dir, "rollback-walbuf", file, wal, sizeof(file));
	rollback_then_other(file, WALVFS_NAME);
	paths(dir, "rollback-unix", file, wal, sizeof(file));
	rollback_then_other(file, "unix");
	paths(dir, "rollback-process", file, wal, sizeof(file));
	rollback_then_other(file, NULL);

	paths(dir, "split", file, wal, sizeof(file));
	split_tail(file, wal);

	paths(dir, "count", file, wal, sizeof(file));
	with = pwrites_per_50(file, WALVFS_NAME);
	paths(dir, "count-unix", file, wal, sizeof(file));
	without = pwrites_per_50(file, "unix");
	printf("pwrite calls for 50 one-row commits: %ld through %s, %ld "
	       "through unix\n",
	    with, WALVFS_NAME, without);
	CHECK(with == 50);
	CHECK(without >= 100); /* the hooks count: 2 a frame */

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_done();
}
