/* Files: capped reads, atomic replacement, kyso's home folder. */
#ifndef KYSO_FSUTIL_H
#define KYSO_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

int file_read(const char *path, size_t cap, struct buf **out) KYSO_WUR;
/* Writes a temp file beside path, fsyncs it, renames it over path and
 * fsyncs the folder: a crash leaves the old file or the new one. */
int file_write_atomic(const char *path, const void *p, size_t n,
    mode_t mode) KYSO_WUR;
int mkdir_p(const char *path, mode_t mode) KYSO_WUR;
/* $KYSO_HOME, else $XDG_DATA_HOME/kyso, else ~/.local/share/kyso (malloc'd). */
char *kyso_home(void);
/* malloc'd "a/b" */
char *path_join(const char *a, const char *b);

#endif
