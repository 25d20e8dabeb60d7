/* Trust anchors: a PEM file or a folder of PEM files (--trust, or
 * kyso.conf's "trust ="), read where a check needs them. */
#ifndef KYSO_ANCHORS_H
#define KYSO_ANCHORS_H

#include <openssl/x509.h>

/* The certificates of path (a file, or every regular file of a folder);
 * NULL when none can be read. */
STACK_OF(X509_INFO) * anchors_read(const char *path);
/* A store holding them; NULL when none can be read. */
X509_STORE *anchors_store(const char *path);
/* 1 when cert chains to an anchor of path (extra: untrusted
 * intermediates), with *anchor the anchor's subject (the caller frees);
 * 0 otherwise, *anchor untouched. */
int anchors_verify(X509 *cert, STACK_OF(X509) * extra, const char *path,
    char **anchor);

#endif
