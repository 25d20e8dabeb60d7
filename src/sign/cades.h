/* CAdES detached signature of any file: FILE -> FILE.p7s (DER). */
#ifndef KYSO_CADES_H
#define KYSO_CADES_H

#include "signer.h"

int cades_sign_file(struct signer *s, const char *in_path,
    const char *out_path, const char *tsa_url, const char **why) KYSO_WUR;

#endif
