/* The floor for bench/sign: what signing a file cannot avoid, in one
 * process with one login: SHA-256 of its bytes, one signature by the
 * token, and a copy of the file to the output folder.
 * Usage: bench_sign_floor --token SERIAL --pin-fd N OUTDIR FILE... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/parse.h"
#include "sign/mapfile.h"
#include "common/secret.h"
#include "p11/signer.h"

int
main(int argc, char **argv)
{
	struct p11_signer_opts so = { 0 };
	struct p11_signer *s = NULL;
	const char *why = NULL;
	char *pin = NULL;
	uint64_t fd = 0;
	int i, rc = 1;

	if (argc < 7 || strcmp(argv[1], "--token") != 0 ||
	    strcmp(argv[3], "--pin-fd") != 0 ||
	    parse_u64(argv[4], 0, 1024, &fd) != 0) {
		fprintf(stderr,
		    "usage: bench_sign_floor --token SERIAL --pin-fd N OUTDIR FILE...\n");
		return 2;
	}
	so.token = argv[2];
	if (secret_read((int)fd, "PIN: ", &pin) != 0 ||
	    p11_signer_open(&so, pin, &s, &why) != 0) {
		fprintf(stderr, "floor: %s\n", why ? why : "no PIN");
		secret_free(pin);
		return 1;
	}
	secret_free(pin);
	for (i = 6; i < argc; i++) {
		struct mapfile *m = NULL;
		struct outfile *of = NULL;
		struct buf *sig = buf_new(0);
		uint8_t h[32];
		char out[4096];
		const char *base = strrchr(argv[i], '/');

		snprintf(out, sizeof(out), "%s/%s", argv[5],
		    base ? base + 1 : argv[i]);
		if (sig == NULL || mapfile_open(argv[i], &m) != 0 ||
		    EVP_Digest(mapfile_data(m), mapfile_len(m), h, NULL,
			EVP_sha256(), NULL) != 1 ||
		    p11_signer_sign_digest(s, h, sig) != 0 ||
		    outfile_open(out, &of) != 0 ||
		    outfile_write(of, mapfile_data(m), mapfile_len(m)) != 0 ||
		    outfile_commit(of) != 0) {
			fprintf(stderr, "floor: %s failed\n", argv[i]);
			buf_free(sig);
			mapfile_free(m);
			goto out;
		}
		buf_free(sig);
		mapfile_free(m);
	}
	rc = 0;
out:
	p11_signer_free(s);
	return rc;
}
