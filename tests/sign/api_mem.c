/* Drives the C API as kyso-agent will: one signer for several documents,
 * signed in memory. Usage: api_mem TOKEN PIN IN.pdf OUT.pdf IN.xml OUT.xml
 * writes OUT.pdf, OUT.pdf.p7s (CAdES of IN.pdf) and OUT.xml. */
#include <stdio.h>
#include <string.h>

#include "common/fsutil.h"
#include "sign/kyso_sign.h"

int
main(int argc, char **argv)
{
	struct p11_signer_opts so = { 0 };
	struct pdf_sign_opts po = { 0 };
	struct p11_signer *s = NULL;
	struct buf *in = NULL, *out = NULL, *out2 = NULL;
	const char *why = NULL;
	int r, rc = 1;

	if (argc < 7)
		return 2;
	so.token = argv[1];
	if ((r = p11_signer_open(&so, argv[2], &s, &why)) != 0) {
		fprintf(stderr, "signer_open: %s (%s)\n", why, kyso_strerror(r));
		return 1;
	}
	if (file_read(argv[3], (size_t)1 << 28, &in) != 0 ||
	    (out = buf_new((size_t)1 << 28)) == NULL ||
	    (out2 = buf_new(64)) == NULL)
		goto done;
	if ((r = pdf_sign_mem(s, buf_ptr(in), buf_len(in), &po, out, &why)) != 0) {
		fprintf(stderr, "pdf_sign_mem: %s\n", why);
		goto done;
	}
	/* An output buffer too small fails cleanly. */
	if ((r = pdf_sign_mem(s, buf_ptr(in), buf_len(in), &po, out2, &why)) !=
	    KYSO_ERR_TOO_LARGE) {
		fprintf(stderr, "a 64-byte output buffer gave %d\n", r);
		goto done;
	}
	if (memcmp(buf_ptr(out), buf_ptr(in), buf_len(in)) != 0 ||
	    file_write_atomic(argv[4], buf_ptr(out), buf_len(out), 0644) != 0)
		goto done;
	/* CAdES and XML-DSig from memory. */
	{
		struct buf *p7s = buf_new(1 << 20), *xin = NULL,
			   *xout = buf_new(1 << 24);
		struct xmldsig_opts xo = { NULL, NULL, 0, 0 };
		char path[4096];
		int ok;

		ok = p7s != NULL && xout != NULL &&
		    cades_sign_mem(s, buf_ptr(in), buf_len(in), NULL, p7s,
			&why) == 0 &&
		    snprintf(path, sizeof(path), "%s.p7s", argv[4]) > 0 &&
		    file_write_atomic(path, buf_ptr(p7s), buf_len(p7s), 0644) ==
			0 &&
		    file_read(argv[5], 1 << 24, &xin) == 0 &&
		    xmldsig_sign_mem(s, buf_ptr(xin), buf_len(xin), &xo, xout,
			&why) == 0 &&
		    file_write_atomic(argv[6], buf_ptr(xout), buf_len(xout),
			0644) == 0;
		if (!ok)
			fprintf(stderr, "cades/xml in memory: %s\n",
			    why ? why : "?");
		buf_free(p7s);
		buf_free(xin);
		buf_free(xout);
		if (!ok)
			goto done;
	}
	rc = 0;
done:
	buf_free(in);
	buf_free(out);
	buf_free(out2);
	p11_signer_free(s);
	return rc;
}
