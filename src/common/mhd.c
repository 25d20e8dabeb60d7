/* The libmicrohttpd glue the servers share (mhd.h). */
#include "mhd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "parse.h"

struct mhd_reply {
	struct MHD_Response *resp;
	int status;
	int failed; /* a header could not be added */
};

/* MHD's free callback for an answer's bytes: buf_free wipes them. */
static void
body_free(void *cls)
{
	buf_free(cls);
}

int
mhd_reply_new(int status, struct buf **body, struct mhd_reply **out)
{
	struct mhd_reply *r = calloc(1, sizeof(*r));
	struct buf *b = *body;
	size_t n = b != NULL ? buf_len(b) : 0;
	int ret = KYSO_ERR_NOMEM;

	*body = NULL;
	if (r == NULL)
		goto out;
	if (n != 0)
		r->resp = MHD_create_response_from_buffer_with_free_callback_cls(n,
		    (void *)buf_ptr(b), body_free, b);
	else
		r->resp = MHD_create_response_from_buffer(0, (void *)"",
		    MHD_RESPMEM_PERSISTENT);
	if (r->resp == NULL)
		goto out;
	if (n != 0)
		b = NULL; /* MHD's now */
	r->status = status;
	*out = r;
	r = NULL;
	ret = 0;
out:
	buf_free(b);
	mhd_reply_free(r);
	return ret;
}

void
mhd_reply_header(struct mhd_reply *r, const char *name, const char *value)
{
	if (value != NULL &&
	    MHD_add_response_header(r->resp, name, value) != MHD_YES)
		r->failed = 1;
}

enum MHD_Result
mhd_reply_queue(struct mhd_reply *r, struct MHD_Connection *c)
{
	enum MHD_Result ret = MHD_NO;

	if (r == NULL)
		return MHD_NO;
	mhd_reply_header(r, "Cache-Control", "no-store");
	mhd_reply_header(r, "X-Content-Type-Options", "nosniff");
	if (!r->failed)
		ret = MHD_queue_response(c, (unsigned)r->status, r->resp);
	mhd_reply_free(r);
	return ret;
}

void
mhd_reply_free(struct mhd_reply *r)
{
	if (r == NULL)
		return;
	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	free(r);
}

int
mhd_length_over(struct MHD_Connection *c, uint64_t cap)
{
	const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t len;

	if (cl == NULL)
		return 0;
	return parse_u64(cl, 0, UINT64_MAX, &len) != 0 || len > cap;
}

struct header_values {
	const char *name;
	const char **v;
	size_t max, n, total;
};

static enum MHD_Result
header_value(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct header_values *hv = cls;

	(void)kind;
	if (key == NULL || strcasecmp(key, hv->name) != 0)
		return MHD_YES;
	hv->total++;
	if (hv->max == 0)
		return MHD_YES;
	if (hv->n == hv->max) {
		memmove(hv->v, hv->v + 1, (hv->max - 1) * sizeof(hv->v[0]));
		hv->n--;
	}
	hv->v[hv->n++] = value != NULL ? value : "";
	return MHD_YES;
}

size_t
mhd_header_values(struct MHD_Connection *c, const char *name, const char **v,
    size_t max)
{
	struct header_values hv = { name, v, max, 0, 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, header_value, &hv);
	return hv.total;
}

int
mhd_peer(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa;
	const void *a;
	int af;

	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return KYSO_ERR_NOT_FOUND;
	if ((af = sa->sa_family) == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (af == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return KYSO_ERR_NOT_FOUND;
	if (inet_ntop(af, a, out, (socklen_t)len) == NULL)
		return KYSO_ERR_NOT_FOUND;
	return 0;
}

int
mhd_bound_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return KYSO_ERR_IO;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return KYSO_ERR_INVALID;
	return 0;
}

int
mhd_listen(const char *host, uint16_t port, int v6only, int *fd, uint16_t *bound)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	uint16_t got;
	int s = -1, one = 1, e, r = KYSO_ERR_INVALID;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof(*s6);
	} else {
		goto out;
	}
	r = KYSO_ERR_IO;
	if ((s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (ss.ss_family == AF_INET6 && v6only &&
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(s, (struct sockaddr *)&ss, sl) != 0 || listen(s, 128) != 0 ||
	    (r = mhd_bound_port(s, &got)) != 0)
		goto out;
	if (bound != NULL)
		*bound = got;
	*fd = s;
	s = -1;
	r = 0;
out:
	if (s >= 0) {
		e = errno;
		close(s);
		errno = e;
	}
	return r;
}
