/* The libmicrohttpd glue kyso's servers (kyso-ra, kyso-agent,
 * kyso-contract) share: an answer built from one buffer and queued with
 * the headers every kyso answer carries, the announced body length
 * checked against a cap, a repeated request header, the peer's address,
 * the listening socket. Each server keeps what is its own: its routes,
 * its Host/Origin checks, its TLS and daemon set-up, how it collects a
 * body. Never logs a body. */
#ifndef KYSO_MHD_H
#define KYSO_MHD_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "buf.h"
#include "err.h"

struct mhd_reply;

/* An answer with status; *body (NULL or empty: no body) is taken and
 * *body set to NULL, also on failure: MHD sends its bytes as they are and
 * buf_free wipes them once sent, so an answer leaves no copy. */
int mhd_reply_new(int status, struct buf **body, struct mhd_reply **out) KYSO_WUR;
/* Adds a header (MHD copies both strings); a NULL value adds nothing. A
 * header that cannot be added fails mhd_reply_queue: an answer is never
 * sent without one of its headers. */
void mhd_reply_header(struct mhd_reply *r, const char *name, const char *value);
/* Queues the answer on c with Cache-Control: no-store and
 * X-Content-Type-Options: nosniff, and frees r (NULL: MHD_NO). */
enum MHD_Result mhd_reply_queue(struct mhd_reply *r, struct MHD_Connection *c);
void mhd_reply_free(struct mhd_reply *r);
/* 1 when the request's Content-Length is not a number or is over cap
 * (the body can be refused before it is read), else 0. */
int mhd_length_over(struct MHD_Connection *c, uint64_t cap);
/* How many times the request header name came (any case); the last
 * max of their values (the lesser of the two counts), in the order they
 * came, in v (NULL when max is 0): of a repeated proxy header the
 * right-most lines count. */
size_t mhd_header_values(struct MHD_Connection *c, const char *name,
    const char **v, size_t max);
/* The peer's address as text (IPv4 or IPv6); KYSO_ERR_NOT_FOUND when MHD
 * knows none (out then holds no address). */
int mhd_peer(struct MHD_Connection *c, char *out, size_t len) KYSO_WUR;

/* A listening TCP socket (close-on-exec, SO_REUSEADDR) on host, an IPv4
 * or IPv6 literal, and port (0: a free one), so the port is known before
 * a daemon serves on it; with v6only an IPv6 socket takes IPv6 only (the
 * same port can then be had on IPv4 too). *bound, when not NULL, gets the
 * port. KYSO_ERR_INVALID when host is no address; KYSO_ERR_IO with errno
 * kept (EADDRINUSE: the port is taken) when it cannot be had. Handed to
 * MHD_start_daemon (MHD_OPTION_LISTEN_SOCKET), the socket is MHD's from
 * the call on, whether the daemon started or not: MHD_stop_daemon closes
 * it, and libmicrohttpd 0.9.75 closes it on some start failures (its
 * thread cannot be made) and not on others (no epoll). The caller never
 * closes it after that call: a socket left open by a failed start is
 * harmless, a second close may hit another thread's descriptor. */
int mhd_listen(const char *host, uint16_t port, int v6only, int *fd,
    uint16_t *bound) KYSO_WUR;
/* The port a socket is bound to. */
int mhd_bound_port(int fd, uint16_t *port) KYSO_WUR;

#endif
