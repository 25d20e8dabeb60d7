/* Operator endpoints: register, list, show, renew (TH1), update (TH2),
 * reissue a code, edit or cancel a stuck registration, revoke. Authentication,
 * transaction and audit happen in api.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codes.h"
#include "common/jsonwipe.h"
#include "common/parse.h"
#include "ra.h"
#include "reg.h"
#include "validate.h"

/* Makes an activation code for a registration, stores its hash with the
 * details it will issue, spends any older unspent code, queues the mail. */
static int
new_activation(struct api *a, const char *reg_id, const char *kind,
    json_t *details)
{
	char code[CODE_LEN + 1], norm[21], hash[CODE_HASH_LEN + 1];
	struct db_num en, nn;
	char *dj = NULL;
	const char *p[6];
	int64_t now = api_now(), exp = now + a->ra->code_ttl;
	size_t i, j;
	int r;

	if ((r = code_new_activation(code)) != 0)
		goto out;
	for (i = j = 0; code[i]; i++)
		if (code[i] != '-')
			norm[j++] = code[i];
	norm[j] = '\0';
	if ((r = code_hash(a->ra->code_mac, "activation", norm, hash)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((dj = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		goto out;
	p[0] = db_num(&nn, now);
	p[1] = reg_id;
	if ((r = db_exec(a->db,
		 "UPDATE activations SET spent_at = ?"
		 " WHERE registration_id = ? AND spent_at IS NULL",
		 2, p, NULL)) != 0)
		goto out;
	p[0] = reg_id;
	p[1] = hash;
	p[2] = kind;
	p[3] = dj;
	p[4] = db_num(&en, exp);
	p[5] = db_num(&nn, now);
	if ((r = db_exec(a->db,
		 "INSERT INTO activations (registration_id,"
		 " code_hash, kind, details, expires_at, created_at)"
		 " VALUES (?, ?, ?, ?, ?, ?)",
		 6, p, NULL)) != 0)
		goto out;
	r = api_queue_mail(a, 0,
	    json_string_value(json_object_get(details, "email")),
	    json_string_value(json_object_get(details, "name")), kind, code, exp);
out:
	OPENSSL_cleanse(code, sizeof(code));
	OPENSSL_cleanse(norm, sizeof(norm));
	jsonwipe_free(dj);
	return r;
}

static int
db_fail(struct api *a, int r)
{
	if (r == KYSO_ERR_BUSY)
		return api_error(a, 503, "busy", "the database is busy; retry");
	return api_error(a, 500, "internal", "internal error");
}

/* The opening every handler on registrations/ID shares: the audit target,
 * the JSON body with its allowed fields (with body_optional, an empty body
 * gives *body NULL), and the registration, answered 404 when there is none.
 * Returns 0, or the status of the answer already given; the out-params are
 * set only on 0, *token_serial only when token_serial is not NULL. */
static int
load_registration(struct api *a, const char *const *fields, int body_optional,
    json_t **body, json_t **details, char **status, char **token_serial)
{
	const char *id = a->arg[0];
	json_t *b = NULL, *d = NULL;
	char *s = NULL, *tok = NULL;
	int st, r;

	snprintf(a->target, sizeof(a->target), "registration:%.40s", id);
	if ((a->rq->body_len != 0 || !body_optional) &&
	    (st = api_body(a, fields, &b)) != 0)
		return st;
	if ((r = reg_load(a->db, id, &d, &s,
		 token_serial != NULL ? &tok : NULL)) != 0) {
		st = r == KYSO_ERR_NOT_FOUND
		    ? api_error(a, 404, "not_found", "no such registration")
		    : db_fail(a, r);
		goto out;
	}
	*body = b;
	b = NULL;
	*details = d;
	d = NULL;
	*status = s;
	s = NULL;
	if (token_serial != NULL) {
		*token_serial = tok;
		tok = NULL;
	}
	st = 0;
out:
	free(tok);
	free(s);
	json_decref(d);
	json_decref(b);
	return st;
}

static const char *const reg_fields[] = { "type", "name", "id_number",
	"tax_code", "representative", "province", "email", "phone", "profile",
	"key_type", "validity_years", "token_serial", "common_name", NULL };

int
api_registrations_create(struct api *a)
{
	json_t *body = NULL, *d = json_object();
	struct db_rows *rows = NULL;
	struct db_num nn, yn;
	const char *code = NULL, *tok, *p[14];
	char msg[200];
	int64_t now = api_now();
	uint64_t idv;
	int st, r, bad = 0;

	if (d == NULL)
		return api_error(a, 500, "internal", "out of memory");
	if ((st = api_body(a, reg_fields, &body)) != 0)
		goto out;
	if (reg_apply(d, body, REG_CREATE, &code, msg, sizeof(msg)) != 0) {
		st = api_error(a, 400, code, msg);
		goto out;
	}
	/* The token the CA hands over with the registration, if it does:
	 * its PIN can then be reset by OTP even before the first
	 * activation. Not a detail of the certificate. */
	tok = api_str(body, "token_serial", &bad);
	if (bad || (tok != NULL && valid_token_serial(tok) != 0)) {
		st = api_error(a, 400, "invalid_field",
		    "token_serial must be the token's serial number "
		    "(letters and digits)");
		goto out;
	}
#define S(k) json_string_value(json_object_get(d, k))
	p[0] = S("type");
	p[1] = S("name");
	p[2] = S("id_kind");
	p[3] = S("id_number");
	p[4] = S("representative");
	p[5] = S("province");
	p[6] = S("email");
	p[7] = S("phone");
	p[8] = S("profile");
	p[9] = S("key_type");
#undef S
	p[10] = db_num(&yn,
	    json_integer_value(json_object_get(d, "validity_years")));
	p[11] = db_num(&nn, now);
	p[12] = p[11];
	p[13] = tok;
	if ((r = db_exec(a->db,
		 "INSERT INTO registrations (type, name,"
		 " id_kind, id_number, representative, province, email, phone,"
		 " profile, key_type, validity_years, status, created_at, updated_at,"
		 " token_serial)"
		 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
		 " RETURNING id",
		 14, p, &rows)) != 0 ||
	    db_rows_count(rows) != 1) {
		st = db_fail(a, r);
		goto out;
	}
	snprintf(a->target, sizeof(a->target), "registration:%s",
	    db_rows_get(rows, 0, 0));
	if ((r = new_activation(a, db_rows_get(rows, 0, 0), "new", d)) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	if (parse_u64(db_rows_get(rows, 0, 0), 1, INT64_MAX, &idv) != 0) {
		st = api_error(a, 500, "internal", "internal error");
		goto out;
	}
	st = api_json(a, 201,
	    json_pack("{s:I,s:s}", "id", (json_int_t)idv, "status", "pending"));
out:
	db_rows_free(rows);
	json_decref(body);
	json_decref(d);
	return st;
}

int
api_registrations_list(struct api *a)
{
	struct db_rows *rows = NULL;
	json_t *items = json_array(), *one;
	char pat[600];
	const char *q = a->rq->query_q, *p[1];
	size_t i, n = 0;
	int r;

	if (items == NULL)
		return api_error(a, 500, "internal", "out of memory");
	if (q == NULL)
		q = "";
	if (strlen(q) > 200) {
		json_decref(items);
		return api_error(a, 400, "invalid_field", "q is too long");
	}
	/* LIKE pattern with %, _ and \ escaped. */
	pat[n++] = '%';
	for (; *q; q++) {
		if (*q == '%' || *q == '_' || *q == '\\')
			pat[n++] = '\\';
		pat[n++] = *q;
	}
	pat[n++] = '%';
	pat[n] = '\0';
	p[0] = pat;
	if ((r = db_exec(a->db,
		 "SELECT id FROM registrations WHERE"
		 " lower(name || ' ' || id_number || ' ' || email || ' ' || phone ||"
		 " ' ' || province) LIKE lower(?) ESCAPE '\\'"
		 " ORDER BY id DESC LIMIT 100",
		 1, p, &rows)) != 0) {
		json_decref(items);
		return db_fail(a, r);
	}
	for (i = 0; i < db_rows_count(rows); i++) {
		if (reg_view(a->db, db_rows_get(rows, i, 0), &one) != 0) {
			db_rows_free(rows);
			json_decref(items);
			return api_error(a, 500, "internal", "internal error");
		}
		json_array_append_new(items, one);
	}
	db_rows_free(rows);
	return api_json(a, 200, json_pack("{s:o}", "items", items));
}

/* GET registrations/ID: the operator's view of one registration. */
int
api_registrations_get(struct api *a)
{
	const char *id = a->arg[0];
	json_t *o = NULL;
	int r;

	snprintf(a->target, sizeof(a->target), "registration:%.40s", id);
	if ((r = reg_view(a->db, id, &o)) == KYSO_ERR_NOT_FOUND)
		return api_error(a, 404, "not_found", "no such registration");
	if (r != 0)
		return db_fail(a, r);
	return api_json(a, 200, o);
}

/* A new code for registration id (mailed; any older one spent) and the
 * answer {id, kind[, status]} with the status the call returns. */
static int
code_answer(struct api *a, const char *id, const char *kind, json_t *details,
    const char *status)
{
	uint64_t idv;
	int r;

	if ((r = new_activation(a, id, kind, details)) != 0)
		return db_fail(a, r);
	if (parse_u64(id, 1, INT64_MAX, &idv) != 0) /* reg_load checked */
		return api_error(a, 500, "internal", "internal error");
	return api_json(a, 200,
	    status != NULL
		? json_pack("{s:I,s:s,s:s}", "id", (json_int_t)idv, "kind",
		      kind, "status", status)
		: json_pack("{s:I,s:s}", "id", (json_int_t)idv, "kind", kind));
}

/* TH1 (renew: the same details, validity_years may change) and TH2
 * (update: the body gives the changed fields). */
static int
prepare(struct api *a, const char *id, const char *kind)
{
	static const char *const renew_fields[] = { "validity_years", NULL };
	static const char *const update_fields[] = { "name", "id_number",
		"tax_code", "representative", "province", "email", "phone",
		"profile", "key_type", "validity_years", "common_name", NULL };
	int renew = strcmp(kind, "renew") == 0;
	json_t *body = NULL, *d = NULL;
	char *status = NULL, msg[200];
	const char *code = NULL;
	int st;

	if ((st = load_registration(a, renew ? renew_fields : update_fields,
		 renew, &body, &d, &status, NULL)) != 0)
		return st;
	if (body == NULL && (body = json_object()) == NULL) {
		st = api_error(a, 500, "internal", "out of memory");
		goto out;
	}
	if (strcmp(status, "active") != 0) {
		st = api_error(a, 409, "not_active",
		    "the registration has no "
		    "certificate yet; reissue its first activation code (POST "
		    "registrations/ID/reissue) if it expired");
		goto out;
	}
	if (!renew && json_object_size(body) == 0) {
		st = api_error(a, 400, "missing_field",
		    "give the fields that "
		    "change");
		goto out;
	}
	if (reg_apply(d, body, renew ? REG_RENEW : REG_UPDATE, &code, msg,
		sizeof(msg)) != 0) {
		st = api_error(a, 400, code, msg);
		goto out;
	}
	st = code_answer(a, id, kind, d, NULL);
out:
	free(status);
	json_decref(body);
	json_decref(d);
	return st;
}

/* POST registrations/ID/renew */
int
api_registrations_renew(struct api *a)
{
	return prepare(a, a->arg[0], "renew");
}

/* POST registrations/ID/update */
int
api_registrations_update(struct api *a)
{
	return prepare(a, a->arg[0], "update");
}

/* What a reissue gives a new code for: the newest code not yet used
 * (spent_at is set only when a code is used or replaced, not when it
 * expires), else, before the first certificate, the registration's own
 * details. *details is a new reference; *kind points into a static or
 * rows. */
static int
pending_activation(struct api *a, const char *id, const char *status,
    json_t *reg, struct db_rows **rows, const char **kind, json_t **details)
{
	const char *p[1] = { id };
	int r;

	if ((r = db_exec(a->db,
		 "SELECT kind, details FROM activations"
		 " WHERE registration_id = ? AND spent_at IS NULL"
		 " ORDER BY id DESC LIMIT 1",
		 1, p, rows)) != 0)
		return r;
	if (db_rows_count(*rows) == 1) {
		*details = json_loads(db_rows_get(*rows, 0, 1), 0, NULL);
		*kind = db_rows_get(*rows, 0, 0);
		return *details != NULL ? 0 : KYSO_ERR_CORRUPT;
	}
	if (strcmp(status, "pending") != 0)
		return KYSO_ERR_NOT_FOUND;
	*details = json_incref(reg);
	*kind = "new";
	return 0;
}

/* POST registrations/ID/reissue: a new activation code, mailed, for what
 * is pending (the first certificate, a renewal, an update) when the code
 * expired or its mail was lost; the old code stops working at once. */
int
api_registrations_reissue(struct api *a)
{
	static const char *const no_fields[] = { NULL };
	const char *id = a->arg[0], *kind = NULL;
	json_t *body = NULL, *d = NULL, *details = NULL;
	struct db_rows *rows = NULL;
	char *status = NULL;
	int st, r;

	if ((st = load_registration(a, no_fields, 1, &body, &d, &status, NULL)) !=
	    0)
		return st;
	r = pending_activation(a, id, status, d, &rows, &kind, &details);
	if (r == KYSO_ERR_NOT_FOUND) {
		st = api_error(a, 409, "nothing_pending",
		    "no activation code is pending for this registration; "
		    "use renew or update");
		goto out;
	}
	st = r != 0 ? db_fail(a, r)
		    : code_answer(a, id, kind, details, "reissued");
out:
	free(status);
	db_rows_free(rows);
	json_decref(details);
	json_decref(body);
	json_decref(d);
	return st;
}

/* POST certificates/SERIAL/revoke: revoked, and a new CRL in the same
 * transaction. */
int
api_certificates_revoke(struct api *a)
{
	const char *serial_in = a->arg[0];
	static const char *const fields[] = { "reason", NULL };
	static const struct {
		const char *name;
		int code;
	} reasons[] = { { "unspecified", 0 }, { "keyCompromise", 1 },
		{ "superseded", 4 }, { "cessationOfOperation", 5 } };
	json_t *body = NULL;
	struct db_rows *rows = NULL;
	struct db_num tn, rn;
	struct buf *crl = NULL;
	char serial[64];
	const char *reason, *p[3];
	int bad = 0, code = -1, st, r;
	size_t i;

	if (ca_serial_norm(serial_in, serial) != 0)
		return api_error(a, 404, "not_found", "no such certificate");
	snprintf(a->target, sizeof(a->target), "certificate:%s", serial);
	if ((st = api_body(a, fields, &body)) != 0)
		return st;
	reason = api_str(body, "reason", &bad);
	if (reason == NULL)
		reason = "unspecified";
	for (i = 0; !bad && i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reason, reasons[i].name) == 0)
			code = reasons[i].code;
	if (code < 0) {
		st = api_error(a, 400, "invalid_field",
		    "reason must be "
		    "keyCompromise, superseded, cessationOfOperation or "
		    "unspecified");
		goto out;
	}
	/* Only a good certificate changes: of two racing revocations (two
	 * servers on one PostgreSQL) one wins, the other is told. */
	p[0] = db_num(&tn, api_now());
	p[1] = db_num(&rn, code);
	p[2] = serial;
	if ((r = db_exec(a->db,
		 "UPDATE certificates SET status = 'revoked',"
		 " revoked_at = ?, reason = ? WHERE serial = ? AND status = 'good'"
		 " RETURNING serial",
		 3, p, &rows)) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	if (db_rows_count(rows) != 1) {
		db_rows_free(rows);
		rows = NULL;
		p[0] = serial;
		if ((r = db_exec(a->db,
			 "SELECT status FROM certificates"
			 " WHERE serial = ?",
			 1, p, &rows)) != 0) {
			st = db_fail(a, r);
			goto out;
		}
		st = db_rows_count(rows) == 1
		    ? api_error(a, 409, "already_revoked",
			  "the certificate is already revoked")
		    : api_error(a, 404, "not_found", "no such certificate");
		goto out;
	}
	if ((crl = buf_new(0)) == NULL ||
	    (r = api_crl_refresh(a->db, a->ra->ca, crl)) != 0) {
		st = api_error(a, 500, "internal", "could not sign the CRL");
		goto out;
	}
	st = api_json(a, 200,
	    json_pack("{s:s,s:s,s:s}", "serial", serial, "status", "revoked",
		"reason", reason));
out:
	buf_free(crl);
	db_rows_free(rows);
	json_decref(body);
	return st;
}

/* The fields an operator's edit may change, checked as an update's are:
 * name (organization: the same, the legal name of an organization),
 * common_name, email. */
static int
edit_body(struct api *a, json_t *body, json_t *reg)
{
	json_t *org = json_object_get(body, "organization");
	int is_org = strcmp(json_string_value(json_object_get(reg, "type")),
			 "organization") == 0;

	if (org == NULL)
		return 0;
	if (!is_org)
		return api_error(a, 400, "invalid_field",
		    "organization is for organizations: a person's "
		    "certificate names no organization; give name");
	if (json_object_get(body, "name") != NULL)
		return api_error(a, 400, "invalid_field",
		    "an organization's name is its organization: give one of "
		    "name and organization");
	json_object_set(body, "name", org);
	json_object_del(body, "organization");
	return 0;
}

/* POST registrations/ID/edit: the way out for a registration stuck on its
 * details (issue 15: a name, organization or e-mail over RFC 5280's bounds
 * was taken, then lookup and completion failed and renew and update were
 * refused). The details on record and those of a pending code change
 * together; the code stays valid (reissue mails a new one). */
int
api_registrations_edit(struct api *a)
{
	static const char *const fields[] = { "name", "organization",
		"common_name", "email", NULL };
	const char *id = a->arg[0], *code = NULL, *p[2];
	json_t *body = NULL, *d = NULL, *ad = NULL, *view = NULL;
	struct db_rows *rows = NULL;
	char *status = NULL, *tok = NULL, *dj = NULL, msg[200];
	size_t i;
	int st, r;

	if ((st = load_registration(a, fields, 0, &body, &d, &status, &tok)) != 0)
		return st;
	if (strcmp(status, "cancelled") == 0) {
		st = api_error(a, 409, "cancelled",
		    "the registration is cancelled");
		goto out;
	}
	if (json_object_size(body) == 0) {
		st = api_error(a, 400, "missing_field",
		    "give the fields that change");
		goto out;
	}
	if ((st = edit_body(a, body, d)) != 0)
		goto out;
	if (reg_apply(d, body, REG_UPDATE, &code, msg, sizeof(msg)) != 0) {
		st = api_error(a, 400, code, msg);
		goto out;
	}
	if ((r = reg_store(a->db, id, d, status, tok, api_now())) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	/* A pending code issues what its row says: the same edit there. */
	p[0] = id;
	if ((r = db_exec(a->db,
		 "SELECT id, details FROM activations"
		 " WHERE registration_id = ? AND spent_at IS NULL",
		 1, p, &rows)) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	for (i = 0; i < db_rows_count(rows); i++) {
		json_decref(ad);
		jsonwipe_free(dj);
		dj = NULL;
		if ((ad = json_loads(db_rows_get(rows, i, 1), 0, NULL)) == NULL ||
		    reg_apply(ad, body, REG_UPDATE, &code, msg, sizeof(msg)) != 0 ||
		    (dj = json_dumps(ad, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
			st = api_error(a, 500, "internal",
			    "a pending code's details cannot be edited");
			goto out;
		}
		p[0] = dj;
		p[1] = db_rows_get(rows, i, 0);
		if ((r = db_exec(a->db,
			 "UPDATE activations SET details = ? WHERE id = ?", 2,
			 p, NULL)) != 0) {
			st = db_fail(a, r);
			goto out;
		}
	}
	if ((r = reg_view(a->db, id, &view)) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	st = api_json(a, 200, view);
out:
	jsonwipe_free(dj);
	json_decref(ad);
	db_rows_free(rows);
	free(status);
	free(tok);
	json_decref(body);
	json_decref(d);
	return st;
}

/* POST registrations/ID/cancel: a registration that will never get (or
 * no longer has) a certificate is closed: its codes and OTPs are spent,
 * its token serial is free. One that holds a good certificate is refused:
 * revoke it first. */
int
api_registrations_cancel(struct api *a)
{
	static const char *const no_fields[] = { NULL };
	const char *id = a->arg[0], *p[2];
	json_t *body = NULL, *d = NULL;
	struct db_rows *rows = NULL;
	struct db_num nn;
	char *status = NULL;
	uint64_t idv;
	int st, r;

	if ((st = load_registration(a, no_fields, 1, &body, &d, &status, NULL)) !=
	    0)
		return st;
	if (strcmp(status, "cancelled") == 0) {
		st = api_error(a, 409, "cancelled",
		    "the registration is already cancelled");
		goto out;
	}
	p[0] = id;
	p[1] = db_num(&nn, api_now());
	if ((r = db_exec(a->db,
		 "SELECT serial FROM certificates WHERE registration_id = ?"
		 " AND status = 'good' AND not_after > ?",
		 2, p, &rows)) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	if (db_rows_count(rows) != 0) {
		st = api_error(a, 409, "has_certificate",
		    "the registration holds a valid certificate: revoke it "
		    "first");
		goto out;
	}
	p[0] = db_num(&nn, api_now());
	p[1] = id;
	if ((r = db_exec(a->db,
		 "UPDATE activations SET spent_at = ?"
		 " WHERE registration_id = ? AND spent_at IS NULL",
		 2, p, NULL)) != 0 ||
	    (r = db_exec(a->db,
		 "UPDATE otps SET spent = 1 WHERE registration_id = ?", 1,
		 p + 1, NULL)) != 0 ||
	    (r = db_exec(a->db,
		 "UPDATE registrations SET status = 'cancelled',"
		 " updated_at = ? WHERE id = ?",
		 2, p, NULL)) != 0) {
		st = db_fail(a, r);
		goto out;
	}
	if (parse_u64(id, 1, INT64_MAX, &idv) != 0) /* reg_load checked */
		st = api_error(a, 500, "internal", "internal error");
	else
		st = api_json(a, 200,
		    json_pack("{s:I,s:s}", "id", (json_int_t)idv, "status",
			"cancelled"));
out:
	db_rows_free(rows);
	free(status);
	json_decref(body);
	json_decref(d);
	return st;
}
