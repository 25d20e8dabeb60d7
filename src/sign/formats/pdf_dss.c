#include "common/i18n.h"
#include "sign/formats/pdf_dss.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sign/pdf/pdf.h"
#include "sign/pdf/pdf_crypt.h"
#include "sign/pdf/pdf_rev.h"

/* One kind of DSS entry (Certs, OCSPs, CRLs): the DSS's array (a copy,
 * to be written back) and the items it holds with their objects, so that
 * an item already there is referred to, not written twice. */
struct kind {
	const char *key;     /* in the DSS */
	const char *vri_key; /* in a VRI entry */
	struct pdf_obj *arr;
	const struct buf *item[DSS_KNOWN_MAX];
	struct buf *own[DSS_KNOWN_MAX];
	int64_t num[DSS_KNOWN_MAX];
	size_t n;
};

static void
kind_clear(struct kind *kd)
{
	size_t i;

	for (i = 0; i < kd->n; i++)
		buf_free(kd->own[i]);
	kd->n = 0;
	pdf_obj_free(kd->arr);
	kd->arr = NULL;
}

/* dss[key] (a copy, or a new array) and the newest DSS_KNOWN_MAX items
 * it refers to. */
static int
kind_load(struct pdf *pdf, const struct pdf_obj *dss, struct kind *kd)
{
	struct pdf_obj *st = NULL;
	size_t i;
	int r;

	if ((r = pdf_resolve(pdf, pdf_dict_get(dss, kd->key), &kd->arr)) != 0 &&
	    r == KYSO_ERR_NOMEM)
		return r;
	if (r != 0 || kd->arr->type != PDF_ARRAY) {
		pdf_obj_free(kd->arr);
		if ((kd->arr = pdf_obj_new(PDF_ARRAY)) == NULL)
			return KYSO_ERR_NOMEM;
	}
	for (i = kd->arr->count > DSS_KNOWN_MAX ? kd->arr->count - DSS_KNOWN_MAX
						: 0;
	     i < kd->arr->count; i++) {
		const struct pdf_obj *ref = kd->arr->items[i];
		struct buf *b = NULL;

		if (ref->type != PDF_REF || pdf_get(pdf, ref->i, &st) != 0)
			continue;
		if (st->type == PDF_STREAM &&
		    pdf_stream_decode(pdf, st, 1 << 20, &b) == 0) {
			kd->own[kd->n] = b;
			kd->item[kd->n] = b;
			kd->num[kd->n++] = ref->i;
		}
		pdf_obj_free(st);
		st = NULL;
	}
	return 0;
}

/* The object holding item: one the DSS has, else a new stream. */
static int
kind_add(struct rev *v, struct kind *kd, const struct buf *item, int64_t *num)
{
	struct buf *copy;
	size_t i;
	int r;

	for (i = 0; i < kd->n; i++)
		if (buf_len(kd->item[i]) == buf_len(item) &&
		    memcmp(buf_ptr(kd->item[i]), buf_ptr(item), buf_len(item)) ==
			0) {
			*num = kd->num[i];
			return 0;
		}
	*num = v->next++;
	if ((copy = buf_dup(item)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = rev_put_stream(v, *num, pdf_obj_new(PDF_DICT), copy)) != 0 ||
	    (r = pdf_array_push(kd->arr, pdf_ref_new(*num, 0))) != 0)
		return r;
	if (kd->n < DSS_KNOWN_MAX) {
		kd->item[kd->n] = item;
		kd->own[kd->n] = NULL;
		kd->num[kd->n++] = *num;
	}
	return 0;
}

/* The items of one signature's validation data of one kind, in the DSS
 * arrays, and entry's array for them (entry NULL: no VRI entry). */
static int
kind_put(struct rev *v, struct kind *kd, struct buf *const *items, size_t n,
    struct pdf_obj *entry)
{
	struct pdf_obj *arr;
	size_t i;
	int64_t num;
	int r;

	if (n == 0)
		return 0;
	if ((arr = pdf_obj_new(PDF_ARRAY)) == NULL)
		return KYSO_ERR_NOMEM;
	for (i = 0; i < n; i++)
		if ((r = kind_add(v, kd, items[i], &num)) != 0 ||
		    (r = pdf_array_push(arr, pdf_ref_new(num, 0))) != 0) {
			pdf_obj_free(arr);
			return r;
		}
	if (entry == NULL) {
		pdf_obj_free(arr);
		return 0;
	}
	return pdf_dict_set(entry, kd->vri_key, arr);
}

/* Every signature's validation data into dss, and its /VRI entry. */
static int
fill_dss(struct rev *v, struct pdf_obj *dss, const struct dss_vri *vri,
    size_t nvri)
{
	struct kind *kd = calloc(3, sizeof(*kd));
	struct pdf_obj *vd = NULL, *entry = NULL;
	size_t i, k;
	int r = KYSO_ERR_NOMEM;

	if (kd == NULL)
		return r;
	kd[0].key = "Certs";
	kd[0].vri_key = "Cert";
	kd[1].key = "OCSPs";
	kd[1].vri_key = "OCSP";
	kd[2].key = "CRLs";
	kd[2].vri_key = "CRL";
	for (k = 0; k < 3; k++)
		if ((r = kind_load(v->pdf, dss, &kd[k])) != 0)
			goto out;
	if ((r = pdf_resolve(v->pdf, pdf_dict_get(dss, "VRI"), &vd)) != 0 &&
	    r == KYSO_ERR_NOMEM)
		goto out;
	if (r != 0 || vd->type != PDF_DICT) {
		pdf_obj_free(vd);
		if ((vd = pdf_obj_new(PDF_DICT)) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < nvri; i++) {
		const struct revoc *rv = vri[i].rv;

		r = KYSO_ERR_NOMEM;
		if (vri[i].key[0] != '\0' &&
		    (entry = pdf_obj_new(PDF_DICT)) == NULL)
			goto out;
		if ((r = kind_put(v, &kd[0], rv->certs, rv->ncerts, entry)) != 0 ||
		    (r = kind_put(v, &kd[1], rv->ocsps, rv->nocsps, entry)) != 0 ||
		    (r = kind_put(v, &kd[2], rv->crls, rv->ncrls, entry)) != 0)
			goto out;
		if (entry != NULL) {
			r = pdf_dict_set(vd, vri[i].key, entry);
			entry = NULL;
			if (r != 0)
				goto out;
		}
	}
	for (k = 0; k < 3; k++) {
		if (kd[k].arr->count == 0)
			continue;
		r = pdf_dict_set(dss, kd[k].key, kd[k].arr);
		kd[k].arr = NULL;
		if (r != 0)
			goto out;
	}
	if (vd->count > 0) {
		r = pdf_dict_set(dss, "VRI", vd);
		vd = NULL;
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	for (k = 0; k < 3; k++)
		kind_clear(&kd[k]);
	free(kd);
	pdf_obj_free(entry);
	pdf_obj_free(vd);
	return r;
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
pdf_dss_revision(const uint8_t *data, size_t len, const struct dss_vri *vri,
    size_t nvri, struct buf **rev_out, const char **why)
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
	    (r = fill_dss(&v, dss, vri, nvri)) != 0)
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

void
pdf_dss_vri_key(const uint8_t *contents, size_t n, char key[41])
{
	static const char hd[] = "0123456789ABCDEF";
	uint8_t h[20];
	size_t i;

	key[0] = '\0';
	if (EVP_Digest(contents, n, h, NULL, EVP_sha1(), NULL) != 1)
		return;
	for (i = 0; i < 20; i++) {
		key[2 * i] = hd[h[i] >> 4];
		key[2 * i + 1] = hd[h[i] & 15];
	}
	key[40] = '\0';
}
