/* The PDF reader against two sets of files, each beside a list of what
 * is expected of every file (tests/pdfgen/expect.txt for the set that
 * tests/pdfgen/gen_corpus.bash makes in the build tree, tests/pdfgen/
 * shared.txt for ../shared/pdf-corpus): each file either opens, with an
 * exact count of unreadable objects and the xref check's verdict, or is
 * refused with the exact error and a message. Then hand-made cases. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/parse.h"
#include "sign/pdf/pdf.h"
#include "../unit/unit.h"

struct expect {
	char name[128];
	int rc;		   /* pdf_open's result */
	int xref_stream;   /* newest section is a stream */
	int bad;	   /* objects that cannot be read */
	int64_t first_bad; /* pdf_check_xref's object, or 0: no error */
};

/* The next blank-separated word of *p, cut in place; NULL at the end. */
static char *
next_word(char **p)
{
	char *w = *p + strspn(*p, " \t\r\n"), *e;

	if (*w == '\0')
		return NULL;
	e = w + strcspn(w, " \t\r\n");
	if (*e != '\0')
		*e++ = '\0';
	*p = e;
	return w;
}

/* One line of an expectation list: "name open xref unreadable check
 * kyso-sign [message words]" (open: ok, corrupt or unsupported; xref:
 * table or stream; check: ok or the first object pdf_check_xref names;
 * "-" where the file is refused; kyso-sign: sign or refuse; the words are
 * corpus.sh's). 1: an entry, 0: a blank or comment, -1: bad. */
static int
parse_expect(char *line, struct expect *e)
{
	char *w[6];
	uint64_t v;
	int i, refuse;

	memset(e, 0, sizeof(*e));
	if ((w[0] = next_word(&line)) == NULL || w[0][0] == '#')
		return 0;
	for (i = 1; i < 6; i++)
		if ((w[i] = next_word(&line)) == NULL)
			return -1;
	/* The signer's column agrees: it refuses what the reader does not
	 * open or does not trust. */
	if (strcmp(w[5], "sign") != 0 && strcmp(w[5], "refuse") != 0)
		return -1;
	refuse = strcmp(w[5], "refuse") == 0;
	/* A file not read whole is refused; one that is may be too, for what
	 * its author forbids (an encrypted file's permissions). */
	if (!refuse && (strcmp(w[1], "ok") != 0 || strcmp(w[4], "ok") != 0))
		return -1;
	if (strlen(w[0]) >= sizeof(e->name))
		return -1;
	memcpy(e->name, w[0], strlen(w[0]) + 1);
	if (strcmp(w[1], "ok") == 0)
		e->rc = 0;
	else if (strcmp(w[1], "corrupt") == 0)
		e->rc = KYSO_ERR_CORRUPT;
	else if (strcmp(w[1], "unsupported") == 0)
		e->rc = KYSO_ERR_UNSUPPORTED;
	else
		return -1;
	if (e->rc != 0)
		return strcmp(w[2], "-") == 0 && strcmp(w[3], "-") == 0 &&
			strcmp(w[4], "-") == 0
		    ? 1
		    : -1;
	if (strcmp(w[2], "table") != 0 && strcmp(w[2], "stream") != 0)
		return -1;
	e->xref_stream = strcmp(w[2], "stream") == 0;
	if (parse_u64(w[3], 0, 1000, &v) != 0)
		return -1;
	e->bad = (int)v;
	if (strcmp(w[4], "ok") != 0) {
		if (parse_u64(w[4], 1, 1000000, &v) != 0)
			return -1;
		e->first_bad = (int64_t)v;
	}
	return 1;
}

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
				printf("   object %lld unreadable\n",
				    (long long)i);
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
					printf("   stream %lld: %s\n",
					    (long long)i, kyso_strerror(r));
			}
			buf_free(b);
		}
		pdf_obj_free(o);
	}
	return bad;
}

/* One file against its expectation. */
static void
test_file(const char *dir, const struct expect *e, int verbose)
{
	char *path = path_join(dir, e->name);
	struct buf *data = NULL;
	struct pdf *pdf = NULL;
	const char *why = NULL;
	int r;

	CHECK(path != NULL);
	CHECK_ERR(file_read(path, (size_t)1 << 26, &data), 0);
	free(path);
	if (data == NULL) {
		fprintf(stderr, "%s: listed but not read\n", e->name);
		return;
	}
	r = pdf_open(buf_ptr(data), buf_len(data), &pdf, &why);
	if (verbose || r != e->rc)
		printf("%s: %d %s\n", e->name, r,
		    r ? why
		      : (pdf_xref_is_stream(pdf) ? "xref stream" : "xref table"));
	CHECK_ERR(r, e->rc);
	if (r == 0) {
		int64_t bad = -1;
		int n = walk(pdf, verbose);

		CHECK(pdf_xref_is_stream(pdf) == e->xref_stream);
		if (n != e->bad)
			printf("%s: %d objects unreadable, want %d\n", e->name,
			    n, e->bad);
		CHECK(n == e->bad);
		CHECK_ERR(pdf_check_xref(pdf, &bad),
		    e->first_bad != 0 ? KYSO_ERR_CORRUPT : 0);
		if (e->first_bad != 0 && bad != e->first_bad)
			printf("%s: the xref check names object %lld, want %lld\n",
			    e->name, (long long)bad, (long long)e->first_bad);
		if (e->first_bad != 0)
			CHECK(bad == e->first_bad);
	} else {
		CHECK(why != NULL && strlen(why) > 10);
	}
	pdf_free(pdf);
	buf_free(data);
}

/* How many *.pdf files dir holds. */
static size_t
count_pdfs(DIR *d)
{
	struct dirent *de;
	size_t n = 0, len;

	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + (len - 4), ".pdf") == 0)
			n++;
	}
	return n;
}

/* Every file of dir against the list in expect_path: each listed file
 * is there and meets its line, and no file is left without a line.
 * Returns how many files were checked. */
static size_t
test_set(const char *dir, const char *expect_path, int verbose)
{
	FILE *f = fopen(expect_path, "r");
	DIR *d = opendir(dir);
	char line[512];
	struct expect e;
	size_t n = 0, lineno = 0, held;
	int r;

	CHECK(f != NULL);
	CHECK(d != NULL);
	if (f == NULL || d == NULL)
		goto out;
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((r = parse_expect(line, &e)) < 0)
			fprintf(stderr, "%s:%zu: a bad line\n", expect_path,
			    lineno);
		CHECK(r >= 0);
		if (r <= 0)
			continue;
		test_file(dir, &e, verbose);
		n++;
	}
	if ((held = count_pdfs(d)) != n)
		fprintf(stderr,
		    "%s: %zu files listed in %s, the folder holds %zu\n", dir,
		    n, expect_path, held);
	CHECK(held == n);
out:
	if (d != NULL)
		closedir(d);
	if (f != NULL)
		fclose(f);
	return n;
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

		CHECK_ERR(pdf_open((const uint8_t *)ok, strlen(ok), &pdf, &why),
		    0);
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
			snprintf(big, n, "%.*sPrev 170/%s", (int)head, loop,
			    p + 8);
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
		CHECK_ERR(buf_putf(b,
			      "\nendobj\nxref\n0 2\n0000000000 65535 f \n"
			      "0000000009 00000 n \ntrailer\n<</Size 2/Root 1 0 R>>\n"
			      "startxref\n%zu\n%%%%EOF\n",
			      (size_t)10027),
		    0);
		{
			struct pdf *pdf = NULL;
			int r = pdf_open(buf_ptr(b), buf_len(b), &pdf, &why);
			CHECK_ERR(r, KYSO_ERR_CORRUPT);
			pdf_free(pdf);
		}
		buf_free(b);
	}
}

/* test_pdf_read GEN_DIR GEN_LIST [SHARED_DIR SHARED_LIST]: the generated
 * set must be there; the shared corpus is tested when it is there (and
 * must be when KYSO_PDF_CORPUS_REQUIRED=1, as in CI). */
int
main(int argc, char **argv)
{
	int verbose = getenv("VERBOSE") != NULL;
	const char *req = getenv("KYSO_PDF_CORPUS_REQUIRED");
	DIR *d;

	CHECK(argc == 3 || argc == 5);
	if (argc != 3 && argc != 5)
		return unit_done();
	CHECK(test_set(argv[1], argv[2], verbose) >= 20);
	if (argc == 5) {
		if ((d = opendir(argv[3])) != NULL) {
			closedir(d);
			CHECK(test_set(argv[3], argv[4], verbose) > 0);
		} else if (req != NULL && strcmp(req, "1") == 0) {
			fprintf(stderr,
			    "no shared PDF corpus at %s, and "
			    "KYSO_PDF_CORPUS_REQUIRED=1\n",
			    argv[3]);
			CHECK(0);
		} else {
			printf("no shared PDF corpus at %s: the generated set only\n",
			    argv[3]);
		}
	}
	test_handmade();
	return unit_done();
}
