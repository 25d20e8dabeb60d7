/* A virtual token's file: its hardware description, PIN state, unblock
 * state and objects, encrypted at rest and replaced atomically.
 * See docs/internals/token-store.md for the format. */
#ifndef KYSO_STORE_H
#define KYSO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "common/pin.h"

#define TOK_DEFAULT_USER_PIN KYSO_FACTORY_PIN
#define TOK_PIN_MIN	     6
#define TOK_PIN_MAX	     16
#define TOK_CHALLENGE_LEN    32

struct tok;
struct tobj;

/* The rules a token follows, chosen at manufacture (docs/token.md): a
 * CA's token (keys made on it, never leaving it) or a general-purpose
 * soft token (keys imported, copied, exported wrapped). */
enum tok_profile { TOK_PROFILE_CA = 0, TOK_PROFILE_GENERAL = 1 };

struct tok_info {
	char label[33];
	char manufacturer[33];
	char model[17];
	char serial[17];
	uint8_t hw_major, hw_minor, fw_major, fw_minor;
	uint32_t capacity; /* bytes of object memory */
	uint32_t used;
	int initialized;
	int user_pin_set;
	int user_to_be_changed;
	int so_to_be_changed;
	uint32_t user_max, user_fail;
	uint32_t so_max, so_fail;
	enum tok_profile profile;
};

struct tok_params {
	const char *label;
	const char *serial;
	const char *so_pin;
	size_t so_pin_len;
	uint32_t user_max;	  /* 0: default 5 */
	uint32_t so_max;	  /* 0: default 10 */
	uint32_t capacity;	  /* 0: default 64 KiB */
	unsigned kdf_log_n;	  /* 0: default 15 */
	const uint8_t *admin_key; /* 32 bytes, or NULL for none */
	enum tok_profile profile; /* 0: TOK_PROFILE_CA */
};

/* Manufactures a token file at path; fails if one is there. */
int tok_create(const char *path, const struct tok_params *p) KYSO_WUR;
int tok_open(const char *path, struct tok **out) KYSO_WUR;
void tok_free(struct tok *t);

/* Reloads when another process replaced the file. */
int tok_refresh(struct tok *t) KYSO_WUR;
/* A write: lock, reload, change, commit; tok_end always. */
int tok_begin(struct tok *t) KYSO_WUR;
int tok_commit(struct tok *t) KYSO_WUR;
void tok_end(struct tok *t);

const struct tok_info *tok_info(const struct tok *t);
const uint8_t *tok_challenge(const struct tok *t);
int tok_has_admin_key(const struct tok *t);
/* The token key is in memory (a user or SO login succeeded). */
int tok_unlocked(const struct tok *t);

/* Each takes the write lock itself and persists the failed count before
 * it compares. */
int tok_login_user(struct tok *t, const void *pin, size_t n) KYSO_WUR;
int tok_login_so(struct tok *t, const void *pin, size_t n) KYSO_WUR;
void tok_logout(struct tok *t);
int tok_set_user_pin(struct tok *t, const void *old, size_t on, const void *pin,
    size_t n) KYSO_WUR;
int tok_set_so_pin(struct tok *t, const void *old, size_t on, const void *pin,
    size_t n) KYSO_WUR;
/* Needs an SO login: sets the user PIN and clears its lock. */
int tok_init_pin(struct tok *t, const void *pin, size_t n) KYSO_WUR;
/* Checks the SO PIN, wipes every object and the user PIN, sets the label. */
int tok_init_token(struct tok *t, const void *so_pin, size_t n,
    const char *label) KYSO_WUR;

/* Objects (token objects only; session objects live in the module). */
size_t tok_nobjects(const struct tok *t);
struct tobj *tok_object_at(struct tok *t, size_t i);
struct tobj *tok_object(struct tok *t, uint32_t id);
/* Inside tok_begin: takes a; KYSO_ERR_CAPACITY past the capacity. */
int tok_add_object(struct tok *t, int priv, struct attrs *a,
    uint32_t *id) KYSO_WUR;
/* n objects in one commit (a key pair); takes every a[i]. */
int tok_add_objects(struct tok *t, size_t n, const int priv[],
    struct attrs *a[], uint32_t id[]) KYSO_WUR;
int tok_replace_object(struct tok *t, uint32_t id, struct attrs *a) KYSO_WUR;
int tok_del_object(struct tok *t, uint32_t id) KYSO_WUR;

uint32_t tobj_id(const struct tobj *o);
int tobj_private(const struct tobj *o);
/* NULL for a private object while the token is locked. */
const struct attrs *tobj_attrs(const struct tobj *o);
/* A per-object cache for the module (a parsed key), freed with the object. */
void *tobj_cache(const struct tobj *o);
void tobj_set_cache(struct tobj *o, void *c, void (*free_fn)(void *));

#endif
