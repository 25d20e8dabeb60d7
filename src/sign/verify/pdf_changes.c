#include "sign/verify/pdf_changes.h"

#include <string.h>

#include "sign/pdf/pdf.h"

#define MAX_REVISIONS_AFTER 256 /* revisions checked after a signature */

/* The same object, compared by its PDF text. */
static int
same_obj(const struct pdf_obj *x, const struct pdf_obj *y)
{
	struct buf *a = buf_new(0), *b = buf_new(0);
	int eq = a != NULL && b != NULL && pdf_obj_write(a, x) == 0 &&
	    pdf_obj_write(b, y) == 0 && buf_len(a) == buf_len(b) &&
	    memcmp(buf_ptr(a), buf_ptr(b), buf_len(a)) == 0;

	buf_free(a);
	buf_free(b);
	return eq;
}

/* Equal once the keys named are set aside from both. */
static int
same_except(struct pdf_obj *x, struct pdf_obj *y, const char *const *keys)
{
	for (; *keys != NULL; keys++) {
		pdf_dict_del(x, *keys);
		pdf_dict_del(y, *keys);
	}
	return same_obj(x, y);
}

/* new starts with every item of old (items only appended). */
static int
appended_only(const struct pdf_obj *old, const struct pdf_obj *cur)
{
	size_t i;

	if (old->type != PDF_ARRAY || cur->type != PDF_ARRAY ||
	    cur->count < old->count)
		return 0;
	for (i = 0; i < old->count; i++)
		if (!same_obj(old->items[i], cur->items[i]))
			return 0;
	return 1;
}

/* item, as cur has it, is a signature field or a signature field's
 * widget: what signing adds to /Fields and to a page's /Annots. */
static int
sig_field(struct pdf *cur, const struct pdf_obj *item)
{
	struct pdf_obj *o = NULL, *parent = NULL;
	int yes = 0;

	if (pdf_resolve(cur, item, &o) != 0)
		return 0;
	/* An annotation of any other subtype (a FreeText with /FT /Sig
	 * written in) would show, whatever its /FT says. */
	if (o->type == PDF_DICT &&
	    (pdf_dict_get(o, "Subtype") == NULL ||
		pdf_name_is(pdf_dict_get(o, "Subtype"), "Widget"))) {
		if (pdf_name_is(pdf_dict_get(o, "FT"), "Sig"))
			yes = 1;
		else if (pdf_dict_get(o, "Subtype") != NULL &&
		    pdf_resolve(cur, pdf_dict_get(o, "Parent"), &parent) == 0 &&
		    parent->type == PDF_DICT &&
		    pdf_name_is(pdf_dict_get(parent, "FT"), "Sig"))
			yes = 1;
	}
	pdf_obj_free(parent);
	pdf_obj_free(o);
	return yes;
}

/* A prepared, empty signature field (or its widget) that a later signature
 * filled, as a contract's "Bên B" box is: it gains /V, that signature's
 * dictionary, and its widget the stamp's appearance; nothing else
 * changes. (Modifies o and c.) */
static int
sig_field_filled(struct pdf *cur, struct pdf_obj *o, struct pdf_obj *c)
{
	static const char *const keys[] = { "V", "AP", NULL };
	const struct pdf_obj *vref;
	struct pdf_obj *v = NULL;
	int ok = 1;

	if (o->type != PDF_DICT || c->type != PDF_DICT ||
	    pdf_dict_get(o, "V") != NULL || !sig_field(cur, c))
		return 0;
	if ((vref = pdf_dict_get(c, "V")) != NULL)
		ok = vref->type == PDF_REF && pdf_resolve(cur, vref, &v) == 0 &&
		    v->type == PDF_DICT && pdf_dict_get(v, "ByteRange") != NULL &&
		    pdf_dict_get(v, "Contents") != NULL;
	pdf_obj_free(v);
	return ok && same_except(o, c, keys);
}

/* item, as cur has it, is an annotation other than a widget (a comment,
 * a highlight, a stamp): what a P=3 certification lets in. */
static int
plain_annot(struct pdf *cur, const struct pdf_obj *item)
{
	struct pdf_obj *o = NULL;
	int yes;

	if (pdf_resolve(cur, item, &o) != 0)
		return 0;
	yes = o->type == PDF_DICT && pdf_dict_get(o, "Subtype") != NULL &&
	    !pdf_name_is(pdf_dict_get(o, "Subtype"), "Widget");
	pdf_obj_free(o);
	return yes;
}

/* cur_arr is old_arr with items appended, each a signature field or
 * widget, or (annots) another annotation. A missing array (a null) counts
 * as an empty one. */
static int
annots_appended(struct pdf *cur, const struct pdf_obj *old_arr,
    const struct pdf_obj *cur_arr, int annots)
{
	static const struct pdf_obj empty = { .type = PDF_ARRAY };
	size_t i;

	if (old_arr->type == PDF_NULL)
		old_arr = &empty;
	if (!appended_only(old_arr, cur_arr))
		return 0;
	for (i = old_arr->count; i < cur_arr->count; i++)
		if (!sig_field(cur, cur_arr->items[i]) &&
		    !(annots && plain_annot(cur, cur_arr->items[i])))
			return 0;
	return 1;
}

/* What signing adds to /Fields and /Annots: signature fields only. */
static int
sig_fields_appended(struct pdf *cur, const struct pdf_obj *old_arr,
    const struct pdf_obj *cur_arr)
{
	return annots_appended(cur, old_arr, cur_arr, 0);
}

/* The array under key in o (old) and c (cur) grew only by signature
 * fields or widgets. The same indirect array on both sides is left to
 * the walk over changed objects. */
static int
key_sig_fields_appended(struct pdf *old, struct pdf *cur,
    const struct pdf_obj *o, const struct pdf_obj *c, const char *key)
{
	const struct pdf_obj *ko = pdf_dict_get(o, key),
			     *kc = pdf_dict_get(c, key);
	struct pdf_obj *a = NULL, *b = NULL;
	int ok = 0;

	if (ko != NULL && kc != NULL && ko->type == PDF_REF &&
	    kc->type == PDF_REF && ko->i == kc->i)
		return 1;
	if (pdf_resolve(old, ko, &a) == 0 && pdf_resolve(cur, kc, &b) == 0)
		ok = sig_fields_appended(cur, a, b);
	pdf_obj_free(a);
	pdf_obj_free(b);
	return ok;
}

/* The AcroForm's default resources only grew: every resource the signed
 * revision had (a font by its name, say) is still there, the same; new
 * ones may come (a signer adding a font for its stamp). */
static int
dr_grows(struct pdf *old, struct pdf *cur, const struct pdf_obj *od,
    const struct pdf_obj *cd)
{
	struct pdf_obj *a = NULL, *b = NULL, *x = NULL, *y = NULL;
	size_t i, j;
	int ok = 0;

	if (od == NULL)
		return 1;
	if (cd == NULL || pdf_resolve(old, od, &a) != 0 ||
	    pdf_resolve(cur, cd, &b) != 0 || a->type != PDF_DICT ||
	    b->type != PDF_DICT)
		goto out;
	for (i = 0; i + 1 < a->count; i += 2) {
		const struct pdf_obj *key = a->items[i], *nv = NULL;

		for (j = 0; j + 1 < b->count && nv == NULL; j += 2)
			if (same_obj(b->items[j], key))
				nv = b->items[j + 1];
		pdf_obj_free(x);
		pdf_obj_free(y);
		x = y = NULL;
		if (nv == NULL || pdf_resolve(old, a->items[i + 1], &x) != 0 ||
		    pdf_resolve(cur, nv, &y) != 0)
			goto out;
		if (x->type == PDF_DICT && y->type == PDF_DICT) {
			/* /Font << /Helv 5 0 R >>: old entries kept as they were. */
			size_t m, n2;

			for (m = 0; m + 1 < x->count; m += 2) {
				for (n2 = 0; n2 + 1 < y->count; n2 += 2)
					if (same_obj(y->items[n2], x->items[m]) &&
					    same_obj(y->items[n2 + 1],
						x->items[m + 1]))
						break;
				if (n2 + 1 >= y->count)
					goto out;
			}
		} else if (!same_obj(x, y)) {
			goto out;
		}
	}
	ok = 1;
out:
	pdf_obj_free(a);
	pdf_obj_free(b);
	pdf_obj_free(x);
	pdf_obj_free(y);
	return ok;
}

/* An AcroForm's /NeedAppearances is there and not false. */
static int
need_appearances(const struct pdf_obj *acro)
{
	const struct pdf_obj *na = pdf_dict_get(acro, "NeedAppearances");

	return na != NULL && !(na->type == PDF_BOOL && na->i == 0);
}

/* An AcroForm (a copy each side; changed here): /Fields only gains
 * signature fields, /SigFlags may be set, /DR may gain resources and /DA
 * be added where there was none, /NeedAppearances may go (kyso-sign drops it under a
 * visible stamp) but not come: true would have viewers redraw the
 * filled-in fields, new /DR fonts and all. */
static int
acroform_ok(struct pdf *old, struct pdf *cur, struct pdf_obj *o,
    struct pdf_obj *c)
{
	static const char *const keys[] = { "Fields", "SigFlags", "DR", "DA",
		"NeedAppearances", NULL };

	if (c->type == PDF_NULL)
		return o->type == PDF_NULL;
	if (c->type != PDF_DICT || (o->type != PDF_DICT && o->type != PDF_NULL) ||
	    !key_sig_fields_appended(old, cur, o, c, "Fields"))
		return 0;
	/* A new AcroForm: signature fields only, checked above. */
	if (o->type == PDF_NULL)
		return 1;
	if ((pdf_dict_get(o, "DA") != NULL &&
		(pdf_dict_get(c, "DA") == NULL ||
		    !same_obj(pdf_dict_get(o, "DA"), pdf_dict_get(c, "DA")))) ||
	    !dr_grows(old, cur, pdf_dict_get(o, "DR"), pdf_dict_get(c, "DR")))
		return 0;
	if (need_appearances(c) && !need_appearances(o))
		return 0;
	return same_except(o, c, keys);
}

/* A DSS dictionary: nothing but /Type, /Certs, /OCSPs, /CRLs, /VRI. */
static int
dss_shaped(const struct pdf_obj *o)
{
	static const char *const keys[] = { "Type", "Certs", "OCSPs", "CRLs",
		"VRI" };
	size_t i, k;

	if (o->type != PDF_DICT)
		return 0;
	for (i = 0; i + 1 < o->count; i += 2) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (pdf_name_is(o->items[i], keys[k]))
				break;
		if (k == sizeof(keys) / sizeof(keys[0]))
			return 0;
	}
	return 1;
}

/* 1 when o (or what it holds) refers to one of nums[0..n) at or above
 * first; also when the budget of items runs out. */
static int
refers(const struct pdf_obj *o, int64_t first, const int64_t *nums, size_t n,
    size_t *budget)
{
	size_t i;

	if (*budget == 0)
		return 1;
	(*budget)--;
	if (o->type == PDF_REF) {
		for (i = 0; o->i >= first && i < n; i++)
			if (nums[i] == o->i)
				return 1;
		return 0;
	}
	if (o->type == PDF_ARRAY || o->type == PDF_DICT || o->type == PDF_STREAM)
		for (i = 0; i < o->count; i++)
			if (refers(o->items[i], first, nums, n, budget))
				return 1;
	return 0;
}

/* A signed file may carry a reference to an object it does not define
 * (/Annots [500 0 R]); a later revision that defines it would change what
 * shows without changing a signed object. 1 when an object of old refers
 * to a number the new section defines above old's. */
static int
old_refers_to_new(struct pdf *old, const int64_t *nums, size_t n)
{
	int64_t first = pdf_next_num(old), i;
	size_t budget = 4000000, k;
	struct pdf_obj *o;
	int hit = 0, any = 0;

	for (k = 0; k < n; k++)
		if (nums[k] >= first)
			any = 1;
	for (i = 1; any && !hit && i < first; i++) {
		if (pdf_get(old, i, &o) != 0)
			continue;
		hit = refers(o, first, nums, n, &budget);
		pdf_obj_free(o);
	}
	return hit;
}

/* A page whose /Annots gained annotations (a P=3 certification's
 * comments) and nothing else changed. */
static int
page_annotated(struct pdf *old, struct pdf *cur, struct pdf_obj *o,
    struct pdf_obj *c)
{
	static const char *const page_keys[] = { "Annots", NULL };
	struct pdf_obj *a = NULL, *b = NULL;
	int ok;

	if (o->type != PDF_DICT || c->type != PDF_DICT ||
	    !pdf_name_is(pdf_dict_get(o, "Type"), "Page"))
		return 0;
	ok = pdf_resolve(old, pdf_dict_get(o, "Annots"), &a) == 0 &&
	    pdf_resolve(cur, pdf_dict_get(c, "Annots"), &b) == 0 &&
	    annots_appended(cur, a, b, 1) && same_except(o, c, page_keys);
	pdf_obj_free(a);
	pdf_obj_free(b);
	return ok;
}

#define FIELD_DEPTH_MAX 32   /* a field's parents looked at */
#define FIELD_NAME_MAX	4096 /* bytes of a fully qualified name */

/* The fully qualified name of field (or widget) c as cur has it (the /T
 * of it and of its parents, joined by '.', ISO 32000-1 12.7.3.2) into
 * name, and whether it is read-only (/Ff bit 1, inherited). */
static int
field_name(struct pdf *cur, const struct pdf_obj *c, struct buf *name,
    int *readonly)
{
	struct pdf_obj *chain[FIELD_DEPTH_MAX];
	const struct pdf_obj *t, *ff = NULL, *at = c;
	size_t n = 0, i;
	int r = KYSO_ERR_INVALID, first = 1;

	/* c itself, then its parents (resolved copies in chain). */
	for (;;) {
		if (ff == NULL)
			ff = pdf_dict_get(at, "Ff");
		if (pdf_dict_get(at, "Parent") == NULL)
			break;
		if (n == FIELD_DEPTH_MAX ||
		    pdf_resolve(cur, pdf_dict_get(at, "Parent"), &chain[n]) != 0)
			goto out;
		at = chain[n++];
		if (at->type != PDF_DICT)
			goto out;
	}
	*readonly = ff != NULL && ff->type == PDF_INT && (ff->i & 1) != 0;
	for (i = n + 1; i-- > 0;) {
		t = pdf_dict_get(i == 0 ? c : chain[i - 1], "T");
		if (t == NULL || t->type != PDF_STRING)
			continue;
		if ((!first && buf_put(name, ".", 1) != 0) ||
		    buf_put(name, t->s, t->n) != 0)
			goto out;
		first = 0;
	}
	r = buf_len(name) <= FIELD_NAME_MAX ? 0 : KYSO_ERR_TOO_LARGE;
out:
	for (i = 0; i < n; i++)
		pdf_obj_free(chain[i]);
	return r;
}

/* Whether the lock l (a /Lock or FieldMDP parameters dictionary) locks
 * the field named name: /All, /Include listing it, /Exclude not listing
 * it; an action not known locks everything. */
static int
lock_holds(struct pdf *cur, const struct pdf_obj *l, const struct buf *name)
{
	const struct pdf_obj *act;
	struct pdf_obj *fields = NULL, *x = NULL;
	size_t i;
	int listed = 0;

	if (l == NULL || l->type != PDF_DICT)
		return 0;
	act = pdf_dict_get(l, "Action");
	if (pdf_resolve(cur, pdf_dict_get(l, "Fields"), &fields) == 0 &&
	    fields->type == PDF_ARRAY)
		for (i = 0; i < fields->count && !listed; i++) {
			pdf_obj_free(x);
			x = NULL;
			listed = pdf_resolve(cur, fields->items[i], &x) == 0 &&
			    x->type == PDF_STRING && x->n == buf_len(name) &&
			    memcmp(x->s, buf_ptr(name), x->n) == 0;
		}
	pdf_obj_free(x);
	pdf_obj_free(fields);
	if (pdf_name_is(act, "Include"))
		return listed;
	if (pdf_name_is(act, "Exclude"))
		return !listed;
	return 1;
}

/* Field (or widget) c may not be filled: it is read-only, or this
 * signature's FieldMDP locks it (a name that cannot be read counts as
 * locked). */
static int
field_locked(struct pdf *cur, const struct pdf_obj *c,
    const struct field_locks *locks)
{
	struct buf *name = buf_new(FIELD_NAME_MAX + 256);
	int readonly = 0, locked = 1;
	size_t i;

	if (name == NULL || c->type != PDF_DICT ||
	    field_name(cur, c, name, &readonly) != 0)
		goto out;
	locked = readonly;
	for (i = 0; locks != NULL && i < 2 && !locked; i++)
		locked = lock_holds(cur, locks->d[i], name);
out:
	buf_free(name);
	return locked;
}

/* A form field (not a signature) or its widget whose value or appearance
 * changed and nothing else: form filling, as an approval signature and a
 * P=2 or 3 certification allow. */
static int
form_filled(struct pdf *cur, struct pdf_obj *o, struct pdf_obj *c)
{
	static const char *const keys[] = { "V", "AP", "AS", NULL };
	const struct pdf_obj *ft;
	struct pdf_obj *parent = NULL;
	int field;

	if (o->type != PDF_DICT || c->type != PDF_DICT)
		return 0;
	ft = pdf_dict_get(c, "FT");
	if (ft == NULL && pdf_name_is(pdf_dict_get(c, "Subtype"), "Widget") &&
	    pdf_resolve(cur, pdf_dict_get(c, "Parent"), &parent) == 0)
		ft = pdf_dict_get(parent, "FT");
	field = ft != NULL && ft->type == PDF_NAME && !pdf_name_is(ft, "Sig");
	pdf_obj_free(parent);
	return field && same_except(o, c, keys);
}

/* o is an XMP metadata stream (/Type /Metadata /Subtype /XML): what
 * viewers show of it is the document's properties, not its pages. */
static int
xmp_stream(const struct pdf_obj *o)
{
	return o != NULL && o->type == PDF_STREAM &&
	    pdf_name_is(pdf_dict_get(o, "Type"), "Metadata") &&
	    pdf_name_is(pdf_dict_get(o, "Subtype"), "XML");
}

/* The catalog's /Metadata as cur has it: absent, the same, or an XMP
 * stream (a signer or an editor updating the dates). */
static int
catalog_xmp_ok(struct pdf *cur, const struct pdf_obj *oroot,
    const struct pdf_obj *nroot, int *meta)
{
	const struct pdf_obj *om = pdf_dict_get(oroot, "Metadata"),
			     *nm = pdf_dict_get(nroot, "Metadata");
	struct pdf_obj *x = NULL;
	int ok;

	if (nm == NULL || (om != NULL && same_obj(om, nm)))
		return om == NULL || nm != NULL;
	ok = pdf_resolve(cur, nm, &x) == 0 && xmp_stream(x);
	pdf_obj_free(x);
	if (ok)
		*meta = 1;
	return ok;
}

/* What a revision (prev, end] may change and still leave the signed
 * content as it was: new objects; the catalog, only in /AcroForm, /DSS,
 * /Perms, /Metadata (an XMP stream); the document information dictionary
 * and the XMP stream (ISO 32000-1 12.8.2.2 and ETSI EN 319 142-1 allow
 * metadata updates: Acrobat writes new dates when someone countersigns); the
 * AcroForm, gaining signature fields (and its SigFlags, DR, DA,
 * NeedAppearances); the DSS; a page, only its /Annots gaining signature
 * widgets; an array only appended to with signature fields or widgets (/Fields,
 * /Annots). So a later "signature" revision cannot bring an overlay annotation
 * or a new content stream with it. Form fields' values and appearances
 * (form_filled) unless read-only or locked by the signature's FieldMDP
 * (locks): after an approval signature (mdp 0) *filled gets 1, under a
 * certification's mdp 2 or 3 *permitted; with 3 also pages' annotations
 * (page_annotated), *permitted. *adds_dss gets 1 when
 * the revision adds or updates a DSS, *meta when it changes the metadata.
 * Returns 1 when nothing else changed. */
static int
benign_revision(const uint8_t *d, uint64_t prev, uint64_t end, int mdp,
    const struct field_locks *locks, int *adds_dss, int *meta, int *permitted,
    int *filled)
{
	static const char *const cat_keys[] = { "AcroForm", "DSS", "Perms",
		"Metadata", NULL };
	static const char *const page_keys[] = { "Annots", NULL };
	struct pdf *old = NULL, *cur = NULL;
	struct pdf_obj *oroot = NULL, *nroot = NULL, *o = NULL, *c = NULL;
	const struct pdf_obj *rref, *aref, *dref, *iref, *mref;
	const int64_t *nums;
	size_t n, i;
	int ok = 0;

	if (pdf_open(d, (size_t)prev, &old, NULL) != 0 ||
	    pdf_open(d, (size_t)end, &cur, NULL) != 0)
		goto out;
	rref = pdf_dict_get(pdf_trailer(cur), "Root");
	if (rref == NULL || rref->type != PDF_REF ||
	    pdf_resolve(old, rref, &oroot) != 0 ||
	    pdf_resolve(cur, rref, &nroot) != 0)
		goto out;
	/* The same catalog (not an orphan one the signed file carried), and
	 * one cross-reference section whose /Prev is the signed revision's
	 * (sections between them would go unread; a hybrid /XRefStm is read
	 * into the newest section's objects). */
	{
		const struct pdf_obj *orref = pdf_dict_get(pdf_trailer(old),
		    "Root");
		const struct pdf_obj *pv = pdf_dict_get(pdf_trailer(cur), "Prev");

		if (orref == NULL || orref->type != PDF_REF ||
		    orref->i != rref->i || pv == NULL || pv->type != PDF_INT ||
		    pv->i < 0 || (uint64_t)pv->i != pdf_startxref(old))
			goto out;
	}
	{
		const struct pdf_obj *nd = pdf_dict_get(nroot, "DSS");
		const struct pdf_obj *od = pdf_dict_get(oroot, "DSS");

		if (nd != NULL && (od == NULL || !same_obj(nd, od)))
			*adds_dss = 1;
	}
	aref = pdf_dict_get(oroot, "AcroForm");
	dref = pdf_dict_get(oroot, "DSS");
	iref = pdf_dict_get(pdf_trailer(old), "Info");
	mref = pdf_dict_get(oroot, "Metadata");
	{
		const struct pdf_obj *ni = pdf_dict_get(pdf_trailer(cur), "Info");

		if (ni != NULL && (iref == NULL || !same_obj(iref, ni)))
			*meta = 1; /* another information dictionary */
	}
	/* An object of the signed revision marked free is a deletion. */
	nums = pdf_newest_freed(cur, &n);
	for (i = 0; i < n; i++)
		if (nums[i] < pdf_next_num(old))
			goto out;
	nums = pdf_newest_nums(cur, &n);
	if (old_refers_to_new(old, nums, n))
		goto out;
	for (i = 0; i < n; i++) {
		int64_t num = nums[i];

		if (num >= pdf_next_num(old))
			continue;
		if (num == rref->i)
			continue; /* compared below */
		pdf_obj_free(o);
		pdf_obj_free(c);
		o = c = NULL;
		if (pdf_get(old, num, &o) != 0 || pdf_get(cur, num, &c) != 0)
			goto out;
		/* The DSS object, if it is one on both sides (a catalog whose
		 * /DSS names page content would pass that off as one). */
		if (dref != NULL && dref->type == PDF_REF && dref->i == num) {
			if (!dss_shaped(o) || !dss_shaped(c))
				goto out;
			*adds_dss = 1;
			continue;
		}
		if (aref != NULL && aref->type == PDF_REF && aref->i == num) {
			if (!acroform_ok(old, cur, o, c))
				goto out;
			continue;
		}
		/* The information dictionary (dates, producer) and the XMP
		 * stream, each still what it was. */
		if ((iref != NULL && iref->type == PDF_REF && iref->i == num &&
			o->type == PDF_DICT && c->type == PDF_DICT) ||
		    (mref != NULL && mref->type == PDF_REF && mref->i == num &&
			xmp_stream(o) && xmp_stream(c))) {
			*meta = 1;
			continue;
		}
		if (o->type == PDF_ARRAY && sig_fields_appended(cur, o, c))
			continue;
		if (sig_field_filled(cur, o, c))
			continue;
		if (mdp == 3 && o->type == PDF_ARRAY &&
		    annots_appended(cur, o, c, 1)) {
			*permitted = 1;
			continue;
		}
		if (o->type == PDF_DICT && c->type == PDF_DICT &&
		    pdf_name_is(pdf_dict_get(o, "Type"), "Page") &&
		    key_sig_fields_appended(old, cur, o, c, "Annots") &&
		    same_except(o, c, page_keys))
			continue;
		if (mdp == 3 && page_annotated(old, cur, o, c)) {
			*permitted = 1;
			continue;
		}
		/* Form filling: after an approval signature (ISO 32000-1
		 * 12.8.2.1, ETSI EN 319 142-1), or as P=2 or 3 permits;
		 * never a field this signature's FieldMDP locks. */
		if (mdp != 1 && !field_locked(cur, c, locks) &&
		    form_filled(cur, o, c)) {
			*(mdp == 0 ? filled : permitted) = 1;
			continue;
		}
		goto out;
	}
	/* The catalog's AcroForm, unless it is the same object as before
	 * (changed in place, the walk above checked it): written into the
	 * catalog, new, or another object. */
	{
		const struct pdf_obj *na = pdf_dict_get(nroot, "AcroForm");
		struct pdf_obj *fo = NULL, *fc = NULL;
		int fok = 1;

		if (!(aref != NULL && na != NULL && aref->type == PDF_REF &&
			na->type == PDF_REF && aref->i == na->i))
			fok = pdf_resolve(old, aref, &fo) == 0 &&
			    pdf_resolve(cur, na, &fc) == 0 &&
			    acroform_ok(old, cur, fo, fc);
		pdf_obj_free(fo);
		pdf_obj_free(fc);
		if (!fok)
			goto out;
	}
	ok = catalog_xmp_ok(cur, oroot, nroot, meta) &&
	    same_except(oroot, nroot, cat_keys);
out:
	pdf_obj_free(o);
	pdf_obj_free(c);
	pdf_obj_free(oroot);
	pdf_obj_free(nroot);
	pdf_free(old);
	pdf_free(cur);
	return ok;
}

/* What came after a signature whose range ends at end: revision by
 * revision (each ends with %%EOF), each must end where a later
 * signature's range ends, or only add validation data (DSS). Anything
 * else, or bytes after the last revision, is a change of content. (Later
 * signatures' own revisions are trusted to add only their signature.) */
enum verify_changes
pdf_changes_after(const uint8_t *d, size_t len, const uint64_t *sig_ends,
    size_t nsigs, uint64_t end, int mdp, const struct field_locks *locks)
{
	uint64_t prev = end;
	int sigs = 0, dss = 0, meta = 0, permitted = 0, filled = 0, adds_dss,
	    walked = 0;
	size_t j;

	if (end == len)
		return CHANGES_NONE;
	if (end == 0 || end > len)
		return CHANGES_OTHER;
	while (prev < len) {
		const uint8_t *e = memmem(d + prev, len - prev, "%%EOF", 5);
		uint64_t rend;
		int is_sig = 0;

		adds_dss = 0;
		if (e == NULL || ++walked > MAX_REVISIONS_AFTER)
			return CHANGES_OTHER; /* (past the bound: not vouched for) */
		rend = (uint64_t)(e - d) + 5;
		if (rend < len && d[rend] == '\r')
			rend++;
		if (rend < len && d[rend] == '\n')
			rend++;
		for (j = 0; j < nsigs; j++)
			if (sig_ends[j] == rend)
				is_sig = 1;
		if (!benign_revision(d, prev, rend, mdp, locks, &adds_dss,
			&meta, &permitted, &filled))
			return CHANGES_OTHER;
		if (is_sig)
			sigs = 1;
		else if (adds_dss)
			dss = 1;
		else if (!meta && !permitted && !filled)
			return CHANGES_OTHER; /* a form change with no signature */
		prev = rend;
	}
	return sigs	? CHANGES_SIGNATURES
	    : dss	? CHANGES_DSS
	    : permitted ? CHANGES_PERMITTED
	    : filled	? CHANGES_FORM_FILLED
	    : meta	? CHANGES_METADATA
			: CHANGES_OTHER;
}
