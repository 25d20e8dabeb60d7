/* bench/agent's floor: what the agent's token side itself does for a
 * batch, in one process and without HTTP, JSON, base64, frames or
 * dialogs: sign each PDF in memory (pdf_sign_mem, as kyso-agent does) on
 * a token logged in once (p11_signer_open). Prints the best of RUNS
 * batches in milliseconds, timed from after the login to the last item
 * (the agent logs in while its job still says waiting_user, so the
 * client counts the login with the dialogs); the files are read before.
 * Usage: bench_agent_mem --token SERIAL --pin-fd N RUNS FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/parse.h"
#include "common/secret.h"
#include "p11/signer.h"
#include "sign/formats/pdf_sign.h"
#include "sign/mapfile.h"

/* Milliseconds on the monotonic clock. */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One batch as the token side signs it: login, each file (timed: *ms),
 * close. */
static int
batch(const char *token, const char *pin, struct mapfile **files, int n,
    double *ms)
{
	struct p11_signer_opts so = { 0 };
	struct pdf_sign_opts po = { 0 };
	struct p11_signer *s = NULL;
	const char *why = NULL;
	double t0;
	int i, rc = 1;

	so.token = token;
	if (p11_signer_open(&so, pin, &s, &why) != 0) {
		fprintf(stderr, "bench_agent_mem: %s\n", why ? why : "no token");
		return 1;
	}
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		struct buf *out = buf_new(64u << 20);

		if (out == NULL ||
		    pdf_sign_mem(s, mapfile_data(files[i]),
			mapfile_len(files[i]), &po, out, &why) != 0) {
			fprintf(stderr, "bench_agent_mem: %s\n",
			    why ? why : "out of memory");
			buf_free(out);
			goto out;
		}
		buf_free(out);
	}
	*ms = now_ms() - t0;
	rc = 0;
out:
	p11_signer_free(s);
	return rc;
}

int
main(int argc, char **argv)
{
	struct mapfile **files = NULL;
	char *pin = NULL;
	uint64_t fd = 0, runs = 0;
	double best = -1, t;
	int i, n, rc = 1;

	if (argc < 7 || strcmp(argv[1], "--token") != 0 ||
	    strcmp(argv[3], "--pin-fd") != 0 ||
	    parse_u64(argv[4], 0, 1024, &fd) != 0 ||
	    parse_u64(argv[5], 1, 1000, &runs) != 0) {
		fprintf(stderr,
		    "usage: bench_agent_mem --token SERIAL "
		    "--pin-fd N RUNS FILE...\n");
		return 2;
	}
	n = argc - 6;
	if ((files = calloc((size_t)n, sizeof(*files))) == NULL ||
	    secret_read((int)fd, "PIN: ", &pin) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (mapfile_open(argv[6 + i], &files[i]) != 0) {
			fprintf(stderr, "bench_agent_mem: cannot read %s\n",
			    argv[6 + i]);
			goto out;
		}
	for (uint64_t k = 0; k < runs; k++) {
		if (batch(argv[2], pin, files, n, &t) != 0)
			goto out;
		if (best < 0 || t < best)
			best = t;
	}
	printf("%.1f\n", best);
	rc = 0;
out:
	secret_free(pin);
	for (i = 0; files != NULL && i < n; i++)
		mapfile_free(files[i]);
	free(files);
	return rc;
}
