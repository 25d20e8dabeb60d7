#include "pdf_dss.h"

#include <string.h>

#include "mapfile.h"
#include "pdf.h"
#include "pdf_rev.h"

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

		if ((r = rev_put_stream(v, num, pdf_obj_new(PDF_DICT), copy)) != 0 ||
		    (r = pdf_array_push(arr, pdf_ref_new(num, 0))) != 0) {
			pdf_obj_free(arr);
			return r;
		}
	}
	return pdf_dict_set(dss, key, arr);
}

int
pdf_add_dss(const char *in_path, const char *out_path, const struct revoc *rv,
    const char **why)
{
	struct mapfile *m = NULL;
	struct outfile *of = NULL;
	struct rev v;
	struct buf *b = NULL;
	struct pdf_obj *root = NULL, *dss = NULL;
	const struct pdf_obj *root_ref, *old;
	int64_t dss_num;
	int r;

	memset(&v, 0, sizeof(v));
	*why = "out of memory";
	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = "the signed file cannot be read back";
		goto out;
	}
	if ((r = pdf_open(mapfile_data(m), mapfile_len(m), &v.pdf, why)) != 0)
		goto out;
	v.next = pdf_next_num(v.pdf);
	*why = "the document catalog is damaged";
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
		dss = old != NULL && old->type == PDF_DICT ? pdf_obj_dup(old) :
		    pdf_obj_new(PDF_DICT);
	}
	*why = "out of memory";
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
	if ((r = rev_write(&v, b, mapfile_len(m), NULL, NULL)) != 0) {
		*why = "cannot write the validation data revision";
		goto out;
	}
	if ((r = outfile_open(out_path, &of)) != 0 ||
	    (r = outfile_write(of, mapfile_data(m), mapfile_len(m))) != 0 ||
	    (r = outfile_write(of, buf_ptr(b), buf_len(b))) != 0) {
		*why = "cannot write the output file";
		goto out;
	}
	r = outfile_commit(of);
	of = NULL;
	if (r != 0)
		*why = "cannot write the output file";
out:
	outfile_abort(of);
	pdf_obj_free(root);
	pdf_obj_free(dss);
	rev_clear(&v);
	pdf_free(v.pdf);
	buf_free(b);
	mapfile_free(m);
	return r;
}
