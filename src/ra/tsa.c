#include "tsa.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/ts.h>

#include "ca_priv.h"
#include "common/crypto.h"

/* kyso's time-stamp policy: an OID under 2.25 (a UUID as an integer, ITU-T
 * X.667), so it needs no registration. */
#define KYSO_TSA_POLICY "2.25.238417520189213098611238596702412931073"

static ASN1_INTEGER *
serial_cb(TS_RESP_CTX *ctx, void *ud)
{
	uint8_t b[16];
	BIGNUM *bn;
	ASN1_INTEGER *a = NULL;

	(void)ud;
	if (crypto_random(b, sizeof(b)) != 0) {
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
		    "no serial");
		return NULL;
	}
	b[0] &= 0x7f;
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL)
		a = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return a;
}

int
tsa_respond(struct ca *ca, const uint8_t *req, size_t n, struct buf *out)
{
	TS_RESP_CTX *ctx = NULL;
	TS_RESP *resp = NULL;
	ASN1_OBJECT *policy = NULL;
	STACK_OF(X509) *certs = NULL;
	BIO *in = NULL;
	uint8_t *p = NULL;
	int len, r = KYSO_ERR_CRYPTO;

	if (n > 64 * 1024)
		return KYSO_ERR_TOO_LARGE;
	if ((ctx = TS_RESP_CTX_new()) == NULL ||
	    (policy = OBJ_txt2obj(KYSO_TSA_POLICY, 1)) == NULL ||
	    (certs = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(certs, ca->issuing) ||
	    TS_RESP_CTX_set_signer_cert(ctx, ca->tsa) != 1 ||
	    TS_RESP_CTX_set_signer_key(ctx, ca->tsa_key) != 1 ||
	    TS_RESP_CTX_set_certs(ctx, certs) != 1 ||
	    TS_RESP_CTX_set_def_policy(ctx, policy) != 1 ||
	    TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) != 1 ||
	    TS_RESP_CTX_add_md(ctx, EVP_sha256()) != 1 ||
	    TS_RESP_CTX_add_md(ctx, EVP_sha384()) != 1 ||
	    TS_RESP_CTX_add_md(ctx, EVP_sha512()) != 1 ||
	    TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0) != 1)
		goto out;
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, NULL);
	TS_RESP_CTX_add_flags(ctx, TS_ESS_CERT_ID_CHAIN);
	if ((in = BIO_new_mem_buf(req, (int)n)) == NULL ||
	    (resp = TS_RESP_create_response(ctx, in)) == NULL ||
	    (ca->tsa_tok != NULL && ca_key_sign_ts(ca->tsa_tok, resp) != 0) ||
	    (len = i2d_TS_RESP(resp, &p)) <= 0)
		goto out;
	r = buf_put(out, p, (size_t)len);
out:
	OPENSSL_free(p);
	BIO_free(in);
	TS_RESP_free(resp);
	ASN1_OBJECT_free(policy);
	sk_X509_free(certs);
	TS_RESP_CTX_free(ctx);
	return r;
}
