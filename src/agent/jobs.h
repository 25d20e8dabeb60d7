/* The signing jobs pages poll: one per batch, named by 128 random bits,
 * owned by the origin that asked (another origin is told there is no such
 * job). A job's results are kept until fetched once in a final state or
 * JOB_KEEP_SECONDS after its end. One batch runs at a time (the link to
 * the token side says so); the job table knows which job it is. */
#ifndef KYSO_AGENT_JOBS_H
#define KYSO_AGENT_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/buf.h"

#define JOB_ID_LEN	 32 /* hex characters */
#define JOB_KEEP_SECONDS 600

enum job_state {
	JOB_WAITING_USER,
	JOB_SIGNING,
	JOB_DONE,
	JOB_FAILED,
	JOB_CANCELLED,
};

struct jobs;

int jobs_new(struct jobs **out) KYSO_WUR;
void jobs_free(struct jobs *js);
/* A new job of origin for total items, the running one from now on; its id
 * (JOB_ID_LEN hex and a NUL) in id. */
int jobs_start(struct jobs *js, const char *origin, uint32_t total,
    char id[JOB_ID_LEN + 1]) KYSO_WUR;
/* Forgets the running job (its batch never reached the token side). */
void jobs_abort(struct jobs *js);
/* A frame of the running batch (P_PROGRESS, P_ITEM, P_DONE), or NULL when
 * the token side went away (the job fails INTERNAL). A malformed frame
 * fails the job. */
void jobs_frame(struct jobs *js, struct buf *frame);
/* The job as the page sees it (GET /v1/jobs/<id>); a job in a final state
 * is forgotten once rendered. KYSO_ERR_NOT_FOUND for no such job or
 * another origin's. */
int jobs_render(struct jobs *js, const char *id, const char *origin,
    json_t **out) KYSO_WUR;
/* The job's state and whether it still runs (a cancel must reach the
 * token side); KYSO_ERR_NOT_FOUND as above. */
int jobs_state(struct jobs *js, const char *id, const char *origin,
    enum job_state *state, int *running) KYSO_WUR;
const char *job_state_name(enum job_state s);

#endif
