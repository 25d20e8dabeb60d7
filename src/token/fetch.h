/* OpenSSL algorithms fetched once (fetch.c); NULL when OpenSSL has none
 * of that name. The objects belong to the cache: never free them. */
#ifndef KYSO_FETCH_H
#define KYSO_FETCH_H

#include <openssl/types.h>

const EVP_MD *fetch_md(const char *name);
const EVP_CIPHER *fetch_cipher(const char *name);
EVP_MAC *fetch_mac(const char *name);
/* C_Finalize: frees them all. */
void fetch_stop(void);

#endif
