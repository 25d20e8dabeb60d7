/* The audit's retention under serve: a thread applies the rule of
 * `kyso-ra audit prune` at start and then once a day, so the audit log
 * stays bounded without cron (issue 15). */
#ifndef KYSO_RA_AUDIT_SWEEP_H
#define KYSO_RA_AUDIT_SWEEP_H

#include <stdint.h>

#include "common/err.h"
#include "db.h"

/* How often the audit is pruned under serve, in seconds. */
#define AUDIT_SWEEP_SECS 86400

struct audit_sweeper;

/* Prunes what is older than days days (audit_prune) with a connection of
 * the pool, now and every AUDIT_SWEEP_SECS; says on stderr what went, when anything did. */
int audit_sweeper_start(struct db_pool *pool, int64_t days,
    struct audit_sweeper **out) KYSO_WUR;
/* Stops and frees it (NULL is fine). */
void audit_sweeper_stop(struct audit_sweeper *s);

#endif
