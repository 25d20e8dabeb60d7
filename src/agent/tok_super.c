/* The supervisor (tok_supervise): binds the loopback listeners, starts
 * the network side as a fresh program (fork + exec of ourselves with
 * --net-child: a new address space without the module or any PIN) on
 * fixed descriptors, serves it, and starts it again when it dies. */
#include "agent/tok_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/mhd.h"

/* At most this many restarts of the network side a minute. */
#define TOK_RESTARTS_PER_MINUTE 5

/* The fixed descriptors of the network side (contract: KYSO_AGENT_FDS). */
enum { FD_TOK = 3, FD_V4 = 4, FD_V6 = 5 };

static volatile sig_atomic_t stop;
static volatile pid_t child = -1;
static int to_syslog;

/* SIGTERM: end the child, whose closing socket ends what tok waits on. */
static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
	if (child > 0)
		kill(child, SIGTERM);
}

/* One line for the log: stderr in the foreground, else syslog. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (to_syslog)
		vsyslog(LOG_NOTICE, fmt, ap);
	else {
		fputs("kyso-agent: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/* A listening socket on the loopback address of family af; -1 with
 * *err set when it cannot be had. */
static int
listen_on(int af, unsigned port, int *err)
{
	int fd = -1;

	if (mhd_listen(af == AF_INET ? "127.0.0.1" : "::1", (uint16_t)port, 1,
		&fd, NULL) != 0) {
		*err = errno;
		return -1;
	}
	return fd;
}

/* Puts fd on the fixed number want in the child (dup2 clears
 * FD_CLOEXEC there); the originals were moved above 10 first so that no
 * dup2 overwrites one still to be placed. */
static int
place(int fd, int want)
{
	if (fd < 0) {
		close(want);
		return 0;
	}
	return dup2(fd, want) == want ? 0 : -1;
}

/* Starts `self --net-child` with its socket and the listeners on fds 3,
 * 4 and 5; *sock gets tok's end of the socketpair. */
static int
spawn(const char *self, int v4, int v6, int *sock, pid_t *pid)
{
	int sv[2], a, b, c;
	pid_t p;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return KYSO_ERR_IO;
	if ((p = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return KYSO_ERR_IO;
	}
	if (p == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		a = fcntl(sv[1], F_DUPFD, 10);
		b = fcntl(v4, F_DUPFD, 10);
		c = v6 >= 0 ? fcntl(v6, F_DUPFD, 10) : -1;
		if (a < 0 || b < 0 || place(a, FD_TOK) != 0 ||
		    place(b, FD_V4) != 0 || place(c, FD_V6) != 0)
			_exit(127);
		/* Only 3, 4 and 5 cross the exec. */
		close(a);
		close(b);
		if (c >= 0)
			close(c);
		setenv("KYSO_AGENT_FDS", c >= 0 ? "3,4,5" : "3,4,-1", 1);
		execl(self, "kyso-agent", "--net-child", (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	*sock = sv[0];
	*pid = p;
	return 0;
}

/* Sleeps, when the last restarts came too fast, until one more is
 * allowed: a network side that dies at once must not spin. */
static void
pace(time_t *when, size_t *k)
{
	time_t now = time(NULL), oldest = when[*k % TOK_RESTARTS_PER_MINUTE];

	if (*k >= TOK_RESTARTS_PER_MINUTE && now - oldest < 60) {
		say("the network side keeps dying: waiting %lds before the next start",
		    (long)(60 - (now - oldest)));
		sleep((unsigned)(60 - (now - oldest)));
	}
	when[*k % TOK_RESTARTS_PER_MINUTE] = time(NULL);
	(*k)++;
}

/* Leaves the terminal: a new session, the standard descriptors on
 * /dev/null, messages to syslog. */
static int
detach(void)
{
	pid_t p;
	int fd;

	if ((p = fork()) < 0)
		return -1;
	if (p > 0)
		_exit(0);
	if (setsid() < 0)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		(void)dup2(fd, 0);
		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	openlog("kyso-agent", LOG_PID, LOG_USER);
	to_syslog = 1;
	return 0;
}

int
tok_supervise(const struct config *conf, int foreground)
{
	struct sigaction sa;
	struct tok *t = NULL;
	unsigned port;
	time_t when[TOK_RESTARTS_PER_MINUTE] = { 0 };
	size_t starts = 0;
	char *self = NULL;
	int v4 = -1, v6 = -1, sock = -1, err = 0, rc = 1, st;
	pid_t p;

	port = (unsigned)config_get_u64(conf, "agent_port", 1, 65535,
	    TOK_DEFAULT_PORT);
	if ((self = realpath("/proc/self/exe", NULL)) == NULL) {
		say("%s", _("cannot find the program's own path"));
		goto out;
	}
	if ((v4 = listen_on(AF_INET, port, &err)) < 0) {
		say(err == EADDRINUSE
			? _("port %u on 127.0.0.1 is already in use (is kyso-agent running already?)")
			: _("cannot listen on 127.0.0.1 port %u"),
		    port);
		goto out;
	}
	if ((v6 = listen_on(AF_INET6, port, &err)) < 0) {
		if (err == EADDRINUSE) {
			say(_("port %u on ::1 is already in use (is kyso-agent running already?)"),
			    port);
			goto out;
		}
		say("no IPv6 loopback: listening on 127.0.0.1 only");
	}
	if (!foreground && detach() != 0)
		goto out;
	if (tok_new(conf, &t) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	say("listening on 127.0.0.1:%u%s", port, v6 >= 0 ? " and [::1]" : "");
	while (!stop) {
		pace(when, &starts);
		if (stop)
			break;
		if (spawn(self, v4, v6, &sock, &p) != 0) {
			say("cannot start the network side");
			goto out;
		}
		child = p;
		if (starts > 1)
			say("network side started again (pid %ld)", (long)p);
		/* Returns when the network side is gone or misbehaved: a
		 * batch in progress has been abandoned by then. */
		if (tok_serve_fd(t, sock) != 0)
			say("dropped the network side: a malformed frame, or it died in the middle of one");
		close(sock);
		sock = -1;
		kill(p, SIGTERM);
		while (waitpid(p, &st, 0) < 0 && errno == EINTR)
			;
		child = -1;
		if (!stop)
			say("the network side ended (%s %d)",
			    WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	}
	rc = 0;
out:
	tok_free(t);
	if (v4 >= 0)
		close(v4);
	if (v6 >= 0)
		close(v6);
	free(self);
	return rc;
}
