#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RL_SLOTS 4096
#define RL_KEY	 64

struct slot {
	char key[RL_KEY];
	int64_t start;
	unsigned count;
};

struct ratelimit {
	unsigned limit, window;
	struct slot *s;
	pthread_mutex_t lock;
};

struct ratelimit *
ratelimit_new(unsigned limit, unsigned window)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	if ((rl->s = calloc(RL_SLOTS, sizeof(struct slot))) == NULL) {
		free(rl);
		return NULL;
	}
	rl->limit = limit;
	rl->window = window ? window : 60;
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->s);
	free(rl);
}

static uint32_t
hash(const char *k)
{
	uint32_t h = 2166136261u;

	for (; *k; k++)
		h = (h ^ (uint8_t)*k) * 16777619u;
	return h;
}

int
ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now)
{
	struct slot *victim = NULL;
	uint32_t h;
	unsigned i;
	int ok = 1;

	if (rl->limit == 0)
		return 1;
	h = hash(key);
	pthread_mutex_lock(&rl->lock);
	/* Open addressing over a short probe; a full probe reuses the
	 * oldest slot (an attacker who floods keys only resets strangers'
	 * windows, never gains tries on their own key within a window of
	 * its own probes). */
	for (i = 0; i < 16; i++) {
		struct slot *s = &rl->s[(h + i) % RL_SLOTS];

		if (s->key[0] != '\0' && strncmp(s->key, key, RL_KEY - 1) == 0) {
			victim = s;
			break;
		}
		if (s->key[0] == '\0' || now - s->start >= rl->window) {
			if (victim == NULL || victim->key[0] != '\0')
				victim = s;
		} else if (victim == NULL ||
		    (victim->key[0] != '\0' && s->start < victim->start &&
			now - victim->start < rl->window)) {
			victim = s;
		}
	}
	if (strncmp(victim->key, key, RL_KEY - 1) != 0 ||
	    now - victim->start >= rl->window) {
		snprintf(victim->key, RL_KEY, "%s", key);
		victim->start = now;
		victim->count = 0;
	}
	if (victim->count >= rl->limit)
		ok = 0;
	else
		victim->count++;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
