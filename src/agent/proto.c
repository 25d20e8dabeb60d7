/* Frames between kyso-agent's network side and token side (proto.h). */
#include "agent/proto.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static const char *const names[] = {
	[AGENT_OK] = "OK",
	[AGENT_USER_CANCELLED] = "USER_CANCELLED",
	[AGENT_PIN_INCORRECT] = "PIN_INCORRECT",
	[AGENT_PIN_LOCKED] = "PIN_LOCKED",
	[AGENT_TOKEN_ABSENT] = "TOKEN_ABSENT",
	[AGENT_CERT_EXPIRED] = "CERT_EXPIRED",
	[AGENT_ORIGIN_DENIED] = "ORIGIN_DENIED",
	[AGENT_BUSY] = "BUSY",
	[AGENT_TOO_LARGE] = "TOO_LARGE",
	[AGENT_BAD_REQUEST] = "BAD_REQUEST",
	[AGENT_TIMEOUT] = "TIMEOUT",
	[AGENT_NOT_FOUND] = "NOT_FOUND",
	[AGENT_SIGN_FAILED] = "SIGN_FAILED",
	[AGENT_INTERNAL] = "INTERNAL",
};

const char *
agent_err_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[code];
}

/* write(2) until all n bytes are out; EINTR is retried. */
static int
write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return KYSO_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* read(2) until all n bytes are in; *got says how many came before EOF. */
static int
read_all(int fd, uint8_t *p, size_t n, size_t *got)
{
	ssize_t r;

	*got = 0;
	while (*got < n) {
		r = read(fd, p + *got, n - *got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return KYSO_ERR_IO;
		if (r == 0)
			return *got == 0 ? KYSO_ERR_NOT_FOUND
					 : KYSO_ERR_TRUNCATED;
		*got += (size_t)r;
	}
	return 0;
}

int
proto_send(int fd, const struct buf *payload)
{
	size_t n = buf_len(payload);
	uint8_t hdr[4];
	int r;

	if (n == 0 || n > PROTO_MAX_FRAME)
		return KYSO_ERR_TOO_LARGE;
	hdr[0] = (uint8_t)(n >> 24);
	hdr[1] = (uint8_t)(n >> 16);
	hdr[2] = (uint8_t)(n >> 8);
	hdr[3] = (uint8_t)n;
	if ((r = write_all(fd, hdr, sizeof(hdr))) != 0)
		return r;
	return write_all(fd, buf_ptr(payload), n);
}

int
proto_recv(int fd, size_t cap, struct buf **out)
{
	struct buf *b = NULL;
	uint8_t hdr[4], *dst;
	size_t n, got;
	int r;

	if ((r = read_all(fd, hdr, sizeof(hdr), &got)) != 0)
		return r;
	n = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 |
	    hdr[3];
	if (n == 0)
		return KYSO_ERR_INVALID;
	if (n > cap || n > PROTO_MAX_FRAME)
		return KYSO_ERR_TOO_LARGE;
	r = KYSO_ERR_NOMEM;
	if ((b = buf_new(n)) == NULL)
		goto out;
	if ((r = buf_reserve(b, n, &dst)) != 0)
		goto out;
	if ((r = read_all(fd, dst, n, &got)) != 0) {
		if (r == KYSO_ERR_NOT_FOUND)
			r = KYSO_ERR_TRUNCATED;
		goto out;
	}
	*out = b;
	b = NULL;
	r = 0;
out:
	buf_free(b);
	return r;
}

int
proto_begin(enum proto_type type, struct buf **out)
{
	struct buf *b;
	int r;

	if ((b = buf_new(PROTO_MAX_FRAME)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = buf_put_u8(b, (uint8_t)type)) != 0) {
		buf_free(b);
		return r;
	}
	*out = b;
	return 0;
}
