/* The PKCS#11 client every kyso program uses: loads any module (ours,
 * SoftHSM2, OpenSC, a vendor's) and finds tokens on it. */
#ifndef KYSO_P11_H
#define KYSO_P11_H

#include "p11-kit/pkcs11.h"

#include "../common/err.h"

struct p11;

/* path NULL: $KYSO_MODULE, else our module beside the program, else the
 * installed one. */
int p11_open(const char *path, struct p11 **out) KYSO_WUR;
void p11_free(struct p11 *p);
CK_FUNCTION_LIST *p11_fn(const struct p11 *p);
const char *p11_path(const struct p11 *p);
/* The slot whose token has this serial or label; NULL wants the one
 * initialized token present (KYSO_ERR_BUSY when there are several). */
int p11_find_token(struct p11 *p, const char *want, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *info) KYSO_WUR;
/* A padded PKCS#11 string field without its trailing blanks. */
void p11_str(const CK_UTF8CHAR *s, size_t n, char *out);
const char *p11_rv_name(CK_RV rv);
/* The kyso error a CK_RV means to a caller. */
int p11_err(CK_RV rv);

#include <stddef.h>
#include <stdint.h>

#include "../common/buf.h"

/* A signing key on a token: the private key and what the signature
 * algorithm needs to know about it. */
struct p11_key {
	CK_OBJECT_HANDLE priv;
	CK_OBJECT_HANDLE cert;         /* CK_INVALID_HANDLE when none */
	CK_KEY_TYPE type;              /* CKK_RSA or CKK_EC */
	uint8_t id[64];
	size_t idlen;
};

/* Finds the private key whose CKA_ID is id (idlen bytes), or, with id
 * NULL, the only private key that has a certificate with the same CKA_ID.
 * The session must be logged in. KYSO_ERR_BUSY when several match. */
int p11_find_key(struct p11 *p, CK_SESSION_HANDLE s, const uint8_t *id,
    size_t idlen, struct p11_key *out) KYSO_WUR;
/* Reads one attribute into a new buffer (capped at 1 MiB). */
int p11_get_attr(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_ATTRIBUTE_TYPE t, struct buf **out) KYSO_WUR;
/* The issuers of cert (DER) among the token's certificates, nearest
 * first: each one's subject is the one before's issuer and its key
 * verifies the one before's signature; it ends at a self-signed one, at
 * one the token lacks, or after max. Appends new DER buffers to out from
 * out[*n] on and counts them in *n. */
int p11_cert_chain(struct p11 *p, CK_SESSION_HANDLE s, const struct buf *cert,
    struct buf **out, size_t max, size_t *n) KYSO_WUR;
/* Signs a digest the caller computed (SHA-256/384/512, by its length):
 * RSA keys get PKCS#1 v1.5 with the DigestInfo built here (CKM_RSA_PKCS),
 * EC keys CKM_ECDSA. Appends the signature to sig: raw for RSA, DER
 * ECDSA-Sig-Value for EC (what X.509, CMS and XML-DSig... expect; XML-DSig
 * wants r||s: see p11_ecdsa_der_to_raw). */
int p11_sign_digest(struct p11 *p, CK_SESSION_HANDLE s,
    const struct p11_key *k, const uint8_t *digest, size_t dlen,
    struct buf *sig) KYSO_WUR;

/* The public key of a key pair on the token as DER SubjectPublicKeyInfo:
 * CKA_PUBLIC_KEY_INFO where the module has it, else built from the public
 * key object's components. */
int p11_public_key(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k,
    struct buf *spki) KYSO_WUR;
/* A PKCS#10 request for key k, signed on the token (proof of possession),
 * with subject CN=cn, appended to pem as PEM. */
int p11_make_csr(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k,
    const char *cn, struct buf *pem) KYSO_WUR;

#endif
