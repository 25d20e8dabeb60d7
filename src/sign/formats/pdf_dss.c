#include "common/i18n.h"
#include "sign/formats/pdf_dss.h"

#include <string.h>

#include "sign/pdf/pdf.h"
#include "sign/pdf/pdf_crypt.h"
#include "sign/pdf/pdf_rev.h"

/* arr (a copy of an existing DSS array, or a new one) plus a stream per
 * item of items. */
static int
add_streams(struct rev *v, struct pdf_obj *dss, const char *key,
    struct buf *const *items, size_t n)
{
	struct pdf_obj *arr = NULL;
	size_t i;
	int r;

	if (n == 0)
		return 0;
	if ((r = pdf_resolve(v->pdf, pdf_dict_get(dss, key), &arr)) != 0)
		return r;
	if (arr->type != PDF_ARRAY) {
		pdf_obj_free(arr);
		if ((arr = pdf_obj_new(PDF_ARRAY)) == NULL)
			return KYSO_ERR_NOMEM;
	}
	for (i = 0; i < n; i++) {
		int64_t num = v->next++;
		struct buf *copy = buf_dup(items[i]);

		if ((r = rev_put_stream(v, num, pdf_obj_new(PDF_DICT), copy)) !=
			0 ||
		    (r = pdf_array_push(arr, pdf_ref_new(num, 0))) != 0) {
			pdf_obj_free(arr);
			return r;
		}
	}
	return pdf_dict_set(dss, key, arr);
}

/* The streams of dss[key], the newest (last) REVOC_MAX. */
static int
read_streams(struct pdf *pdf, const struct pdf_obj *dss, const char *key,
    struct buf **items, size_t *n)
{
	struct pdf_obj *arr = NULL, *st = NULL;
	size_t i;
	int r = 0;

	if ((r = pdf_resolve(pdf, pdf_dict_get(dss, key), &arr)) != 0)
		return r == KYSO_ERR_NOMEM ? r : 0;
	for (i = arr->type == PDF_ARRAY && arr->count > REVOC_MAX
		 ? arr->count - REVOC_MAX
		 : 0;
	     arr->type == PDF_ARRAY && i < arr->count && *n < REVOC_MAX; i++) {
		if ((r = pdf_resolve(pdf, arr->items[i], &st)) == KYSO_ERR_NOMEM)
			break;
		r = 0;
		if (st != NULL && st->type == PDF_STREAM &&
		    pdf_stream_decode(pdf, st, 1 << 20, &items[*n]) == 0)
			(*n)++;
		pdf_obj_free(st);
		st = NULL;
	}
	pdf_obj_free(arr);
	return r;
}

int
pdf_dss_read(struct pdf *pdf, const struct pdf_obj *root, struct revoc *out)
{
	struct pdf_obj *dss = NULL;
	int r = 0;

	memset(out, 0, sizeof(*out));
	/* A broken DSS reference: no validation data. */
	if ((r = pdf_resolve(pdf, pdf_dict_get(root, "DSS"), &dss)) != 0)
		return r == KYSO_ERR_NOMEM ? r : 0;
	if (dss->type == PDF_DICT &&
	    ((r = read_streams(pdf, dss, "Certs", out->certs, &out->ncerts)) != 0 ||
		(r = read_streams(pdf, dss, "OCSPs", out->ocsps, &out->nocsps)) !=
		    0 ||
		(r = read_streams(pdf, dss, "CRLs", out->crls, &out->ncrls)) != 0))
		revoc_clear(out);
	pdf_obj_free(dss);
	return r;
}

int
pdf_dss_revision(const uint8_t *data, size_t len, const struct revoc *rv,
    struct buf **rev_out, const char **why)
{
	struct rev v;
	struct buf *b = NULL;
	struct pdf_obj *root = NULL, *dss = NULL;
	const struct pdf_obj *root_ref, *old;
	int64_t dss_num;
	int r;

	memset(&v, 0, sizeof(v));
	*why = N_("out of memory");
	if ((r = pdf_open(data, len, &v.pdf, why)) != 0)
		goto out;
	/* In an encrypted file, validation data is signing's part: it needs
	 * what a signature needs (pdf_crypt.h). */
	if (pdf_crypt_of(v.pdf) != NULL &&
	    !pdf_crypt_may_fill(pdf_crypt_of(v.pdf))) {
		r = KYSO_ERR_PERMISSION;
		*why = N_("the file is encrypted with an owner password whose "
			  "permissions forbid filling in forms and signing");
		goto out;
	}
	v.next = pdf_next_num(v.pdf);
	*why = N_("the document catalog is damaged");
	root_ref = pdf_dict_get(pdf_trailer(v.pdf), "Root");
	if ((r = pdf_resolve(v.pdf, root_ref, &root)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	if (root->type != PDF_DICT || root_ref->type != PDF_REF)
		goto out;
	/* An existing DSS object is updated in place; else a new one. */
	old = pdf_dict_get(root, "DSS");
	if (old != NULL && old->type == PDF_REF) {
		dss_num = old->i;
		if ((r = pdf_get(v.pdf, dss_num, &dss)) != 0)
			goto out;
	} else {
		dss_num = v.next++;
		dss = old != NULL && old->type == PDF_DICT
		    ? pdf_obj_dup(old)
		    : pdf_obj_new(PDF_DICT);
	}
	*why = N_("out of memory");
	if (dss == NULL || dss->type != PDF_DICT) {
		r = dss == NULL ? KYSO_ERR_NOMEM : KYSO_ERR_CORRUPT;
		goto out;
	}
	if ((r = pdf_dict_set(dss, "Type", pdf_name_new("DSS"))) != 0 ||
	    (r = add_streams(&v, dss, "Certs", rv->certs, rv->ncerts)) != 0 ||
	    (r = add_streams(&v, dss, "OCSPs", rv->ocsps, rv->nocsps)) != 0 ||
	    (r = add_streams(&v, dss, "CRLs", rv->crls, rv->ncrls)) != 0)
		goto out;
	r = rev_put(&v, dss_num, dss);
	dss = NULL;
	if (r != 0)
		goto out;
	if (old == NULL || old->type != PDF_REF) {
		if ((r = pdf_dict_set(root, "DSS", pdf_ref_new(dss_num, 0))) != 0)
			goto out;
		r = rev_put(&v, root_ref->i, root);
		root = NULL;
		if (r != 0)
			goto out;
	}
	if ((b = buf_new(0)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = rev_write(&v, b, len, NULL, NULL)) != 0) {
		*why = N_("cannot write the validation data revision");
		goto out;
	}
	*rev_out = b;
	b = NULL;
	r = 0;
out:
	pdf_obj_free(root);
	pdf_obj_free(dss);
	rev_clear(&v);
	pdf_free(v.pdf);
	buf_free(b);
	return r;
}
