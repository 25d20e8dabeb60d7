#include "xmldsig.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/rsa.h>

#include "mapfile.h"
#include "revocation.h"
#include "verify.h"

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_C14N "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define ALG_ENVELOPED DSIG_NS "enveloped-signature"
#define ALG_SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

/* What C14N sees: the subtree of root, without the subtree of skip. */
struct nodeset {
	xmlNodePtr root;
	xmlNodePtr skip;
};

static int
is_within(xmlNodePtr n, xmlNodePtr top)
{
	for (; n != NULL; n = n->parent)
		if (n == top)
			return 1;
	return 0;
}

static int
visible(void *ud, xmlNodePtr node, xmlNodePtr parent)
{
	const struct nodeset *ns = ud;
	xmlNodePtr n = node;

	/* Namespace nodes are xmlNs, not xmlNode: judge them by parent. */
	if (node == NULL || node->type == XML_NAMESPACE_DECL)
		n = parent;
	if (n == NULL)
		return 0;
	if (node != NULL && node->type == XML_COMMENT_NODE)
		return 0;
	if (ns->skip != NULL && is_within(n, ns->skip))
		return 0;
	if (ns->root != NULL && !is_within(n, ns->root))
		return 0;
	return 1;
}

/* SHA-256 of the canonical form of the node set. */
static int
c14n_sha256(xmlDocPtr doc, struct nodeset *set, int inclusive,
    uint8_t out[32])
{
	xmlOutputBufferPtr ob = xmlAllocOutputBuffer(NULL);
	int r = KYSO_ERR_INVALID;

	if (ob == NULL)
		return KYSO_ERR_NOMEM;
	if (xmlC14NExecute(doc, visible, set, inclusive ? XML_C14N_1_0 :
	    XML_C14N_EXCLUSIVE_1_0, NULL, 0, ob) < 0)
		goto out;
	if (EVP_Digest(xmlOutputBufferGetContent(ob),
	    xmlOutputBufferGetSize(ob), out, NULL, EVP_sha256(), NULL) != 1) {
		r = KYSO_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	xmlOutputBufferClose(ob);
	return r;
}

static char *
b64(const uint8_t *p, size_t n)
{
	char *s;

	if (n > (size_t)1 << 28 || (s = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

/* The element with attribute Id, ID or id equal to id (depth first). */
static xmlNodePtr
find_by_id(xmlNodePtr n, const char *id, int depth)
{
	static const char *names[] = { "Id", "ID", "id" };
	xmlNodePtr f;
	size_t i;

	if (depth > 256)
		return NULL;
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < 3; i++) {
			xmlChar *v = xmlGetProp(n, (const xmlChar *)names[i]);
			int eq = v != NULL && strcmp((const char *)v, id) == 0;

			xmlFree(v);
			if (eq)
				return n;
		}
		if ((f = find_by_id(n->children, id, depth + 1)) != NULL)
			return f;
	}
	return NULL;
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

/* The first element (document order) that path names. */
static xmlNodePtr
find_by_path(xmlNodePtr n, const char *path, int depth)
{
	xmlNodePtr f;

	if (depth > 256)
		return NULL;
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (path_matches(n, path))
			return n;
		if ((f = find_by_path(n->children, path, depth + 1)) != NULL)
			return f;
	}
	return NULL;
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

	if (n != NULL && xmlNewProp(n, (const xmlChar *)"Algorithm",
	    (const xmlChar *)alg) == NULL)
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

int
xmldsig_sign_file(struct signer *s, const char *in_path, const char *out_path,
    const struct xmldsig_opts *o, const char **why)
{
	struct mapfile *m = NULL;
	struct outfile *of = NULL;
	struct buf *sig = NULL, *raw = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, target, parent, sn, si, ref, tr, dv, ki, xd;
	xmlNsPtr ns;
	xmlChar *outxml = NULL;
	struct nodeset set;
	uint8_t digest[32], h[32];
	char *t = NULL, *uri = NULL;
	const char *c14n = o->inclusive ? ALG_C14N : ALG_EXC_C14N;
	size_t i;
	int outlen = 0, r;

	*why = "out of memory";
	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? "the file does not exist" :
		    "the file cannot be read";
		goto out;
	}
	if (mapfile_len(m) > XMLDSIG_MAX_INPUT) {
		r = KYSO_ERR_TOO_LARGE;
		*why = "the XML file is too large";
		goto out;
	}
	/* No network, no entity expansion, no DTD loading. */
	doc = xmlReadMemory((const char *)mapfile_data(m), (int)mapfile_len(m),
	    NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL || (root = xmlDocGetRootElement(doc)) == NULL) {
		r = KYSO_ERR_INVALID;
		*why = "the file is not well-formed XML";
		goto out;
	}
	target = root;
	if (o->ref_id != NULL && (target = find_by_id(root, o->ref_id, 0)) == NULL) {
		r = KYSO_ERR_NOT_FOUND;
		*why = "no element has that Id";
		goto out;
	}
	parent = target;
	if (o->parent != NULL && (parent = find_by_path(root, o->parent, 0)) == NULL) {
		r = KYSO_ERR_NOT_FOUND;
		*why = "no element has the name given to place the signature under";
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((sn = xmlNewDocNode(doc, NULL, (const xmlChar *)"Signature", NULL)) == NULL ||
	    (ns = xmlNewNs(sn, (const xmlChar *)DSIG_NS, NULL)) == NULL)
		goto out;
	xmlSetNs(sn, ns);
	if (xmlAddChild(parent, sn) == NULL) {
		xmlFreeNode(sn);
		goto out;
	}
	if (o->ref_id != NULL) {
		size_t n = strlen(o->ref_id) + 2;

		if ((uri = malloc(n)) == NULL)
			goto out;
		snprintf(uri, n, "#%s", o->ref_id);
	}
	if ((si = add(sn, ns, "SignedInfo", NULL)) == NULL ||
	    add_alg(si, ns, "CanonicalizationMethod", c14n) == NULL ||
	    add_alg(si, ns, "SignatureMethod", signer_key_type(s) == SIGNER_EC ?
	    ALG_ECDSA_SHA256 : ALG_RSA_SHA256) == NULL ||
	    (ref = add(si, ns, "Reference", NULL)) == NULL ||
	    xmlNewProp(ref, (const xmlChar *)"URI",
	    (const xmlChar *)(uri ? uri : "")) == NULL ||
	    (tr = add(ref, ns, "Transforms", NULL)) == NULL ||
	    add_alg(tr, ns, "Transform", ALG_ENVELOPED) == NULL ||
	    add_alg(tr, ns, "Transform", c14n) == NULL ||
	    add_alg(ref, ns, "DigestMethod", ALG_SHA256) == NULL ||
	    (dv = add(ref, ns, "DigestValue", NULL)) == NULL)
		goto out;
	/* The reference: the element (or document) without the signature. */
	set.root = o->ref_id != NULL ? target : NULL;
	set.skip = sn;
	if ((r = c14n_sha256(doc, &set, o->inclusive, digest)) != 0) {
		*why = "canonicalization failed";
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((t = b64(digest, 32)) == NULL)
		goto out;
	xmlNodeSetContent(dv, (const xmlChar *)t);
	free(t);
	t = NULL;
	/* SignedInfo, canonicalized in place, is what the token signs. */
	set.root = si;
	set.skip = NULL;
	if ((r = c14n_sha256(doc, &set, o->inclusive, h)) != 0) {
		*why = "canonicalization failed";
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((sig = buf_new(0)) == NULL || (raw = buf_new(0)) == NULL)
		goto out;
	if ((r = signer_sign_digest(s, h, sig)) != 0) {
		*why = "the token refused to sign";
		goto out;
	}
	if (signer_key_type(s) == SIGNER_EC) {
		if ((r = ecdsa_raw(sig, signer_cert(s), raw)) != 0)
			goto out;
	} else if ((r = buf_put(raw, buf_ptr(sig), buf_len(sig))) != 0) {
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((t = b64(buf_ptr(raw), buf_len(raw))) == NULL ||
	    add(sn, ns, "SignatureValue", t) == NULL)
		goto out;
	free(t);
	t = NULL;
	if ((ki = add(sn, ns, "KeyInfo", NULL)) == NULL ||
	    (xd = add(ki, ns, "X509Data", NULL)) == NULL)
		goto out;
	for (i = 0; i <= signer_chain_count(s); i++) {
		const struct buf *c = i == 0 ? signer_cert(s) : signer_chain(s, i - 1);

		if ((t = b64(buf_ptr(c), buf_len(c))) == NULL ||
		    add(xd, ns, "X509Certificate", t) == NULL)
			goto out;
		free(t);
		t = NULL;
	}
	xmlDocDumpMemoryEnc(doc, &outxml, &outlen, "UTF-8");
	if (outxml == NULL || outlen <= 0)
		goto out;
	if ((r = outfile_open(out_path, &of)) != 0) {
		*why = "cannot create the output file";
		goto out;
	}
	if ((r = outfile_write(of, outxml, (size_t)outlen)) != 0) {
		*why = "cannot write the output file";
		goto out;
	}
	r = outfile_commit(of);
	of = NULL;
	if (r != 0)
		*why = "cannot write the output file";
out:
	outfile_abort(of);
	free(t);
	free(uri);
	xmlFree(outxml);
	xmlFreeDoc(doc);
	buf_free(sig);
	buf_free(raw);
	mapfile_free(m);
	return r;
}

/* ---- verification ---- */

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n ? n->children : NULL; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    strcmp((const char *)n->ns->href, DSIG_NS) == 0 &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

static xmlNodePtr
next_sibling(xmlNodePtr n, const char *name)
{
	for (n = n->next; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

static int
alg_is(xmlNodePtr n, const char *alg)
{
	xmlChar *a = n ? xmlGetProp(n, (const xmlChar *)"Algorithm") : NULL;
	int eq = a != NULL && strcmp((const char *)a, alg) == 0;

	xmlFree(a);
	return eq;
}

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

static char *
xml_name_text(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0,
	    (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) >= 0 && (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

static int
verify_one(xmlDocPtr doc, xmlNodePtr sig, const struct verify_opts *vo,
    struct sig_report *rep)
{
	const char *trust = vo->trust;
	xmlNodePtr si = child(sig, "SignedInfo"), ref, x;
	xmlNodePtr cm = child(si, "CanonicalizationMethod");
	xmlNodePtr sm = child(si, "SignatureMethod");
	struct buf *tmp = buf_new(0), *sv = buf_new(0);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509 *signer = NULL;
	EVP_PKEY_CTX *pc = NULL;
	struct nodeset set;
	uint8_t h[32];
	int ec, r = KYSO_ERR_NOMEM, nref = 0;

	rep->level = "XML-DSig";
	rep->trusted = -1;
	rep->changes = CHANGES_NONE;
	if ((rep->claimed_time = strdup("")) == NULL || tmp == NULL ||
	    sv == NULL || certs == NULL)
		goto out;
	r = 0;
	rep->problem = "the signature's SignedInfo is missing or not supported";
	if (si == NULL || (!alg_is(cm, ALG_EXC_C14N) && !alg_is(cm, ALG_C14N)))
		goto out;
	ec = alg_is(sm, ALG_ECDSA_SHA256);
	if (!ec && !alg_is(sm, ALG_RSA_SHA256))
		goto out;
	/* The certificates in KeyInfo: the first is the signer's. */
	for (x = child(child(child(sig, "KeyInfo"), "X509Data"), "X509Certificate");
	    x != NULL; x = next_sibling(x, "X509Certificate")) {
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
		rep->problem = "the signature carries no certificate";
		goto out;
	}
	signer = sk_X509_value(certs, 0);
	rep->signer = xml_name_text(signer);
	/* Each reference's digest. */
	for (ref = child(si, "Reference"); ref != NULL; ref = next_sibling(ref, "Reference")) {
		xmlChar *uri = xmlGetProp(ref, (const xmlChar *)"URI");
		xmlNodePtr tr, t, target = NULL;
		int enveloped = 0, mode = -1;

		nref++;
		if (uri != NULL && uri[0] == '#')
			target = find_by_id(xmlDocGetRootElement(doc), (const char *)uri + 1, 0);
		if (uri == NULL || (uri[0] != '\0' && target == NULL)) {
			xmlFree(uri);
			rep->problem = "a reference names no element of the document";
			goto out;
		}
		xmlFree(uri);
		tr = child(ref, "Transforms");
		for (t = child(tr, "Transform"); t != NULL; t = next_sibling(t, "Transform")) {
			if (alg_is(t, ALG_ENVELOPED))
				enveloped = 1;
			else if (alg_is(t, ALG_EXC_C14N))
				mode = 0;
			else if (alg_is(t, ALG_C14N))
				mode = 1;
			else {
				rep->problem = "a reference uses a transform kyso-sign does not support";
				goto out;
			}
		}
		if (!alg_is(child(ref, "DigestMethod"), ALG_SHA256)) {
			rep->problem = "a reference's digest is not SHA-256";
			goto out;
		}
		set.root = target;
		set.skip = enveloped ? sig : NULL;
		buf_reset(tmp);
		if (c14n_sha256(doc, &set, mode != 0, h) != 0 ||
		    b64_decode(child(ref, "DigestValue"), tmp) != 0) {
			rep->problem = "a reference cannot be computed";
			goto out;
		}
		if (buf_len(tmp) != 32 || CRYPTO_memcmp(buf_ptr(tmp), h, 32) != 0) {
			rep->problem = "the signed content was changed (digest mismatch)";
			goto out;
		}
	}
	if (nref == 0)
		goto out;
	/* The signature over the canonical SignedInfo. */
	set.root = si;
	set.skip = NULL;
	buf_reset(tmp);
	if (c14n_sha256(doc, &set, alg_is(cm, ALG_C14N), h) != 0 ||
	    b64_decode(child(sig, "SignatureValue"), sv) != 0) {
		rep->problem = "the signature value cannot be read";
		goto out;
	}
	if (ec) {
		/* r || s back to DER. */
		ECDSA_SIG *es = ECDSA_SIG_new();
		BIGNUM *br, *bs;
		unsigned char *der = NULL;
		int len;
		size_t half = buf_len(sv) / 2;

		if (es == NULL)
			goto out;
		br = BN_bin2bn(buf_ptr(sv), (int)half, NULL);
		bs = BN_bin2bn(buf_ptr(sv) + half, (int)half, NULL);
		if (br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
			BN_free(br);
			BN_free(bs);
			ECDSA_SIG_free(es);
			goto out;
		}
		len = i2d_ECDSA_SIG(es, &der);
		ECDSA_SIG_free(es);
		buf_reset(sv);
		if (len <= 0 || buf_put(sv, der, (size_t)len) != 0) {
			OPENSSL_free(der);
			goto out;
		}
		OPENSSL_free(der);
	}
	if ((pc = EVP_PKEY_CTX_new(X509_get0_pubkey(signer), NULL)) == NULL ||
	    EVP_PKEY_verify_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) != 1 ||
	    (!ec && EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1) ||
	    EVP_PKEY_verify(pc, buf_ptr(sv), buf_len(sv), h, 32) != 1) {
		rep->problem = "the signature value does not verify";
		goto out;
	}
	rep->problem = NULL;
	rep->intact = 1;
	if (trust != NULL) {
		X509_STORE *st = X509_STORE_new();
		X509_STORE_CTX *ctx = X509_STORE_CTX_new();

		rep->trusted = st != NULL && ctx != NULL &&
		    X509_STORE_load_file(st, trust) == 1 &&
		    X509_STORE_CTX_init(ctx, st, signer, certs) == 1 &&
		    X509_verify_cert(ctx) == 1;
		X509_STORE_CTX_free(ctx);
		X509_STORE_free(st);
		if (!rep->trusted)
			rep->problem = "the certificate does not chain to a trust anchor";
	}
	if (vo->revocation) {
		rep->revocation = revoc_status(signer, certs, trust);
		if (strcmp(rep->revocation, "revoked") == 0)
			rep->problem = "the signer's certificate is revoked";
	}
out:
	EVP_PKEY_CTX_free(pc);
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
		if (n->ns != NULL && strcmp((const char *)n->ns->href, DSIG_NS) == 0 &&
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

	*why = "out of memory";
	if ((r = mapfile_open(path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? "the file does not exist" :
		    "the file cannot be read";
		goto out;
	}
	if (mapfile_len(m) > XMLDSIG_MAX_INPUT ||
	    (doc = xmlReadMemory((const char *)mapfile_data(m), (int)mapfile_len(m),
	    NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) == NULL) {
		r = KYSO_ERR_INVALID;
		*why = "the file is not well-formed XML";
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
