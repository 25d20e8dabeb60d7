#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
errno_to_err(int e)
{
	switch (e) {
	case ENOENT: return KYSO_ERR_NOT_FOUND;
	case EEXIST: return KYSO_ERR_EXISTS;
	case ENOSPC:
	case EDQUOT: return KYSO_ERR_FULL;
	case EACCES:
	case EPERM:
	case EROFS: return KYSO_ERR_PERMISSION;
	case ENOMEM: return KYSO_ERR_NOMEM;
	}
	return KYSO_ERR_IO;
}

int
file_read(const char *path, size_t cap, struct buf **out)
{
	struct buf *b = NULL;
	uint8_t tmp[16384];
	ssize_t n;
	int fd, r = KYSO_ERR_INTERNAL;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno_to_err(errno);
	if ((b = buf_new(cap)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno_to_err(errno);
			goto out;
		}
		if (n == 0)
			break;
		if ((r = buf_put(b, tmp, (size_t)n)) != 0)
			goto out;
	}
	*out = b;
	b = NULL;
	r = 0;
out:
	buf_free(b);
	close(fd);
	return r;
}

static int
fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, r = 0;

	if (copy == NULL)
		return KYSO_ERR_NOMEM;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = errno_to_err(errno);
	} else {
		if (fsync(fd) != 0)
			r = errno_to_err(errno);
		close(fd);
	}
	free(copy);
	return r;
}

int
file_write_atomic(const char *path, const void *p, size_t n, mode_t mode)
{
	char *tmp = NULL;
	const uint8_t *s = p;
	size_t done = 0;
	int fd = -1, r = KYSO_ERR_INTERNAL;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		return KYSO_ERR_NOMEM;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		r = errno_to_err(errno);
		free(tmp);
		return r;
	}
	if (fchmod(fd, mode) != 0) {
		r = errno_to_err(errno);
		goto out;
	}
	while (done < n) {
		ssize_t w = write(fd, s + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			r = errno_to_err(errno);
			goto out;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0) {
		r = errno_to_err(errno);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = errno_to_err(errno);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = errno_to_err(errno);
		goto out;
	}
	free(tmp);
	return fsync_dir_of(path);
out:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return r;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char *copy = strdup(path), *p;
	int r = 0;

	if (copy == NULL)
		return KYSO_ERR_NOMEM;
	for (p = copy + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(copy, mode) != 0 && errno != EEXIST) {
				r = errno_to_err(errno);
				break;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(copy);
	return r;
}

char *
path_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return NULL;
	return s;
}

/* An absolute path: a relative one would mean another folder to every
 * process with another working directory (and to the kernel, in the
 * slot symlinks made from it). */
static char *
absolute(char *p)
{
	char cwd[PATH_MAX], *a;

	if (p == NULL || p[0] == '/')
		return p;
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		free(p);
		return NULL;
	}
	a = path_join(cwd, p);
	free(p);
	return a;
}

char *
kyso_home(void)
{
	const char *e;

	if ((e = getenv("KYSO_HOME")) != NULL && *e != '\0')
		return absolute(strdup(e));
	if ((e = getenv("XDG_DATA_HOME")) != NULL && *e != '\0')
		return absolute(path_join(e, "kyso"));
	if ((e = getenv("HOME")) != NULL && *e != '\0')
		return absolute(path_join(e, ".local/share/kyso"));
	return strdup("/var/lib/kyso");
}
