/* Every request's checks, in the order the contract gives them, and the
 * route table (net_api.h). */
#include "agent/net_api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/origins.h"
#include "agent/proto.h"
#include "common/jsonwipe.h"

static const struct route {
	const char *method;
	const char *pattern; /* '*' is one path segment: a job id */
	int needs_approval;  /* 0: an origin may call it before approval */
	void (*handler)(struct net_call *c);
} routes[] = {
	{ "GET", "/v1/hello", 0, net_hello },
	{ "GET", "/v1/certificates", 1, net_certificates },
	{ "POST", "/v1/sign", 1, net_sign },
	{ "GET", "/v1/jobs/*", 1, net_job_get },
	{ "POST", "/v1/jobs/*/cancel", 1, net_job_cancel },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* The HTTP status that goes with an agent error. */
static int
status_of(int code)
{
	switch (code) {
	case AGENT_BAD_REQUEST: return 400;
	case AGENT_ORIGIN_DENIED: return 403;
	case AGENT_NOT_FOUND: return 404;
	case AGENT_BUSY: return 409;
	case AGENT_TOO_LARGE: return 413;
	case AGENT_TIMEOUT: return 504;
	case AGENT_USER_CANCELLED:
	case AGENT_PIN_INCORRECT:
	case AGENT_PIN_LOCKED:
	case AGENT_TOKEN_ABSENT:
	case AGENT_CERT_EXPIRED:
	case AGENT_SIGN_FAILED:
		return 409; /* the token's state, not the request */
	default: return 500;
	}
}

void
net_reply(struct net_call *c, int status, json_t *o)
{
	char *s;

	c->rs->status = status;
	if (o == NULL || (s = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		c->rs->status = 500;
		return;
	}
	json_decref(o);
	buf_free(c->rs->body);
	if ((c->rs->body = buf_new(strlen(s) + 1)) == NULL ||
	    buf_put(c->rs->body, s, strlen(s)) != 0) {
		buf_free(c->rs->body);
		c->rs->body = NULL;
		c->rs->status = 500;
	}
	jsonwipe_free(s);
}

void
net_reply_error(struct net_call *c, int code, const char *message)
{
	net_reply(c, status_of(code),
	    json_pack("{s:{s:s,s:s}}", "error", "code", agent_err_name(code),
		"message", message));
}

/* P_ERROR: i32 code, cstring message, as the page's error. */
void
net_reply_token_error(struct net_call *c, struct buf *ans)
{
	uint32_t code;
	char *msg = NULL;

	if (buf_get_u32(ans, &code) != 0 || buf_get_cstring(ans, &msg) != 0 ||
	    agent_err_name((int)code) == NULL || code == AGENT_OK)
		net_reply_error(c, AGENT_INTERNAL, "the token side failed");
	else
		net_reply_error(c, (int)code, msg);
	free(msg);
}

/* Does path match pat? A '*' takes one segment of hex into c->arg. */
static int
match(const char *pat, const char *path, struct net_call *c)
{
	size_t k;

	while (*pat != '\0') {
		if (*pat == '*') {
			k = strcspn(path, "/");
			if (k != JOB_ID_LEN ||
			    strspn(path, "0123456789abcdef") < k)
				return 0;
			memcpy(c->arg, path, k);
			c->arg[k] = '\0';
			path += k;
			pat++;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	return *path == '\0';
}

/* The route for the path (NULL: 404); *allow names the methods the path
 * has when the method is not one of them (405). */
static const struct route *
route_find(struct net_call *c, const char **allow)
{
	const struct route *found = NULL;
	size_t i;

	*allow = NULL;
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, c->rq->path, c))
			continue;
		if (strcmp(routes[i].method, c->rq->method) == 0)
			return &routes[i];
		*allow = routes[i].method; /* each path has one method */
		found = &routes[i];
	}
	return found;
}

/* 1 when the Host header is exactly one of ours (DNS rebinding: a page
 * on a name that resolves to 127.0.0.1 sends its own name). */
static int
host_ok(struct net_call *c)
{
	const char *h = httpd_header(c->rq, "Host");
	size_t i;

	if (h == NULL || httpd_header_count(c->rq, "Host") != 1)
		return 0;
	for (i = 0; i < sizeof(c->n->hosts) / sizeof(c->n->hosts[0]); i++)
		if (strcmp(h, c->n->hosts[i]) == 0)
			return 1;
	return 0;
}

/* "application/json", any case, optionally with parameters. */
static int
is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Access-Control-Allow-Origin for this one origin; Vary, as the answer
 * differs by origin. */
static void
cors(struct net_call *c)
{
	if (httpd_resp_header(c->rs, "Access-Control-Allow-Origin", c->origin) !=
		0 ||
	    httpd_resp_header(c->rs, "Vary", "Origin") != 0)
		c->rs->status = 500;
}

/* A preflight: what a page may send us. */
static void
preflight(struct net_call *c)
{
	const char *pna = httpd_header(c->rq,
	    "Access-Control-Request-Private-Network");

	cors(c);
	if (httpd_resp_header(c->rs, "Access-Control-Allow-Methods",
		"GET, POST") != 0 ||
	    httpd_resp_header(c->rs, "Access-Control-Allow-Headers",
		"Content-Type") != 0 ||
	    httpd_resp_header(c->rs, "Access-Control-Max-Age", "600") != 0 ||
	    (pna != NULL && strcasecmp(pna, "true") == 0 &&
		httpd_resp_header(c->rs, "Access-Control-Allow-Private-Network",
		    "true") != 0)) {
		c->rs->status = 500;
		return;
	}
	c->rs->status = 204;
}

/* The body checks that need no body: its type, its announced length. */
static int
body_ok(struct net_call *c)
{

	if (!is_json_type(httpd_header(c->rq, "Content-Type"))) {
		net_reply_error(c, AGENT_BAD_REQUEST,
		    "the body must be application/json");
		c->rs->status = 415;
		return 0;
	}
	if (c->rq->over_budget) {
		net_reply_error(c, AGENT_BUSY,
		    "too many documents are being sent at once; try again");
		c->rs->status = 503;
		return 0;
	}
	if (c->rq->too_large || httpd_length_over(c->rq, HTTPD_MAX_BODY)) {
		net_reply_error(c, AGENT_TOO_LARGE,
		    "the request body is larger than 64 MiB");
		return 0;
	}
	return 1;
}

/* Asks the user, through the token side, whether the origin may use the
 * token; one dialog at a time, and an origin decided meanwhile is not
 * asked again. The decision, or UNKNOWN with an answer given. */
static enum origin_decision
approve(struct net_call *c)
{
	struct net *n = c->n;
	struct buf *req = NULL, *ans = NULL;
	enum origin_decision d;
	uint8_t type = 0, answer = 2;
	int r;

	pthread_mutex_lock(&n->approve_m);
	d = origins_lookup(n->origins_path, c->origin);
	if (d != ORIGIN_UNKNOWN)
		goto out;
	if ((r = proto_begin(P_APPROVE, &req)) != 0 ||
	    (r = buf_put_cstring(req, c->origin)) != 0) {
		net_reply_error(c, AGENT_INTERNAL, "out of memory");
		goto out;
	}
	r = link_call(n->link, req, &ans);
	if (r == KYSO_ERR_BUSY) {
		net_reply_error(c, AGENT_BUSY, "a signing batch is running");
		goto out;
	}
	if (r == 0 && buf_get_u8(ans, &type) == 0 && type == P_ERROR) {
		net_reply_token_error(c, ans);
		goto out;
	}
	if (r != 0 || type != P_APPROVE_OK || buf_get_u8(ans, &answer) != 0) {
		net_reply_error(c, AGENT_INTERNAL,
		    "the token side is restarting");
		c->rs->status = 503;
		goto out;
	}
	if (answer == 1 || answer == 0) {
		d = answer == 1 ? ORIGIN_ALLOW : ORIGIN_DENY;
		if (origins_store(n->origins_path, c->origin, d) != 0)
			fprintf(stderr, "kyso-agent: cannot write %s\n",
			    n->origins_path);
		goto out;
	}
	net_reply_error(c, AGENT_ORIGIN_DENIED, "the user did not answer");
out:
	pthread_mutex_unlock(&n->approve_m);
	buf_free(req);
	buf_free(ans);
	return d;
}

/* Everything before the handler; 1 to call it. In the head call the
 * checks that need no body run, and nothing that waits. */
static int
gate(struct net_call *c, const struct route **rt)
{
	const struct httpd_req *rq = c->rq;
	const char *allow;
	enum origin_decision d;

	if (!host_ok(c)) {
		net_reply_error(c, AGENT_BAD_REQUEST, "wrong Host");
		c->rs->status = 421;
		return 0;
	}
	c->origin = httpd_header(rq, "Origin");
	if (httpd_header_count(rq, "Origin") != 1 || !origin_valid(c->origin)) {
		net_reply_error(c, AGENT_ORIGIN_DENIED,
		    "a request must come from a web origin");
		return 0;
	}
	d = origins_lookup(c->n->origins_path, c->origin);
	*rt = route_find(c, &allow);
	if (*rt == NULL) {
		net_reply_error(c, AGENT_NOT_FOUND, "no such path");
		return 0;
	}
	if (strcmp(rq->method, "OPTIONS") == 0) {
		if (d == ORIGIN_DENY)
			net_reply_error(c, AGENT_ORIGIN_DENIED,
			    "this origin was denied");
		else
			preflight(c);
		return 0;
	}
	if (d == ORIGIN_DENY) {
		net_reply_error(c, AGENT_ORIGIN_DENIED, "this origin was denied");
		return 0;
	}
	if (d == ORIGIN_ALLOW || !(*rt)->needs_approval)
		cors(c);
	if (allow != NULL) {
		net_reply_error(c, AGENT_BAD_REQUEST, "method not allowed");
		c->rs->status = 405;
		if (httpd_resp_header(c->rs, "Allow", allow) != 0)
			c->rs->status = 500;
		return 0;
	}
	if (strcmp(rq->method, "POST") == 0 && !body_ok(c))
		return 0;
	if (rq->head) {
		/* A batch while another runs: refused before its body. */
		if ((*rt)->handler == net_sign && d == ORIGIN_ALLOW &&
		    link_batch_running(c->n->link)) {
			net_reply_error(c, AGENT_BUSY,
			    "another signing batch is running");
			return 0;
		}
		return 0; /* status 0: read the body */
	}
	if ((*rt)->needs_approval && d == ORIGIN_UNKNOWN) {
		d = approve(c);
		if (c->rs->status != 0)
			return 0;
		if (d != ORIGIN_ALLOW) {
			net_reply_error(c, AGENT_ORIGIN_DENIED,
			    "the user denied this origin");
			return 0;
		}
		cors(c);
	}
	return 1;
}

void
net_handle(void *ud, const struct httpd_req *rq, struct httpd_resp *rs)
{
	struct net_call c;
	const struct route *rt = NULL;

	memset(&c, 0, sizeof(c));
	c.n = ud;
	c.rq = rq;
	c.rs = rs;
	rs->status = 0;
	if (gate(&c, &rt))
		rt->handler(&c);
	else if (!rq->head && rs->status == 0)
		rs->status = 500;
}

void
net_hello(struct net_call *c)
{
	int approved = origins_lookup(c->n->origins_path, c->origin) ==
	    ORIGIN_ALLOW;

	net_reply(c, 200,
	    json_pack("{s:s,s:s,s:i,s:[ssssss],s:b}", "agent", "kyso-agent",
		"version", KYSO_VERSION, "api", 1, "features", "pdf", "xml",
		"cms", "batch", "progress", "cancel", "approved", approved));
}

void
net_job_get(struct net_call *c)
{
	json_t *o = NULL;

	if (jobs_render(c->n->jobs, c->arg, c->origin, &o) != 0) {
		net_reply_error(c, AGENT_NOT_FOUND, "no such job");
		return;
	}
	net_reply(c, 200, o);
}

void
net_job_cancel(struct net_call *c)
{
	enum job_state st;
	int running;

	if (jobs_state(c->n->jobs, c->arg, c->origin, &st, &running) != 0) {
		net_reply_error(c, AGENT_NOT_FOUND, "no such job");
		return;
	}
	if (running && link_cancel(c->n->link) != 0) {
		net_reply_error(c, AGENT_INTERNAL,
		    "the token side is restarting");
		c->rs->status = 503;
		return;
	}
	net_reply(c, 200,
	    json_pack("{s:s,s:s}", "job", c->arg, "state", job_state_name(st)));
}
