/* struct ca, for the files that speak OpenSSL (ca.c, ocsp.c, tsa.c). */
#ifndef KYSO_RA_CA_PRIV_H
#define KYSO_RA_CA_PRIV_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ca.h"
#include "signer.h"

struct ca {
	X509 *root, *issuing, *ocsp, *tsa;
	EVP_PKEY *ocsp_key, *tsa_key;
	struct signer *signer;
	char *public_url;
	char *chain_pem, *issuing_pem, *root_pem;
	struct buf *root_crl;   /* DER, or NULL */
};

#endif
