#include "reg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/parse.h"
#include "name.h"
#include "validate.h"

static const char *
sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

#define FAIL(c, ...)                                \
	do {                                        \
		*code = (c);                        \
		snprintf(msg, msglen, __VA_ARGS__); \
		return KYSO_ERR_INVALID;            \
	} while (0)

int
reg_apply(json_t *d, json_t *body, enum reg_mode mode, const char **code,
    char *msg, size_t msglen)
{
	/* Bounds in characters: the legal name and the representative are
	 * kept whole (a certificate's CN and O take 64: common_name), the
	 * province goes into ST (RFC 5280: 128). */
	static const struct {
		const char *key;
		size_t max;
	} texts[] = { { "name", 200 }, { "province", NAME_UB_STATE },
		{ "representative", 200 },
		{ "common_name", NAME_UB_COMMON_NAME } };
	const char *type, *s, *kind;
	json_t *v;
	size_t i;

	/* Every field a string except validity_years. */
	{
		const char *key;

		json_object_foreach(body, key, v)
		{
			if (strcmp(key, "validity_years") == 0) {
				if (!json_is_integer(v) ||
				    json_integer_value(v) < 1 ||
				    json_integer_value(v) > 3)
					FAIL("invalid_field",
					    "validity_years "
					    "must be 1, 2 or 3");
			} else if (!json_is_string(v)) {
				FAIL("invalid_field", "%.40s must be a string",
				    key);
			}
		}
	}
	if (mode == REG_RENEW) {
		if ((v = json_object_get(body, "validity_years")) != NULL)
			json_object_set(d, "validity_years", v);
		return 0;
	}
	if (mode == REG_CREATE) {
		type = sget(body, "type");
		if (type == NULL ||
		    (strcmp(type, "personal") != 0 &&
			strcmp(type, "organization") != 0))
			FAIL("invalid_field",
			    "type must be personal or "
			    "organization");
		json_object_set_new(d, "type", json_string(type));
	} else if (json_object_get(body, "type") != NULL) {
		FAIL("invalid_field", "type cannot change; register anew");
	}
	type = sget(d, "type");
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *nfc = NULL;
		int nr;

		if ((s = sget(body, texts[i].key)) == NULL)
			continue;
		if ((nr = name_check(s, texts[i].max, &nfc)) == KYSO_ERR_NOMEM)
			FAIL("internal", "out of memory");
		if (nr != 0)
			FAIL("invalid_field",
			    "%s must be 1 to %zu characters of text, without "
			    "control, bidi or zero-width characters",
			    texts[i].key, texts[i].max);
		json_object_set_new(d, texts[i].key, json_string(nfc));
		free(nfc);
	}
	if (strcmp(type, "personal") == 0) {
		if (json_object_get(body, "tax_code") != NULL ||
		    json_object_get(body, "representative") != NULL)
			FAIL("invalid_field",
			    "tax_code and representative are "
			    "for organizations");
		if ((s = sget(body, "id_number")) != NULL) {
			if (valid_id_number(s, &kind) != 0)
				FAIL("invalid_field",
				    "id_number must be a CCCD "
				    "(12 digits) or CMND (9 digits)");
			json_object_set_new(d, "id_kind", json_string(kind));
			json_object_set_new(d, "id_number", json_string(s));
		}
	} else {
		if (json_object_get(body, "id_number") != NULL)
			FAIL("invalid_field",
			    "id_number is for personal "
			    "certificates; organizations give tax_code");
		if ((s = sget(body, "tax_code")) != NULL) {
			if (valid_tax_code(s) != 0)
				FAIL("invalid_field",
				    "tax_code (MST) must be 10 "
				    "or 13 digits");
			json_object_set_new(d, "id_kind", json_string("MST"));
			json_object_set_new(d, "id_number", json_string(s));
		}
	}
	if ((s = sget(body, "email")) != NULL) {
		if (valid_email(s) != 0 || strlen(s) > NAME_UB_EMAIL)
			FAIL("invalid_field",
			    "email is not a valid address of at most %d "
			    "characters",
			    NAME_UB_EMAIL);
		json_object_set_new(d, "email", json_string(s));
	}
	if ((s = sget(body, "phone")) != NULL) {
		if (valid_phone(s) != 0)
			FAIL("invalid_field", "phone must be 8 to 20 digits");
		json_object_set_new(d, "phone", json_string(s));
	}
	if ((s = sget(body, "profile")) != NULL) {
		if (strcmp(s, "sign") != 0)
			FAIL("invalid_field", "profile must be \"sign\"");
		json_object_set_new(d, "profile", json_string(s));
	}
	if ((s = sget(body, "key_type")) != NULL) {
		if (valid_key_type(s) != 0)
			FAIL("invalid_field",
			    "key_type must be rsa2048, rsa3072, "
			    "p256 or p384");
		json_object_set_new(d, "key_type", json_string(s));
	}
	if ((v = json_object_get(body, "validity_years")) != NULL)
		json_object_set(d, "validity_years", v);
	if (mode == REG_CREATE) {
		if (json_object_get(d, "profile") == NULL)
			json_object_set_new(d, "profile", json_string("sign"));
		if (json_object_get(d, "key_type") == NULL)
			json_object_set_new(d, "key_type",
			    json_string("rsa2048"));
		if (json_object_get(d, "validity_years") == NULL)
			json_object_set_new(d, "validity_years", json_integer(1));
	}
	{
		static const char *req[] = { "name", "id_number", "province",
			"email", "phone" };

		for (i = 0; i < sizeof(req) / sizeof(req[0]); i++)
			if (sget(d, req[i]) == NULL)
				FAIL("missing_field", "%s is required",
				    strcmp(req[i], "id_number") == 0 &&
					    strcmp(type, "organization") == 0
					? "tax_code"
					: req[i]);
		if (strcmp(type, "organization") == 0 &&
		    sget(d, "representative") == NULL)
			FAIL("missing_field", "representative is required");
	}
	/* A name longer than a CN holds is registered whole, with the CN
	 * the subscriber agreed to (issue 15: a 74-character company name
	 * was taken, then every lookup and completion failed). */
	if (sget(d, "common_name") == NULL &&
	    name_chars(sget(d, "name")) > NAME_UB_COMMON_NAME)
		FAIL("name_too_long",
		    "name has more than %d characters, the most a "
		    "certificate's CN holds: give common_name, the name "
		    "shortened as the subscriber agrees",
		    NAME_UB_COMMON_NAME);
	return 0;
}

void
reg_subject(json_t *d, struct ra_subject *s)
{
	s->type = sget(d, "type");
	s->name = sget(d, "name");
	/* CN: the shortened name when there is one. O: the legal name when
	 * it fits (RFC 5280: 64 characters), else the shortened one. */
	s->cn = sget(d, "common_name") != NULL ? sget(d, "common_name") : s->name;
	s->org = NULL;
	if (s->type != NULL && strcmp(s->type, "organization") == 0)
		s->org = s->name != NULL &&
			name_chars(s->name) <= NAME_UB_ORGANIZATION
		    ? s->name
		    : s->cn;
	s->id_kind = sget(d, "id_kind");
	s->id_number = sget(d, "id_number");
	s->province = sget(d, "province");
	s->email = sget(d, "email");
}

int
reg_id_ok(const char *id)
{
	uint64_t v;

	return parse_u64(id, 1, INT64_MAX, &v) == 0;
}

#define REG_COLS                                                    \
	"type, name, id_kind, id_number, representative, province," \
	" email, phone, profile, key_type, validity_years, status," \
	" token_serial, created_at, updated_at, common_name"

static const char *const reg_keys[] = { "type", "name", "id_kind", "id_number",
	"representative", "province", "email", "phone", "profile", "key_type" };

int
reg_load(struct db *db, const char *id, json_t **details, char **status,
    char **token_serial)
{
	struct db_rows *rows = NULL;
	const char *p[1] = { id };
	json_t *d = NULL;
	uint64_t years;
	size_t i;
	int r;

	if (!reg_id_ok(id))
		return KYSO_ERR_NOT_FOUND;
	if ((r = db_exec(db,
		 "SELECT " REG_COLS " FROM registrations"
		 " WHERE id = ?",
		 1, p, &rows)) != 0)
		return r;
	r = KYSO_ERR_NOT_FOUND;
	if (db_rows_count(rows) != 1)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((d = json_object()) == NULL)
		goto out;
	for (i = 0; i < 10; i++) {
		const char *v = db_rows_get(rows, 0, i);

		if (v != NULL &&
		    json_object_set_new(d, reg_keys[i], json_string(v)) != 0)
			goto out;
	}
	if (parse_u64(db_rows_get(rows, 0, 10), 1, 3, &years) != 0) {
		r = KYSO_ERR_CORRUPT;
		goto out;
	}
	json_object_set_new(d, "validity_years", json_integer((json_int_t)years));
	if (db_rows_get(rows, 0, 15) != NULL &&
	    json_object_set_new(d, "common_name",
		json_string(db_rows_get(rows, 0, 15))) != 0)
		goto out;
	if (status != NULL && (*status = strdup(db_rows_get(rows, 0, 11))) == NULL)
		goto out;
	if (token_serial != NULL) {
		const char *t = db_rows_get(rows, 0, 12);

		*token_serial = t ? strdup(t) : NULL;
	}
	*details = d;
	d = NULL;
	r = 0;
out:
	json_decref(d);
	db_rows_free(rows);
	return r;
}

/* The columns reg_store writes, in the order of its values. */
static const char *const store_cols[] = { "type", "name", "id_kind",
	"id_number", "representative", "province", "email", "phone", "profile",
	"key_type", "validity_years", "status", "token_serial", "common_name" };
#define STORE_NCOLS (sizeof(store_cols) / sizeof(store_cols[0]))

/* The columns an index of registrations holds (registrations_idn, and
 * registrations_token_active with its WHERE), as reg_store reads them
 * back: left out of the UPDATE when unchanged. The others are always
 * written (the row's page is written anyway), so that the UPDATE has at
 * most 8 texts: each is a statement kept prepared on the writer
 * connection (db_exec's cache). */
#define INDEXED_COLS "id_number, status, token_serial"
static const char *const indexed_cols[] = { "id_number", "status",
	"token_serial" };

/* col's place in indexed_cols, or -1. */
static int
indexed(const char *col)
{
	size_t k;

	for (k = 0; k < sizeof(indexed_cols) / sizeof(indexed_cols[0]); k++)
		if (strcmp(col, indexed_cols[k]) == 0)
			return (int)k;
	return -1;
}

static int
same(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The UPDATE leaves out the indexed columns whose value stays (indexed):
 * an index on a column named is rewritten even when the value is the
 * same, and each index page written is a WAL frame at COMMIT (issue 15:
 * a completion rewrote registrations_idn for an id_number it kept). The
 * row is read first in the caller's transaction; on PostgreSQL FOR UPDATE
 * keeps it as read until the UPDATE, as SQLite's write lock does. */
int
reg_store(struct db *db, const char *id, json_t *d, const char *status,
    const char *token_serial, int64_t now)
{
	struct db_rows *rows = NULL;
	struct db_num yn, nn;
	const char *v[STORE_NCOLS], *p[STORE_NCOLS + 2];
	struct buf *sql = NULL;
	char *text = NULL;
	size_t i, n = 0;
	int r;

	for (i = 0; i < 10; i++)
		v[i] = sget(d, reg_keys[i]);
	v[10] = db_num(&yn,
	    json_integer_value(json_object_get(d, "validity_years")));
	v[11] = status;
	v[12] = token_serial;
	v[13] = sget(d, "common_name");
	p[0] = id;
	if ((r = db_exec(db,
		 db_is_pg(db) ? "SELECT " INDEXED_COLS " FROM registrations"
				" WHERE id = ? FOR UPDATE"
			      : "SELECT " INDEXED_COLS " FROM registrations"
				" WHERE id = ?",
		 1, p, &rows)) != 0)
		return r;
	r = KYSO_ERR_NOT_FOUND;
	if (db_rows_count(rows) != 1)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((sql = buf_new(1024)) == NULL ||
	    buf_putf(sql, "UPDATE registrations SET updated_at = ?") != 0)
		goto out;
	p[n++] = db_num(&nn, now);
	for (i = 0; i < STORE_NCOLS; i++) {
		int k = indexed(store_cols[i]);

		if (k >= 0 && same(v[i], db_rows_get(rows, 0, (size_t)k)))
			continue;
		if (buf_putf(sql, ", %s = ?", store_cols[i]) != 0)
			goto out;
		p[n++] = v[i];
	}
	if (buf_putf(sql, " WHERE id = ?") != 0 ||
	    (text = buf_to_cstr(sql)) == NULL)
		goto out;
	p[n++] = id;
	r = db_exec(db, text, n, p, NULL);
out:
	free(text);
	buf_free(sql);
	db_rows_free(rows);
	return r;
}

static json_t *
time_json(const char *t)
{
	uint64_t v;
	time_t tt;
	struct tm tm;
	char s[96];

	if (t == NULL || parse_u64(t, 0, INT64_MAX, &v) != 0)
		return json_null();
	tt = (time_t)v;
	gmtime_r(&tt, &tm);
	snprintf(s, sizeof(s), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec);
	return json_string(s);
}

int
reg_view(struct db *db, const char *id, json_t **out)
{
	struct db_rows *rows = NULL, *certs = NULL;
	const char *p[1] = { id };
	json_t *o = NULL, *arr = NULL;
	size_t i;
	uint64_t v;
	int r;

	if (!reg_id_ok(id))
		return KYSO_ERR_NOT_FOUND;
	if ((r = db_exec(db,
		 "SELECT " REG_COLS " FROM registrations"
		 " WHERE id = ?",
		 1, p, &rows)) != 0)
		return r;
	r = KYSO_ERR_NOT_FOUND;
	if (db_rows_count(rows) != 1)
		goto out;
	if ((r = db_exec(db,
		 "SELECT serial, not_before, not_after, status,"
		 " token_serial FROM certificates WHERE registration_id = ?"
		 " ORDER BY created_at, serial",
		 1, p, &certs)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((o = json_object()) == NULL || (arr = json_array()) == NULL)
		goto out;
	if (parse_u64(id, 1, INT64_MAX, &v) != 0)
		goto out;
	json_object_set_new(o, "id", json_integer((json_int_t)v));
	for (i = 0; i < 10; i++) {
		const char *val = db_rows_get(rows, 0, i);

		if (i == 2 || val == NULL) /* id_kind: shown in the number */
			continue;
		if (i == 3 && strcmp(db_rows_get(rows, 0, 0), "organization") == 0)
			json_object_set_new(o, "tax_code", json_string(val));
		else
			json_object_set_new(o, reg_keys[i], json_string(val));
	}
	if (parse_u64(db_rows_get(rows, 0, 10), 1, 3, &v) == 0)
		json_object_set_new(o, "validity_years",
		    json_integer((json_int_t)v));
	json_object_set_new(o, "status", json_string(db_rows_get(rows, 0, 11)));
	json_object_set_new(o, "token_serial",
	    db_rows_get(rows, 0, 12) ? json_string(db_rows_get(rows, 0, 12))
				     : json_null());
	json_object_set_new(o, "created_at", time_json(db_rows_get(rows, 0, 13)));
	json_object_set_new(o, "updated_at", time_json(db_rows_get(rows, 0, 14)));
	if (db_rows_get(rows, 0, 15) != NULL)
		json_object_set_new(o, "common_name",
		    json_string(db_rows_get(rows, 0, 15)));
	for (i = 0; i < db_rows_count(certs); i++)
		json_array_append_new(arr,
		    json_pack("{s:s,s:o,s:o,s:s}", "serial",
			db_rows_get(certs, i, 0), "not_before",
			time_json(db_rows_get(certs, i, 1)), "not_after",
			time_json(db_rows_get(certs, i, 2)), "status",
			db_rows_get(certs, i, 3)));
	json_object_set_new(o, "certificates", arr);
	arr = NULL;
	/* The activation code waiting to be used, if any (never the code). */
	{
		struct db_rows *act = NULL;
		const char *q[2];
		char now[24];

		snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
		q[0] = id;
		q[1] = now;
		if ((r = db_exec(db,
			 "SELECT kind, expires_at FROM activations"
			 " WHERE registration_id = ? AND spent_at IS NULL AND"
			 " expires_at > ? ORDER BY id DESC LIMIT 1",
			 2, q, &act)) != 0)
			goto out;
		json_object_set_new(o, "pending_activation",
		    db_rows_count(act) == 1
			? json_pack("{s:s,s:o}", "kind", db_rows_get(act, 0, 0),
			      "expires_at", time_json(db_rows_get(act, 0, 1)))
			: json_null());
		db_rows_free(act);
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	json_decref(o);
	json_decref(arr);
	db_rows_free(rows);
	db_rows_free(certs);
	return r;
}
