/* The AcroForm field walker (src/sign/pdf/pdf_form.c) that signing and
 * verification share: the order it visits in, a visitor's stop and
 * skip, and its bounds (depth, width, budget) on forms that loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sign/pdf/pdf_form.h"
#include "../unit/unit.h"

/* A classic PDF whose objects are objs[0..n) numbered from 1: the catalog
 * first, its /AcroForm 2 0 R. */
static struct buf *
make_pdf(const char *const *objs, size_t n)
{
	struct buf *b = buf_new(0);
	size_t off[16], i, x;
	char line[64];
	int ok = b != NULL && n <= 16 && buf_put(b, "%PDF-1.4\n", 9) == 0;

	for (i = 0; ok && i < n; i++) {
		off[i] = buf_len(b);
		snprintf(line, sizeof(line), "%zu 0 obj\n", i + 1);
		ok = buf_put(b, line, strlen(line)) == 0 &&
		    buf_put(b, objs[i], strlen(objs[i])) == 0 &&
		    buf_put(b, "\nendobj\n", 8) == 0;
	}
	x = ok ? buf_len(b) : 0;
	snprintf(line, sizeof(line), "xref\n0 %zu\n0000000000 65535 f \n", n + 1);
	ok = ok && buf_put(b, line, strlen(line)) == 0;
	for (i = 0; ok && i < n; i++) {
		snprintf(line, sizeof(line), "%010zu 00000 n \n", off[i]);
		ok = buf_put(b, line, strlen(line)) == 0;
	}
	snprintf(line, sizeof(line), "trailer\n<</Size %zu/Root 1 0 R>>\n",
	    n + 1);
	ok = ok && buf_put(b, line, strlen(line)) == 0;
	snprintf(line, sizeof(line), "startxref\n%zu\n%%%%EOF\n", x);
	ok = ok && buf_put(b, line, strlen(line)) == 0;
	if (!ok) {
		buf_free(b);
		return NULL;
	}
	return b;
}

/* What the visitor saw, and where it answers otherwise than "next". */
struct seen {
	char names[256];
	const char *stop_at, *skip_at;
	int nulls;
};

static enum pdf_form_next
note(void *ud, struct pdf *pdf, const struct pdf_obj *f)
{
	struct seen *s = ud;
	const struct pdf_obj *t = pdf_dict_get(f, "T");
	size_t used = strlen(s->names);

	if (f->type == PDF_NULL)
		s->nulls++;
	if (t == NULL || t->type != PDF_STRING)
		return PDF_FORM_NEXT;
	snprintf(s->names + used, sizeof(s->names) - used, "%.*s,", (int)t->n,
	    (const char *)t->s);
	if (s->stop_at != NULL && strlen(s->stop_at) == t->n &&
	    memcmp(s->stop_at, t->s, t->n) == 0)
		return PDF_FORM_STOP;
	if (s->skip_at != NULL && strlen(s->skip_at) == t->n &&
	    memcmp(s->skip_at, t->s, t->n) == 0)
		return PDF_FORM_SKIP_KIDS;
	return PDF_FORM_NEXT;
}

/* Opens the PDF made of objs and walks its form's /Fields with w. */
static int
walk_pdf(const char *const *objs, size_t n, struct pdf_form_walk *w)
{
	struct buf *b = make_pdf(objs, n);
	struct pdf *pdf = NULL;
	struct pdf_obj *acro = NULL, *fields = NULL;
	const char *why = NULL;
	int r = KYSO_ERR_NOMEM;

	if (b == NULL)
		goto out;
	if ((r = pdf_open(buf_ptr(b), buf_len(b), &pdf, &why)) != 0 ||
	    (r = pdf_get(pdf, 2, &acro)) != 0 ||
	    (r = pdf_resolve(pdf, pdf_dict_get(acro, "Fields"), &fields)) != 0)
		goto out;
	pdf_form_walk(pdf, fields, w);
	r = 0;
out:
	pdf_obj_free(fields);
	pdf_obj_free(acro);
	pdf_free(pdf);
	buf_free(b);
	return r;
}

static void
test_order_stop_skip(void)
{
	static const char *const objs[] = {
		"<</Type/Catalog/AcroForm 2 0 R>>",
		"<</Fields[3 0 R 4 0 R 9 0 R]>>",
		"<</T(a)/FT/Sig/V<<>>>>",
		"<</T(b)/Kids[5 0 R 6 0 R]>>",
		"<</T(c)/AP<<>>>>",
		"<</T(d)>>",
	};
	struct seen s;
	struct pdf_form_walk w = { .visit = note,
		.ud = &s,
		.budget = 100,
		.width = SIZE_MAX };

	/* A field before its kids; 9 0 R is not defined: a null. */
	memset(&s, 0, sizeof(s));
	CHECK_ERR(walk_pdf(objs, 6, &w), 0);
	CHECK(strcmp(s.names, "a,b,c,d,") == 0);
	CHECK(s.nulls == 1);
	CHECK(!w.stopped && !w.cut && !w.spent);
	CHECK(w.budget == 100 - 5);

	memset(&s, 0, sizeof(s));
	s.stop_at = "c";
	w.budget = 100;
	CHECK_ERR(walk_pdf(objs, 6, &w), 0);
	CHECK(strcmp(s.names, "a,b,c,") == 0);
	CHECK(w.stopped && !w.cut && !w.spent);

	memset(&s, 0, sizeof(s));
	s.skip_at = "b";
	w.budget = 100;
	CHECK_ERR(walk_pdf(objs, 6, &w), 0);
	CHECK(strcmp(s.names, "a,b,") == 0);
	CHECK(s.nulls == 1 && !w.stopped && !w.cut);

	/* Two items of an array at the most: the third is left out. */
	memset(&s, 0, sizeof(s));
	w.budget = 100;
	w.width = 2;
	CHECK_ERR(walk_pdf(objs, 6, &w), 0);
	CHECK(strcmp(s.names, "a,b,c,d,") == 0);
	CHECK(s.nulls == 0 && w.cut && !w.spent);
}

static void
test_loops(void)
{
	/* A field that is its own kid, twice: 2^9 - 1 = 511 visits down to
	 * the depth bound, then the walk is cut there. */
	static const char *const objs[] = {
		"<</Type/Catalog/AcroForm 2 0 R>>",
		"<</Fields[3 0 R]>>",
		"<</T(x)/Kids[3 0 R 3 0 R]>>",
	};
	struct seen s;
	struct pdf_form_walk w = { .visit = note,
		.ud = &s,
		.budget = 1000,
		.width = SIZE_MAX };

	memset(&s, 0, sizeof(s));
	CHECK_ERR(walk_pdf(objs, 3, &w), 0);
	CHECK(w.budget == 1000 - 511);
	CHECK(w.cut && !w.spent && !w.stopped);

	/* A smaller budget ends the walk first. */
	memset(&s, 0, sizeof(s));
	w.budget = 100;
	CHECK_ERR(walk_pdf(objs, 3, &w), 0);
	CHECK(w.budget == 0 && w.spent);
}

int
main(void)
{
	test_order_stop_skip();
	test_loops();
	return unit_done();
}
