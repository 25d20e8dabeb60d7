/* Operations with secret keys (sym.c): AES ciphers and MACs, behind
 * keys.c's struct kop. Answers in CK_RV, as keys.c does. */
#ifndef KYSO_SYM_H
#define KYSO_SYM_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

struct sym;

/* Whether m is a secret-key mechanism sym.c performs. */
int sym_mechanism(CK_MECHANISM_TYPE m);
/* kind: KOP_ENCRYPT / KOP_DECRYPT for a cipher, KOP_SIGN / KOP_VERIFY
 * for a MAC; the key's bytes are copied into OpenSSL's context. */
CK_RV sym_new(enum kop_kind kind, const CK_MECHANISM *m, const uint8_t *key,
    size_t keylen, struct sym **out) KYSO_WUR;
/* A finished operation's context, kept by its key (keys.c's struct
 * kkey) for the next one: whether it can do kind with mechanism m (the
 * same OpenSSL cipher and direction, or the same MAC; never key wrap).
 * sym_restart starts that operation on it with m's parameters (IV, AAD,
 * MAC length), the key already in OpenSSL's context; on an error k is
 * to be freed. sym_park wipes what the last operation left (its result,
 * its input) and keeps the context and the buffers' room. */
int sym_fits(const struct sym *k, enum kop_kind kind, CK_MECHANISM_TYPE m);
CK_RV sym_restart(struct sym *k, enum kop_kind kind,
    const CK_MECHANISM *m) KYSO_WUR;
void sym_park(struct sym *k);
/* Exactly what an update of n bytes returns now (0 for a MAC and for
 * GCM decryption, which return everything at the end). */
size_t sym_update_len(const struct sym *k, size_t n);
/* The output of a single-part call on n bytes (exact, or an upper bound
 * for CBC_PAD decryption). */
size_t sym_single_len(const struct sym *k, size_t n);
/* out NULL: a single-part call, the output is kept for sym_result;
 * else out has room for sym_update_len(k, n) and *outlen gets it. */
CK_RV sym_update(struct sym *k, const uint8_t *in, size_t n, uint8_t *out,
    size_t *outlen) KYSO_WUR;
/* A single-part encryption or decryption straight into the caller's
 * out, which has room for sym_single_len(k, n): no copy of the result
 * kept (sym_once_ok: a cipher other than key wrap, not begun). A
 * decryption that fails wipes what it wrote. */
int sym_once_ok(const struct sym *k);
CK_RV sym_once(struct sym *k, const uint8_t *in, size_t n, uint8_t *out,
    size_t *outlen) KYSO_WUR;
/* Computes the result once (the last block, the tag, the MAC). */
CK_RV sym_finish(struct sym *k) KYSO_WUR;
CK_RV sym_verify(struct sym *k, const uint8_t *sig, size_t n) KYSO_WUR;
int sym_finished(const struct sym *k);
/* An upper bound before sym_finish, exact after. */
size_t sym_out_len(const struct sym *k);
const uint8_t *sym_result(const struct sym *k);
void sym_free(struct sym *k);

#endif
