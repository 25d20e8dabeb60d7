/* The symmetric crypto kyso needs, over OpenSSL's libcrypto. */
#ifndef KYSO_CRYPTO_H
#define KYSO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define CRYPTO_SEAL_OVERHEAD (12 + 16) /* IV and GCM tag */

int crypto_random(void *p, size_t n) KYSO_WUR;
/* AES-256-GCM: appends iv || ciphertext || tag to out. */
int crypto_seal(const uint8_t key[32], const void *aad, size_t aadlen,
    const void *pt, size_t n, struct buf *out) KYSO_WUR;
/* Reverses crypto_seal; KYSO_ERR_CRYPTO when the tag does not verify. */
int crypto_open(const uint8_t key[32], const void *aad, size_t aadlen,
    const void *in, size_t n, struct buf *out) KYSO_WUR;
/* scrypt with N = 2^log_n, r = 8, p = 1. */
int crypto_scrypt(const void *pin, size_t n, const uint8_t *salt,
    size_t saltlen, unsigned log_n, uint8_t out[32]) KYSO_WUR;
int crypto_hmac_sha256(const void *key, size_t klen, const void *d, size_t n,
    uint8_t out[32]) KYSO_WUR;
/* HMAC-SHA256 under one key for many messages: the padded key is hashed
 * once, and each message costs two short hashes (HMAC() in OpenSSL 3
 * looks the digest up again on every call). Safe to share between
 * threads once made. */
struct crypto_hmac;
int crypto_hmac_new(const void *key, size_t klen,
    struct crypto_hmac **out) KYSO_WUR;
int crypto_hmac(const struct crypto_hmac *h, const void *d, size_t n,
    uint8_t out[32]) KYSO_WUR;
void crypto_hmac_free(struct crypto_hmac *h);
int crypto_sha256(const void *d, size_t n, uint8_t out[32]) KYSO_WUR;
/* Constant-time equality. */
int crypto_equal(const void *a, const void *b, size_t n);

/* A token's admin (unblock) key, as docs/internals/unblock.md defines it:
 * HMAC-SHA256(master, "kyso-token-admin-v1:" || serial). */
int kyso_admin_key(const void *master, size_t mlen, const char *serial,
    uint8_t out[32]) KYSO_WUR;
/* The unblock response for a challenge: HMAC-SHA256(admin_key, challenge). */
int kyso_unblock_response(const uint8_t admin_key[32], const void *challenge,
    size_t n, uint8_t out[32]) KYSO_WUR;

#endif
