/* kyso-contract: the e-contract web platform (issue 12). The pieces the
 * commands and handlers share: the store (SQLite or PostgreSQL, see
 * sql.h, + content-addressed blobs), the audit chain, accounts and sessions. */
#ifndef KYSO_CONTRACT_H
#define KYSO_CONTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "sql.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"

#define CONTRACT_TITLE_MAX   200
#define CONTRACT_REASON_MAX  2000
#define CONTRACT_SIGNERS_MAX 20
#define LOGIN_FAILS_MAX	     5	   /* failed logins per e-mail or address */
#define LOGIN_WINDOW	     900   /* ... in this many seconds */
#define SESSION_TTL	     28800 /* 8 hours */

struct mailer;

struct app {
	struct store *db;
	char *dir;   /* $KYSO_HOME/contract */
	char *blobs; /* dir/blobs */
	char *trust; /* PEM trust anchors for the verifier, or NULL */
	struct mailer *mail;
	int secure_cookies;
	size_t max_upload;
	uint16_t agent_port;   /* where the pages look for kyso-agent */
	int require_lt;	       /* contract_level B-LT: uploads carry a DSS */
	int revocation_online; /* contract_revocation online: each upload's
				* signer checked with its CA (OCSP, else
				* CRL) before it is taken */
};

/* store.c */
int store_open(const char *dir, int create, struct store **out) KYSO_WUR;
/* Writes data as blobs/<sha256 hex> unless it is there (never
 * overwritten); hex gets the name (65 bytes). */
int blob_put(const char *blobs, const void *data, size_t n, char hex[65]) KYSO_WUR;
int blob_get(const char *blobs, const char *hex, size_t cap,
    struct buf **out) KYSO_WUR;
int64_t store_now(void);
/* --help's paragraph on where the database is (init, serve). */
const char *store_help(void);
/* at as "YYYY-MM-DD HH:MM:SS" (UTC), the audit's display. */
void store_utc(int64_t at, char out[24]);
int sha256_hex(const void *p, size_t n, char out[65]) KYSO_WUR;
/* Appends one audit row chained to the previous one of the database. */
int audit_append(struct store *db, const char *doc, const char *actor,
    const char *remote, const char *action, const char *detail) KYSO_WUR;
/* 0 when every row's hash matches; KYSO_ERR_CORRUPT with *bad_id the
 * first row that does not. */
int audit_check(struct store *db, int64_t *bad_id) KYSO_WUR;
int random_hex(size_t nbytes, char *out) KYSO_WUR; /* out: 2n+1 */

/* auth.c */
int password_hash(const char *pw, char **out) KYSO_WUR;
int password_ok(const char *encoded, const char *pw);
void password_dummy(const char *pw);
int account_create(struct store *db, int64_t org, const char *email,
    const char *pw, int admin, int64_t *id) KYSO_WUR;
int org_create(struct store *db, const char *name, int64_t *id) KYSO_WUR;
/* An account with a random password (pw, to print once), audited. */
int account_with_password(struct store *db, int64_t org, const char *email,
    int admin, char pw[25]) KYSO_WUR;

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_account(int argc, char **argv);
int cmd_audit_check(int argc, char **argv);
/* $KYSO_HOME/contract (or --home's), created when create. */
char *contract_dir(const char *home);

/* The exit codes of every command. */
enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2 };

#endif
