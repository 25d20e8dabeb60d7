/* kyso-sign extend: an existing signed PDF (ours or another tool's)
 * brought to PAdES B-LTA. The document is verified first (a document
 * with no signature or an INVALID one is refused); then each signature's
 * chain (from its CMS, the DSS and --chain) gets its OCSP responses or
 * CRLs, each time-stamp (a signature's, a document time-stamp's) its TSA
 * certificates and what can be had of their revocation data; a DSS
 * revision holds them with a /VRI entry per signature; a document
 * time-stamp covers it all. Run again later, it adds fresh validation
 * data and a new archive time-stamp over the last one. */
#include "common/i18n.h"
#include "sign/formats/pdf_lta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "sign/formats/pdf_dss.h"
#include "sign/formats/pdf_fields.h"
#include "sign/formats/pdf_sign_int.h"
#include "sign/pdf/pdf.h"
#include "sign/verify/revocation.h"
#include "sign/verify/verify.h"

#define CHAIN_MAX 16 /* certificates from a signer to its root */

/* The check before: a signed document, no signature INVALID. */
static int
check_signed(const char *path, const struct pdf_extend_opts *o, const char **why)
{
	struct verify_opts vo = { o->trust, 0 };
	struct sig_report *rep = NULL;
	size_t n = 0, i;
	int r;

	if ((r = verify_pdf_file(path, &vo, &rep, &n, why)) != 0)
		return r;
	if (n == 0) {
		r = KYSO_ERR_INVALID;
		*why = N_("the document is not signed: sign it first "
			  "(kyso-sign pdf --lta)");
	}
	for (i = 0; i < n && r == 0; i++)
		if (rep[i].verdict == VERDICT_INVALID) {
			r = KYSO_ERR_INVALID;
			*why = N_("a signature in the document is INVALID (see "
				  "kyso-sign verify): it is not extended");
		}
	sig_reports_free(rep, n);
	return r;
}

static struct buf *
der_of(X509 *x)
{
	unsigned char *d = NULL;
	struct buf *b = NULL;
	int len;

	if ((len = i2d_X509(x, &d)) > 0 && (b = buf_new(0)) != NULL &&
	    buf_put(b, d, (size_t)len) != 0) {
		buf_free(b);
		b = NULL;
	}
	OPENSSL_free(d);
	return b;
}

static int
pool_push(STACK_OF(X509) * pool, X509 *x)
{
	if (x == NULL || sk_X509_push(pool, x) <= 0) {
		X509_free(x);
		return KYSO_ERR_NOMEM;
	}
	return 0;
}

/* The certificates of a PEM file (--chain). */
static int
pool_add_pem(STACK_OF(X509) * pool, const char *path, const char **why)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	int r = 0, n = 0;

	*why = N_("the --chain file cannot be read");
	if (f == NULL)
		return KYSO_ERR_NOT_FOUND;
	while (r == 0 && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		r = pool_push(pool, x);
		n++;
	}
	ERR_clear_error();
	fclose(f);
	return r != 0 ? r : n > 0 ? 0 : KYSO_ERR_INVALID;
}

/* signer, then its issuers found in pool, up to a self-signed root. */
static int
chain_of(X509 *signer, STACK_OF(X509) * pool, struct buf **der, size_t *n,
    const char **why)
{
	X509 *cur = signer, *next;
	int k;

	*n = 0;
	for (;;) {
		if ((der[*n] = der_of(cur)) == NULL) {
			*why = N_("out of memory");
			return KYSO_ERR_NOMEM;
		}
		(*n)++;
		if (X509_check_issued(cur, cur) == X509_V_OK)
			return 0;
		next = NULL;
		for (k = 0; k < sk_X509_num(pool) && next == NULL; k++) {
			X509 *c = sk_X509_value(pool, k);

			if (X509_cmp(c, cur) != 0 &&
			    X509_check_issued(c, cur) == X509_V_OK)
				next = c;
		}
		if (next == NULL || *n == CHAIN_MAX) {
			*why = N_("a signer's chain up to its root is not in "
				  "the document: give the CA certificates "
				  "with --chain");
			return KYSO_ERR_NOT_FOUND;
		}
		cur = next;
	}
}

/* One signature's validation data: its chain's OCSP responses or CRLs
 * (a failure is the document's: refused), then its time-stamp's. */
static int
collect_cms(const uint8_t *ct, size_t ctn, STACK_OF(X509) * pool,
    struct revoc *rv, const char **why)
{
	const unsigned char *p = ct;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)ctn);
	STACK_OF(CMS_SignerInfo) * sis;
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	X509 *signer = NULL;
	struct buf *chain[CHAIN_MAX] = { NULL };
	size_t n = 0, i;
	int k, r = KYSO_ERR_INVALID;

	*why = N_("a signature cannot be read");
	if (cms == NULL || (sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1 ||
	    (certs = CMS_get1_certs(cms)) == NULL)
		goto out;
	si = sk_CMS_SignerInfo_value(sis, 0);
	for (k = 0; k < sk_X509_num(certs); k++) {
		X509 *x = sk_X509_value(certs, k);

		if (signer == NULL && CMS_SignerInfo_cert_cmp(si, x) == 0)
			signer = x;
		if (X509_up_ref(x) != 1 || (r = pool_push(pool, x)) != 0)
			goto out;
	}
	r = KYSO_ERR_INVALID;
	*why = N_("a signature does not hold its signer's certificate");
	if (signer == NULL)
		goto out;
	if ((r = chain_of(signer, pool, chain, &n, why)) != 0 ||
	    (r = revoc_collect((const struct buf *const *)chain, n, rv, why)) != 0)
		goto out;
	*why = N_("out of memory");
	r = revoc_add_tsa(rv, ct, ctn, pool);
out:
	for (i = 0; i < n; i++)
		buf_free(chain[i]);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return r;
}

/* A document time-stamp's TSA certificates and their revocation data
 * (best effort); its /VRI key is the token without /Contents' padding. */
static int
collect_docts(const uint8_t *ct, size_t ctn, STACK_OF(X509) * pool,
    struct dss_vri *vri, struct revoc *rv, const char **why)
{
	const unsigned char *p = ct;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)ctn);

	*why = N_("a document time-stamp cannot be read");
	if (p7 == NULL)
		return KYSO_ERR_INVALID;
	pdf_dss_vri_key(ct, (size_t)(p - ct), vri->key);
	PKCS7_free(p7);
	*why = N_("out of memory");
	return revoc_add_token(rv, ct, ctn, pool);
}

/* The signature dictionary f holds as its value (NULL: none). */
static struct pdf_obj *
sig_of(struct pdf *pdf, const struct pdf_sig_field *f)
{
	struct pdf_obj *field = NULL, *sig = NULL;

	if (pdf_get(pdf, f->num, &field) == 0 &&
	    pdf_resolve(pdf, pdf_dict_get(field, "V"), &sig) == 0 &&
	    sig->type != PDF_DICT) {
		pdf_obj_free(sig);
		sig = NULL;
	}
	pdf_obj_free(field);
	return sig;
}

/* The DSS revision for pdf's signatures, in *rev. */
static int
dss_for(struct pdf *pdf, const uint8_t *data, size_t len, STACK_OF(X509) * pool,
    struct buf **rev, const char **why)
{
	struct pdf_sig_fields *fs = NULL;
	struct revoc *rvs = NULL;
	struct dss_vri *vri = NULL;
	struct pdf_obj *sig = NULL;
	size_t i, nv = 0;
	int r;

	if ((r = pdf_sig_fields_read(pdf, &fs, why)) != 0)
		return r;
	*why = N_("out of memory");
	r = KYSO_ERR_NOMEM;
	if ((rvs = calloc(PDF_FIELDS_MAX, sizeof(*rvs))) == NULL ||
	    (vri = calloc(PDF_FIELDS_MAX, sizeof(*vri))) == NULL)
		goto out;
	for (i = 0; i < fs->n; i++) {
		const struct pdf_obj *ct;

		if (!fs->f[i].is_signed || (sig = sig_of(pdf, &fs->f[i])) == NULL)
			continue;
		ct = pdf_dict_get(sig, "Contents");
		r = KYSO_ERR_INVALID;
		*why = N_("a signature dictionary is damaged");
		if (ct == NULL || ct->type != PDF_STRING)
			goto out;
		vri[nv].rv = &rvs[nv];
		if (pdf_name_is(pdf_dict_get(sig, "SubFilter"), "ETSI.RFC3161")) {
			r = collect_docts(ct->s, ct->n, pool, &vri[nv],
			    &rvs[nv], why);
		} else {
			pdf_dss_vri_key(ct->s, ct->n, vri[nv].key);
			r = collect_cms(ct->s, ct->n, pool, &rvs[nv], why);
		}
		nv++;
		if (r != 0)
			goto out;
		pdf_obj_free(sig);
		sig = NULL;
	}
	r = pdf_dss_revision(data, len, vri, nv, rev, why);
out:
	for (i = 0; rvs != NULL && i < nv; i++)
		revoc_clear(&rvs[i]);
	free(rvs);
	free(vri);
	pdf_obj_free(sig);
	pdf_sig_fields_free(fs);
	return r;
}

int
pdf_extend_file(const struct pdf_extend_opts *o, const char *in_path,
    const char *out_path, const char **why)
{
	struct mapfile *m = NULL;
	struct pdf *pdf = NULL;
	struct pdf_obj *root = NULL;
	struct buf *rev = NULL;
	struct revoc vd;
	STACK_OF(X509) *pool = NULL;
	char *tmp = NULL;
	size_t i, tl = strlen(out_path) + 16;
	int r;

	memset(&vd, 0, sizeof(vd));
	if ((r = check_signed(in_path, o, why)) != 0)
		return r;
	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = N_("the file cannot be read");
		goto out;
	}
	if ((r = pdf_open(mapfile_data(m), mapfile_len(m), &pdf, why)) != 0)
		goto out;
	*why = N_("out of memory");
	r = KYSO_ERR_NOMEM;
	if ((pool = sk_X509_new_null()) == NULL)
		goto out;
	if (o->chain_pem != NULL &&
	    (r = pool_add_pem(pool, o->chain_pem, why)) != 0)
		goto out;
	/* The certificates the DSS holds complete chains too. */
	*why = N_("the document catalog is damaged");
	if ((r = pdf_resolve(pdf, pdf_dict_get(pdf_trailer(pdf), "Root"),
		 &root)) != 0 ||
	    (r = pdf_dss_read(pdf, root, &vd)) != 0)
		goto out;
	for (i = 0; i < vd.ncerts; i++) {
		const unsigned char *p = buf_ptr(vd.certs[i]);
		X509 *x = d2i_X509(NULL, &p, (long)buf_len(vd.certs[i]));

		if (x != NULL && (r = pool_push(pool, x)) != 0)
			goto out;
	}
	ERR_clear_error();
	if ((r = dss_for(pdf, mapfile_data(m), mapfile_len(m), pool, &rev, why)) !=
	    0)
		goto out;
	*why = N_("out of memory");
	r = KYSO_ERR_NOMEM;
	if ((tmp = malloc(tl)) == NULL)
		goto out;
	snprintf(tmp, tl, "%s.kyso-lt.tmp", out_path);
	if ((r = pdf_write_two(tmp, m, rev, why)) != 0)
		goto out;
	r = pdf_lta_file(o->tsa_url, tmp, out_path, why);
	unlink(tmp);
out:
	free(tmp);
	sk_X509_pop_free(pool, X509_free);
	revoc_clear(&vd);
	pdf_obj_free(root);
	buf_free(rev);
	pdf_free(pdf);
	mapfile_free(m);
	return r;
}
