/* The Assuan client for pinentry (pinentry.h). */
#include "agent/pinentry.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/secret.h"

/* Assuan's line limit (ASSUAN_LINELENGTH) without the CR LF. */
#define LINE_MAX_LEN 1000

/* GnuPG error codes (the low 16 bits of an ERR line's number). */
#define GPG_ERR_TIMEOUT	      62
#define GPG_ERR_CANCELED      99
#define GPG_ERR_NOT_CONFIRMED 114

struct pinentry {
	pid_t pid;
	int to;			  /* its stdin */
	int from;		  /* its stdout */
	struct timespec deadline; /* CLOCK_MONOTONIC */
	int watch_fd;
	pinentry_watch_fn watch;
	void *watch_ud;
	char in[LINE_MAX_LEN * 2]; /* what came and is not yet a line */
	size_t have;
};

/* Milliseconds to the dialog's deadline, 0 when past it. */
static int
ms_left(const struct pinentry *pe)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(pe->deadline.tv_sec - now.tv_sec) * 1000 +
	    (pe->deadline.tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 3600000 ? 3600000 : (int)ms;
}

/* Ends the program now: a dialog the user should no longer see. */
static void
kill_it(struct pinentry *pe)
{
	int i;

	if (pe->pid <= 0)
		return;
	kill(pe->pid, SIGTERM);
	/* One that ignores SIGTERM gets SIGKILL after half a second. */
	for (i = 0; i < 50; i++) {
		if (waitpid(pe->pid, NULL, WNOHANG) == pe->pid) {
			pe->pid = -1;
			return;
		}
		usleep(10000);
	}
	kill(pe->pid, SIGKILL);
	while (waitpid(pe->pid, NULL, 0) < 0 && errno == EINTR)
		;
	pe->pid = -1;
}

/* Writes one whole line; a pinentry that went away is KYSO_ERR_IO. */
static int
send_line(struct pinentry *pe, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(pe->to, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return KYSO_ERR_IO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next line (without its LF) into line (NUL-terminated), waiting no
 * longer than the deadline and reporting the watch's wish to abort.
 * *ans is left alone unless the wait ended without a line. */
static int
read_line(struct pinentry *pe, char *line, size_t cap, enum pinentry_answer *ans)
{
	struct pollfd pf[2];
	char *nl;
	size_t n;
	ssize_t got;
	int k, np;

	for (;;) {
		if ((nl = memchr(pe->in, '\n', pe->have)) != NULL) {
			n = (size_t)(nl - pe->in);
			if (n >= cap)
				return KYSO_ERR_TOO_LARGE;
			memcpy(line, pe->in, n);
			line[n] = '\0';
			memmove(pe->in, nl + 1, pe->have - n - 1);
			OPENSSL_cleanse(pe->in + pe->have - n - 1, n + 1);
			pe->have -= n + 1;
			return 0;
		}
		if (pe->have == sizeof(pe->in))
			return KYSO_ERR_TOO_LARGE;
		if ((k = ms_left(pe)) == 0) {
			*ans = PINENTRY_TIMEOUT;
			return 1;
		}
		pf[0].fd = pe->from;
		pf[0].events = POLLIN;
		np = 1;
		if (pe->watch != NULL && pe->watch_fd >= 0) {
			pf[1].fd = pe->watch_fd;
			pf[1].events = POLLIN;
			pf[1].revents = 0;
			np = 2;
		}
		if ((k = poll(pf, (nfds_t)np, k)) < 0) {
			if (errno == EINTR)
				continue;
			return KYSO_ERR_IO;
		}
		if (k == 0)
			continue;
		if (np == 2 && pf[1].revents != 0 && pe->watch(pe->watch_ud)) {
			*ans = PINENTRY_ABORT;
			return 1;
		}
		if (pf[0].revents == 0)
			continue;
		got = read(pe->from, pe->in + pe->have,
		    sizeof(pe->in) - pe->have);
		if (got < 0 && errno == EINTR)
			continue;
		if (got == 0) {
			*ans = PINENTRY_CLOSED;
			return 1;
		}
		if (got < 0)
			return KYSO_ERR_IO;
		pe->have += (size_t)got;
	}
}

/* Percent-decodes s in place (Assuan's %XX) and returns its length. */
static size_t
unescape(char *s)
{
	size_t i, o = 0;
	unsigned v;
	int k, d;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '%' && s[i + 1] != '\0' && s[i + 2] != '\0') {
			v = 0;
			for (k = 1; k <= 2; k++) {
				d = s[i + k];
				v = v * 16 +
				    (unsigned)(d >= '0' && d <= '9' ? d - '0'
					    : d >= 'a' && d <= 'f' ? d - 'a' + 10
					    : d >= 'A' && d <= 'F' ? d - 'A' + 10
								   : 0);
			}
			s[o++] = (char)v;
			i += 2;
		} else
			s[o++] = s[i];
	}
	s[o] = '\0';
	return o;
}

/* Reads lines until OK or ERR; D lines (the PIN) go into data, status
 * and comment lines are skipped, an INQUIRE is refused. *ans says how
 * the dialog ended; data is wiped on anything but PINENTRY_OK. */
static int
transact(struct pinentry *pe, enum pinentry_answer *ans, struct buf *data)
{
	char line[LINE_MAX_LEN + 8];
	unsigned long code;
	size_t n;
	char *end;
	int r;

	*ans = PINENTRY_OK;
	for (;;) {
		if ((r = read_line(pe, line, sizeof(line), ans)) != 0)
			break;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (strncmp(line, "OK", 2) == 0 &&
		    (line[2] == '\0' || line[2] == ' ')) {
			r = 0;
			break;
		}
		if (strncmp(line, "ERR ", 4) == 0) {
			code = strtoul(line + 4, &end, 10) & 0xffff;
			if (code == GPG_ERR_CANCELED ||
			    code == GPG_ERR_NOT_CONFIRMED) {
				*ans = PINENTRY_CANCEL;
				r = 0;
			} else if (code == GPG_ERR_TIMEOUT) {
				*ans = PINENTRY_TIMEOUT;
				r = 0;
			} else
				r = KYSO_ERR_INVALID;
			break;
		}
		if (strncmp(line, "D ", 2) == 0) {
			n = unescape(line + 2);
			r = data != NULL ? buf_put(data, line + 2, n) : 0;
			if (r != 0)
				break;
			continue;
		}
		if (strncmp(line, "INQUIRE", 7) == 0) {
			if ((r = send_line(pe, "CAN\n", 4)) != 0)
				break;
			continue;
		}
		/* "S ...", "# ...": nothing to do. */
	}
	OPENSSL_cleanse(line, sizeof(line));
	if (r == 1)
		r = 0; /* read_line's "ended without a line": *ans says how */
	if (*ans != PINENTRY_OK && data != NULL)
		buf_reset(data);
	if (*ans == PINENTRY_TIMEOUT || *ans == PINENTRY_ABORT)
		kill_it(pe);
	return r;
}

/* Sends a command line and waits for its OK; an answer other than OK
 * to a setting line is an error. */
static int
command(struct pinentry *pe, const char *line, size_t n)
{
	enum pinentry_answer ans;
	int r;

	if ((r = send_line(pe, line, n)) != 0)
		return r;
	if ((r = transact(pe, &ans, NULL)) != 0)
		return r;
	return ans == PINENTRY_OK ? 0 : KYSO_ERR_IO;
}

int
pinentry_start(const char *prog, unsigned timeout_s, struct pinentry **out)
{
	struct pinentry *pe = calloc(1, sizeof(*pe));
	enum pinentry_answer ans;
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
	char line[64];
	int r = KYSO_ERR_NOMEM;

	if (pe == NULL)
		return r;
	pe->pid = -1;
	pe->to = pe->from = pe->watch_fd = -1;
	if (prog == NULL || *prog == '\0')
		prog = "pinentry";
	clock_gettime(CLOCK_MONOTONIC, &pe->deadline);
	pe->deadline.tv_sec += timeout_s;
	r = KYSO_ERR_IO;
	if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0)
		goto out;
	if ((pe->pid = fork()) < 0)
		goto out;
	if (pe->pid == 0) {
		if (dup2(in_pipe[0], 0) < 0 || dup2(out_pipe[1], 1) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execlp(prog, prog, (char *)NULL);
		_exit(127);
	}
	close(in_pipe[0]);
	close(out_pipe[1]);
	in_pipe[0] = out_pipe[1] = -1;
	pe->to = in_pipe[1];
	pe->from = out_pipe[0];
	in_pipe[1] = out_pipe[0] = -1;
	/* The greeting: "OK Pleased to meet you". */
	if ((r = transact(pe, &ans, NULL)) != 0)
		goto out;
	if (ans != PINENTRY_OK) {
		r = KYSO_ERR_IO;
		goto out;
	}
	snprintf(line, sizeof(line), "SETTIMEOUT %u\n", timeout_s);
	if ((r = command(pe, line, strlen(line))) != 0)
		goto out;
	*out = pe;
	pe = NULL;
	r = 0;
out:
	if (in_pipe[0] >= 0)
		close(in_pipe[0]);
	if (in_pipe[1] >= 0)
		close(in_pipe[1]);
	if (out_pipe[0] >= 0)
		close(out_pipe[0]);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
	pinentry_free(pe);
	return r;
}

void
pinentry_watch(struct pinentry *pe, int fd, pinentry_watch_fn fn, void *ud)
{
	pe->watch_fd = fd;
	pe->watch = fn;
	pe->watch_ud = ud;
}

/* BYE lets the program close its window itself; one that does not exit
 * within a second is killed. */
void
pinentry_free(struct pinentry *pe)
{
	int i, st;

	if (pe == NULL)
		return;
	if (pe->to >= 0 && pe->pid > 0)
		(void)send_line(pe, "BYE\n", 4);
	if (pe->to >= 0)
		close(pe->to);
	/* Its stdout stays open until it is gone: its answer to BYE must
	 * not die of SIGPIPE. */
	for (i = 0; pe->pid > 0 && i < 100; i++) {
		if (waitpid(pe->pid, &st, WNOHANG) == pe->pid) {
			pe->pid = -1;
			break;
		}
		usleep(10000);
	}
	kill_it(pe);
	if (pe->from >= 0)
		close(pe->from);
	OPENSSL_cleanse(pe->in, sizeof(pe->in));
	free(pe);
}

int
pinentry_set(struct pinentry *pe, const char *cmd, const char *arg)
{
	const unsigned char *s = (const unsigned char *)arg;
	struct buf *b = NULL;
	size_t i, k, seq, need;
	int r = KYSO_ERR_NOMEM;

	if ((b = buf_new(LINE_MAX_LEN + 2)) == NULL)
		goto out;
	if ((r = buf_putf(b, "%s ", cmd)) != 0)
		goto out;
	for (i = 0; s[i] != '\0'; i += seq) {
		/* One character at a time (a UTF-8 sequence whole), cut
		 * where the next would not fit the line. */
		seq = s[i] >= 0xf0 ? 4
		    : s[i] >= 0xe0 ? 3
		    : s[i] >= 0xc0 ? 2
				   : 1;
		for (k = 1; k < seq; k++)
			if (s[i + k] == '\0')
				seq = k;
		need = s[i] == '%' || s[i] == '\n' || s[i] == '\r' ? 3 : seq;
		if (need > LINE_MAX_LEN - buf_len(b))
			break;
		if (need == 3 && seq == 1)
			r = buf_putf(b, "%%%02X", s[i]);
		else
			r = buf_put(b, s + i, seq);
		if (r != 0)
			goto out;
	}
	if ((r = buf_put_u8(b, '\n')) != 0)
		goto out;
	r = command(pe, (const char *)buf_ptr(b), buf_len(b));
out:
	buf_free(b);
	return r;
}

int
pinentry_confirm(struct pinentry *pe, enum pinentry_answer *ans)
{
	int r;

	if ((r = send_line(pe, "CONFIRM\n", 8)) != 0)
		return r;
	return transact(pe, ans, NULL);
}

int
pinentry_getpin(struct pinentry *pe, enum pinentry_answer *ans, char **pin)
{
	struct buf *b = NULL;
	enum pinentry_answer a;
	char *s = NULL;
	int r = KYSO_ERR_NOMEM;

	if ((b = buf_new(SECRET_MAX)) == NULL)
		goto out;
	if ((r = send_line(pe, "GETPIN\n", 7)) != 0)
		goto out;
	if ((r = transact(pe, &a, b)) != 0)
		goto out;
	if (a == PINENTRY_OK) {
		r = KYSO_ERR_INVALID; /* a PIN with a NUL in it */
		if ((s = buf_to_cstr(b)) == NULL)
			goto out;
		*pin = s;
	}
	*ans = a;
	r = 0;
out:
	buf_free(b);
	return r;
}
