/* Judging a signer's certificate by the validation data a document
 * carries (a PAdES DSS), with no network: an OCSP response for it that
 * its CA's responder signed, else a full CRL its CA signed, either made
 * after the signature (a response older than that could predate the
 * revocation). Data that does not verify, that is about another
 * certificate, or that is older is no evidence. The issuer is the
 * certificate whose key verifies the signer's: a look-alike with the
 * same name, slipped into the CMS or the DSS, is not it. */
#include "common/i18n.h"
#include "sign/verify/anchors.h"
#include "sign/verify/revocation.h"

#include <openssl/bio.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static X509 *
cert_of(const struct buf *b)
{
	const unsigned char *p = buf_ptr(b);

	return d2i_X509(NULL, &p, (long)buf_len(b));
}

/* Every certificate at hand: the signature's, the document's and the
 * anchors'. */
static STACK_OF(X509) *
    gather(STACK_OF(X509) * extra, const struct revoc *vd,
	STACK_OF(X509_INFO) * anchors)
{
	STACK_OF(X509) *all = sk_X509_new_null();
	X509 *x;
	size_t i;
	int k;

	if (all == NULL)
		return NULL;
	for (k = 0; extra != NULL && k < sk_X509_num(extra); k++)
		if (!X509_add_cert(all, sk_X509_value(extra, k),
			X509_ADD_FLAG_UP_REF))
			goto fail;
	for (i = 0; i < vd->ncerts; i++) {
		if ((x = cert_of(vd->certs[i])) == NULL)
			continue;
		if (!sk_X509_push(all, x)) {
			X509_free(x);
			goto fail;
		}
	}
	for (k = 0; anchors != NULL && k < sk_X509_INFO_num(anchors); k++) {
		x = sk_X509_INFO_value(anchors, k)->x509;
		if (x != NULL && !X509_add_cert(all, x, X509_ADD_FLAG_UP_REF))
			goto fail;
	}
	return all;
fail:
	sk_X509_pop_free(all, X509_free);
	return NULL;
}

/* The store an OCSP responder's chain ends in: the trust anchors, or
 * without them the signer's issuer and the self-signed certificates at
 * hand (whether those are trusted is the chain check's verdict, reported
 * apart). */
static X509_STORE *
responder_store(STACK_OF(X509) * all, STACK_OF(X509_INFO) * anchors, X509 *issuer)
{
	X509_STORE *st = X509_STORE_new();
	X509 *x;
	int k;

	if (st == NULL)
		return NULL;
	for (k = 0; anchors != NULL && k < sk_X509_INFO_num(anchors); k++) {
		x = sk_X509_INFO_value(anchors, k)->x509;
		if (x != NULL)
			X509_STORE_add_cert(st, x);
	}
	if (anchors == NULL) {
		for (k = 0; k < sk_X509_num(all); k++) {
			x = sk_X509_value(all, k);
			if (x != issuer && X509_check_issued(x, x) == X509_V_OK)
				X509_STORE_add_cert(st, x);
		}
		X509_STORE_add_cert(st, issuer);
		X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	}
	return st;
}

/* Clocks of a TSA and a responder may differ by this much. */
#define SKEW_SECONDS 60

/* Evidence that speaks for the signature's time at: made after it, or
 * valid across it (thisUpdate <= at <= nextUpdate: a CRL is seldom made
 * right after a signature). */
static int
fresh(const ASN1_TIME *this_upd, const ASN1_TIME *next_upd, time_t at)
{
	time_t lo = at - SKEW_SECONDS;

	if (this_upd == NULL)
		return 0;
	if (X509_cmp_time(this_upd, &lo) > 0)
		return 1;
	return next_upd != NULL && X509_cmp_time(this_upd, &at) <= 0 &&
	    X509_cmp_time(next_upd, &at) >= 0;
}

/* A revocation at t counts against a signature made at at only if it
 * came first: a certificate revoked later was good when it signed. */
static int
revoked_before(const ASN1_TIME *t, time_t at)
{
	return t == NULL || X509_cmp_time(t, &at) <= 0;
}

/* 1 good, 0 revoked, -1 no verified OCSP response about cert. */
static int
by_ocsp(X509 *cert, X509 *issuer, const struct revoc *vd, STACK_OF(X509) * all,
    X509_STORE *store, time_t at)
{
	OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
	int verdict = -1, status, reason;
	size_t i;

	for (i = 0; id != NULL && i < vd->nocsps && verdict != 0; i++) {
		const unsigned char *p = buf_ptr(vd->ocsps[i]);
		OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p,
		    (long)buf_len(vd->ocsps[i]));
		OCSP_BASICRESP *bs = NULL;
		ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;

		if (resp != NULL &&
		    OCSP_response_status(resp) == OCSP_RESPONSE_STATUS_SUCCESSFUL &&
		    (bs = OCSP_response_get1_basic(resp)) != NULL &&
		    OCSP_resp_find_status(bs, id, &status, &reason, &rev,
			&thisupd, &nextupd) == 1 &&
		    fresh(thisupd, nextupd, at) &&
		    OCSP_basic_verify(bs, all, store, 0) == 1) {
			if (status == V_OCSP_CERTSTATUS_REVOKED)
				verdict = revoked_before(rev, at) ? 0 : 1;
			else if (status == V_OCSP_CERTSTATUS_GOOD)
				verdict = 1;
		}
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(resp);
	}
	OCSP_CERTID_free(id);
	return verdict;
}

/* 1 good, 0 revoked, -1 no full CRL of the issuer's that verifies (a
 * delta or partitioned CRL does not say "good" for what it leaves out). */
static int
by_crl(X509 *cert, X509 *issuer, const struct revoc *vd, time_t at)
{
	int verdict = -1;
	size_t i;

	for (i = 0; i < vd->ncrls && verdict != 0; i++) {
		const unsigned char *p = buf_ptr(vd->crls[i]);
		X509_CRL *crl = d2i_X509_CRL(NULL, &p,
		    (long)buf_len(vd->crls[i]));
		X509_REVOKED *rv = NULL;

		if (crl != NULL &&
		    X509_NAME_cmp(X509_CRL_get_issuer(crl),
			X509_get_subject_name(issuer)) == 0 &&
		    X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point,
			-1) < 0 &&
		    X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) < 0 &&
		    fresh(X509_CRL_get0_lastUpdate(crl),
			X509_CRL_get0_nextUpdate(crl), at) &&
		    X509_CRL_verify(crl, X509_get0_pubkey(issuer)) == 1)
			verdict = X509_CRL_get0_by_cert(crl, &rv, cert) == 1 &&
				revoked_before(X509_REVOKED_get0_revocationDate(
						   rv),
				    at)
			    ? 0
			    : 1;
		X509_CRL_free(crl);
	}
	return verdict;
}

/* c's issuer among all: the certificate whose key verifies c's
 * signature (a look-alike with the same name is not it). */
static X509 *
issuer_of(STACK_OF(X509) * all, X509 *c)
{
	X509 *x;
	int k;

	for (k = 0; k < sk_X509_num(all); k++) {
		x = sk_X509_value(all, k);
		if (X509_cmp(x, c) != 0 && X509_check_issued(x, c) == X509_V_OK &&
		    X509_verify(c, X509_get0_pubkey(x)) == 1)
			return x;
	}
	return NULL;
}

/* One link of the chain: 1 good, 0 revoked, -1 nothing says. */
static int
judge(X509 *c, X509 *issuer, STACK_OF(X509) * all,
    STACK_OF(X509_INFO) * anchors, const struct revoc *vd, time_t at)
{
	X509_STORE *store = responder_store(all, anchors, issuer);
	int v = -1;

	if (store != NULL && (v = by_ocsp(c, issuer, vd, all, store, at)) < 0)
		v = by_crl(c, issuer, vd, at);
	X509_STORE_free(store);
	return v;
}

static int
is_anchor(STACK_OF(X509_INFO) * anchors, X509 *c)
{
	int k;

	for (k = 0; anchors != NULL && k < sk_X509_INFO_num(anchors); k++)
		if (sk_X509_INFO_value(anchors, k)->x509 != NULL &&
		    X509_cmp(sk_X509_INFO_value(anchors, k)->x509, c) == 0)
			return 1;
	return 0;
}

#define CHAIN_MAX 8

const char *
revoc_offline(X509 *signer, STACK_OF(X509) * extra, const char *trust_pem,
    const struct revoc *vd, time_t at)
{
	STACK_OF(X509_INFO) *anchors = NULL;
	STACK_OF(X509) *all = NULL;
	X509 *cur = signer, *issuer;
	const char *res = N_("none");
	int depth, v = -1;

	/* Without a time-stamp, nothing places the evidence against the
	 * signature (a claimed time is the signer's word). */
	if (at == 0)
		goto out;
	if (trust_pem != NULL) {
		/* Anchors that cannot be read vouch for nothing. */
		if ((anchors = anchors_read(trust_pem)) == NULL)
			goto out;
	}
	if ((all = gather(extra, vd, anchors)) == NULL)
		goto out;
	/* Every certificate of the chain but the anchor: good only when the
	 * document's data says so for each (a revoked issuing CA revokes
	 * what it issued). */
	for (depth = 0; depth < CHAIN_MAX; depth++) {
		if (depth > 0 &&
		    (X509_check_issued(cur, cur) == X509_V_OK ||
			is_anchor(anchors, cur))) {
			v = 1;
			break;
		}
		if ((issuer = issuer_of(all, cur)) == NULL ||
		    (v = judge(cur, issuer, all, anchors, vd, at)) != 1)
			break;
		cur = issuer;
	}
	if (v == 1 && depth < CHAIN_MAX)
		res = N_("good");
	else if (v == 0)
		res = N_("revoked");
out:
	sk_X509_pop_free(all, X509_free);
	sk_X509_INFO_pop_free(anchors, X509_INFO_free);
	return res;
}
