#include "slots.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
	int dir_wd; /* the slot folder's watch on chg_fd */
	/* The token file's folder is watched on chg_fd too (tok_wd, -1:
	 * not watched): an event naming the file (tok_name) marks the slot's
	 * token dirty, and only a dirty token is stat'ed again. */
	int tok_wd[SLOTS_MAX];
	char *tok_name[SLOTS_MAX];
	int dirty[SLOTS_MAX];
	int wake[2];
};

int
slots_new(const char *home, unsigned n, struct slots **out)
{
	struct slots *s;
	unsigned i;

	if (n == 0 || n > SLOTS_MAX)
		return KYSO_ERR_INVALID;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return KYSO_ERR_NOMEM;
	s->n = n;
	s->ino_fd = s->chg_fd = s->wake[0] = s->wake[1] = -1;
	s->dir_wd = -1;
	for (i = 0; i < SLOTS_MAX; i++) {
		s->tok_wd[i] = -1;
		s->dirty[i] = 1;
	}
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
	    (s->dir_wd = inotify_add_watch(s->chg_fd, s->dir,
		 IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
		     IN_ATTRIB)) < 0) {
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
	for (i = 0; i < SLOTS_MAX; i++) {
		free(s->path[i]);
		free(s->tok_name[i]);
	}
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

/* Watches the folder of slot i's token file for a commit by another
 * process (the rename of a new version over it), before the token is
 * loaded, so that no commit after the load goes unseen. Without the watch
 * the token is always dirty: stat'ed at every call, as before. */
static void
watch_token(struct slots *s, unsigned i)
{
	char *dcopy = NULL, *bcopy = NULL;

	free(s->tok_name[i]);
	s->tok_name[i] = NULL;
	s->tok_wd[i] = -1;
	s->dirty[i] = 1;
	if (s->chg_fd < 0 || s->path[i] == NULL ||
	    (dcopy = strdup(s->path[i])) == NULL ||
	    (bcopy = strdup(s->path[i])) == NULL ||
	    (s->tok_name[i] = strdup(basename(bcopy))) == NULL)
		goto out;
	s->tok_wd[i] = inotify_add_watch(s->chg_fd, dirname(dcopy),
	    IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB |
		IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
out:
	free(dcopy);
	free(bcopy);
}

/* Whether an event's name is the token file's or its journal's
 * ("<file>.jnl", appended to in place: IN_MODIFY). */
static int
names_token(const char *tok, const char *name)
{
	size_t n;

	if (tok == NULL)
		return 0;
	n = strlen(tok);
	return strncmp(name, tok, n) == 0 &&
	    (name[n] == '\0' || strcmp(name + n, ".jnl") == 0);
}

/* An event on a token folder's watch: the slots whose token it names
 * (or every slot on that folder, for an event on the folder itself) are
 * dirty; a watch gone (IN_IGNORED) leaves them always dirty. */
static void
token_event(struct slots *s, const struct inotify_event *e)
{
	unsigned i;

	for (i = 0; i < s->n; i++) {
		if (s->tok_wd[i] != e->wd)
			continue;
		if (e->mask & IN_IGNORED)
			s->tok_wd[i] = -1;
		if ((e->mask & IN_IGNORED) || e->len == 0 ||
		    names_token(s->tok_name[i], e->name))
			s->dirty[i] = 1;
	}
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
	watch_token(s, i);
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
	unsigned i;
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
		for (off = 0; off + (ssize_t)sizeof(*e) <= n;
		     off += (ssize_t)sizeof(*e) + (ssize_t)e->len) {
			e = (const struct inotify_event *)(ev + off);
			/* Events were dropped: anything may have changed. */
			if (e->mask & IN_Q_OVERFLOW) {
				changed = 1;
				for (i = 0; i < s->n; i++)
					s->dirty[i] = 1;
				continue;
			}
			if (e->wd != s->dir_wd) {
				token_event(s, e);
				continue;
			}
			changed = 1;
			/* The folder went away (and the watch with it): from
			 * now on every call rescans. */
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

int
slots_token_changed(struct slots *s, unsigned i)
{
	int d;

	if (i >= s->n)
		return 1;
	d = s->dirty[i] || s->chg_fd < 0 || s->tok_wd[i] < 0;
	s->dirty[i] = 0;
	return d;
}

void
slots_token_recheck(struct slots *s, unsigned i)
{
	if (i < s->n)
		s->dirty[i] = 1;
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
