/* The network side's API (HTTP API v1 in docs/internals/agent.md): the
 * checks every request passes (Host, Origin, CORS, limits, approval), the
 * route table and the handlers. Internal to the network side. */
#ifndef KYSO_AGENT_NET_API_H
#define KYSO_AGENT_NET_API_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "agent/httpd.h"
#include "agent/jobs.h"
#include "agent/net_link.h"

/* Room for "localhost:65535" and the others. */
#define NET_HOST_MAX  32
/* Items a batch, bytes a title or a text option. */
#define NET_MAX_ITEMS 100
#define NET_MAX_TEXT  200

struct net {
	uint16_t port;
	char hosts[3][NET_HOST_MAX]; /* the Host values we answer to */
	char *origins_path;
	int has_tsa;		   /* kyso.conf names a tsa_url */
	pthread_mutex_t approve_m; /* one approval dialog at a time */
	pthread_mutex_t batch_m;   /* one batch started at a time */
	struct link *link;
	struct jobs *jobs;
};

/* One request being answered. */
struct net_call {
	struct net *n;
	const struct httpd_req *rq;
	struct httpd_resp *rs;
	const char *origin;
	char arg[JOB_ID_LEN + 1]; /* the route's '*' (a job id) */
};

/* The httpd handler: every request comes here (httpd.h). */
void net_handle(void *ud, const struct httpd_req *rq, struct httpd_resp *rs);

/* Answers with o (taken) as JSON. */
void net_reply(struct net_call *c, int status, json_t *o);
/* Answers {"error":{"code":NAME,"message":message}} with the status that
 * goes with code. */
void net_reply_error(struct net_call *c, int code, const char *message);

/* Answers a P_ERROR frame (its type read) as the page's error. */
void net_reply_token_error(struct net_call *c, struct buf *ans);

/* The handlers (net_api.c, net_sign.c, net_certs.c). */
void net_hello(struct net_call *c);
void net_certificates(struct net_call *c);
void net_sign(struct net_call *c);
void net_job_get(struct net_call *c);
void net_job_cancel(struct net_call *c);

#endif
