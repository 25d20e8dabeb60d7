#include "common/i18n.h"
#include "common/parse.h"
#include "sign/formats/pdf_sign.h"
#include "sign/formats/pdf_sign_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sign/formats/cms.h"
#include "sign/formats/pdf_dss.h"
#include "sign/formats/pdf_fields.h"
#include "sign/formats/pdf_lta.h"
#include "sign/formats/stamp.h"
#include "sign/formats/tsa.h"
#include "sign/mapfile.h"
#include "sign/pdf/pdf.h"
#include "sign/pdf/pdf_crypt.h"
#include "sign/pdf/pdf_form.h"
#include "sign/pdf/pdf_page.h"
#include "sign/pdf/pdf_rev.h"

#define FIELD_VISITS 100000 /* fields looked at per walk of the form */
#define FIELD_WIDTH  4096   /* items of one array the checks look at */

/* The names (/T) of the form's fields and their kids, read once. */
struct names {
	char *v[4096];
	size_t n;
};

static void
names_free(struct names *nm)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		free(nm->v[i]);
	nm->n = 0;
}

static int
names_has(const struct names *nm, const char *name)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (strcmp(nm->v[i], name) == 0)
			return 1;
	return 0;
}

/* Visitor: keeps each field's name. */
static enum pdf_form_next
add_name(void *ud, struct pdf *pdf, const struct pdf_obj *f)
{
	struct names *nm = ud;
	const struct pdf_obj *t = pdf_dict_get(f, "T");

	if (t != NULL && t->type == PDF_STRING && nm->n < 4096 &&
	    memchr(t->s, '\0', t->n) == NULL &&
	    (nm->v[nm->n] = strndup((const char *)t->s, t->n)) != NULL)
		nm->n++;
	return PDF_FORM_NEXT;
}

/* Appends item to the array found at holder[key]: an indirect array is
 * updated as its own object, a direct one in holder, a missing one made. */
static int
array_add(struct rev *v, struct pdf_obj *holder, const char *key,
    struct pdf_obj *item, int *holder_changed)
{
	const struct pdf_obj *a = pdf_dict_get(holder, key);
	struct pdf_obj *arr = NULL;
	int r;

	if (a != NULL && a->type == PDF_REF) {
		if ((r = pdf_get(v->pdf, a->i, &arr)) != 0) {
			pdf_obj_free(item);
			return r;
		}
		if (arr->type != PDF_ARRAY) {
			pdf_obj_free(arr);
			pdf_obj_free(item);
			return KYSO_ERR_CORRUPT;
		}
		if ((r = pdf_array_push(arr, item)) != 0) {
			pdf_obj_free(arr);
			return r;
		}
		return rev_put(v, a->i, arr);
	}
	if (a != NULL && a->type == PDF_ARRAY) {
		*holder_changed = 1;
		return pdf_array_push((struct pdf_obj *)a, item);
	}
	if ((arr = pdf_obj_new(PDF_ARRAY)) == NULL) {
		pdf_obj_free(item);
		return KYSO_ERR_NOMEM;
	}
	if ((r = pdf_array_push(arr, item)) != 0) {
		pdf_obj_free(arr);
		return r;
	}
	*holder_changed = 1;
	return pdf_dict_set(holder, key, arr);
}

/* The /P of a DocMDP certification already in the document, or 0. */
static int64_t
docmdp_p(struct pdf *pdf, const struct pdf_obj *root)
{
	struct pdf_obj *perms = NULL, *sig = NULL, *ref = NULL, *item = NULL;
	struct pdf_obj *tp = NULL;
	const struct pdf_obj *p;
	int64_t res = 0;
	size_t i;

	if (pdf_resolve(pdf, pdf_dict_get(root, "Perms"), &perms) != 0 ||
	    pdf_resolve(pdf, pdf_dict_get(perms, "DocMDP"), &sig) != 0 ||
	    pdf_resolve(pdf, pdf_dict_get(sig, "Reference"), &ref) != 0)
		goto out;
	for (i = 0; ref->type == PDF_ARRAY && i < ref->count && i < 16; i++) {
		pdf_obj_free(item);
		pdf_obj_free(tp);
		item = tp = NULL;
		if (pdf_resolve(pdf, ref->items[i], &item) != 0 ||
		    !pdf_name_is(pdf_dict_get(item, "TransformMethod"), "DocMDP") ||
		    pdf_resolve(pdf, pdf_dict_get(item, "TransformParams"),
			&tp) != 0)
			continue;
		p = pdf_dict_get(tp, "P");
		res = p != NULL && p->type == PDF_INT ? p->i : 2;
		break;
	}
out:
	pdf_obj_free(perms);
	pdf_obj_free(sig);
	pdf_obj_free(ref);
	pdf_obj_free(item);
	pdf_obj_free(tp);
	return res;
}

/* Visitor: stops at a field that already holds a signature. */
static enum pdf_form_next
is_signed(void *ud, struct pdf *pdf, const struct pdf_obj *f)
{
	const struct pdf_obj *v = pdf_dict_get(f, "V");

	return pdf_name_is(pdf_dict_get(f, "FT"), "Sig") && v != NULL &&
		v->type != PDF_NULL
	    ? PDF_FORM_STOP
	    : PDF_FORM_NEXT;
}

/* Visitor: stops at a widget (a field with no kids) with no appearance.
 * An empty signature field does not count: a viewer has nothing to draw
 * for it (a prepared box for a later signer, or the one being filled). */
static enum pdf_form_next
lacks_ap(void *ud, struct pdf *pdf, const struct pdf_obj *f)
{
	const struct pdf_obj *v = pdf_dict_get(f, "V");

	/* A null is ours, not written yet (or a dangling reference). */
	if (f->type == PDF_NULL || pdf_dict_get(f, "Kids") != NULL)
		return PDF_FORM_NEXT;
	if (pdf_name_is(pdf_dict_get(f, "FT"), "Sig") &&
	    (v == NULL || v->type == PDF_NULL))
		return PDF_FORM_NEXT;
	return pdf_dict_get(f, "AP") != NULL ? PDF_FORM_NEXT : PDF_FORM_STOP;
}

/* Walks the form's fields with visit; w says what it met (w->spent: a
 * form too large, or one whose kids loop back). */
static int
walk_fields(struct pdf *pdf, const struct pdf_obj *acro, size_t width,
    enum pdf_form_next (*visit)(void *, struct pdf *, const struct pdf_obj *),
    void *ud, struct pdf_form_walk *w)
{
	struct pdf_obj *fields = NULL;
	int r;

	memset(w, 0, sizeof(*w));
	w->visit = visit;
	w->ud = ud;
	w->budget = FIELD_VISITS;
	w->width = width;
	if ((r = pdf_resolve(pdf, pdf_dict_get(acro, "Fields"), &fields)) != 0)
		return r;
	pdf_form_walk(pdf, fields, w);
	pdf_obj_free(fields);
	return 0;
}

/* Queues the catalog, AcroForm, fields, page and annotations changes for
 * a new signature field field_num (an object number to be written), or
 * for the prepared empty field prep (then only what it lacks: a place in
 * its page's /Annots). */
static int
plan_objects(struct rev *v, int64_t field_num, int64_t sig_num, int certify,
    int64_t page_index, int visible, const struct pdf_sig_field *prep,
    int64_t *page_num_out, const char *want_name, char *name, size_t name_len,
    const char **why)
{
	const struct pdf_obj *root_ref = pdf_dict_get(pdf_trailer(v->pdf),
	    "Root");
	struct pdf_obj *root = NULL, *page = NULL, *acro = NULL;
	const struct pdf_obj *ar;
	int64_t page_num = -1, acro_num = -1;
	int root_changed = 0, acro_changed = 0, page_changed = 0, r, k;
	struct pdf_form_walk w;

	*why = N_("the document's structure is damaged");
	if ((r = pdf_get(v->pdf, root_ref->i, &root)) != 0)
		goto out;
	if (docmdp_p(v->pdf, root) == 1) {
		r = KYSO_ERR_PERMISSION;
		*why = N_(
		    "the document is certified with no changes allowed (DocMDP P=1)");
		goto out;
	}
	if (certify) {
		struct pdf_obj *perms = pdf_obj_new(PDF_DICT);

		if (pdf_dict_get(root, "Perms") != NULL) {
			pdf_obj_free(perms);
			r = KYSO_ERR_EXISTS;
			*why = N_("the document is already certified");
			goto out;
		}
		if (perms == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		if ((r = pdf_dict_set(perms, "DocMDP", pdf_ref_new(sig_num, 0))) !=
		    0) {
			pdf_obj_free(perms);
			goto out;
		}
		if ((r = pdf_dict_set(root, "Perms", perms)) != 0)
			goto out;
		root_changed = 1;
	}
	if ((r = pdf_page_nth(v->pdf, root, page_index, &page_num, &page)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND
		    ? N_("the document has no such page")
		    : N_("the document's page tree is damaged");
		goto out;
	}
	/* The AcroForm: indirect (updated in place), direct, or new. */
	ar = pdf_dict_get(root, "AcroForm");
	if (ar != NULL && ar->type == PDF_REF) {
		acro_num = ar->i;
		if ((r = pdf_get(v->pdf, acro_num, &acro)) != 0)
			goto out;
		if (acro->type == PDF_NULL) {
			pdf_obj_free(acro);
			acro = NULL;
			acro_num = -1;
		} else if (acro->type != PDF_DICT) {
			r = KYSO_ERR_CORRUPT;
			*why = N_("the document's form (/AcroForm) is damaged");
			goto out;
		}
	} else if (ar != NULL && ar->type == PDF_DICT) {
		if ((acro = pdf_obj_dup(ar)) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		root_changed = 1;
	}
	if (acro == NULL) {
		if ((acro = pdf_obj_new(PDF_DICT)) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		acro_num = v->next++;
		root_changed = 1;
		if ((r = pdf_dict_set(root, "AcroForm",
			 pdf_ref_new(acro_num, 0))) != 0)
			goto out;
	}
	if (certify) {
		/* Too many fields to tell counts as signed. */
		if ((r = walk_fields(v->pdf, acro, FIELD_WIDTH, is_signed, NULL,
			 &w)) != 0)
			goto out;
		if (w.stopped || w.spent) {
			r = KYSO_ERR_EXISTS;
			*why = N_(
			    "a certification signature must be the document's first signature");
			goto out;
		}
	}
	/* A field name no other field has. */
	if (prep != NULL) {
		snprintf(name, name_len, "%s", prep->name);
	} else {
		struct names *nm = calloc(1, sizeof(*nm));

		if (nm == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		if ((r = walk_fields(v->pdf, acro, SIZE_MAX, add_name, nm, &w)) !=
			0 ||
		    w.spent) {
			if (r == 0) {
				r = KYSO_ERR_TOO_LARGE;
				*why = N_(
				    "the form is too large to read, or its fields loop");
			}
			names_free(nm);
			free(nm);
			goto out;
		}
		if (want_name != NULL) {
			k = names_has(nm, want_name) ? -1 : 0;
			if (k == 0 && strlen(want_name) < name_len)
				snprintf(name, name_len, "%s", want_name);
			else
				k = -1;
		} else {
			for (k = 1; k < 10000; k++) {
				snprintf(name, name_len, "Signature%d", k);
				if (!names_has(nm, name))
					break;
			}
			k = k < 10000 ? 0 : -2;
		}
		names_free(nm);
		free(nm);
		if (k != 0) {
			r = KYSO_ERR_EXISTS;
			*why = k == -1
			    ? N_("a field with that name already exists")
			    : N_("no free signature field name: give one with --field");
			goto out;
		}
	}
	if (prep == NULL &&
	    (r = array_add(v, acro, "Fields", pdf_ref_new(field_num, 0),
		 &acro_changed)) != 0)
		goto out;
	/* /NeedAppearances makes viewers redraw every widget, a visible
	 * stamp included (poppler does): when the fields all have their
	 * appearances, the flag is no longer needed and goes. */
	if (visible && pdf_dict_get(acro, "NeedAppearances") != NULL) {
		/* Anything left unread may lack one: the flag stays. */
		if ((r = walk_fields(v->pdf, acro, FIELD_WIDTH, lacks_ap, NULL,
			 &w)) != 0)
			goto out;
		if (!w.stopped && !w.cut && !w.spent)
			pdf_dict_del(acro, "NeedAppearances");
	}
	if ((r = pdf_dict_set(acro, "SigFlags", pdf_int_new(3))) != 0)
		goto out;
	if ((prep == NULL || !prep->listed) &&
	    (r = array_add(v, page, "Annots",
		 pdf_ref_new(prep != NULL ? prep->widget : field_num,
		     prep != NULL ? pdf_gen(v->pdf, prep->widget) : 0),
		 &page_changed)) != 0)
		goto out;
	if (page_changed) {
		if ((r = rev_put(v, page_num, page)) != 0) {
			page = NULL;
			goto out;
		}
		page = NULL;
	}
	if (acro_num >= 0) {
		r = rev_put(v, acro_num, acro);
	} else {
		r = pdf_dict_set(root, "AcroForm", acro);
		root_changed = 1;
	}
	acro = NULL;
	if (r != 0)
		goto out;
	if (root_changed) {
		r = rev_put(v, root_ref->i, root);
		root = NULL;
		if (r != 0)
			goto out;
	}
	*page_num_out = page_num;
	r = 0;
out:
	pdf_obj_free(root);
	pdf_obj_free(page);
	pdf_obj_free(acro);
	return r;
}

#define BR_WIDTH      36    /* room for three offsets in /ByteRange */
#define DOCTS_RESERVE 16384 /* bytes of a document time-stamp token */

/* A reason or location is shown to people by every viewer: refused
 * unless it is short, valid UTF-8 and free of control characters (a
 * newline or an escape would let it pose as other report lines). */
int
pdf_sign_text_check(const char *t, const char **why)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t n, i, k;
	uint32_t cp;

	if (t == NULL)
		return 0;
	n = strlen(t);
	if (n > PDF_SIGN_TEXT_MAX) {
		*why = N_("the reason or location is longer than 200 bytes");
		return KYSO_ERR_TOO_LARGE;
	}
	for (i = 0; i < n; i += k) {
		if ((k = utf8_strict(u, n, i, &cp)) == 0) {
			*why = N_("the reason or location is not valid UTF-8");
			return KYSO_ERR_INVALID;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			*why = N_(
			    "the reason or location holds a control character");
			return KYSO_ERR_INVALID;
		}
	}
	return 0;
}

struct sigdict_ctx {
	time_t when;
	int certify;
	const char *reason;
	const char *location;
	size_t contents_len;
	size_t *br_at;
	size_t *ct_at;
	int docts; /* a document time-stamp (ETSI.RFC3161) */
	const struct pdf_crypt *crypt; /* an encrypted file's, or NULL */
	int64_t num;		       /* the signature dictionary's */
};

/* /key and the string raw (n bytes): literal (ASCII, with ( ) \ escaped)
 * when it may be, else hex; in an encrypted file, encrypted with the
 * signature dictionary's key, in hex. */
static int
put_string(struct buf *b, const struct sigdict_ctx *c, const char *key,
    const uint8_t *raw, size_t n, int literal)
{
	struct buf *e = NULL;
	size_t i;
	int r;

	if (c->crypt != NULL) {
		if ((r = pdf_crypt_bytes(c->crypt, c->num, 0, 1, 0, 0, raw, n,
			 &e)) != 0)
			return r;
		raw = buf_ptr(e);
		n = buf_len(e);
		literal = 0;
	}
	r = buf_putf(b, "/%s%s", key, literal ? "(" : "<");
	for (i = 0; i < n && r == 0; i++)
		r = literal
		    ? buf_putf(b, "%s%c",
			  strchr("()\\", raw[i]) != NULL ? "\\" : "", raw[i])
		    : buf_putf(b, "%02X", raw[i]);
	if (r == 0)
		r = buf_putf(b, literal ? ")" : ">");
	buf_free(e);
	return r;
}

/* /key and t (checked by pdf_sign_text_check) as a PDF text string (ISO 32000-1
 * 7.9.2.2): ASCII as a literal string, anything else UTF-16BE with its
 * byte order mark, as a hex string. */
static int
put_text(struct buf *b, const struct sigdict_ctx *c, const char *key,
    const char *t)
{
	const unsigned char *u = (const unsigned char *)t;
	size_t n = strlen(t), i, k;
	struct buf *raw = buf_new(0);
	uint32_t cp;
	int r = 0, ascii = 1;

	if (raw == NULL)
		return KYSO_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if (u[i] >= 0x80)
			ascii = 0;
	if (!ascii)
		r = buf_put(raw, "\xfe\xff", 2);
	for (i = 0; i < n && r == 0; i += k) {
		uint8_t w[4];

		if (ascii) {
			k = 1;
			r = buf_put_u8(raw, u[i]);
		} else if ((k = utf8_strict(u, n, i, &cp)) == 0) {
			r = KYSO_ERR_INVALID;
		} else if (cp < 0x10000) {
			w[0] = (uint8_t)(cp >> 8);
			w[1] = (uint8_t)cp;
			r = buf_put(raw, w, 2);
		} else {
			uint32_t h, l;

			cp -= 0x10000;
			h = 0xd800 | cp >> 10;
			l = 0xdc00 | (cp & 0x3ff);
			w[0] = (uint8_t)(h >> 8);
			w[1] = (uint8_t)h;
			w[2] = (uint8_t)(l >> 8);
			w[3] = (uint8_t)l;
			r = buf_put(raw, w, 4);
		}
	}
	if (r == 0)
		r = put_string(b, c, key, buf_ptr(raw), buf_len(raw), ascii);
	buf_free(raw);
	return r;
}

/* The signature dictionary, with room for /ByteRange and /Contents. */
static int
write_sigdict(void *ud, struct buf *b)
{
	struct sigdict_ctx *c = ud;
	struct tm tm;
	char m[64];
	uint8_t *z;
	int r;

	gmtime_r(&c->when, &tm);
	if ((r = buf_putf(b,
		 c->docts ? "<</Type/DocTimeStamp/Filter/Adobe.PPKLite"
			    "/SubFilter/ETSI.RFC3161/ByteRange["
			  : "<</Type/Sig/Filter/Adobe.PPKLite"
			    "/SubFilter/ETSI.CAdES.detached/ByteRange[")) != 0)
		return r;
	*c->br_at = buf_len(b) - 1;
	if ((r = buf_reserve(b, BR_WIDTH, &z)) != 0)
		return r;
	memset(z, ' ', BR_WIDTH);
	if ((r = buf_putf(b, "]/Contents<")) != 0)
		return r;
	*c->ct_at = buf_len(b) - 1;
	if ((r = buf_reserve(b, c->contents_len * 2, &z)) != 0)
		return r;
	memset(z, '0', c->contents_len * 2);
	/* A document time-stamp's time is its token's. */
	if (c->docts)
		return buf_putf(b, ">>>");
	snprintf(m, sizeof(m), "D:%04d%02d%02d%02d%02d%02d+00'00'",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	if ((r = buf_put_u8(b, '>')) != 0 ||
	    (r = put_string(b, c, "M", (const uint8_t *)m, strlen(m), 1)) != 0)
		return r;
	if (c->reason != NULL && (r = put_text(b, c, "Reason", c->reason)) != 0)
		return r;
	if (c->location != NULL &&
	    (r = put_text(b, c, "Location", c->location)) != 0)
		return r;
	if (c->certify &&
	    (r = buf_putf(b,
		 "/Reference[<</Type/SigRef"
		 "/TransformMethod/DocMDP/TransformParams<</Type"
		 "/TransformParams/P %d/V/1.2>>>>]",
		 c->certify)) != 0)
		return r;
	return buf_putf(b, ">>");
}

/* An appearance dictionary { /N ap_num }. */
static struct pdf_obj *
ap_dict(int64_t ap_num)
{
	struct pdf_obj *ap = pdf_obj_new(PDF_DICT);

	if (ap != NULL && pdf_dict_set(ap, "N", pdf_ref_new(ap_num, 0)) != 0) {
		pdf_obj_free(ap);
		ap = NULL;
	}
	return ap;
}

/* A prepared empty field gets the signature as its value and the stamp
 * as its widget's appearance; everything else of it (its place, flags,
 * name, a /Lock) stays as its author made it. */
static int
fill_prepared(struct rev *v, const struct pdf_sig_field *prep, int64_t sig_num,
    int64_t ap_num)
{
	struct pdf_obj *field = NULL, *widget = NULL, *ap;
	int r;

	if ((r = pdf_get(v->pdf, prep->num, &field)) != 0)
		return r;
	if (prep->widget != prep->num &&
	    (r = pdf_get(v->pdf, prep->widget, &widget)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	if (field->type != PDF_DICT ||
	    (widget != NULL && widget->type != PDF_DICT))
		goto out;
	if ((r = pdf_dict_set(field, "V", pdf_ref_new(sig_num, 0))) != 0)
		goto out;
	if ((ap = ap_dict(ap_num)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = pdf_dict_set(widget != NULL ? widget : field, "AP", ap)) != 0)
		goto out;
	/* A field whose one widget is its kid: poppler looks for the value
	 * on the widget, so it gets it too (the field's is the standard's). */
	if (widget != NULL &&
	    (r = pdf_dict_set(widget, "V", pdf_ref_new(sig_num, 0))) != 0)
		goto out;
	if (widget != NULL) {
		r = rev_put(v, prep->widget, widget);
		widget = NULL;
		if (r != 0)
			goto out;
	}
	r = rev_put(v, prep->num, field);
	field = NULL;
out:
	pdf_obj_free(field);
	pdf_obj_free(widget);
	return r;
}

/* The whole new revision; *br_at and *ct_at get where the /ByteRange
 * placeholder and the /Contents '<' are in it. */
static int
build_revision(struct rev *v, struct buf *b, uint64_t base, int64_t sig_num,
    int64_t field_num, int64_t page_num, const char *name,
    const struct pdf_sign_opts *o, const int *rect_in,
    const struct pdf_sig_field *prep, time_t when, int64_t ap_num,
    size_t contents_len, size_t *br_at, size_t *ct_at, int docts)
{
	struct sigdict_ctx sc = { when, o->certify, o->reason, o->location,
		contents_len, br_at, ct_at, docts, pdf_crypt_of(v->pdf),
		sig_num };
	struct pdf_obj *field = NULL;
	size_t i;
	int r;

	if (prep != NULL) {
		if ((r = fill_prepared(v, prep, sig_num, ap_num)) != 0 ||
		    (r = rev_put(v, sig_num, NULL)) != 0)
			return r;
		return rev_write(v, b, base, write_sigdict, &sc);
	}
	/* The new objects: the signature dictionary and the field. */
	if ((field = pdf_obj_new(PDF_DICT)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = pdf_dict_set(field, "Type", pdf_name_new("Annot"))) != 0 ||
	    (r = pdf_dict_set(field, "Subtype", pdf_name_new("Widget"))) != 0 ||
	    (r = pdf_dict_set(field, "FT", pdf_name_new("Sig"))) != 0 ||
	    (r = pdf_dict_set(field, "T",
		 pdf_bytes_new(PDF_STRING, name, strlen(name)))) != 0 ||
	    (r = pdf_dict_set(field, "V", pdf_ref_new(sig_num, 0))) != 0 ||
	    (r = pdf_dict_set(field, "F", pdf_int_new(132))) != 0 ||
	    (r = pdf_dict_set(field, "P",
		 pdf_ref_new(page_num, pdf_gen(v->pdf, page_num)))) != 0) {
		pdf_obj_free(field);
		return r;
	}
	{
		struct pdf_obj *rect = pdf_obj_new(PDF_ARRAY);

		for (i = 0; i < 4 && rect != NULL; i++)
			if (pdf_array_push(rect,
				pdf_int_new(rect_in != NULL ? rect_in[i] : 0)) !=
			    0) {
				pdf_obj_free(rect);
				rect = NULL;
				break;
			}
		if ((r = pdf_dict_set(field, "Rect", rect)) != 0) {
			pdf_obj_free(field);
			return r;
		}
	}
	if (ap_num >= 0) {
		struct pdf_obj *ap = ap_dict(ap_num);

		if (ap == NULL) {
			pdf_obj_free(field);
			return KYSO_ERR_NOMEM;
		}
		if ((r = pdf_dict_set(field, "AP", ap)) != 0) {
			pdf_obj_free(field);
			return r;
		}
	}
	if ((r = rev_put(v, field_num, field)) != 0 ||
	    (r = rev_put(v, sig_num, NULL)) != 0)
		return r;
	return rev_write(v, b, base, write_sigdict, &sc);
}

/* The signed revision to append to data (len bytes), in *rev_out. */
static int
md_update(void *ud, const uint8_t *p, size_t n)
{
	return EVP_DigestUpdate(ud, p, n) == 1 ? 0 : KYSO_ERR_CRYPTO;
}

/* The default stamp says why too, as viewers' own stamps do: a line
 * "Lý do / Reason: ..." after *text (replaced) when reason is given. */
static int
add_reason_line(char **text, const char *reason)
{
	char *t;
	size_t n;

	if (reason == NULL)
		return 0;
	n = strlen(*text) + strlen(reason) + 32;
	if ((t = malloc(n)) == NULL)
		return KYSO_ERR_NOMEM;
	snprintf(t, n, "%s\nLý do / Reason: %s", *text, reason);
	free(*text);
	*text = t;
	return 0;
}

/* The prepared empty field to sign into, or *prep NULL for a new one:
 * the one --field names, else the document's only empty one when no
 * place was asked for (a contract prepared for one signer). */
static int
choose_field(const struct pdf_sig_fields *fs, const struct pdf_sign_opts *o,
    const struct pdf_sig_field **prep, const char **why)
{
	const struct pdf_sig_field *found = NULL;
	size_t i, empty = 0;

	for (i = 0; i < fs->n; i++) {
		const struct pdf_sig_field *f = &fs->f[i];

		if (o->field_name != NULL && strcmp(f->name, o->field_name) == 0) {
			found = f;
			break;
		}
		if (o->field_name == NULL && !f->is_signed && f->page >= 0) {
			empty++;
			found = f;
		}
	}
	if (o->field_name == NULL && (empty != 1 || o->page > 0))
		found = NULL;
	if (found != NULL && found->is_signed) {
		*why = N_("that signature field is already signed");
		return KYSO_ERR_EXISTS;
	}
	if (found != NULL && found->page < 0) {
		*why = N_("that signature field is on no page");
		return KYSO_ERR_CORRUPT;
	}
	if (found != NULL && o->page > 0) {
		*why = N_("the prepared signature field has its own place: "
			  "leave out --visible");
		return KYSO_ERR_INVALID;
	}
	*prep = found;
	return 0;
}

/* A prepared field's place: its page (1-based) and rectangle, or 0 for
 * an invisible one (a rectangle less than a point wide or high). */
static int
prepared_place(const struct pdf_sig_field *f, int rect[4])
{
	int i;

	for (i = 0; i < 4; i++)
		rect[i] = (int)(f->rect[i] + (i < 2 ? 0.0 : 0.5));
	if (rect[2] - rect[0] < 1 || rect[3] - rect[1] < 1)
		return 0;
	return (int)f->page + 1;
}

/* An encrypted file (owner password only) is signed when its permissions
 * allow the signature: into a prepared field, filling in forms; a new
 * field, creating form fields (pdf_crypt.h). */
static int
crypt_allows(const struct pdf *pdf, int prepared, const char **why)
{
	const struct pdf_crypt *c = pdf_crypt_of(pdf);

	if (c == NULL ||
	    (prepared ? pdf_crypt_may_fill(c) : pdf_crypt_may_create(c)))
		return 0;
	if (!pdf_crypt_may_fill(c))
		*why = N_("the file is encrypted with an owner password whose "
			  "permissions forbid filling in forms and signing");
	else
		*why = N_("the file is encrypted with an owner password whose "
			  "permissions allow signing an existing empty "
			  "signature field only (--field NAME), not adding "
			  "a new one");
	return KYSO_ERR_PERMISSION;
}

/* m: data's mapping (hashed window by window), or NULL for memory.
 * s NULL: a document time-stamp from o->tsa_url (a new invisible field;
 * o's other members are not used). */
int
pdf_sign_rev(struct p11_signer *s, const uint8_t *data, size_t len,
    struct mapfile *m, const struct pdf_sign_opts *o, struct buf **rev_out,
    struct buf **cms_out, char *vri_key, const char **why)
{
	struct rev v;
	struct buf *b = NULL, *cms = NULL;
	struct pdf_sig_fields *fs = NULL;
	const struct pdf_sig_field *prep = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t digest[32], *rp;
	char name[256], brtext[BR_WIDTH + 1];
	size_t br_at = 0, ct_at = 0, est, a, bb, total;
	int64_t sig_num, field_num = -1, page_num = -1, ap_num = -1;
	time_t when;
	int n, r, page, rect[4], docts = s == NULL;

	memset(&v, 0, sizeof(v));
	if ((r = pdf_sign_text_check(o->reason, why)) != 0 ||
	    (r = pdf_sign_text_check(o->location, why)) != 0)
		goto out;
	*why = N_("out of memory");
	if ((r = pdf_open(data, len, &v.pdf, why)) != 0)
		goto out;
	{
		int64_t bad;

		if ((r = pdf_check_xref(v.pdf, &bad)) != 0) {
			*why = N_(
			    "the cross-reference table is damaged (an object is "
			    "not where it says); repair the file first (e.g. qpdf in.pdf out.pdf)");
			goto out;
		}
	}
	v.next = pdf_next_num(v.pdf);
	sig_num = v.next++;
	if ((r = pdf_sig_fields_read(v.pdf, &fs, why)) != 0 ||
	    (!docts && (r = choose_field(fs, o, &prep, why)) != 0))
		goto out;
	if (prep == NULL)
		field_num = v.next++;
	if ((r = crypt_allows(v.pdf, prep != NULL, why)) != 0)
		goto out;
	page = o->page;
	memcpy(rect, o->rect, sizeof(rect));
	if (prep != NULL)
		page = prepared_place(prep, rect);
	if (o->certify < 0 || o->certify > 3) {
		r = KYSO_ERR_INVALID;
		*why = N_("the certification level (DocMDP P) is 1, 2 or 3");
		goto out;
	}
	if (page < 0 || (page > 0 && (rect[2] <= rect[0] || rect[3] <= rect[1]))) {
		r = KYSO_ERR_INVALID;
		*why = N_("the stamp rectangle is empty");
		goto out;
	}
	if ((r = plan_objects(&v, field_num, sig_num, o->certify,
		 prep != NULL	? prep->page
		     : page > 0 ? page - 1
				: 0,
		 page > 0, prep, &page_num, o->field_name, name, sizeof(name),
		 why)) != 0)
		goto out;
	when = o->when ? o->when : time(NULL);
	if (page > 0) {
		char *dflt = NULL;

		if (o->stamp_text == NULL &&
		    ((dflt = stamp_default_text(p11_signer_cert(s), when)) == NULL ||
			(r = add_reason_line(&dflt, o->reason)) != 0)) {
			free(dflt);
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		struct stamp_spec sp = { o->stamp_text ? o->stamp_text : dflt,
			rect[2] - rect[0], rect[3] - rect[1], 0, o->font,
			o->image };
		struct pdf_obj *pg = NULL;

		if (pdf_get(v.pdf, page_num, &pg) == 0)
			sp.rotate = pdf_page_rotate(v.pdf, pg);
		pdf_obj_free(pg);
		r = stamp_build(&v, &sp, &ap_num, why);
		free(dflt);
		if (r != 0)
			goto out;
	} else {
		/* An invisible signature still gets an (empty) appearance:
		 * PDF/A wants one on every widget, and a form's
		 * /NeedAppearances can then be dropped by a later stamp. */
		struct pdf_obj *d = pdf_obj_new(PDF_DICT),
			       *box = pdf_obj_new(PDF_ARRAY);
		size_t k;

		r = KYSO_ERR_NOMEM;
		for (k = 0; k < 4 && box != NULL; k++)
			if (pdf_array_push(box, pdf_int_new(0)) != 0) {
				pdf_obj_free(box);
				box = NULL;
			}
		if (d == NULL || box == NULL) {
			pdf_obj_free(d);
			pdf_obj_free(box);
			goto out;
		}
		if ((r = pdf_dict_set(d, "BBox", box)) != 0 ||
		    (r = pdf_dict_set(d, "Type", pdf_name_new("XObject"))) != 0 ||
		    (r = pdf_dict_set(d, "Subtype", pdf_name_new("Form"))) != 0) {
			pdf_obj_free(d);
			goto out;
		}
		ap_num = v.next++;
		if ((r = rev_put_stream(&v, ap_num, d, buf_new(16))) != 0)
			goto out;
	}
	est = docts ? DOCTS_RESERVE : cms_size_estimate(s, o->tsa_url != NULL);
	*why = N_("out of memory");
	if ((b = buf_new(0)) == NULL || (cms = buf_new(0)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = build_revision(&v, b, len, sig_num, field_num, page_num, name,
		 o, page > 0 ? rect : NULL, prep, when, ap_num, est, &br_at,
		 &ct_at, docts)) != 0) {
		*why = N_("cannot write the new revision");
		goto out;
	}
	/* /ByteRange: everything but the /Contents hex string, brackets
	 * included. */
	a = len + ct_at;
	bb = a + est * 2 + 2;
	total = len + buf_len(b);
	n = snprintf(brtext, sizeof(brtext), "0 %zu %zu %zu", a, bb, total - bb);
	if (n < 0 || n > BR_WIDTH) {
		r = KYSO_ERR_INTERNAL;
		goto out;
	}
	rp = buf_mutable_ptr(b);
	memcpy(rp + br_at + 1, brtext, (size_t)n);
	/* SHA-256 of the signed ranges, as the output will hold them. */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    (m != NULL ? mapfile_each(m, 0, len, md_update, md)
		       : md_update(md, data, len)) != 0 ||
	    EVP_DigestUpdate(md, rp, ct_at) != 1 ||
	    EVP_DigestUpdate(md, rp + (bb - len), total - bb) != 1 ||
	    EVP_DigestFinal_ex(md, digest, NULL) != 1) {
		r = KYSO_ERR_CRYPTO;
		*why = N_("hashing failed");
		goto out;
	}
	if (docts) {
		buf_free(cms);
		cms = NULL;
		if ((r = tsa_timestamp_digest(o->tsa_url, digest, &cms, why)) != 0)
			goto out;
	} else if ((r = cms_sign_detached(s, digest, o->tsa_url, cms, why)) != 0) {
		goto out;
	}
	if (buf_len(cms) > est) {
		r = KYSO_ERR_TOO_LARGE;
		*why = N_(
		    "the signature is larger than the room reserved for it");
		goto out;
	}
	{
		static const char hd[] = "0123456789ABCDEF";
		const uint8_t *c = buf_ptr(cms);
		size_t i;

		for (i = 0; i < buf_len(cms); i++) {
			rp[ct_at + 1 + 2 * i] = (uint8_t)hd[c[i] >> 4];
			rp[ct_at + 2 + 2 * i] = (uint8_t)hd[c[i] & 15];
		}
	}
	/* The DSS's /VRI key: the /Contents bytes, padding included. */
	if (vri_key != NULL) {
		uint8_t *all = calloc(1, est);

		if (all == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		memcpy(all, buf_ptr(cms), buf_len(cms));
		pdf_dss_vri_key(all, docts ? buf_len(cms) : est, vri_key);
		free(all);
	}
	*rev_out = b;
	b = NULL;
	if (cms_out != NULL) {
		*cms_out = cms;
		cms = NULL;
	}
	r = 0;
out:
	EVP_MD_CTX_free(md);
	rev_clear(&v);
	pdf_sig_fields_free(fs);
	pdf_free(v.pdf);
	buf_free(b);
	buf_free(cms);
	return r;
}

/* Writes data then tail to path (temp + rename). */
int
pdf_write_two(const char *path, struct mapfile *m, const struct buf *tail,
    const char **why)
{
	struct outfile *of = NULL;
	int r;

	if ((r = outfile_open(path, &of)) != 0) {
		*why = N_("cannot create the output file");
		return r;
	}
	if ((r = mapfile_each(m, 0, mapfile_len(m), outfile_write_fn, of)) != 0 ||
	    (r = outfile_write(of, buf_ptr(tail), buf_len(tail))) != 0) {
		*why = N_("cannot write the output file");
		outfile_abort(of);
		return r;
	}
	if ((r = outfile_commit(of)) != 0)
		*why = N_("cannot write the output file");
	return r;
}

/* The validation data for B-LT, before anything is signed: a revoked
 * certificate signs nothing. */
static int
collect_lt(struct p11_signer *s, const struct pdf_sign_opts *o,
    struct revoc *rv, const char **why)
{
	const struct buf *chain[REVOC_MAX];
	size_t n = 0, i;

	memset(rv, 0, sizeof(*rv));
	if (o->tsa_url == NULL) {
		*why = N_("B-LT needs a time-stamp (--tsa)");
		return KYSO_ERR_INVALID;
	}
	chain[n++] = p11_signer_cert(s);
	for (i = 0; i < p11_signer_chain_count(s) && n < REVOC_MAX; i++)
		chain[n++] = p11_signer_chain(s, i);
	return revoc_collect(chain, n, rv, why);
}

/* B-LT's DSS and B-LTA's document time-stamp after the signed bytes in
 * out (which the signature's revision ends). */
static int
mem_lt(const struct pdf_sign_opts *o, const struct revoc *rv, const char *key,
    struct buf *out, const char **why)
{
	struct dss_vri vri = { "", rv };
	struct buf *rev = NULL;
	int r;

	memcpy(vri.key, key, sizeof(vri.key));
	if ((r = pdf_dss_revision(buf_ptr(out), buf_len(out), &vri, 1, &rev,
		 why)) != 0)
		goto out;
	*why = N_("the output is too large");
	if ((r = buf_put(out, buf_ptr(rev), buf_len(rev))) != 0 || !o->lta)
		goto out;
	buf_free(rev);
	rev = NULL;
	if ((r = pdf_lta_rev(o->tsa_url, buf_ptr(out), buf_len(out), NULL, &rev,
		 why)) != 0)
		goto out;
	*why = N_("the output is too large");
	r = buf_put(out, buf_ptr(rev), buf_len(rev));
out:
	buf_free(rev);
	return r;
}

int
pdf_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct pdf_sign_opts *o, struct buf *out, const char **why)
{
	struct buf *rev = NULL, *cms = NULL;
	struct revoc rv;
	char key[41] = "";
	int r, lt = o->lt || o->lta;

	memset(&rv, 0, sizeof(rv));
	if (lt && (r = collect_lt(s, o, &rv, why)) != 0)
		return r;
	if ((r = pdf_sign_rev(s, data, len, NULL, o, &rev, lt ? &cms : NULL,
		 key, why)) != 0)
		goto out;
	if (lt && (r = revoc_add_tsa(&rv, buf_ptr(cms), buf_len(cms), NULL)) != 0)
		goto out;
	*why = N_("the output is too large");
	if ((r = buf_put(out, data, len)) != 0 ||
	    (r = buf_put(out, buf_ptr(rev), buf_len(rev))) != 0)
		goto out;
	r = lt ? mem_lt(o, &rv, key, out, why) : 0;
out:
	buf_free(rev);
	buf_free(cms);
	revoc_clear(&rv);
	return r;
}

int
pdf_sign_file(struct p11_signer *s, const char *in_path, const char *out_path,
    const struct pdf_sign_opts *o, const char **why)
{
	struct mapfile *m = NULL, *m2 = NULL;
	struct buf *rev = NULL, *rev2 = NULL, *cms = NULL;
	struct revoc rv;
	struct dss_vri vri = { "", &rv };
	char *tmp = NULL, *tmp2 = NULL;
	size_t tl = strlen(out_path) + 16;
	int r, lt = o->lt || o->lta;

	memset(&rv, 0, sizeof(rv));
	if (lt && (r = collect_lt(s, o, &rv, why)) != 0)
		return r;
	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		goto out;
	}
	if ((r = pdf_sign_rev(s, mapfile_data(m), mapfile_len(m), m, o, &rev,
		 lt ? &cms : NULL, vri.key, why)) != 0)
		goto out;
	/* The time-stamp authority's certificates (and what can be had of
	 * their revocation data) go in the DSS too. */
	if (lt && (r = revoc_add_tsa(&rv, buf_ptr(cms), buf_len(cms), NULL)) != 0)
		goto out;
	if (!lt) {
		r = pdf_write_two(out_path, m, rev, why);
		goto out;
	}
	/* B-LT: the signed file first (a temp), then the DSS revision; B-LTA
	 * then the document time-stamp over both. */
	*why = N_("out of memory");
	if ((tmp = malloc(tl)) == NULL || (tmp2 = malloc(tl)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	snprintf(tmp, tl, "%s.kyso-bt.tmp", out_path);
	snprintf(tmp2, tl, "%s.kyso-lt.tmp", out_path);
	if ((r = pdf_write_two(tmp, m, rev, why)) != 0)
		goto out;
	if ((r = mapfile_open(tmp, &m2)) != 0) {
		*why = N_("the signed file cannot be read back");
		goto out;
	}
	if ((r = pdf_dss_revision(mapfile_data(m2), mapfile_len(m2), &vri, 1,
		 &rev2, why)) != 0)
		goto out;
	if (!o->lta) {
		r = pdf_write_two(out_path, m2, rev2, why);
		goto out;
	}
	if ((r = pdf_write_two(tmp2, m2, rev2, why)) != 0)
		goto out;
	r = pdf_lta_file(o->tsa_url, tmp2, out_path, why);
out:
	if (tmp != NULL)
		unlink(tmp);
	if (tmp2 != NULL)
		unlink(tmp2);
	free(tmp);
	free(tmp2);
	buf_free(rev);
	buf_free(rev2);
	buf_free(cms);
	mapfile_free(m);
	mapfile_free(m2);
	revoc_clear(&rv);
	return r;
}
