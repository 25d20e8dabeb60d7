#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/fsutil.h"

static int
make(const char *cpath, const char *kpath)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n = NULL;
	X509_EXTENSION *e = NULL;
	X509V3_CTX ctx;
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	uint8_t sn[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai = NULL;
	char *p;
	long len;
	int r = KYSO_ERR_CRYPTO;

	if (k == NULL || x == NULL || cb == NULL || kb == NULL ||
	    crypto_random(sn, sizeof(sn)) != 0)
		goto out;
	sn[0] &= 0x7f;
	if ((bn = BN_bin2bn(sn, sizeof(sn), NULL)) == NULL ||
	    (ai = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    X509_set_version(x, 2) != 1 || X509_set_serialNumber(x, ai) != 1 ||
	    (n = X509_get_subject_name(x)) == NULL ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		(const unsigned char *)"kyso-ra development", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, n) != 1 || X509_set_pubkey(x, k) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -300) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 825L * 24 * 3600) == NULL)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_nconf_nid(NULL, &ctx, NID_subject_alt_name,
		 "DNS:localhost,IP:127.0.0.1,IP:::1")) == NULL ||
	    X509_add_ext(x, e, -1) != 1)
		goto out;
	X509_EXTENSION_free(e);
	if ((e = X509V3_EXT_nconf_nid(NULL, &ctx, NID_basic_constraints,
		 "critical,CA:TRUE")) == NULL ||
	    X509_add_ext(x, e, -1) != 1)
		goto out;
	if (X509_sign(x, k, EVP_sha256()) <= 0 ||
	    PEM_write_bio_PrivateKey(kb, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(cb, x) != 1)
		goto out;
	if ((len = BIO_get_mem_data(kb, &p)) <= 0)
		goto out;
	r = file_write_atomic(kpath, p, (size_t)len, 0600);
	OPENSSL_cleanse(p, (size_t)len);
	if (r != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if ((len = BIO_get_mem_data(cb, &p)) <= 0)
		goto out;
	r = file_write_atomic(cpath, p, (size_t)len, 0644);
out:
	X509_EXTENSION_free(e);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(k);
	return r;
}

static int
slurp(const char *path, char **out)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, 1 << 20, &b)) != 0)
		return r;
	*out = buf_to_cstr(b);
	buf_free(b);
	return *out ? 0 : KYSO_ERR_INVALID;
}

int
tls_dev_cert(const char *dir, char **cert_pem, char **key_pem)
{
	char *cpath = path_join(dir, "tls.pem"),
	     *kpath = path_join(dir, "tls-key.pem");
	int r = KYSO_ERR_NOMEM;

	if (cpath == NULL || kpath == NULL)
		goto out;
	r = slurp(cpath, cert_pem);
	if (r == KYSO_ERR_NOT_FOUND) {
		if ((r = make(cpath, kpath)) != 0)
			goto out;
		r = slurp(cpath, cert_pem);
	}
	if (r != 0)
		goto out;
	if ((r = slurp(kpath, key_pem)) != 0) {
		free(*cert_pem);
		*cert_pem = NULL;
	}
out:
	free(cpath);
	free(kpath);
	return r;
}
