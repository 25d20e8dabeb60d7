#include "outbox.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct outbox_sweeper {
	struct mailer *m;
	int64_t otp_ttl, any_ttl; /* any: the longer of the two lifetimes */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	pthread_t thread;
};

/* The outbox is a delivery queue: an OTP mail is of no use after the OTP
 * expired, an activation mail after its code did, so neither stays
 * readable for long. A mail is told apart only by its "OTP:" line: the
 * rest goes after the longer lifetime, never before an OTP's. */
static void *
sweep_main(void *arg)
{
	struct outbox_sweeper *s = arg;
	struct timespec ts;
	unsigned n;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		/* a sweep's grace after the expiry: a mail is never taken
		 * from under someone reading it as it is written */
		int64_t now = (int64_t)time(NULL) - OUTBOX_SWEEP_SECS;

		pthread_mutex_unlock(&s->lock);
		if (mailer_outbox_prune(s->m, "OTP:", now - s->otp_ttl, &n) != 0 ||
		    mailer_outbox_prune(s->m, NULL, now - s->any_ttl, &n) != 0)
			fprintf(stderr, "kyso-ra: cannot clean the outbox\n");
		pthread_mutex_lock(&s->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += OUTBOX_SWEEP_SECS;
		while (!s->stop &&
		    pthread_cond_timedwait(&s->wake, &s->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int
outbox_sweeper_start(struct mailer *m, int64_t code_ttl, int64_t otp_ttl,
    struct outbox_sweeper **out)
{
	struct outbox_sweeper *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	s->m = m;
	s->otp_ttl = otp_ttl;
	s->any_ttl = code_ttl > otp_ttl ? code_ttl : otp_ttl;
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
outbox_sweeper_stop(struct outbox_sweeper *s)
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
