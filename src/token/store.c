#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../common/crypto.h"
#include "../common/fsutil.h"
#include "../common/parse.h"

#define TOK_MAGIC "KYSOTOK\n"
#define TOK_VERSION 2
#define TOK_FILE_CAP (16 * 1024 * 1024)
#define TOK_FIRST_ID 16

struct tobj {
	uint32_t id;
	int priv;
	struct buf *sealed;     /* private objects: AES-GCM under the token key */
	struct attrs *a;        /* NULL while a private object is sealed */
	void *cache;
	void (*cache_free)(void *);
};

struct tok {
	char *path;
	char *lockpath;
	int lockfd;
	int curfd;              /* holds the loaded version's inode */
	dev_t dev;
	ino_t ino;
	int locked;

	struct tok_info info;
	unsigned kdf_log_n;
	uint8_t user_salt[16], so_salt[16];
	struct buf *user_wrap, *so_wrap, *admin_wrap;
	int has_admin;
	uint8_t admin_key[32];
	uint8_t challenge[TOK_CHALLENGE_LEN];
	uint8_t key_check[32];  /* names the token key; see key_check_of */
	int has_key_check;      /* 0 for a version 1 file until a login */
	uint32_t next_id;
	struct tobj **objs;
	size_t nobjs, alloc;

	uint8_t key[32];        /* the token key, while unlocked */
	int unlocked;
};

static void
tobj_free(struct tobj *o)
{
	if (o == NULL)
		return;
	if (o->cache != NULL && o->cache_free != NULL)
		o->cache_free(o->cache);
	attrs_free(o->a);
	buf_free(o->sealed);
	free(o);
}

static void
clear_state(struct tok *t)
{
	size_t i;

	for (i = 0; i < t->nobjs; i++)
		tobj_free(t->objs[i]);
	free(t->objs);
	t->objs = NULL;
	t->nobjs = t->alloc = 0;
	buf_free(t->user_wrap);
	buf_free(t->so_wrap);
	buf_free(t->admin_wrap);
	t->user_wrap = t->so_wrap = t->admin_wrap = NULL;
	OPENSSL_cleanse(t->admin_key, sizeof(t->admin_key));
	t->has_admin = 0;
}

static size_t
tobj_size(const struct tobj *o)
{
	return 16 + (o->priv ? buf_len(o->sealed) : attrs_size(o->a));
}

static int
obj_aad(uint32_t id, uint8_t aad[12])
{
	memcpy(aad, "kysoobj:", 8);
	aad[8] = (uint8_t)id;
	aad[9] = (uint8_t)(id >> 8);
	aad[10] = (uint8_t)(id >> 16);
	aad[11] = (uint8_t)(id >> 24);
	return 12;
}

static int
unseal(struct tok *t, struct tobj *o)
{
	struct buf *pt = NULL;
	uint8_t aad[12];
	int r;

	if ((pt = buf_new(TOK_FILE_CAP)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = crypto_open(t->key, aad, (size_t)obj_aad(o->id, aad),
	    buf_ptr(o->sealed), buf_len(o->sealed), pt)) != 0)
		goto out;
	attrs_free(o->a);
	o->a = NULL;
	r = attrs_parse(pt, &o->a);
out:
	buf_free(pt);
	return r;
}

static int
seal(struct tok *t, struct tobj *o)
{
	struct buf *pt = NULL, *ct = NULL;
	uint8_t aad[12];
	int r;

	if ((pt = buf_new(TOK_FILE_CAP)) == NULL ||
	    (ct = buf_new(TOK_FILE_CAP)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = attrs_serialize(o->a, pt)) != 0 ||
	    (r = crypto_seal(t->key, aad, (size_t)obj_aad(o->id, aad),
	    buf_ptr(pt), buf_len(pt), ct)) != 0)
		goto out;
	buf_free(o->sealed);
	o->sealed = ct;
	ct = NULL;
out:
	buf_free(pt);
	buf_free(ct);
	return r;
}

static void
wipe_key(struct tok *t)
{
	size_t i;

	OPENSSL_cleanse(t->key, sizeof(t->key));
	t->unlocked = 0;
	for (i = 0; i < t->nobjs; i++) {
		struct tobj *o = t->objs[i];

		if (!o->priv)
			continue;
		if (o->cache != NULL && o->cache_free != NULL)
			o->cache_free(o->cache);
		o->cache = NULL;
		attrs_free(o->a);
		o->a = NULL;
	}
}

/* A public value that tells which token key a file was written with, so
 * that a process holding a key sees a re-initialization by another one
 * even when no private object is left to fail to unseal. */
static int
key_check_of(const uint8_t key[32], uint8_t out[32])
{
	static const char label[] = "kyso-token-key-check";

	return crypto_hmac_sha256(key, 32, label, sizeof(label) - 1, out);
}

static void
unseal_all(struct tok *t)
{
	uint8_t kc[32];
	size_t i;

	if (t->has_key_check && (key_check_of(t->key, kc) != 0 ||
	    !crypto_equal(kc, t->key_check, sizeof(kc)))) {
		wipe_key(t);
		return;
	}
	for (i = 0; i < t->nobjs; i++) {
		if (t->objs[i]->priv && unseal(t, t->objs[i]) != 0) {
			/* The token key changed under us (re-initialized). */
			wipe_key(t);
			return;
		}
	}
}

static int
get_fixed(struct buf *b, void *p, size_t n)
{
	return buf_get(b, p, n) == 0 ? 0 : KYSO_ERR_CORRUPT;
}

static int
get_cstr_into(struct buf *b, char *dst, size_t dstsz)
{
	const uint8_t *p;
	size_t n;

	if (buf_get_string_direct(b, &p, &n) != 0 || n >= dstsz ||
	    memchr(p, '\0', n) != NULL)
		return KYSO_ERR_CORRUPT;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int
get_blob(struct buf *b, size_t cap, struct buf **out)
{
	const uint8_t *p;
	size_t n;
	struct buf *w;

	if (buf_get_string_direct(b, &p, &n) != 0 || n > cap)
		return KYSO_ERR_CORRUPT;
	if ((w = buf_new(cap)) == NULL)
		return KYSO_ERR_NOMEM;
	if (n > 0 && buf_put(w, p, n) != 0) {
		buf_free(w);
		return KYSO_ERR_NOMEM;
	}
	*out = w;
	return 0;
}

static int
add_obj(struct tok *t, struct tobj *o)
{
	if (t->nobjs == t->alloc) {
		size_t na = t->alloc ? t->alloc * 2 : 16;
		struct tobj **n = realloc(t->objs, na * sizeof(*n));

		if (n == NULL)
			return KYSO_ERR_NOMEM;
		t->objs = n;
		t->alloc = na;
	}
	t->objs[t->nobjs++] = o;
	return 0;
}

/* Parses a whole token file into t (whose state was cleared). */
static int
parse(struct tok *t, struct buf *b)
{
	struct tok_info *in = &t->info;
	uint8_t magic[8], sum[32], want[32], v8[4];
	uint32_t ver, u[10], n, i, has_admin;
	int r;

	if (buf_len(b) < sizeof(magic) + 32)
		return KYSO_ERR_CORRUPT;
	if ((r = crypto_sha256(buf_ptr(b), buf_len(b) - 32, sum)) != 0)
		return r;
	if (!crypto_equal(sum, buf_ptr(b) + buf_len(b) - 32, 32))
		return KYSO_ERR_CORRUPT;
	if (get_fixed(b, magic, 8) != 0 || memcmp(magic, TOK_MAGIC, 8) != 0)
		return KYSO_ERR_CORRUPT;
	if (buf_get_u32(b, &ver) != 0 || ver < 1 || ver > TOK_VERSION)
		return KYSO_ERR_UNSUPPORTED;
	if ((r = get_cstr_into(b, in->label, sizeof(in->label))) != 0 ||
	    (r = get_cstr_into(b, in->manufacturer, sizeof(in->manufacturer))) != 0 ||
	    (r = get_cstr_into(b, in->model, sizeof(in->model))) != 0 ||
	    (r = get_cstr_into(b, in->serial, sizeof(in->serial))) != 0 ||
	    (r = get_fixed(b, v8, 4)) != 0)
		return r;
	in->hw_major = v8[0];
	in->hw_minor = v8[1];
	in->fw_major = v8[2];
	in->fw_minor = v8[3];
	for (i = 0; i < 10; i++)
		if (buf_get_u32(b, &u[i]) != 0)
			return KYSO_ERR_CORRUPT;
	in->capacity = u[0];
	in->initialized = u[1] != 0;
	in->user_pin_set = u[2] != 0;
	in->user_to_be_changed = u[3] != 0;
	in->so_to_be_changed = u[4] != 0;
	in->user_max = u[5];
	in->user_fail = u[6];
	in->so_max = u[7];
	in->so_fail = u[8];
	t->kdf_log_n = u[9];
	if ((r = get_fixed(b, t->user_salt, 16)) != 0 ||
	    (r = get_blob(b, 1024, &t->user_wrap)) != 0 ||
	    (r = get_fixed(b, t->so_salt, 16)) != 0 ||
	    (r = get_blob(b, 1024, &t->so_wrap)) != 0 ||
	    buf_get_u32(b, &has_admin) != 0 ||
	    (r = get_fixed(b, t->admin_key, 32)) != 0 ||
	    (r = get_blob(b, 1024, &t->admin_wrap)) != 0 ||
	    (r = get_fixed(b, t->challenge, TOK_CHALLENGE_LEN)) != 0 ||
	    (ver >= 2 &&
	    (r = get_fixed(b, t->key_check, sizeof(t->key_check))) != 0) ||
	    buf_get_u32(b, &t->next_id) != 0 || buf_get_u32(b, &n) != 0)
		return r ? r : KYSO_ERR_CORRUPT;
	t->has_admin = has_admin != 0;
	t->has_key_check = ver >= 2;
	in->used = 0;
	for (i = 0; i < n; i++) {
		struct tobj *o = calloc(1, sizeof(*o));
		uint32_t priv;

		if (o == NULL)
			return KYSO_ERR_NOMEM;
		if ((r = add_obj(t, o)) != 0) {
			free(o);
			return r;
		}
		if (buf_get_u32(b, &o->id) != 0 || buf_get_u32(b, &priv) != 0)
			return KYSO_ERR_CORRUPT;
		o->priv = priv != 0;
		if (o->priv) {
			if ((r = get_blob(b, TOK_FILE_CAP, &o->sealed)) != 0)
				return r;
		} else {
			const uint8_t *p;
			size_t len;
			struct buf *ab;

			if (buf_get_string_direct(b, &p, &len) != 0)
				return KYSO_ERR_CORRUPT;
			if ((ab = buf_from(p, len)) == NULL)
				return KYSO_ERR_NOMEM;
			r = attrs_parse(ab, &o->a);
			buf_free(ab);
			if (r != 0)
				return KYSO_ERR_CORRUPT;
		}
		in->used += (uint32_t)tobj_size(o);
	}
	if (get_fixed(b, want, 32) != 0 || buf_len(b) != 0)
		return KYSO_ERR_CORRUPT;
	return 0;
}

static int
serialize(const struct tok *t, struct buf *b)
{
	const struct tok_info *in = &t->info;
	uint8_t v8[4] = { in->hw_major, in->hw_minor, in->fw_major, in->fw_minor };
	uint32_t u[10] = { in->capacity, (uint32_t)in->initialized,
	    (uint32_t)in->user_pin_set, (uint32_t)in->user_to_be_changed,
	    (uint32_t)in->so_to_be_changed, in->user_max, in->user_fail,
	    in->so_max, in->so_fail, t->kdf_log_n };
	uint8_t sum[32];
	size_t i;
	int r;

	/* A version 1 file stays version 1 until a login gives its key check. */
	if ((r = buf_put(b, TOK_MAGIC, 8)) != 0 ||
	    (r = buf_put_u32(b, t->has_key_check ? TOK_VERSION : 1)) != 0 ||
	    (r = buf_put_cstring(b, in->label)) != 0 ||
	    (r = buf_put_cstring(b, in->manufacturer)) != 0 ||
	    (r = buf_put_cstring(b, in->model)) != 0 ||
	    (r = buf_put_cstring(b, in->serial)) != 0 ||
	    (r = buf_put(b, v8, 4)) != 0)
		return r;
	for (i = 0; i < 10; i++)
		if ((r = buf_put_u32(b, u[i])) != 0)
			return r;
	if ((r = buf_put(b, t->user_salt, 16)) != 0 ||
	    (r = buf_put_string(b, buf_ptr(t->user_wrap), buf_len(t->user_wrap))) != 0 ||
	    (r = buf_put(b, t->so_salt, 16)) != 0 ||
	    (r = buf_put_string(b, buf_ptr(t->so_wrap), buf_len(t->so_wrap))) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)t->has_admin)) != 0 ||
	    (r = buf_put(b, t->admin_key, 32)) != 0 ||
	    (r = buf_put_string(b, buf_ptr(t->admin_wrap), buf_len(t->admin_wrap))) != 0 ||
	    (r = buf_put(b, t->challenge, TOK_CHALLENGE_LEN)) != 0 ||
	    (t->has_key_check &&
	    (r = buf_put(b, t->key_check, sizeof(t->key_check))) != 0) ||
	    (r = buf_put_u32(b, t->next_id)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)t->nobjs)) != 0)
		return r;
	for (i = 0; i < t->nobjs; i++) {
		const struct tobj *o = t->objs[i];

		if ((r = buf_put_u32(b, o->id)) != 0 ||
		    (r = buf_put_u32(b, (uint32_t)o->priv)) != 0)
			return r;
		if (o->priv) {
			r = buf_put_string(b, buf_ptr(o->sealed), buf_len(o->sealed));
		} else {
			uint8_t *lenp;
			size_t before = buf_len(b);

			if ((r = buf_reserve(b, 4, &lenp)) != 0 ||
			    (r = attrs_serialize(o->a, b)) != 0)
				return r;
			/* Patch the length now that the attributes are out. */
			lenp = buf_mutable_ptr(b) + before;
			{
				size_t al = buf_len(b) - before - 4;

				lenp[0] = (uint8_t)al;
				lenp[1] = (uint8_t)(al >> 8);
				lenp[2] = (uint8_t)(al >> 16);
				lenp[3] = (uint8_t)(al >> 24);
			}
		}
		if (r != 0)
			return r;
	}
	if ((r = crypto_sha256(buf_ptr(b), buf_len(b), sum)) != 0)
		return r;
	return buf_put(b, sum, 32);
}

/* Loads the file at t->path when it is not the version held. */
static int
load(struct tok *t, int force)
{
	struct buf *b = NULL;
	struct stat st;
	uint8_t tmp[16384];
	ssize_t n;
	int fd = -1, r = KYSO_ERR_INTERNAL;

	if (!force && t->curfd >= 0 && stat(t->path, &st) == 0 &&
	    st.st_ino == t->ino && st.st_dev == t->dev)
		return 0;
	if ((fd = open(t->path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? KYSO_ERR_NOT_FOUND : KYSO_ERR_IO;
	if (fstat(fd, &st) != 0) {
		r = KYSO_ERR_IO;
		goto out;
	}
	if ((b = buf_new(TOK_FILE_CAP)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = KYSO_ERR_IO;
			goto out;
		}
		if ((r = buf_put(b, tmp, (size_t)n)) != 0)
			goto out;
	}
	clear_state(t);
	if ((r = parse(t, b)) != 0) {
		clear_state(t);
		t->ino = 0;
		if (t->curfd >= 0)
			close(t->curfd);
		t->curfd = -1;
		goto out;
	}
	if (t->curfd >= 0)
		close(t->curfd);
	t->curfd = fd;
	fd = -1;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	if (t->unlocked)
		unseal_all(t);
	r = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	buf_free(b);
	if (fd >= 0)
		close(fd);
	return r;
}

static struct tok *
tok_alloc(const char *path)
{
	struct tok *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->curfd = t->lockfd = -1;
	if ((t->path = strdup(path)) == NULL ||
	    asprintf(&t->lockpath, "%s.lock", path) < 0) {
		t->lockpath = NULL;
		tok_free(t);
		return NULL;
	}
	return t;
}

static int
lock(struct tok *t)
{
	if (t->lockfd < 0 &&
	    (t->lockfd = open(t->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return errno == EACCES ? KYSO_ERR_PERMISSION : KYSO_ERR_IO;
	while (flock(t->lockfd, LOCK_EX) != 0)
		if (errno != EINTR)
			return KYSO_ERR_IO;
	t->locked = 1;
	return 0;
}

int
tok_open(const char *path, struct tok **out)
{
	struct tok *t = tok_alloc(path);
	int r;

	if (t == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = load(t, 1)) != 0) {
		tok_free(t);
		return r;
	}
	*out = t;
	return 0;
}

void
tok_free(struct tok *t)
{
	if (t == NULL)
		return;
	wipe_key(t);
	clear_state(t);
	if (t->curfd >= 0)
		close(t->curfd);
	if (t->lockfd >= 0)
		close(t->lockfd);
	free(t->path);
	free(t->lockpath);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

int
tok_refresh(struct tok *t)
{
	return load(t, 0);
}

int
tok_begin(struct tok *t)
{
	int r;

	if ((r = lock(t)) != 0)
		return r;
	if ((r = load(t, 0)) != 0)
		tok_end(t);
	return r;
}

/* Removes the temp files of writes that were killed before their rename
 * ("<file>.tmp.XXXXXX"). Only a writer holding the lock makes one, and we
 * hold it: any there now is left over. Best effort. */
static void
remove_stale_temps(const struct tok *t)
{
	char *dcopy = NULL, *bcopy = NULL, *prefix = NULL, *full;
	const char *base, *dir;
	struct dirent *de;
	DIR *d = NULL;
	size_t plen;

	if ((dcopy = strdup(t->path)) == NULL || (bcopy = strdup(t->path)) == NULL)
		goto out;
	base = basename(bcopy);
	if (asprintf(&prefix, "%s.tmp.", base) < 0) {
		prefix = NULL;
		goto out;
	}
	plen = strlen(prefix);
	dir = dirname(dcopy);
	if ((d = opendir(dir)) == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    strlen(de->d_name) != plen + 6)
			continue;
		if ((full = path_join(dir, de->d_name)) != NULL)
			(void)unlink(full);
		free(full);
	}
out:
	if (d != NULL)
		closedir(d);
	free(prefix);
	free(bcopy);
	free(dcopy);
}

int
tok_commit(struct tok *t)
{
	struct buf *b = NULL;
	struct stat st;
	int r;

	if (!t->locked)
		return KYSO_ERR_INTERNAL;
	if ((b = buf_new(TOK_FILE_CAP)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = serialize(t, b)) != 0)
		goto out;
	remove_stale_temps(t);
	if ((r = file_write_atomic(t->path, buf_ptr(b), buf_len(b), 0600)) != 0)
		goto out;
	/* Hold the new version so that its inode marks it as ours. */
	if (t->curfd >= 0)
		close(t->curfd);
	t->curfd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (t->curfd >= 0 && fstat(t->curfd, &st) == 0) {
		t->dev = st.st_dev;
		t->ino = st.st_ino;
	} else {
		t->ino = 0;
	}
	r = 0;
out:
	buf_free(b);
	return r;
}

void
tok_end(struct tok *t)
{
	if (t->locked && t->lockfd >= 0)
		flock(t->lockfd, LOCK_UN);
	t->locked = 0;
}

/* The state in memory no longer matches the file after a failed commit:
 * force the next read to reload. */
static void
invalidate(struct tok *t)
{
	if (t->curfd >= 0)
		close(t->curfd);
	t->curfd = -1;
	t->ino = 0;
}

const struct tok_info *
tok_info(const struct tok *t)
{
	return &t->info;
}

const uint8_t *
tok_challenge(const struct tok *t)
{
	return t->challenge;
}

int
tok_has_admin_key(const struct tok *t)
{
	return t->has_admin;
}

int
tok_unlocked(const struct tok *t)
{
	return t->unlocked;
}

static int
pin_key(const struct tok *t, const uint8_t salt[16], const void *pin,
    size_t n, uint8_t out[32])
{
	return crypto_scrypt(pin, n, salt, 16, t->kdf_log_n, out);
}

/* Wraps the token key under a key derived from a PIN, with a new salt. */
static int
wrap_pin(struct tok *t, const uint8_t key[32], const char *aad, uint8_t salt[16],
    struct buf **wrap, const void *pin, size_t n)
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
	if ((r = lock(t)) != 0)
		goto out;
	if (stat(path, &st) == 0) {
		r = KYSO_ERR_EXISTS;
		goto out;
	}
	snprintf(t->info.label, sizeof(t->info.label), "%s",
	    default_str(p->label, "kyso token"));
	snprintf(t->info.manufacturer, sizeof(t->info.manufacturer), "kyso");
	snprintf(t->info.model, sizeof(t->info.model), "kyso vToken");
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
	    (r = key_check_of(key, t->key_check)) != 0 ||
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
 * grants a free try), then resets the count on success. */
static int
counted_check(struct tok *t, int so, const void *pin, size_t n, uint8_t key[32])
{
	uint32_t *fail = so ? &t->info.so_fail : &t->info.user_fail;
	uint32_t max = so ? t->info.so_max : t->info.user_max;
	int r, cr;

	if (*fail >= max)
		return KYSO_ERR_PIN_LOCKED;
	(*fail)++;
	if ((r = tok_commit(t)) != 0) {
		invalidate(t);
		return r;
	}
	if (!pin_len_ok(n))
		cr = KYSO_ERR_PIN_INCORRECT;
	else
		cr = so ? unwrap_pin(t, "so", t->so_salt, t->so_wrap, pin, n, key)
		    : unwrap_pin(t, "user", t->user_salt, t->user_wrap, pin, n, key);
	if (cr != 0)
		return cr;
	*fail = 0;
	if ((r = tok_commit(t)) != 0) {
		invalidate(t);
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
	if (!t->has_key_check && key_check_of(key, t->key_check) == 0)
		t->has_key_check = 1;
	unseal_all(t);
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
		invalidate(t);
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
	    buf_len(t->admin_wrap), key) != 0 || buf_len(key) != 32) {
		r = KYSO_ERR_CORRUPT;
		goto out;
	}
	t->info.so_fail = 0;
	if ((r = tok_commit(t)) != 0) {
		invalidate(t);
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
	wipe_key(t);
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
		invalidate(t);
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
		invalidate(t);
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
	wipe_key(t);
	for (i = 0; i < t->nobjs; i++)
		tobj_free(t->objs[i]);
	t->nobjs = 0;
	t->info.used = 0;
	t->next_id = TOK_FIRST_ID;
	if ((r = crypto_random(nkey, 32)) != 0 ||
	    (r = key_check_of(nkey, t->key_check)) != 0 ||
	    (r = wrap_pin(t, nkey, "so", t->so_salt, &t->so_wrap, so_pin, n)) != 0 ||
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
		invalidate(t);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(nkey, sizeof(nkey));
	tok_end(t);
	return r;
}

size_t
tok_nobjects(const struct tok *t)
{
	return t->nobjs;
}

struct tobj *
tok_object_at(struct tok *t, size_t i)
{
	return i < t->nobjs ? t->objs[i] : NULL;
}

struct tobj *
tok_object(struct tok *t, uint32_t id)
{
	size_t i;

	for (i = 0; i < t->nobjs; i++)
		if (t->objs[i]->id == id)
			return t->objs[i];
	return NULL;
}

int
tok_add_object(struct tok *t, int priv, struct attrs *a, uint32_t *id)
{
	struct tobj *o = NULL;
	int r;

	if (!t->locked) {
		attrs_free(a);
		return KYSO_ERR_INTERNAL;
	}
	if (priv && !t->unlocked) {
		attrs_free(a);
		return KYSO_ERR_PERMISSION;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		attrs_free(a);
		return KYSO_ERR_NOMEM;
	}
	o->id = t->next_id;
	o->priv = priv;
	o->a = a;
	if (priv && (r = seal(t, o)) != 0)
		goto fail;
	if (tobj_size(o) > t->info.capacity - t->info.used) {
		r = KYSO_ERR_CAPACITY;
		goto fail;
	}
	if ((r = add_obj(t, o)) != 0)
		goto fail;
	t->next_id++;
	t->info.used += (uint32_t)tobj_size(o);
	if ((r = tok_commit(t)) != 0) {
		invalidate(t);
		return r;
	}
	*id = o->id;
	return 0;
fail:
	tobj_free(o);
	return r;
}

int
tok_replace_object(struct tok *t, uint32_t id, struct attrs *a)
{
	struct tobj *o = tok_object(t, id);
	struct attrs *old;
	size_t before;
	int r;

	if (o == NULL || !t->locked) {
		attrs_free(a);
		return o == NULL ? KYSO_ERR_NOT_FOUND : KYSO_ERR_INTERNAL;
	}
	before = tobj_size(o);
	old = o->a;
	o->a = a;
	if (o->priv && (r = seal(t, o)) != 0) {
		o->a = old;
		attrs_free(a);
		return r;
	}
	if (tobj_size(o) > before &&
	    tobj_size(o) - before > t->info.capacity - t->info.used) {
		invalidate(t);
		attrs_free(old);
		return KYSO_ERR_CAPACITY;
	}
	attrs_free(old);
	t->info.used = (uint32_t)(t->info.used - before + tobj_size(o));
	if ((r = tok_commit(t)) != 0)
		invalidate(t);
	return r;
}

int
tok_del_object(struct tok *t, uint32_t id)
{
	size_t i;
	int r;

	if (!t->locked)
		return KYSO_ERR_INTERNAL;
	for (i = 0; i < t->nobjs; i++) {
		if (t->objs[i]->id != id)
			continue;
		t->info.used -= (uint32_t)tobj_size(t->objs[i]);
		tobj_free(t->objs[i]);
		memmove(&t->objs[i], &t->objs[i + 1],
		    (t->nobjs - i - 1) * sizeof(t->objs[0]));
		t->nobjs--;
		if ((r = tok_commit(t)) != 0)
			invalidate(t);
		return r;
	}
	return KYSO_ERR_NOT_FOUND;
}

uint32_t
tobj_id(const struct tobj *o)
{
	return o->id;
}

int
tobj_private(const struct tobj *o)
{
	return o->priv;
}

const struct attrs *
tobj_attrs(const struct tobj *o)
{
	return o->a;
}

void *
tobj_cache(const struct tobj *o)
{
	return o->cache;
}

void
tobj_set_cache(struct tobj *o, void *c, void (*free_fn)(void *))
{
	if (o->cache != NULL && o->cache_free != NULL)
		o->cache_free(o->cache);
	o->cache = c;
	o->cache_free = free_fn;
}
