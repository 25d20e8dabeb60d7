/* The PDF reader against the shared corpus (real producers' files and
 * awkward ones): each file either opens, with every object readable, or
 * is refused with the exact error and a message. Then hand-made cases. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "sign/pdf/pdf.h"
#include "../unit/unit.h"

struct expect {
	const char *name;
	int rc;            /* pdf_open's result */
	int xref_stream;   /* newest section is a stream */
	int bad;           /* objects whose xref entry is wrong */
};

static const struct expect corpus[] = {
	{ "append-xref-loop.pdf", KYSO_ERR_CORRUPT, 0, 0 },
	{ "bad-xref-entry.pdf", 0, 0, 2 },
	{ "bad-xref.pdf", 0, 0, 0 },
	{ "badlin1.pdf", 0, 0, 0 },
	{ "c-linearized.pdf", 0, 1, 0 },
	{ "c-object-streams.pdf", 0, 1, 0 },
	{ "compress-objstm-xref.pdf", 0, 1, 0 },
	{ "digitally-signed.pdf", 0, 1, 0 },
	{ "enc-XI-R6_V5_U_view_O_master.pdf", KYSO_ERR_UNSUPPORTED, 0, 0 },
	{ "encrypted-40-bit-R3.pdf", KYSO_ERR_UNSUPPORTED, 0, 0 },
	{ "form-filled-by-acrobat.pdf", 0, 0, 0 },
	{ "hybrid-xref.pdf", 0, 0, 1 },
	{ "incremental-1.pdf", 0, 0, 0 },
	{ "incremental-2.pdf", 0, 0, 0 },
	{ "pdfjs-GHOSTSCRIPT-698804-1-fuzzed.pdf", KYSO_ERR_CORRUPT, 0, 0 },
	{ "pdfjs-empty_protected.pdf", KYSO_ERR_UNSUPPORTED, 0, 0 },
	{ "pdfjs-encrypted-attachment.pdf", KYSO_ERR_CORRUPT, 0, 0 },
	{ "pdfjs-helloworld-bad.pdf", KYSO_ERR_CORRUPT, 0, 0 },
	{ "pdfjs-signed_verified.pdf", 0, 0, 0 },
	{ "pdfjs-xref_command_missing.pdf", KYSO_ERR_CORRUPT, 0, 0 },
};

/* Reads every object; returns how many could not be read. */
static int
walk(struct pdf *pdf, int verbose)
{
	int64_t i, n = pdf_next_num(pdf);
	struct pdf_obj *o;
	struct buf *b;
	int bad = 0;

	for (i = 1; i < n; i++) {
		if (pdf_get(pdf, i, &o) != 0) {
			if (verbose)
				printf("   object %lld unreadable\n", (long long)i);
			bad++;
			continue;
		}
		if ((b = buf_new(0)) == NULL || pdf_obj_write(b, o) != 0)
			bad++;
		buf_free(b);
		b = NULL;
		if (o->type == PDF_STREAM) {
			int r = pdf_stream_decode(pdf, o, PDF_MAX_DECODED, &b);
			/* Image and font filters are not ours to decode. */
			if (r != 0 && r != KYSO_ERR_UNSUPPORTED) {
				if (verbose)
					printf("   stream %lld: %s\n", (long long)i,
					    kyso_strerror(r));
			}
			buf_free(b);
		}
		pdf_obj_free(o);
	}
	return bad;
}

static void
test_corpus(const char *dir, int verbose)
{
	size_t i;

	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		char *path = path_join(dir, corpus[i].name);
		struct buf *data = NULL;
		struct pdf *pdf = NULL;
		const char *why = NULL;
		int r;

		CHECK(path != NULL);
		CHECK_ERR(file_read(path, (size_t)1 << 26, &data), 0);
		free(path);
		if (data == NULL)
			continue;
		r = pdf_open(buf_ptr(data), buf_len(data), &pdf, &why);
		if (verbose || r != corpus[i].rc)
			printf("%s: %d %s\n", corpus[i].name, r,
			    r ? why : (pdf_xref_is_stream(pdf) ? "xref stream" : "xref table"));
		CHECK_ERR(r, corpus[i].rc);
		if (r == 0) {
			CHECK(pdf_xref_is_stream(pdf) == corpus[i].xref_stream);
			CHECK(walk(pdf, verbose) == corpus[i].bad);
			{
				/* hybrid-xref's one bad entry is its own xref
				 * stream's, which nothing refers to. */
				int64_t bad = -1;
				int want = corpus[i].bad > 0 &&
				    strcmp(corpus[i].name, "hybrid-xref.pdf") != 0 ?
				    KYSO_ERR_CORRUPT : 0;

				CHECK_ERR(pdf_check_xref(pdf, &bad), want);
				if (want != 0)
					CHECK(bad == 4 || bad == 5);
			}
		} else {
			CHECK(why != NULL && strlen(why) > 10);
		}
		pdf_free(pdf);
		buf_free(data);
	}
}

static int
open_str(const char *s, const char **why)
{
	struct pdf *pdf = NULL;
	int r = pdf_open((const uint8_t *)s, strlen(s), &pdf, why);

	pdf_free(pdf);
	return r;
}

static void
test_handmade(void)
{
	const char *why;
	static const char ok[] =
	    "%PDF-1.4\n"
	    "1 0 obj\n<</Type/Catalog/Pages 2 0 R>>\nendobj\n"
	    "2 0 obj\n<</Type/Pages/Kids[3 0 R]/Count 1>>\nendobj\n"
	    "3 0 obj\n<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>\nendobj\n"
	    "xref\n0 4\n"
	    "0000000000 65535 f \n"
	    "0000000009 00000 n \n"
	    "0000000054 00000 n \n"
	    "0000000105 00000 n \n"
	    "trailer\n<</Size 4/Root 1 0 R>>\nstartxref\n170\n%%EOF\n";
	char *loop, *p;

	CHECK_ERR(open_str(ok, &why), 0);
	/* The next free number is /Size, not the reader's table room (a
	 * new object numbered below it would look like a changed one). */
	{
		struct pdf *pdf = NULL;

		CHECK_ERR(pdf_open((const uint8_t *)ok, strlen(ok), &pdf, &why), 0);
		CHECK(pdf != NULL && pdf_next_num(pdf) == 4);
		pdf_free(pdf);
	}
	CHECK_ERR(open_str("not a pdf at all", &why), KYSO_ERR_INVALID);
	CHECK_ERR(open_str("%PDF-1.4\nstartxref\n99999\n%%EOF", &why),
	    KYSO_ERR_CORRUPT);
	CHECK_ERR(open_str("%PDF-1.4\n", &why), KYSO_ERR_CORRUPT);
	/* A /Prev that points at its own section. */
	loop = strdup(ok);
	CHECK(loop != NULL);
	if (loop != NULL && (p = strstr(loop, "/Size 4/")) != NULL) {
		size_t head = (size_t)(p - loop) + 8, n = strlen(ok) + 32;
		char *big = malloc(n);

		CHECK(big != NULL);
		if (big != NULL) {
			snprintf(big, n, "%.*sPrev 170/%s", (int)head, loop, p + 8);
			CHECK_ERR(open_str(big, &why), KYSO_ERR_CORRUPT);
			CHECK(strstr(why, "loop") != NULL);
			free(big);
		}
	}
	free(loop);
	/* Deep nesting is refused, not recursed into. */
	{
		struct buf *b = buf_new(0);
		int k;

		CHECK(b != NULL);
		CHECK_ERR(buf_putf(b, "%%PDF-1.4\n1 0 obj\n"), 0);
		for (k = 0; k < 10000; k++)
			CHECK_ERR(buf_put_u8(b, '['), 0);
		CHECK_ERR(buf_putf(b, "\nendobj\nxref\n0 2\n0000000000 65535 f \n"
		    "0000000009 00000 n \ntrailer\n<</Size 2/Root 1 0 R>>\n"
		    "startxref\n%zu\n%%%%EOF\n", (size_t)10027), 0);
		{
			struct pdf *pdf = NULL;
			int r = pdf_open(buf_ptr(b), buf_len(b), &pdf, &why);
			CHECK_ERR(r, KYSO_ERR_CORRUPT);
			pdf_free(pdf);
		}
		buf_free(b);
	}
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "../shared/pdf-corpus";
	DIR *d = opendir(dir);

	/* The corpus is part of the test: without it the test fails. */
	CHECK(d != NULL);
	if (d != NULL) {
		closedir(d);
		test_corpus(dir, getenv("VERBOSE") != NULL);
	}
	test_handmade();
	return unit_done();
}
