/* A registration's details (what its next certificate will say), kept as a
 * JSON object: type, name, id_kind, id_number, representative, province,
 * email, phone, profile, key_type, validity_years. */
#ifndef KYSO_RA_REG_H
#define KYSO_RA_REG_H

#include <jansson.h>

#include "ca.h"
#include "db.h"

enum reg_mode { REG_CREATE, REG_UPDATE, REG_RENEW };

/* Checks body against mode and merges it into details (a new object on
 * REG_CREATE). On failure sets *code and msg (a 400 answer). */
int reg_apply(json_t *details, json_t *body, enum reg_mode mode,
    const char **code, char *msg, size_t msglen) KYSO_WUR;
/* Views into details (valid while it lives). */
void reg_subject(json_t *details, struct ra_subject *s);
/* The registration row id as details; KYSO_ERR_NOT_FOUND. Also gives
 * status and token_serial when asked. */
int reg_load(struct db *db, const char *id, json_t **details, char **status,
    char **token_serial) KYSO_WUR;
/* Writes details over the row, naming only the columns that change;
 * inside the caller's transaction. */
int reg_store(struct db *db, const char *id, json_t *details,
    const char *status, const char *token_serial, int64_t now) KYSO_WUR;
/* The operator's view: details, id_number or tax_code, id, status,
 * token_serial, timestamps, certificates. */
int reg_view(struct db *db, const char *id, json_t **out) KYSO_WUR;
/* "123" -> ok: a positive decimal id. */
int reg_id_ok(const char *id);

#endif
