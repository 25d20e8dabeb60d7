/* A job a server runs in a thread of its own at start and then every so
 * many seconds until stopped: the retention sweeps of kyso-ra (outbox,
 * audit). Stopping wakes the thread at once; a run under way finishes. */
#ifndef KYSO_COMMON_PERIODIC_H
#define KYSO_COMMON_PERIODIC_H

#include "common/err.h"

struct periodic;

/* Runs fn(arg) now and every secs seconds after the previous run ended. */
int periodic_start(unsigned secs, void (*fn)(void *), void *arg,
    struct periodic **out) KYSO_WUR;
/* Stops the thread, waits for it and frees p (NULL is fine). */
void periodic_stop(struct periodic *p);

#endif
