/* struct ca, for the files that speak OpenSSL (ca.c, csr.c, issue.c, ocsp.c, tsa.c). */
#ifndef KYSO_RA_CA_PRIV_H
#define KYSO_RA_CA_PRIV_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "ca_key.h"

struct ca {
	X509 *root, *issuing, *ocsp, *tsa;
	EVP_PKEY *ocsp_key, *tsa_key;
	/* a service key on the CA's token (else NULL, and the PEM key
	 * above signs): *_key is then its shape (ca_key_shape) */
	struct ca_key *ocsp_tok, *tsa_tok;
	struct ca_key *key;
	char *public_url;
	char *chain_pem, *issuing_pem, *root_pem;
	struct buf *root_crl; /* DER, or NULL */
	/* Subscriber certificates: the issuer's Name and the extensions
	 * all of them share, in DER (issue.c). */
	struct buf *issuer_der, *leaf_exts;
	int64_t not_before, not_after; /* the issuing CA's validity */
};

#define CA_SERIAL_LEN 16

/* A new random serial number: its bytes (positive, no leading zero) and
 * in lowercase hex. */
int ca_serial_new(uint8_t b[CA_SERIAL_LEN], char hex[64]) KYSO_WUR;

/* The request's SubjectPublicKeyInfo, its DER as it came, and the
 * subjectPublicKey bits in it (csr.c). */
void ca_csr_spki(const struct ca_csr *c, const uint8_t **spki, size_t *len,
    const uint8_t **bits, size_t *blen);

#endif
