/* The secrets subscribers type: activation codes (4 groups of 5 Crockford
 * base32 characters, 95 random bits and a check character, see
 * common/actcode.h) and 6-digit OTPs, and the keyed hashes the
 * database keeps instead of them. */
#ifndef KYSO_RA_CODES_H
#define KYSO_RA_CODES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define CODE_LEN      23 /* XXXXX-XXXXX-XXXXX-XXXXX */
#define CODE_HASH_LEN 64 /* hex */

int code_new_activation(char out[CODE_LEN + 1]) KYSO_WUR;
/* Accepts lower case, spaces and dashes anywhere, O for 0 and I/L for 1;
 * writes the canonical 20 characters. */
int code_norm_activation(const char *in, char out[21]) KYSO_WUR;
int code_new_otp(char out[7]) KYSO_WUR;
/* Exactly six digits. */
int code_check_otp(const char *in) KYSO_WUR;
struct crypto_hmac;
/* hex(HMAC-SHA256(key, purpose ":" code)), key as mac holds it. */
int code_hash(const struct crypto_hmac *mac, const char *purpose,
    const char *code, char out[CODE_HASH_LEN + 1]) KYSO_WUR;

#endif
