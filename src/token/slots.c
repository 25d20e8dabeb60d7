#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/fsutil.h"

struct slots {
	char *dir;
	unsigned n;
	char *path[SLOTS_MAX];
	/* The link's own inode and change time: plugging makes a new link,
	 * so a token pulled out and put back between two scans is still
	 * seen (the inode number alone is often reused at once). */
	struct link_id {
		ino_t ino;
		struct timespec ctime;
	} link_id[SLOTS_MAX];
	int pulled[SLOTS_MAX]; /* seen removed by slots_changed */
	uint64_t gen[SLOTS_MAX];
	uint64_t next_gen;
	int ino_fd; /* slots_wait's watch */
	int chg_fd; /* slots_changed's watch (non-blocking) */
	int wake[2];
};

int
slots_new(const char *home, unsigned n, struct slots **out)
{
	struct slots *s;

	if (n == 0 || n > SLOTS_MAX)
		return KYSO_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KYSO_ERR_NOMEM;
	s->n = n;
	s->ino_fd = s->chg_fd = s->wake[0] = s->wake[1] = -1;
	s->next_gen = 1;
	if ((s->dir = path_join(home, "slots")) == NULL) {
		slots_free(s);
		return KYSO_ERR_NOMEM;
	}
	/* The folder may not be there yet; made here so it can be watched.
	 * Failing that, the slots just stay empty. */
	if (mkdir_p(s->dir, 0700) != 0) {
		/* nothing to do: no slot will show a token */
	}
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		slots_free(s);
		return KYSO_ERR_IO;
	}
	/* Without this watch slots_changed always says yes: correct, only
	 * slower. */
	if ((s->chg_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) >= 0 &&
	    inotify_add_watch(s->chg_fd, s->dir,
		IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
		    IN_ATTRIB) < 0) {
		close(s->chg_fd);
		s->chg_fd = -1;
	}
	slots_scan(s);
	*out = s;
	return 0;
}

void
slots_free(struct slots *s)
{
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < SLOTS_MAX; i++)
		free(s->path[i]);
	if (s->ino_fd >= 0)
		close(s->ino_fd);
	if (s->chg_fd >= 0)
		close(s->chg_fd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	free(s->dir);
	free(s);
}

unsigned
slots_count(const struct slots *s)
{
	return s->n;
}

/* Re-reads the link of slot i; a new target or a new link is a new
 * generation. */
static void
scan_one(struct slots *s, unsigned i)
{
	char link[32], target[PATH_MAX];
	char *lp = NULL;
	ssize_t len;
	const char *now = NULL;
	struct stat st;
	struct link_id id;

	memset(&id, 0, sizeof(id));
	snprintf(link, sizeof(link), "%u", i);
	if ((lp = path_join(s->dir, link)) != NULL) {
		len = readlink(lp, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = '\0';
			now = target;
			if (lstat(lp, &st) == 0) {
				id.ino = st.st_ino;
				id.ctime = st.st_ctim;
			}
		}
	}
	free(lp);
	lp = NULL;
	/* A relative link points from the slots folder, as the kernel
	 * reads it, not from our working directory. */
	if (now != NULL && now[0] != '/') {
		if ((lp = path_join(s->dir, now)) == NULL)
			return;
		now = lp;
	}
	if ((now == NULL && s->path[i] == NULL) ||
	    (!s->pulled[i] && now != NULL && s->path[i] != NULL &&
		strcmp(now, s->path[i]) == 0 && id.ino == s->link_id[i].ino &&
		id.ctime.tv_sec == s->link_id[i].ctime.tv_sec &&
		id.ctime.tv_nsec == s->link_id[i].ctime.tv_nsec)) {
		free(lp);
		return;
	}
	free(s->path[i]);
	s->path[i] = now != NULL ? strdup(now) : NULL;
	s->link_id[i] = id;
	s->pulled[i] = 0;
	s->gen[i] = s->next_gen++;
	free(lp);
}

void
slots_scan(struct slots *s)
{
	unsigned i;

	/* Events waiting are read first: a removal among them makes the
	 * slot's next look a new insertion, whenever it comes. */
	(void)slots_changed(s);
	for (i = 0; i < s->n; i++)
		scan_one(s, i);
}

/* A slot's link went away: whatever the next scan finds there is a new
 * insertion, even the same token into the same slot. */
static void
mark_pulled(struct slots *s, const char *name)
{
	char *end;
	unsigned long i;

	errno = 0;
	i = strtoul(name, &end, 10);
	if (errno == 0 && end != name && *end == '\0' && i < s->n)
		s->pulled[i] = 1;
}

int
slots_changed(struct slots *s)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t n, off;
	int changed = 0, lost = 0;

	if (s->chg_fd < 0)
		return 1;
	for (;;) {
		n = read(s->chg_fd, ev, sizeof(ev));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN)
				lost = 1;
			break;
		}
		changed = 1;
		/* The folder went away (and the watch with it): from now on
		 * every call rescans. */
		for (off = 0; off + (ssize_t)sizeof(*e) <= n;
		     off += (ssize_t)sizeof(*e) + (ssize_t)e->len) {
			e = (const struct inotify_event *)(ev + off);
			if (e->mask & IN_IGNORED)
				lost = 1;
			if ((e->mask & (IN_DELETE | IN_MOVED_FROM)) && e->len > 0)
				mark_pulled(s, e->name);
		}
	}
	if (lost) {
		close(s->chg_fd);
		s->chg_fd = -1;
		return 1;
	}
	return changed;
}

const char *
slots_path(const struct slots *s, unsigned i)
{
	return i < s->n ? s->path[i] : NULL;
}

uint64_t
slots_gen(const struct slots *s, unsigned i)
{
	return i < s->n ? s->gen[i] : 0;
}

int
slots_wait(struct slots *s)
{
	struct pollfd p[2];
	char ev[4096];
	int n;

	if (s->ino_fd < 0) {
		if ((s->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0)
			return KYSO_ERR_IO;
		if (inotify_add_watch(s->ino_fd, s->dir,
			IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
			    IN_ATTRIB) < 0) {
			close(s->ino_fd);
			s->ino_fd = -1;
			return KYSO_ERR_IO;
		}
		/* Whatever changed before the watch began is seen by the
		 * caller's next scan. */
		return 0;
	}
	p[0].fd = s->ino_fd;
	p[0].events = POLLIN;
	p[1].fd = s->wake[0];
	p[1].events = POLLIN;
	for (;;) {
		n = poll(p, 2, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return KYSO_ERR_IO;
		break;
	}
	if (p[1].revents != 0) {
		while (read(s->wake[0], ev, sizeof(ev)) > 0)
			;
		return KYSO_ERR_BUSY;
	}
	while (read(s->ino_fd, ev, sizeof(ev)) > 0)
		;
	return 0;
}

void
slots_cancel(struct slots *s)
{
	ssize_t w;

	w = write(s->wake[1], "x", 1);
	(void)w;
}
