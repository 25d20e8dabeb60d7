/* POST /v1/sign: the request checked (net_req.c) into one P_SIGN frame,
 * then the job and the frame under one lock: one batch at a time. */
#include "agent/net_api.h"

#include "agent/net_req.h"
#include "agent/proto.h"

/* The batch's frames go to the job table. */
static void
batch_frame(void *ud, struct buf *frame)
{
	jobs_frame(ud, frame);
}

void
net_sign(struct net_call *c)
{
	struct net *n = c->n;
	struct buf *f = NULL;
	struct net_why w = { AGENT_BAD_REQUEST, "" };
	char id[JOB_ID_LEN + 1];
	size_t count = 0;
	int r;

	if (proto_begin(P_SIGN, &f) != 0) {
		net_reply_error(c, AGENT_INTERNAL, "out of memory");
		goto out;
	}
	if (net_sign_parse(c->rq->body, c->rq->body_len, c->origin, n->has_tsa,
		f, &count, &w) != 0) {
		net_reply_error(c, w.code, w.msg);
		goto out;
	}
	/* One batch at a time across all origins: the job and the frame
	 * go out together or not at all. */
	pthread_mutex_lock(&n->batch_m);
	if (link_batch_running(n->link)) {
		pthread_mutex_unlock(&n->batch_m);
		net_reply_error(c, AGENT_BUSY,
		    "another signing batch is running");
		goto out;
	}
	if ((r = jobs_start(n->jobs, c->origin, (uint32_t)count, id)) != 0) {
		pthread_mutex_unlock(&n->batch_m);
		net_reply_error(c, AGENT_INTERNAL, "out of memory");
		goto out;
	}
	r = link_batch(n->link, f, batch_frame, n->jobs);
	if (r != 0)
		jobs_abort(n->jobs);
	pthread_mutex_unlock(&n->batch_m);
	if (r == KYSO_ERR_BUSY) {
		net_reply_error(c, AGENT_BUSY,
		    "another signing batch is running");
	} else if (r != 0) {
		net_reply_error(c, AGENT_INTERNAL,
		    "the token side is restarting");
		c->rs->status = 503;
	} else {
		net_reply(c, 202,
		    json_pack("{s:s,s:I}", "job", id, "total", (json_int_t)count));
	}
out:
	buf_free(f);
}
