/* What the files of the PKCS#11 module share: the slot, session and
 * session-object types, and the functions each file offers the others.
 * module.c is the front door (initialize, finalize, the function list);
 * core.c the lock and the error translation; session.c slots, sessions and
 * login; sobj.c session objects; object.c the object rules of a CA token;
 * ops.c the cryptographic operations. Each file includes only this header
 * from the module; none includes another's .c or a header that includes
 * it back. See docs/internals/module.md. */
#ifndef KYSO_MODULE_INT_H
#define KYSO_MODULE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "p11-kit/pkcs11.h"

#include "../common/err.h"
#include "attrs.h"
#include "fetch.h"
#include "keys.h"
#include "slots.h"
#include "store.h"

#define CHALLENGE_HANDLE 1
#define SESSION_OBJ_BIT	 0x40000000UL
#define NO_LOGIN	 ((CK_USER_TYPE)-1)
#define MAX_SESSIONS	 1024

/* An operation is fed in one call (C_Sign) or in parts (C_SignUpdate);
 * once one way has begun, the other is CKR_OPERATION_ACTIVE. */
#define OPMODE_FRESH  0
#define OPMODE_SINGLE 1
#define OPMODE_MULTI  2

struct slot {
	struct tok *tok;
	int broken; /* a file is attached but does not open */
	uint64_t gen, reported;
	CK_USER_TYPE login;
};

struct session {
	CK_SESSION_HANDLE h;
	CK_SLOT_ID slot;
	uint64_t gen;
	CK_FLAGS flags;
	struct kop *op;
	enum kop_kind opkind;
	int opmode;    /* OPMODE_*: how the operation was fed so far (ops.c) */
	int opprivate; /* begun with a private or secret key */
	CK_OBJECT_HANDLE *found;
	size_t nfound, foundpos;
	int finding;
};

struct sobj {
	CK_OBJECT_HANDLE h;
	CK_SESSION_HANDLE owner;
	CK_SLOT_ID slot;
	int priv;
	struct attrs *a;
	struct kkey *key; /* parsed on first use (ops.c) */
};

/* An object found by handle: a token object (t), a session object (s) or
 * the unblock challenge; a is its attributes in every case. */
struct objref {
	const struct attrs *a;
	struct tobj *t;
	struct sobj *s;
	int challenge;
};

/* core.c: one mutex around every entry point. */
void core_lock(void);
void core_unlock(void);
/* Takes the mutex for an entry point: CKR_OK with it held, or
 * CKR_CRYPTOKI_NOT_INITIALIZED with it released. */
CK_RV core_enter(void) KYSO_WUR;
int core_initialized(void);
void core_set_initialized(int on);
/* A kyso error code as the PKCS#11 caller sees it. */
CK_RV core_from_err(int r);
/* Copies src into a blank-padded PKCS#11 text field. */
void core_pad(CK_UTF8CHAR *dst, size_t n, const char *src);

/* module.c: the 2.40 function list (C_GetFunctionList's), and
 * C_GetInfo's answer with the version of the interface called through
 * (iface.c makes the 3.0 list from the 2.40 one). */
extern CK_FUNCTION_LIST module_function_list;
CK_RV module_info(CK_INFO_PTR info, CK_BYTE major, CK_BYTE minor) KYSO_WUR;

/* session.c: slots, sessions and login. */
int session_start(const char *home, unsigned nslots) KYSO_WUR;
void session_stop(void);
/* Lets go of every session, token and slot watch without telling
 * anybody (a child of fork() forgetting its parent's). */
void session_forget(void);
/* The opening of an entry point on a session: the mutex taken and the
 * session found (see session.c), or an error with the mutex released. */
CK_RV session_enter(CK_SESSION_HANDLE h, struct session **s,
    struct slot **sl) KYSO_WUR;
CK_RV slot_get_token(CK_SLOT_ID id, struct slot **out) KYSO_WUR;
int slot_user_in(const struct slot *sl);
/* Whether the slot's token follows the general profile (else a CA's
 * rules), and the smallest RSA key its profile takes. */
int slot_general(const struct slot *sl);
unsigned slot_min_rsa_bits(const struct slot *sl);

/* sobj.c: the session objects of every slot. */
CK_RV sobj_add(const struct session *s, int priv, struct attrs *a,
    CK_OBJECT_HANDLE *h) KYSO_WUR;
struct sobj *sobj_find(CK_OBJECT_HANDLE h, CK_SLOT_ID slot);
size_t sobj_count(void);
struct sobj *sobj_at(size_t i);
void sobj_destroy(struct sobj *o);
void sobj_drop_session(CK_SESSION_HANDLE h);
void sobj_drop_slot(CK_SLOT_ID slot, int private_only);
void sobj_drop_all(void);

/* object.c: the object rules. */
CK_RV object_find(struct session *s, struct slot *sl, CK_OBJECT_HANDLE h,
    struct objref *ref) KYSO_WUR;
CK_RV object_pair_template(const struct slot *sl, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, CK_OBJECT_CLASS cls, struct attrs **out) KYSO_WUR;
CK_RV object_pair_finish(const struct slot *sl, CK_MECHANISM_TYPE m,
    struct attrs *pub, struct attrs *priv) KYSO_WUR;
CK_RV object_store(struct session *s, struct slot *sl, struct attrs *a,
    CK_OBJECT_HANDLE *h) KYSO_WUR;
/* C_GenerateKeyPair's two halves; a pair on the token in one commit. */
CK_RV object_store_pair(struct session *s, struct slot *sl, struct attrs *priv,
    struct attrs *pub, CK_OBJECT_HANDLE *priv_h,
    CK_OBJECT_HANDLE *pub_h) KYSO_WUR;
/* Refuses (CKR_TEMPLATE_INCONSISTENT) a key of class cls and type kt
 * whose attributes allow a use the token cannot perform with it. */
CK_RV object_usage_check(const struct attrs *a, CK_OBJECT_CLASS cls,
    CK_KEY_TYPE kt) KYSO_WUR;
/* A C_DeriveKey or C_GenerateKey template: a secret key of a type the
 * token knows (kt, unless CK_UNAVAILABLE_INFORMATION, when none is
 * given; it must be kt if given). */
CK_RV object_secret_template(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_KEY_TYPE kt,
    struct attrs **out) KYSO_WUR;
/* After keys_derive: what a derived key is, from its base key's. */
CK_RV object_secret_finish(const struct slot *sl, struct attrs *key,
    const struct attrs *base, CK_MECHANISM_TYPE m) KYSO_WUR;
/* C_UnwrapKey's private key (a general token): the template t and the
 * PKCS#8 DER der, as an imported key. */
CK_RV object_unwrapped_private(const struct slot *sl, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, const uint8_t *der, size_t len, struct attrs **out) KYSO_WUR;
void object_stop(void);

#endif
