/* The job table (jobs.h). */
#include "agent/jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/net_b64.h"
#include "agent/origins.h"
#include "agent/proto.h"
#include "common/crypto.h"
#include "common/jsonwipe.h"
#include "common/parse.h"

struct result {
	int set;
	int code; /* enum agent_err */
	char *message;
	struct buf *data; /* the signed document */
};

struct job {
	struct job *next;
	char id[JOB_ID_LEN + 1];
	char *origin;
	enum job_state state;
	uint32_t total, done;
	struct result *res;
	int code; /* the batch's error when failed or cancelled */
	uint32_t tries_left;
	char *message;
	time_t ended; /* monotonic seconds; 0 while it runs */
};

struct jobs {
	pthread_mutex_t m;
	struct job *head;
	struct job *running;
};

static const char *const state_names[] = {
	[JOB_WAITING_USER] = "waiting_user",
	[JOB_SIGNING] = "signing",
	[JOB_DONE] = "done",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled",
};

const char *
job_state_name(enum job_state s)
{
	return state_names[s];
}

/* Monotonic seconds: the clock a job's age is measured on. */
static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
job_free(struct job *j)
{
	uint32_t i;

	if (j == NULL)
		return;
	if (j->res != NULL)
		for (i = 0; i < j->total; i++) {
			free(j->res[i].message);
			buf_free(j->res[i].data);
		}
	free(j->res);
	free(j->origin);
	free(j->message);
	free(j);
}

int
jobs_new(struct jobs **out)
{
	struct jobs *js = calloc(1, sizeof(*js));

	if (js == NULL)
		return KYSO_ERR_NOMEM;
	pthread_mutex_init(&js->m, NULL);
	*out = js;
	return 0;
}

void
jobs_free(struct jobs *js)
{
	struct job *j, *n;

	if (js == NULL)
		return;
	for (j = js->head; j != NULL; j = n) {
		n = j->next;
		job_free(j);
	}
	pthread_mutex_destroy(&js->m);
	free(js);
}

/* Drops the jobs that ended more than JOB_KEEP_SECONDS ago. Locked. */
static void
expire(struct jobs *js)
{
	struct job **pp = &js->head, *j;
	time_t now = now_s();

	while ((j = *pp) != NULL) {
		if (j->ended != 0 && now - j->ended > JOB_KEEP_SECONDS) {
			*pp = j->next;
			job_free(j);
			continue;
		}
		pp = &j->next;
	}
}

/* The job named id if origin owns it. Locked. */
static struct job *
find(struct jobs *js, const char *id, const char *origin)
{
	struct job *j;

	for (j = js->head; j != NULL; j = j->next)
		if (strcmp(j->id, id) == 0)
			return strcmp(j->origin, origin) == 0 ? j : NULL;
	return NULL;
}

static void
unlink_job(struct jobs *js, struct job *target)
{
	struct job **pp;

	for (pp = &js->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == target) {
			*pp = target->next;
			return;
		}
}

int
jobs_start(struct jobs *js, const char *origin, uint32_t total,
    char id[JOB_ID_LEN + 1])
{
	struct job *j = calloc(1, sizeof(*j));
	struct buf *hex = NULL;
	uint8_t rnd[JOB_ID_LEN / 2];
	int r = KYSO_ERR_NOMEM;

	if (j == NULL || (j->origin = strdup(origin)) == NULL ||
	    (total > 0 && (j->res = calloc(total, sizeof(*j->res))) == NULL) ||
	    (hex = buf_new(JOB_ID_LEN)) == NULL)
		goto out;
	if ((r = crypto_random(rnd, sizeof(rnd))) != 0 ||
	    (r = hex_encode(hex, rnd, sizeof(rnd))) != 0)
		goto out;
	memcpy(j->id, buf_ptr(hex), JOB_ID_LEN);
	j->id[JOB_ID_LEN] = '\0';
	j->total = total;
	j->state = JOB_WAITING_USER;
	pthread_mutex_lock(&js->m);
	expire(js);
	j->next = js->head;
	js->head = j;
	js->running = j;
	pthread_mutex_unlock(&js->m);
	memcpy(id, j->id, JOB_ID_LEN + 1);
	j = NULL;
	r = 0;
out:
	buf_free(hex);
	job_free(j);
	return r;
}

void
jobs_abort(struct jobs *js)
{
	pthread_mutex_lock(&js->m);
	if (js->running != NULL) {
		unlink_job(js, js->running);
		job_free(js->running);
		js->running = NULL;
	}
	pthread_mutex_unlock(&js->m);
}

/* Ends the running job with a batch error. Locked. */
static void
finish(struct jobs *js, int code, uint32_t tries_left, char *message)
{
	struct job *j = js->running;

	free(j->message);
	j->message = message;
	j->code = code;
	j->tries_left = tries_left;
	if (code == AGENT_OK)
		j->state = JOB_DONE;
	else if (code == AGENT_USER_CANCELLED)
		j->state = JOB_CANCELLED;
	else
		j->state = JOB_FAILED;
	j->ended = now_s();
	js->running = NULL;
}

/* P_ITEM: u32 index, i32 code, cstring message, string result. Locked. */
static int
take_item(struct job *j, struct buf *f)
{
	uint32_t index, code;
	const uint8_t *p;
	size_t n;
	char *msg = NULL;
	struct buf *data = NULL;
	struct result *res;
	int r;

	if ((r = buf_get_u32(f, &index)) != 0 ||
	    (r = buf_get_u32(f, &code)) != 0 ||
	    (r = buf_get_cstring(f, &msg)) != 0 ||
	    (r = buf_get_string_direct(f, &p, &n)) != 0)
		goto out;
	r = KYSO_ERR_INVALID;
	if (index >= j->total || buf_len(f) != 0 ||
	    (code != 0 && agent_err_name((int)code) == NULL))
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((data = buf_new(n ? n : 1)) == NULL)
		goto out;
	if ((r = buf_put(data, p, n)) != 0)
		goto out;
	res = &j->res[index];
	if (!res->set)
		j->done++;
	free(res->message);
	buf_free(res->data);
	res->set = 1;
	res->code = (int)code;
	res->message = msg;
	res->data = data;
	msg = NULL;
	data = NULL;
	r = 0;
out:
	free(msg);
	buf_free(data);
	return r;
}

void
jobs_frame(struct jobs *js, struct buf *f)
{
	uint8_t type, stage;
	uint32_t index, code, tries;
	char *msg = NULL;
	struct job *j;

	pthread_mutex_lock(&js->m);
	if ((j = js->running) == NULL)
		goto out;
	if (f == NULL) {
		finish(js, AGENT_INTERNAL, 0,
		    strdup("the token side stopped; nothing more was signed"));
		goto out;
	}
	if (buf_get_u8(f, &type) != 0)
		goto bad;
	switch (type) {
	case P_PROGRESS:
		if (buf_get_u32(f, &index) != 0 || buf_get_u8(f, &stage) != 0)
			goto bad;
		if (stage == STAGE_WAITING_USER)
			j->state = JOB_WAITING_USER;
		else if (stage == STAGE_SIGNING || stage == STAGE_ITEM_DONE)
			j->state = JOB_SIGNING;
		break;
	case P_ITEM:
		if (take_item(j, f) != 0)
			goto bad;
		break;
	case P_DONE:
		if (buf_get_u32(f, &code) != 0 || buf_get_u32(f, &tries) != 0 ||
		    buf_get_cstring(f, &msg) != 0)
			goto bad;
		if (code != 0 && agent_err_name((int)code) == NULL)
			code = AGENT_INTERNAL;
		finish(js, (int)code, tries, msg);
		msg = NULL;
		break;
	default: goto bad;
	}
	goto out;
bad:
	finish(js, AGENT_INTERNAL, 0,
	    strdup("the token side sent a malformed answer"));
out:
	free(msg);
	pthread_mutex_unlock(&js->m);
}

/* {"code":NAME,"message":…[,"tries_left":n]} */
static json_t *
error_json(int code, const char *message, int with_tries, uint32_t tries)
{
	json_t *e = json_pack("{s:s,s:s}", "code", agent_err_name(code),
	    "message", message != NULL ? message : "");

	if (e != NULL && with_tries &&
	    json_object_set_new(e, "tries_left", json_integer(tries)) != 0) {
		json_decref(e);
		e = NULL;
	}
	return e;
}

/* The job as JSON. Locked. */
static int
render(const struct job *j, json_t **out)
{
	json_t *o = NULL, *a = NULL, *it;
	char *b64 = NULL;
	uint32_t i;
	int r = KYSO_ERR_NOMEM;

	if ((o = json_pack("{s:s,s:s,s:I,s:I}", "job", j->id, "state",
		 job_state_name(j->state), "done", (json_int_t)j->done, "total",
		 (json_int_t)j->total)) == NULL ||
	    (a = json_array()) == NULL)
		goto out;
	for (i = 0; i < j->total; i++) {
		const struct result *res = &j->res[i];

		if (!res->set)
			continue;
		if (res->code == AGENT_OK) {
			if ((r = b64_encode(buf_ptr(res->data),
				 buf_len(res->data), &b64)) != 0)
				goto out;
			r = KYSO_ERR_NOMEM;
			it = json_pack("{s:I,s:b,s:s}", "index", (json_int_t)i,
			    "ok", 1, "data", b64);
			free(b64);
			b64 = NULL;
		} else {
			it = json_pack("{s:I,s:b,s:o}", "index", (json_int_t)i,
			    "ok", 0, "error",
			    error_json(res->code, res->message, 0, 0));
		}
		if (json_array_append_new(a, it) != 0)
			goto out;
	}
	if (json_object_set_new(o, "results", a) != 0) {
		a = NULL;
		goto out;
	}
	a = NULL;
	if ((j->state == JOB_FAILED || j->state == JOB_CANCELLED) &&
	    json_object_set_new(o, "error",
		error_json(j->code, j->message,
		    j->code == AGENT_PIN_INCORRECT && j->tries_left != UINT32_MAX,
		    j->tries_left)) != 0)
		goto out;
	*out = o;
	o = NULL;
	r = 0;
out:
	free(b64);
	json_decref(a);
	json_decref(o);
	return r;
}

int
jobs_render(struct jobs *js, const char *id, const char *origin, json_t **out)
{
	struct job *j;
	json_t *o = NULL;
	int r = KYSO_ERR_NOT_FOUND;

	pthread_mutex_lock(&js->m);
	expire(js);
	if ((j = find(js, id, origin)) == NULL)
		goto out;
	if ((r = render(j, &o)) != 0)
		goto out;
	if (j->ended != 0) { /* fetched once in a final state */
		unlink_job(js, j);
		job_free(j);
	}
	*out = o;
	r = 0;
out:
	pthread_mutex_unlock(&js->m);
	return r;
}

int
jobs_state(struct jobs *js, const char *id, const char *origin,
    enum job_state *state, int *running)
{
	struct job *j;
	int r = KYSO_ERR_NOT_FOUND;

	pthread_mutex_lock(&js->m);
	expire(js);
	if ((j = find(js, id, origin)) != NULL) {
		*state = j->state;
		*running = j == js->running;
		r = 0;
	}
	pthread_mutex_unlock(&js->m);
	return r;
}
