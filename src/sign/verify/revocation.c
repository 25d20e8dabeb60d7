#include "common/i18n.h"
#include "sign/verify/revocation.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/pkcs7.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/http.h"
#include "sign/verify/anchors.h"

#define MAX_ANSWER (4 * 1024 * 1024)

void
revoc_clear(struct revoc *r)
{
	size_t i;

	for (i = 0; i < r->ncerts; i++)
		buf_free(r->certs[i]);
	for (i = 0; i < r->nocsps; i++)
		buf_free(r->ocsps[i]);
	for (i = 0; i < r->ncrls; i++)
		buf_free(r->crls[i]);
	memset(r, 0, sizeof(*r));
}

static X509 *
x509_of(const struct buf *b)
{
	const unsigned char *p = buf_ptr(b);

	return d2i_X509(NULL, &p, (long)buf_len(b));
}

static struct buf *
copy_of(const uint8_t *p, size_t n)
{
	struct buf *b = buf_new(n + 1);

	if (b != NULL && buf_put(b, p, n) != 0) {
		buf_free(b);
		return NULL;
	}
	return b;
}

/* An OCSP response for cert from the responder its AIA names: 1 when
 * there was one and it says good, 0 when there is no responder,
 * negative on failure (revoked included). */
static int
fetch_ocsp(X509 *cert, X509 *issuer, struct revoc *out, const char **why)
{
	STACK_OF(OPENSSL_STRING) *urls = X509_get1_ocsp(cert);
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_BASICRESP *basic = NULL;
	OCSP_CERTID *id = NULL;
	STACK_OF(X509) *issuers = NULL;
	X509 *signer = NULL;
	struct buf *ans = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	int len, status, reason, r = 0;

	if (urls == NULL || sk_OPENSSL_STRING_num(urls) == 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	*why = N_("cannot build an OCSP request");
	if ((req = OCSP_REQUEST_new()) == NULL ||
	    (id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL ||
	    OCSP_request_add0_id(req, id) == NULL)
		goto out;
	id = NULL;
	if (OCSP_request_add1_nonce(req, NULL, -1) != 1 ||
	    (len = i2d_OCSP_REQUEST(req, &der)) <= 0)
		goto out;
	if ((r = http_fetch(sk_OPENSSL_STRING_value(urls, 0),
		 "application/ocsp-request", der, (size_t)len, MAX_ANSWER,
		 &ans)) != 0) {
		*why = N_("the OCSP responder could not be reached");
		goto out;
	}
	r = KYSO_ERR_INVALID;
	*why = N_("the OCSP responder's answer is not valid");
	p = buf_ptr(ans);
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)buf_len(ans))) == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (basic = OCSP_response_get1_basic(resp)) == NULL ||
	    OCSP_check_nonce(req, basic) <= 0)
		goto out;
	/* Signed by the issuer or a responder it delegated to. */
	if ((issuers = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(issuers, issuer))
		goto out;
	if (OCSP_basic_verify(basic, issuers, NULL, OCSP_NOVERIFY) != 1 ||
	    OCSP_resp_get0_signer(basic, &signer, issuers) != 1)
		goto out;
	if (X509_cmp(signer, issuer) != 0 &&
	    (X509_check_issued(issuer, signer) != X509_V_OK ||
		X509_verify(signer, X509_get0_pubkey(issuer)) != 1 ||
		!(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))) {
		*why = N_(
		    "the OCSP response is not signed by the issuer or its responder");
		goto out;
	}
	if ((id = OCSP_cert_to_id(NULL, cert, issuer)) == NULL ||
	    OCSP_resp_find_status(basic, id, &status, &reason, NULL, NULL,
		NULL) != 1)
		goto out;
	/* "unknown" says nothing of revocation (RFC 6960 2.2): not
	 * revoked, not good; the CRL may still tell. */
	if (status == V_OCSP_CERTSTATUS_UNKNOWN) {
		r = KYSO_ERR_NOT_FOUND;
		*why = N_(
		    "the OCSP responder does not know a certificate of the chain");
		goto out;
	}
	if (status != V_OCSP_CERTSTATUS_GOOD) {
		r = KYSO_ERR_PERMISSION;
		*why = N_("a certificate of the chain is revoked (OCSP)");
		goto out;
	}
	r = KYSO_ERR_TOO_LARGE;
	*why = N_("too much validation data");
	if (out->nocsps == REVOC_MAX)
		goto out;
	if ((out->ocsps[out->nocsps] = copy_of(buf_ptr(ans), buf_len(ans))) ==
	    NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	out->nocsps++;
	r = 1;
out:
	X509_email_free(urls);
	OCSP_REQUEST_free(req);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(basic);
	OCSP_CERTID_free(id);
	sk_X509_free(issuers);
	OPENSSL_free(der);
	buf_free(ans);
	return r;
}

/* The CRL from cert's first HTTP distribution point. */
static int
fetch_crl(X509 *cert, X509 *issuer, struct revoc *out, const char **why)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert,
	    NID_crl_distribution_points, NULL, NULL);
	const char *url = NULL;
	struct buf *ans = NULL;
	X509_CRL *crl = NULL;
	X509_REVOKED *rev = NULL;
	const unsigned char *p;
	int i, j, r = 0;

	for (i = 0; dps != NULL && i < sk_DIST_POINT_num(dps) && url == NULL;
	     i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		for (j = 0;
		     j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
			GENERAL_NAME *gn =
			    sk_GENERAL_NAME_value(dp->distpoint->name.fullname,
				j);

			if (gn->type == GEN_URI &&
			    strncmp((const char *)ASN1_STRING_get0_data(
					gn->d.uniformResourceIdentifier),
				"http", 4) == 0) {
				url = (const char *)ASN1_STRING_get0_data(
				    gn->d.uniformResourceIdentifier);
				break;
			}
		}
	}
	if (url == NULL)
		goto out;
	if ((r = http_fetch(url, NULL, NULL, 0, MAX_ANSWER, &ans)) != 0) {
		*why = N_("the CRL could not be downloaded");
		goto out;
	}
	r = KYSO_ERR_INVALID;
	*why = N_("the CRL is not valid");
	p = buf_ptr(ans);
	if ((crl = d2i_X509_CRL(NULL, &p, (long)buf_len(ans))) == NULL ||
	    X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1)
		goto out;
	if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1) {
		r = KYSO_ERR_PERMISSION;
		*why = N_("a certificate of the chain is revoked (CRL)");
		goto out;
	}
	r = KYSO_ERR_TOO_LARGE;
	*why = N_("too much validation data");
	if (out->ncrls == REVOC_MAX)
		goto out;
	if ((out->crls[out->ncrls] = copy_of(buf_ptr(ans), buf_len(ans))) ==
	    NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	out->ncrls++;
	r = 1;
out:
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	X509_CRL_free(crl);
	buf_free(ans);
	return r;
}

int
revoc_collect(const struct buf *const *chain, size_t n, struct revoc *out,
    const char **why)
{
	X509 *x[REVOC_MAX] = { NULL };
	size_t i, k, checked = 0;
	int r = KYSO_ERR_INVALID;

	memset(out, 0, sizeof(*out));
	*why = N_("a certificate of the chain cannot be read");
	if (n == 0 || n > REVOC_MAX)
		return KYSO_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if ((x[i] = x509_of(chain[i])) == NULL)
			goto out;
		if ((out->certs[out->ncerts] = copy_of(buf_ptr(chain[i]),
			 buf_len(chain[i]))) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		out->ncerts++;
	}
	for (i = 0; i < n; i++) {
		X509 *issuer = NULL;

		if (X509_check_issued(x[i], x[i]) == X509_V_OK)
			continue; /* a root: trusted as it is */
		for (k = 0; k < n && issuer == NULL; k++)
			if (k != i && X509_check_issued(x[k], x[i]) == X509_V_OK)
				issuer = x[k];
		if (issuer == NULL) {
			r = KYSO_ERR_NOT_FOUND;
			*why = N_(
			    "B-LT needs the whole chain up to the root: give it with --chain");
			goto out;
		}
		/* OCSP, else (none named, or not answering) the CRL; a
		 * revoked answer is final, and when both fail OCSP's reason
		 * stands. */
		if ((r = fetch_ocsp(x[i], issuer, out, why)) ==
		    KYSO_ERR_PERMISSION)
			goto out;
		if (r < 0) {
			const char *ocsp_why = *why;
			int rc = fetch_crl(x[i], issuer, out, why);

			if (rc == KYSO_ERR_PERMISSION) {
				r = rc;
				goto out;
			}
			if (rc <= 0) {
				*why = ocsp_why;
				goto out;
			}
			r = rc;
		} else if (r == 0 && (r = fetch_crl(x[i], issuer, out, why)) < 0) {
			goto out;
		}
		if (r == 0) {
			r = KYSO_ERR_NOT_FOUND;
			*why = N_("a certificate names no OCSP responder or CRL");
			goto out;
		}
		checked++;
	}
	r = checked > 0 ? 0 : KYSO_ERR_NOT_FOUND;
	if (r != 0)
		*why = N_(
		    "no certificate of the chain has revocation information");
out:
	for (i = 0; i < n; i++)
		X509_free(x[i]);
	if (r != 0)
		revoc_clear(out);
	return r;
}

static int
push_der(X509 *x, const struct buf **list, struct buf **own, size_t *n)
{
	unsigned char *d = NULL;
	int len;

	if (*n == REVOC_MAX)
		return 0; /* enough to find the chain */
	if ((len = i2d_X509(x, &d)) <= 0)
		return KYSO_ERR_CRYPTO;
	own[*n] = copy_of(d, (size_t)len);
	OPENSSL_free(d);
	if (own[*n] == NULL)
		return KYSO_ERR_NOMEM;
	list[*n] = own[*n];
	(*n)++;
	return 0;
}

const char *
revoc_status(X509 *signer, STACK_OF(X509) * extra, const char *trust_pem,
    const char **why_out)
{
	const struct buf *list[REVOC_MAX];
	struct buf *own[REVOC_MAX];
	struct revoc rv;
	STACK_OF(X509_INFO) *anchors = NULL;
	const char *why = NULL, *res = N_("unavailable");
	size_t n = 0, i;
	int r, k;

	*why_out = N_("out of memory");
	if (push_der(signer, list, own, &n) != 0)
		goto out;
	for (k = 0; extra != NULL && k < sk_X509_num(extra); k++)
		if (X509_cmp(sk_X509_value(extra, k), signer) != 0 &&
		    push_der(sk_X509_value(extra, k), list, own, &n) != 0)
			goto out;
	if (trust_pem != NULL) {
		anchors = anchors_read(trust_pem);
		for (k = 0; anchors != NULL && k < sk_X509_INFO_num(anchors);
		     k++) {
			X509_INFO *xi = sk_X509_INFO_value(anchors, k);

			if (xi->x509 != NULL &&
			    push_der(xi->x509, list, own, &n) != 0)
				goto out;
		}
	}
	r = revoc_collect(list, n, &rv, &why);
	if (r == 0) {
		res = N_("good");
		revoc_clear(&rv);
	} else if (r == KYSO_ERR_PERMISSION) {
		res = N_("revoked");
	} else {
		*why_out = why;
	}
out:
	for (i = 0; i < n; i++)
		buf_free(own[i]);
	sk_X509_INFO_pop_free(anchors, X509_INFO_free);
	return res;
}

static int
have_cert(const struct revoc *rv, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < rv->ncerts; i++)
		if (buf_len(rv->certs[i]) == n &&
		    memcmp(buf_ptr(rv->certs[i]), d, n) == 0)
			return 1;
	return 0;
}

/* der into rv's certificates unless there. */
static int
add_cert(struct revoc *rv, X509 *x)
{
	unsigned char *d = NULL;
	int len, r = 0;

	if ((len = i2d_X509(x, &d)) <= 0)
		return 0;
	if (!have_cert(rv, d, (size_t)len) && rv->ncerts < REVOC_MAX) {
		if ((rv->certs[rv->ncerts] = copy_of(d, (size_t)len)) == NULL)
			r = KYSO_ERR_NOMEM;
		else
			rv->ncerts++;
	}
	OPENSSL_free(d);
	return r;
}

/* The certificates of the time-stamp token p7 into rv, each with its
 * revocation data when its issuer is at hand (best effort): among rv's,
 * the token's, or extra's (an issuer found there goes in rv too). */
static int
add_token_certs(struct revoc *rv, PKCS7 *p7, STACK_OF(X509) * extra)
{
	STACK_OF(X509) * tcerts;
	X509 *all[REVOC_MAX];
	size_t nall = 0, i, k;
	int r = 0;

	if (!PKCS7_type_is_signed(p7) || (tcerts = p7->d.sign->cert) == NULL)
		return 0;
	/* Every certificate known so far, to find issuers among. */
	for (i = 0; i < rv->ncerts && nall < REVOC_MAX; i++)
		if ((all[nall] = x509_of(rv->certs[i])) != NULL)
			nall++;
	for (k = 0; k < (size_t)sk_X509_num(tcerts); k++) {
		X509 *x = sk_X509_value(tcerts, (int)k), *issuer = NULL;
		unsigned char *d = NULL;
		const char *why = NULL;
		int len;

		if ((len = i2d_X509(x, &d)) <= 0)
			continue;
		if (!have_cert(rv, d, (size_t)len) && rv->ncerts < REVOC_MAX) {
			if ((rv->certs[rv->ncerts] = copy_of(d, (size_t)len)) ==
			    NULL) {
				OPENSSL_free(d);
				r = KYSO_ERR_NOMEM;
				goto out;
			}
			rv->ncerts++;
			/* Its revocation data, if its issuer is known. */
			for (i = 0; i < nall && issuer == NULL; i++)
				if (X509_check_issued(all[i], x) == X509_V_OK)
					issuer = all[i];
			for (i = 0;
			     i < (size_t)sk_X509_num(tcerts) && issuer == NULL;
			     i++)
				if (i != k &&
				    X509_check_issued(sk_X509_value(tcerts,
							  (int)i),
					x) == X509_V_OK)
					issuer = sk_X509_value(tcerts, (int)i);
			for (i = 0; extra != NULL &&
			     i < (size_t)sk_X509_num(extra) && issuer == NULL;
			     i++)
				if (X509_cmp(sk_X509_value(extra, (int)i), x) !=
					0 &&
				    X509_check_issued(sk_X509_value(extra, (int)i),
					x) == X509_V_OK) {
					issuer = sk_X509_value(extra, (int)i);
					if ((r = add_cert(rv, issuer)) != 0) {
						OPENSSL_free(d);
						goto out;
					}
				}
			if (issuer != NULL &&
			    X509_check_issued(x, x) != X509_V_OK &&
			    fetch_ocsp(x, issuer, rv, &why) == 0)
				(void)fetch_crl(x, issuer, rv, &why);
		}
		OPENSSL_free(d);
	}
out:
	for (i = 0; i < nall; i++)
		X509_free(all[i]);
	return r;
}

int
revoc_add_tsa(struct revoc *rv, const uint8_t *der, size_t n,
    STACK_OF(X509) * extra)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &p, (long)n);
	STACK_OF(CMS_SignerInfo) * sis;
	ASN1_OBJECT *obj = OBJ_txt2obj("1.2.840.113549.1.9.16.2.14", 1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	PKCS7 *p7 = NULL;
	int loc, r = 0;

	if (cms == NULL || obj == NULL ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) != 1)
		goto out;
	loc = CMS_unsigned_get_attr_by_OBJ(sk_CMS_SignerInfo_value(sis, 0), obj,
	    -1);
	if (loc < 0 ||
	    (attr = CMS_unsigned_get_attr(sk_CMS_SignerInfo_value(sis, 0), loc)) ==
		NULL ||
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL ||
	    t->type != V_ASN1_SEQUENCE)
		goto out;
	p = t->value.sequence->data;
	if ((p7 = d2i_PKCS7(NULL, &p, t->value.sequence->length)) == NULL)
		goto out;
	r = add_token_certs(rv, p7, extra);
out:
	ASN1_OBJECT_free(obj);
	PKCS7_free(p7);
	CMS_ContentInfo_free(cms);
	return r;
}

int
revoc_add_token(struct revoc *rv, const uint8_t *der, size_t n,
    STACK_OF(X509) * extra)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)n);
	int r = 0;

	if (p7 != NULL)
		r = add_token_certs(rv, p7, extra);
	PKCS7_free(p7);
	return r;
}
