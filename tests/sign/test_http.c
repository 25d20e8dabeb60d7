/* The one HTTP client (src/common/http.c) without a server: a refused
 * connection and a refused protocol are KYSO_ERR_IO with the reason given
 * back to each caller, from several threads at once (libcurl set up once;
 * no error shared between threads). */
#include <pthread.h>
#include <string.h>

#include "common/http.h"
#include "../unit/unit.h"

#define THREADS 4

struct job {
	int r, rj;
	struct http_error e;
	char last[HTTP_ERROR_MAX];
};

/* Port 1 on the loopback: nothing listens there, the connection is
 * refused at once. */
static void *
run(void *ud)
{
	struct job *j = ud;
	struct http_req q = { "http://127.0.0.1:1/", "application/x", "x", 1,
		NULL, 1024 };
	struct buf *out = NULL;
	json_t *req = json_object(), *resp = NULL;
	long st = 0;

	j->r = http_send(&q, NULL, &st, &out, &j->e);
	j->rj = req == NULL
	    ? KYSO_ERR_NOMEM
	    : http_post_json("http://127.0.0.1:1/", NULL, req, &st, &resp);
	snprintf(j->last, sizeof(j->last), "%s", http_last_error());
	json_decref(req);
	buf_free(out);
	return NULL;
}

int
main(void)
{
	pthread_t t[THREADS];
	struct job j[THREADS];
	struct buf *out = NULL;
	struct http_error e;
	json_t *resp = NULL;
	long st = 0;
	int i, started[THREADS];

	memset(j, 0, sizeof(j));
	for (i = 0; i < THREADS; i++)
		started[i] = pthread_create(&t[i], NULL, run, &j[i]) == 0;
	for (i = 0; i < THREADS; i++) {
		CHECK(started[i]);
		if (started[i])
			pthread_join(t[i], NULL);
		CHECK_ERR(j[i].r, KYSO_ERR_IO);
		CHECK_ERR(j[i].rj, KYSO_ERR_IO);
		CHECK(j[i].e.text[0] != '\0');
		CHECK(j[i].last[0] != '\0');
	}
	/* The threads' errors are theirs: this thread has none. */
	CHECK(http_last_error()[0] == '\0');

	/* Only http and https. */
	CHECK_ERR(http_fetch("file:///etc/hostname", NULL, NULL, 0, 1024, &out),
	    KYSO_ERR_IO);
	CHECK(out == NULL);
	{
		json_t *req = json_object();

		CHECK_ERR(http_send_json("ftp://127.0.0.1/", NULL, req, &st,
			      &resp, &e),
		    KYSO_ERR_IO);
		CHECK(e.text[0] != '\0' && resp == NULL && st == 0);
		json_decref(req);
	}
	return unit_done();
}
