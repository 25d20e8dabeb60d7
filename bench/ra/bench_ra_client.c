/* bench_ra_client: the HTTP load of bench/ra, cheap enough not to compete
 * with the servers it measures for the machine's CPUs (the Python clients
 * it replaces spent about as much CPU per request as kyso-ra did).
 *
 *   bench_ra_client issue URL BODIES CONNECTIONS
 *     POSTs each line of BODIES (a JSON body) once, the lines dealt out
 *     over CONNECTIONS processes with one keep-alive connection each;
 *     every answer must be HTTP 200 and hold a PEM certificate. Prints
 *     the certificates per second.
 *   bench_ra_client ocsp URL REQUEST.der MILLISECONDS PROCS
 *     POSTs one OCSP request over and over from PROCS processes for
 *     MILLISECONDS (a new connection when the server closes one); every answer
 *     must be HTTP 200 with a successful OCSPResponse. Prints the
 *     responses per second.
 *
 * Every request is written out whole before the clock starts; the
 * processes connect first and start together. Only successful answers
 * count: any other one stops the run with an error (exit 1). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/parse.h"

#define RESP_CAP   (1u << 20) /* an answer larger than this is an error */
#define BODY_CAP   (1u << 20)
#define PROCS_MAX  64
#define BODIES_MAX 1000000

enum mode { MODE_ISSUE, MODE_OCSP };

struct target {
	char host[256];
	char port[16];
	const char *path;
	struct addrinfo *ai;
};

/* What a response reader keeps between answers on one connection. */
struct conn {
	int fd;
	uint8_t *in; /* RESP_CAP bytes */
	size_t len;  /* bytes in `in` */
	size_t pos;  /* first byte not yet used */
	uint8_t *body;
	size_t body_len;
};

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
target_parse(const char *url, struct target *t)
{
	const char *p, *host, *colon, *slash;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	host = url + 7;
	slash = strchr(host, '/');
	t->path = slash ? slash : "/";
	colon = memchr(host, ':', slash ? (size_t)(slash - host) : strlen(host));
	p = colon ? colon : (slash ? slash : host + strlen(host));
	n = (size_t)(p - host);
	if (n == 0 || n >= sizeof(t->host))
		return -1;
	memcpy(t->host, host, n);
	t->host[n] = '\0';
	if (colon) {
		n = (size_t)((slash ? slash : colon + strlen(colon)) - colon - 1);
		if (n == 0 || n >= sizeof(t->port))
			return -1;
		memcpy(t->port, colon + 1, n);
		t->port[n] = '\0';
	} else {
		memcpy(t->port, "80", 3);
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM };
	return getaddrinfo(t->host, t->port, &hints, &t->ai) == 0 ? 0 : -1;
}

/* The whole HTTP request for one body, head and body in one buffer (one
 * write, as a real client sends it). */
static struct buf *
request_make(const struct target *t, const char *ctype, const void *body, size_t n)
{
	struct buf *b = buf_new(n + 1024);

	if (b == NULL)
		return NULL;
	if (buf_putf(b,
		"POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: %s\r\n"
		"Connection: keep-alive\r\nContent-Length: %zu\r\n\r\n",
		t->path, t->host, t->port, ctype, n) != 0 ||
	    buf_put(b, body, n) != 0) {
		buf_free(b);
		return NULL;
	}
	return b;
}

static int
conn_open(struct conn *c, const struct target *t)
{
	int one = 1;

	c->fd = socket(t->ai->ai_family, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, t->ai->ai_addr, t->ai->ai_addrlen) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->len = c->pos = 0;
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = c->pos = 0;
}

/* Reads more into c->in; 1 on data, 0 at the end of the stream, -1 on an
 * error or a full buffer. Used bytes are moved out first. */
static int
conn_fill(struct conn *c)
{
	ssize_t r;

	if (c->pos > 0) {
		memmove(c->in, c->in + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	if (c->len == RESP_CAP)
		return -1;
	do
		r = read(c->fd, c->in + c->len, RESP_CAP - c->len);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	c->len += (size_t)r;
	return r > 0;
}

static int
conn_send(struct conn *c, const struct buf *req)
{
	const uint8_t *p = buf_ptr(req);
	size_t n = buf_len(req);

	while (n > 0) {
		ssize_t w = write(c->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Offset of pat at or after `from` in the unread bytes, or -1. */
static long
find_at(const struct conn *c, size_t from, const char *pat, size_t plen)
{
	const uint8_t *h = c->in + c->pos, *m;
	size_t n = c->len - c->pos;

	if (from > n)
		return -1;
	m = memmem(h + from, n - from, pat, plen);
	return m ? (long)(m - h) : -1;
}

static int
body_add(struct conn *c, const uint8_t *p, size_t n)
{
	if (n > BODY_CAP - c->body_len)
		return -1;
	memcpy(c->body + c->body_len, p, n);
	c->body_len += n;
	return 0;
}

/* Reads one answer into c->body; sets *status and *close_after. */
static int
conn_answer(struct conn *c, int *status, int *close_after)
{
	long hend, eol;
	uint64_t clen = UINT64_MAX;
	int chunked = 0;
	size_t off;

	while ((hend = find_at(c, 0, "\r\n\r\n", 4)) < 0)
		if (conn_fill(c) != 1)
			return -1;
	const char *h = (const char *)c->in + c->pos;
	if (hend < 12 || memcmp(h, "HTTP/1.", 7) != 0)
		return -1;
	*status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
	/* HTTP/1.0 (openssl ocsp's responder) closes unless told otherwise */
	*close_after = h[7] == '0';
	eol = find_at(c, 0, "\r\n", 2);
	while (eol < hend) {
		size_t ls = (size_t)eol + 2;
		long le = find_at(c, ls, "\r\n", 2);
		const char *l = h + ls;
		size_t ll = (size_t)(le - (long)ls);
		if (ll > 15 && strncasecmp(l, "content-length:", 15) == 0) {
			char num[32];
			size_t k = 15;
			while (k < ll && l[k] == ' ')
				k++;
			if (ll - k == 0 || ll - k >= sizeof(num))
				return -1;
			memcpy(num, l + k, ll - k);
			num[ll - k] = '\0';
			if (parse_u64(num, 0, BODY_CAP, &clen) != 0)
				return -1;
		} else if (ll > 11 && strncasecmp(l, "connection:", 11) == 0) {
			*close_after = memmem(l, ll, "lose", 4) != NULL;
		} else if (ll > 18 &&
		    strncasecmp(l, "transfer-encoding:", 18) == 0) {
			chunked = memmem(l, ll, "chunked", 7) != NULL;
		}
		eol = le;
	}
	c->pos += (size_t)hend + 4;
	c->body_len = 0;
	if (chunked) {
		for (;;) {
			while ((eol = find_at(c, 0, "\r\n", 2)) < 0)
				if (conn_fill(c) != 1)
					return -1;
			size_t sz = 0;
			for (long k = 0; k < eol; k++) {
				int d = hex_digit(c->in[c->pos + (size_t)k]);
				if (d < 0)
					break;
				if (sz > BODY_CAP)
					return -1;
				sz = sz * 16 + (size_t)d;
			}
			off = (size_t)eol + 2;
			while (c->len - c->pos < off + sz + 2)
				if (conn_fill(c) != 1)
					return -1;
			if (body_add(c, c->in + c->pos + off, sz) != 0)
				return -1;
			c->pos += off + sz + 2; /* no trailers expected */
			if (sz == 0)
				return 0;
		}
	}
	if (clen == UINT64_MAX) { /* the body runs to the end of the stream */
		int r;
		while ((r = conn_fill(c)) == 1)
			;
		if (r < 0)
			return -1;
		*close_after = 1;
		clen = c->len - c->pos;
	}
	while (c->len - c->pos < clen)
		if (conn_fill(c) != 1)
			return -1;
	if (body_add(c, c->in + c->pos, (size_t)clen) != 0)
		return -1;
	c->pos += (size_t)clen;
	return 0;
}

/* responseStatus successful (ENUMERATED 0) right after the outer
 * SEQUENCE's header. */
static int
ocsp_ok(const uint8_t *p, size_t n)
{
	size_t hl;

	if (n < 2 || p[0] != 0x30)
		return 0;
	hl = p[1] < 0x80 ? 2 : 2 + (size_t)(p[1] & 0x7f);
	return n >= hl + 3 && memcmp(p + hl, "\x0a\x01\x00", 3) == 0;
}

static int
answer_ok(enum mode m, const struct conn *c)
{
	if (m == MODE_OCSP)
		return ocsp_ok(c->body, c->body_len);
	return memmem(c->body, c->body_len, "BEGIN CERTIFICATE", 17) != NULL;
}

/* One client process: requests reqs[first], reqs[first + step], ... once
 * (issue) or reqs[0] until the deadline (ocsp). Returns the count of
 * successful answers, or -1 after printing why. */
static long
worker(enum mode m, const struct target *t, struct buf **reqs, size_t nreq,
    size_t first, size_t step, double secs, int ready_fd, int go_fd)
{
	struct conn c = { .fd = -1 };
	long count = -1, n = 0;
	double deadline;
	char b = 'r';
	int status, close_after;

	c.in = malloc(RESP_CAP);
	c.body = malloc(BODY_CAP);
	if (c.in == NULL || c.body == NULL || conn_open(&c, t) != 0) {
		fprintf(stderr, "bench_ra_client: cannot connect to %s:%s\n",
		    t->host, t->port);
		b = 'e'; /* the parent stops the others */
		(void)!write(ready_fd, &b, 1);
		goto out;
	}
	if (write(ready_fd, &b, 1) != 1 || read(go_fd, &b, 1) != 0)
		goto out;
	deadline = now_s() + secs;
	for (size_t i = first; m == MODE_OCSP || i < nreq; i += step) {
		const struct buf *req = reqs[m == MODE_OCSP ? 0 : i];
		if (m == MODE_OCSP && now_s() >= deadline)
			break;
		if (c.fd < 0 && conn_open(&c, t) != 0) {
			fprintf(stderr, "bench_ra_client: cannot connect\n");
			goto out;
		}
		if (conn_send(&c, req) != 0 ||
		    conn_answer(&c, &status, &close_after) != 0) {
			fprintf(stderr,
			    "bench_ra_client: no answer (request %zu)\n", i);
			goto out;
		}
		if (status != 200 || !answer_ok(m, &c)) {
			int shown = c.body_len < 200 ? (int)c.body_len : 200;
			if (m == MODE_OCSP)
				fprintf(stderr,
				    "bench_ra_client: HTTP %d, OCSP status not successful\n",
				    status);
			else
				fprintf(stderr,
				    "bench_ra_client: HTTP %d: %.*s\n", status,
				    shown, (const char *)c.body);
			goto out;
		}
		n++;
		if (close_after)
			conn_close(&c);
	}
	count = n;
out:
	conn_close(&c);
	free(c.in);
	free(c.body);
	return count;
}

static int
read_file(const char *path, struct buf **out)
{
	FILE *f = fopen(path, "rb");
	struct buf *b = buf_new(64u << 20);
	uint8_t chunk[65536];
	size_t n;
	int r = -1;

	if (f == NULL || b == NULL)
		goto out;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_put(b, chunk, n) != 0)
			goto out;
	if (ferror(f))
		goto out;
	*out = b;
	b = NULL;
	r = 0;
out:
	if (f)
		fclose(f);
	buf_free(b);
	return r;
}

/* One request per non-empty line of the file (issue) or one request of
 * the whole file (ocsp). */
static int
requests_make(enum mode m, const struct target *t, const char *path,
    struct buf ***out, size_t *nout)
{
	struct buf *file = NULL, **reqs = NULL;
	size_t n = 0, cap = 0;
	int r = -1;

	if (read_file(path, &file) != 0) {
		fprintf(stderr, "bench_ra_client: cannot read %s\n", path);
		goto out;
	}
	const char *p = (const char *)buf_ptr(file), *end = p + buf_len(file);
	while (p < end) {
		const char *nl = m == MODE_OCSP
		    ? end
		    : memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl > p) {
			if (n == cap) {
				struct buf **nr;
				cap = cap ? cap * 2 : 256;
				if (cap > BODIES_MAX ||
				    !(nr = realloc(reqs, cap * sizeof(*reqs))))
					goto out;
				reqs = nr;
			}
			reqs[n] = request_make(t,
			    m == MODE_OCSP ? "application/ocsp-request"
					   : "application/json",
			    p, (size_t)(nl - p));
			if (reqs[n] == NULL)
				goto out;
			n++;
		}
		p = nl + 1;
	}
	if (n == 0)
		goto out;
	*out = reqs;
	*nout = n;
	reqs = NULL;
	n = 0;
	r = 0;
out:
	for (size_t i = 0; i < n; i++)
		buf_free(reqs[i]);
	free(reqs);
	buf_free(file);
	return r;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_ra_client issue URL BODIES CONNECTIONS\n"
	    "       bench_ra_client ocsp URL REQUEST.der MILLISECONDS PROCS\n");
}

int
main(int argc, char **argv)
{
	struct target t = { 0 };
	struct buf **reqs = NULL;
	size_t nreq = 0;
	uint64_t procs = 0, ms = 0;
	enum mode m;
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, res[2] = { -1, -1 };
	pid_t pids[PROCS_MAX];
	size_t started = 0;
	long total = 0;
	int failed = 0, rc = 1;
	double t0 = 0, t1;

	if (argc == 5 && strcmp(argv[1], "issue") == 0) {
		m = MODE_ISSUE;
		if (parse_u64(argv[4], 1, PROCS_MAX, &procs) != 0)
			goto bad;
	} else if (argc == 6 && strcmp(argv[1], "ocsp") == 0) {
		m = MODE_OCSP;
		if (parse_u64(argv[4], 1, 3600000, &ms) != 0 ||
		    parse_u64(argv[5], 1, PROCS_MAX, &procs) != 0)
			goto bad;
	} else {
		goto bad;
	}
	if (target_parse(argv[2], &t) != 0) {
		fprintf(stderr, "bench_ra_client: bad URL %s\n", argv[2]);
		goto out;
	}
	if (requests_make(m, &t, argv[3], &reqs, &nreq) != 0)
		goto out;
	if (pipe(ready) != 0 || pipe(go) != 0 || pipe(res) != 0)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			goto reap;
		if (pid == 0) {
			long n;
			close(go[1]);
			n = worker(m, &t, reqs, nreq, i, procs,
			    (double)ms / 1000, ready[1], go[0]);
			if (n >= 0 &&
			    write(res[1], &n, sizeof(n)) == (ssize_t)sizeof(n))
				_exit(0);
			_exit(1);
		}
		pids[started++] = pid;
	}
	for (size_t i = 0; i < started; i++) {
		char b;
		if (read(ready[0], &b, 1) != 1 || b != 'r') {
			failed = 1;
			break;
		}
	}
reap:
	if (failed || started < procs)
		for (size_t i = 0; i < started; i++)
			kill(pids[i], SIGTERM);
	t0 = now_s();
	close(go[1]); /* every process starts at this EOF */
	go[1] = -1;
	for (size_t i = 0; i < started; i++) {
		int st;
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			failed = 1;
	}
	t1 = now_s();
	if (failed || started < procs)
		goto out;
	for (size_t i = 0; i < started; i++) {
		long n;
		if (read(res[0], &n, sizeof(n)) != (ssize_t)sizeof(n))
			goto out;
		total += n;
	}
	printf(m == MODE_OCSP ? "%.0f\n" : "%.1f\n", (double)total / (t1 - t0));
	rc = 0;
	goto out;
bad:
	usage();
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	for (size_t i = 0; i < nreq; i++)
		buf_free(reqs[i]);
	free(reqs);
	if (t.ai)
		freeaddrinfo(t.ai);
	return rc;
}
