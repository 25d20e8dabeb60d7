#include "common/i18n.h"
#include "sign/formats/xmldsig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/formats/xmldsig_int.h"
#include "sign/mapfile.h"

static char *
b64(const uint8_t *p, size_t n)
{
	char *s;

	if (n > (size_t)1 << 28 || (s = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

/* Whether n's name and its ancestors' names end with path "a/b/c". */
static int
path_matches(xmlNodePtr n, const char *path)
{
	const char *end = path + strlen(path), *start;

	while (end > path) {
		for (start = end; start > path && start[-1] != '/'; start--)
			;
		if (n == NULL || n->type != XML_ELEMENT_NODE ||
		    strlen((const char *)n->name) != (size_t)(end - start) ||
		    memcmp(n->name, start, (size_t)(end - start)) != 0)
			return 0;
		n = n->parent;
		end = start > path ? start - 1 : start;
	}
	return 1;
}

/* The first element (document order, depth first, at most 256 levels)
 * for which match says yes: the one walk the finders below share. */
static xmlNodePtr
find_first(xmlNodePtr n, int (*match)(xmlNodePtr, const void *), const void *ud,
    int depth)
{
	xmlNodePtr f;

	if (depth > 256)
		return NULL;
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (match(n, ud))
			return n;
		if ((f = find_first(n->children, match, ud, depth + 1)) != NULL)
			return f;
	}
	return NULL;
}

static int
match_path(xmlNodePtr n, const void *path)
{
	return path_matches(n, path);
}

static int
match_name(xmlNodePtr n, const void *name)
{
	return xmlStrEqual(n->name, (const xmlChar *)name);
}

static xmlNodePtr
add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
	return xmlNewChild(parent, ns, (const xmlChar *)name,
	    (const xmlChar *)text);
}

static xmlNodePtr
add_alg(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *alg)
{
	xmlNodePtr n = add(parent, ns, name, NULL);

	if (n != NULL &&
	    xmlNewProp(n, (const xmlChar *)"Algorithm", (const xmlChar *)alg) ==
		NULL)
		return NULL;
	return n;
}

/* ECDSA: XML-DSig wants r || s, each as long as the curve's order. */
static int
ecdsa_raw(const struct buf *der, const struct buf *cert, struct buf *raw)
{
	const unsigned char *p = buf_ptr(der);
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)buf_len(der));
	const unsigned char *cp = buf_ptr(cert);
	X509 *x = d2i_X509(NULL, &cp, (long)buf_len(cert));
	const BIGNUM *r, *s;
	uint8_t *d;
	int bits, n, rc = KYSO_ERR_CRYPTO;

	if (sig == NULL || x == NULL)
		goto out;
	bits = EVP_PKEY_get_bits(X509_get0_pubkey(x));
	n = (bits + 7) / 8;
	if (n <= 0 || n > 66)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if ((rc = buf_reserve(raw, (size_t)n * 2, &d)) != 0)
		goto out;
	rc = KYSO_ERR_CRYPTO;
	if (BN_bn2binpad(r, d, n) != n || BN_bn2binpad(s, d + n, n) != n)
		goto out;
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	X509_free(x);
	return rc;
}

/* libxml2's own reports (parser, C14N) would print raw lines on stderr
 * before our sentence: while we sign they are counted here instead, and
 * our *why says what went wrong. The handler is per thread in libxml2. */
static void
xml_quiet(void *ud, const xmlError *e)
{
	(void)e;
	(*(int *)ud)++;
}

static int sign_doc(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct xmldsig_opts *o, struct buf *out, const char **why);

int
xmldsig_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct xmldsig_opts *o, struct buf *out, const char **why)
{
	int errs = 0, r;

	xmlSetStructuredErrorFunc(&errs, (xmlStructuredErrorFunc)xml_quiet);
	r = sign_doc(s, data, len, o, out, why);
	xmlSetStructuredErrorFunc(NULL, NULL);
	return r;
}

/* 1 when element n has no text (an empty slot of a template). */
static int
is_empty(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	const xmlChar *p = c;
	int empty = 1;

	for (; p != NULL && *p != '\0'; p++)
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			empty = 0;
	xmlFree(c);
	return empty;
}

/* A <Signature> template: an XML-DSig Signature whose SignatureValue is
 * missing or empty, as e-invoice software leaves one for each party. */
static int
match_template(xmlNodePtr n, const void *ud)
{
	(void)ud;
	return n->ns != NULL &&
	    xmlStrEqual(n->ns->href, (const xmlChar *)DSIG_NS) &&
	    xmlStrEqual(n->name, (const xmlChar *)"Signature") &&
	    (ds_child(n, "SignatureValue") == NULL ||
		is_empty(ds_child(n, "SignatureValue")));
}

/* The signing time as the Vietnamese e-invoice format carries it
 * (yyyy-MM-ddTHH:mm:ss, local time: Vietnam's, UTC+7, when TZ is unset). */
static void
signing_time(time_t when, char *out, size_t n)
{
	struct tm tm;

	if (getenv("TZ") == NULL) {
		when += 7 * 3600;
		gmtime_r(&when, &tm);
	} else {
		localtime_r(&when, &tm);
	}
	strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* A fresh Id of the form prefix-N that no element of doc has. */
static int
fresh_id(xmlDocPtr doc, const char *prefix, char *out, size_t n)
{
	int k;

	for (k = 1; k < 1000; k++) {
		snprintf(out, n, "%s-%d", prefix, k);
		if (find_by_id(xmlDocGetRootElement(doc), out, 0) == NULL)
			return 0;
	}
	return KYSO_ERR_EXISTS;
}

/* A template of our own under parent: SignedInfo with one reference to
 * uri (enveloped, then C14N) and one to an Object that carries the
 * signing time (SignatureProperty/SigningTime, as Vietnamese e-invoices
 * do), SignatureValue, then the Object. */
static int
new_template(xmlDocPtr doc, xmlNodePtr parent, const char *uri, int inclusive,
    int ec, xmlNodePtr *out)
{
	const char *c14n = inclusive ? ALG_C14N : ALG_EXC_C14N;
	xmlNodePtr sn, si, ref, tr, obj, sp;
	xmlNsPtr ns;
	char sid[64], tid[80], turi[88], target[72];

	if (fresh_id(doc, "kyso-sig", sid, sizeof(sid)) != 0)
		return KYSO_ERR_EXISTS;
	snprintf(tid, sizeof(tid), "%s-time", sid);
	snprintf(turi, sizeof(turi), "#%s", tid);
	snprintf(target, sizeof(target), "#%s", sid);
	if ((sn = xmlNewDocNode(doc, NULL, (const xmlChar *)"Signature", NULL)) ==
	    NULL)
		return KYSO_ERR_NOMEM;
	if ((ns = xmlNewNs(sn, (const xmlChar *)DSIG_NS, NULL)) == NULL ||
	    xmlAddChild(parent, sn) == NULL) {
		xmlFreeNode(sn);
		return KYSO_ERR_NOMEM;
	}
	xmlSetNs(sn, ns);
	if (xmlNewProp(sn, (const xmlChar *)"Id", (const xmlChar *)sid) == NULL ||
	    (si = add(sn, ns, "SignedInfo", NULL)) == NULL ||
	    add_alg(si, ns, "CanonicalizationMethod", c14n) == NULL ||
	    add_alg(si, ns, "SignatureMethod",
		ec ? ALG_ECDSA_SHA256 : ALG_RSA_SHA256) == NULL ||
	    (ref = add(si, ns, "Reference", NULL)) == NULL ||
	    xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)uri) == NULL ||
	    (tr = add(ref, ns, "Transforms", NULL)) == NULL ||
	    add_alg(tr, ns, "Transform", ALG_ENVELOPED) == NULL ||
	    add_alg(tr, ns, "Transform", c14n) == NULL ||
	    add_alg(ref, ns, "DigestMethod", ALG_SHA256) == NULL ||
	    add(ref, ns, "DigestValue", NULL) == NULL ||
	    (ref = add(si, ns, "Reference", NULL)) == NULL ||
	    xmlNewProp(ref, (const xmlChar *)"URI", (const xmlChar *)turi) ==
		NULL ||
	    (tr = add(ref, ns, "Transforms", NULL)) == NULL ||
	    add_alg(tr, ns, "Transform", c14n) == NULL ||
	    add_alg(ref, ns, "DigestMethod", ALG_SHA256) == NULL ||
	    add(ref, ns, "DigestValue", NULL) == NULL ||
	    add(sn, ns, "SignatureValue", NULL) == NULL ||
	    (obj = add(sn, ns, "Object", NULL)) == NULL ||
	    xmlNewProp(obj, (const xmlChar *)"Id", (const xmlChar *)tid) == NULL ||
	    (sp = add(obj, ns, "SignatureProperties", NULL)) == NULL ||
	    (sp = add(sp, ns, "SignatureProperty", NULL)) == NULL ||
	    xmlNewProp(sp, (const xmlChar *)"Target", (const xmlChar *)target) ==
		NULL ||
	    add(sp, ns, "SigningTime", NULL) == NULL)
		return KYSO_ERR_NOMEM;
	*out = sn;
	return 0;
}

/* Digests every Reference of si as its own transforms and DigestMethod
 * say (xmldsig_ref.c, what verify and xmlsec1 compute). */
static int
fill_references(xmlDocPtr doc, xmlNodePtr sig, xmlNodePtr si, const char **why)
{
	struct xmldsig_ref rd;
	xmlNodePtr ref, dv;
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	char *b = NULL;
	int nref = 0, r;

	for (ref = ds_child(si, "Reference"); ref != NULL;
	     ref = ds_next(ref, "Reference")) {
		nref++;
		if ((r = xmldsig_ref_read(doc, ref, &rd, why)) != 0)
			return r;
		if ((r = xmldsig_ref_digest(doc, sig, &rd, digest, &dlen)) != 0) {
			*why = N_("canonicalization failed");
			return r;
		}
		if ((b = b64(digest, dlen)) == NULL)
			return KYSO_ERR_NOMEM;
		if ((dv = ds_child(ref, "DigestValue")) == NULL &&
		    (dv = add(ref, ref->ns, "DigestValue", NULL)) == NULL) {
			free(b);
			return KYSO_ERR_NOMEM;
		}
		xmlNodeSetContent(dv, (const xmlChar *)b);
		free(b);
	}
	if (nref == 0) {
		*why = N_("the signature template has no reference");
		return KYSO_ERR_INVALID;
	}
	return 0;
}

/* KeyInfo/X509Data with the certificate and its chain: the template's
 * own (its empty X509SubjectName filled, its empty X509Certificate
 * replaced), else one made right after SignatureValue. */
static int
fill_keyinfo(struct p11_signer *s, xmlNodePtr sig, xmlNodePtr sv)
{
	xmlNodePtr ki = ds_child(sig, "KeyInfo"), xd, x;
	const unsigned char *cp = buf_ptr(p11_signer_cert(s));
	X509 *cert = d2i_X509(NULL, &cp, (long)buf_len(p11_signer_cert(s)));
	char *t = NULL, *name = NULL;
	size_t i;
	int r = KYSO_ERR_NOMEM;

	if (cert == NULL)
		return KYSO_ERR_INVALID;
	if (ki == NULL) {
		if ((ki = xmlNewDocNode(sig->doc, sig->ns,
			 (const xmlChar *)"KeyInfo", NULL)) == NULL ||
		    xmlAddNextSibling(sv, ki) == NULL)
			goto out;
	}
	if ((xd = ds_child(ki, "X509Data")) == NULL &&
	    (xd = add(ki, sig->ns, "X509Data", NULL)) == NULL)
		goto out;
	if ((x = ds_child(xd, "X509SubjectName")) != NULL && is_empty(x)) {
		BIO *bio = BIO_new(BIO_s_mem());
		char *p;
		long n;

		if (bio == NULL ||
		    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
			XN_FLAG_RFC2253) < 0 ||
		    (n = BIO_get_mem_data(bio, &p)) <= 0 ||
		    (name = strndup(p, (size_t)n)) == NULL) {
			BIO_free(bio);
			goto out;
		}
		BIO_free(bio);
		xmlNodeSetContent(x, (const xmlChar *)name);
	}
	while ((x = ds_child(xd, "X509Certificate")) != NULL && is_empty(x)) {
		xmlUnlinkNode(x);
		xmlFreeNode(x);
	}
	for (i = 0; i <= p11_signer_chain_count(s); i++) {
		const struct buf *c = i == 0 ? p11_signer_cert(s)
					     : p11_signer_chain(s, i - 1);

		if ((t = b64(buf_ptr(c), buf_len(c))) == NULL ||
		    add(xd, sig->ns, "X509Certificate", t) == NULL)
			goto out;
		free(t);
		t = NULL;
	}
	r = 0;
out:
	free(t);
	free(name);
	X509_free(cert);
	return r;
}

/* Fills the template sig: the signing time (an empty SigningTime in its
 * Object), every reference's digest, the signature over its SignedInfo
 * by the token (the template's algorithms, which must be the key's),
 * the certificates. */
static int
fill_template(xmlDocPtr doc, xmlNodePtr sig, struct p11_signer *s, time_t when,
    const char **why)
{
	xmlNodePtr si = ds_child(sig, "SignedInfo"), cm, sm, sv, st;
	int ec = p11_signer_key_type(s) == P11_SIGNER_EC, r;
	struct buf *der = NULL, *raw = NULL;
	struct nodeset set;
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned hlen = 0;
	char *t = NULL, tm[40];

	cm = ds_child(si, "CanonicalizationMethod");
	sm = ds_child(si, "SignatureMethod");
	if (si == NULL || xmldsig_c14n_mode(cm) < 0) {
		*why = N_("the signature template's SignedInfo is missing or "
			  "asks for a canonicalization kyso-sign does not "
			  "support (C14N 1.0, exclusive C14N)");
		return KYSO_ERR_UNSUPPORTED;
	}
	if (!alg_is(sm, ec ? ALG_ECDSA_SHA256 : ALG_RSA_SHA256)) {
		*why = ec ? N_("the signature template asks for another "
			       "signature method than the token's EC key "
			       "(ecdsa-sha256)")
			  : N_("the signature template asks for another "
			       "signature method than the token's RSA key "
			       "(rsa-sha256)");
		return KYSO_ERR_UNSUPPORTED;
	}
	for (st = ds_child(sig, "Object"); st != NULL; st = st->next)
		if (st->type == XML_ELEMENT_NODE &&
		    (st = find_first(st->children, match_name, "SigningTime",
			 0)) != NULL)
			break;
	if (st != NULL && is_empty(st)) {
		signing_time(when, tm, sizeof(tm));
		xmlNodeSetContent(st, (const xmlChar *)tm);
	}
	*why = N_("out of memory");
	if ((r = fill_references(doc, sig, si, why)) != 0)
		return r;
	set.root = si;
	set.skip = NULL;
	if ((r = c14n_digest(doc, &set, xmldsig_c14n_mode(cm), EVP_sha256(), h,
		 &hlen)) != 0) {
		*why = N_("canonicalization failed");
		return r;
	}
	r = KYSO_ERR_NOMEM;
	*why = N_("out of memory");
	if ((der = buf_new(0)) == NULL || (raw = buf_new(0)) == NULL)
		goto out;
	if ((r = p11_signer_sign_digest(s, h, der)) != 0) {
		*why = N_("the token refused to sign");
		goto out;
	}
	if (ec)
		r = ecdsa_raw(der, p11_signer_cert(s), raw);
	else
		r = buf_put(raw, buf_ptr(der), buf_len(der));
	if (r != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((t = b64(buf_ptr(raw), buf_len(raw))) == NULL)
		goto out;
	if ((sv = ds_child(sig, "SignatureValue")) == NULL) {
		if ((sv = xmlNewDocNode(doc, sig->ns,
			 (const xmlChar *)"SignatureValue", NULL)) == NULL ||
		    xmlAddNextSibling(si, sv) == NULL)
			goto out;
	}
	xmlNodeSetContent(sv, (const xmlChar *)t);
	if ((r = fill_keyinfo(s, sig, sv)) != 0) {
		*why = N_("the token's certificate cannot be read");
		goto out;
	}
	r = 0;
out:
	free(t);
	buf_free(der);
	buf_free(raw);
	return r;
}

/* The signing itself, with libxml2's reports routed to xml_quiet: into
 * the document's empty <Signature> template when it has one, else into
 * one of ours. */
static int
sign_doc(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct xmldsig_opts *o, struct buf *out, const char **why)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, target, parent, sn;
	xmlChar *outxml = NULL;
	char *uri = NULL;
	int outlen = 0, r;

	*why = N_("out of memory");
	if (len > XMLDSIG_MAX_INPUT) {
		r = KYSO_ERR_TOO_LARGE;
		*why = N_("the XML file is too large");
		goto out;
	}
	/* No network, no entity expansion, no DTD loading. */
	doc = xmlReadMemory((const char *)data, (int)len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		r = KYSO_ERR_INVALID;
		*why = N_("the file is not well-formed XML");
		goto out;
	}
	/* What a DTD declares (default attributes, entities) is outside the
	 * canonical form that is signed: a reader could see other content
	 * than the signer did. Verification refuses it too. */
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		r = KYSO_ERR_UNSUPPORTED;
		*why = N_("the XML file has a DTD (<!DOCTYPE>): what it declares "
			  "is outside what is signed; remove it before signing");
		goto out;
	}
	if ((sn = find_first(root, match_template, NULL, 0)) != NULL) {
		if (o->ref_id != NULL || o->parent != NULL) {
			r = KYSO_ERR_INVALID;
			*why = N_("the document holds a signature template: its "
				  "references say what is signed; leave out "
				  "--id and --parent");
			goto out;
		}
	} else {
		target = root;
		if (o->ref_id != NULL &&
		    (target = find_by_id(root, o->ref_id, 0)) == NULL) {
			r = KYSO_ERR_NOT_FOUND;
			*why = N_("no element has that Id");
			goto out;
		}
		parent = target;
		if (o->parent != NULL &&
		    (parent = find_first(root, match_path, o->parent, 0)) ==
			NULL) {
			r = KYSO_ERR_NOT_FOUND;
			*why = N_("no element has the name given to place the "
				  "signature under");
			goto out;
		}
		if (o->ref_id != NULL) {
			size_t n = strlen(o->ref_id) + 2;

			r = KYSO_ERR_NOMEM;
			if ((uri = malloc(n)) == NULL)
				goto out;
			snprintf(uri, n, "#%s", o->ref_id);
		}
		if ((r = new_template(doc, parent, uri ? uri : "", o->inclusive,
			 p11_signer_key_type(s) == P11_SIGNER_EC, &sn)) != 0)
			goto out;
	}
	if ((r = fill_template(doc, sn, s, o->when ? o->when : time(NULL), why)) !=
	    0)
		goto out;
	r = KYSO_ERR_NOMEM;
	*why = N_("out of memory");
	xmlDocDumpMemoryEnc(doc, &outxml, &outlen, "UTF-8");
	if (outxml == NULL || outlen <= 0)
		goto out;
	if ((r = buf_put(out, outxml, (size_t)outlen)) != 0)
		*why = N_("the output is too large");
out:
	free(uri);
	xmlFree(outxml);
	xmlFreeDoc(doc);
	return r;
}

int
xmldsig_sign_file(struct p11_signer *s, const char *in_path,
    const char *out_path, const struct xmldsig_opts *o, const char **why)
{
	struct mapfile *m = NULL;
	struct buf *out = buf_new(XMLDSIG_MAX_INPUT + ((size_t)1 << 20));
	int r = KYSO_ERR_NOMEM;

	*why = N_("out of memory");
	if (out == NULL)
		goto out;
	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		goto out;
	}
	if ((r = xmldsig_sign_mem(s, mapfile_data(m), mapfile_len(m), o, out,
		 why)) != 0)
		goto out;
	r = outfile_save(out_path, buf_ptr(out), buf_len(out), why);
out:
	buf_free(out);
	mapfile_free(m);
	return r;
}
