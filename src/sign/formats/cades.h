/* CAdES detached signature of any file: FILE -> FILE.p7s (DER). */
#ifndef KYSO_CADES_H
#define KYSO_CADES_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "p11/signer.h"

int cades_sign_file(struct p11_signer *s, const char *in_path,
    const char *out_path, const char *tsa_url, const char **why) KYSO_WUR;

/* The same over bytes in memory: appends the .p7s's DER to out. (A
 * caller with only a SHA-256 digest calls cms_sign_detached.) */
int cades_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const char *tsa_url, struct buf *out, const char **why) KYSO_WUR;

#endif
