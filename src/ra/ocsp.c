#include "ocsp.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ocsp.h>

#include "ca_priv.h"
#include "ocsp_cache.h"

static int
serial_hex(const ASN1_INTEGER *a, char out[64])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	char *h = NULL;
	size_t i;
	int r = KYSO_ERR_INVALID;

	if (bn == NULL || BN_is_negative(bn) || (h = BN_bn2hex(bn)) == NULL ||
	    strlen(h) > 40)
		goto out;
	for (i = 0; h[i]; i++)
		out[i] = (char)tolower((unsigned char)h[i]);
	out[i] = '\0';
	r = 0;
out:
	OPENSSL_free(h);
	BN_free(bn);
	return r;
}

/* The request's nonce, if any, as RFC 8954 bounds it (one, 1..32
 * octets): else a malformed request. */
static int
nonce_ok(OCSP_REQUEST *req)
{
	int i = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1);
	const ASN1_OCTET_STRING *v;

	if (i < 0)
		return 0;
	if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, i) >= 0 ||
	    (v = X509_EXTENSION_get_data(OCSP_REQUEST_get_ext(req, i))) == NULL)
		return KYSO_ERR_INVALID;
	return ocsp_nonce_ok(ASN1_STRING_get0_data(v),
	    (size_t)ASN1_STRING_length(v));
}

static int
finish(OCSP_RESPONSE *resp, struct buf *out)
{
	uint8_t *p = NULL;
	int len, r = KYSO_ERR_CRYPTO;

	if (resp != NULL && (len = i2d_OCSP_RESPONSE(resp, &p)) > 0)
		r = buf_put(out, p, (size_t)len);
	OPENSSL_free(p);
	return r;
}

static int
status_only(int st, struct buf *out)
{
	OCSP_RESPONSE *resp = OCSP_response_create(st, NULL);
	int r = finish(resp, out);

	OCSP_RESPONSE_free(resp);
	return r;
}

int
ocsp_respond(struct ca *ca, const uint8_t *der, size_t n, ocsp_lookup_fn lookup,
    void *ud, struct buf *out)
{
	const uint8_t *p = der;
	OCSP_REQUEST *req = NULL;
	OCSP_BASICRESP *bs = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_CERTID *ours = NULL;
	ASN1_TIME *now = NULL, *next = NULL, *rtime = NULL;
	int i, count, r = KYSO_ERR_CRYPTO;

	if (n > 64 * 1024 || (req = d2i_OCSP_REQUEST(NULL, &p, (long)n)) == NULL ||
	    (count = OCSP_request_onereq_count(req)) <= 0 || count > 16 ||
	    nonce_ok(req) != 0) {
		r = status_only(OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, out);
		goto out;
	}
	if ((bs = OCSP_BASICRESP_new()) == NULL ||
	    (now = ASN1_TIME_set(NULL, time(NULL))) == NULL ||
	    (next = ASN1_TIME_set(NULL, time(NULL) + 3600)) == NULL)
		goto out;
	for (i = 0; i < count; i++) {
		OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, i);
		OCSP_CERTID *cid = OCSP_onereq_get0_id(one);
		ASN1_OBJECT *mdobj = NULL;
		ASN1_INTEGER *sn = NULL;
		const EVP_MD *md;
		char hex[64];
		int st = OCSP_UNKNOWN, reason = 0;
		int64_t rat = 0;

		OCSP_id_get0_info(NULL, &mdobj, NULL, &sn, cid);
		md = EVP_get_digestbyobj(mdobj);
		OCSP_CERTID_free(ours);
		ours = md ? OCSP_cert_to_id(md, NULL, ca->issuing) : NULL;
		if (ours != NULL && OCSP_id_issuer_cmp(ours, cid) == 0 &&
		    serial_hex(sn, hex) == 0 &&
		    lookup(ud, hex, &st, &rat, &reason) != 0) {
			r = status_only(OCSP_RESPONSE_STATUS_INTERNALERROR, out);
			goto out;
		}
		if (st == OCSP_REVOKED) {
			ASN1_TIME_free(rtime);
			if ((rtime = ASN1_TIME_set(NULL, (time_t)rat)) == NULL)
				goto out;
		}
		if (OCSP_basic_add1_status(bs, cid,
			st == OCSP_GOOD		 ? V_OCSP_CERTSTATUS_GOOD
			    : st == OCSP_REVOKED ? V_OCSP_CERTSTATUS_REVOKED
						 : V_OCSP_CERTSTATUS_UNKNOWN,
			st == OCSP_REVOKED ? reason : -1, rtime, now,
			next) == NULL)
			goto out;
	}
	/* the responder's key on the CA's token: ca_key_sign_ocsp */
	if (OCSP_copy_nonce(bs, req) <= 0 ||
	    (ca->ocsp_tok != NULL
		    ? ca_key_sign_ocsp(ca->ocsp_tok, ca->ocsp, bs) != 0
		    : OCSP_basic_sign(bs, ca->ocsp, ca->ocsp_key, EVP_sha256(),
			  NULL, 0) != 1) ||
	    (resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs)) ==
		NULL)
		goto out;
	r = finish(resp, out);
out:
	OCSP_CERTID_free(ours);
	ASN1_TIME_free(now);
	ASN1_TIME_free(next);
	ASN1_TIME_free(rtime);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	OCSP_REQUEST_free(req);
	return r;
}
