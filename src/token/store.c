/* The token file: its format, the sealing of private objects, atomic
 * writes under the lock file, reloads when another process committed, and
 * the objects. The PIN and unblock state machine that changes it is in
 * store_auth.c. See docs/internals/token-store.md. */
#include "store_int.h"

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

#define TOK_MAGIC    "KYSOTOK\n"
#define TOK_VERSION  3
#define TOK_FILE_CAP (16 * 1024 * 1024)
#define JNL_MAGIC    "KYSOJNL\n"
#define JNL_HEADER   40 /* magic, the file's SHA-256 */
/* A journal grows up to the file's own length (at least this), then the
 * next write is a whole file again: reading costs at most twice. */
#define JNL_MIN_MAX  (256 * 1024)

/* Frees an object and the module's cache on it (a parsed key). */
void
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

/* Forgets the token key and every private object's clear attributes and
 * cached key: a logout, a re-initialization seen, or the end. */
void
tok_wipe_key(struct tok *t)
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
int
tok_key_check(const uint8_t key[32], uint8_t out[32])
{
	static const char label[] = "kyso-token-key-check";

	return crypto_hmac_sha256(key, 32, label, sizeof(label) - 1, out);
}

/* Opens every private object with the token key held; a key that no
 * longer names the file's (re-initialized elsewhere) is dropped. */
void
tok_unseal_all(struct tok *t)
{
	uint8_t kc[32];
	size_t i;

	if (t->has_key_check &&
	    (tok_key_check(t->key, kc) != 0 ||
		!crypto_equal(kc, t->key_check, sizeof(kc)))) {
		tok_wipe_key(t);
		return;
	}
	for (i = 0; i < t->nobjs; i++) {
		if (t->objs[i]->priv && unseal(t, t->objs[i]) != 0) {
			/* The token key changed under us (re-initialized). */
			tok_wipe_key(t);
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

/* One object as the file and the journal hold it: u32 id, u32 private,
 * string blob. */
static int
parse_obj(struct tok *t, struct buf *b)
{
	struct tobj *o = calloc(1, sizeof(*o));
	uint32_t priv;
	int r;

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
	t->info.used += (uint32_t)tobj_size(o);
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
	memcpy(t->base_sum, sum, 32);
	t->fsize = buf_len(b);
	if (get_fixed(b, magic, 8) != 0 || memcmp(magic, TOK_MAGIC, 8) != 0)
		return KYSO_ERR_CORRUPT;
	if (buf_get_u32(b, &ver) != 0 || ver < 1 || ver > TOK_VERSION)
		return KYSO_ERR_UNSUPPORTED;
	if ((r = get_cstr_into(b, in->label, sizeof(in->label))) != 0 ||
	    (r = get_cstr_into(b, in->manufacturer, sizeof(in->manufacturer))) !=
		0 ||
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
	/* Version 3 adds the profile; before it every token was a CA's. */
	in->profile = TOK_PROFILE_CA;
	if (ver >= 3) {
		if (buf_get_u32(b, &u[0]) != 0)
			return KYSO_ERR_CORRUPT;
		if (u[0] != TOK_PROFILE_CA && u[0] != TOK_PROFILE_GENERAL)
			return KYSO_ERR_UNSUPPORTED;
		in->profile = (enum tok_profile)u[0];
	}
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
	t->has_key_check = t->file_key_check = ver >= 2;
	in->used = 0;
	for (i = 0; i < n; i++)
		if ((r = parse_obj(t, b)) != 0)
			return r;
	if (get_fixed(b, want, 32) != 0 || buf_len(b) != 0)
		return KYSO_ERR_CORRUPT;
	return 0;
}

static int
serialize_obj(const struct tobj *o, struct buf *b)
{
	uint8_t *lenp;
	size_t before, al;
	int r;

	if ((r = buf_put_u32(b, o->id)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)o->priv)) != 0)
		return r;
	if (o->priv)
		return buf_put_string(b, buf_ptr(o->sealed), buf_len(o->sealed));
	before = buf_len(b);
	if ((r = buf_reserve(b, 4, &lenp)) != 0 ||
	    (r = attrs_serialize(o->a, b)) != 0)
		return r;
	/* Patch the length now that the attributes are out. */
	lenp = buf_mutable_ptr(b) + before;
	al = buf_len(b) - before - 4;
	lenp[0] = (uint8_t)al;
	lenp[1] = (uint8_t)(al >> 8);
	lenp[2] = (uint8_t)(al >> 16);
	lenp[3] = (uint8_t)(al >> 24);
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
	/* A version 1 file stays version 1 until a login gives its key
	 * check; a CA's token stays version 2, which every kyso reads. */
	uint32_t ver = in->profile != TOK_PROFILE_CA ? TOK_VERSION
	    : t->has_key_check			     ? 2
						     : 1;
	size_t i;
	int r;

	if ((r = buf_put(b, TOK_MAGIC, 8)) != 0 ||
	    (r = buf_put_u32(b, ver)) != 0 ||
	    (r = buf_put_cstring(b, in->label)) != 0 ||
	    (r = buf_put_cstring(b, in->manufacturer)) != 0 ||
	    (r = buf_put_cstring(b, in->model)) != 0 ||
	    (r = buf_put_cstring(b, in->serial)) != 0 ||
	    (r = buf_put(b, v8, 4)) != 0)
		return r;
	for (i = 0; i < 10; i++)
		if ((r = buf_put_u32(b, u[i])) != 0)
			return r;
	if (ver >= 3 && (r = buf_put_u32(b, (uint32_t)in->profile)) != 0)
		return r;
	if ((r = buf_put(b, t->user_salt, 16)) != 0 ||
	    (r = buf_put_string(b, buf_ptr(t->user_wrap),
		 buf_len(t->user_wrap))) != 0 ||
	    (r = buf_put(b, t->so_salt, 16)) != 0 ||
	    (r = buf_put_string(b, buf_ptr(t->so_wrap), buf_len(t->so_wrap))) !=
		0 ||
	    (r = buf_put_u32(b, (uint32_t)t->has_admin)) != 0 ||
	    (r = buf_put(b, t->admin_key, 32)) != 0 ||
	    (r = buf_put_string(b, buf_ptr(t->admin_wrap),
		 buf_len(t->admin_wrap))) != 0 ||
	    (r = buf_put(b, t->challenge, TOK_CHALLENGE_LEN)) != 0 ||
	    (t->has_key_check &&
		(r = buf_put(b, t->key_check, sizeof(t->key_check))) != 0) ||
	    (r = buf_put_u32(b, t->next_id)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)t->nobjs)) != 0)
		return r;
	for (i = 0; i < t->nobjs; i++)
		if ((r = serialize_obj(t->objs[i], b)) != 0)
			return r;
	if ((r = crypto_sha256(buf_ptr(b), buf_len(b), sum)) != 0)
		return r;
	return buf_put(b, sum, 32);
}

/* Reads what is left of fd into b. */
static int
read_all(int fd, struct buf *b)
{
	uint8_t tmp[16384];
	ssize_t n;
	int r = 0;

	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = KYSO_ERR_IO;
			break;
		}
		if ((r = buf_put(b, tmp, (size_t)n)) != 0)
			break;
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return r;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* The chain hash of a journal record: SHA-256(previous || payload). */
static int
chain(const uint8_t prev[32], const uint8_t *p, size_t n, uint8_t out[32])
{
	struct buf *b = buf_new(TOK_FILE_CAP);
	int r;

	if (b == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = buf_put(b, prev, 32)) == 0 && (r = buf_put(b, p, n)) == 0)
		r = crypto_sha256(buf_ptr(b), buf_len(b), out);
	buf_free(b);
	return r;
}

/* One record's payload: u32 count, then the objects added. */
static int
apply_record(struct tok *t, const uint8_t *p, size_t n)
{
	struct buf *b = buf_from(p, n);
	uint32_t count, i;
	int r = KYSO_ERR_CORRUPT;

	if (b == NULL)
		return KYSO_ERR_NOMEM;
	if (buf_get_u32(b, &count) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if ((r = parse_obj(t, b)) != 0)
			goto out;
		if (t->objs[t->nobjs - 1]->id >= t->next_id)
			t->next_id = t->objs[t->nobjs - 1]->id + 1;
	}
	r = buf_len(b) == 0 ? 0 : KYSO_ERR_CORRUPT;
out:
	buf_free(b);
	return r;
}

/* Lets go of the journal seen (none now). */
static void
journal_forget(struct tok *t)
{
	if (t->jfd >= 0)
		close(t->jfd);
	t->jfd = -1;
	t->jino = 0;
	t->jdev = 0;
	t->jsize = t->jlen = 0;
	memset(&t->jctime, 0, sizeof(t->jctime));
	t->japplies = 0;
}

/* Applies the journal to the file just parsed: every whole record whose
 * chain holds, from the file's own SHA-256 on. A journal of another
 * version of the file (left by a crash before its removal) does not
 * apply; a last record cut short or never synced (a writer killed) is
 * not there; a damaged record before the last is KYSO_ERR_CORRUPT. */
static int
replay_journal(struct tok *t)
{
	struct buf *b = NULL;
	struct stat st;
	const uint8_t *p;
	uint8_t h[32];
	size_t len, off, n;
	int fd, r = KYSO_ERR_IO;

	journal_forget(t);
	memcpy(t->jhash, t->base_sum, 32);
	if ((fd = open(t->jpath, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : KYSO_ERR_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	/* Held open: the inode stays this journal's until we let go. */
	t->jfd = fd;
	fd = -1;
	t->jdev = st.st_dev;
	t->jino = st.st_ino;
	t->jsize = st.st_size;
	t->jctime = st.st_ctim;
	if ((b = buf_new(TOK_FILE_CAP)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = read_all(t->jfd, b)) != 0)
		goto out;
	p = buf_ptr(b);
	len = buf_len(b);
	r = 0;
	if (len < JNL_HEADER || memcmp(p, JNL_MAGIC, 8) != 0 ||
	    !crypto_equal(p + 8, t->base_sum, 32))
		goto out;
	t->japplies = 1;
	t->jlen = JNL_HEADER;
	for (off = JNL_HEADER; len - off >= 4; off += 4 + n + 32) {
		n = le32(p + off);
		if (n > len - off - 4 || 32 > len - off - 4 - n)
			break; /* cut short */
		if ((r = chain(t->jhash, p + off + 4, n, h)) != 0)
			goto out;
		if (!crypto_equal(h, p + off + 4 + n, 32)) {
			/* Only the last record can be a torn write. */
			r = off + 4 + n + 32 == len ? 0 : KYSO_ERR_CORRUPT;
			goto out;
		}
		if ((r = apply_record(t, p + off + 4, n)) != 0)
			goto out;
		memcpy(t->jhash, h, 32);
		t->jlen = (off_t)(off + 4 + n + 32);
	}
out:
	buf_free(b);
	if (fd >= 0)
		close(fd);
	return r;
}

/* Whether the journal is the one read last (none, or the same file of
 * the same size). */
static int
journal_same(const struct tok *t)
{
	struct stat st;

	if (stat(t->jpath, &st) != 0)
		return errno == ENOENT && t->jino == 0;
	return st.st_ino == t->jino && st.st_dev == t->jdev &&
	    st.st_size == t->jsize && st.st_ctim.tv_sec == t->jctime.tv_sec &&
	    st.st_ctim.tv_nsec == t->jctime.tv_nsec;
}

/* Loads the file at t->path, and its journal, when they are not the
 * version held. */
static int
load(struct tok *t, int force)
{
	struct buf *b = NULL;
	struct stat st, now;
	int fd = -1, r = KYSO_ERR_INTERNAL, tries = 0;

	if (!force && t->curfd >= 0 && stat(t->path, &st) == 0 &&
	    st.st_ino == t->ino && st.st_dev == t->dev && journal_same(t))
		return 0;
again:
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
	if ((r = read_all(fd, b)) != 0)
		goto out;
	clear_state(t);
	if ((r = parse(t, b)) != 0 || (r = replay_journal(t)) != 0) {
		clear_state(t);
		t->ino = 0;
		if (t->curfd >= 0)
			close(t->curfd);
		t->curfd = -1;
		goto out;
	}
	/* A writer replaced the file while its journal was read (and
	 * removed the journal): read both again. */
	if (tries++ < 3 && stat(t->path, &now) == 0 && now.st_ino != st.st_ino) {
		buf_free(b);
		b = NULL;
		close(fd);
		goto again;
	}
	if (t->curfd >= 0)
		close(t->curfd);
	t->curfd = fd;
	fd = -1;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	if (t->unlocked)
		tok_unseal_all(t);
	r = 0;
out:
	buf_free(b);
	if (fd >= 0)
		close(fd);
	return r;
}

/* A token with its paths set and nothing loaded (tok_open, tok_create). */
struct tok *
tok_alloc(const char *path)
{
	struct tok *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->curfd = t->lockfd = t->jfd = -1;
	if ((t->path = strdup(path)) == NULL ||
	    asprintf(&t->lockpath, "%s.lock", path) < 0) {
		t->lockpath = NULL;
		tok_free(t);
		return NULL;
	}
	if (asprintf(&t->jpath, "%s.jnl", path) < 0) {
		t->jpath = NULL;
		tok_free(t);
		return NULL;
	}
	return t;
}

/* Takes the lock file that every write holds, across processes. */
int
tok_lock(struct tok *t)
{
	if (t->lockfd < 0 &&
	    (t->lockfd = open(t->lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) <
		0)
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
	tok_wipe_key(t);
	clear_state(t);
	if (t->curfd >= 0)
		close(t->curfd);
	if (t->lockfd >= 0)
		close(t->lockfd);
	journal_forget(t);
	free(t->path);
	free(t->lockpath);
	free(t->jpath);
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

	if ((r = tok_lock(t)) != 0)
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
		/* "<file>.tmp.XXXXXX", and the journal's "<file>.jnl.tmp.XXXXXX" */
		if (strncmp(de->d_name, prefix, plen - 4) != 0 ||
		    !((strlen(de->d_name) == plen + 6 &&
			  strncmp(de->d_name + plen - 4, "tmp.", 4) == 0) ||
			(strlen(de->d_name) == plen + 10 &&
			    strncmp(de->d_name + plen - 4, "jnl.tmp.", 8) == 0)))
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
	/* The whole file holds what the journal held: the journal goes (a
	 * crash before the unlink leaves one of the old file, which no
	 * longer applies). */
	memcpy(t->base_sum, buf_ptr(b) + buf_len(b) - 32, 32);
	t->fsize = buf_len(b);
	t->file_key_check = t->has_key_check;
	(void)unlink(t->jpath);
	journal_forget(t);
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
void
tok_invalidate(struct tok *t)
{
	if (t->curfd >= 0)
		close(t->curfd);
	t->curfd = -1;
	t->ino = 0;
	journal_forget(t);
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

static int
io_err(int e)
{
	return e == ENOSPC || e == EDQUOT ? KYSO_ERR_FULL : KYSO_ERR_IO;
}

/* Writes all of p at off. */
static int
pwrite_all(int fd, const uint8_t *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, p, n, off)) < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return io_err(w < 0 ? errno : ENOSPC);
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

/* Commits the objects from t->objs[first] on, just added: one record
 * appended to the journal and synced, a write the size of the objects.
 * When the journal would grow longer than the file (or when there is no
 * file loaded), the whole file is written instead, which empties it. */
static int
commit_added(struct tok *t, size_t first)
{
	struct buf *rec = NULL;
	struct stat st;
	uint8_t hdr[JNL_HEADER], h[32], *lenp;
	size_t i, n, max = t->fsize > JNL_MIN_MAX ? t->fsize : JNL_MIN_MAX;
	int fd = -1, r;

	if (!t->locked)
		return KYSO_ERR_INTERNAL;
	/* No file loaded, or a version 1 file a login has given its key
	 * check: written whole (the upgrade is not put off). */
	if (t->curfd < 0 || t->ino == 0 || t->file_key_check != t->has_key_check)
		return tok_commit(t);
	if ((rec = buf_new(TOK_FILE_CAP)) == NULL)
		return KYSO_ERR_NOMEM;
	if ((r = buf_reserve(rec, 4, &lenp)) != 0 ||
	    (r = buf_put_u32(rec, (uint32_t)(t->nobjs - first))) != 0)
		goto out;
	for (i = first; i < t->nobjs; i++)
		if ((r = serialize_obj(t->objs[i], rec)) != 0)
			goto out;
	n = buf_len(rec) - 4;
	if ((size_t)(t->japplies ? t->jlen : JNL_HEADER) + buf_len(rec) + 32 >
	    max) {
		buf_free(rec);
		return tok_commit(t);
	}
	lenp = buf_mutable_ptr(rec);
	lenp[0] = (uint8_t)n;
	lenp[1] = (uint8_t)(n >> 8);
	lenp[2] = (uint8_t)(n >> 16);
	lenp[3] = (uint8_t)(n >> 24);
	if (!t->japplies) {
		/* A new journal for this file: made whole, then renamed into
		 * place (over one of an older file). */
		memcpy(hdr, JNL_MAGIC, 8);
		memcpy(hdr + 8, t->base_sum, 32);
		if ((r = file_write_atomic(t->jpath, hdr, sizeof(hdr), 0600)) != 0)
			goto out;
		memcpy(t->jhash, t->base_sum, 32);
		t->jlen = JNL_HEADER;
		t->japplies = 1;
	}
	if ((r = chain(t->jhash, buf_ptr(rec) + 4, n, h)) != 0 ||
	    (r = buf_put(rec, h, 32)) != 0)
		goto out;
	if ((fd = open(t->jpath, O_WRONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		r = io_err(errno);
		goto out;
	}
	/* A record cut short by a writer killed before us goes first. */
	if ((st.st_size != t->jlen && ftruncate(fd, t->jlen) != 0) ||
	    (r = pwrite_all(fd, buf_ptr(rec), buf_len(rec), t->jlen)) != 0 ||
	    fdatasync(fd) != 0) {
		if (r == 0)
			r = io_err(errno);
		/* Nothing of the record stays (best effort: a reader stops
		 * at a record cut short, and the next writer cuts it). */
		if (ftruncate(fd, t->jlen) != 0) {
			/* a reader stops at it all the same */
		}
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = KYSO_ERR_IO;
		goto out;
	}
	/* The journal as written is the one seen now (held open). */
	if (t->jfd >= 0)
		close(t->jfd);
	t->jfd = fd;
	fd = -1;
	t->jdev = st.st_dev;
	t->jino = st.st_ino;
	t->jctime = st.st_ctim;
	t->jlen += (off_t)buf_len(rec);
	t->jsize = t->jlen;
	memcpy(t->jhash, h, 32);
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	buf_free(rec);
	return r;
}

/* Adds n objects in one commit: a key pair costs one write, not two, and
 * is never half there. Takes every a[i]; on an error none is added. */
int
tok_add_objects(struct tok *t, size_t n, const int priv[], struct attrs *a[],
    uint32_t id[])
{
	struct tobj *o = NULL;
	size_t i, before = t->nobjs;
	uint32_t used = t->info.used, next = t->next_id;
	int r = KYSO_ERR_INTERNAL;

	if (!t->locked)
		goto fail;
	for (i = 0; i < n; i++) {
		if (priv[i] && !t->unlocked) {
			r = KYSO_ERR_PERMISSION;
			goto fail;
		}
	}
	for (i = 0; i < n; i++) {
		if ((o = calloc(1, sizeof(*o))) == NULL) {
			r = KYSO_ERR_NOMEM;
			goto fail;
		}
		o->id = t->next_id;
		o->priv = priv[i];
		o->a = a[i];
		a[i] = NULL;
		if (o->priv && (r = seal(t, o)) != 0)
			goto fail;
		if (tobj_size(o) > t->info.capacity - t->info.used) {
			r = KYSO_ERR_CAPACITY;
			goto fail;
		}
		if ((r = add_obj(t, o)) != 0)
			goto fail;
		id[i] = o->id;
		o = NULL;
		t->next_id++;
		t->info.used += (uint32_t)tobj_size(t->objs[t->nobjs - 1]);
	}
	if ((r = commit_added(t, before)) != 0) {
		tok_invalidate(t);
		return r;
	}
	return 0;
fail:
	tobj_free(o);
	while (t->nobjs > before)
		tobj_free(t->objs[--t->nobjs]);
	t->info.used = used;
	t->next_id = next;
	for (i = 0; i < n; i++) {
		attrs_free(a[i]);
		a[i] = NULL;
	}
	return r;
}

int
tok_add_object(struct tok *t, int priv, struct attrs *a, uint32_t *id)
{
	return tok_add_objects(t, 1, &priv, &a, id);
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
		tok_invalidate(t);
		attrs_free(old);
		return KYSO_ERR_CAPACITY;
	}
	attrs_free(old);
	t->info.used = (uint32_t)(t->info.used - before + tobj_size(o));
	if ((r = tok_commit(t)) != 0)
		tok_invalidate(t);
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
			tok_invalidate(t);
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
