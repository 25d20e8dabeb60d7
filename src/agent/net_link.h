/* The network side's end of the socketpair to the token side: requests
 * answered in order, one at a time, and a signing batch whose frames
 * (P_PROGRESS, P_ITEM, P_DONE) arrive while it runs. A reader thread owns
 * the socket's read end. */
#ifndef KYSO_AGENT_NET_LINK_H
#define KYSO_AGENT_NET_LINK_H

#include "agent/proto.h"

struct link;

/* A batch frame from the token side, or NULL when the token side went away
 * in the middle of the batch (then it is over). Called from the reader
 * thread; the frame is freed after it returns. */
typedef void (*link_batch_fn)(void *ud, struct buf *frame);

/* Takes fd; starts the reader thread. */
int link_new(int fd, struct link **out) KYSO_WUR;
void link_free(struct link *l);
/* Sends req and waits for its answer (after any request in flight).
 * KYSO_ERR_BUSY while a batch runs, KYSO_ERR_IO when the token side is
 * gone. */
int link_call(struct link *l, const struct buf *req, struct buf **reply) KYSO_WUR;
/* Starts a batch: sends req (a P_SIGN); fn gets its frames until P_DONE.
 * KYSO_ERR_BUSY when a batch runs already. */
int link_batch(struct link *l, const struct buf *req, link_batch_fn fn,
    void *ud) KYSO_WUR;
/* 1 while a batch runs. */
int link_batch_running(struct link *l);
/* Sends P_CANCEL when a batch runs; 0 when there is none. */
int link_cancel(struct link *l) KYSO_WUR;
/* Shuts the socket: the reader ends, every waiter wakes with the token
 * side gone. */
void link_close(struct link *l);
/* Waits up to ms milliseconds for the token side to go; 1 when it has. */
int link_wait_gone(struct link *l, unsigned ms);

#endif
