/* What XML-DSig signing and verification share: the algorithms by their
 * URIs (RFC 6931), canonical digests, and each Reference read and
 * digested the one way, so that what kyso-sign signs is what it checks. */
#include "common/i18n.h"
#include "sign/formats/xmldsig_int.h"

#include <string.h>

#include <libxml/c14n.h>

#define MORE   "http://www.w3.org/2001/04/xmldsig-more#"
#define XMLENC "http://www.w3.org/2001/04/xmlenc#"

/* The digests and signature methods by URI; md NULL: SHA-1, known but
 * no longer accepted (SHA-1 collisions are practical). */
static const struct {
	const char *uri;
	const char *md; /* OpenSSL's name */
	int ec;		/* -1 a digest method, 0 RSA, 1 ECDSA */
} algs[] = {
	{ XMLENC "sha256", "SHA256", -1 },
	{ XMLENC "sha512", "SHA512", -1 },
	{ MORE "sha224", "SHA224", -1 },
	{ MORE "sha384", "SHA384", -1 },
	{ DSIG_NS "sha1", NULL, -1 },
	{ MORE "rsa-sha224", "SHA224", 0 },
	{ MORE "rsa-sha256", "SHA256", 0 },
	{ MORE "rsa-sha384", "SHA384", 0 },
	{ MORE "rsa-sha512", "SHA512", 0 },
	{ DSIG_NS "rsa-sha1", NULL, 0 },
	{ MORE "ecdsa-sha224", "SHA224", 1 },
	{ MORE "ecdsa-sha256", "SHA256", 1 },
	{ MORE "ecdsa-sha384", "SHA384", 1 },
	{ MORE "ecdsa-sha512", "SHA512", 1 },
	{ MORE "ecdsa-sha1", NULL, 1 },
	{ DSIG_NS "dsa-sha1", NULL, 2 },
};

static const char sha1_why[] = N_(
    "SHA-1 is no longer accepted (a digest or signature method of the "
    "signature)");

/* The entry of n's Algorithm among those of kind (-1 digests, else
 * signature methods), or -1. */
static int
alg_find(xmlNodePtr n, int digest)
{
	xmlChar *a = n != NULL ? xmlGetProp(n, (const xmlChar *)"Algorithm")
			       : NULL;
	size_t i;
	int k = -1;

	for (i = 0; a != NULL && i < sizeof(algs) / sizeof(algs[0]); i++)
		if ((algs[i].ec < 0) == digest &&
		    strcmp((const char *)a, algs[i].uri) == 0) {
			k = (int)i;
			break;
		}
	xmlFree(a);
	return k;
}

int
alg_is(xmlNodePtr n, const char *alg)
{
	xmlChar *a = n != NULL ? xmlGetProp(n, (const xmlChar *)"Algorithm")
			       : NULL;
	int eq = a != NULL && strcmp((const char *)a, alg) == 0;

	xmlFree(a);
	return eq;
}

static int
is_ds(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	    xmlStrEqual(n->ns->href, (const xmlChar *)DSIG_NS) &&
	    xmlStrEqual(n->name, (const xmlChar *)name);
}

xmlNodePtr
ds_child(xmlNodePtr n, const char *name)
{
	for (n = n != NULL ? n->children : NULL; n != NULL; n = n->next)
		if (is_ds(n, name))
			return n;
	return NULL;
}

xmlNodePtr
ds_next(xmlNodePtr n, const char *name)
{
	for (n = n->next; n != NULL; n = n->next)
		if (is_ds(n, name))
			return n;
	return NULL;
}

int
xmldsig_c14n_mode(xmlNodePtr cm)
{
	return alg_is(cm, ALG_C14N) ? 1 : alg_is(cm, ALG_EXC_C14N) ? 0 : -1;
}

int
xmldsig_signature_method(xmlNodePtr sm, const EVP_MD **md, int *ec,
    const char **why)
{
	int k = alg_find(sm, 0);
	const EVP_MD *m = NULL;

	if (k >= 0 && algs[k].md == NULL) {
		*why = sha1_why;
		return KYSO_ERR_UNSUPPORTED;
	}
	if (k < 0 || algs[k].ec > 1 ||
	    (m = EVP_get_digestbyname(algs[k].md)) == NULL) {
		*why = N_("the signature method is not supported (RSA or ECDSA "
			  "with SHA-224, SHA-256, SHA-384, SHA-512)");
		return KYSO_ERR_UNSUPPORTED;
	}
	*md = m;
	*ec = algs[k].ec;
	return 0;
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
c14n_digest(xmlDocPtr doc, struct nodeset *set, int inclusive, const EVP_MD *md,
    uint8_t *out, unsigned *len)
{
	xmlOutputBufferPtr ob = xmlAllocOutputBuffer(NULL);
	int r = KYSO_ERR_INVALID;

	if (ob == NULL)
		return KYSO_ERR_NOMEM;
	if (xmlC14NExecute(doc, visible, set,
		inclusive ? XML_C14N_1_0 : XML_C14N_EXCLUSIVE_1_0, NULL, 0,
		ob) < 0)
		goto out;
	if (EVP_Digest(xmlOutputBufferGetContent(ob),
		xmlOutputBufferGetSize(ob), out, len, md, NULL) != 1) {
		r = KYSO_ERR_CRYPTO;
		goto out;
	}
	r = 0;
out:
	xmlOutputBufferClose(ob);
	return r;
}

int
xmldsig_ref_read(xmlDocPtr doc, xmlNodePtr ref, struct xmldsig_ref *out,
    const char **why)
{
	xmlChar *uri = xmlGetProp(ref, (const xmlChar *)"URI");
	xmlNodePtr t, target = NULL;
	const EVP_MD *md = NULL;
	int enveloped = 0, mode = -1, k, missing;

	if (uri != NULL && uri[0] == '#')
		target = find_by_id(xmlDocGetRootElement(doc),
		    (const char *)uri + 1, 0);
	missing = uri == NULL || (uri[0] != '\0' && target == NULL);
	xmlFree(uri);
	if (missing) {
		*why = N_("a reference names no element of the document");
		return KYSO_ERR_NOT_FOUND;
	}
	for (t = ds_child(ds_child(ref, "Transforms"), "Transform"); t != NULL;
	     t = ds_next(t, "Transform")) {
		if (alg_is(t, ALG_ENVELOPED)) {
			enveloped = 1;
		} else if ((k = xmldsig_c14n_mode(t)) >= 0) {
			mode = k;
		} else {
			*why = N_("a reference uses a transform kyso-sign does "
				  "not support (enveloped, C14N 1.0, exclusive "
				  "C14N)");
			return KYSO_ERR_UNSUPPORTED;
		}
	}
	if ((k = alg_find(ds_child(ref, "DigestMethod"), 1)) < 0 ||
	    (algs[k].md != NULL &&
		(md = EVP_get_digestbyname(algs[k].md)) == NULL)) {
		*why = N_("a reference's digest method is not supported "
			  "(SHA-224, SHA-256, SHA-384, SHA-512)");
		return KYSO_ERR_UNSUPPORTED;
	}
	if (algs[k].md == NULL) {
		*why = sha1_why;
		return KYSO_ERR_UNSUPPORTED;
	}
	out->target = target;
	out->md = md;
	out->enveloped = enveloped;
	out->inclusive = mode != 0;
	return 0;
}

int
xmldsig_ref_digest(xmlDocPtr doc, xmlNodePtr sig, const struct xmldsig_ref *ref,
    uint8_t *out, unsigned *len)
{
	struct nodeset set = { ref->target, ref->enveloped ? sig : NULL };

	return c14n_digest(doc, &set, ref->inclusive, ref->md, out, len);
}
