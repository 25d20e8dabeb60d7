/* What xmldsig.c (signing) and xmldsig_verify.c share (xmldsig_ref.c):
 * the algorithms by their URIs, the canonical digest of a node set, and
 * a Reference read and digested as its transforms and DigestMethod say. */
#ifndef KYSO_XMLDSIG_INT_H
#define KYSO_XMLDSIG_INT_H

#include <stdint.h>

#include <libxml/tree.h>
#include <openssl/evp.h>

#include "common/err.h"

#define DSIG_NS		 "http://www.w3.org/2000/09/xmldsig#"
#define ALG_EXC_C14N	 "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_C14N	 "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
#define ALG_ENVELOPED	 DSIG_NS "enveloped-signature"
#define ALG_SHA256	 "http://www.w3.org/2001/04/xmlenc#sha256"
#define ALG_RSA_SHA256	 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_ECDSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

/* What C14N sees: the subtree of root (NULL: the document), without the
 * subtree of skip (the enveloped signature). */
struct nodeset {
	xmlNodePtr root;
	xmlNodePtr skip;
};

/* The digest by md of the canonical form (inclusive C14N 1.0 or
 * exclusive) of set into out (EVP_MAX_MD_SIZE bytes), its length in
 * *len. */
int c14n_digest(xmlDocPtr doc, struct nodeset *set, int inclusive,
    const EVP_MD *md, uint8_t *out, unsigned *len) KYSO_WUR;
/* The element whose Id, ID or id attribute is id (depth first). */
xmlNodePtr find_by_id(xmlNodePtr n, const char *id, int depth);
/* The first child element of n in the XML-DSig namespace named name;
 * the next sibling element of n of that name. */
xmlNodePtr ds_child(xmlNodePtr n, const char *name);
xmlNodePtr ds_next(xmlNodePtr n, const char *name);
/* Whether n's Algorithm attribute is alg. */
int alg_is(xmlNodePtr n, const char *alg);

/* A CanonicalizationMethod: 1 C14N 1.0, 0 exclusive C14N, -1 another. */
int xmldsig_c14n_mode(xmlNodePtr cm);
/* A SignatureMethod (RSA PKCS#1 v1.5 or ECDSA with SHA-224/256/384/512,
 * RFC 6931): its digest and whether it is ECDSA. KYSO_ERR_UNSUPPORTED
 * with *why for another, SHA-1 among them. */
int xmldsig_signature_method(xmlNodePtr sm, const EVP_MD **md, int *ec,
    const char **why) KYSO_WUR;

/* A Reference as read: what it names (NULL: the whole document), its
 * transforms (enveloped-signature, the C14N), its DigestMethod. */
struct xmldsig_ref {
	xmlNodePtr target;
	int enveloped;
	int inclusive; /* no C14N transform: C14N 1.0 */
	const EVP_MD *md;
};

/* Reads Reference ref of the document: KYSO_ERR_NOT_FOUND when its URI
 * names no element, KYSO_ERR_UNSUPPORTED for a transform or digest
 * kyso-sign does not support (SHA-1 among them), each with *why. */
int xmldsig_ref_read(xmlDocPtr doc, xmlNodePtr ref, struct xmldsig_ref *out,
    const char **why) KYSO_WUR;
/* The digest of what ref names, as its transforms say, sig being the
 * Signature an enveloped-signature transform leaves out. */
int xmldsig_ref_digest(xmlDocPtr doc, xmlNodePtr sig,
    const struct xmldsig_ref *ref, uint8_t *out, unsigned *len) KYSO_WUR;

#endif
