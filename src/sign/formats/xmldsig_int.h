/* What xmldsig.c (signing) and xmldsig_verify.c share. */
#ifndef KYSO_XMLDSIG_INT_H
#define KYSO_XMLDSIG_INT_H

#include <stdint.h>

#include <libxml/tree.h>

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

/* SHA-256 of the canonical form (inclusive C14N 1.0 or exclusive) of set. */
int c14n_sha256(xmlDocPtr doc, struct nodeset *set, int inclusive,
    uint8_t out[32]);
/* The element whose Id, ID or id attribute is id (depth first). */
xmlNodePtr find_by_id(xmlNodePtr n, const char *id, int depth);

#endif
