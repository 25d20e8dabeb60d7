#include "audit_sweep.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "audit.h"
#include "common/i18n.h"

struct audit_sweeper {
	struct db_pool *pool;
	int64_t days;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	pthread_t thread;
};

/* One pass of the retention rule; a failure is said and tried again the
 * next day (a busy database at start is no reason to stop serving). */
static void
sweep_once(struct audit_sweeper *s)
{
	struct db *db = db_pool_get(s->pool);
	uint64_t rows = 0, counts = 0;

	if (db == NULL ||
	    audit_prune(db, (int64_t)time(NULL) - s->days * 86400, &rows,
		&counts) != 0) {
		fprintf(stderr, _("kyso-ra: could not prune the audit log\n"));
		return;
	}
	if (rows == 0 && counts == 0)
		return; /* nothing to say: the access log stays one line a call */
	fprintf(stderr,
	    _("kyso-ra: audit retention: %llu audit rows and %llu failure "
	      "counters older than %lld days deleted\n"),
	    (unsigned long long)rows, (unsigned long long)counts,
	    (long long)s->days);
}

static void *
sweep_main(void *arg)
{
	struct audit_sweeper *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		sweep_once(s);
		pthread_mutex_lock(&s->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += AUDIT_SWEEP_SECS;
		while (!s->stop &&
		    pthread_cond_timedwait(&s->wake, &s->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int
audit_sweeper_start(struct db_pool *pool, int64_t days, struct audit_sweeper **out)
{
	struct audit_sweeper *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	s->pool = pool;
	s->days = days;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, sweep_main, s) != 0) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return KYSO_ERR_NOMEM;
	}
	*out = s;
	return 0;
}

void
audit_sweeper_stop(struct audit_sweeper *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
