/* The CA: the root and issuing certificates, the OCSP responder and TSA
 * certificates, and issuing subscriber certificates and CRLs. The OpenSSL
 * calls of the RA live here and in ocsp.c, tsa.c, ca_key.c. */
#ifndef KYSO_RA_CA_H
#define KYSO_RA_CA_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct ca;
struct ca_csr;
struct ca_key;

/* What a subscriber certificate says about its subject (kyso types). */
struct ra_subject {
	const char *type;    /* "personal" or "organization" */
	const char *name;    /* the legal name, whole */
	const char *cn;	     /* the CN: common_name, else name */
	const char *org;     /* the O of an organization, else NULL */
	const char *id_kind; /* "CCCD", "CMND" or "MST" */
	const char *id_number;
	const char *province;
	const char *email;
};

struct ca_issued {
	char serial[64]; /* lower-case hex */
	char *pem;
	int64_t not_before, not_after;
};

struct ca_revoked {
	const char *serial; /* hex */
	int64_t revoked_at;
	int reason; /* CRLReason; 0 = unspecified (left out) */
};

/* Creates root, issuing CA (its key in PEM or held by signer), OCSP and
 * TSA certificates in dir. issuing: NULL makes a PEM key. root (or
 * NULL for a new root): put the issuing CA under that existing root (the
 * root key is used once and not kept). public_url (or NULL): the issuing
 * CA names public_url/root.crt, and with a new root public_url/root.crl
 * (dir/root.crl is made); under an existing root it names root->crl_url,
 * where the root's owner publishes its CRL, when given. */
struct ca_root {
	const char *cert, *key; /* PEM files */
	const char *crl_url;	/* or NULL */
};
int ca_create(const char *dir, const char *name, const char *key_type,
    struct ca_key *issuing, const struct ca_root *root,
    const char *public_url) KYSO_WUR;
/* The CA's service certificates, under the issuing CA: the delegated
 * OCSP responder (dir/ocsp.pem, ocsp-key.pem) and the TSA (tsa.pem,
 * tsa-key.pem). */
enum ca_service { CA_SVC_OCSP, CA_SVC_TSA };
/* "ocsp" or "tsa". */
const char *ca_service_name(enum ca_service w);
/* The service's current certificate in dir: serial, PEM, validity. */
int ca_service_info(const char *dir, enum ca_service w,
    struct ca_issued *out) KYSO_WUR;
/* A new key and certificate for the service, signed by issuing (NULL:
 * dir/ca-key.pem; it must be ca.pem's key, the CA valid now: else
 * KYSO_ERR_CORRUPT, KYSO_ERR_PERMISSION). The key is a new PEM file, or
 * key (one made on the CA's token), whose service then has no PEM file.
 * The TSA's names public_url's CRL and OCSP (none when NULL). The old
 * certificate is kept as dir/NAME-SERIAL.pem and its serial given in
 * old_serial; its key is gone. */
int ca_service_rotate(const char *dir, enum ca_service w,
    struct ca_key *issuing, const struct ca_key *key, const char *public_url,
    char old_serial[64]) KYSO_WUR;
/* Signs dir/root.crl again (a year more) with dir/root-key.pem. */
int ca_root_crl_renew(const char *dir) KYSO_WUR;
/* Loads dir; takes ownership of issuing (NULL: dir/ca-key.pem). */
int ca_load(const char *dir, struct ca_key *issuing, const char *public_url,
    struct ca **out) KYSO_WUR;
void ca_free(struct ca *ca);
/* The service's key on a token (ra.conf's ocsp_key_id, tsa_key_id) in
 * place of its PEM file; takes k (KYSO_ERR_CORRUPT: not the key of the
 * service's certificate). */
int ca_set_service_key(struct ca *ca, enum ca_service w,
    struct ca_key *k) KYSO_WUR;
/* The loaded service certificate's notAfter (seconds since 1970). */
int64_t ca_service_not_after(const struct ca *ca, enum ca_service w);
/* 1 when both service keys are there (a file, or set from a token). */
int ca_service_ready(const struct ca *ca);

/* The PEM chain: issuing CA, then root. */
const char *ca_chain_pem(const struct ca *ca);
const char *ca_issuing_pem(const struct ca *ca);
/* The issuing CA's validity (seconds since 1970). A certificate it issues
 * ends no later than it does; outside it nothing is issued. */
int64_t ca_issuing_not_before(const struct ca *ca);
int64_t ca_issuing_not_after(const struct ca *ca);
/* serve warns this long before the issuing CA expires: from then on the
 * longest validity (3 years) is cut short. */
#define CA_EXPIRY_WARN (3 * 365 * 86400LL)
const char *ca_root_pem(const struct ca *ca);
/* The root's CRL (DER) made at init, or NULL. */
const struct buf *ca_root_crl(const struct ca *ca);
int ca_root_der(const struct ca *ca, struct buf *out) KYSO_WUR;
/* The issuing CA certificate in DER (what AIA caIssuers points at). */
int ca_issuing_der(const struct ca *ca, struct buf *out) KYSO_WUR;

/* Parses and checks a PKCS#10 request: KYSO_ERR_INVALID (not a CSR),
 * KYSO_ERR_CRYPTO (its signature does not verify), KYSO_ERR_UNSUPPORTED
 * (weak or unsupported key, weak hash), KYSO_ERR_PERMISSION (a key of
 * another type than key_type). */
int ca_csr_parse(const char *pem, size_t len, const char *key_type,
    struct ca_csr **out) KYSO_WUR;
void ca_csr_free(struct ca_csr *c);

/* The subject's Name (C, ST, [O,] CN, UID, emailAddress; an RDN each)
 * as DER, appended to out, as OpenSSL's X509_NAME_add_entry_by_NID and
 * i2d_X509_NAME wrote it (subject.c). KYSO_ERR_INVALID for a value it
 * refused (over its attribute's upper bound, not well-formed UTF-8, an
 * e-mail not ASCII or empty), KYSO_ERR_NOMEM. */
int ca_subject_der(const struct ra_subject *s, struct buf *out) KYSO_WUR;
/* The same name as RFC 4514 text (UTF-8). */
int ca_subject_dn(const struct ra_subject *s, char **out) KYSO_WUR;
/* Issues a certificate for the CSR's key with the subject built here. */
int ca_issue(struct ca *ca, const struct ca_csr *csr,
    const struct ra_subject *s, int years, struct ca_issued *out) KYSO_WUR;
void ca_issued_clear(struct ca_issued *i);
/* A DER CRL of the revoked certificates, valid for hours. */
int ca_crl(struct ca *ca, const struct ca_revoked *rev, size_t n,
    uint64_t number, int hours, struct buf *der) KYSO_WUR;
/* Lower-case hex serial, checked: 1..40 hex digits. */
int ca_serial_norm(const char *in, char out[64]) KYSO_WUR;

#endif
