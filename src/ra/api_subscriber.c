/* Subscriber endpoints (no login; rate-limited per address in api.c):
 * activation lookup and completion, forgot-PIN request and confirmation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codes.h"
#include "common/crypto.h"
#include "common/parse.h"
#include "ra.h"
#include "reg.h"
#include "validate.h"

#define PIN_RESET_WINDOW	 900 /* seconds */
#define PIN_RESET_PER_SUBSCRIBER 3
#define OTP_TRIES_SQL		 "3" /* wrong tries that spend an OTP */

static int
code_invalid(struct api *a)
{
	return api_error(a, 404, "code_invalid",
	    "the activation code is wrong, "
	    "already used or expired");
}

/* A token belongs to one subscriber: its serial is what a PIN reset
 * matches on, and the unblock answer is computed for it. It belongs to the
 * registration that holds it now, and to every registration whose
 * certificate it still carries (a token left behind at renewal keeps its
 * good, unexpired certificate) until each of those is revoked or expired.
 * TOKEN_HOLDERS_OF(reg): those other than registration reg (an SQL
 * expression; parameters: token, token, now); TOKEN_HOLDERS: reg a
 * parameter (token, registration, token, registration, now). */
#define TOKEN_HOLDERS_OF(reg)                                                  \
	"SELECT id FROM registrations WHERE"                                   \
	" token_serial = ? AND id <> " reg " AND status = 'active'"            \
	" UNION ALL SELECT registration_id FROM certificates WHERE"            \
	" token_serial = ? AND registration_id <> " reg " AND status = 'good'" \
	" AND not_after > ?"
#define TOKEN_HOLDERS TOKEN_HOLDERS_OF("?")

/* The unspent, unexpired activation behind a code. */
struct activation {
	char id[24];
	char reg_id[24];
	char kind[16];
	json_t *details;
	/* details as the row holds them: completion issues only while the
	 * row still does (an operator's edit rewrites a pending code's) */
	char *details_text;
	/* the token the call names holds another subscriber's certificate
	 * (looked up with the code: one statement less per completion) */
	int token_taken;
};

/* An activation by its code's hash; with a token's holders besides. */
#define LOOKUP_COLS "SELECT id, registration_id, kind, details, code_hash"
#define LOOKUP_FROM                                                  \
	" FROM activations WHERE code_hash = ? AND spent_at IS NULL" \
	" AND expires_at > ?"
static const char lookup_sql[] = LOOKUP_COLS LOOKUP_FROM;
static const char lookup_tok_sql[] = LOOKUP_COLS
    ", CASE WHEN EXISTS (" TOKEN_HOLDERS_OF(
	"activations.registration_id") ") THEN 1 ELSE 0 END" LOOKUP_FROM;

static int
find_activation(struct api *a, const char *code, const char *tok,
    struct activation *act)
{
	char norm[21], hash[CODE_HASH_LEN + 1];
	struct db_rows *rows = NULL;
	struct db_num nn;
	json_error_t je;
	const char *p[5];
	int r = KYSO_ERR_NOT_FOUND;

	memset(act, 0, sizeof(*act));
	if (code_norm_activation(code, norm) != 0)
		return r;
	r = code_hash(a->ra->code_mac, "activation", norm, hash);
	OPENSSL_cleanse(norm, sizeof(norm));
	if (r != 0)
		return r;
	/* tok's holders by the same read, the parameters in the order of
	 * the statement's text. */
	p[0] = tok;
	p[1] = tok;
	p[2] = db_num(&nn, api_now());
	p[3] = hash;
	p[4] = p[2];
	if ((r = tok != NULL ? db_exec(a->db, lookup_tok_sql, 5, p, &rows)
			     : db_exec(a->db, lookup_sql, 2, p + 3, &rows)) != 0)
		return r;
	r = KYSO_ERR_NOT_FOUND;
	if (db_rows_count(rows) != 1 ||
	    CRYPTO_memcmp(db_rows_get(rows, 0, 4), hash, CODE_HASH_LEN) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	if (strlen(db_rows_get(rows, 0, 0)) >= sizeof(act->id) ||
	    strlen(db_rows_get(rows, 0, 1)) >= sizeof(act->reg_id) ||
	    strlen(db_rows_get(rows, 0, 2)) >= sizeof(act->kind) ||
	    (act->details = json_loads(db_rows_get(rows, 0, 3), 0, &je)) == NULL)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((act->details_text = strdup(db_rows_get(rows, 0, 3))) == NULL) {
		json_decref(act->details);
		act->details = NULL;
		goto out;
	}
	snprintf(act->id, sizeof(act->id), "%s", db_rows_get(rows, 0, 0));
	snprintf(act->reg_id, sizeof(act->reg_id), "%s", db_rows_get(rows, 0, 1));
	snprintf(act->kind, sizeof(act->kind), "%s", db_rows_get(rows, 0, 2));
	act->token_taken = tok != NULL && db_rows_get(rows, 0, 5) != NULL &&
	    strcmp(db_rows_get(rows, 0, 5), "1") == 0;
	r = 0;
out:
	db_rows_free(rows);
	return r;
}

/* The activation behind the body's code; with tok_field, whether the
 * token that field names (when a string) is another subscriber's. */
static int
activation_from_body(struct api *a, const char *const *fields,
    const char *tok_field, json_t **body, struct activation *act)
{
	const char *code, *tok = NULL;
	int bad = 0, st, r;

	if ((st = api_body(a, fields, body)) != 0)
		return st;
	code = api_str(*body, "code", &bad);
	if (bad || code == NULL)
		return api_error(a, 400, "missing_field", "code is required");
	if (tok_field != NULL)
		tok = api_str(*body, tok_field, &bad);
	if ((r = find_activation(a, code, tok, act)) == KYSO_ERR_NOT_FOUND)
		return code_invalid(a);
	/* A stored row that does not read back is the server's fault; a
	 * database that could not answer (busy, I/O, memory) is to retry,
	 * as everywhere else. */
	if (r == KYSO_ERR_CORRUPT || r == KYSO_ERR_INTERNAL)
		return api_error(a, 500, "internal", "internal error");
	if (r != 0)
		return api_error(a, 503, "busy", "the database is busy; retry");
	snprintf(a->target, sizeof(a->target), "registration:%s", act->reg_id);
	return 0;
}

int
api_activation_lookup(struct api *a)
{
	static const char *const fields[] = { "code", NULL };
	struct activation act;
	struct ra_subject s;
	json_t *body = NULL, *subj;
	char uid[128], *dn = NULL;
	int st;

	memset(&act, 0, sizeof(act));
	if ((st = activation_from_body(a, fields, NULL, &body, &act)) != 0)
		goto out;
	reg_subject(act.details, &s);
	if (ca_subject_dn(&s, &dn) != 0) {
		st = api_error(a, 500, "internal", "internal error");
		goto out;
	}
	snprintf(uid, sizeof(uid), "%s:%s", s.id_kind, s.id_number);
	subj = json_pack("{s:s,s:s,s:s,s:s,s:s}", "CN", s.cn, "UID", uid, "ST",
	    s.province, "C", "VN", "emailAddress", s.email);
	if (subj != NULL && s.org != NULL)
		json_object_set_new(subj, "O", json_string(s.org));
	st = api_json(a, 200,
	    json_pack("{s:s,s:s,s:o,s:s,s:O,s:O,s:O}", "kind", act.kind, "type",
		s.type, "subject", subj, "subject_dn", dn, "key_type",
		json_object_get(act.details, "key_type"), "validity_years",
		json_object_get(act.details, "validity_years"), "profile",
		json_object_get(act.details, "profile")));
out:
	free(dn);
	free(act.details_text);
	json_decref(act.details);
	json_decref(body);
	return st;
}

static int
token_in_use(struct api *a)
{
	return api_error(a, 409, "token_in_use",
	    "this token already holds another subscriber's certificate");
}

/* 0 when reg_id may claim tok, else the status of the answer given. */
static int
token_claimable(struct api *a, const char *tok, const char *reg_id)
{
	struct db_rows *rows = NULL;
	struct db_num nn;
	const char *p[5];
	int st = 0;

	p[0] = tok;
	p[1] = reg_id;
	p[2] = tok;
	p[3] = reg_id;
	p[4] = db_num(&nn, api_now());
	if (db_exec(a->db, TOKEN_HOLDERS, 5, p, &rows) != 0)
		st = api_error(a, 503, "busy", "the database is busy; retry");
	else if (db_rows_count(rows) != 0)
		st = token_in_use(a);
	db_rows_free(rows);
	return st;
}

/* 0 when the activation is still unspent and unexpired (its details
 * changed: completion's spending UPDATE matched nothing else), else the
 * status of the answer given. */
static int
still_pending(struct api *a, const char *id)
{
	struct db_rows *rows = NULL;
	struct db_num nn;
	const char *p[2];
	int st = 0;

	p[0] = id;
	p[1] = db_num(&nn, api_now());
	if (db_exec(a->db,
		"SELECT id FROM activations WHERE id = ?"
		" AND spent_at IS NULL AND expires_at > ?",
		2, p, &rows) != 0)
		st = api_error(a, 503, "busy", "the database is busy; retry");
	else if (db_rows_count(rows) != 1)
		st = code_invalid(a);
	db_rows_free(rows);
	return st;
}

/* A JSON string of s: PEM text and hex, so only the newlines need
 * escaping; anything else below 0x20, '"' and '\\' are escaped too. */
static int
put_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	int r = buf_put_u8(b, '"');

	for (; r == 0 && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((r = buf_put(b, run, (size_t)(s - run))) != 0)
			break;
		run = s + 1;
		if (c == '\n')
			r = buf_put(b, "\\n", 2);
		else if (c == '"' || c == '\\')
			r = buf_put(b, (char[]){ '\\', (char)c }, 2);
		else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			r = buf_put(b, esc, sizeof(esc));
		}
	}
	if (r == 0)
		r = buf_put(b, run, (size_t)(s - run));
	return r == 0 ? buf_put_u8(b, '"') : r;
}

/* The answer to a completion, {"serial", "certificate", "chain": [issuing,
 * root]}, written directly: through jansson it cost as much as the
 * certificate's signature (json_pack and json_dumps of three PEMs). */
#define PUT_LIT(b, lit) buf_put((b), (lit), sizeof(lit) - 1)

static int
issued_json(struct api *a, const struct ca_issued *iss)
{
	struct buf *b = buf_new(0);

	if (b == NULL || PUT_LIT(b, "{\"serial\":") != 0 ||
	    put_json_str(b, iss->serial) != 0 ||
	    PUT_LIT(b, ",\"certificate\":") != 0 ||
	    put_json_str(b, iss->pem) != 0 || PUT_LIT(b, ",\"chain\":[") != 0 ||
	    put_json_str(b, ca_issuing_pem(a->ra->ca)) != 0 ||
	    buf_put_u8(b, ',') != 0 ||
	    put_json_str(b, ca_root_pem(a->ra->ca)) != 0 ||
	    PUT_LIT(b, "]}") != 0) {
		buf_free(b);
		return api_error(a, 503, "busy",
		    "the server is short of memory; retry");
	}
	buf_free(a->rs->body);
	a->rs->body = b;
	a->rs->status = 200;
	a->rs->content_type = "application/json";
	return 200;
}

/* The certificate is signed before the transaction, so that issuances
 * overlap (the signature held the database's write lock: issue 15); the
 * checks it depends on (code unspent, token free) run before it and again
 * inside the transaction, which decides. A completion that loses a race
 * there (the same code sent twice at once), or whose transaction does not
 * commit, throws its certificate away: it never left this process, and
 * the log names its serial (api_discarded; api.c for the commit). */
int
api_activation_complete(struct api *a)
{
	static const char *const fields[] = { "code", "csr", "token_serial",
		NULL };
	struct activation act;
	struct ra_subject s;
	struct ca_csr *csr = NULL;
	struct ca_issued iss;
	struct db_rows *rows = NULL;
	struct db_num nb, na, nn;
	json_t *body = NULL;
	const char *pem, *tok, *p[9];
	int bad = 0, st, r;

	memset(&act, 0, sizeof(act));
	memset(&iss, 0, sizeof(iss));
	if ((st = activation_from_body(a, fields, "token_serial", &body, &act)) !=
	    0)
		goto out;
	pem = api_str(body, "csr", &bad);
	tok = api_str(body, "token_serial", &bad);
	if (bad || pem == NULL || tok == NULL) {
		st = api_error(a, 400, "missing_field",
		    "csr and token_serial are required strings");
		goto out;
	}
	if (valid_token_serial(tok) != 0) {
		st = api_error(a, 400, "invalid_field",
		    "token_serial must be "
		    "1 to 32 letters, digits, '.', '_' or '-'");
		goto out;
	}
	switch (ca_csr_parse(pem, strlen(pem),
	    json_string_value(json_object_get(act.details, "key_type")), &csr)) {
	case 0: break;
	case KYSO_ERR_CRYPTO:
		st = api_error(a, 400, "csr_signature",
		    "the CSR's signature "
		    "does not verify (no proof of possession)");
		goto out;
	case KYSO_ERR_UNSUPPORTED:
		st = api_error(a, 400, "key_unacceptable",
		    "the key must be RSA "
		    "of at least 2048 bits or EC P-256/P-384, signed with "
		    "SHA-256 or better");
		goto out;
	case KYSO_ERR_PERMISSION:
		st = api_error(a, 400, "key_type_mismatch",
		    "the key is not of "
		    "the registered key_type");
		goto out;
	case KYSO_ERR_NOMEM:
		st = api_error(a, 503, "busy",
		    "the server is short of memory; "
		    "retry");
		goto out;
	default:
		st = api_error(a, 400, "csr_invalid",
		    "csr is not a PEM "
		    "PKCS#10 certificate request");
		goto out;
	}
	if (act.token_taken) {
		st = token_in_use(a);
		goto out;
	}
	reg_subject(act.details, &s);
	if ((r = ca_issue(a->ra->ca, csr, &s,
		 (int)json_integer_value(
		     json_object_get(act.details, "validity_years")),
		 &iss)) == KYSO_ERR_PERMISSION) {
		fprintf(stderr,
		    "kyso-ra: refusing to issue: the issuing CA is not valid "
		    "now (expired, or not yet valid); make a new issuing CA\n");
		st = api_error(a, 503, "ca_expired",
		    "the CA cannot issue certificates now; the CA's operator "
		    "must renew it");
		goto out;
	}
	if (r != 0) {
		st = api_error(a, 500, "internal", "could not issue");
		goto out;
	}
	snprintf(a->issued, sizeof(a->issued), "%s", iss.serial);
	/* Now the transaction; the code is spent first: of two racing
	 * completions one wins (the lookup above was outside it). */
	if ((st = api_begin(a)) != 0) {
		api_discarded(a, "the database is busy");
		goto out;
	}
	/* The token is checked again in the same statement (a ninth
	 * statement per issuance cost more than the check), and the details
	 * signed must still be the code's (an edit meanwhile rewrote them);
	 * when nothing was updated, the checks that follow tell which. */
	p[0] = db_num(&nn, api_now());
	p[1] = act.id;
	p[2] = p[0];
	p[3] = tok;
	p[4] = act.reg_id;
	p[5] = tok;
	p[6] = act.reg_id;
	p[7] = p[0];
	p[8] = act.details_text;
	if ((r = db_exec(a->db,
		 "UPDATE activations SET spent_at = ?"
		 " WHERE id = ? AND spent_at IS NULL AND expires_at > ?"
		 " AND NOT EXISTS (" TOKEN_HOLDERS ") AND details = ?"
		 " RETURNING id",
		 9, p, &rows)) != 0) {
		st = api_error(a, 503, "busy", "the database is busy; retry");
		api_discarded(a, "the database is busy");
		goto out;
	}
	if (db_rows_count(rows) != 1) {
		/* The code first: a spent code answers 404 as it always
		 * did, whatever else changed. */
		const char *why;

		if ((st = still_pending(a, act.id)) != 0)
			why = st == 503 ? "the database is busy"
					: "the code was spent meanwhile";
		else if ((st = token_claimable(a, tok, act.reg_id)) != 0)
			why = st == 503 ? "the database is busy"
					: "the token was claimed meanwhile";
		else {
			why = "the registration was edited meanwhile";
			st = api_error(a, 503, "busy",
			    "the registration was edited meanwhile; retry");
		}
		api_discarded(a, why);
		goto out;
	}
	p[0] = iss.serial;
	p[1] = act.reg_id;
	p[2] = db_num(&nb, iss.not_before);
	p[3] = db_num(&na, iss.not_after);
	p[4] = tok;
	p[5] = iss.pem;
	p[6] = db_num(&nn, api_now());
	if ((r = db_exec(a->db,
		 "INSERT INTO certificates (serial,"
		 " registration_id, not_before, not_after, status, token_serial, pem,"
		 " created_at) VALUES (?, ?, ?, ?, 'good', ?, ?, ?)",
		 7, p, NULL)) != 0 ||
	    (r = reg_store(a->db, act.reg_id, act.details, "active", tok,
		 api_now())) != 0) {
		st = api_error(a, 503, "busy", "the database is busy; retry");
		api_discarded(a, "the database is busy");
		goto out;
	}
	{
		/* The code is spent: its mail in the outbox loses it. */
		char norm[21];
		int b = 0;

		if (code_norm_activation(api_str(body, "code", &b), norm) == 0)
			api_secret_used(a, 0, norm);
		OPENSSL_cleanse(norm, sizeof(norm));
	}
	st = issued_json(a, &iss);
out:
	ca_issued_clear(&iss);
	ca_csr_free(csr);
	db_rows_free(rows);
	free(act.details_text);
	json_decref(act.details);
	json_decref(body);
	return st;
}

int
api_pin_reset_request(struct api *a)
{
	static const char *const fields[] = { "type", "id_number", "tax_code",
		"email", "token_serial", NULL };
	json_t *body = NULL;
	struct db_rows *rows = NULL, *cnt = NULL;
	struct db_num nn, en, wn;
	const char *type, *idn, *tax, *email, *tok, *kind, *p[6];
	char otp[7] = "", hash[CODE_HASH_LEN + 1];
	int64_t now = api_now();
	uint64_t sent;
	int bad = 0, st, r;

	if ((st = api_body(a, fields, &body)) != 0)
		return st;
	type = api_str(body, "type", &bad);
	idn = api_str(body, "id_number", &bad);
	tax = api_str(body, "tax_code", &bad);
	email = api_str(body, "email", &bad);
	tok = api_str(body, "token_serial", &bad);
	if (bad || type == NULL || email == NULL || tok == NULL ||
	    valid_email(email) != 0 || valid_token_serial(tok) != 0 ||
	    !((strcmp(type, "personal") == 0 && idn != NULL && tax == NULL &&
		  valid_id_number(idn, &kind) == 0) ||
		(strcmp(type, "organization") == 0 && tax != NULL &&
		    idn == NULL && valid_tax_code(tax) == 0))) {
		st = api_error(a, 400, "invalid_field",
		    "give type, id_number "
		    "(personal) or tax_code (organization), email and "
		    "token_serial");
		goto out;
	}
	if (!ratelimit_hit(a->ra->rl_pin_addr, a->rq->remote, now)) {
		st = api_error(a, 429, "rate_limited",
		    "too many PIN reset "
		    "requests; try again later");
		goto out;
	}
	p[0] = type;
	p[1] = idn ? idn : tax;
	p[2] = email;
	p[3] = tok;
	p[4] = tok;
	/* Any token the registration names: the one it holds now, one of its
	 * certificates was issued to, or the one the CA handed over before
	 * the first activation (a token locked before it was ever used). */
	if ((r = db_exec(a->db,
		 "SELECT id, name, email FROM registrations"
		 " WHERE type = ? AND id_number = ? AND lower(email) = lower(?)"
		 " AND (token_serial = ? OR id IN (SELECT registration_id"
		 " FROM certificates WHERE token_serial = ?))"
		 " AND status IN ('active', 'pending')"
		 " ORDER BY id DESC LIMIT 1",
		 5, p, &rows)) != 0) {
		st = api_error(a, 503, "busy", "the database is busy; retry");
		goto out;
	}
	if (db_rows_count(rows) != 1)
		goto accepted;
	snprintf(a->target, sizeof(a->target), "registration:%s",
	    db_rows_get(rows, 0, 0));
	/* Per subscriber: a few OTPs per window, silently. */
	p[0] = db_rows_get(rows, 0, 0);
	p[1] = db_num(&wn, now - PIN_RESET_WINDOW);
	if ((r = db_exec(a->db,
		 "SELECT count(*) FROM otps WHERE"
		 " registration_id = ? AND created_at > ?",
		 2, p, &cnt)) != 0) {
		st = api_error(a, 503, "busy", "the database is busy; retry");
		goto out;
	}
	if (db_rows_count(cnt) != 1 ||
	    parse_u64(db_rows_get(cnt, 0, 0), 0, UINT32_MAX, &sent) != 0 ||
	    sent >= PIN_RESET_PER_SUBSCRIBER)
		goto accepted;
	if (code_new_otp(otp) != 0 ||
	    code_hash(a->ra->code_mac, "otp", otp, hash) != 0) {
		st = api_error(a, 500, "internal", "internal error");
		goto out;
	}
	p[0] = tok;
	if ((r = db_exec(a->db,
		 "UPDATE otps SET spent = 1 WHERE"
		 " token_serial = ? AND spent = 0",
		 1, p, NULL)) != 0)
		goto busy;
	p[0] = db_rows_get(rows, 0, 0);
	p[1] = tok;
	p[2] = hash;
	p[3] = db_num(&en, now + a->ra->otp_ttl);
	p[4] = db_num(&nn, now);
	if ((r = db_exec(a->db,
		 "INSERT INTO otps (registration_id,"
		 " token_serial, otp_hash, expires_at, tries, spent, created_at)"
		 " VALUES (?, ?, ?, ?, 0, 0, ?)",
		 5, p, NULL)) != 0)
		goto busy;
	if (api_queue_mail(a, 1, db_rows_get(rows, 0, 2),
		db_rows_get(rows, 0, 1), "otp", otp, now + a->ra->otp_ttl) != 0) {
		st = api_error(a, 500, "internal", "internal error");
		goto out;
	}
accepted:
	/* The same answer whether or not an OTP went out: the lifetime is
	 * the server's, not the subscriber's. */
	st = api_json(a, 202,
	    json_pack("{s:s,s:I}", "status", "accepted", "expires_in",
		(json_int_t)a->ra->otp_ttl));
	goto out;
busy:
	st = api_error(a, 503, "busy", "the database is busy; retry");
out:
	OPENSSL_cleanse(otp, sizeof(otp));
	db_rows_free(rows);
	db_rows_free(cnt);
	json_decref(body);
	return st;
}

static int
otp_invalid(struct api *a)
{
	return api_error(a, 403, "otp_invalid",
	    "the OTP is wrong, used or "
	    "expired; request a new one");
}

int
api_pin_reset_confirm(struct api *a)
{
	static const char *const fields[] = { "token_serial", "otp",
		"challenge", NULL };
	json_t *body = NULL;
	struct db_rows *rows = NULL, *spent = NULL;
	struct db_num nn;
	struct buf *chal = NULL, *hex = NULL;
	const char *tok, *otp, *ch, *p[3];
	char hash[CODE_HASH_LEN + 1], *resp = NULL;
	uint8_t admin[32], answer[32];
	int bad = 0, st, r;

	if ((st = api_body(a, fields, &body)) != 0)
		return st;
	tok = api_str(body, "token_serial", &bad);
	otp = api_str(body, "otp", &bad);
	ch = api_str(body, "challenge", &bad);
	if (bad || tok == NULL || otp == NULL || ch == NULL ||
	    valid_token_serial(tok) != 0 || strlen(ch) != 64 ||
	    (chal = buf_new(32)) == NULL || hex_decode(chal, ch, 64) != 0) {
		st = api_error(a, 400, "invalid_field",
		    "give token_serial, otp "
		    "and challenge (64 hex digits)");
		goto out;
	}
	snprintf(a->target, sizeof(a->target), "token:%s", tok);
	p[0] = tok;
	p[1] = db_num(&nn, api_now());
	if ((r = db_exec(a->db,
		 "SELECT id, otp_hash, tries FROM otps"
		 " WHERE token_serial = ? AND spent = 0 AND expires_at > ?"
		 " ORDER BY id DESC LIMIT 1",
		 2, p, &rows)) != 0) {
		st = api_error(a, 503, "busy", "the database is busy; retry");
		goto out;
	}
	if (db_rows_count(rows) != 1) {
		st = otp_invalid(a);
		goto out;
	}
	if (code_check_otp(otp) != 0 ||
	    code_hash(a->ra->code_mac, "otp", otp, hash) != 0 ||
	    CRYPTO_memcmp(hash, db_rows_get(rows, 0, 1), CODE_HASH_LEN) != 0) {
		/* A wrong try counts; the third spends the OTP (counted in
		 * the row, so racing tries on two servers all count). */
		p[0] = db_rows_get(rows, 0, 0);
		if (db_exec(a->db,
			"UPDATE otps SET tries = tries + 1,"
			" spent = CASE WHEN tries + 1 >= " OTP_TRIES_SQL " THEN 1"
			" ELSE 0 END WHERE id = ? AND spent = 0",
			1, p, NULL) == 0)
			a->keep = 1;
		st = otp_invalid(a);
		goto out;
	}
	p[0] = db_rows_get(rows, 0, 0);
	db_rows_free(spent);
	spent = NULL;
	if ((r = db_exec(a->db,
		 "UPDATE otps SET spent = 1 WHERE id = ?"
		 " AND spent = 0 RETURNING id",
		 1, p, &spent)) != 0) {
		st = api_error(a, 503, "busy", "the database is busy; retry");
		goto out;
	}
	if (db_rows_count(spent) != 1) { /* another server used it first */
		st = otp_invalid(a);
		goto out;
	}
	if (kyso_admin_key(a->ra->master, sizeof(a->ra->master), tok, admin) != 0 ||
	    kyso_unblock_response(admin, buf_ptr(chal), 32, answer) != 0 ||
	    (hex = buf_new(128)) == NULL || hex_encode(hex, answer, 32) != 0 ||
	    (resp = buf_to_cstr(hex)) == NULL) {
		st = api_error(a, 500, "internal", "internal error");
		goto out;
	}
	api_secret_used(a, 1, otp);
	st = api_json(a, 200, json_pack("{s:s}", "response", resp));
out:
	OPENSSL_cleanse(admin, sizeof(admin));
	OPENSSL_cleanse(answer, sizeof(answer));
	OPENSSL_cleanse(hash, sizeof(hash));
	if (resp != NULL) {
		OPENSSL_cleanse(resp, strlen(resp));
		free(resp);
	}
	buf_free(hex);
	buf_free(chal);
	db_rows_free(rows);
	db_rows_free(spent);
	json_decref(body);
	return st;
}
