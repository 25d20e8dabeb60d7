/* Key pairs and the operations on them: the only file of the token module
 * that speaks OpenSSL. Unlike store.c it answers in CK_RV: most of its
 * errors (a mechanism, a key size, a data length, a bad signature) have
 * only a PKCS#11 name, so it is part of the PKCS#11 boundary. */
#ifndef KYSO_KEYS_H
#define KYSO_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "attrs.h"

/* PKCS#11 3.0 names the p11-kit header we build with predates. */
#ifndef CKM_EDDSA
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#define CKM_EDDSA		    0x1057UL
#endif
#ifndef CKM_EC_MONTGOMERY_KEY_PAIR_GEN
#define CKM_EC_MONTGOMERY_KEY_PAIR_GEN 0x1056UL
#endif
#ifndef CKK_EC_MONTGOMERY
#define CKK_EC_MONTGOMERY 0x41UL
#endif
#ifndef CKM_SHA3_256
#define CKM_SHA3_256 0x2b0UL
#define CKM_SHA3_224 0x2b5UL
#define CKM_SHA3_384 0x2c0UL
#define CKM_SHA3_512 0x2d0UL
#endif

/* The private key's encoding on a private key object; never readable. */
#define KYSO_CKA_KEY_DER (CKA_VENDOR_DEFINED | 0x4b590001UL)

enum kop_kind {
	KOP_SIGN,
	KOP_VERIFY,
	KOP_DECRYPT,
	KOP_DIGEST,
	KOP_ENCRYPT,
	KOP_DERIVE,
	KOP_WRAP,  /* only for keys_check_mechanism: */
	KOP_UNWRAP /* the work is KOP_ENCRYPT / KOP_DECRYPT's */
};

/* Whether an operation of this kind is done with a public key. */
int kop_kind_public(enum kop_kind k);

struct kop;

/* The mechanisms the token offers. */
CK_ULONG keys_mechanisms(CK_MECHANISM_TYPE *out, CK_ULONG max);
CK_RV keys_mechanism_info(CK_MECHANISM_TYPE m, CK_MECHANISM_INFO *info,
    unsigned min_rsa_bits) KYSO_WUR;
/* Whether mechanism m is for key type kt and operation kind. */
CK_RV keys_check_mechanism(CK_MECHANISM_TYPE m, CK_KEY_TYPE kt,
    enum kop_kind k) KYSO_WUR;

/* Whether the token can do anything with a key of class cls and type kt
 * that usage attribute use (CKA_SIGN, CKA_ENCRYPT, ...) allows: a
 * template asking for more is CKR_TEMPLATE_INCONSISTENT. */
int keys_usage_ok(CK_OBJECT_CLASS cls, CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE use);
/* The key type a key-pair generation mechanism makes, or
 * CK_UNAVAILABLE_INFORMATION. */
CK_KEY_TYPE keys_mechanism_key_type(CK_MECHANISM_TYPE m);

/* derive.c: C_DeriveKey's secret. ECDH of the EC private key base and
 * the peer's point in m's parameters, through the KDF they name; sets
 * CKA_VALUE and CKA_VALUE_LEN on the new secret key's attributes key
 * (whose CKA_KEY_TYPE and CKA_VALUE_LEN, if any, say how long). */
CK_RV keys_derive(const CK_MECHANISM *m, EVP_PKEY *base,
    struct attrs *key) KYSO_WUR;

/* Generates a pair and adds the key material and derived public
 * attributes to the two templates. */
CK_RV keys_generate(const CK_MECHANISM *m, struct attrs *pub,
    struct attrs *priv, unsigned min_rsa_bits) KYSO_WUR;
/* An imported private key (the general profile): its components (RSA
 * CKA_MODULUS ... CKA_COEFFICIENT, or EC CKA_EC_PARAMS and CKA_VALUE)
 * become the key's encoding and public attributes; the components are
 * dropped. min_rsa_bits: the smallest RSA key the token takes. */
CK_RV keys_import_private(struct attrs *priv, unsigned min_rsa_bits) KYSO_WUR;
/* An unwrapped private key (PKCS#8 DER) into priv, as above; a
 * CKA_KEY_TYPE in the template must be the key's. */
CK_RV keys_import_pkcs8(struct attrs *priv, const uint8_t *der, size_t n,
    unsigned min_rsa_bits) KYSO_WUR;
/* A private key object's PKCS#8 DER (new, keys_free_der it), for
 * C_WrapKey. */
CK_RV keys_private_pkcs8(const struct attrs *priv, uint8_t **der,
    size_t *n) KYSO_WUR;
void keys_free_der(uint8_t *der, size_t n);
/* Fills the derived attributes of an imported public key. */
CK_RV keys_complete_public(struct attrs *pub) KYSO_WUR;
/* Fills subject, issuer, serial and dates of an X.509 certificate object. */
CK_RV keys_complete_certificate(struct attrs *cert) KYSO_WUR;
/* The EVP_PKEY of a key object (private when it carries its DER). */
EVP_PKEY *keys_load(const struct attrs *a) KYSO_WUR;
void keys_free_pkey(void *pkey);

/* A key object's parsed key as the module keeps it on the object (the
 * token object's cache, the session object): the EVP_PKEY and the
 * signing context last set up with it, reused by the next signature with
 * the same mechanism instead of a new context per signature; for a
 * secret key its value and the OpenSSL contexts (HMAC, CMAC, AES and
 * DES3 ciphers) of its finished operations, each reused by a next
 * operation that fits it. Counted: an operation under way keeps it after
 * the object is gone (kkey_free drops one reference). Under the module
 * mutex. */
struct kkey;
struct kkey *kkey_load(const struct attrs *a) KYSO_WUR;
/* Whether k is still the key of the object's attributes a (a secret
 * key's value unchanged); else it is to be dropped and loaded again. */
int kkey_current(const struct kkey *k, const struct attrs *a);
EVP_PKEY *kkey_pkey(const struct kkey *k);
void kkey_free(void *k);

CK_RV kop_new(enum kop_kind kind, const CK_MECHANISM *m, EVP_PKEY *key,
    struct kop **out) KYSO_WUR;
/* kop_new with an object's key, whose signing context it may reuse; for
 * a secret key, kop_new_secret on a context the key kept. */
CK_RV kop_new_key(enum kop_kind kind, const CK_MECHANISM *m, struct kkey *key,
    struct kop **out) KYSO_WUR;
/* An operation with a secret key's bytes (sym.c does the work). */
CK_RV kop_new_secret(enum kop_kind kind, const CK_MECHANISM *m,
    const uint8_t *key, size_t keylen, struct kop **out) KYSO_WUR;
/* Whether each update returns output (a cipher with a secret key):
 * kop_update_out then, with kop_update_len's exact length. */
int kop_streams(const struct kop *k);
size_t kop_update_len(const struct kop *k, size_t n);
CK_RV kop_update_out(struct kop *k, const void *p, size_t n, uint8_t *out,
    size_t *outlen) KYSO_WUR;
/* The output of a single-part call on n bytes, for its length query. */
size_t kop_single_len(const struct kop *k, size_t n);
/* A single-part call of a cipher with a secret key (kop_once_ok: not
 * key wrap, nothing fed yet) straight into out, which has room for
 * kop_single_len(k, n): it finishes the operation without keeping a
 * copy of the result (sym.c's sym_once). */
int kop_once_ok(const struct kop *k);
CK_RV kop_once(struct kop *k, const void *p, size_t n, uint8_t *out,
    size_t *outlen) KYSO_WUR;
/* Generates a secret key (CKM_AES_KEY_GEN, CKM_GENERIC_SECRET_KEY_GEN,
 * CKM_DES3_KEY_GEN) into the template's CKA_VALUE; CKA_VALUE_LEN says
 * how long (a DES3 key is 24 bytes, its parity bits set). */
CK_RV keys_generate_secret(const CK_MECHANISM *m, struct attrs *key) KYSO_WUR;
/* sym.c: whether a secret key of type kt (CKK_AES, CKK_DES3,
 * CKK_GENERIC_SECRET) may be n bytes long; whether its value v is one
 * (a DES3 key's parity bits set, as the specification requires of a key
 * created or unwrapped); DES parity set on v. */
int keys_secret_len_ok(CK_KEY_TYPE kt, size_t n);
int keys_secret_value_ok(CK_KEY_TYPE kt, const uint8_t *v, size_t n);
void keys_des_parity(uint8_t *v, size_t n);
CK_RV kop_update(struct kop *k, const void *p, size_t n) KYSO_WUR;
/* Computes the result once; kop_result returns it. */
CK_RV kop_finish(struct kop *k) KYSO_WUR;
CK_RV kop_verify(struct kop *k, const uint8_t *sig, size_t n) KYSO_WUR;
int kop_finished(const struct kop *k);
/* An upper bound before kop_finish, exact after. */
size_t kop_out_len(const struct kop *k);
const uint8_t *kop_result(const struct kop *k);
void kop_free(struct kop *k);

#endif
