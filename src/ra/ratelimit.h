/* Fixed-window request counters per key (a client address, a subscriber),
 * in memory: each server instance limits what it sees. */
#ifndef KYSO_RA_RATELIMIT_H
#define KYSO_RA_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

struct ratelimit *ratelimit_new(unsigned limit, unsigned window_secs);
void ratelimit_free(struct ratelimit *rl);
/* 1: allowed (and counted), 0: over the limit. limit 0 allows all. */
int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now);

#endif
