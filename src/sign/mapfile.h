/* Input files mapped read-only (memory independent of the file's size),
 * and output files written through a temp file renamed into place. */
#ifndef KYSO_MAPFILE_H
#define KYSO_MAPFILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct mapfile;

#define MAPFILE_MAX ((size_t)1 << 34) /* 16 GiB */

int mapfile_open(const char *path, struct mapfile **out) KYSO_WUR;
void mapfile_free(struct mapfile *m);
const uint8_t *mapfile_data(const struct mapfile *m);
size_t mapfile_len(const struct mapfile *m);

/* Feeds bytes [off, off + n) of the mapping to fn window by window and
 * drops each window's pages once used, so that resident memory does not
 * grow with the file's size (hashing and copying touch every page). */
typedef int (*mapfile_fn)(void *ud, const uint8_t *p, size_t n);
int mapfile_each(struct mapfile *m, size_t off, size_t n, mapfile_fn fn,
    void *ud) KYSO_WUR;

/* An output file being written: a temp beside path. */
struct outfile;
int outfile_open(const char *path, struct outfile **out) KYSO_WUR;
int outfile_write(struct outfile *o, const void *p, size_t n) KYSO_WUR;
/* outfile_write as a mapfile_fn (ud is the outfile). */
int outfile_write_fn(void *ud, const uint8_t *p, size_t n) KYSO_WUR;
/* fsync, rename over path, fsync the folder; frees o. */
int outfile_commit(struct outfile *o) KYSO_WUR;
/* Removes the temp file; accepts NULL. */
void outfile_abort(struct outfile *o);
/* The whole of an output in one go (temp, write, commit); *why says what
 * failed, for the user. */
int outfile_save(const char *path, const void *p, size_t n,
    const char **why) KYSO_WUR;

#endif
