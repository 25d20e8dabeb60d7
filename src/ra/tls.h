/* The development TLS certificate: made on the first start of a server
 * without one, self-signed, for localhost and the loopback addresses. */
#ifndef KYSO_RA_TLS_H
#define KYSO_RA_TLS_H

#include "common/err.h"

/* Reads dir/tls.pem and dir/tls-key.pem, making them first if missing. */
int tls_dev_cert(const char *dir, char **cert_pem, char **key_pem) KYSO_WUR;

#endif
