/* The socketpair to the token side (net_link.h). */
#include "agent/net_link.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct link {
	int fd;
	pthread_t reader;
	int reader_started;
	pthread_mutex_t m;  /* the fields below */
	pthread_mutex_t wm; /* one frame written at a time */
	pthread_cond_t cv;
	int call_busy;	   /* a request waits for its answer */
	int batch;	   /* a batch runs */
	int gone;	   /* the token side closed or misbehaved */
	struct buf *reply; /* the answer to the request in flight */
	link_batch_fn fn;
	void *ud;
};

/* The type byte of a frame (frames are never empty). */
static int
frame_type(const struct buf *f)
{
	return buf_ptr(f)[0];
}

/* Reads every frame: batch frames go to the batch, answers to the request
 * waiting. A frame nobody waits for means the two sides disagree: the
 * network side stops (the token side then starts a new one). */
static void *
reader_main(void *arg)
{
	struct link *l = arg;
	struct buf *f = NULL;
	link_batch_fn fn;
	void *ud;
	int t;

	for (;;) {
		if (proto_recv(l->fd, PROTO_MAX_FRAME, &f) != 0)
			break;
		t = frame_type(f);
		pthread_mutex_lock(&l->m);
		if (t == P_PROGRESS || t == P_ITEM || t == P_DONE) {
			fn = l->fn;
			ud = l->ud;
			if (!l->batch) {
				pthread_mutex_unlock(&l->m);
				break;
			}
			pthread_mutex_unlock(&l->m);
			fn(ud, f);
			if (t == P_DONE) {
				pthread_mutex_lock(&l->m);
				l->batch = 0;
				l->fn = NULL;
				pthread_cond_broadcast(&l->cv);
				pthread_mutex_unlock(&l->m);
			}
			buf_free(f);
			f = NULL;
			continue;
		}
		if (!l->call_busy || l->reply != NULL) {
			pthread_mutex_unlock(&l->m);
			break;
		}
		l->reply = f;
		f = NULL;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->m);
	}
	buf_free(f);
	pthread_mutex_lock(&l->m);
	l->gone = 1;
	fn = l->batch ? l->fn : NULL;
	ud = l->ud;
	l->batch = 0;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->m);
	if (fn != NULL)
		fn(ud, NULL);
	return NULL;
}

int
link_new(int fd, struct link **out)
{
	struct link *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return KYSO_ERR_NOMEM;
	l->fd = fd;
	pthread_mutex_init(&l->m, NULL);
	pthread_mutex_init(&l->wm, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (pthread_create(&l->reader, NULL, reader_main, l) != 0) {
		link_free(l);
		return KYSO_ERR_INTERNAL;
	}
	l->reader_started = 1;
	*out = l;
	return 0;
}

void
link_free(struct link *l)
{
	if (l == NULL)
		return;
	if (l->reader_started) {
		shutdown(l->fd, SHUT_RDWR);
		pthread_join(l->reader, NULL);
	}
	close(l->fd);
	buf_free(l->reply);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->wm);
	pthread_mutex_destroy(&l->m);
	free(l);
}

/* One frame out, whole, between other writers' frames. */
static int
send_frame(struct link *l, const struct buf *f)
{
	int r;

	pthread_mutex_lock(&l->wm);
	r = proto_send(l->fd, f);
	pthread_mutex_unlock(&l->wm);
	return r;
}

/* Waits until no request is in flight and takes the lock for the caller
 * (held on success): KYSO_ERR_BUSY while a batch runs, KYSO_ERR_IO when
 * the token side is gone (unlocked then). */
static int
wait_turn(struct link *l)
{
	int r;

	pthread_mutex_lock(&l->m);
	while (l->call_busy && !l->gone && !l->batch)
		pthread_cond_wait(&l->cv, &l->m);
	r = l->gone ? KYSO_ERR_IO : l->batch ? KYSO_ERR_BUSY : 0;
	if (r != 0)
		pthread_mutex_unlock(&l->m);
	return r;
}

int
link_call(struct link *l, const struct buf *req, struct buf **reply)
{
	struct buf *got = NULL;
	int r;

	if ((r = wait_turn(l)) != 0)
		return r;
	l->call_busy = 1;
	pthread_mutex_unlock(&l->m);
	r = send_frame(l, req);
	pthread_mutex_lock(&l->m);
	if (r == 0) {
		while (l->reply == NULL && !l->gone)
			pthread_cond_wait(&l->cv, &l->m);
		got = l->reply;
		l->reply = NULL;
		r = got != NULL ? 0 : KYSO_ERR_IO;
	}
	l->call_busy = 0;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->m);
	if (r == 0)
		*reply = got;
	return r;
}

int
link_batch(struct link *l, const struct buf *req, link_batch_fn fn, void *ud)
{
	int r;

	if ((r = wait_turn(l)) != 0)
		return r;
	l->batch = 1;
	l->fn = fn;
	l->ud = ud;
	pthread_mutex_unlock(&l->m);
	/* The token side answers only once it has read the whole frame:
	 * nothing reaches fn before this returns. */
	if ((r = send_frame(l, req)) != 0) {
		pthread_mutex_lock(&l->m);
		l->batch = 0;
		l->fn = NULL;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->m);
	}
	return r;
}

int
link_batch_running(struct link *l)
{
	int b;

	pthread_mutex_lock(&l->m);
	b = l->batch;
	pthread_mutex_unlock(&l->m);
	return b;
}

int
link_cancel(struct link *l)
{
	struct buf *f = NULL;
	int r;

	if (!link_batch_running(l))
		return 0;
	if ((r = proto_begin(P_CANCEL, &f)) != 0)
		return r;
	r = send_frame(l, f);
	buf_free(f);
	return r;
}

void
link_close(struct link *l)
{
	shutdown(l->fd, SHUT_RDWR);
}

int
link_wait_gone(struct link *l, unsigned ms)
{
	struct timespec until;
	int gone;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->m);
	while (!l->gone)
		if (pthread_cond_timedwait(&l->cv, &l->m, &until) == ETIMEDOUT)
			break;
	gone = l->gone;
	pthread_mutex_unlock(&l->m);
	return gone;
}
