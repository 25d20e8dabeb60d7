/* What store.c (the token file: format, atomic writes, reloads, objects)
 * and store_auth.c (the PIN and unblock state machine, manufacture) share.
 * Nothing outside these two files includes it. */
#ifndef KYSO_STORE_INT_H
#define KYSO_STORE_INT_H

#include <sys/types.h>

#include "store.h"

#define TOK_FIRST_ID 16

struct tobj {
	uint32_t id;
	int priv;
	struct buf *sealed; /* private objects: AES-GCM under the token key */
	struct attrs *a;    /* NULL while a private object is sealed */
	void *cache;
	void (*cache_free)(void *);
};

struct tok {
	char *path;
	char *lockpath;
	int lockfd;
	int curfd; /* holds the loaded version's inode */
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
	uint8_t key_check[32]; /* names the token key; see tok_key_check() */
	int has_key_check;     /* 0 for a version 1 file until a login */
	int file_key_check;    /* has_key_check as the file on disk says */
	uint32_t next_id;
	struct tobj **objs;
	size_t nobjs, alloc;

	/* The journal "<file>.jnl" (see token-store.md): objects added
	 * since the file was last written whole. */
	char *jpath;
	uint8_t base_sum[32]; /* the loaded file's trailing SHA-256 */
	uint8_t jhash[32];    /* the chain after the last record applied */
	int jfd; /* holds the journal seen, so that its inode is not reused */
	dev_t jdev;
	struct timespec jctime; /* its change time when read */
	ino_t jino;		/* the journal file seen (0: none) */
	int japplies; /* it belongs to the loaded file (its SHA-256) */
	off_t jlen;   /* its valid length (a torn record after it) */
	off_t jsize;  /* its size when read: a change means a reload */
	size_t fsize; /* the file's length: the journal stays shorter */

	uint8_t key[32]; /* the token key, while unlocked */
	int unlocked;
};

/* store.c, for store_auth.c */
struct tok *tok_alloc(const char *path);
int tok_lock(struct tok *t) KYSO_WUR;
void tok_invalidate(struct tok *t);
void tobj_free(struct tobj *o);
void tok_wipe_key(struct tok *t);
int tok_key_check(const uint8_t key[32], uint8_t out[32]) KYSO_WUR;
void tok_unseal_all(struct tok *t);

#endif
