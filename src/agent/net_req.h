/* A page's sign request ({"certificate"?, "items":[…]}) checked field by
 * field and written as a P_SIGN frame's fields. Anything the contract does
 * not name is refused: no PIN, path, module, URL or switch ever reaches
 * the token side. No server here: the fuzz target drives it alone. */
#ifndef KYSO_AGENT_NET_REQ_H
#define KYSO_AGENT_NET_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Items a batch, bytes a title or a text option. */
#define NET_MAX_ITEMS 100
#define NET_MAX_TEXT  200

/* Why a request is refused: an agent_err and the answer's message. */
struct net_why {
	int code;
	char msg[160];
};

/* Appends origin, the certificate id, the count and the items to frame
 * (after its type byte) and sets *count; KYSO_ERR_INVALID with *why set
 * for a request that is refused. has_tsa: kyso.conf names a time-stamp
 * server (B-T and B-LT may be asked). */
int net_sign_parse(const uint8_t *body, size_t len, const char *origin,
    int has_tsa, struct buf *frame, size_t *count, struct net_why *why) KYSO_WUR;

#endif
