/* Accounts: passwords as Argon2id (Debian's libargon2), organisations. */
#include "contract.h"

#include <stdlib.h>
#include <string.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "common/crypto.h"

/* OWASP's Argon2id floor: 19 MiB, two passes, one lane. */
#define PW_T   2
#define PW_M   19456
#define PW_P   1
#define PW_MIN 10  /* characters a new password has at least */
#define PW_MAX 256 /* bytes hashed at most */

/* Hashes a new password (PW_MIN..PW_MAX bytes) into Argon2id's encoded
 * form, salt and parameters included, so they can change later. */
int
password_hash(const char *pw, char **out)
{
	uint8_t salt[16];
	size_t n = strlen(pw), len;
	char *enc = NULL;
	int r = KYSO_ERR_INVALID;

	if (n < PW_MIN || n > PW_MAX)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if (crypto_random(salt, sizeof(salt)) != 0)
		goto out;
	len = argon2_encodedlen(PW_T, PW_M, PW_P, sizeof(salt), 32, Argon2_id);
	r = KYSO_ERR_NOMEM;
	if ((enc = malloc(len)) == NULL)
		goto out;
	r = KYSO_ERR_CRYPTO;
	if (argon2id_hash_encoded(PW_T, PW_M, PW_P, pw, n, salt, sizeof(salt),
		32, enc, len) != ARGON2_OK)
		goto out;
	*out = enc;
	enc = NULL;
	r = 0;
out:
	free(enc);
	return r;
}

/* 1 when pw matches; a password past PW_MAX never does (and is not
 * hashed: no work for an attacker's megabyte). */
int
password_ok(const char *encoded, const char *pw)
{
	size_t n = strlen(pw);

	if (n == 0 || n > PW_MAX)
		return 0;
	return argon2id_verify(encoded, pw, n) == ARGON2_OK;
}

/* Hashes pw against a throwaway hash made once: a sign-in with an
 * e-mail that has no account costs what a wrong password costs, so the
 * time of the answer does not tell which e-mails have accounts. */
void
password_dummy(const char *pw)
{
	static char *dummy;
	char rnd[33];

	if (dummy == NULL &&
	    (random_hex(16, rnd) != 0 || password_hash(rnd, &dummy) != 0))
		return;
	(void)password_ok(dummy, pw);
}

/* An organisation: the unit documents are shared in. */
int
org_create(struct store *db, const char *name, int64_t *id)
{
	struct q *st = NULL;
	int r = KYSO_ERR_IO;

	if (q_prepare(db, "INSERT INTO orgs(name) VALUES(?) RETURNING id",
		&st) != 0)
		goto out;
	q_bind_text(st, 1, name);
	if (q_step(st) != Q_ROW)
		goto out;
	*id = q_col_int(st, 0);
	r = 0;
out:
	q_finalize(st);
	return r;
}

/* An account; KYSO_ERR_EXISTS when the e-mail has one already. */
int
account_create(struct store *db, int64_t org, const char *email, const char *pw,
    int admin, int64_t *id)
{
	struct q *st = NULL;
	char *enc = NULL;
	int r = KYSO_ERR_INVALID, s;

	if (strchr(email, '@') == NULL || strlen(email) > 254 ||
	    strpbrk(email, " <>\"\r\n") != NULL)
		goto out;
	if ((r = password_hash(pw, &enc)) != 0)
		goto out;
	r = KYSO_ERR_IO;
	if (q_prepare(db,
		"INSERT INTO accounts(org_id, email, pwhash, admin, created_at)"
		" VALUES(?,?,?,?,?) RETURNING id",
		&st) != 0)
		goto out;
	q_bind_int(st, 1, org);
	q_bind_text(st, 2, email);
	q_bind_text(st, 3, enc);
	q_bind_int(st, 4, admin);
	q_bind_int(st, 5, store_now());
	if ((s = q_step(st)) == Q_CONSTRAINT) {
		r = KYSO_ERR_EXISTS;
		goto out;
	}
	if (s != Q_ROW)
		goto out;
	*id = q_col_int(st, 0);
	r = 0;
out:
	q_finalize(st);
	free(enc);
	return r;
}

int
account_with_password(struct store *db, int64_t org, const char *email,
    int admin, char pw[25])
{
	int64_t id;
	int r;

	if ((r = random_hex(12, pw)) != 0 ||
	    (r = account_create(db, org, email, pw, admin, &id)) != 0 ||
	    (r = audit_append(db, NULL, "operator", "local", "account", email)) !=
		0)
		OPENSSL_cleanse(pw, 25);
	return r;
}
