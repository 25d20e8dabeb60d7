#include "ca_priv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/x509_text.h"
#include "common/crypto.h"
#include "common/fsutil.h"

#define DAY (24 * 3600)

/* ---- helpers ---- */

static int
add_ext(X509 *issuer, X509 *subj, int nid, const char *val)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, subj, NULL, NULL, 0);
	if ((e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, val)) == NULL)
		return KYSO_ERR_CRYPTO;
	ok = X509_add_ext(subj, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : KYSO_ERR_CRYPTO;
}

static int
name_add(X509_NAME *n, int nid, const char *v)
{
	if (v == NULL || *v == '\0')
		return 0;
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
		   (const unsigned char *)v, -1, -1, 0)
	    ? 0
	    : KYSO_ERR_INVALID;
}

int
ca_serial_new(uint8_t b[CA_SERIAL_LEN], char hex[64])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (crypto_random(b, CA_SERIAL_LEN) != 0)
		return KYSO_ERR_CRYPTO;
	/* Positive, no leading zero byte: 126 random bits. */
	b[0] = (uint8_t)((b[0] & 0x7f) | 0x40);
	for (i = 0; i < CA_SERIAL_LEN; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 0x0f];
	}
	hex[2 * i] = '\0';
	return 0;
}

static int
random_serial(ASN1_INTEGER **out, char hex[64])
{
	uint8_t b[CA_SERIAL_LEN];
	BIGNUM *bn = NULL;
	int r;

	if ((r = ca_serial_new(b, hex)) != 0)
		return r;
	r = KYSO_ERR_CRYPTO;
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL &&
	    (*out = BN_to_ASN1_INTEGER(bn, NULL)) != NULL)
		r = 0;
	BN_free(bn);
	return r;
}

static X509 *
cert_new(X509_NAME *subject, X509 *issuer, EVP_PKEY *pub, int64_t nb,
    int64_t na, char hex[64])
{
	X509 *x = X509_new();
	ASN1_INTEGER *sn = NULL;

	if (x == NULL || X509_set_version(x, 2) != 1 ||
	    random_serial(&sn, hex) != 0 || X509_set_serialNumber(x, sn) != 1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x,
		issuer ? X509_get_subject_name(issuer) : subject) != 1 ||
	    (pub != NULL && X509_set_pubkey(x, pub) != 1) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL) {
		ASN1_INTEGER_free(sn);
		X509_free(x);
		return NULL;
	}
	ASN1_INTEGER_free(sn);
	return x;
}

static char *
pem_of_cert(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (b != NULL && PEM_write_bio_X509(b, x) == 1 &&
	    (n = BIO_get_mem_data(b, &p)) > 0 && (s = malloc((size_t)n + 1))) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

static int
write_cert(const char *dir, const char *file, X509 *x)
{
	char *path = path_join(dir, file), *pem = pem_of_cert(x);
	int r = KYSO_ERR_NOMEM;

	if (path != NULL && pem != NULL)
		r = file_write_atomic(path, pem, strlen(pem), 0644);
	free(path);
	free(pem);
	return r;
}

static int
write_key(const char *dir, const char *file, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *path = path_join(dir, file), *p = NULL;
	long n;
	int r = KYSO_ERR_CRYPTO;

	if (b == NULL || path == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if (PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (n = BIO_get_mem_data(b, &p)) <= 0)
		goto out;
	r = file_write_atomic(path, p, (size_t)n, 0600);
	OPENSSL_cleanse(p, (size_t)n);
out:
	BIO_free(b);
	free(path);
	return r;
}

/* A PEM file of dir (or a path, dir ""): a certificate, or with key set a
 * private key. */
static int
read_pem(const char *dir, const char *file, int key, void **out)
{
	char *path = *dir ? path_join(dir, file) : strdup(file);
	struct buf *b = NULL;
	BIO *bio = NULL;
	void *v = NULL;
	int r;

	if (path == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = file_read(path, 1 << 20, &b)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	if ((bio = BIO_new_mem_buf(buf_ptr(b), (int)buf_len(b))) == NULL)
		goto out;
	v = key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
		: (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
	if (v == NULL)
		goto out;
	*out = v;
	r = 0;
out:
	BIO_free(bio);
	buf_free(b);
	free(path);
	return r;
}

static int
read_cert(const char *dir, const char *file, X509 **out)
{
	void *v;
	int r;

	if ((r = read_pem(dir, file, 0, &v)) == 0)
		*out = v;
	return r;
}

static int
read_key(const char *dir, const char *file, EVP_PKEY **out)
{
	void *v;
	int r;

	if ((r = read_pem(dir, file, 1, &v)) == 0)
		*out = v;
	return r;
}

static X509_NAME *
ca_name(const char *org, const char *cn)
{
	X509_NAME *n = X509_NAME_new();

	if (n == NULL || name_add(n, NID_countryName, "VN") != 0 ||
	    name_add(n, NID_organizationName, org) != 0 ||
	    name_add(n, NID_commonName, cn) != 0) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* What tells the OCSP responder's and the TSA's certificates apart. The
 * TSA's names where its revocation is published (CRL DP, AIA), as a
 * subscriber's does: a time-stamp's verifier checks it. The responder's
 * carries id-pkix-ocsp-nocheck instead (RFC 6960 4.2.2.2.1). */
static const struct service {
	const char *file, *key, *cn, *eku;
	int nocheck, urls;
} services[] = {
	[CA_SVC_OCSP] = { "ocsp", "ocsp-key.pem", "OCSP Responder",
	    "OCSPSigning", 1, 0 },
	[CA_SVC_TSA] = { "tsa", "tsa-key.pem", "Time-Stamping Authority",
	    "critical,timeStamping", 0, 1 },
};

/* A certificate for a service key (OCSP, TSA) under the issuing CA, for
 * 5 years or until the issuing CA ends; written to dir with its new key,
 * or for key (on a token) without a key file (an old one is removed). */
static int
service_cert(X509 *issuing, struct ca_key *s, const char *org, enum ca_service w,
    const char *public_url, const char *dir, const struct ca_key *key)
{
	const struct service *sv = &services[w];
	X509_NAME *n = NULL;
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	char hex[64], cn[512], val[1024], certf[32];
	int64_t now = (int64_t)time(NULL), end = now + 5 * 365L * DAY;
	struct tm tm;
	int r = KYSO_ERR_CRYPTO;

	snprintf(cn, sizeof(cn), "%s %s", org, sv->cn);
	snprintf(certf, sizeof(certf), "%s.pem", sv->file);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(issuing), &tm) == 1 &&
	    (int64_t)timegm(&tm) < end)
		end = (int64_t)timegm(&tm);
	if ((n = ca_name(org, cn)) == NULL ||
	    (key == NULL && (r = ca_key_keygen("p256", &k)) != 0))
		goto out;
	r = KYSO_ERR_CRYPTO;
	if ((x = cert_new(n, issuing, key ? ca_key_pub(key) : k, now - 300, end,
		 hex)) == NULL)
		goto out;
	if ((r = add_ext(issuing, x, NID_basic_constraints, "critical,CA:FALSE")) ||
	    (r = add_ext(issuing, x, NID_key_usage,
		 "critical,digitalSignature,nonRepudiation")) ||
	    (r = add_ext(issuing, x, NID_ext_key_usage, sv->eku)) ||
	    (r = add_ext(issuing, x, NID_subject_key_identifier, "hash")) ||
	    (r = add_ext(issuing, x, NID_authority_key_identifier,
		 "keyid:always")))
		goto out;
	if (sv->nocheck &&
	    (r = add_ext(issuing, x, NID_id_pkix_OCSP_noCheck, "ignored")) != 0)
		goto out;
	if (sv->urls && public_url != NULL) {
		snprintf(val, sizeof(val), "URI:%s/crl", public_url);
		if ((r = add_ext(issuing, x, NID_crl_distribution_points, val)))
			goto out;
		snprintf(val, sizeof(val),
		    "OCSP;URI:%s/ocsp,caIssuers;URI:%s/ca.crt", public_url,
		    public_url);
		if ((r = add_ext(issuing, x, NID_info_access, val)))
			goto out;
	}
	/* The key first: a certificate is never there without its key. */
	if ((r = ca_key_sign_x509(s, &x)) != 0 ||
	    (k != NULL && (r = write_key(dir, sv->key, k)) != 0) ||
	    (r = write_cert(dir, certf, x)) != 0)
		goto out;
	if (key != NULL) {
		char *kp = path_join(dir, sv->key);

		r = kp == NULL				 ? KYSO_ERR_NOMEM
		    : unlink(kp) == 0 || errno == ENOENT ? 0
							 : KYSO_ERR_IO;
		free(kp);
		if (r != 0)
			goto out;
	}
	r = 0;
out:
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	X509_free(x);
	return r;
}

/* A certificate's serial in the lower-case hex the database keeps. */
static int
cert_serial_hex(X509 *x, char out[64])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn ? BN_bn2hex(bn) : NULL;
	int r = h ? ca_serial_norm(h, out) : KYSO_ERR_CRYPTO;

	OPENSSL_free(h);
	BN_free(bn);
	return r;
}

static int
cert_times(X509 *x, int64_t *nb, int64_t *na)
{
	struct tm b, a;

	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &b) != 1 ||
	    ASN1_TIME_to_tm(X509_get0_notAfter(x), &a) != 1)
		return KYSO_ERR_CORRUPT;
	*nb = (int64_t)timegm(&b);
	*na = (int64_t)timegm(&a);
	return 0;
}

int
ca_service_info(const char *dir, enum ca_service w, struct ca_issued *out)
{
	char certf[32];
	X509 *x = NULL;
	struct ca_issued i = { .pem = NULL };
	int r;

	snprintf(certf, sizeof(certf), "%s.pem", services[w].file);
	if ((r = read_cert(dir, certf, &x)) != 0 ||
	    (r = cert_serial_hex(x, i.serial)) != 0 ||
	    (r = cert_times(x, &i.not_before, &i.not_after)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((i.pem = pem_of_cert(x)) == NULL)
		goto out;
	*out = i;
	r = 0;
out:
	X509_free(x);
	return r;
}

const char *
ca_service_name(enum ca_service w)
{
	return services[w].file;
}

int
ca_service_rotate(const char *dir, enum ca_service w, struct ca_key *issuing,
    const struct ca_key *key, const char *public_url, char old_serial[64])
{
	X509 *ca = NULL, *old = NULL;
	EVP_PKEY *k = NULL;
	struct ca_key *own = NULL;
	char *org = NULL, kept[128], certf[32];
	int64_t nb, na, now = (int64_t)time(NULL);
	int i, r;

	snprintf(certf, sizeof(certf), "%s.pem", services[w].file);
	if (issuing == NULL) {
		if ((r = read_key(dir, "ca-key.pem", &k)) != 0 ||
		    (r = ca_key_from_pkey(k, &own)) != 0)
			goto out;
		k = NULL;
		issuing = own;
	}
	if ((r = read_cert(dir, "ca.pem", &ca)) != 0 ||
	    (r = read_cert(dir, certf, &old)) != 0 ||
	    (r = cert_serial_hex(old, old_serial)) != 0 ||
	    (r = cert_times(ca, &nb, &na)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	if (EVP_PKEY_eq(X509_get0_pubkey(ca), ca_key_pub(issuing)) != 1)
		goto out;
	/* As for subscribers: nothing is issued outside the CA's validity. */
	r = KYSO_ERR_PERMISSION;
	if (now < nb || now >= na)
		goto out;
	r = KYSO_ERR_CORRUPT;
	i = X509_NAME_get_index_by_NID(X509_get_subject_name(ca),
	    NID_organizationName, -1);
	if (i < 0 ||
	    ASN1_STRING_to_UTF8((unsigned char **)&org,
		X509_NAME_ENTRY_get_data(
		    X509_NAME_get_entry(X509_get_subject_name(ca), i))) < 0)
		goto out;
	/* The old certificate stays beside the new one: time-stamps and
	 * responses it signed are verified with it. */
	snprintf(kept, sizeof(kept), "%s-%s.pem", services[w].file, old_serial);
	if ((r = write_cert(dir, kept, old)) != 0)
		goto out;
	r = service_cert(ca, issuing, org, w, public_url, dir, key);
out:
	EVP_PKEY_free(k);
	ca_key_free(own);
	OPENSSL_free(org);
	X509_free(ca);
	X509_free(old);
	return r;
}

/* A DER CRL of the root (no revoked issuing CAs), valid for a year. */
static int
root_crl(const char *dir, X509 *root, EVP_PKEY *rootk, uint64_t number)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e = NULL;
	uint8_t *p = NULL;
	char *path = path_join(dir, "root.crl");
	time_t now = time(NULL);
	int len, r = KYSO_ERR_CRYPTO;

	if (c == NULL || t == NULL || num == NULL || path == NULL)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, root, NULL, NULL, c, 0);
	if (X509_CRL_set_version(c, 1) != 1 ||
	    X509_CRL_set_issuer_name(c, X509_get_subject_name(root)) != 1 ||
	    ASN1_TIME_set(t, now) == NULL || X509_CRL_set1_lastUpdate(c, t) != 1 ||
	    ASN1_TIME_set(t, now + 365L * DAY) == NULL ||
	    X509_CRL_set1_nextUpdate(c, t) != 1 ||
	    ASN1_INTEGER_set_uint64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0) != 1 ||
	    (e = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
		 "keyid:always")) == NULL ||
	    X509_CRL_add_ext(c, e, -1) != 1 ||
	    X509_CRL_sign(c, rootk, EVP_sha256()) <= 0 ||
	    (len = i2d_X509_CRL(c, &p)) <= 0)
		goto out;
	r = file_write_atomic(path, p, (size_t)len, 0644);
out:
	OPENSSL_free(p);
	free(path);
	X509_EXTENSION_free(e);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	X509_CRL_free(c);
	return r;
}

int
ca_root_crl_renew(const char *dir)
{
	X509 *root = NULL;
	EVP_PKEY *k = NULL;
	struct buf *old = NULL;
	char *path = path_join(dir, "root.crl");
	X509_CRL *c = NULL;
	const uint8_t *p;
	uint64_t number = 1;
	int r;

	if (path == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = read_cert(dir, "root.pem", &root)) != 0 ||
	    (r = read_key(dir, "root-key.pem", &k)) != 0)
		goto out;
	/* The next CRL number after the one published. */
	if (file_read(path, 1 << 20, &old) == 0) {
		ASN1_INTEGER *n;

		p = buf_ptr(old);
		if ((c = d2i_X509_CRL(NULL, &p, (long)buf_len(old))) != NULL &&
		    (n = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL)) !=
			NULL) {
			if (ASN1_INTEGER_get_uint64(&number, n) == 1)
				number++;
			ASN1_INTEGER_free(n);
		}
	}
	r = root_crl(dir, root, k, number);
out:
	X509_CRL_free(c);
	buf_free(old);
	free(path);
	X509_free(root);
	EVP_PKEY_free(k);
	return r;
}

int
ca_create(const char *dir, const char *name, const char *key_type,
    struct ca_key *issuing, const struct ca_root *existing,
    const char *public_url)
{
	EVP_PKEY *rootk = NULL, *cak = NULL;
	struct ca_key *own = NULL;
	X509_NAME *rn = NULL, *cn = NULL;
	X509 *root = NULL, *ca = NULL;
	char hex[64], cnbuf[512];
	int64_t now = (int64_t)time(NULL), ca_end = now + 10 * 365L * DAY;
	int r;

	if (existing != NULL) {
		struct tm tm;

		/* An existing root: its key signs the issuing CA now and is
		 * not kept. */
		if ((r = read_cert("", existing->cert, &root)) != 0 ||
		    (r = read_key("", existing->key, &rootk)) != 0)
			goto out;
		r = KYSO_ERR_INVALID;
		if (X509_check_private_key(root, rootk) != 1 ||
		    X509_check_ca(root) == 0 ||
		    ASN1_TIME_to_tm(X509_get0_notAfter(root), &tm) != 1) {
			fprintf(stderr,
			    "kyso-ra: the root certificate is not a CA "
			    "or does not match its key\n");
			goto out;
		}
		if ((int64_t)timegm(&tm) < ca_end)
			ca_end = (int64_t)timegm(&tm);
	} else if ((r = ca_key_keygen(key_type, &rootk)) != 0) {
		goto out;
	}
	if (issuing == NULL) {
		if ((r = ca_key_keygen(key_type, &cak)) != 0 ||
		    (r = write_key(dir, "ca-key.pem", cak)) != 0 ||
		    (r = ca_key_from_pkey(cak, &own)) != 0)
			goto out;
		cak = NULL;
		issuing = own;
	}
	r = KYSO_ERR_CRYPTO;
	snprintf(cnbuf, sizeof(cnbuf), "%s Issuing CA", name);
	if ((cn = ca_name(name, cnbuf)) == NULL)
		goto out;
	if (root == NULL) {
		snprintf(cnbuf, sizeof(cnbuf), "%s Root CA", name);
		if ((rn = ca_name(name, cnbuf)) == NULL)
			goto out;
		if ((root = cert_new(rn, NULL, rootk, now - 300,
			 now + 20 * 365L * DAY, hex)) == NULL)
			goto out;
		if ((r = add_ext(root, root, NID_basic_constraints,
			 "critical,CA:TRUE")) ||
		    (r = add_ext(root, root, NID_key_usage,
			 "critical,keyCertSign,cRLSign")) ||
		    (r = add_ext(root, root, NID_subject_key_identifier, "hash")))
			goto out;
		r = KYSO_ERR_CRYPTO;
		if (X509_sign(root, rootk, EVP_sha256()) <= 0)
			goto out;
		if ((r = write_key(dir, "root-key.pem", rootk)) != 0)
			goto out;
		r = KYSO_ERR_CRYPTO;
	}
	if ((ca = cert_new(cn, root, ca_key_pub(issuing), now - 300, ca_end,
		 hex)) == NULL)
		goto out;
	{
		/* Where relying parties find whether the issuing CA is
		 * revoked (the root's CRL: ours, or the existing root's
		 * owner's), and the root it chains to. */
		char val[1024];

		val[0] = '\0';
		if (existing == NULL && public_url != NULL)
			snprintf(val, sizeof(val), "URI:%s/root.crl", public_url);
		else if (existing != NULL && existing->crl_url != NULL)
			snprintf(val, sizeof(val), "URI:%s", existing->crl_url);
		if (val[0] != '\0' &&
		    (r = add_ext(root, ca, NID_crl_distribution_points, val)))
			goto out;
		if (public_url != NULL) {
			snprintf(val, sizeof(val), "caIssuers;URI:%s/root.crt",
			    public_url);
			if ((r = add_ext(root, ca, NID_info_access, val)))
				goto out;
		}
	}
	if ((r = add_ext(root, ca, NID_basic_constraints,
		 "critical,CA:TRUE,pathlen:0")) ||
	    (r = add_ext(root, ca, NID_key_usage, "critical,keyCertSign,cRLSign")) ||
	    (r = add_ext(root, ca, NID_subject_key_identifier, "hash")) ||
	    (r = add_ext(root, ca, NID_authority_key_identifier, "keyid:always")))
		goto out;
	r = KYSO_ERR_CRYPTO;
	if (X509_sign(ca, rootk, EVP_sha256()) <= 0)
		goto out;
	if (existing == NULL && (r = root_crl(dir, root, rootk, 1)) != 0)
		goto out;
	if ((r = write_cert(dir, "root.pem", root)) != 0 ||
	    (r = write_cert(dir, "ca.pem", ca)) != 0)
		goto out;
	if ((r = service_cert(ca, issuing, name, CA_SVC_OCSP, public_url, dir,
		 NULL)) != 0 ||
	    (r = service_cert(ca, issuing, name, CA_SVC_TSA, public_url, dir,
		 NULL)) != 0)
		goto out;
	r = 0;
out:
	EVP_PKEY_free(rootk);
	EVP_PKEY_free(cak);
	ca_key_free(own);
	X509_NAME_free(rn);
	X509_NAME_free(cn);
	X509_free(root);
	X509_free(ca);
	return r;
}

static char *
concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

/* What every subscriber certificate shares, in DER, made once: the
 * issuer's name and the extensions that do not depend on the subject. */
static int
leaf_parts(struct ca *ca)
{
	X509 *t = X509_new();
	char val[1024];
	uint8_t *der = NULL;
	int i, n, r = KYSO_ERR_NOMEM;

	if (t == NULL || (ca->issuer_der = buf_new(0)) == NULL ||
	    (ca->leaf_exts = buf_new(0)) == NULL)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if ((n = i2d_X509_NAME(X509_get_subject_name(ca->issuing), &der)) <= 0 ||
	    (r = buf_put(ca->issuer_der, der, (size_t)n)) != 0)
		goto out;
	if ((r = add_ext(ca->issuing, t, NID_basic_constraints,
		 "critical,CA:FALSE")) ||
	    (r = add_ext(ca->issuing, t, NID_key_usage,
		 "critical,digitalSignature,nonRepudiation")) ||
	    (r = add_ext(ca->issuing, t, NID_ext_key_usage,
		 "emailProtection,clientAuth")) ||
	    (r = add_ext(ca->issuing, t, NID_authority_key_identifier,
		 "keyid:always")))
		goto out;
	snprintf(val, sizeof(val), "URI:%s/crl", ca->public_url);
	if ((r = add_ext(ca->issuing, t, NID_crl_distribution_points, val)))
		goto out;
	snprintf(val, sizeof(val), "OCSP;URI:%s/ocsp,caIssuers;URI:%s/ca.crt",
	    ca->public_url, ca->public_url);
	if ((r = add_ext(ca->issuing, t, NID_info_access, val)))
		goto out;
	for (i = 0; i < X509_get_ext_count(t); i++) {
		OPENSSL_free(der);
		der = NULL;
		r = KYSO_ERR_CRYPTO;
		if ((n = i2d_X509_EXTENSION(X509_get_ext(t, i), &der)) <= 0 ||
		    (r = buf_put(ca->leaf_exts, der, (size_t)n)) != 0)
			goto out;
	}
	r = 0;
out:
	OPENSSL_free(der);
	X509_free(t);
	return r;
}

int
ca_load(const char *dir, struct ca_key *issuing, const char *public_url,
    struct ca **out)
{
	struct ca *ca = calloc(1, sizeof(*ca));
	EVP_PKEY *k = NULL;
	int r = KYSO_ERR_NOMEM;

	if (ca == NULL) {
		ca_key_free(issuing);
		return r;
	}
	ca->key = issuing;
	if ((ca->public_url = strdup(public_url)) == NULL)
		goto fail;
	if ((r = read_cert(dir, "root.pem", &ca->root)) != 0 ||
	    (r = read_cert(dir, "ca.pem", &ca->issuing)) != 0 ||
	    (r = read_cert(dir, "ocsp.pem", &ca->ocsp)) != 0 ||
	    (r = read_cert(dir, "tsa.pem", &ca->tsa)) != 0)
		goto fail;
	/* A service key on the token has no file: ca_set_service_key. */
	if (((r = read_key(dir, "ocsp-key.pem", &ca->ocsp_key)) != 0 &&
		r != KYSO_ERR_NOT_FOUND) ||
	    ((r = read_key(dir, "tsa-key.pem", &ca->tsa_key)) != 0 &&
		r != KYSO_ERR_NOT_FOUND))
		goto fail;
	{
		char *rp = path_join(dir, "root.crl");

		/* Absent under an existing root: its owner publishes it. */
		r = rp ? file_read(rp, 1 << 20, &ca->root_crl) : KYSO_ERR_NOMEM;
		free(rp);
		if (r != 0 && r != KYSO_ERR_NOT_FOUND)
			goto fail;
	}
	if (ca->key == NULL) {
		if ((r = read_key(dir, "ca-key.pem", &k)) != 0 ||
		    (r = ca_key_from_pkey(k, &ca->key)) != 0)
			goto fail;
		k = NULL;
	}
	r = KYSO_ERR_CORRUPT;
	if ((ca->ocsp_key != NULL &&
		X509_check_private_key(ca->ocsp, ca->ocsp_key) != 1) ||
	    (ca->tsa_key != NULL &&
		X509_check_private_key(ca->tsa, ca->tsa_key) != 1) ||
	    EVP_PKEY_eq(X509_get0_pubkey(ca->issuing), ca_key_pub(ca->key)) != 1) {
		fprintf(stderr, "kyso-ra: the CA files in %s do not match\n",
		    dir);
		goto fail;
	}
	{
		struct tm nb, na;

		if (ASN1_TIME_to_tm(X509_get0_notBefore(ca->issuing), &nb) != 1 ||
		    ASN1_TIME_to_tm(X509_get0_notAfter(ca->issuing), &na) != 1)
			goto fail;
		ca->not_before = (int64_t)timegm(&nb);
		ca->not_after = (int64_t)timegm(&na);
	}
	if ((r = leaf_parts(ca)) != 0)
		goto fail;
	r = KYSO_ERR_NOMEM;
	if ((ca->issuing_pem = pem_of_cert(ca->issuing)) == NULL ||
	    (ca->root_pem = pem_of_cert(ca->root)) == NULL ||
	    (ca->chain_pem = concat(ca->issuing_pem, ca->root_pem)) == NULL)
		goto fail;
	*out = ca;
	return 0;
fail:
	EVP_PKEY_free(k);
	ca_free(ca);
	return r;
}

void
ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->root);
	X509_free(ca->issuing);
	X509_free(ca->ocsp);
	X509_free(ca->tsa);
	EVP_PKEY_free(ca->ocsp_key);
	EVP_PKEY_free(ca->tsa_key);
	ca_key_free(ca->ocsp_tok);
	ca_key_free(ca->tsa_tok);
	ca_key_free(ca->key);
	free(ca->public_url);
	free(ca->chain_pem);
	free(ca->issuing_pem);
	free(ca->root_pem);
	buf_free(ca->root_crl);
	buf_free(ca->issuer_der);
	buf_free(ca->leaf_exts);
	free(ca);
}

int
ca_set_service_key(struct ca *ca, enum ca_service w, struct ca_key *k)
{
	X509 *cert = w == CA_SVC_OCSP ? ca->ocsp : ca->tsa;
	EVP_PKEY **key = w == CA_SVC_OCSP ? &ca->ocsp_key : &ca->tsa_key;
	struct ca_key **tok = w == CA_SVC_OCSP ? &ca->ocsp_tok : &ca->tsa_tok;

	if (EVP_PKEY_eq(X509_get0_pubkey(cert), ca_key_pub(k)) != 1) {
		ca_key_free(k);
		return KYSO_ERR_CORRUPT;
	}
	if (EVP_PKEY_up_ref(ca_key_shape(k)) != 1) {
		ca_key_free(k);
		return KYSO_ERR_CRYPTO;
	}
	EVP_PKEY_free(*key);
	*key = ca_key_shape(k);
	ca_key_free(*tok);
	*tok = k;
	return 0;
}

int64_t
ca_service_not_after(const struct ca *ca, enum ca_service w)
{
	return x509_text_epoch(
	    X509_get0_notAfter(w == CA_SVC_OCSP ? ca->ocsp : ca->tsa));
}

int
ca_service_ready(const struct ca *ca)
{
	return ca->ocsp_key != NULL && ca->tsa_key != NULL;
}

const char *
ca_chain_pem(const struct ca *ca)
{
	return ca->chain_pem;
}

const char *
ca_issuing_pem(const struct ca *ca)
{
	return ca->issuing_pem;
}

int64_t
ca_issuing_not_before(const struct ca *ca)
{
	return ca->not_before;
}

int64_t
ca_issuing_not_after(const struct ca *ca)
{
	return ca->not_after;
}

const char *
ca_root_pem(const struct ca *ca)
{
	return ca->root_pem;
}

const struct buf *
ca_root_crl(const struct ca *ca)
{
	return ca->root_crl;
}

static int
cert_der(X509 *x, struct buf *out)
{
	uint8_t *p = NULL;
	int len, r = KYSO_ERR_CRYPTO;

	if ((len = i2d_X509(x, &p)) > 0)
		r = buf_put(out, p, (size_t)len);
	OPENSSL_free(p);
	return r;
}

int
ca_root_der(const struct ca *ca, struct buf *out)
{
	return cert_der(ca->root, out);
}

int
ca_issuing_der(const struct ca *ca, struct buf *out)
{
	return cert_der(ca->issuing, out);
}

/* The text is read back from the DER issue.c writes, so the lookup shows
 * the name the certificate will carry, written in one place. */
int
ca_subject_dn(const struct ra_subject *s, char **out)
{
	struct buf *der = buf_new(0);
	X509_NAME *n = NULL;
	const unsigned char *p;
	char *dn;
	int r = KYSO_ERR_NOMEM;

	if (der == NULL || (r = ca_subject_der(s, der)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	p = buf_ptr(der);
	if ((n = d2i_X509_NAME(NULL, &p, (long)buf_len(der))) == NULL)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((dn = x509_text_name(n, X509_TEXT_RFC2253)) == NULL)
		goto out;
	*out = dn;
	r = 0;
out:
	X509_NAME_free(n);
	buf_free(der);
	return r;
}

int
ca_serial_norm(const char *in, char out[64])
{
	size_t i, n = strlen(in);

	while (n > 1 && *in == '0') {
		in++;
		n--;
	}
	if (n == 0 || n > 40)
		return KYSO_ERR_INVALID;
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)in[i]))
			return KYSO_ERR_INVALID;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[n] = '\0';
	return 0;
}

static ASN1_INTEGER *
serial_from_hex(const char *hex)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *a = NULL;

	if (BN_hex2bn(&bn, hex) == 0)
		return NULL;
	a = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return a;
}

int
ca_crl(struct ca *ca, const struct ca_revoked *rev, size_t n, uint64_t number,
    int hours, struct buf *der)
{
	X509_CRL *c = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();
	ASN1_INTEGER *num = ASN1_INTEGER_new();
	X509V3_CTX ctx;
	X509_EXTENSION *e = NULL;
	uint8_t *p = NULL;
	time_t now = time(NULL);
	size_t i;
	int len, r = KYSO_ERR_CRYPTO;

	if (c == NULL || t == NULL || num == NULL)
		goto out;
	if (X509_CRL_set_version(c, 1) != 1 ||
	    X509_CRL_set_issuer_name(c, X509_get_subject_name(ca->issuing)) != 1 ||
	    ASN1_TIME_set(t, now) == NULL || X509_CRL_set1_lastUpdate(c, t) != 1 ||
	    ASN1_TIME_set(t, now + (time_t)hours * 3600) == NULL ||
	    X509_CRL_set1_nextUpdate(c, t) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		X509_REVOKED *rv = X509_REVOKED_new();
		ASN1_INTEGER *sn = serial_from_hex(rev[i].serial);
		ASN1_TIME *rt = ASN1_TIME_set(NULL, (time_t)rev[i].revoked_at);
		ASN1_ENUMERATED *re = ASN1_ENUMERATED_new();
		int ok = rv && sn && rt && re &&
		    X509_REVOKED_set_serialNumber(rv, sn) == 1 &&
		    X509_REVOKED_set_revocationDate(rv, rt) == 1 &&
		    ASN1_ENUMERATED_set(re, rev[i].reason) == 1 &&
		    (rev[i].reason == 0 ||
			X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, re, 0,
			    0) == 1) &&
		    X509_CRL_add0_revoked(c, rv) == 1;

		ASN1_INTEGER_free(sn);
		ASN1_TIME_free(rt);
		ASN1_ENUMERATED_free(re);
		if (!ok) {
			X509_REVOKED_free(rv);
			goto out;
		}
	}
	if (X509_CRL_sort(c) != 1 || ASN1_INTEGER_set_uint64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca->issuing, NULL, NULL, c, 0);
	if ((e = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
		 "keyid:always")) == NULL ||
	    X509_CRL_add_ext(c, e, -1) != 1)
		goto out;
	if ((r = ca_key_sign_crl(ca->key, &c)) != 0)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if ((len = i2d_X509_CRL(c, &p)) <= 0)
		goto out;
	r = buf_put(der, p, (size_t)len);
out:
	OPENSSL_free(p);
	X509_EXTENSION_free(e);
	ASN1_TIME_free(t);
	ASN1_INTEGER_free(num);
	X509_CRL_free(c);
	return r;
}
