/* Behind a reverse proxy (several kyso-ra instances behind HAProxy or
 * nginx): which client a request came from. A header that names the
 * client is believed only from a peer configured as a trusted proxy;
 * anyone else could write it. */
#ifndef KYSO_RA_PROXY_H
#define KYSO_RA_PROXY_H

#include <stddef.h>

#include "common/err.h"

#define PROXY_MAX_TRUSTED 32
/* header lines and addresses of one request looked at (the right-most) */
#define PROXY_MAX_HOPS	  32
#define PROXY_ADDR_LEN	  46 /* INET6_ADDRSTRLEN */

struct proxy;

/* list: "ADDR[,ADDR...]" (IPv4 or IPv6 addresses); header: the request
 * header that names the client (X-Forwarded-For when NULL). */
int proxy_new(const char *list, const char *header, struct proxy **out) KYSO_WUR;
void proxy_free(struct proxy *p);
const char *proxy_header(const struct proxy *p);
/* 1 when addr (text) is one of the trusted proxies. */
int proxy_trusted(const struct proxy *p, const char *addr);
/* The client of a request from peer: with a trusted peer, the right-most
 * address of the header's values (values[0..n), each a comma-separated
 * list, in the order the lines came) that is not a trusted proxy (the one
 * our own proxy appended), written in canonical form; otherwise, or when
 * that entry is not an address, the peer itself. */
void proxy_client(const struct proxy *p, const char *peer,
    const char *const *values, size_t n, char out[PROXY_ADDR_LEN]);

#endif
