#include "walvfs.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

/* Issue 15: SQLite writes each WAL frame with two pwrite calls, its
 * 24-byte header and then its page (wal.c, walWriteOneFrame), so a
 * P-256 issuance (about 9 frames) made about 21 pwrite calls, each one a
 * trip through the file system's buffered write path (8% of kyso-ra's
 * CPU). This VFS hands the default one ("unix") every file and every
 * call, except the writes to a WAL file: those are gathered while they
 * are contiguous and written with one xWrite of the default VFS, so a
 * failure is reported with its codes (SQLITE_IOERR_WRITE, SQLITE_FULL).
 *
 * When the bytes must be in the file. SQLite publishes a commit (writes
 * the wal-index header that readers and the checkpointer follow) right
 * after the write of the commit frame's page returns (wal.c, walFrames),
 * and makes no call on the WAL file in between. So a write is gathered
 * only while SQLite is bound to make another call on the file before it
 * publishes anything:
 * - a frame header (24 bytes at 32 + k * (24 + page size), the page size
 *   from the WAL header) whose "database size after commit" field (bytes
 *   4..7) is 0: its page follows, and the commit frame after;
 * - a frame header that marks a commit: its page follows at once, and the
 *   write of that page (and of anything else until a non-commit header:
 *   the commit frame repeated up to a sector boundary under
 *   synchronous=FULL without powersafe overwrite, a page split in two
 *   writes by an xSync at that boundary, its second part possibly 24
 *   bytes long) is written out before xWrite returns;
 * - the WAL header (32 bytes at 0, when the WAL starts over): frames, or
 *   the xSync that makes it durable first, follow;
 * - a page rewritten in place (a page written out by a cache spill earlier
 *   in the transaction and changed again): the transaction's other frames
 *   follow.
 * The exception: at a commit after such an in-place rewrite, SQLite reads
 * each frame from the first one rewritten and writes its header again with
 * new checksums (walRewriteChecksums), the commit frame's last, and
 * publishes. A header written at the offset the call before read from is
 * such a rewrite and is written out at once.
 * Frames a cache spill wrote may stay gathered after the spill returns:
 * they are not published, and any read, sync, truncation, size or file
 * control on the file writes them out first (the connection reading back a
 * page it spilled). Other connections and processes read only published
 * frames, from files of their own.
 *
 * They must not outlive their transaction. If it rolls back, SQLite only
 * forgets the frames (wal.c, sqlite3WalUndo: no call on the WAL file) and
 * releases the WAL's write lock; another connection or process may then
 * commit frames at the same offsets (or start the WAL over), and a later
 * call on this file would write the stale bytes over them. So the database
 * file is wrapped too, every call passed on, and when SQLite releases the
 * write lock (xShmLock, WAL_WRITE_LOCK) whatever the WAL files of that
 * database in this process have gathered is dropped, not written, before
 * the lock goes. Only the holder of the write lock writes to a WAL, so
 * that is the only handle that can hold bytes then; a commit has written
 * its bytes out at its commit frame, so what is dropped was never
 * committed. The WAL is paired with its database by path: its name with
 * "-wal" cut off, the name SQLite opens the database under (both full
 * paths). A WAL whose name does not end so is not wrapped at all. Under
 * locking_mode=EXCLUSIVE SQLite takes no shm locks and nothing is dropped,
 * but no other connection can write the WAL then, and this one writes
 * what it gathered before anything at the same offsets. Closing the WAL
 * drops what it holds the same way (no commit is pending at a close).
 *
 * A failed write of what was gathered returns its error from the call
 * that made it (flush, below). */

#define WAL_HDR	      32
#define WAL_FRAME_HDR 24

struct wal_file {
	sqlite3_file base;   /* first: SQLite's handle is this struct */
	sqlite3_file *real;  /* the default VFS's file, after this struct */
	uint8_t *buf;	     /* WALVFS_BUF_CAP bytes, from the first write */
	sqlite3_int64 start; /* file offset of buf[0] */
	size_t len;
	/* Since a commit frame's header and until a non-commit one: every
	 * write is written out before xWrite returns. */
	int in_commit;
	/* Offset the last call read from, or -1 if it was no read. */
	sqlite3_int64 read_off;
	/* The database's page size, from the WAL header (0: not known yet),
	 * which places the frame headers: 32 + k * (24 + page). */
	sqlite3_int64 page;
	/* The database's path (the WAL's name without "-wal"), and the next
	 * WAL file open in this process: both under wals_lock. */
	char *db;
	struct wal_file *next;
};

/* A database file: every call passed on, a release of the WAL's write
 * lock drops what its WAL files gathered. */
struct db_file {
	sqlite3_file base;  /* first: SQLite's handle is this struct */
	sqlite3_file *real; /* the default VFS's file, after this struct */
	const char *path;   /* the name xOpen got: valid until xClose */
};

/* The calls both kinds of file pass on unchanged: wal_file and db_file
 * begin alike (struct shim). */
struct shim {
	sqlite3_file base;
	sqlite3_file *real;
};

_Static_assert(offsetof(struct wal_file, real) == offsetof(struct shim, real),
    "wal_file begins as a shim");
_Static_assert(offsetof(struct db_file, real) == offsetof(struct shim, real),
    "db_file begins as a shim");

#define REAL(f) (((struct shim *)(f))->real)

static int
fwd_lock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xLock(REAL(f), level);
}

static int
fwd_unlock(sqlite3_file *f, int level)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), level);
}

static int
fwd_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
fwd_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
fwd_device_characteristics(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define REAL_OFF \
	((MAX(sizeof(struct wal_file), sizeof(struct db_file)) + 7) & ~(size_t)7)

/* wal.c's lock numbers: the write lock is shm lock 0. */
#define WAL_WRITE_LOCK 0

static sqlite3_vfs *root;
static sqlite3_vfs walvfs;
static int registered_rc = KYSO_ERR_INTERNAL;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The WAL files open through this VFS, to find a database's. */
static pthread_mutex_t wals_lock = PTHREAD_MUTEX_INITIALIZER;
static struct wal_file *wals;

/* Writes out what is gathered. On failure the bytes are dropped if drop
 * (the error goes back from a write or sync of walFrames: SQLite rolls
 * the whole transaction back, and these frames with it), else kept for
 * the next call to retry (a read of a page a cache spill wrote: SQLite
 * may roll back only the statement and go on with the frames). */
static int
flush(struct wal_file *w, int drop)
{
	int rc;

	if (w->len == 0)
		return SQLITE_OK;
	rc = w->real->pMethods->xWrite(w->real, w->buf, (int)w->len, w->start);
	if (rc == SQLITE_OK || drop)
		w->len = 0;
	return rc;
}

/* The page size a WAL header gives, or 0. */
static sqlite3_int64
hdr_page(const uint8_t *h)
{
	uint32_t v = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
	    (uint32_t)h[10] << 8 | h[11];

	return v >= 512 && v <= 65536 && (v & (v - 1)) == 0 ? v : 0;
}

/* Whether a write of n bytes at off is a frame header: 24 bytes at a
 * frame's start. The page size comes from the WAL header this file wrote,
 * or else from the file (written by the connection that started the WAL,
 * before its first commit was published). Not known, the write is taken
 * for no header, and written out at once (wal_write). */
static int
is_frame_hdr(struct wal_file *w, int n, sqlite3_int64 off)
{
	uint8_t h[WAL_HDR];

	if (n != WAL_FRAME_HDR || off < WAL_HDR)
		return 0;
	if (w->page == 0 && w->len == 0 &&
	    w->real->pMethods->xRead(w->real, h, WAL_HDR, 0) == SQLITE_OK)
		w->page = hdr_page(h);
	if (w->page == 0)
		return 0;
	return (off - WAL_HDR) % (w->page + WAL_FRAME_HDR) == 0;
}

/* Drops what the WAL files of database path have gathered, called with
 * the write lock still held: only this thread's WAL file (the holder's)
 * can hold bytes, the others' len is 0 and only read here and by their
 * own threads, so no other thread's write races this. */
static void
drop_gathered(const char *path)
{
	struct wal_file *w;

	pthread_mutex_lock(&wals_lock);
	for (w = wals; w != NULL; w = w->next)
		if (w->len != 0 && strcmp(w->db, path) == 0)
			w->len = 0;
	pthread_mutex_unlock(&wals_lock);
}

/* What is gathered is dropped: SQLite closes the WAL with no transaction
 * open, so it is a rolled-back transaction's (see the top). */
static int
wal_close(sqlite3_file *f)
{
	struct wal_file *w = (struct wal_file *)f, **p;
	int rc;

	pthread_mutex_lock(&wals_lock);
	for (p = &wals; *p != NULL && *p != w; p = &(*p)->next)
		;
	if (*p != NULL)
		*p = w->next;
	pthread_mutex_unlock(&wals_lock);
	rc = w->real->pMethods->xClose(w->real);
	sqlite3_free(w->buf);
	sqlite3_free(w->db);
	w->buf = NULL;
	w->db = NULL;
	w->len = 0;
	return rc;
}

static int
wal_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	w->read_off = off;
	if ((rc = flush(w, 0)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xRead(w->real, p, n, off);
}

static int
wal_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct wal_file *w = (struct wal_file *)f;
	const uint8_t *b = p;
	int hdr, rewrite, rc;

	if (off == 0 && n >= WAL_HDR)
		w->page = hdr_page(b);
	hdr = is_frame_hdr(w, n, off);
	rewrite = hdr && off == w->read_off;
	w->read_off = -1;
	if (w->len > 0 &&
	    (off != w->start + (sqlite3_int64)w->len ||
		(size_t)n > WALVFS_BUF_CAP - w->len) &&
	    (rc = flush(w, 1)) != SQLITE_OK)
		return rc;
	if (w->buf == NULL && (w->buf = sqlite3_malloc64(WALVFS_BUF_CAP)) == NULL)
		return w->real->pMethods->xWrite(w->real, p, n, off);
	if (n < 0 || (size_t)n > WALVFS_BUF_CAP - w->len) {
		/* larger than the buffer (w->len is 0 here) */
		return w->real->pMethods->xWrite(w->real, p, n, off);
	}
	if (w->len == 0)
		w->start = off;
	memcpy(w->buf + w->len, p, (size_t)n);
	w->len += (size_t)n;
	if (hdr && (b[4] | b[5] | b[6] | b[7]) != 0) {
		/* a commit frame's header: its page follows */
		w->in_commit = 1;
		return rewrite ? flush(w, 1) : SQLITE_OK;
	}
	if (hdr)
		w->in_commit = 0;
	else if (w->page == 0)
		return flush(w, 1);
	return w->in_commit || rewrite ? flush(w, 1) : SQLITE_OK;
}

static int
wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	if ((rc = flush(w, 0)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xTruncate(w->real, size);
}

static int
wal_sync(sqlite3_file *f, int flags)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	if ((rc = flush(w, 1)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xSync(w->real, flags);
}

static int
wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	if ((rc = flush(w, 0)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xFileSize(w->real, size);
}

static int
wal_file_control(sqlite3_file *f, int op, void *arg)
{
	struct wal_file *w = (struct wal_file *)f;
	int rc;

	if ((rc = flush(w, 0)) != SQLITE_OK)
		return rc;
	return w->real->pMethods->xFileControl(w->real, op, arg);
}

/* Version 1: SQLite maps or shares memory through the database file's
 * handle only, never the WAL's. */
static const sqlite3_io_methods wal_methods = {
	.iVersion = 1,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = fwd_lock,
	.xUnlock = fwd_unlock,
	.xCheckReservedLock = fwd_check_reserved,
	.xFileControl = wal_file_control,
	.xSectorSize = fwd_sector_size,
	.xDeviceCharacteristics = fwd_device_characteristics,
};

static int
db_close(sqlite3_file *f)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xClose(d->real);
}

static int
db_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xRead(d->real, p, n, off);
}

static int
db_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xWrite(d->real, p, n, off);
}

static int
db_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xTruncate(d->real, size);
}

static int
db_sync(sqlite3_file *f, int flags)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xSync(d->real, flags);
}

static int
db_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xFileSize(d->real, size);
}

static int
db_file_control(sqlite3_file *f, int op, void *arg)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xFileControl(d->real, op, arg);
}

static int
db_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xShmMap(d->real, region, size, extend, out);
}

/* Before the write lock is released, what its holder's WAL gathered is
 * dropped (see the top): once released, another connection of this
 * process may take it and gather bytes of its own. */
static int
db_shm_lock(sqlite3_file *f, int ofst, int n, int flags)
{
	struct db_file *d = (struct db_file *)f;

	if (ofst == WAL_WRITE_LOCK && n == 1 &&
	    flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE))
		drop_gathered(d->path);
	return d->real->pMethods->xShmLock(d->real, ofst, n, flags);
}

static void
db_shm_barrier(sqlite3_file *f)
{
	struct db_file *d = (struct db_file *)f;

	d->real->pMethods->xShmBarrier(d->real);
}

static int
db_shm_unmap(sqlite3_file *f, int delete_flag)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xShmUnmap(d->real, delete_flag);
}

static int
db_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xFetch(d->real, off, n, out);
}

static int
db_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	struct db_file *d = (struct db_file *)f;

	return d->real->pMethods->xUnfetch(d->real, off, p);
}

/* One table per version the default VFS's file may have: SQLite calls a
 * method only if the version says it is there. */
#define DB_METHODS(v)                                                     \
	{                                                                 \
		.iVersion = (v), .xClose = db_close, .xRead = db_read,    \
		.xWrite = db_write, .xTruncate = db_truncate,             \
		.xSync = db_sync, .xFileSize = db_file_size,              \
		.xLock = fwd_lock, .xUnlock = fwd_unlock,                 \
		.xCheckReservedLock = fwd_check_reserved,                 \
		.xFileControl = db_file_control,                          \
		.xSectorSize = fwd_sector_size,                           \
		.xDeviceCharacteristics = fwd_device_characteristics,     \
		.xShmMap = db_shm_map, .xShmLock = db_shm_lock,           \
		.xShmBarrier = db_shm_barrier, .xShmUnmap = db_shm_unmap, \
		.xFetch = db_fetch, .xUnfetch = db_unfetch,               \
	}

static const sqlite3_io_methods db_methods[] = { DB_METHODS(1), DB_METHODS(2),
	DB_METHODS(3) };

/* The default VFS's xOpen into the space after our struct at f. */
static int
open_real(sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags,
    sqlite3_file **real)
{
	int rc;

	*real = (sqlite3_file *)((char *)f + REAL_OFF);
	rc = root->xOpen(root, name, *real, flags, out_flags);
	if (rc != SQLITE_OK && (*real)->pMethods != NULL)
		(*real)->pMethods->xClose(*real);
	return rc;
}

static int
open_db_file(sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	struct db_file *d = (struct db_file *)f;
	int rc, v;

	memset(d, 0, sizeof(*d));
	d->path = name;
	if ((rc = open_real(name, f, flags, out_flags, &d->real)) != SQLITE_OK)
		return rc;
	v = d->real->pMethods->iVersion;
	d->base.pMethods = &db_methods[v < 1 ? 0 : v > 3 ? 2 : v - 1];
	return SQLITE_OK;
}

static int
open_wal_file(sqlite3_filename name, sqlite3_file *f, int flags, int *out_flags)
{
	struct wal_file *w = (struct wal_file *)f;
	size_t n = strlen(name) - 4; /* "-wal" cut off (vfs_open) */
	int rc;

	memset(w, 0, sizeof(*w));
	w->read_off = -1;
	if ((w->db = sqlite3_malloc64(n + 1)) == NULL)
		return SQLITE_NOMEM;
	memcpy(w->db, name, n);
	w->db[n] = '\0';
	if ((rc = open_real(name, f, flags, out_flags, &w->real)) != SQLITE_OK) {
		sqlite3_free(w->db);
		w->db = NULL;
		return rc;
	}
	pthread_mutex_lock(&wals_lock);
	w->next = wals;
	wals = w;
	pthread_mutex_unlock(&wals_lock);
	w->base.pMethods = &wal_methods;
	return SQLITE_OK;
}

/* A main database file and its WAL are wrapped (see the top); any other
 * file is the default VFS's own, methods and all. */
static int
vfs_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
    int *out_flags)
{
	size_t n = name != NULL ? strlen(name) : 0;

	(void)vfs;
	if ((flags & SQLITE_OPEN_MAIN_DB) && name != NULL)
		return open_db_file(name, f, flags, out_flags);
	if ((flags & SQLITE_OPEN_WAL) && n > 4 &&
	    strcmp(name + n - 4, "-wal") == 0)
		return open_wal_file(name, f, flags, out_flags);
	return root->xOpen(root, name, f, flags, out_flags);
}

static int
vfs_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return root->xDelete(root, name, sync_dir);
}

static int
vfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return root->xAccess(root, name, flags, out);
}

static int
vfs_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return root->xFullPathname(root, name, n, out);
}

static void *
vfs_dlopen(sqlite3_vfs *vfs, const char *name)
{
	(void)vfs;
	return root->xDlOpen(root, name);
}

static void
vfs_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	root->xDlError(root, n, msg);
}

static void (*vfs_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	(void)vfs;
	return root->xDlSym(root, h, sym);
}

static void
vfs_dlclose(sqlite3_vfs *vfs, void *h)
{
	(void)vfs;
	root->xDlClose(root, h);
}

static int
vfs_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return root->xRandomness(root, n, out);
}

static int
vfs_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return root->xSleep(root, us);
}

static int
vfs_current_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return root->xCurrentTime(root, out);
}

static int
vfs_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return root->xGetLastError(root, n, out);
}

static int
vfs_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return root->xCurrentTimeInt64(root, out);
}

static void
register_once(void)
{
	root = sqlite3_vfs_find(NULL);
	if (root == NULL)
		return;
	walvfs = (sqlite3_vfs){
		/* version 2: the system-call hooks stay the default VFS's */
		.iVersion = root->iVersion < 2 ? root->iVersion : 2,
		.szOsFile = (int)(REAL_OFF + (size_t)root->szOsFile),
		.mxPathname = root->mxPathname,
		.zName = WALVFS_NAME,
		.xOpen = vfs_open,
		.xDelete = vfs_delete,
		.xAccess = vfs_access,
		.xFullPathname = vfs_full_pathname,
		.xDlOpen = vfs_dlopen,
		.xDlError = vfs_dlerror,
		.xDlSym = vfs_dlsym,
		.xDlClose = vfs_dlclose,
		.xRandomness = vfs_randomness,
		.xSleep = vfs_sleep,
		.xCurrentTime = vfs_current_time,
		.xGetLastError = vfs_get_last_error,
		.xCurrentTimeInt64 = root->iVersion >= 2 ? vfs_current_time_int64
							 : NULL,
	};
	registered_rc = sqlite3_vfs_register(&walvfs, 0) == SQLITE_OK
	    ? 0
	    : KYSO_ERR_NOMEM;
}

int
walvfs_register(void)
{
	pthread_once(&once, register_once);
	return registered_rc;
}
