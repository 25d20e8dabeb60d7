/* A SQLite VFS over the default one that gathers the frames a commit
 * writes into its WAL and hands them to the file system in one write
 * (issue 15: SQLite writes each frame with two pwrite calls, header and
 * page), and drops them if the transaction rolls back instead (seen at the
 * release of the WAL's write lock, a call on the database file). Every
 * other file, and every other call, goes to the default VFS unchanged. */
#ifndef KYSO_RA_WALVFS_H
#define KYSO_RA_WALVFS_H

#include "common/err.h"

/* The name to pass to sqlite3_open_v2 as zVfs. */
#define WALVFS_NAME "kyso-walbuf"

/* Bytes gathered at most before they are written (a P-256 issuance
 * writes about 9 frames of 4 KiB + 24 bytes). */
#define WALVFS_BUF_CAP ((size_t)64 * 1024)

/* Registers the VFS (not as the default) once per process: 0, or
 * KYSO_ERR_NOMEM / KYSO_ERR_INTERNAL. */
int walvfs_register(void) KYSO_WUR;

#endif
