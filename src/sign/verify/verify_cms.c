#include "common/i18n.h"
#include "sign/verify/verify_cms.h"

#include "common/x509_text.h"
#include "sign/verify/anchors.h"
#include "sign/verify/revocation.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509.h>

#define OID_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"
#define OID_TIMESTAMP_TOKEN "1.2.840.113549.1.9.16.2.14"

/* The signing-certificate-v2 attribute's first ESSCertIDv2 is signer's
 * (hash, and issuer and serial when given). */
static int
signing_cert_names(X509_ATTRIBUTE *attr, int v2, X509 *signer,
    STACK_OF(X509) * certs)
{
	ASN1_TYPE *t = attr != NULL ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
	ESS_SIGNING_CERT_V2 *ss2 = NULL;
	ESS_SIGNING_CERT *ss1 = NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	const unsigned char *p;
	int ok = 0, k;

	/* The signer first (the first ESSCertID must be its), then the
	 * other certificates the attribute may list. */
	if (chain == NULL || !sk_X509_push(chain, signer))
		goto out;
	for (k = 0; certs != NULL && k < sk_X509_num(certs); k++)
		if (sk_X509_value(certs, k) != signer &&
		    !sk_X509_push(chain, sk_X509_value(certs, k)))
			goto out;
	if (t == NULL || t->type != V_ASN1_SEQUENCE)
		goto out;
	p = t->value.sequence->data;
	if (v2 &&
	    (ss2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, t->value.sequence->length)) !=
		NULL)
		ok = OSSL_ESS_check_signing_certs(NULL, ss2, chain, 1) > 0;
	else if (!v2 &&
	    (ss1 = d2i_ESS_SIGNING_CERT(NULL, &p, t->value.sequence->length)) !=
		NULL)
		ok = OSSL_ESS_check_signing_certs(ss1, NULL, chain, 1) > 0;
out:
	ESS_SIGNING_CERT_V2_free(ss2);
	ESS_SIGNING_CERT_free(ss1);
	sk_X509_free(chain);
	return ok;
}

/* The signature's time: a verified time-stamp's; 0 without one (the
 * claimed time is the signer's word, and can be left out or backdated). */
static time_t
signature_time(const struct sig_report *rep)
{
	const char *s = rep->ts_time != NULL && rep->ts_valid ? rep->ts_time
							      : NULL;
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || *s == '\0' ||
	    (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL ||
	    *end != '\0')
		return 0;
	return timegm(&tm);
}

/* The time-stamp token must be a signed token whose imprint is the
 * signature value's digest (by the algorithm the token names). */
/* Whether the time-stamp token p7 stamps the digest h: its imprint and
 * its own signature, and with trust_pem its TSA's chain to an anchor. */
static int
ts_token_ok(PKCS7 *p7, const unsigned char *h, unsigned hlen,
    const char *trust_pem)
{
	TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
	unsigned char *imp = OPENSSL_memdup(h, hlen);
	int flags = TS_VFY_VERSION | TS_VFY_IMPRINT, ok = 0;
	X509_STORE *st = NULL;

	if (vc == NULL || imp == NULL) {
		OPENSSL_free(imp);
		goto out;
	}
	TS_VERIFY_CTX_set_imprint(vc, imp, hlen);
	if (trust_pem != NULL) {
		if ((st = anchors_store(trust_pem)) == NULL)
			goto out;
		TS_VERIFY_CTX_set_store(vc, st);
		flags |= TS_VFY_SIGNATURE;
	}
	TS_VERIFY_CTX_set_flags(vc, flags);
	ok = TS_RESP_verify_token(vc, p7) == 1;
	if (ok && trust_pem == NULL)
		ok = PKCS7_verify(p7, NULL, NULL, NULL, NULL, PKCS7_NOVERIFY) ==
		    1;
out:
	TS_VERIFY_CTX_free(vc);
	return ok;
}

static void
check_timestamp(CMS_SignerInfo *si, const char *trust_pem, struct sig_report *rep)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(OID_TIMESTAMP_TOKEN, 1);
	X509_ATTRIBUTE *attr;
	ASN1_TYPE *t;
	PKCS7 *p7 = NULL;
	TS_TST_INFO *tst = NULL;
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	const unsigned char *p;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	const EVP_MD *imd;
	int loc;

	if (obj == NULL)
		return;
	loc = CMS_unsigned_get_attr_by_OBJ(si, obj, -1);
	ASN1_OBJECT_free(obj);
	if (loc < 0 || (attr = CMS_unsigned_get_attr(si, loc)) == NULL ||
	    (t = X509_ATTRIBUTE_get0_type(attr, 0)) == NULL ||
	    t->type != V_ASN1_SEQUENCE)
		return;
	/* A time-stamp is there: from here on it must verify, or the
	 * signature is not valid (the attribute is unsigned: anyone can put
	 * one in). B-T only for one that does. */
	rep->ts_valid = 0;
	p = t->value.sequence->data;
	if ((p7 = d2i_PKCS7(NULL, &p, t->value.sequence->length)) == NULL ||
	    (tst = PKCS7_to_TS_TST_INFO(p7)) == NULL) {
		rep->ts_time = strdup("?");
		goto out;
	}
	{
		char when[X509_TEXT_TIME_MAX];

		rep->ts_time = x509_text_time(TS_TST_INFO_get_time(tst),
				   X509_TIME_ISO, when, sizeof(when)) == 0
		    ? strdup(when)
		    : NULL;
	}
	imd = EVP_get_digestbyobj(
	    TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst))->algorithm);
	if (imd == NULL ||
	    EVP_Digest(sig->data, (size_t)sig->length, h, &hlen, imd, NULL) != 1)
		goto out;
	/* Intact (the imprint, the token's own signature), then, with
	 * anchors, its TSA's chain: an intact token whose TSA does not reach
	 * an anchor is not established, not broken. */
	rep->ts_valid = ts_token_ok(p7, h, hlen, NULL);
	if (rep->ts_valid && trust_pem != NULL &&
	    !ts_token_ok(p7, h, hlen, trust_pem)) {
		rep->ts_valid = 0;
		rep->ts_untrusted = 1;
	}
	if (rep->ts_valid)
		rep->level = "B-T";
out:
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
}

/* The signing-time signed attribute (CAdES B-B requires it in a .p7s):
 * the time the signer claims, not proven without a time-stamp. Left
 * alone when the report has a claimed time already (a PDF's /M). */
static void
note_signing_time(CMS_SignerInfo *si, struct sig_report *rep)
{
	ASN1_TYPE *t;
	char when[X509_TEXT_TIME_MAX], *c;
	int loc;

	if (rep->claimed_time != NULL && rep->claimed_time[0] != '\0')
		return;
	if ((loc = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1)) < 0 ||
	    (t = X509_ATTRIBUTE_get0_type(CMS_signed_get_attr(si, loc), 0)) ==
		NULL ||
	    (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME) ||
	    x509_text_time((const ASN1_TIME *)t->value.asn1_string,
		X509_TIME_ISO, when, sizeof(when)) != 0 ||
	    (c = strdup(when)) == NULL)
		return;
	free(rep->claimed_time);
	rep->claimed_time = c;
}

/* A SignerInfo without signed attributes (older signers' plain PKCS#7)
 * signs the content's digest itself: RSA PKCS#1 v1.5 or ECDSA over it.
 * 1 verifies, 0 does not, -1 a key or scheme verify does not support. */
static int
verify_plain(CMS_SignerInfo *si, X509 *signer, const EVP_MD *md,
    const uint8_t *dg, unsigned dlen)
{
	EVP_PKEY *pk = X509_get0_pubkey(signer);
	ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
	X509_ALGOR *alg = NULL;
	EVP_PKEY_CTX *pc = NULL;
	int ok, id = pk != NULL ? EVP_PKEY_get_base_id(pk) : NID_undef;

	CMS_SignerInfo_get0_algs(si, NULL, NULL, NULL, &alg);
	if ((id != EVP_PKEY_RSA && id != EVP_PKEY_EC) || alg == NULL ||
	    OBJ_obj2nid(alg->algorithm) == NID_rsassaPss)
		return -1;
	ok = (pc = EVP_PKEY_CTX_new(pk, NULL)) != NULL &&
	    EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, md) == 1 &&
	    (id != EVP_PKEY_RSA ||
		EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_verify(pc, sig->data, (size_t)sig->length, dg, dlen) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

/* The signature itself: over the signed attributes, whose messageDigest
 * must be the content's digest, or (none) over that digest directly.
 * Sets rep's intact, signed_attrs, problem (and unsupported). */
static void
check_value(CMS_SignerInfo *si, X509 *signer, const EVP_MD *mdt,
    const uint8_t *dg, unsigned dlen, struct sig_report *rep)
{
	ASN1_OCTET_STRING *md;
	int v;

	CMS_SignerInfo_set1_signer_cert(si, signer);
	rep->signed_attrs = CMS_signed_get_attr_count(si) > 0;
	if (!rep->signed_attrs) {
		if ((v = verify_plain(si, signer, mdt, dg, dlen)) < 0) {
			rep->unsupported = 1;
			rep->problem = N_("the signature's key or scheme is not "
					  "supported");
		} else if (v == 0) {
			rep->problem = N_(
			    "the signed bytes were changed, or the signature "
			    "value does not verify");
		} else {
			rep->intact = 1;
		}
		return;
	}
	if (CMS_SignerInfo_verify(si) != 1) {
		rep->problem = N_("the signature value does not verify");
		return;
	}
	md = CMS_signed_get0_data_by_OBJ(si,
	    OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING);
	if (md == NULL || md->length < 0 || (unsigned)md->length != dlen ||
	    CRYPTO_memcmp(md->data, dg, dlen) != 0) {
		rep->problem = N_(
		    "the signed bytes were changed (digest mismatch)");
		return;
	}
	rep->intact = 1;
}

/* Signed, signing-certificate(-v2) names the signer's certificate; the
 * certificate set and the SignerInfo's sid are not signed, and a swap for
 * another certificate of the same key would show another subject and
 * status. Sets rep->scv2 whether or not the signature is intact. */
static void
check_signing_cert(CMS_SignerInfo *si, X509 *signer, STACK_OF(X509) * certs,
    struct sig_report *rep)
{
	ASN1_OBJECT *scv2 = OBJ_txt2obj(OID_SIGNING_CERT_V2, 1);
	int i;

	if (scv2 != NULL && (i = CMS_signed_get_attr_by_OBJ(si, scv2, -1)) >= 0) {
		rep->scv2 = 1;
		rep->level = "B-B";
		if (rep->intact &&
		    !signing_cert_names(CMS_signed_get_attr(si, i), 1, signer,
			certs)) {
			rep->intact = 0;
			rep->problem = N_("the signature names another "
					  "certificate than the one it came with "
					  "(signing-certificate-v2)");
		}
	} else if ((i = CMS_signed_get_attr_by_NID(si,
			NID_id_smime_aa_signingCertificate, -1)) >= 0 &&
	    rep->intact &&
	    !signing_cert_names(CMS_signed_get_attr(si, i), 0, signer, certs)) {
		rep->intact = 0;
		rep->problem = N_("the signature names another certificate than "
				  "the one it came with (signing-certificate)");
	}
	ASN1_OBJECT_free(scv2);
}

/* CAdES archive time-stamps (ETSI EN 319 122-1 archive-time-stamp-v3,
 * and v2): verify does not check them, and says so. */
static const char *const archive_oids[] = { "0.4.0.1733.2.4",
	"1.2.840.113549.1.9.16.2.48", NULL };

/* An archive time-stamp on an intact signature leaves the verdict open
 * (INDETERMINATE, with the reason), never broken. */
static void
note_archive(CMS_SignerInfo *si, struct sig_report *rep)
{
	const char *const *o;
	ASN1_OBJECT *obj;
	int loc;

	for (o = archive_oids; *o != NULL; o++) {
		if ((obj = OBJ_txt2obj(*o, 1)) == NULL)
			continue;
		loc = CMS_unsigned_get_attr_by_OBJ(si, obj, -1);
		ASN1_OBJECT_free(obj);
		if (loc >= 0) {
			rep->unsupported = 1;
			if (rep->problem == NULL)
				rep->problem = N_(
				    "the signature's archive time-stamp is not "
				    "checked (not supported)");
			return;
		}
	}
}

int
verify_cms_der(const uint8_t *der, size_t n, verify_digest_fn fn, void *ud,
    const struct verify_opts *vo, const struct revoc *vd, struct sig_report *rep)
{
	const char *trust_pem = vo->trust;
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) * sis;
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	X509_ALGOR *dalg = NULL;
	const EVP_MD *mdt;
	X509 *signer = NULL;
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	int i, r = 0;

	rep->intact = 0;
	rep->trusted = -1;
	if (rep->level == NULL)
		rep->level = "CMS";
	if ((cms = d2i_CMS_ContentInfo(NULL, &p, (long)n)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rep->problem = N_("the signature is not a CMS SignedData");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (sis == NULL || sk_CMS_SignerInfo_num(sis) != 1) {
		rep->problem = N_("the CMS has no single signer");
		goto out;
	}
	si = sk_CMS_SignerInfo_value(sis, 0);
	/* The signer's certificate among those the CMS carries. */
	certs = CMS_get1_certs(cms);
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) {
			signer = sk_X509_value(certs, i);
			break;
		}
	}
	if (signer == NULL) {
		rep->problem = N_("the signer's certificate is missing");
		goto out;
	}
	rep->signer = x509_text_name(X509_get_subject_name(signer),
	    X509_TEXT_ONELINE);
	note_signing_time(si, rep);
	/* A company name too long for the subject, kept whole */
	rep->signer_legal_name = x509_text_legal_name(signer);
	/* The content's digest by the algorithm the signature names. */
	CMS_SignerInfo_get0_algs(si, NULL, NULL, &dalg, NULL);
	if (dalg == NULL || (mdt = EVP_get_digestbyobj(dalg->algorithm)) == NULL) {
		rep->unsupported = 1;
		rep->problem = N_(
		    "the signature's digest algorithm is not supported");
	} else {
		rep->digest = OBJ_nid2sn(EVP_MD_get_type(mdt));
		if ((r = fn(ud, mdt, dg, &dlen)) != 0)
			goto out;
		check_value(si, signer, mdt, dg, dlen, rep);
		check_signing_cert(si, signer, certs, rep);
	}
	if (rep->intact) {
		check_timestamp(si, trust_pem, rep);
		note_archive(si, rep);
	}
	/* The chain whether or not the signature is intact: the report says
	 * what was checked. */
	if (trust_pem != NULL) {
		rep->trusted = anchors_verify(signer, certs, trust_pem,
		    &rep->anchor);
		if (!rep->trusted && rep->problem == NULL)
			rep->problem = N_(
			    "the certificate does not chain to a trust anchor");
	}
	if (!rep->intact)
		goto out;
	if (vo->revocation) {
		rep->revocation = revoc_status(signer, certs, trust_pem,
		    &rep->revocation_why);
		if (strcmp(rep->revocation, "revoked") == 0)
			rep->problem = N_("the signer's certificate is revoked");
	}
	if (vd != NULL) {
		rep->doc_revocation = revoc_offline(signer, certs, trust_pem,
		    vd, signature_time(rep));
		if (strcmp(rep->doc_revocation, "revoked") == 0)
			rep->problem = N_(
			    "the document's validation data "
			    "says the signer's certificate, or a CA above it, "
			    "is revoked");
	}
out:
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	return r;
}

/* The token's imprint against the digest of the signed bytes by the
 * algorithm it names, and its signature with the TSA's certificate it
 * carries (the chain is judged apart, so that an untrusted TSA is
 * INDETERMINATE, not broken). */
static void
check_doc_ts(PKCS7 *p7, TS_TST_INFO *tst, verify_digest_fn fn, void *ud,
    struct sig_report *rep)
{
	TS_VERIFY_CTX *vc = TS_VERIFY_CTX_new();
	const EVP_MD *md = EVP_get_digestbyobj(
	    TS_MSG_IMPRINT_get_algo(TS_TST_INFO_get_msg_imprint(tst))->algorithm);
	uint8_t dg[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	unsigned char *imp;

	if (vc == NULL)
		goto out;
	if (md == NULL) {
		rep->unsupported = 1;
		rep->problem = N_(
		    "the time-stamp's digest algorithm is not supported");
		goto out;
	}
	rep->digest = OBJ_nid2sn(EVP_MD_get_type(md));
	if (fn(ud, md, dg, &dlen) != 0 || (imp = OPENSSL_memdup(dg, dlen)) == NULL)
		goto out;
	TS_VERIFY_CTX_set_imprint(vc, imp, dlen);
	TS_VERIFY_CTX_set_flags(vc, TS_VFY_VERSION | TS_VFY_IMPRINT);
	if (TS_RESP_verify_token(vc, p7) != 1) {
		rep->problem = N_("the signed bytes were changed (the document "
				  "time-stamp's imprint does not match)");
		goto out;
	}
	if (PKCS7_verify(p7, NULL, NULL, NULL, NULL, PKCS7_NOVERIFY) != 1) {
		rep->problem = N_("the time-stamp's signature does not verify");
		goto out;
	}
	rep->intact = 1;
	rep->ts_valid = 1;
out:
	ERR_clear_error();
	TS_VERIFY_CTX_free(vc);
}

int
verify_doc_ts(const uint8_t *der, size_t n, verify_digest_fn fn, void *ud,
    const struct verify_opts *vo, struct sig_report *rep)
{
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, (long)n);
	TS_TST_INFO *tst = NULL;
	STACK_OF(X509) *signers = NULL, *certs;
	X509 *tsa = NULL;
	char when[X509_TEXT_TIME_MAX];

	rep->intact = 0;
	rep->ts_valid = 0;
	rep->trusted = -1;
	rep->level = "document time-stamp";
	if (p7 == NULL || !PKCS7_type_is_signed(p7) ||
	    (tst = PKCS7_to_TS_TST_INFO(p7)) == NULL) {
		rep->problem = N_("the document time-stamp cannot be read");
		goto out;
	}
	if (x509_text_time(TS_TST_INFO_get_time(tst), X509_TIME_ISO, when,
		sizeof(when)) == 0)
		rep->ts_time = strdup(when);
	certs = p7->d.sign->cert;
	if ((signers = PKCS7_get0_signers(p7, NULL, 0)) == NULL ||
	    sk_X509_num(signers) != 1) {
		rep->problem = N_("the time-stamp's certificate is missing");
		goto out;
	}
	tsa = sk_X509_value(signers, 0);
	rep->signer = x509_text_name(X509_get_subject_name(tsa),
	    X509_TEXT_ONELINE);
	check_doc_ts(p7, tst, fn, ud, rep);
	if (vo->trust != NULL) {
		rep->trusted = anchors_verify(tsa, certs, vo->trust,
		    &rep->anchor);
		if (!rep->trusted && rep->problem == NULL)
			rep->problem = N_("the time-stamp authority's "
					  "certificate does not chain to a "
					  "trust anchor");
	}
out:
	ERR_clear_error();
	sk_X509_free(signers);
	TS_TST_INFO_free(tst);
	PKCS7_free(p7);
	return 0;
}
