#include "common/i18n.h"
#include "sign/formats/pdf_fields.h"

#include <stdlib.h>
#include <string.h>

#include "sign/mapfile.h"
#include "sign/pdf/pdf_form.h"
#include "sign/pdf/pdf_page.h"

#define FIELD_VISITS 100000 /* fields looked at in one walk */

struct collect {
	struct pdf_sig_fields *fs;
	const struct pdf_form_walk *w; /* for the visited field's number */
	int64_t p[PDF_FIELDS_MAX];     /* each widget's /P, or -1 */
	int err;
};

/* A PDF text string as UTF-8: UTF-16BE after FE FF, else PDFDocEncoding
 * taken as Latin-1 (the same for ASCII, which names usually are). */
static char *
text_utf8(const struct pdf_obj *t)
{
	const uint8_t *s = t->s;
	size_t n = t->n, i, o = 0;
	char *u = malloc(n * 2 + 1);
	int utf16 = n >= 2 && s[0] == 0xfe && s[1] == 0xff;

	if (u == NULL)
		return NULL;
	for (i = utf16 ? 2 : 0; i < n;) {
		uint32_t c;

		if (utf16) {
			if (n - i < 2)
				break;
			c = (uint32_t)s[i] << 8 | s[i + 1];
			i += 2;
			if (c >= 0xd800 && c <= 0xdfff)
				c = 0xfffd; /* names past U+FFFF: not kept */
		} else {
			c = s[i++];
		}
		if (c == 0)
			c = 0xfffd;
		if (c < 0x80) {
			u[o++] = (char)c;
		} else if (c < 0x800) {
			u[o++] = (char)(0xc0 | c >> 6);
			u[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			u[o++] = (char)(0xe0 | c >> 12);
			u[o++] = (char)(0x80 | (c >> 6 & 0x3f));
			u[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	u[o] = '\0';
	return u;
}

/* A number of a /Rect (an integer or a real written as text). */
static double
num_of(const struct pdf_obj *o)
{
	if (o == NULL)
		return 0;
	if (o->type == PDF_INT)
		return (double)o->i;
	if (o->type == PDF_REAL && o->s != NULL)
		return strtod((const char *)o->s, NULL);
	return 0;
}

/* The widget's /Rect, ordered (writers may give any two corners). */
static void
rect_of(const struct pdf_obj *w, double rect[4])
{
	const struct pdf_obj *r = pdf_dict_get(w, "Rect");
	double t;
	int i;

	for (i = 0; i < 4; i++)
		rect[i] = r != NULL && r->type == PDF_ARRAY && r->count == 4
		    ? num_of(r->items[i])
		    : 0;
	if (rect[0] > rect[2]) {
		t = rect[0];
		rect[0] = rect[2];
		rect[2] = t;
	}
	if (rect[1] > rect[3]) {
		t = rect[1];
		rect[1] = rect[3];
		rect[3] = t;
	}
}

/* Visitor: keeps each named signature field that has an object of its
 * own, and its widget: the field itself, or its one kid. */
static enum pdf_form_next
add_field(void *ud, struct pdf *pdf, const struct pdf_obj *f)
{
	struct collect *c = ud;
	struct pdf_sig_field *sf;
	const struct pdf_obj *t = pdf_dict_get(f, "T"), *v = pdf_dict_get(f, "V");
	const struct pdf_obj *kids = pdf_dict_get(f, "Kids"), *p;
	struct pdf_obj *kl = NULL, *kid = NULL;
	enum pdf_form_next next = PDF_FORM_NEXT;

	if (!pdf_name_is(pdf_dict_get(f, "FT"), "Sig") || t == NULL ||
	    t->type != PDF_STRING || c->w->num < 0)
		return PDF_FORM_NEXT;
	if (c->fs->n >= PDF_FIELDS_MAX)
		return PDF_FORM_STOP;
	sf = &c->fs->f[c->fs->n];
	memset(sf, 0, sizeof(*sf));
	sf->num = sf->widget = c->w->num;
	sf->page = -1;
	sf->is_signed = v != NULL && v->type != PDF_NULL;
	p = pdf_dict_get(f, "P");
	if (kids != NULL) {
		/* Its one widget; a field shown in several places is not one
		 * a signature can be put into. */
		if (pdf_resolve(pdf, kids, &kl) != 0 || kl->type != PDF_ARRAY ||
		    kl->count != 1 || kl->items[0]->type != PDF_REF ||
		    pdf_get(pdf, kl->items[0]->i, &kid) != 0 ||
		    kid->type != PDF_DICT)
			goto out;
		sf->widget = kl->items[0]->i;
		p = pdf_dict_get(kid, "P");
		next = PDF_FORM_SKIP_KIDS;
	}
	rect_of(kid != NULL ? kid : f, sf->rect);
	if ((sf->name = text_utf8(t)) == NULL) {
		c->err = KYSO_ERR_NOMEM;
		next = PDF_FORM_STOP;
		goto out;
	}
	c->p[c->fs->n] = p != NULL && p->type == PDF_REF ? p->i : -1;
	c->fs->n++;
out:
	pdf_obj_free(kl);
	pdf_obj_free(kid);
	return next;
}

void
pdf_sig_fields_free(struct pdf_sig_fields *fs)
{
	size_t i;

	if (fs == NULL)
		return;
	for (i = 0; i < fs->n; i++)
		free(fs->f[i].name);
	free(fs);
}

/* The one place that finds a document's signature fields and their
 * pages, for listing them and for signing into one. */
int
pdf_sig_fields_read(struct pdf *pdf, struct pdf_sig_fields **out, const char **why)
{
	const struct pdf_obj *root_ref = pdf_dict_get(pdf_trailer(pdf), "Root");
	struct pdf_obj *root = NULL, *acro = NULL, *fields = NULL;
	struct collect *c = calloc(1, sizeof(*c));
	struct pdf_form_walk w;
	size_t i;
	int r = KYSO_ERR_NOMEM;

	*why = N_("out of memory");
	if (c == NULL || (c->fs = calloc(1, sizeof(*c->fs))) == NULL)
		goto out;
	r = KYSO_ERR_CORRUPT;
	*why = N_("the document's structure is damaged");
	if (root_ref == NULL || root_ref->type != PDF_REF ||
	    pdf_get(pdf, root_ref->i, &root) != 0 || root->type != PDF_DICT)
		goto out;
	*why = N_("the document's form (/AcroForm) is damaged");
	if (pdf_resolve(pdf, pdf_dict_get(root, "AcroForm"), &acro) != 0 ||
	    pdf_resolve(pdf, pdf_dict_get(acro, "Fields"), &fields) != 0)
		goto out;
	memset(&w, 0, sizeof(w));
	w.visit = add_field;
	w.ud = c;
	w.budget = FIELD_VISITS;
	w.width = SIZE_MAX;
	c->w = &w;
	pdf_form_walk(pdf, fields, &w);
	if (c->err != 0) {
		r = c->err;
		*why = N_("out of memory");
		goto out;
	}
	if (w.spent) {
		r = KYSO_ERR_TOO_LARGE;
		*why = N_("the form is too large to read, or its fields loop");
		goto out;
	}
	for (i = 0; i < c->fs->n; i++) {
		struct pdf_sig_field *sf = &c->fs->f[i];

		if (pdf_page_find(pdf, root, c->p[i], sf->widget, &sf->page,
			&sf->page_num, &sf->listed) != 0)
			sf->page = -1;
	}
	*out = c->fs;
	c->fs = NULL;
	r = 0;
out:
	if (c != NULL)
		pdf_sig_fields_free(c->fs);
	free(c);
	pdf_obj_free(root);
	pdf_obj_free(acro);
	pdf_obj_free(fields);
	return r;
}

int
pdf_sig_fields_file(const char *path, struct pdf_sig_fields **out,
    const char **why)
{
	struct mapfile *m = NULL;
	struct pdf *pdf = NULL;
	int r;

	if ((r = mapfile_open(path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		return r;
	}
	if ((r = pdf_open(mapfile_data(m), mapfile_len(m), &pdf, why)) == 0)
		r = pdf_sig_fields_read(pdf, out, why);
	pdf_free(pdf);
	mapfile_free(m);
	return r;
}
