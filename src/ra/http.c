#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/mhd.h"
#include "common/parse.h"
#include "logesc.h"
#include "proxy.h"

/* One TCP connection, for the request deadline: its request must be in
 * (headers and body) within the deadline from when it began. */
struct sock {
	struct sock *prev, *next;
	int fd;
	int64_t since; /* when the connection or its current request began */
	int answering; /* the request is in; its answer is on the way */
	int cut;       /* shut down by the reaper */
};

struct http {
	struct MHD_Daemon *d;
	http_handler fn;
	void *ud;
	uint16_t port;
	int fd;
	int access_log;
	struct http_limits lim;
	const char *tls_prio;
	const struct proxy *proxy; /* trusted proxies, or NULL */
	/* the connections, for the reaper thread */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct sock *socks;
	pthread_t reaper;
	int reaper_on, stopping;
};

struct conn {
	struct buf *body;
	int too_large;
	int answered; /* a response is queued already */
};

int
http_parse_listen(const char *listen, char *host, size_t hlen, uint16_t *port,
    int *loopback)
{
	const char *colon;
	size_t n;
	uint64_t p;
	struct in_addr a4;
	struct in6_addr a6;

	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');

		if (rb == NULL || rb[1] != ':')
			return KYSO_ERR_INVALID;
		n = (size_t)(rb - listen - 1);
		if (n >= hlen)
			return KYSO_ERR_INVALID;
		memcpy(host, listen + 1, n);
		host[n] = '\0';
		colon = rb + 1;
	} else {
		if ((colon = strrchr(listen, ':')) == NULL)
			return KYSO_ERR_INVALID;
		n = (size_t)(colon - listen);
		if (n >= hlen)
			return KYSO_ERR_INVALID;
		memcpy(host, listen, n);
		host[n] = '\0';
	}
	if (parse_u64(colon + 1, 0, 65535, &p) != 0)
		return KYSO_ERR_INVALID;
	*port = (uint16_t)p;
	if (inet_pton(AF_INET, host, &a4) == 1)
		*loopback = (ntohl(a4.s_addr) >> 24) == 127;
	else if (inet_pton(AF_INET6, host, &a6) == 1)
		*loopback = IN6_IS_ADDR_LOOPBACK(&a6);
	else
		return KYSO_ERR_INVALID;
	return 0;
}

static int64_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* The connection's entry (NOTIFY_CONNECTION made it), or NULL. */
static struct sock *
sock_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* A request is in: its answer is not held to the deadline (a slow
 * reader meets MHD's idle timeout instead). */
static void
sock_answering(struct http *h, struct MHD_Connection *c)
{
	struct sock *s = sock_of(c);

	if (s == NULL)
		return;
	pthread_mutex_lock(&h->lock);
	s->answering = 1;
	pthread_mutex_unlock(&h->lock);
}

/* Connections come and go: the reaper sees each one from accept to
 * close. MHD calls CLOSED before it closes the socket, and the reaper
 * shuts a socket down only under the lock, so it never touches a
 * descriptor number that a new connection has reused. */
static void
notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct sock *s = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
		    MHD_CONNECTION_INFO_CONNECTION_FD);

		if (ci == NULL || (s = calloc(1, sizeof(*s))) == NULL)
			return;
		s->fd = ci->connect_fd;
		s->since = now_mono();
		pthread_mutex_lock(&h->lock);
		s->next = h->socks;
		if (h->socks != NULL)
			h->socks->prev = s;
		h->socks = s;
		pthread_mutex_unlock(&h->lock);
		*socket_context = s;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && s != NULL) {
		pthread_mutex_lock(&h->lock);
		if (s->prev != NULL)
			s->prev->next = s->next;
		else
			h->socks = s->next;
		if (s->next != NULL)
			s->next->prev = s->prev;
		pthread_mutex_unlock(&h->lock);
		free(s);
		*socket_context = NULL;
	}
}

/* Issue 15: an idle timeout that any byte resets let one address hold
 * every connection with a byte every 30 s. Once a second, a connection
 * whose request is not in by the deadline is shut down; MHD then sees
 * the end of the stream and closes it. */
static void *
reaper_main(void *arg)
{
	struct http *h = arg;
	struct timespec ts;
	struct sock *s;
	int64_t now;

	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		now = now_mono();
		for (s = h->socks; s != NULL; s = s->next)
			if (!s->answering && !s->cut &&
			    now - s->since >= (int64_t)h->lim.deadline) {
				shutdown(s->fd, SHUT_RDWR);
				s->cut = 1;
			}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		while (pthread_cond_timedwait(&h->wake, &h->lock, &ts) == 0 &&
		    !h->stopping)
			;
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct conn *cs = *con_cls;
	struct sock *s = sock_of(c);

	(void)toe;
	/* The next request on a kept-alive connection has its own
	 * deadline. */
	if (s != NULL) {
		pthread_mutex_lock(&h->lock);
		s->since = now_mono();
		s->answering = 0;
		pthread_mutex_unlock(&h->lock);
	}
	if (cs == NULL)
		return;
	buf_free(cs->body);
	free(cs);
	*con_cls = NULL;
}

/* The answer's bytes go to MHD as they are (rs->body is then NULL) and
 * are wiped when MHD has sent them: an unblock answer leaves no copy. */
static enum MHD_Result
reply(struct MHD_Connection *c, struct http_resp *rs)
{
	struct mhd_reply *r;

	if (mhd_reply_new(rs->status, &rs->body, &r) != 0)
		return MHD_NO;
	mhd_reply_header(r, "Content-Type", rs->content_type);
	mhd_reply_header(r, "Allow", rs->allow);
	return mhd_reply_queue(r, c);
}

/* The client's address: the peer's, or what a trusted proxy says. */
static void
client_address(struct http *h, struct MHD_Connection *c, char out[PROXY_ADDR_LEN])
{
	char peer[INET6_ADDRSTRLEN];
	const char *v[PROXY_MAX_HOPS];
	size_t n;

	if (mhd_peer(c, peer, sizeof(peer)) != 0)
		snprintf(peer, sizeof(peer), "?");
	if (h->proxy == NULL || !proxy_trusted(h->proxy, peer)) {
		snprintf(out, PROXY_ADDR_LEN, "%s", peer);
		return;
	}
	/* The lines of the proxy's header, in the order they came: the
	 * last PROXY_MAX_HOPS of them, the right-most entries count. */
	n = mhd_header_values(c, proxy_header(h->proxy), v, PROXY_MAX_HOPS);
	proxy_client(h->proxy, peer, v, n < PROXY_MAX_HOPS ? n : PROXY_MAX_HOPS,
	    out);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct conn *cs = *con_cls;
	struct http_req rq;
	struct http_resp rs;
	char remote[PROXY_ADDR_LEN];
	enum MHD_Result ret;

	(void)version;
	if (cs == NULL) {
		if ((cs = calloc(1, sizeof(*cs))) == NULL)
			return MHD_NO;
		if ((cs->body = buf_new(HTTP_MAX_BODY)) == NULL) {
			free(cs);
			return MHD_NO;
		}
		*con_cls = cs;
		if (mhd_length_over(c, HTTP_MAX_BODY)) {
			/* Answer now: MHD then closes the connection instead of
			 * reading a body that is refused anyway. */
			static const char big[] = "{\"error\":\"too_large\","
						  "\"message\":\"the request body is larger than "
						  "64 KiB\"}";

			memset(&rs, 0, sizeof(rs));
			rs.status = 413;
			rs.content_type = "application/json";
			if ((rs.body = buf_new(0)) == NULL ||
			    buf_put(rs.body, big, sizeof(big) - 1) != 0) {
				buf_free(rs.body);
				return MHD_NO;
			}
			cs->too_large = 1;
			cs->answered = 1;
			sock_answering(h, c);
			ret = reply(c, &rs);
			buf_free(rs.body);
			return ret;
		}
		return MHD_YES;
	}
	if (cs->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (!cs->too_large &&
		    buf_put(cs->body, upload_data, *upload_size) != 0)
			cs->too_large = 1;
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	client_address(h, c, remote);
	rq.method = method;
	rq.path = url;
	rq.query_q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "q");
	rq.remote = remote;
	rq.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Authorization");
	rq.content_type = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Content-Type");
	rq.body = buf_ptr(cs->body);
	rq.body_len = buf_len(cs->body);
	rq.too_large = cs->too_large;
	rs.status = 500;
	sock_answering(h, c);
	h->fn(h->ud, &rq, &rs);
	/* The access log: never a body or a query (they may carry secrets);
	 * a path carries at most an id, a serial or an OCSP request. The
	 * method and path are the client's: escaped, one line per request. */
	if (h->access_log) {
		char em[LOG_ESCAPE_SIZE(16)], ep[LOG_ESCAPE_SIZE(200)];

		log_escape(method, 16, em, sizeof(em));
		log_escape(url, 200, ep, sizeof(ep));
		fprintf(stderr, "kyso-ra: %s %s %s %d\n", remote, em, ep,
		    rs.status);
	}
	ret = reply(c, &rs);
	buf_free(rs.body);
	return ret;
}

int
http_bind(const char *listen_addr, struct http **out)
{
	struct http *h = calloc(1, sizeof(*h));
	char host[64];
	uint16_t port;
	int loop, r;

	if (h == NULL)
		return KYSO_ERR_NOMEM;
	h->fd = -1;
	h->lim.max_connections = HTTP_DEFAULT_CONNECTIONS;
	h->lim.per_address = HTTP_DEFAULT_PER_ADDRESS;
	h->lim.deadline = HTTP_DEFAULT_DEADLINE;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	if ((r = http_parse_listen(listen_addr, host, sizeof(host), &port,
		 &loop)) != 0 ||
	    (r = mhd_listen(host, port, 0, &h->fd, &h->port)) != 0)
		goto fail;
	*out = h;
	return 0;
fail:
	http_stop(h);
	return r;
}

int
http_run(struct http *h, const char *cert_pem, const char *key_pem,
    http_handler fn, void *ud)
{
	/* Issue 15: in a thread pool each thread accepts for itself, and
	 * one thread often took both connections of a two-client run while
	 * a core idled (half the rate). A thread per connection spreads
	 * them by construction; the connection limits bound the threads,
	 * and database connections come from a pool (db.c), not a thread.
	 * MHD_USE_ITC, and select() rather than poll(): at the connection
	 * limit the listening thread then stops accepting until a
	 * connection's thread ends (a further client waits in the
	 * backlog); libmicrohttpd 0.9.75's poll() loop for a thread per
	 * connection accepts and closes at once (ra/conn_limit). select()
	 * takes descriptors below FD_SETSIZE (1024): hence
	 * HTTP_MAX_CONNECTIONS over both listeners (cmd_serve.c). */
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[4] = { { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL } };

	h->fn = fn;
	h->ud = ud;
	if (cert_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			fprintf(stderr, "kyso-ra: libmicrohttpd has no TLS\n");
			return KYSO_ERR_UNSUPPORTED;
		}
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
			(void *)key_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
			(void *)cert_pem };
		/* issue 15: TLS 1.0/1.1 and CBC-SHA1 suites were accepted */
		tls[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)(h->tls_prio ? h->tls_prio
					     : HTTP_TLS_PRIORITIES) };
	}
	if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0)
		return KYSO_ERR_NOMEM;
	h->reaper_on = 1;
	/* The idle timeout stays for a slow reader of an answer; the
	 * deadline (reaper_main) bounds how long a request may take to
	 * arrive, and one address holds at most per_address connections. */
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, h,
	    MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, h, MHD_OPTION_NOTIFY_CONNECTION, notify_conn, h,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_LIMIT, h->lim.max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->lim.per_address,
	    MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	/* MHD owns the socket now, started or not: when it fails to start
	 * it may have closed it already (left as it is: a descriptor open
	 * until the program ends, never one closed twice). */
	h->fd = -1;
	if (h->d == NULL)
		return KYSO_ERR_IO;
	return 0;
}

void
http_set_limits(struct http *h, const struct http_limits *lim)
{
	h->lim = *lim;
}

void
http_set_tls_priorities(struct http *h, const char *prio)
{
	h->tls_prio = prio;
}

void
http_set_proxy(struct http *h, const struct proxy *p)
{
	h->proxy = p;
}

void
http_access_log(struct http *h, int on)
{
	h->access_log = on;
}

uint16_t
http_port(const struct http *h)
{
	return h->port;
}

void
http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	if (h->reaper_on) {
		pthread_mutex_lock(&h->lock);
		h->stopping = 1;
		pthread_cond_signal(&h->wake);
		pthread_mutex_unlock(&h->lock);
		pthread_join(h->reaper, NULL);
	}
	if (h->fd >= 0)
		close(h->fd);
	pthread_cond_destroy(&h->wake);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
