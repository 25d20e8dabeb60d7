#include "common/i18n.h"
#include "sign/formats/tsa.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/ts.h>

#include "common/http.h"

/* DER of a TimeStampReq for the SHA-256 digest h, with a random nonce. */
static int
make_request(const uint8_t h[32], struct buf *der, ASN1_INTEGER **nonce_out)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = BN_new();
	unsigned char *d = NULL;
	int len, r = KYSO_ERR_CRYPTO;

	if (req == NULL || mi == NULL || alg == NULL || bn == NULL)
		goto out;
	if (X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) != 1 ||
	    TS_MSG_IMPRINT_set_algo(mi, alg) != 1 ||
	    TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)h, 32) != 1 ||
	    TS_REQ_set_version(req, 1) != 1 ||
	    TS_REQ_set_msg_imprint(req, mi) != 1 ||
	    BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
	    (nonce = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    TS_REQ_set_nonce(req, nonce) != 1 ||
	    TS_REQ_set_cert_req(req, 1) != 1 || (len = i2d_TS_REQ(req, &d)) <= 0)
		goto out;
	if ((r = buf_put(der, d, (size_t)len)) != 0)
		goto out;
	*nonce_out = nonce;
	nonce = NULL;
	r = 0;
out:
	OPENSSL_free(d);
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	return r;
}

int
tsa_timestamp(const char *url, const uint8_t *data, size_t n,
    struct buf **token, const char **why)
{
	uint8_t h[32];

	if (EVP_Digest(data, n, h, NULL, EVP_sha256(), NULL) != 1) {
		*why = N_("hashing failed");
		return KYSO_ERR_CRYPTO;
	}
	return tsa_timestamp_digest(url, h, token, why);
}

int
tsa_timestamp_digest(const char *url, const uint8_t sha256[32],
    struct buf **token, const char **why)
{
	struct buf *req = buf_new(4096), *resp = NULL;
	struct buf *tok = NULL;
	ASN1_INTEGER *nonce = NULL;
	TS_RESP *tr = NULL;
	TS_VERIFY_CTX *vc = NULL;
	TS_REQ *tq = NULL;
	const unsigned char *p;
	unsigned char *d = NULL;
	int len, r = KYSO_ERR_NOMEM;

	*why = N_("out of memory");
	if (req == NULL)
		goto out;
	if ((r = make_request(sha256, req, &nonce)) != 0) {
		*why = N_("cannot build the time-stamp request");
		goto out;
	}
	r = http_fetch(url, "application/timestamp-query", buf_ptr(req),
	    buf_len(req), TSA_MAX_RESPONSE, &resp);
	if (r != 0) {
		*why = r == KYSO_ERR_INVALID
		    ? N_("the time-stamp server answered with an HTTP error")
		    : N_("the time-stamp server could not be reached");
		goto out;
	}
	r = KYSO_ERR_INVALID;
	*why = N_(
	    "the time-stamp server's answer is not a valid RFC 3161 response");
	p = buf_ptr(resp);
	if ((tr = d2i_TS_RESP(NULL, &p, (long)buf_len(resp))) == NULL)
		goto out;
	p = buf_ptr(req);
	if ((tq = d2i_TS_REQ(NULL, &p, (long)buf_len(req))) == NULL ||
	    (vc = TS_REQ_to_TS_VERIFY_CTX(tq, NULL)) == NULL)
		goto out;
	/* The token must answer this request; who signed it is checked by
	 * verification against trust anchors, not here. */
	TS_VERIFY_CTX_set_flags(vc,
	    TS_VFY_VERSION | TS_VFY_IMPRINT | TS_VFY_NONCE);
	if (TS_RESP_verify_response(vc, tr) != 1) {
		*why = N_(
		    "the time-stamp server refused or answered another request");
		goto out;
	}
	if ((len = i2d_PKCS7(TS_RESP_get_token(tr), &d)) <= 0)
		goto out;
	if ((tok = buf_new((size_t)len)) == NULL ||
	    buf_put(tok, d, (size_t)len) != 0) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	*token = tok;
	tok = NULL;
	r = 0;
out:
	OPENSSL_free(d);
	buf_free(tok);
	buf_free(req);
	buf_free(resp);
	ASN1_INTEGER_free(nonce);
	TS_RESP_free(tr);
	TS_REQ_free(tq);
	TS_VERIFY_CTX_free(vc);
	return r;
}
