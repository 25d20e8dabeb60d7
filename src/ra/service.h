/* The CA's service certificates (OCSP responder, TSA) in the database,
 * beside the subscribers', so that `revoke` and the CRL reach them
 * (issue 15), and what serve says of them at start. */
#ifndef KYSO_RA_SERVICE_H
#define KYSO_RA_SERVICE_H

#include "ca.h"
#include "ca_key.h"
#include "common/config.h"
#include "db.h"

/* serve warns this long before a service certificate ends. */
#define SERVICE_EXPIRY_WARN (180 * 86400LL)

/* Records dir's current OCSP and TSA certificates in the certificates
 * table (registration_id NULL, purpose "ocsp"/"tsa") unless there. */
int service_record(struct db *db, const char *dir) KYSO_WUR;
/* On stderr: a service certificate that has ended, ends within
 * SERVICE_EXPIRY_WARN, or is revoked, with what to run. */
void service_warn(struct db *db, const char *dir);

/* ra.conf's name for a service key on the CA's token: "ocsp_key_id",
 * "tsa_key_id" (the key's CKA_ID in hex). */
const char *service_key_conf(enum ca_service w);
/* The service keys ra.conf puts on the CA's token (rotate made them
 * there), logged in with the CA token's PIN; keys[w] stays NULL for a
 * service whose key is a PEM file. */
int service_keys_open(const struct config *conf, const char *pin,
    struct ca_key *keys[2]) KYSO_WUR;
/* Hands keys[] over to ca (NULL entries skipped; all are taken) and
 * checks that both services have a key. */
int service_keys_use(struct ca *ca, struct ca_key *keys[2]) KYSO_WUR;

#endif
