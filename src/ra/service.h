/* The CA's service certificates (OCSP responder, TSA) in the database,
 * beside the subscribers', so that `revoke` and the CRL reach them
 * (issue 15), and what serve says of them at start. */
#ifndef KYSO_RA_SERVICE_H
#define KYSO_RA_SERVICE_H

#include "ca.h"
#include "db.h"

/* serve warns this long before a service certificate ends. */
#define SERVICE_EXPIRY_WARN (180 * 86400LL)

/* Records dir's current OCSP and TSA certificates in the certificates
 * table (registration_id NULL, purpose "ocsp"/"tsa") unless there. */
int service_record(struct db *db, const char *dir) KYSO_WUR;
/* On stderr: a service certificate that has ended, ends within
 * SERVICE_EXPIRY_WARN, or is revoked, with what to run. */
void service_warn(struct db *db, const char *dir);

#endif
