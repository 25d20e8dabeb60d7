#include "common/periodic.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct periodic {
	unsigned secs;
	void (*fn)(void *);
	void *arg;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	pthread_t thread;
};

static void *
periodic_main(void *v)
{
	struct periodic *p = v;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		pthread_mutex_unlock(&p->lock);
		p->fn(p->arg);
		pthread_mutex_lock(&p->lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += p->secs;
		while (!p->stop &&
		    pthread_cond_timedwait(&p->wake, &p->lock, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int
periodic_start(unsigned secs, void (*fn)(void *), void *arg, struct periodic **out)
{
	struct periodic *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return KYSO_ERR_NOMEM;
	p->secs = secs;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if (pthread_create(&p->thread, NULL, periodic_main, p) != 0) {
		pthread_cond_destroy(&p->wake);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return KYSO_ERR_NOMEM;
	}
	*out = p;
	return 0;
}

void
periodic_stop(struct periodic *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
