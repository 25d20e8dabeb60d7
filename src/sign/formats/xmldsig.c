#include "common/i18n.h"
#include "sign/formats/xmldsig.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sign/formats/xmldsig_int.h"
#include "sign/mapfile.h"

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

int
c14n_sha256(xmlDocPtr doc, struct nodeset *set, int inclusive, uint8_t out[32])
{
	xmlOutputBufferPtr ob = xmlAllocOutputBuffer(NULL);
	int r = KYSO_ERR_INVALID;

	if (ob == NULL)
		return KYSO_ERR_NOMEM;
	if (xmlC14NExecute(doc, visible, set,
		inclusive ? XML_C14N_1_0 : XML_C14N_EXCLUSIVE_1_0, NULL, 0,
		ob) < 0)
		goto out;
	if (EVP_Digest(xmlOutputBufferGetContent(ob), xmlOutputBufferGetSize(ob),
		out, NULL, EVP_sha256(), NULL) != 1) {
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

xmlNodePtr
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

int
xmldsig_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const struct xmldsig_opts *o, struct buf *out, const char **why)
{
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
	target = root;
	if (o->ref_id != NULL &&
	    (target = find_by_id(root, o->ref_id, 0)) == NULL) {
		r = KYSO_ERR_NOT_FOUND;
		*why = N_("no element has that Id");
		goto out;
	}
	parent = target;
	if (o->parent != NULL &&
	    (parent = find_by_path(root, o->parent, 0)) == NULL) {
		r = KYSO_ERR_NOT_FOUND;
		*why = N_(
		    "no element has the name given to place the signature under");
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((sn = xmlNewDocNode(doc, NULL, (const xmlChar *)"Signature", NULL)) ==
		NULL ||
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
	    add_alg(si, ns, "SignatureMethod",
		p11_signer_key_type(s) == P11_SIGNER_EC ? ALG_ECDSA_SHA256
							: ALG_RSA_SHA256) == NULL ||
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
		*why = N_("canonicalization failed");
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
		*why = N_("canonicalization failed");
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((sig = buf_new(0)) == NULL || (raw = buf_new(0)) == NULL)
		goto out;
	if ((r = p11_signer_sign_digest(s, h, sig)) != 0) {
		*why = N_("the token refused to sign");
		goto out;
	}
	if (p11_signer_key_type(s) == P11_SIGNER_EC) {
		if ((r = ecdsa_raw(sig, p11_signer_cert(s), raw)) != 0)
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
	for (i = 0; i <= p11_signer_chain_count(s); i++) {
		const struct buf *c = i == 0 ? p11_signer_cert(s)
					     : p11_signer_chain(s, i - 1);

		if ((t = b64(buf_ptr(c), buf_len(c))) == NULL ||
		    add(xd, ns, "X509Certificate", t) == NULL)
			goto out;
		free(t);
		t = NULL;
	}
	xmlDocDumpMemoryEnc(doc, &outxml, &outlen, "UTF-8");
	if (outxml == NULL || outlen <= 0)
		goto out;
	if ((r = buf_put(out, outxml, (size_t)outlen)) != 0)
		*why = N_("the output is too large");
out:
	free(t);
	free(uri);
	xmlFree(outxml);
	xmlFreeDoc(doc);
	buf_free(sig);
	buf_free(raw);
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
