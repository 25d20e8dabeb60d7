/* The token side's request loop, its replies and the origin question
 * (tok.h). */
#include "agent/tok_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/i18n.h"
#include "p11/p11.h"

/* An origin as net passes it: "http(s)://host[:port]", printable ASCII,
 * no path. net checked it already; a wrong one here is a bug or an
 * attack on this side, and gets no dialog. */
#define TOK_ORIGIN_MAX 300

int
tok_new(const struct config *conf, struct tok **out)
{
	struct tok *t = calloc(1, sizeof(*t));
	const char *pe;

	if (t == NULL)
		return KYSO_ERR_NOMEM;
	t->conf = conf;
	t->module = config_get(conf, "module");
	pe = getenv("KYSO_PINENTRY");
	t->pinentry = pe != NULL && *pe != '\0' ? pe
						: config_get(conf, "pinentry");
	t->dialog_timeout = (unsigned)config_get_u64(conf,
	    "agent_dialog_timeout", 5, 3600, TOK_DEFAULT_DIALOG_TIMEOUT);
	t->fd = -1;
	*out = t;
	return 0;
}

void
tok_free(struct tok *t)
{
	if (t == NULL)
		return;
	p11_free(t->p11);
	free(t->test_step);
	free(t);
}

void
tok_set_test_step(struct tok *t, const char *dir)
{
	free(t->test_step);
	t->test_step = dir != NULL ? strdup(dir) : NULL;
}

/* The module is loaded once: p11_open of the same module again (the
 * batch's signer does) then shares its initialization. */
int
tok_p11(struct tok *t, struct p11 **out)
{
	int r;

	if (t->p11 == NULL && (r = p11_open(t->module, &t->p11)) != 0)
		return r;
	*out = t->p11;
	return 0;
}

/* A frame of one type with its fields, sent whole. */
static int
send_frame(struct tok *t, struct buf *b)
{
	int r = proto_send(t->fd, b);

	if (r != 0)
		t->dead = 1;
	buf_free(b);
	return r;
}

int
tok_send_error(struct tok *t, enum agent_err code, const char *msg)
{
	struct buf *b;
	int r;

	if ((r = proto_begin(P_ERROR, &b)) != 0)
		return r;
	if ((r = buf_put_u32(b, (uint32_t)code)) != 0 ||
	    (r = buf_put_cstring(b, msg)) != 0) {
		buf_free(b);
		return r;
	}
	return send_frame(t, b);
}

int
tok_send_progress(struct tok *t, uint32_t index, enum proto_stage st)
{
	struct buf *b;
	int r;

	if ((r = proto_begin(P_PROGRESS, &b)) != 0)
		return r;
	if ((r = buf_put_u32(b, index)) != 0 ||
	    (r = buf_put_u8(b, (uint8_t)st)) != 0) {
		buf_free(b);
		return r;
	}
	return send_frame(t, b);
}

int
tok_send_item(struct tok *t, uint32_t index, enum agent_err code,
    const char *msg, const uint8_t *data, size_t len)
{
	struct buf *b;
	int r;

	if ((r = proto_begin(P_ITEM, &b)) != 0)
		return r;
	if ((r = buf_put_u32(b, index)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)code)) != 0 ||
	    (r = buf_put_cstring(b, msg)) != 0 ||
	    (r = buf_put_string(b, data, len)) != 0) {
		buf_free(b);
		return r;
	}
	return send_frame(t, b);
}

int
tok_send_done(struct tok *t, enum agent_err code, uint32_t tries_left,
    const char *msg)
{
	struct buf *b;
	int r;

	if ((r = proto_begin(P_DONE, &b)) != 0)
		return r;
	if ((r = buf_put_u32(b, (uint32_t)code)) != 0 ||
	    (r = buf_put_u32(b, tries_left)) != 0 ||
	    (r = buf_put_cstring(b, msg)) != 0) {
		buf_free(b);
		return r;
	}
	return send_frame(t, b);
}

/* One frame that came while a dialog or a batch was running: P_CANCEL
 * cancels the batch (and is nothing outside one), any other request is
 * BUSY (one thing at a time), the side gone or misbehaving is dead.
 * Returns true when what runs should stop. */
static int
watch_frame(void *ud)
{
	struct tok *t = ud;
	struct buf *req = NULL;
	uint8_t type;

	if (proto_recv(t->fd, PROTO_MAX_FRAME, &req) != 0 ||
	    buf_get_u8(req, &type) != 0) {
		t->dead = 1;
		goto out;
	}
	if (type == P_CANCEL && buf_len(req) == 0) {
		if (t->in_batch)
			t->cancelled = 1;
	} else if (type == P_CERTS || type == P_APPROVE || type == P_SIGN) {
		if (tok_send_error(t, AGENT_BUSY, "busy with another request") !=
		    0)
			t->dead = 1;
	} else
		t->dead = 1;
out:
	buf_free(req);
	return t->dead || t->cancelled;
}

int
tok_batch_interrupted(struct tok *t)
{
	struct pollfd pf = { .fd = t->fd, .events = POLLIN };

	while (!t->dead && !t->cancelled && poll(&pf, 1, 0) > 0 && pf.revents != 0)
		(void)watch_frame(t);
	return t->dead || t->cancelled;
}

int
tok_dialog_start(struct tok *t, struct pinentry **out)
{
	struct pinentry *pe;
	int r;

	if ((r = pinentry_start(t->pinentry, t->dialog_timeout, &pe)) != 0)
		return r;
	pinentry_watch(pe, t->fd, watch_frame, t);
	if ((r = pinentry_set(pe, "SETTITLE", "kyso-agent")) != 0) {
		pinentry_free(pe);
		return r;
	}
	*out = pe;
	return 0;
}

/* Whether net's origin looks like one; see TOK_ORIGIN_MAX. */
int
tok_origin_ok(const char *o)
{
	size_t i, n = strlen(o);

	if (n > TOK_ORIGIN_MAX ||
	    (strncmp(o, "http://", 7) != 0 && strncmp(o, "https://", 8) != 0))
		return 0;
	for (i = 0; i < n; i++)
		if (o[i] <= ' ' || o[i] > '~')
			return 0;
	return strchr(o + 8, '/') == NULL;
}

/* P_APPROVE: may this origin use the token? A question the user answers
 * once per origin (net stores the answer). */
static int
do_approve(struct tok *t, struct buf *req)
{
	struct pinentry *pe = NULL;
	enum pinentry_answer ans = PINENTRY_CANCEL;
	struct buf *b = NULL;
	char *origin = NULL, *desc = NULL;
	uint8_t answer;
	int r;

	if ((r = buf_get_cstring(req, &origin)) != 0 || buf_len(req) != 0) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	if (!tok_origin_ok(origin)) {
		r = tok_send_error(t, AGENT_BAD_REQUEST, "not an origin");
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if (asprintf(&desc, _("%s wants to use your USB token for signing."),
		origin) < 0) {
		desc = NULL;
		goto out;
	}
	if ((r = tok_dialog_start(t, &pe)) != 0 ||
	    (r = pinentry_set(pe, "SETDESC", desc)) != 0 ||
	    (r = pinentry_set(pe, "SETOK", _("Allow"))) != 0 ||
	    (r = pinentry_set(pe, "SETCANCEL", _("Deny"))) != 0 ||
	    (r = pinentry_confirm(pe, &ans)) != 0) {
		r = t->dead ? r
			    : tok_send_error(t, AGENT_INTERNAL,
				  "the dialog program (pinentry) failed");
		goto out;
	}
	if (t->dead)
		goto out;
	/* Closed or left open: no answer, asked again next time. */
	answer = ans == PINENTRY_OK ? 1 : ans == PINENTRY_CANCEL ? 0 : 2;
	if ((r = proto_begin(P_APPROVE_OK, &b)) != 0 ||
	    (r = buf_put_u8(b, answer)) != 0)
		goto out;
	r = send_frame(t, b);
	b = NULL;
out:
	pinentry_free(pe);
	buf_free(b);
	free(desc);
	free(origin);
	return r;
}

/* One request; KYSO_ERR_INVALID when it is not well-formed (the caller
 * drops the peer). */
static int
handle(struct tok *t, struct buf *req)
{
	uint8_t type;
	int r = KYSO_ERR_INVALID;

	if (buf_get_u8(req, &type) != 0)
		return KYSO_ERR_INVALID;
	switch (type) {
	case P_CERTS:
		if (buf_len(req) != 0)
			return KYSO_ERR_INVALID;
		r = tok_do_certs(t);
		break;
	case P_APPROVE: r = do_approve(t, req); break;
	case P_SIGN:
		/* Its answer is P_DONE, always (tok_batch.c). */
		return tok_do_sign(t, req);
	case P_CANCEL:
		/* The batch it meant is over already. */
		return buf_len(req) == 0 ? 0 : KYSO_ERR_INVALID;
	}
	/* A handler that failed before it could answer: net still waits
	 * for one. */
	if (r != 0 && r != KYSO_ERR_INVALID && !t->dead)
		r = tok_send_error(t, AGENT_INTERNAL, "the token side failed");
	return r;
}

int
tok_serve_fd(struct tok *t, int fd)
{
	struct buf *req = NULL;
	int r;

	t->fd = fd;
	t->dead = 0;
	for (;;) {
		if ((r = proto_recv(fd, PROTO_MAX_FRAME, &req)) != 0) {
			if (r == KYSO_ERR_NOT_FOUND)
				r = 0; /* closed between frames */
			break;
		}
		r = handle(t, req);
		buf_free(req);
		req = NULL;
		if (r == KYSO_ERR_INVALID || t->dead)
			break;
		r = 0; /* answered (an error in the reply is told there) */
	}
	buf_free(req);
	t->fd = -1;
	return r;
}
