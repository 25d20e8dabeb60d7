/* What the token side's files share (tok.c: the request loop and the
 * replies; tok_certs.c: certificates on the tokens; tok_batch.c: a
 * signing batch; tok_super.c: the supervisor). Not for other programs. */
#ifndef KYSO_AGENT_TOK_INT_H
#define KYSO_AGENT_TOK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "agent/pinentry.h"
#include "agent/proto.h"
#include "agent/tok.h"
#include "common/buf.h"

struct p11;

struct tok {
	const struct config *conf;
	const char *module;	 /* kyso.conf module; NULL: ours */
	const char *pinentry;	 /* $KYSO_PINENTRY, kyso.conf pinentry */
	unsigned dialog_timeout; /* seconds */
	struct p11 *p11;	 /* loaded at the first request */
	int fd;			 /* the network side */
	int dead;		 /* it closed or misbehaved */
	int in_batch;
	int cancelled; /* P_CANCEL during the batch */
	char *test_step;
};

/* A signing certificate on a plugged token (an end-entity one). */
struct tok_cert {
	struct buf *der;
	char label[33]; /* token label and serial, blanks cut */
	char serial[17];
	uint8_t id[64]; /* CKA_ID shared with its private key */
	size_t idlen;
	uint8_t sha256[32]; /* its id for the page */
	int valid_now;
	int64_t not_before; /* seconds since the epoch */
	int64_t not_after;
	char *cn;	     /* subject common name (may be NULL) */
	char serial_hex[80]; /* certificate serial, hex */
};

/* Every signing certificate on every plugged token, in a new array
 * (tok_certs_free); *n may be 0. */
int tok_certs(struct tok *t, struct tok_cert **out, size_t *n) KYSO_WUR;
void tok_certs_free(struct tok_cert *c, size_t n);
/* The module, loaded once for the process. */
int tok_p11(struct tok *t, struct p11 **out) KYSO_WUR;
/* True when any token is plugged in. */
int tok_any_token(struct tok *t);
/* True when a token with this serial is plugged in. */
int tok_token_present(struct tok *t, const char *serial);
/* An origin as net must pass it ("https://host[:port]", printable
 * ASCII): one that is not gets no dialog. */
int tok_origin_ok(const char *origin);
/* P_CERTS. */
int tok_do_certs(struct tok *t) KYSO_WUR;
/* P_SIGN with the rest of its payload in req. */
int tok_do_sign(struct tok *t, struct buf *req) KYSO_WUR;

/* Replies. */
int tok_send_error(struct tok *t, enum agent_err code, const char *msg) KYSO_WUR;
int tok_send_progress(struct tok *t, uint32_t index, enum proto_stage st) KYSO_WUR;
int tok_send_item(struct tok *t, uint32_t index, enum agent_err code,
    const char *msg, const uint8_t *data, size_t len) KYSO_WUR;
int tok_send_done(struct tok *t, enum agent_err code, uint32_t tries_left,
    const char *msg) KYSO_WUR;

/* A dialog's pinentry, with the network side watched while it is open
 * (a P_CANCEL during a batch, or the side going away, closes it). */
int tok_dialog_start(struct tok *t, struct pinentry **out) KYSO_WUR;
/* Reads what the network side sent during a batch, without blocking:
 * P_CANCEL marks the batch cancelled, another request is answered BUSY,
 * a closed or misbehaving side marks t dead. True when the batch should
 * stop (cancelled or dead). */
int tok_batch_interrupted(struct tok *t);

#endif
