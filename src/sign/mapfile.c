#include "sign/mapfile.h"

#include "common/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct mapfile {
	uint8_t *d;
	size_t len;
};

struct outfile {
	char *path;
	char *tmp;
	int fd;
};

static int
errno_err(int e)
{
	switch (e) {
	case ENOENT: return KYSO_ERR_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS: return KYSO_ERR_PERMISSION;
	case ENOSPC:
	case EDQUOT: return KYSO_ERR_FULL;
	case ENOMEM: return KYSO_ERR_NOMEM;
	}
	return KYSO_ERR_IO;
}

int
mapfile_open(const char *path, struct mapfile **out)
{
	struct mapfile *m = NULL;
	struct stat st;
	int fd, r = KYSO_ERR_INTERNAL;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno_err(errno);
	if (fstat(fd, &st) != 0) {
		r = errno_err(errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	if ((uint64_t)st.st_size > MAPFILE_MAX) {
		r = KYSO_ERR_TOO_LARGE;
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	m->len = (size_t)st.st_size;
	if (m->len > 0) {
		m->d = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m->d == MAP_FAILED) {
			m->d = NULL;
			r = errno_err(errno);
			goto out;
		}
	}
	*out = m;
	m = NULL;
	r = 0;
out:
	mapfile_free(m);
	close(fd);
	return r;
}

void
mapfile_free(struct mapfile *m)
{
	if (m == NULL)
		return;
	if (m->d != NULL)
		munmap(m->d, m->len);
	free(m);
}

const uint8_t *
mapfile_data(const struct mapfile *m)
{
	return m->d != NULL ? m->d : (const uint8_t *)"";
}

size_t
mapfile_len(const struct mapfile *m)
{
	return m->len;
}

#define WINDOW ((size_t)8 * 1024 * 1024)

int
mapfile_each(struct mapfile *m, size_t off, size_t n, mapfile_fn fn, void *ud)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t page = pg > 0 ? (size_t)pg : 4096;
	int r;

	if (off > m->len || n > m->len - off)
		return KYSO_ERR_INVALID;
	while (n > 0) {
		size_t k = n < WINDOW ? n : WINDOW, a, b;

		if ((r = fn(ud, m->d + off, k)) != 0)
			return r;
		/* Whole pages inside the window: read again if needed. */
		a = (off + page - 1) / page * page;
		b = (off + k) / page * page;
		if (b > a)
			(void)madvise(m->d + a, b - a, MADV_DONTNEED);
		off += k;
		n -= k;
	}
	return 0;
}

int
outfile_open(const char *path, struct outfile **out)
{
	struct outfile *o = calloc(1, sizeof(*o));
	size_t n = strlen(path);

	if (o == NULL)
		return KYSO_ERR_NOMEM;
	o->fd = -1;
	if ((o->path = strdup(path)) == NULL ||
	    (o->tmp = malloc(n + 16)) == NULL) {
		outfile_abort(o);
		return KYSO_ERR_NOMEM;
	}
	snprintf(o->tmp, n + 16, "%s.tmp.XXXXXX", path);
	if ((o->fd = mkostemp(o->tmp, O_CLOEXEC)) < 0) {
		int r = errno_err(errno);

		free(o->tmp);
		o->tmp = NULL;
		outfile_abort(o);
		return r;
	}
	*out = o;
	return 0;
}

int
outfile_write(struct outfile *o, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t w = write(o->fd, c, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return errno_err(errno);
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
outfile_write_fn(void *ud, const uint8_t *p, size_t n)
{
	return outfile_write(ud, p, n);
}

int
outfile_commit(struct outfile *o)
{
	char *dir;
	int dfd, r = 0;

	if (fchmod(o->fd, 0644) != 0 || fsync(o->fd) != 0 || close(o->fd) != 0) {
		o->fd = -1;
		r = errno_err(errno);
		outfile_abort(o);
		return r;
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) != 0) {
		r = errno_err(errno);
		outfile_abort(o);
		return r;
	}
	if ((dir = strdup(o->path)) != NULL) {
		if ((dfd = open(dirname(dir),
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	free(o->tmp);
	free(o->path);
	free(o);
	return 0;
}

void
outfile_abort(struct outfile *o)
{
	if (o == NULL)
		return;
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp != NULL)
		unlink(o->tmp);
	free(o->tmp);
	free(o->path);
	free(o);
}

int
outfile_save(const char *path, const void *p, size_t n, const char **why)
{
	struct outfile *of = NULL;
	int r;

	if ((r = outfile_open(path, &of)) != 0) {
		*why = N_("cannot create the output file");
		return r;
	}
	if ((r = outfile_write(of, p, n)) != 0) {
		*why = N_("cannot write the output file");
		outfile_abort(of);
		return r;
	}
	if ((r = outfile_commit(of)) != 0)
		*why = N_("cannot write the output file");
	return r;
}
