/* Verifying XML-DSig signatures (the forms kyso-sign and xmlsec1 write). */
#include "common/i18n.h"
#include "common/x509_text.h"
#include "sign/formats/xmldsig.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sign/formats/xmldsig_int.h"
#include "sign/mapfile.h"
#include "sign/verify/anchors.h"
#include "sign/verify/revocation.h"
#include "sign/verify/verify.h"
#include "sign/verify/verify_cms.h"

/* Base64 text (whitespace allowed) into out. */
static int
b64_decode(xmlNodePtr n, struct buf *out)
{
	xmlChar *t = n ? xmlNodeGetContent(n) : NULL;
	char *clean = NULL;
	size_t i, k = 0, len;
	uint8_t *d;
	int got, r = KYSO_ERR_INVALID;

	if (t == NULL)
		return KYSO_ERR_INVALID;
	len = strlen((const char *)t);
	if ((clean = malloc(len + 1)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < len; i++)
		if (t[i] != ' ' && t[i] != '\n' && t[i] != '\r' && t[i] != '\t')
			clean[k++] = (char)t[i];
	if (k == 0 || k % 4 != 0 || k > (size_t)1 << 26)
		goto out;
	if ((r = buf_reserve(out, k / 4 * 3, &d)) != 0)
		goto out;
	r = KYSO_ERR_INVALID;
	if ((got = EVP_DecodeBlock(d, (unsigned char *)clean, (int)k)) < 0)
		goto out;
	/* EVP_DecodeBlock counts the padding as bytes. */
	{
		struct buf *tmp = buf_new(0);
		size_t pad = (clean[k - 1] == '=') + (clean[k - 2] == '=');

		if (tmp == NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		if ((r = buf_put(tmp, buf_ptr(out), buf_len(out) - pad)) == 0) {
			buf_reset(out);
			r = buf_put(out, buf_ptr(tmp), buf_len(tmp));
		}
		buf_free(tmp);
	}
out:
	free(clean);
	xmlFree(t);
	return r;
}

/* How many elements under n carry id as their Id (ID, id). */
static size_t
count_id(xmlNodePtr n, const char *id, int depth)
{
	static const char *names[] = { "Id", "ID", "id" };
	size_t c = 0, i;

	if (depth > 256)
		return 2; /* too deep to vouch for */
	for (; n != NULL && c < 2; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < 3; i++) {
			xmlChar *v = xmlGetProp(n, (const xmlChar *)names[i]);

			if (v != NULL && strcmp((const char *)v, id) == 0)
				c++;
			xmlFree(v);
		}
		c += count_id(n->children, id, depth + 1);
	}
	return c;
}

static int
same_name(xmlNodePtr a, xmlNodePtr b)
{
	return xmlStrEqual(a->name, b->name) &&
	    (a->ns == b->ns ||
		(a->ns != NULL && b->ns != NULL &&
		    xmlStrEqual(a->ns->href, b->ns->href)));
}

/* An element named as t outside t's subtree, under n. */
static int
twin_outside(xmlNodePtr n, xmlNodePtr t, int depth)
{
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || n == t)
			continue;
		if (depth > 256 || same_name(n, t) ||
		    twin_outside(n->children, t, depth + 1))
			return 1;
	}
	return 0;
}

/* The signed element t is the one a reader finds by its name: the only
 * element of that name in the document. A signed element moved away
 * (with its signature or not) and a forged one in its place fails this.
 * What the signature itself holds (an Object, XAdES SignedProperties)
 * is not read as content and is let be. */
static int
where_read(xmlNodePtr t, xmlNodePtr sig)
{
	xmlNodePtr a;

	for (a = t; a != NULL; a = a->parent)
		if (a == sig)
			return 1;
	return !twin_outside(xmlDocGetRootElement(t->doc), t, 0);
}

/* The signature value sv (r || s for ECDSA, as XML-DSig has it) over the
 * digest h by the signer's key. */
static int
value_verifies(X509 *signer, const EVP_MD *md, int ec, struct buf *sv,
    const uint8_t *h, unsigned hlen)
{
	EVP_PKEY_CTX *pc = NULL;
	int ok = 0;

	if (ec) {
		/* r || s back to DER. */
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *br, *bs;
		unsigned char *der = NULL;
		size_t half = buf_len(sv) / 2;
		int len;

		if (es == NULL || half == 0 || buf_len(sv) % 2 != 0) {
			ECDSA_SIG_free(es);
			return 0;
		}
		br = BN_bin2bn(buf_ptr(sv), (int)half, NULL);
		bs = BN_bin2bn(buf_ptr(sv) + half, (int)half, NULL);
		if (br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
			BN_free(br);
			BN_free(bs);
			ECDSA_SIG_free(es);
			return 0;
		}
		len = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		buf_reset(sv);
		if (len <= 0 || buf_put(sv, der, (size_t)len) != 0) {
			OPENSSL_free(der);
			return 0;
		}
		OPENSSL_free(der);
	}
	ok = (pc = EVP_PKEY_CTX_new(X509_get0_pubkey(signer), NULL)) != NULL &&
	    EVP_PKEY_verify_init(pc) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(pc, md) == 1 &&
	    (ec || EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1) &&
	    EVP_PKEY_verify(pc, buf_ptr(sv), buf_len(sv), h, hlen) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

/* Each Reference of si: what it names must be what a reader reads, and
 * its digest (xmldsig_ref.c, as signing computes it) the DigestValue.
 * 0 with rep->problem set (and unsupported) when one does not hold. */
static int
check_references(xmlDocPtr doc, xmlNodePtr sig, xmlNodePtr si,
    struct sig_report *rep)
{
	struct buf *tmp = buf_new(0);
	struct xmldsig_ref rd;
	xmlNodePtr ref;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	int r, nref = 0, ok = 0;

	if (tmp == NULL)
		return KYSO_ERR_NOMEM;
	for (ref = ds_child(si, "Reference"); ref != NULL;
	     ref = ds_next(ref, "Reference")) {
		xmlNodePtr target;
		xmlChar *uri;

		nref++;
		if ((r = xmldsig_ref_read(doc, ref, &rd, &rep->problem)) != 0) {
			rep->unsupported = r == KYSO_ERR_UNSUPPORTED;
			goto out;
		}
		target = rd.target;
		uri = xmlGetProp(ref, (const xmlChar *)"URI");
		if (target != NULL &&
		    (uri == NULL ||
			count_id(xmlDocGetRootElement(doc),
			    (const char *)uri + 1, 0) > 1 ||
			!where_read(target, sig))) {
			xmlFree(uri);
			rep->problem = N_(
			    "the signed element is not the one a "
			    "reader finds there: its Id occurs twice, or it was "
			    "moved (signature wrapping)");
			goto out;
		}
		xmlFree(uri);
		if (target != NULL && target != xmlDocGetRootElement(doc) &&
		    rep->signed_part == NULL) {
			xmlChar *path = xmlGetNodePath(target);

			rep->signed_part = path != NULL
			    ? strdup((const char *)path)
			    : NULL;
			xmlFree(path);
		}
		buf_reset(tmp);
		if (xmldsig_ref_digest(doc, sig, &rd, h, &hlen) != 0 ||
		    b64_decode(ds_child(ref, "DigestValue"), tmp) != 0) {
			rep->problem = N_("a reference cannot be computed");
			goto out;
		}
		if (buf_len(tmp) != hlen ||
		    CRYPTO_memcmp(buf_ptr(tmp), h, hlen) != 0) {
			rep->problem = N_(
			    "the signed content was changed (digest mismatch)");
			goto out;
		}
	}
	ok = nref > 0;
out:
	buf_free(tmp);
	return ok;
}

static int
verify_one(xmlDocPtr doc, xmlNodePtr sig, const struct verify_opts *vo,
    struct sig_report *rep)
{
	const char *trust = vo->trust;
	xmlNodePtr si = ds_child(sig, "SignedInfo"), x;
	xmlNodePtr cm = ds_child(si, "CanonicalizationMethod");
	xmlNodePtr sm = ds_child(si, "SignatureMethod");
	struct buf *tmp = buf_new(0), *sv = buf_new(0);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *signer = NULL;
	const EVP_MD *md = NULL;
	struct nodeset set;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	int ec = 0, r = KYSO_ERR_NOMEM, k;

	rep->level = "XML-DSig";
	rep->trusted = -1;
	rep->changes = CHANGES_NONE;
	if ((rep->claimed_time = strdup("")) == NULL || tmp == NULL ||
	    sv == NULL || certs == NULL)
		goto out;
	r = 0;
	rep->problem = N_(
	    "the signature's SignedInfo is missing or not supported");
	if (si == NULL)
		goto out;
	/* What is there but not supported leaves the verdict open. */
	rep->unsupported = 1;
	if (xmldsig_c14n_mode(cm) < 0 ||
	    xmldsig_signature_method(sm, &md, &ec, &rep->problem) != 0)
		goto out;
	rep->unsupported = 0;
	rep->digest = OBJ_nid2sn(EVP_MD_get_type(md));
	/* The certificates in KeyInfo: the first is the signer's. */
	for (x = ds_child(ds_child(ds_child(sig, "KeyInfo"), "X509Data"),
		 "X509Certificate");
	     x != NULL; x = ds_next(x, "X509Certificate")) {
		const unsigned char *p;
		X509 *c;

		buf_reset(tmp);
		if (b64_decode(x, tmp) != 0)
			continue;
		p = buf_ptr(tmp);
		if ((c = d2i_X509(NULL, &p, (long)buf_len(tmp))) == NULL)
			continue;
		if (!sk_X509_push(certs, c)) {
			X509_free(c);
			r = KYSO_ERR_NOMEM;
			goto out;
		}
	}
	if (sk_X509_num(certs) == 0) {
		rep->problem = N_("the signature carries no certificate");
		goto out;
	}
	signer = sk_X509_value(certs, 0);
	rep->signer = x509_text_name(X509_get_subject_name(signer),
	    X509_TEXT_ONELINE);
	rep->signer_legal_name = x509_text_legal_name(signer);
	if ((k = check_references(doc, sig, si, rep)) <= 0) {
		r = k;
		goto out;
	}
	/* The signature over the canonical SignedInfo. */
	set.root = si;
	set.skip = NULL;
	if (c14n_digest(doc, &set, xmldsig_c14n_mode(cm), md, h, &hlen) != 0 ||
	    b64_decode(ds_child(sig, "SignatureValue"), sv) != 0) {
		rep->problem = N_("the signature value cannot be read");
		goto out;
	}
	if (!value_verifies(signer, md, ec, sv, h, hlen)) {
		rep->problem = N_("the signature value does not verify");
		goto out;
	}
	rep->problem = NULL;
	rep->intact = 1;
	if (trust != NULL) {
		rep->trusted = anchors_verify(signer, certs, trust, &rep->anchor);
		if (!rep->trusted)
			rep->problem = N_(
			    "the certificate does not chain to a trust anchor");
	}
	if (vo->revocation) {
		rep->revocation = revoc_status(signer, certs, trust,
		    &rep->revocation_why);
		if (strcmp(rep->revocation, "revoked") == 0)
			rep->problem = N_("the signer's certificate is revoked");
	}
out:
	sk_X509_pop_free(certs, X509_free);
	buf_free(tmp);
	buf_free(sv);
	return r;
}

static void
find_sigs(xmlNodePtr n, xmlNodePtr *out, size_t *count, size_t max, int depth)
{
	for (; n != NULL && *count < max && depth < 256; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns != NULL &&
		    strcmp((const char *)n->ns->href, DSIG_NS) == 0 &&
		    strcmp((const char *)n->name, "Signature") == 0) {
			out[(*count)++] = n;
			continue;
		}
		find_sigs(n->children, out, count, max, depth + 1);
	}
}

#define XML_MAX_SIGS 64

int
xmldsig_verify_file(const char *path, const struct verify_opts *vo,
    struct sig_report **out, size_t *n, const char **why)
{
	struct mapfile *m = NULL;
	struct sig_report *rep = NULL;
	xmlNodePtr sigs[XML_MAX_SIGS];
	xmlDocPtr doc = NULL;
	size_t count = 0, i;
	int r;

	*why = N_("out of memory");
	if ((r = mapfile_open(path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		goto out;
	}
	if (mapfile_len(m) > XMLDSIG_MAX_INPUT ||
	    (doc = xmlReadMemory((const char *)mapfile_data(m),
		 (int)mapfile_len(m), NULL, NULL,
		 XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) ==
		NULL) {
		r = KYSO_ERR_INVALID;
		*why = N_("the file is not well-formed XML");
		goto out;
	}
	/* A DTD is outside what is signed, and its default attributes would
	 * change what a reader that applies them sees. */
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		r = KYSO_ERR_UNSUPPORTED;
		*why = N_("the document carries a DTD, which could change what "
			  "a reader sees outside what is signed");
		goto out;
	}
	find_sigs(xmlDocGetRootElement(doc), sigs, &count, XML_MAX_SIGS, 0);
	if ((rep = calloc(count + 1, sizeof(*rep))) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		xmlChar *p = xmlGetNodePath(sigs[i]);

		rep[i].field = p ? strdup((const char *)p) : strdup("Signature");
		xmlFree(p);
		if ((r = verify_one(doc, sigs[i], vo, &rep[i])) != 0)
			goto out;
		sig_report_judge(&rep[i]);
	}
	*out = rep;
	*n = count;
	rep = NULL;
	r = 0;
out:
	sig_reports_free(rep, count);
	xmlFreeDoc(doc);
	mapfile_free(m);
	return r;
}
