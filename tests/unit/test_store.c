/* The token file store: manufacture, open, PIN counting and lockout,
 * PIN changes, SO unblock, objects, capacity, the write lock, and
 * detection of a damaged file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "token/store.h"
#include "unit.h"

#define SO   "87654321"
#define USER "24681357"

static char dir[] = "/tmp/kyso-unit-store.XXXXXX";

static char *
tpath(const char *name)
{
	return path_join(dir, name);
}

static struct tok_params
params(const char *serial)
{
	struct tok_params p = { 0 };

	p.label = "unit";
	p.serial = serial;
	p.so_pin = SO;
	p.so_pin_len = strlen(SO);
	p.kdf_log_n = 10;
	return p;
}

static struct tok *
make(const char *name, struct tok_params *p, char **path)
{
	struct tok *t = NULL;

	*path = tpath(name);
	CHECK_ERR(tok_create(*path, p), 0);
	CHECK_ERR(tok_open(*path, &t), 0);
	return t;
}

/* A data object with this label and value. */
static struct attrs *
data_obj(const char *label, const void *v, size_t n)
{
	struct attrs *a = attrs_new();

	if (a == NULL || attrs_set_ulong(a, CKA_CLASS, CKO_DATA) != 0 ||
	    attrs_set(a, CKA_LABEL, label, strlen(label)) != 0 ||
	    attrs_set(a, CKA_VALUE, v, n) != 0) {
		attrs_free(a);
		return NULL;
	}
	return a;
}

static int
file_has(const char *path, const void *needle, size_t n)
{
	struct buf *b = NULL;
	int found = 0;

	if (file_read(path, 16 * 1024 * 1024, &b) != 0)
		return -1;
	found = memmem(buf_ptr(b), buf_len(b), needle, n) != NULL;
	buf_free(b);
	return found;
}

static void
test_create(void)
{
	struct tok_params p = params("ST0001");
	struct tok *t = NULL;
	const struct tok_info *in;
	char *path = tpath("create.tok");

	p.so_pin = "12345";
	p.so_pin_len = 5;
	CHECK_ERR(tok_create(path, &p), KYSO_ERR_INVALID);
	p = params("ST0001-ABCDEFGHIJK"); /* 17 characters */
	CHECK_ERR(tok_create(path, &p), KYSO_ERR_INVALID);
	p = params("");
	CHECK_ERR(tok_create(path, &p), KYSO_ERR_INVALID);
	CHECK_ERR(tok_open(path, &t), KYSO_ERR_NOT_FOUND);

	p = params("ST0001");
	p.capacity = 4096;
	CHECK_ERR(tok_create(path, &p), 0);
	CHECK_ERR(tok_create(path, &p), KYSO_ERR_EXISTS);
	CHECK_ERR(tok_open(path, &t), 0);
	if (t == NULL)
		goto out;
	in = tok_info(t);
	CHECK(strcmp(in->serial, "ST0001") == 0);
	CHECK(strcmp(in->label, "unit") == 0);
	CHECK(in->capacity == 4096 && in->used == 0);
	CHECK(in->user_max == 5 && in->so_max == 10);
	CHECK(in->user_fail == 0 && in->so_fail == 0);
	CHECK(in->initialized && in->user_pin_set && in->user_to_be_changed);
	CHECK(!tok_unlocked(t) && !tok_has_admin_key(t));
	CHECK(tok_nobjects(t) == 0);
	/* The file is for its owner only. */
	{
		struct stat st;

		CHECK(stat(path, &st) == 0 && (st.st_mode & 077) == 0);
	}
out:
	tok_free(t);
	free(path);
}

static void
test_user_pin(void)
{
	struct tok_params p = params("ST0002");
	struct tok *t, *t2 = NULL;
	char *path;
	int i;

	t = make("user.tok", &p, &path);
	if (t == NULL)
		goto out;
	CHECK_ERR(tok_login_user(t, "00000000", 8), KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->user_fail == 1);
	/* The count is on disk. */
	CHECK_ERR(tok_open(path, &t2), 0);
	CHECK(t2 != NULL && tok_info(t2)->user_fail == 1);
	tok_free(t2);
	t2 = NULL;
	/* A PIN of a wrong length is no attempt (CKR_PIN_LEN_RANGE). */
	CHECK_ERR(tok_login_user(t, "123", 3), KYSO_ERR_INVALID);
	CHECK(tok_info(t)->user_fail == 1);
	CHECK_ERR(tok_login_user(t, TOK_DEFAULT_USER_PIN, 8), 0);
	CHECK(tok_unlocked(t));
	CHECK(tok_info(t)->user_fail == 0);
	tok_logout(t);
	CHECK(!tok_unlocked(t));

	/* Change: wrong old PIN, bad new length, then the real change. */
	CHECK_ERR(tok_set_user_pin(t, "99999999", 8, USER, 8),
	    KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->user_fail == 1);
	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8, "12345", 5),
	    KYSO_ERR_INVALID);
	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8,
		      "12345678901234567", 17),
	    KYSO_ERR_INVALID);
	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8, USER, 8), 0);
	CHECK(!tok_info(t)->user_to_be_changed);
	CHECK(tok_info(t)->user_fail == 0);
	CHECK_ERR(tok_login_user(t, TOK_DEFAULT_USER_PIN, 8),
	    KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tok_login_user(t, USER, 8), 0);
	tok_logout(t);
	/* Back to the factory PIN: flagged again. */
	CHECK_ERR(tok_set_user_pin(t, USER, 8, TOK_DEFAULT_USER_PIN, 8), 0);
	CHECK(tok_info(t)->user_to_be_changed);
	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8, USER, 8), 0);

	/* Lockout: five wrong PINs, then even the right one is refused. */
	for (i = 1; i <= 5; i++) {
		CHECK_ERR(tok_login_user(t, "11111111", 8),
		    KYSO_ERR_PIN_INCORRECT);
		CHECK(tok_info(t)->user_fail == (uint32_t)i);
	}
	CHECK_ERR(tok_login_user(t, USER, 8), KYSO_ERR_PIN_LOCKED);
	CHECK_ERR(tok_set_user_pin(t, USER, 8, "13572468", 8),
	    KYSO_ERR_PIN_LOCKED);
	CHECK(tok_info(t)->user_fail == 5);
	CHECK(!tok_unlocked(t));
	/* Another process sees the lock. */
	CHECK_ERR(tok_open(path, &t2), 0);
	CHECK(t2 != NULL && tok_info(t2)->user_fail == 5);
	if (t2 != NULL)
		CHECK_ERR(tok_login_user(t2, USER, 8), KYSO_ERR_PIN_LOCKED);
	tok_free(t2);
	t2 = NULL;

	/* The SO resets it. */
	CHECK_ERR(tok_init_pin(t, "13572468", 8), KYSO_ERR_PERMISSION);
	CHECK_ERR(tok_login_so(t, "00000000", 8), KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->so_fail == 1);
	CHECK_ERR(tok_login_so(t, SO, 8), 0);
	CHECK(tok_info(t)->so_fail == 0);
	CHECK_ERR(tok_init_pin(t, "123", 3), KYSO_ERR_INVALID);
	CHECK_ERR(tok_init_pin(t, TOK_DEFAULT_USER_PIN, 8), 0);
	CHECK(tok_info(t)->user_fail == 0 && tok_info(t)->user_to_be_changed);
	tok_logout(t);
	CHECK_ERR(tok_login_user(t, TOK_DEFAULT_USER_PIN, 8), 0);
	tok_logout(t);

	/* SO PIN change. */
	CHECK_ERR(tok_set_so_pin(t, "00000000", 8, "11223344", 8),
	    KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tok_set_so_pin(t, SO, 8, "11223344", 8), 0);
	CHECK_ERR(tok_login_so(t, SO, 8), KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tok_login_so(t, "11223344", 8), 0);
	tok_logout(t);
out:
	tok_free(t);
	free(path);
}

static void
test_so_lockout(void)
{
	struct tok_params p = params("ST0003");
	struct tok *t;
	char *path;
	int i;

	p.so_max = 3;
	p.user_max = 2;
	t = make("so.tok", &p, &path);
	if (t == NULL)
		goto out;
	CHECK(tok_info(t)->so_max == 3 && tok_info(t)->user_max == 2);
	for (i = 0; i < 3; i++)
		CHECK_ERR(tok_login_so(t, "00000000", 8), KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tok_login_so(t, SO, 8), KYSO_ERR_PIN_LOCKED);
	CHECK_ERR(tok_init_token(t, SO, 8, "x"), KYSO_ERR_PIN_LOCKED);
	CHECK(tok_info(t)->so_fail == 3);
	for (i = 0; i < 2; i++)
		CHECK_ERR(tok_login_user(t, "00000000", 8),
		    KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tok_login_user(t, TOK_DEFAULT_USER_PIN, 8),
	    KYSO_ERR_PIN_LOCKED);
out:
	tok_free(t);
	free(path);
}

static void
hex_response(const uint8_t admin[32], const uint8_t *challenge, char out[65])
{
	uint8_t mac[32];
	struct buf *h = buf_new(0);

	if (h == NULL ||
	    kyso_unblock_response(admin, challenge, TOK_CHALLENGE_LEN, mac) != 0 ||
	    hex_encode(h, mac, 32) != 0) {
		memset(out, '0', 64);
	} else {
		memcpy(out, buf_ptr(h), 64);
	}
	out[64] = '\0';
	buf_free(h);
}

static void
test_unblock(void)
{
	struct tok_params p = params("ST0004");
	struct tok *t;
	uint8_t admin[32], before[TOK_CHALLENGE_LEN];
	char *path, resp[65], wrong[65];
	int i;

	CHECK_ERR(kyso_admin_key("master secret", 13, "ST0004", admin), 0);
	p.admin_key = admin;
	t = make("unblock.tok", &p, &path);
	if (t == NULL)
		goto out;
	CHECK(tok_has_admin_key(t));
	for (i = 0; i < 5; i++)
		CHECK_ERR(tok_login_user(t, "00000000", 8),
		    KYSO_ERR_PIN_INCORRECT);
	CHECK_ERR(tok_login_user(t, TOK_DEFAULT_USER_PIN, 8),
	    KYSO_ERR_PIN_LOCKED);

	/* A wrong response counts and replaces the challenge. */
	memcpy(before, tok_challenge(t), sizeof(before));
	memset(wrong, 'a', 64);
	wrong[64] = '\0';
	CHECK_ERR(tok_login_so(t, wrong, 64), KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->so_fail == 1);
	CHECK(memcmp(before, tok_challenge(t), sizeof(before)) != 0);
	/* Not hex at all. */
	memset(wrong, 'z', 64);
	CHECK_ERR(tok_login_so(t, wrong, 64), KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->so_fail == 2);

	/* The right one, and the same one again fails. */
	memcpy(before, tok_challenge(t), sizeof(before));
	hex_response(admin, before, resp);
	CHECK_ERR(tok_login_so(t, resp, 64), 0);
	CHECK(tok_unlocked(t));
	CHECK(tok_info(t)->so_fail == 0);
	CHECK(memcmp(before, tok_challenge(t), sizeof(before)) != 0);
	CHECK_ERR(tok_init_pin(t, TOK_DEFAULT_USER_PIN, 8), 0);
	tok_logout(t);
	CHECK_ERR(tok_login_so(t, resp, 64), KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->so_fail == 1);
	CHECK_ERR(tok_login_user(t, TOK_DEFAULT_USER_PIN, 8), 0);
	CHECK(tok_info(t)->user_to_be_changed);
	tok_logout(t);
	/* A response for another serial's key is refused. */
	CHECK_ERR(kyso_admin_key("master secret", 13, "ST0005", admin), 0);
	hex_response(admin, tok_challenge(t), resp);
	CHECK_ERR(tok_login_so(t, resp, 64), KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_info(t)->so_fail == 2);

	/* After C_InitToken (a new token key) the unblock still works: the
	 * admin wrap follows the new key. */
	CHECK_ERR(kyso_admin_key("master secret", 13, "ST0004", admin), 0);
	CHECK_ERR(tok_init_token(t, SO, 8, "again"), 0);
	CHECK(tok_has_admin_key(t) && !tok_info(t)->user_pin_set);
	hex_response(admin, tok_challenge(t), resp);
	CHECK_ERR(tok_login_so(t, resp, 64), 0);
	CHECK_ERR(tok_init_pin(t, USER, 8), 0);
	tok_logout(t);
	CHECK_ERR(tok_login_user(t, USER, 8), 0);
	{
		uint32_t id = 0;

		CHECK_ERR(tok_begin(t), 0);
		CHECK_ERR(tok_add_object(t, 1, data_obj("p", "x", 1), &id), 0);
		tok_end(t);
		tok_logout(t);
		/* And the unblock key opens what the user PIN sealed. */
		hex_response(admin, tok_challenge(t), resp);
		CHECK_ERR(tok_login_so(t, resp, 64), 0);
		CHECK(tobj_attrs(tok_object(t, id)) != NULL);
		tok_logout(t);
	}
out:
	tok_free(t);
	free(path);
}

static void
test_objects(void)
{
	struct tok_params p = params("ST0006");
	struct tok *t, *t2 = NULL;
	const struct attrs *ga;
	const uint8_t *v;
	uint32_t pub_id = 0, priv_id = 0, id = 0;
	size_t n = 0;
	char *path;
	static const char secret[] = "PRIVATE-VALUE-7f3a9c";
	static const char public[] = "PUBLIC-VALUE-51be02";

	t = make("objects.tok", &p, &path);
	if (t == NULL)
		goto out;
	/* Outside a write: refused. */
	CHECK_ERR(tok_add_object(t, 0, data_obj("x", "1", 1), &id),
	    KYSO_ERR_INTERNAL);
	CHECK_ERR(tok_del_object(t, 16), KYSO_ERR_INTERNAL);

	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_add_object(t, 0,
		      data_obj("pub", public, sizeof(public) - 1), &pub_id),
	    0);
	/* A private object needs the token key. */
	CHECK_ERR(tok_add_object(t, 1, data_obj("priv", "x", 1), &id),
	    KYSO_ERR_PERMISSION);
	tok_end(t);
	CHECK(tok_nobjects(t) == 1);

	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8, USER, 8), 0);
	CHECK_ERR(tok_login_user(t, USER, 8), 0);
	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_add_object(t, 1,
		      data_obj("priv", secret, sizeof(secret) - 1), &priv_id),
	    0);
	tok_end(t);
	CHECK(priv_id != pub_id && tok_nobjects(t) == 2);
	ga = tobj_attrs(tok_object(t, priv_id));
	CHECK(ga != NULL && (v = attrs_get(ga, CKA_VALUE, &n)) != NULL &&
	    n == sizeof(secret) - 1 && memcmp(v, secret, n) == 0);
	CHECK(tobj_private(tok_object(t, priv_id)));
	CHECK(!tobj_private(tok_object(t, pub_id)));

	/* Encrypted at rest: the public value is in clear, the private one
	 * is not. */
	CHECK(file_has(path, public, sizeof(public) - 1) == 1);
	CHECK(file_has(path, secret, sizeof(secret) - 1) == 0);

	/* A second handle (another process) sees both; the private one
	 * only after its own login. */
	CHECK_ERR(tok_open(path, &t2), 0);
	if (t2 == NULL)
		goto out;
	CHECK(tok_nobjects(t2) == 2);
	CHECK(tok_object(t2, priv_id) != NULL &&
	    tobj_attrs(tok_object(t2, priv_id)) == NULL);
	CHECK(tok_object(t2, pub_id) != NULL &&
	    tobj_attrs(tok_object(t2, pub_id)) != NULL);
	CHECK_ERR(tok_login_user(t2, USER, 8), 0);
	ga = tobj_attrs(tok_object(t2, priv_id));
	CHECK(ga != NULL && (v = attrs_get(ga, CKA_VALUE, &n)) != NULL &&
	    n == sizeof(secret) - 1 && memcmp(v, secret, n) == 0);

	/* Replace and delete in one handle, seen in the other. */
	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_replace_object(t, pub_id, data_obj("pub2", "new", 3)), 0);
	CHECK_ERR(tok_replace_object(t, 9999, data_obj("none", "x", 1)),
	    KYSO_ERR_NOT_FOUND);
	CHECK_ERR(tok_replace_object(t, priv_id, data_obj("priv2", "s2", 2)), 0);
	tok_end(t);
	CHECK_ERR(tok_refresh(t2), 0);
	ga = tobj_attrs(tok_object(t2, pub_id));
	CHECK(ga != NULL && (v = attrs_get(ga, CKA_LABEL, &n)) != NULL &&
	    n == 4 && memcmp(v, "pub2", 4) == 0);
	ga = tobj_attrs(tok_object(t2, priv_id));
	CHECK(ga != NULL && (v = attrs_get(ga, CKA_VALUE, &n)) != NULL &&
	    n == 2 && memcmp(v, "s2", 2) == 0);

	CHECK_ERR(tok_begin(t2), 0);
	CHECK_ERR(tok_del_object(t2, pub_id), 0);
	CHECK_ERR(tok_del_object(t2, pub_id), KYSO_ERR_NOT_FOUND);
	tok_end(t2);
	CHECK_ERR(tok_begin(t), 0);
	CHECK(tok_nobjects(t) == 1 && tok_object(t, pub_id) == NULL);
	/* Ids are not reused. */
	CHECK_ERR(tok_add_object(t, 0, data_obj("again", "a", 1), &id), 0);
	CHECK(id != pub_id && id != priv_id);
	tok_end(t);
	tok_logout(t);
	CHECK(tobj_attrs(tok_object(t, priv_id)) == NULL);

	/* Re-initializing needs the SO PIN and wipes every object and the
	 * user PIN; the other handle loses its login. */
	CHECK_ERR(tok_init_token(t, "00000000", 8, "fresh"),
	    KYSO_ERR_PIN_INCORRECT);
	CHECK(tok_nobjects(t) == 2);
	CHECK_ERR(tok_init_token(t, SO, 8, "fresh"), 0);
	CHECK(tok_nobjects(t) == 0 && tok_info(t)->used == 0);
	CHECK(!tok_info(t)->user_pin_set);
	CHECK(strcmp(tok_info(t)->label, "fresh") == 0);
	CHECK_ERR(tok_login_user(t, USER, 8), KYSO_ERR_NOT_FOUND);
	CHECK_ERR(tok_refresh(t2), 0);
	CHECK(tok_nobjects(t2) == 0 && !tok_unlocked(t2));
	CHECK_ERR(tok_login_so(t, SO, 8), 0);
	CHECK_ERR(tok_init_pin(t, USER, 8), 0);
	CHECK(tok_info(t)->user_pin_set && !tok_info(t)->user_to_be_changed);
	tok_logout(t);
	CHECK_ERR(tok_login_user(t2, USER, 8), 0);
out:
	tok_free(t2);
	tok_free(t);
	free(path);
}

static void
test_capacity(void)
{
	struct tok_params p = params("ST0007");
	struct tok *t;
	uint8_t big[1500];
	uint32_t id = 0, used;
	char *path;

	memset(big, 0x5a, sizeof(big));
	p.capacity = 1024;
	t = make("full.tok", &p, &path);
	if (t == NULL)
		goto out;
	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_add_object(t, 0, data_obj("big", big, sizeof(big)), &id),
	    KYSO_ERR_CAPACITY);
	CHECK(tok_nobjects(t) == 0 && tok_info(t)->used == 0);
	CHECK_ERR(tok_add_object(t, 0, data_obj("a", big, 400), &id), 0);
	used = tok_info(t)->used;
	CHECK(used > 400 && used < 1024);
	CHECK_ERR(tok_add_object(t, 0, data_obj("b", big, 400), &id), 0);
	CHECK_ERR(tok_add_object(t, 0, data_obj("c", big, 400), &id),
	    KYSO_ERR_CAPACITY);
	CHECK(tok_nobjects(t) == 2);
	/* Growing an object past the capacity fails too. */
	CHECK_ERR(tok_replace_object(t, id, data_obj("b", big, 700)),
	    KYSO_ERR_CAPACITY);
	tok_end(t);
	/* What failed was never written. */
	tok_free(t);
	t = NULL;
	CHECK_ERR(tok_open(path, &t), 0);
	if (t == NULL)
		goto out;
	CHECK(tok_nobjects(t) == 2);
	CHECK(tok_info(t)->used == 2 * used);
	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_del_object(t, id), 0);
	CHECK(tok_info(t)->used == used);
	CHECK_ERR(tok_add_object(t, 0, data_obj("c", big, 400), &id), 0);
	tok_end(t);
out:
	tok_free(t);
	free(path);
}

static void
test_lock(void)
{
	struct tok_params p = params("ST0008");
	struct tok *t;
	char *path, *lockpath = NULL;
	int fd = -1;

	t = make("lock.tok", &p, &path);
	if (t == NULL || asprintf(&lockpath, "%s.lock", path) < 0) {
		lockpath = NULL;
		goto out;
	}
	/* Another open file description stands for another process. */
	fd = open(lockpath, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK(flock(fd, LOCK_UN) == 0);
	CHECK_ERR(tok_begin(t), 0);
	errno = 0;
	CHECK(flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK);
	tok_end(t);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK(flock(fd, LOCK_UN) == 0);
	/* A login holds the lock while it counts and compares, and lets go. */
	CHECK_ERR(tok_login_user(t, "00000000", 8), KYSO_ERR_PIN_INCORRECT);
	CHECK(flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK(flock(fd, LOCK_UN) == 0);
out:
	if (fd >= 0)
		close(fd);
	tok_free(t);
	free(lockpath);
	free(path);
}

/* Rewrites the file at path with byte i xor-ed with x. */
static int
flip(const char *path, size_t i, uint8_t x)
{
	struct buf *b = NULL;
	int r;

	if ((r = file_read(path, 16 * 1024 * 1024, &b)) != 0)
		return r;
	if (i >= buf_len(b)) {
		buf_free(b);
		return KYSO_ERR_INVALID;
	}
	buf_mutable_ptr(b)[i] ^= x;
	r = file_write_atomic(path, buf_ptr(b), buf_len(b), 0600);
	buf_free(b);
	return r;
}

static void
test_corrupt(void)
{
	struct tok_params p = params("ST0009");
	struct tok *t, *t2 = NULL;
	struct buf *orig = NULL;
	uint32_t id = 0;
	size_t len = 0, i;
	char *path;

	t = make("corrupt.tok", &p, &path);
	if (t == NULL)
		goto out;
	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_add_object(t, 0, data_obj("d", "value", 5), &id), 0);
	tok_end(t);
	CHECK_ERR(file_read(path, 16 * 1024 * 1024, &orig), 0);
	if (orig == NULL)
		goto out;
	len = buf_len(orig);
	/* Flip bytes at the start, the middle and in the checksum. */
	for (i = 0; i < len; i += len / 7) {
		CHECK_ERR(flip(path, i, 0x01), 0);
		t2 = NULL;
		CHECK_ERR(tok_open(path, &t2), KYSO_ERR_CORRUPT);
		CHECK(t2 == NULL);
		/* The handle already open cannot reload it either. */
		if (i == 0)
			CHECK_ERR(tok_begin(t), KYSO_ERR_CORRUPT);
		CHECK_ERR(flip(path, i, 0x01), 0);
	}
	CHECK_ERR(flip(path, len - 1, 0x80), 0);
	CHECK_ERR(tok_open(path, &t2), KYSO_ERR_CORRUPT);
	CHECK_ERR(flip(path, len - 1, 0x80), 0);
	/* Cut short, or grown. */
	CHECK_ERR(file_write_atomic(path, buf_ptr(orig), len - 1, 0600), 0);
	CHECK_ERR(tok_open(path, &t2), KYSO_ERR_CORRUPT);
	CHECK_ERR(file_write_atomic(path, buf_ptr(orig), 20, 0600), 0);
	CHECK_ERR(tok_open(path, &t2), KYSO_ERR_CORRUPT);
	CHECK_ERR(file_write_atomic(path, "", 0, 0600), 0);
	CHECK_ERR(tok_open(path, &t2), KYSO_ERR_CORRUPT);
	/* Restored, it opens again with its object. */
	CHECK_ERR(file_write_atomic(path, buf_ptr(orig), len, 0600), 0);
	t2 = NULL;
	CHECK_ERR(tok_open(path, &t2), 0);
	CHECK(t2 != NULL && tok_nobjects(t2) == 1 && tok_object(t2, id) != NULL);
	CHECK_ERR(tok_refresh(t), 0);
	CHECK(tok_nobjects(t) == 1);
out:
	buf_free(orig);
	tok_free(t2);
	tok_free(t);
	free(path);
}

static int
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* A write killed before its rename leaves "<file>.tmp.XXXXXX"; the next
 * commit (under the lock) removes such files, and only those. */
static void
test_stale_temps(void)
{
	struct tok_params p = params("ST0010");
	struct tok *t;
	char *path, *stale = NULL, *keep1 = NULL, *keep2 = NULL;

	t = make("temps.tok", &p, &path);
	if (t == NULL || asprintf(&stale, "%s.tmp.Ab12Cd", path) < 0 ||
	    asprintf(&keep1, "%s.tmp.notmine", path) < 0 ||
	    (keep2 = tpath("other.tok.tmp.Ab12Cd")) == NULL)
		goto out;
	CHECK(touch(stale) == 0 && touch(keep1) == 0 && touch(keep2) == 0);
	/* Reading leaves them. */
	CHECK_ERR(tok_refresh(t), 0);
	CHECK(access(stale, F_OK) == 0);
	/* A commit (here a counted login) sweeps the stale one. */
	CHECK_ERR(tok_login_user(t, "00000000", 8), KYSO_ERR_PIN_INCORRECT);
	CHECK(access(stale, F_OK) != 0);
	CHECK(access(keep1, F_OK) == 0);
	CHECK(access(keep2, F_OK) == 0);
	CHECK(access(path, F_OK) == 0);
out:
	free(stale);
	free(keep1);
	free(keep2);
	tok_free(t);
	free(path);
}

static uint32_t
file_version(const char *path)
{
	struct buf *b = NULL;
	uint32_t v = 0;

	if (file_read(path, 16 * 1024 * 1024, &b) != 0)
		return 0;
	if (buf_len(b) >= 12)
		v = (uint32_t)buf_ptr(b)[8] | (uint32_t)buf_ptr(b)[9] << 8 |
		    (uint32_t)buf_ptr(b)[10] << 16 |
		    (uint32_t)buf_ptr(b)[11] << 24;
	buf_free(b);
	return v;
}

/* A token file of version 1 (before the key check): made here from a new
 * version 2 file with no objects by dropping the key check (the 32 bytes
 * before next id, object count and the checksum) and re-summing. Opens,
 * counts PINs in version 1, and becomes version 2 after a login. */
static void
test_v1_file(void)
{
	struct tok_params p = params("ST0011");
	struct tok *t = NULL;
	struct buf *b = NULL, *v1 = NULL;
	const struct attrs *ga;
	uint8_t sum[32];
	uint32_t id = 0;
	size_t len;
	char *path = tpath("v1.tok");

	CHECK_ERR(tok_create(path, &p), 0);
	CHECK(file_version(path) == 2);
	CHECK_ERR(file_read(path, 16 * 1024 * 1024, &b), 0);
	if (b == NULL || (v1 = buf_new(0)) == NULL)
		goto out;
	len = buf_len(b);
	CHECK_ERR(buf_put(v1, buf_ptr(b), len - 72), 0);
	CHECK_ERR(buf_put(v1, buf_ptr(b) + len - 40, 8), 0);
	buf_mutable_ptr(v1)[8] = 1;
	CHECK_ERR(crypto_sha256(buf_ptr(v1), buf_len(v1), sum), 0);
	CHECK_ERR(buf_put(v1, sum, 32), 0);
	CHECK_ERR(file_write_atomic(path, buf_ptr(v1), buf_len(v1), 0600), 0);
	CHECK(file_version(path) == 1);

	CHECK_ERR(tok_open(path, &t), 0);
	if (t == NULL)
		goto out;
	CHECK(strcmp(tok_info(t)->serial, "ST0011") == 0);
	CHECK_ERR(tok_login_user(t, "00000000", 8), KYSO_ERR_PIN_INCORRECT);
	CHECK(file_version(path) == 1);
	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8, USER, 8), 0);
	CHECK_ERR(tok_login_user(t, USER, 8), 0);
	CHECK(tok_unlocked(t));
	CHECK_ERR(tok_begin(t), 0);
	CHECK_ERR(tok_add_object(t, 1, data_obj("p", "sealed", 6), &id), 0);
	tok_end(t);
	CHECK(file_version(path) == 2);
	tok_free(t);
	t = NULL;
	CHECK_ERR(tok_open(path, &t), 0);
	if (t == NULL)
		goto out;
	CHECK_ERR(tok_login_user(t, USER, 8), 0);
	ga = tobj_attrs(tok_object(t, id));
	CHECK(ga != NULL && attrs_get(ga, CKA_VALUE, &len) != NULL && len == 6);
	/* A version this kyso does not know is refused. */
	buf_mutable_ptr(v1)[8] = 4;
	{
		struct buf *w = buf_new(0);
		struct tok *t3 = NULL;

		CHECK(w != NULL &&
		    buf_put(w, buf_ptr(v1), buf_len(v1) - 32) == 0 &&
		    crypto_sha256(buf_ptr(w), buf_len(w), sum) == 0 &&
		    buf_put(w, sum, 32) == 0 &&
		    file_write_atomic(path, buf_ptr(w), buf_len(w), 0600) == 0);
		CHECK_ERR(tok_open(path, &t3), KYSO_ERR_UNSUPPORTED);
		tok_free(t3);
		buf_free(w);
	}
out:
	tok_free(t);
	buf_free(b);
	buf_free(v1);
	free(path);
}

/* The profile: a CA's token stays version 2 (every kyso reads it); a
 * general-purpose token is version 3, which carries it, and says so in
 * its model; a profile this kyso does not know is refused. */
static void
test_profile(void)
{
	struct tok_params p = params("ST0012");
	struct tok *t = NULL;
	char *path = NULL;

	t = make("ca.tok", &p, &path);
	CHECK(file_version(path) == 2);
	CHECK(t != NULL && tok_info(t)->profile == TOK_PROFILE_CA &&
	    strcmp(tok_info(t)->model, "kyso vToken") == 0);
	tok_free(t);
	free(path);
	p = params("ST0013");
	p.profile = TOK_PROFILE_GENERAL;
	t = make("general.tok", &p, &path);
	CHECK(file_version(path) == 3);
	CHECK(t != NULL && tok_info(t)->profile == TOK_PROFILE_GENERAL &&
	    strcmp(tok_info(t)->model, "kyso vToken gen") == 0);
	CHECK_ERR(tok_set_user_pin(t, TOK_DEFAULT_USER_PIN, 8, USER, 8), 0);
	tok_free(t);
	t = NULL;
	CHECK_ERR(tok_open(path, &t), 0);
	CHECK(t != NULL && tok_info(t)->profile == TOK_PROFILE_GENERAL);
	CHECK(file_version(path) == 3);
	tok_free(t);
	free(path);
	p = params("ST0014");
	p.profile = (enum tok_profile)7;
	path = tpath("bad.tok");
	CHECK_ERR(tok_create(path, &p), KYSO_ERR_INVALID);
	free(path);
}

static void
rm_rf(void)
{
	char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0 && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_create();
	test_user_pin();
	test_so_lockout();
	test_unblock();
	test_objects();
	test_capacity();
	test_lock();
	test_corrupt();
	test_stale_temps();
	test_v1_file();
	test_profile();
	rm_rf();
	return unit_done();
}
