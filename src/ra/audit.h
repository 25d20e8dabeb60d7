/* The audit log: a row for each call that matters (kept), counters for
 * what unauthenticated callers failed to do, and the retention rule. */
#ifndef KYSO_RA_AUDIT_H
#define KYSO_RA_AUDIT_H

#include <stdint.h>

#include "db.h"

/* The audit's retention for what it does not keep forever, in days, when
 * `kyso-ra audit prune` is not told otherwise. */
#define AUDIT_DEFAULT_DAYS 365

/* One kept row (ts in seconds; target may be NULL). */
int audit_row(struct db *db, int64_t ts, const char *actor, const char *action,
    const char *target, const char *remote, int status) KYSO_WUR;
/* Counts one call in the row of (remote, ts's minute, status): at most
 * one row per address, minute and status, holding the first action. */
int audit_count(struct db *db, int64_t ts, const char *remote, int status,
    const char *action) KYSO_WUR;
/* Deletes, in one transaction, the counters of minutes before cutoff and
 * the rows before cutoff that the retention does not keep: kept forever
 * are operator and command-line actions (registrations, revocations,
 * operators), issuance (activation completion) and PIN resets. Gives how
 * many rows and counters went. */
int audit_prune(struct db *db, int64_t cutoff, uint64_t *rows,
    uint64_t *counts) KYSO_WUR;

#endif
