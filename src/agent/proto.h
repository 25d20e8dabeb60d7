/* kyso-agent's two processes talk in frames over a socketpair: the network
 * side (HTTP, JSON, pages) sends validated requests, the token side (the
 * PKCS#11 session, the PIN dialog) answers. A frame is a big-endian u32
 * length and that many bytes; the payload is a u8 type and fields written
 * with buf_put_u32 / buf_put_string (common/buf.h). docs/internals/agent.md
 * lists each message's fields. */
#ifndef KYSO_AGENT_PROTO_H
#define KYSO_AGENT_PROTO_H

#include <stddef.h>

#include "common/buf.h"

/* Room for a 64 MiB batch decoded from base64, with its titles and options. */
#define PROTO_MAX_FRAME ((size_t)96 * 1024 * 1024)

enum proto_type {
	/* network side -> token side */
	P_CERTS = 1,
	P_APPROVE = 2,
	P_SIGN = 3,
	P_CANCEL = 4,
	/* token side -> network side */
	P_CERTS_OK = 64,
	P_APPROVE_OK = 65,
	P_PROGRESS = 66,
	P_ITEM = 67,
	P_DONE = 68,
	P_ERROR = 69,
};

/* What a page can act on; the same names in the JSON answers. */
enum agent_err {
	AGENT_OK = 0,
	AGENT_USER_CANCELLED = 1,
	AGENT_PIN_INCORRECT = 2,
	AGENT_PIN_LOCKED = 3,
	AGENT_TOKEN_ABSENT = 4,
	AGENT_CERT_EXPIRED = 5,
	AGENT_ORIGIN_DENIED = 6,
	AGENT_BUSY = 7,
	AGENT_TOO_LARGE = 8,
	AGENT_BAD_REQUEST = 9,
	AGENT_TIMEOUT = 10,
	AGENT_NOT_FOUND = 11,
	AGENT_SIGN_FAILED = 12,
	AGENT_INTERNAL = 13,
};

enum proto_item_kind { ITEM_PDF = 1, ITEM_XML = 2, ITEM_CMS = 3 };

enum proto_stage {
	STAGE_WAITING_USER = 1,
	STAGE_SIGNING = 2,
	STAGE_ITEM_DONE = 3,
};

/* "USER_CANCELLED" ...; NULL for a number that is not an agent_err. */
const char *agent_err_name(int code);

/* Writes payload as one frame, all of it or an error (KYSO_ERR_IO when the
 * peer is gone). */
int proto_send(int fd, const struct buf *payload) KYSO_WUR;
/* Reads one whole frame into a new buffer; a frame longer than cap is
 * KYSO_ERR_TOO_LARGE and nothing of it is kept (the caller drops the peer);
 * the peer closing before a frame starts is KYSO_ERR_NOT_FOUND, in the
 * middle of one KYSO_ERR_TRUNCATED. */
int proto_recv(int fd, size_t cap, struct buf **out) KYSO_WUR;
/* A new payload buffer holding only its type byte. */
int proto_begin(enum proto_type type, struct buf **out) KYSO_WUR;

#endif
