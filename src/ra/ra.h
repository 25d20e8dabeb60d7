/* The running server: what every API handler shares. */
#ifndef KYSO_RA_RA_H
#define KYSO_RA_RA_H

#include <stdint.h>

#include <jansson.h>

#include "ca.h"
#include "db.h"
#include "http.h"
#include "common/mail.h"
#include "ratelimit.h"

struct crypto_hmac;
struct ocsp_cache;
struct ocsp_fast;

struct ra {
	struct db_pool *pool;
	struct ca *ca;
	struct mailer *mail;
	uint8_t master[32]; /* the admin master key */
	/* keys the hashes of codes and OTPs */
	struct crypto_hmac *code_mac;
	int64_t code_ttl; /* seconds */
	int64_t otp_ttl;
	struct ratelimit *rl_addr;     /* every subscriber call, per address */
	struct ratelimit *rl_pin_addr; /* pin-reset requests, per address */
	struct ocsp_cache *ocsp_cache; /* pre-signed OCSP responses */
	struct ocsp_fast *ocsp_fast;   /* simple OCSP requests' short way */
};

/* One pending e-mail, sent after the transaction commits. */
struct api_mail {
	int otp; /* 0: activation code, 1: OTP */
	char to[256];
	char name[512];
	char kind[16];
	char secret[32];
	int64_t expires_at;
};

/* One call in progress (every request goes through the route table). */
struct api {
	struct ra *ra;
	struct db *db; /* the call's connection, from the pool (on SQLite
			* its transactions run on the pool's writer
			* connection, db.c) */
	const struct http_req *rq;
	struct http_resp *rs;
	const char *actor; /* operator name or "subscriber" */
	char target[96];   /* what the call was about, for the audit */
	int keep;	   /* commit even though the answer is an error */
	int tx;		   /* a transaction is open */
	struct api_mail mail[2];
	size_t nmail;
	/* a code or OTP the call spent, as its mail shows it ("" none):
	 * redacted from the outbox after the commit (api_secret_used) */
	char used[32];
	/* a certificate the call signed (activation completion), by its
	 * serial, until its transaction commits ("" none): api.c logs and
	 * audits it as discarded when the call ends without that commit,
	 * with the reason the handler gave (NULL: the commit failed) */
	char issued[64];
	const char *discard_why;
	const char *arg[2];  /* the path's parts under '*' or '**' */
	char argbuf[2][128]; /* ... ('*' parts copied here) */
};

/* The server's one handler: routing, authentication, the transaction
 * around the call, the audit row, mail after commit (api.c). */
void api_handle(void *ud, const struct http_req *rq, struct http_resp *rs);
/* The same for the PKI listener (serve --pki-listen): only the public
 * routes (OCSP, CRL, TSA, CA certificates, healthz), so they keep
 * answering while the API's listener is full; the rest is 404. */
void api_handle_pki(void *ud, const struct http_req *rq, struct http_resp *rs);

/* Who may call a route. */
enum api_who {
	API_PUBLIC,	/* anyone; not audited */
	API_OPERATOR,	/* a Bearer token from kyso-ra operator add */
	API_SUBSCRIBER, /* anyone, rate-limited per address */
};

/* Who opens the call's transaction. */
enum api_tx {
	API_TX_CALL,	/* api.c, before the handler runs */
	API_TX_HANDLER, /* the handler, if it needs one */
};

typedef int (*api_handler)(struct api *a);

/* What the route table says about a request. */
struct api_match {
	api_handler handler; /* NULL when nothing matched */
	enum api_who who;
	enum api_tx tx;
	int status;	   /* then 404 (no such path) or 405 */
	const char *allow; /* with 405: the methods the path takes */
};

/* Looks the request up in the route table (api_routes.c) and sets a->arg.
 * m->who is set even when nothing matched: that of the routes sharing the
 * longest part of the path, so that an unknown operator path still asks
 * for an operator token. */
void api_route(struct api *a, struct api_match *m);

/* What the handlers call (api_util.c). */

/* Opens the call's transaction (api.c commits or rolls it back); 0, or
 * answers 503 and returns it. */
int api_begin(struct api *a);
/* The certificate a->issued will not be recorded, for this reason (the
 * first one given counts). Nothing when none. */
void api_discarded(struct api *a, const char *why);
/* At the end of the call, its transaction closed: a certificate signed and
 * not recorded is named in the log and in an audit row of its own (it
 * never left this process), then forgotten. */
void api_discarded_report(struct api *a);
/* Answers (they return the status, for "return api_error(...)"). */
int api_json(struct api *a, int status, json_t *j); /* steals j */
int api_error(struct api *a, int status, const char *code, const char *msg);
/* Parses the body as a JSON object whose keys are all in allowed (NULL
 * ended); otherwise answers 400/413 and returns that status. */
int api_body(struct api *a, const char *const *allowed, json_t **out);
/* A string member: NULL when absent; sets *bad when present but not a
 * string. */
const char *api_str(json_t *o, const char *key, int *bad);
int64_t api_now(void);
int api_queue_mail(struct api *a, int otp, const char *to, const char *name,
    const char *kind, const char *secret, int64_t expires_at);
/* The call spent this code (canonical, 20 characters) or OTP: once
 * committed, the outbox's mail no longer shows it. */
void api_secret_used(struct api *a, int otp, const char *secret);

/* The handlers, by file; the route table names them. Each returns the
 * HTTP status it answered. */
/* api_operator.c */
int api_registrations_create(struct api *a);
int api_registrations_list(struct api *a);
int api_registrations_get(struct api *a);
int api_registrations_renew(struct api *a);
int api_registrations_update(struct api *a);
int api_registrations_reissue(struct api *a);
int api_registrations_edit(struct api *a);
int api_registrations_cancel(struct api *a);
int api_certificates_revoke(struct api *a);
/* api_subscriber.c */
int api_activation_lookup(struct api *a);
int api_activation_complete(struct api *a);
int api_pin_reset_request(struct api *a);
int api_pin_reset_confirm(struct api *a);
/* api_pki.c */
int api_crl(struct api *a);
int api_ca_pem(struct api *a);
int api_ca_crt(struct api *a);
int api_root_crt(struct api *a);
int api_root_crl(struct api *a);
int api_ocsp_post(struct api *a);
int api_ocsp_get(struct api *a);
int api_tsa(struct api *a);
int api_healthz(struct api *a);
/* Makes and stores a fresh CRL (inside the caller's transaction). */
int api_crl_refresh(struct db *db, struct ca *ca, struct buf *der) KYSO_WUR;

#endif
