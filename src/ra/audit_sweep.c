#include "audit_sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "audit.h"
#include "common/i18n.h"
#include "common/periodic.h"

struct audit_sweeper {
	struct db_pool *pool;
	int64_t days;
	struct periodic *job;
};

/* One pass of the retention rule; a failure is said and tried again the
 * next day (a busy database at start is no reason to stop serving). */
static void
sweep_once(void *arg)
{
	struct audit_sweeper *s = arg;
	struct db *db = db_pool_get(s->pool);
	uint64_t rows = 0, counts = 0;

	if (db == NULL ||
	    audit_prune(db, (int64_t)time(NULL) - s->days * 86400, &rows,
		&counts) != 0) {
		fprintf(stderr, _("kyso-ra: could not prune the audit log\n"));
		db_pool_put(s->pool, db);
		return;
	}
	db_pool_put(s->pool, db);
	if (rows == 0 && counts == 0)
		return; /* nothing to say: the access log stays one line a call */
	fprintf(stderr,
	    _("kyso-ra: audit retention: %llu audit rows and %llu failure "
	      "counters older than %lld days deleted\n"),
	    (unsigned long long)rows, (unsigned long long)counts,
	    (long long)s->days);
}

int
audit_sweeper_start(struct db_pool *pool, int64_t days, struct audit_sweeper **out)
{
	struct audit_sweeper *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	s->pool = pool;
	s->days = days;
	if ((r = periodic_start(AUDIT_SWEEP_SECS, sweep_once, s, &s->job)) != 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void
audit_sweeper_stop(struct audit_sweeper *s)
{
	if (s == NULL)
		return;
	periodic_stop(s->job);
	free(s);
}
