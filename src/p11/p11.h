/* The PKCS#11 client every kyso program uses: loads any module (ours,
 * SoftHSM2, OpenSC, a vendor's) and finds tokens on it. */
#ifndef KYSO_P11_H
#define KYSO_P11_H

#include <stddef.h>
#include <stdint.h>

#include "p11-kit/pkcs11.h"

#include "../common/buf.h"
#include "../common/err.h"

struct p11;

/* path NULL: $KYSO_MODULE, else our module beside the program, else the
 * installed one. */
int p11_open(const char *path, struct p11 **out) KYSO_WUR;
void p11_free(struct p11 *p);
CK_FUNCTION_LIST *p11_fn(const struct p11 *p);
const char *p11_path(const struct p11 *p);
/* The slots (with a token only, when present_only), in a new array the
 * caller frees; *n may be 0 with *out NULL. */
int p11_slot_list(struct p11 *p, int present_only, CK_SLOT_ID **out,
    size_t *n) KYSO_WUR;
int p11_slot_info(struct p11 *p, CK_SLOT_ID slot, CK_SLOT_INFO *out) KYSO_WUR;
/* Blocks until a token is plugged in or removed and says which slot;
 * KYSO_ERR_UNSUPPORTED when the module cannot wait (poll
 * p11_slot_list then). */
int p11_wait_slot_event(struct p11 *p, CK_SLOT_ID *slot) KYSO_WUR;
/* The slot whose token has this serial or label; NULL wants the one
 * initialized token present (KYSO_ERR_BUSY when there are several). */
int p11_find_token(struct p11 *p, const char *want, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *info) KYSO_WUR;
/* A padded PKCS#11 string field without its trailing blanks. */
void p11_str(const CK_UTF8CHAR *s, size_t n, char *out);
const char *p11_rv_name(CK_RV rv);
/* The kyso error a CK_RV means to a caller. */
int p11_err(CK_RV rv);
/* The CK_RV behind the last failed p11_* call on p, for a program's
 * message (p11 itself prints nothing); CKR_OK when none has failed yet.
 * Meaningless when threads share p without a lock. */
CK_RV p11_last_rv(const struct p11 *p);

/* ---- sessions and PINs (session.c) ----
 * Every PIN given to these functions is wiped (OPENSSL_cleanse) right
 * after the module has seen it, on every path; the caller still frees
 * the string. A caller that must log in again later keeps its own copy
 * and passes a fresh one each time. */

#define P11_TRIES_UNKNOWN (-1)

/* What the token says about a PIN (the user's or the SO's): facts for
 * the caller to put in words. PKCS#11 only tells "low", "final try" and
 * "locked", so tries_left is 1, 0 or P11_TRIES_UNKNOWN. */
struct p11_pin_info {
	CK_RV rv;	   /* the module's answer to the login (CKR_OK) */
	int tries_left;	   /* 0 locked, 1 the final try, else unknown */
	int count_low;	   /* a wrong PIN was given since the last good one */
	int to_be_changed; /* still the factory PIN (or the SO's default) */
};

/* A session on the token in slot; rw for one that may change objects
 * or PINs. */
int p11_session_open(struct p11 *p, CK_SLOT_ID slot, int rw,
    CK_SESSION_HANDLE *out) KYSO_WUR;
/* Closes s; accepts CK_INVALID_HANDLE. The login ends with the
 * application's last session on the token (p11_logout ends it now). */
void p11_session_close(struct p11 *p, CK_SESSION_HANDLE s);
/* Logs who (CKU_USER, CKU_SO) in on the open session s with pin, which
 * is wiped right after C_Login. Already logged in counts as success.
 * KYSO_ERR_PIN_INCORRECT (info->tries_left says what is left: 0 when
 * that try locked it), KYSO_ERR_PIN_LOCKED, KYSO_ERR_PIN_EXPIRED, else
 * the error p11_err gives. info (may be NULL) is filled on success and
 * failure alike; a successful login with the factory PIN returns 0 with
 * info->to_be_changed set (the token will refuse to sign). */
int p11_session_login(struct p11 *p, CK_SESSION_HANDLE s, CK_USER_TYPE who,
    char *pin, struct p11_pin_info *info) KYSO_WUR;
/* p11_session_open and p11_session_login: the one login every program
 * uses. On failure no session is left open and *out is untouched. */
int p11_login(struct p11 *p, CK_SLOT_ID slot, int rw, CK_USER_TYPE who,
    char *pin, CK_SESSION_HANDLE *out, struct p11_pin_info *info) KYSO_WUR;
/* Logs out of the token s is on (every session of this program on it),
 * keeping s open; "not logged in" is no error. */
void p11_logout(struct p11 *p, CK_SESSION_HANDLE s);
/* The PIN state from the token's flags without logging in (rv CKR_OK). */
int p11_pin_info(struct p11 *p, CK_SLOT_ID slot, CK_USER_TYPE who,
    struct p11_pin_info *out) KYSO_WUR;
/* The token's description, read again (flags change with every login). */
int p11_token_info(struct p11 *p, CK_SLOT_ID slot, CK_TOKEN_INFO *out) KYSO_WUR;
/* C_SetPIN on s (the logged-in user's PIN, or the user's own when not
 * logged in): old and new are wiped after the call. Errors as
 * p11_session_login's, KYSO_ERR_INVALID for a new PIN the token
 * refuses (length, characters). */
int p11_set_pin(struct p11 *p, CK_SESSION_HANDLE s, char *old_pin,
    char *new_pin) KYSO_WUR;
/* C_InitPIN: the SO, logged in on s, sets the user PIN (a reset to
 * KYSO_FACTORY_PIN, which is no secret: not wiped). */
int p11_init_pin(struct p11 *p, CK_SESSION_HANDLE s, const char *pin) KYSO_WUR;

/* ---- objects (objects.c) ---- */

/* Past this many matches p11_find_all fails with KYSO_ERR_TOO_LARGE. */
#define P11_FIND_MAX 4096

/* Every object on s that matches tmpl (n attributes), in a new array the
 * caller frees (free); *count may be 0, with *out NULL. */
int p11_find_all(struct p11 *p, CK_SESSION_HANDLE s, const CK_ATTRIBUTE *tmpl,
    CK_ULONG n, CK_OBJECT_HANDLE **out, size_t *count) KYSO_WUR;
/* The one object that matches: KYSO_ERR_NOT_FOUND when none does,
 * KYSO_ERR_BUSY when several do. */
int p11_find_one(struct p11 *p, CK_SESSION_HANDLE s, const CK_ATTRIBUTE *tmpl,
    CK_ULONG n, CK_OBJECT_HANDLE *out) KYSO_WUR;
/* Deletes an object (a key pair left without its certificate). */
int p11_destroy(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h) KYSO_WUR;
/* Writes certificate der (len bytes) as a token object with CKA_ID id
 * (idlen bytes, may be 0) and label; authority marks a CA certificate
 * (CKA_CERTIFICATE_CATEGORY 2). A certificate already on the token with
 * the same value is not written twice (0: a CA shared by renewals).
 * KYSO_ERR_INVALID when der is not a certificate; KYSO_ERR_CAPACITY
 * when the token is full. */
int p11_cert_write(struct p11 *p, CK_SESSION_HANDLE s, const uint8_t *der,
    size_t len, const uint8_t *id, size_t idlen, const char *label,
    int authority) KYSO_WUR;

/* A signing key on a token: the private key and what the signature
 * algorithm needs to know about it. */
struct p11_key {
	CK_OBJECT_HANDLE priv;
	CK_OBJECT_HANDLE cert; /* CK_INVALID_HANDLE when none */
	CK_KEY_TYPE type;      /* CKK_RSA or CKK_EC */
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
/* ---- key pairs (keygen.c) ---- */

/* Makes a key pair on the token, s logged in read-write: key_type
 * "p256", "p384", "rsa2048", "rsa3072" or "rsa4096"; both halves get
 * CKA_ID id (idlen bytes, at most sizeof(out->id)) and label; the
 * private key is sensitive, not extractable, for signing only. Fills
 * *out (no certificate yet) and *pub (may be NULL) with the public
 * key's handle, for p11_destroy when what follows fails.
 * KYSO_ERR_INVALID for an unknown key_type, KYSO_ERR_PIN_EXPIRED while
 * the factory PIN is set, KYSO_ERR_CAPACITY when the token is full. */
int p11_generate_keypair(struct p11 *p, CK_SESSION_HANDLE s,
    const char *key_type, const uint8_t *id, size_t idlen, const char *label,
    struct p11_key *out, CK_OBJECT_HANDLE *pub) KYSO_WUR;

/* Signs a digest the caller computed (SHA-256/384/512, by its length):
 * RSA keys get PKCS#1 v1.5 with the DigestInfo built here (CKM_RSA_PKCS),
 * EC keys CKM_ECDSA. Appends the signature to sig: raw for RSA, DER
 * ECDSA-Sig-Value for EC (what X.509, CMS and XML-DSig... expect; XML-DSig
 * wants r||s: see p11_ecdsa_der_to_raw). */
int p11_sign_digest(struct p11 *p, CK_SESSION_HANDLE s, const struct p11_key *k,
    const uint8_t *digest, size_t dlen, struct buf *sig) KYSO_WUR;

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
