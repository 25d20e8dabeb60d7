/* The Token Manager's flows as a library (libkysotm): register, renew,
 * update, forgot-PIN, the plug-in checks and change-PIN, written once for
 * every face (kyso-token's terminal prompts, kyso-manager's dialogs).
 *
 * The library never prints, never reads a terminal and never exits. It
 * asks its questions through a struct tm_ui of callbacks and answers with
 * a kyso error code (common/err.h) plus the facts a face needs to say what
 * happened in its own words (struct tm_result). The words themselves stay
 * in the faces. See docs/internals/tm.md. */
#ifndef KYSO_TM_H
#define KYSO_TM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "p11/p11.h"

struct tm_session;

/* The secrets a flow asks for; the face turns each into its own prompt. */
enum tm_secret {
	TM_SECRET_PIN,		 /* the token's user PIN, to log in */
	TM_SECRET_OLD_PIN,	 /* change-PIN: the current PIN */
	TM_SECRET_NEW_PIN,	 /* change-PIN: the new PIN */
	TM_SECRET_NEW_PIN_AGAIN, /* change-PIN: the new PIN once more */
	TM_SECRET_SO_PIN,	 /* the security officer's PIN */
	TM_SECRET_CODE,		 /* the activation code the CA e-mailed */
	TM_SECRET_OTP,		 /* the one-time code for a PIN reset */
};

/* The yes/no questions a flow asks. */
enum tm_question {
	TM_ASK_CHANGE_FACTORY_PIN, /* the token has the factory PIN: change now? */
	TM_ASK_DETAILS_RIGHT, /* are the registered details (shown) right? */
};

/* What a flow is doing or has just done, for a progress bar or a note. */
enum tm_step {
	TM_STEP_LOGGING_IN,
	TM_STEP_LOOKING_UP, /* asking the RA about the activation code */
	TM_STEP_GENERATING_KEY,
	TM_STEP_SENDING_REQUEST, /* the signed request goes to the RA */
	TM_STEP_INSTALLING_CERT,
	TM_STEP_CA_CERT_SKIPPED, /* a chain certificate was not written:
				  * its name in result->ca_name; go on */
	TM_STEP_OTP_SENT,	 /* the RA took the PIN reset request */
	TM_STEP_RESETTING_PIN,
	TM_STEP_PIN_CHANGED,	 /* a change of the factory PIN inside
				  * another flow worked */
	TM_STEP_PIN_NOT_CHANGED, /* ... or failed: result says why */
};

/* Why a flow stopped; 0 on success. */
enum tm_why {
	TM_WHY_NONE = 0,
	TM_WHY_INTERNAL,     /* out of memory, no randomness */
	TM_WHY_CANCELLED,    /* ui->cancelled said so (err: KYSO_ERR_INVALID) */
	TM_WHY_NO_SECRET,    /* result->secret was not given (or empty) */
	TM_WHY_PIN_MISMATCH, /* the new PIN and its confirmation differ */
	TM_WHY_PIN_LENGTH,   /* outside result->pin_min..pin_max */
	TM_WHY_PIN_REUSED,   /* the new PIN is the old or the factory PIN */
	TM_WHY_TOKEN,	     /* the token refused result->op (result->rv) */
	TM_WHY_CERTS_UNREADABLE, /* the certificates could not be listed */
	TM_WHY_FACTORY_PIN,    /* the factory PIN is still set (not changed) */
	TM_WHY_RA_UNREACHABLE, /* result->ra_message: the transport error */
	TM_WHY_RA_REFUSED,     /* result->http_status, ra_error, ra_message */
	TM_WHY_WRONG_KIND,     /* the code is for result->kind, not this verb */
	TM_WHY_DECLINED,       /* the subscriber said the details are wrong */
	TM_WHY_CSR,	       /* the token could not sign the request */
	TM_WHY_CERT_MISMATCH,  /* the RA's certificate is not for our key */
	TM_WHY_CERT_WRITE,     /* the certificate could not be written */
	TM_WHY_NO_CHALLENGE,   /* the token has no remote unblock */
	TM_WHY_ANSWER_REFUSED, /* the token did not take the CA's answer */
};

/* The token operation that TM_WHY_TOKEN names. */
enum tm_op {
	TM_OP_INFO, /* reading the token's state */
	TM_OP_OPEN, /* opening a session */
	TM_OP_LOGIN,
	TM_OP_CHANGE_PIN,
	TM_OP_KEYGEN,
	TM_OP_RESET_PIN,
};

/* What an activation code is for. */
enum tm_kind {
	TM_KIND_NEW,	/* a first certificate: register */
	TM_KIND_RENEW,	/* TH1: same details, new key */
	TM_KIND_UPDATE, /* TH2: changed details, new key */
};

/* The plug-in checks' findings. */
enum tm_finding_kind {
	TM_FINDING_LOCKED,
	TM_FINDING_FACTORY_PIN,
	TM_FINDING_EXPIRED,
	TM_FINDING_EXPIRING,
};

#define TM_CHECK_MAX 64 /* findings kept by one check */

struct tm_finding {
	enum tm_finding_kind kind;
	char subject[256]; /* the certificate's CN (UTF-8), "?" if none */
	int days_left;	   /* negative once expired */
	/* TM_FINDING_EXPIRED/_EXPIRING of a certificate a newer one on the
	 * token has replaced (tm_cert.superseded): a note, not a problem. */
	int replaced;
	char serial[80]; /* the certificate's serial, hex */
};

/* What a flow tells its face; filled by every verb, on failure too. */
struct tm_result {
	int err; /* the kyso error the verb returned */
	enum tm_why why;
	enum tm_op op;	       /* TM_WHY_TOKEN */
	CK_RV rv;	       /* TM_WHY_TOKEN: the token's own answer */
	int tries_left;	       /* after a wrong PIN: 1 on the final try,
				* 0 locked, -1 unknown */
	int count_low;	       /* a wrong PIN was given since the last
				* good one: the token counts towards a lock */
	enum tm_secret secret; /* TM_WHY_NO_SECRET; TM_WHY_TOKEN at a
				* login: whose PIN (TM_SECRET_PIN or
				* TM_SECRET_SO_PIN) */
	unsigned long pin_min, pin_max; /* TM_WHY_PIN_LENGTH */
	long http_status;		/* TM_WHY_RA_REFUSED */
	char ra_error[64];    /* the RA's error word ("code_invalid") */
	char ra_message[256]; /* the RA's English message, or the
			       * transport error (TM_WHY_RA_UNREACHABLE) */
	int net_fail;	      /* TM_WHY_RA_UNREACHABLE: an enum http_fail
			       * (common/http.h), for words with advice */
	enum tm_kind kind;    /* TM_WHY_WRONG_KIND: the code's kind */
	char token_serial[17];
	long otp_ttl; /* TM_STEP_OTP_SENT: the OTP's lifetime in seconds as
		       * the RA said it (expires_in), 0 when it did not */
	/* An enrolment that worked. */
	char cert_serial[64];
	char subject_dn[512];
	char valid_until[32]; /* YYYY-MM-DD, "?" when unreadable */
	char ca_name[256];    /* TM_STEP_CA_CERT_SKIPPED */
	int cert_kept; /* TM_WHY_CERT_WRITE after issuance: the certificate
			* and its key were kept; the next enrolment run on
			* this token installs it without a code */
	int resumed;   /* success: that kept certificate was installed */
	/* tm_check. */
	size_t nfindings;
	struct tm_finding findings[TM_CHECK_MAX];
};

/* The registered details the subscriber checks before a key is made. The
 * strings belong to the library and live until the callback returns. */
struct tm_details {
	enum tm_kind kind;
	const char *cn, *uid, *o, *st, *email;
	const char *key_type; /* "rsa2048", "p256"... */
	const char *subject_dn;
	long long validity_years;
	/* The new validity as the CA will issue it (YYYY-MM-DD, from today:
	 * the day of issue). */
	const char *new_from, *new_until;
	/* Renew and update: the newest certificate on the token, which the
	 * new one follows; cur_until NULL when there is none (the others are
	 * then NULL too). Its subject's fields, "" when absent, for the old
	 * -> new comparison. */
	const char *cur_until;
	const char *cur_cn, *cur_o, *cur_st, *cur_email;
};

/* How a flow talks to its face. Every callback gets ud. Secrets: a
 * callback that hands one over (ask_secret) gives up the string, which
 * must come from malloc; the library wipes and frees it after use on
 * every path (one owner). */
struct tm_ui {
	void *ud;
	/* 0 and a secret in *out; KYSO_ERR_NOT_FOUND when none is given.
	 * For TM_SECRET_NEW_PIN_AGAIN, 0 with *out NULL means the face has no
	 * confirmation step (a script gave the new PIN once). */
	int (*ask_secret)(void *ud, enum tm_secret what, char **out);
	/* 1 yes, 0 no. r: what the flow knows so far (the token's serial). */
	int (*ask_choice)(void *ud, enum tm_question q,
	    const struct tm_result *r);
	/* The registered details, before TM_ASK_DETAILS_RIGHT. May be NULL. */
	void (*show_details)(void *ud, const struct tm_details *d);
	/* May be NULL. r holds the facts the step names. */
	void (*progress)(void *ud, enum tm_step step, const struct tm_result *r);
	/* Nonzero stops the flow (TM_WHY_CANCELLED). May be NULL. */
	int (*cancelled)(void *ud);
};

/* A session with one token on one module (borrowed: p must outlive the
 * session) and, for the flows that need it, the CA's RA server. */
int tm_new(struct p11 *p, CK_SLOT_ID slot, struct tm_session **out) KYSO_WUR;
void tm_free(struct tm_session *t);
/* The RA server (https://, or http:// on this computer) and an extra
 * trust anchor for its TLS certificate (NULL: the system's). Copied. */
int tm_set_ra(struct tm_session *t, const char *url, const char *ca_file) KYSO_WUR;

/* Installs a certificate registered at the CA for an activation code of
 * this kind: login, code, details to check, room on the token, key pair
 * on the token, request signed on the token, certificate and chain
 * installed. A key made for a certificate that did not arrive is removed
 * again. A certificate issued but not written (the token full) is kept
 * with its key ($KYSO_HOME/pending/SERIAL.json, res->cert_kept); the next
 * run on that token installs it after the login, without a code
 * (res->resumed). */
int tm_enroll(struct tm_session *t, enum tm_kind kind, const struct tm_ui *ui,
    struct tm_result *res) KYSO_WUR;
#define tm_register(t, ui, res) tm_enroll((t), TM_KIND_NEW, (ui), (res))
#define tm_renew(t, ui, res)	tm_enroll((t), TM_KIND_RENEW, (ui), (res))
#define tm_update(t, ui, res)	tm_enroll((t), TM_KIND_UPDATE, (ui), (res))

/* Who asks for a PIN reset, as registered with the CA. */
struct tm_who {
	int organization;  /* 0: a person (ID card), 1: tax code */
	const char *id;	   /* ID card number or tax code */
	const char *email; /* the contact e-mail */
};

/* The wrong OTPs the CA's server takes before it spends the OTP
 * (kyso-ra's OTP_TRIES); tm_forgot_pin asks again up to this many. */
#define TM_OTP_TRIES   3
/* The longest OTP lifetime believed from the RA (kyso-ra's --otp-ttl
 * takes up to an hour); a larger expires_in is not told. */
#define TM_OTP_TTL_MAX 86400

/* Resets a forgotten or locked PIN to the factory PIN with the CA's
 * answer to the token's unblock challenge, after an OTP by e-mail (its
 * lifetime in res->otp_ttl at TM_STEP_OTP_SENT). A
 * refused OTP is asked again (ask_secret once more) up to TM_OTP_TRIES
 * in all; when no more is given, the refusal stands. */
int tm_forgot_pin(struct tm_session *t, const struct tm_who *who,
    const struct tm_ui *ui, struct tm_result *res) KYSO_WUR;

/* The PIN's tries as the token's flags tell them (PKCS#11 gives no
 * number): res->tries_left 0 locked, 1 the final try, -1 more or unknown;
 * res->count_low when a wrong PIN was given since the last good one. who
 * is CKU_USER or CKU_SO. For the plug-in checks and any face that warns
 * before it asks a PIN. */
void tm_pin_tries(const CK_TOKEN_INFO *ti, CK_USER_TYPE who,
    struct tm_result *res);

/* Old PIN, new PIN, confirmation; the new PIN must fit the token's
 * length range and be neither the old one nor the factory PIN. */
int tm_change_pin(struct tm_session *t, const struct tm_ui *ui,
    struct tm_result *res) KYSO_WUR;

/* The plug-in checks: PIN locked, factory PIN (offered to change through
 * TM_ASK_CHANGE_FACTORY_PIN), certificates expired or expiring within
 * warn_days. Findings go to res->findings, most severe rules nothing:
 * the face ranks them. Returns 0 when the checks could run. */
int tm_check(struct tm_session *t, long warn_days, const struct tm_ui *ui,
    struct tm_result *res) KYSO_WUR;

/* A certificate on the token, for a list a subscriber reads (kyso-manager's
 * Certificates page). Texts are UTF-8; dates YYYY-MM-DD in UTC. */
struct tm_cert {
	CK_OBJECT_HANDLE h;
	char subject_cn[256]; /* "?" when the subject has no CN */
	char subject_dn[512];
	char issuer_dn[512];
	char serial[80]; /* hex */
	char not_before[32], not_after[32];
	int days_left;	      /* negative once expired */
	int is_ca;	      /* a chain certificate */
	int superseded;	      /* a newer one with the same subject is here */
	unsigned char id[64]; /* CKA_ID: its key pair's */
	size_t idlen;
	unsigned char *der; /* the certificate itself */
	size_t der_len;
	int64_t not_before_t, not_after_t; /* seconds since the epoch */
	char holder[512]; /* its UID (ID card, tax code), else subject_dn */
	char label[128];  /* CKA_LABEL, "" when none */
	/* the full legal name from kyso's legal-name extension (a company
	 * name longer than the subject holds), "" when none */
	char legal_name[512];
};

/* The certificates on the token, read without logging in, in a new array
 * (tm_certs_free); *n may be 0. TM_WHY_CERTS_UNREADABLE on failure. A
 * subscriber certificate is superseded when another one for the same
 * holder (the subject's UID, else the subject) was issued after it: a
 * renewal (TH1) or change of details (TH2) installed beside it. */
int tm_certs(struct tm_session *t, struct tm_cert **out, size_t *n,
    struct tm_result *res) KYSO_WUR;
void tm_certs_free(struct tm_cert *v, size_t n);

/* Deletes an old certificate (its serial, as tm_certs wrote it) and the
 * key pair with its CKA_ID, after the PIN (ui). A CA certificate is
 * deleted alone. KYSO_ERR_NOT_FOUND when it is not on the token. */
int tm_cert_delete(struct tm_session *t, const char *serial,
    const struct tm_ui *ui, struct tm_result *res) KYSO_WUR;

/* Unblocks a locked (or forgotten) user PIN with the SO PIN (ui asks
 * TM_SECRET_SO_PIN): the PIN is set back to the factory PIN, which must
 * then be changed. */
int tm_unblock(struct tm_session *t, const struct tm_ui *ui,
    struct tm_result *res) KYSO_WUR;

/* What a subscriber can do about the RA's refusal code (result->ra_error)
 * as an untranslated sentence for the face to translate; NULL for a code
 * it does not know. */
const char *tm_refusal_text(const char *code);

/* The key type a registration names ("p256", "rsa2048"...) as an
 * untranslated phrase for the face to translate ("ECDSA P-256"). */
const char *tm_key_text(const char *key_type);

/* An OTP lifetime in seconds (result->otp_ttl > 0) as the whole minutes
 * kyso-ra's e-mail names: ttl / 60, at least 1. */
long tm_otp_minutes(long ttl);

/* The PIN's tries left (0 locked, 1 the final try, -1 unknown) and
 * count_low (a wrong PIN since the last good one) as one untranslated
 * sentence for the face to translate, the same in every face; NULL when
 * there is nothing to tell. */
const char *tm_tries_text(int tries_left, int count_low);

#endif
