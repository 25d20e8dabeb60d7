/* The token's PIN and unblock state machine, and its manufacture: the PIN
 * wraps of the token key, the attempts counted on disk before a PIN or an
 * unblock response is compared, logins, PIN changes and re-initialization.
 * The file it changes is store.c's (format, atomic writes, reloads); see
 * docs/internals/token-store.md "PIN attempts" and unblock.md. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "../common/crypto.h"
#include "../common/parse.h"

static int
pin_key(const struct tok *t, const uint8_t salt[16], const void *pin, size_t n,
    uint8_t out[32])
{
	return crypto_scrypt(pin, n, salt, 16, t->kdf_log_n, out);
}

/* Wraps the token key under a key derived from a PIN, with a new salt. */
static int
wrap_pin(struct tok *t, const uint8_t key[32], const char *aad,
    uint8_t salt[16], struct buf **wrap, const void *pin, size_t n)
{
	uint8_t k[32];
	struct buf *w = NULL;
	int r;

	if ((w = buf_new(1024)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = crypto_random(salt, 16)) != 0 ||
	    (r = pin_key(t, salt, pin, n, k)) != 0 ||
	    (r = crypto_seal(k, aad, strlen(aad), key, 32, w)) != 0)
		goto out;
	buf_free(*wrap);
	*wrap = w;
	w = NULL;
out:
	OPENSSL_cleanse(k, sizeof(k));
	buf_free(w);
	return r;
}

static int
unwrap_pin(const struct tok *t, const char *aad, const uint8_t salt[16],
    const struct buf *wrap, const void *pin, size_t n, uint8_t key[32])
{
	uint8_t k[32];
	struct buf *out = NULL;
	int r;

	if (buf_len(wrap) == 0)
		return KYSO_ERR_NOT_FOUND;
	if ((out = buf_new(64)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = pin_key(t, salt, pin, n, k)) != 0)
		goto out;
	r = crypto_open(k, aad, strlen(aad), buf_ptr(wrap), buf_len(wrap), out);
	if (r == KYSO_ERR_CRYPTO)
		r = KYSO_ERR_PIN_INCORRECT;
	if (r == 0 && buf_len(out) != 32)
		r = KYSO_ERR_CORRUPT;
	if (r == 0)
		memcpy(key, buf_ptr(out), 32);
out:
	OPENSSL_cleanse(k, sizeof(k));
	buf_free(out);
	return r;
}

static int
admin_wrap_key(const struct tok *t, uint8_t k[32])
{
	static const char label[] = "kyso-admin-wrap";

	return crypto_hmac_sha256(t->admin_key, 32, label, sizeof(label) - 1, k);
}

static int
wrap_admin(struct tok *t, const uint8_t key[32])
{
	uint8_t k[32];
	struct buf *w;
	int r;

	if (!t->has_admin)
		return 0;
	if ((w = buf_new(1024)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = admin_wrap_key(t, k)) == 0 &&
	    (r = crypto_seal(k, "admin", 5, key, 32, w)) == 0) {
		buf_free(t->admin_wrap);
		t->admin_wrap = w;
		w = NULL;
	}
	OPENSSL_cleanse(k, sizeof(k));
	buf_free(w);
	return r;
}

static int
is_default_pin(const void *pin, size_t n)
{
	return n == strlen(TOK_DEFAULT_USER_PIN) &&
	    memcmp(pin, TOK_DEFAULT_USER_PIN, n) == 0;
}

static int
pin_len_ok(size_t n)
{
	return n >= TOK_PIN_MIN && n <= TOK_PIN_MAX;
}

static const char *
default_str(const char *s, const char *def)
{
	return s != NULL && *s != '\0' ? s : def;
}

int
tok_create(const char *path, const struct tok_params *p)
{
	struct tok *t = NULL;
	uint8_t key[32];
	struct stat st;
	int r;

	if (p->so_pin == NULL || !pin_len_ok(p->so_pin_len))
		return KYSO_ERR_INVALID;
	if (p->serial == NULL || *p->serial == '\0' || strlen(p->serial) > 16 ||
	    strlen(default_str(p->label, "")) > 32)
		return KYSO_ERR_INVALID;
	if ((t = tok_alloc(path)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = tok_lock(t)) != 0)
		goto out;
	if (stat(path, &st) == 0) {
		r = KYSO_ERR_EXISTS;
		goto out;
	}
	snprintf(t->info.label, sizeof(t->info.label), "%s",
	    default_str(p->label, "kyso token"));
	snprintf(t->info.manufacturer, sizeof(t->info.manufacturer), "kyso");
	if (p->profile != TOK_PROFILE_CA && p->profile != TOK_PROFILE_GENERAL) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	t->info.profile = p->profile;
	/* CK_TOKEN_INFO's model is where PKCS#11 lets a token say it. */
	snprintf(t->info.model, sizeof(t->info.model), "%s",
	    p->profile == TOK_PROFILE_GENERAL ? "kyso vToken gen"
					      : "kyso vToken");
	snprintf(t->info.serial, sizeof(t->info.serial), "%s", p->serial);
	t->info.hw_major = 1;
	t->info.hw_minor = 0;
	t->info.fw_major = 0;
	t->info.fw_minor = 1;
	t->info.capacity = p->capacity ? p->capacity : 64 * 1024;
	t->info.initialized = 1;
	t->info.user_pin_set = 1;
	t->info.user_to_be_changed = 1;
	t->info.user_max = p->user_max ? p->user_max : 5;
	t->info.so_max = p->so_max ? p->so_max : 10;
	t->kdf_log_n = p->kdf_log_n ? p->kdf_log_n : 15;
	t->next_id = TOK_FIRST_ID;
	if ((t->user_wrap = buf_new(1024)) == NULL ||
	    (t->so_wrap = buf_new(1024)) == NULL ||
	    (t->admin_wrap = buf_new(1024)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if (p->admin_key != NULL) {
		memcpy(t->admin_key, p->admin_key, 32);
		t->has_admin = 1;
	}
	if ((r = crypto_random(key, 32)) != 0 ||
	    (r = tok_key_check(key, t->key_check)) != 0 ||
	    (r = crypto_random(t->challenge, sizeof(t->challenge))) != 0 ||
	    (r = wrap_pin(t, key, "user", t->user_salt, &t->user_wrap,
		 TOK_DEFAULT_USER_PIN, strlen(TOK_DEFAULT_USER_PIN))) != 0 ||
	    (r = wrap_pin(t, key, "so", t->so_salt, &t->so_wrap, p->so_pin,
		 p->so_pin_len)) != 0 ||
	    (r = wrap_admin(t, key)) != 0)
		goto out;
	t->has_key_check = 1;
	r = tok_commit(t);
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (t != NULL)
		tok_end(t);
	tok_free(t);
	return r;
}

/* Counts an attempt on disk before the PIN is compared (a crash never
 * grants a free try), then resets the count on success. A PIN outside
 * the token's length range is no attempt (PKCS#11: CKR_PIN_LEN_RANGE,
 * KYSO_ERR_INVALID here) and costs nothing. */
static int
counted_check(struct tok *t, int so, const void *pin, size_t n, uint8_t key[32])
{
	uint32_t *fail = so ? &t->info.so_fail : &t->info.user_fail;
	uint32_t max = so ? t->info.so_max : t->info.user_max;
	int r, cr;

	if (*fail >= max)
		return KYSO_ERR_PIN_LOCKED;
	if (pin == NULL || !pin_len_ok(n))
		return KYSO_ERR_INVALID;
	(*fail)++;
	if ((r = tok_commit(t)) != 0) {
		tok_invalidate(t);
		return r;
	}
	cr = so ? unwrap_pin(t, "so", t->so_salt, t->so_wrap, pin, n, key)
		: unwrap_pin(t, "user", t->user_salt, t->user_wrap, pin, n, key);
	if (cr != 0)
		return cr;
	*fail = 0;
	if ((r = tok_commit(t)) != 0) {
		tok_invalidate(t);
		OPENSSL_cleanse(key, 32);
		return r;
	}
	return 0;
}

static void
set_key(struct tok *t, const uint8_t key[32])
{
	memcpy(t->key, key, 32);
	t->unlocked = 1;
	/* A version 1 file learns its key check here; the next commit
	 * writes it (and makes the file version 2). */
	if (!t->has_key_check && tok_key_check(key, t->key_check) == 0)
		t->has_key_check = 1;
	tok_unseal_all(t);
}

int
tok_login_user(struct tok *t, const void *pin, size_t n)
{
	uint8_t key[32];
	int r;

	if ((r = tok_begin(t)) != 0)
		return r;
	if (!t->info.user_pin_set) {
		r = KYSO_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = counted_check(t, 0, pin, n, key)) == 0)
		set_key(t, key);
out:
	OPENSSL_cleanse(key, sizeof(key));
	tok_end(t);
	return r;
}

/* An SO login by challenge response: the hex HMAC of the current
 * challenge under the admin key. The challenge is replaced, and the
 * attempt counted, before the comparison. */
static int
login_response(struct tok *t, const char *hex, size_t n)
{
	uint8_t want[32], k[32], old[TOK_CHALLENGE_LEN];
	struct buf *got = NULL, *key = NULL;
	int r;

	if (t->info.so_fail >= t->info.so_max)
		return KYSO_ERR_PIN_LOCKED;
	memcpy(old, t->challenge, sizeof(old));
	t->info.so_fail++;
	if ((r = crypto_random(t->challenge, sizeof(t->challenge))) != 0)
		goto out;
	if ((r = tok_commit(t)) != 0) {
		tok_invalidate(t);
		goto out;
	}
	if ((got = buf_new(64)) == NULL || (key = buf_new(64)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = kyso_unblock_response(t->admin_key, old, sizeof(old), want)) != 0)
		goto out;
	if (hex_decode(got, hex, n) != 0 || buf_len(got) != 32 ||
	    !crypto_equal(buf_ptr(got), want, 32)) {
		r = KYSO_ERR_PIN_INCORRECT;
		goto out;
	}
	if ((r = admin_wrap_key(t, k)) != 0)
		goto out;
	if (crypto_open(k, "admin", 5, buf_ptr(t->admin_wrap),
		buf_len(t->admin_wrap), key) != 0 ||
	    buf_len(key) != 32) {
		r = KYSO_ERR_CORRUPT;
		goto out;
	}
	t->info.so_fail = 0;
	if ((r = tok_commit(t)) != 0) {
		tok_invalidate(t);
		goto out;
	}
	set_key(t, buf_ptr(key));
	r = 0;
out:
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(k, sizeof(k));
	buf_free(got);
	buf_free(key);
	return r;
}

int
tok_login_so(struct tok *t, const void *pin, size_t n)
{
	uint8_t key[32];
	int r;

	if ((r = tok_begin(t)) != 0)
		return r;
	if (n == 64 && t->has_admin) {
		r = login_response(t, pin, n);
	} else if ((r = counted_check(t, 1, pin, n, key)) == 0) {
		set_key(t, key);
	}
	OPENSSL_cleanse(key, sizeof(key));
	tok_end(t);
	return r;
}

void
tok_logout(struct tok *t)
{
	tok_wipe_key(t);
}

static int
set_pin(struct tok *t, int so, const void *old, size_t on, const void *pin,
    size_t n)
{
	uint8_t key[32];
	int r;

	if (!pin_len_ok(n))
		return KYSO_ERR_INVALID;
	if ((r = tok_begin(t)) != 0)
		return r;
	if (!so && !t->info.user_pin_set) {
		r = KYSO_ERR_NOT_FOUND;
		goto out;
	}
	if ((r = counted_check(t, so, old, on, key)) != 0)
		goto out;
	if (so) {
		r = wrap_pin(t, key, "so", t->so_salt, &t->so_wrap, pin, n);
		t->info.so_to_be_changed = 0;
	} else {
		r = wrap_pin(t, key, "user", t->user_salt, &t->user_wrap, pin, n);
		t->info.user_to_be_changed = is_default_pin(pin, n);
	}
	if (r == 0)
		r = tok_commit(t);
	if (r != 0)
		tok_invalidate(t);
out:
	OPENSSL_cleanse(key, sizeof(key));
	tok_end(t);
	return r;
}

int
tok_set_user_pin(struct tok *t, const void *old, size_t on, const void *pin,
    size_t n)
{
	return set_pin(t, 0, old, on, pin, n);
}

int
tok_set_so_pin(struct tok *t, const void *old, size_t on, const void *pin,
    size_t n)
{
	return set_pin(t, 1, old, on, pin, n);
}

int
tok_init_pin(struct tok *t, const void *pin, size_t n)
{
	int r;

	if (!pin_len_ok(n))
		return KYSO_ERR_INVALID;
	if (!t->unlocked)
		return KYSO_ERR_PERMISSION;
	if ((r = tok_begin(t)) != 0)
		return r;
	if ((r = wrap_pin(t, t->key, "user", t->user_salt, &t->user_wrap, pin,
		 n)) != 0)
		goto out;
	t->info.user_pin_set = 1;
	t->info.user_fail = 0;
	t->info.user_to_be_changed = is_default_pin(pin, n);
	r = tok_commit(t);
out:
	if (r != 0)
		tok_invalidate(t);
	tok_end(t);
	return r;
}

int
tok_init_token(struct tok *t, const void *so_pin, size_t n, const char *label)
{
	uint8_t key[32], nkey[32];
	size_t i;
	int r;

	if (label != NULL && strlen(label) > 32)
		return KYSO_ERR_INVALID;
	if ((r = tok_begin(t)) != 0)
		return r;
	if ((r = counted_check(t, 1, so_pin, n, key)) != 0)
		goto out;
	tok_wipe_key(t);
	for (i = 0; i < t->nobjs; i++)
		tobj_free(t->objs[i]);
	t->nobjs = 0;
	t->info.used = 0;
	t->next_id = TOK_FIRST_ID;
	if ((r = crypto_random(nkey, 32)) != 0 ||
	    (r = tok_key_check(nkey, t->key_check)) != 0 ||
	    (r = wrap_pin(t, nkey, "so", t->so_salt, &t->so_wrap, so_pin, n)) !=
		0 ||
	    (r = wrap_admin(t, nkey)) != 0 ||
	    (r = crypto_random(t->challenge, sizeof(t->challenge))) != 0)
		goto out;
	t->has_key_check = 1;
	buf_reset(t->user_wrap);
	t->info.user_pin_set = 0;
	t->info.user_fail = 0;
	t->info.user_to_be_changed = 0;
	if (label != NULL)
		snprintf(t->info.label, sizeof(t->info.label), "%s", label);
	r = tok_commit(t);
out:
	if (r != 0)
		tok_invalidate(t);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nkey, sizeof(nkey));
	tok_end(t);
	return r;
}
