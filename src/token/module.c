/* libkyso-pkcs11: the PKCS#11 entry points of the virtual token.
 * Slots come from slots.c, token files from store.c, key operations from
 * keys.c; this file holds sessions, login state and the object rules. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "p11-kit/pkcs11.h"

#include "../common/config.h"
#include "../common/crypto.h"
#include "../common/fsutil.h"
#include "../common/parse.h"
#include "attrs.h"
#include "keys.h"
#include "slots.h"
#include "store.h"

#define EXPORT __attribute__((visibility("default")))
#define CHALLENGE_HANDLE 1
#define SESSION_OBJ_BIT 0x40000000UL
#define NO_LOGIN ((CK_USER_TYPE)-1)
#define MAX_SESSIONS 1024

struct slot {
	struct tok *tok;
	int broken;                 /* a file is attached but does not open */
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
	EVP_PKEY *key;
};

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static struct slots *slotdir;
static struct slot slot_tab[SLOTS_MAX];
static struct session *sess[MAX_SESSIONS];
static CK_SESSION_HANDLE next_session = 1;
static struct sobj **sobjs;
static size_t nsobjs;
static CK_OBJECT_HANDLE next_sobj = 1;
static int waiters;

static CK_RV
from_err(int r)
{
	switch (r) {
	case 0: return CKR_OK;
	case KYSO_ERR_NOMEM: return CKR_HOST_MEMORY;
	case KYSO_ERR_PIN_INCORRECT: return CKR_PIN_INCORRECT;
	case KYSO_ERR_PIN_LOCKED: return CKR_PIN_LOCKED;
	case KYSO_ERR_CAPACITY: return CKR_DEVICE_MEMORY;
	/* The disk under the token is full: PKCS#11 has no word for it. */
	case KYSO_ERR_FULL: return CKR_DEVICE_ERROR;
	case KYSO_ERR_NOT_FOUND: return CKR_DEVICE_REMOVED;
	case KYSO_ERR_CORRUPT: return CKR_DEVICE_ERROR;
	case KYSO_ERR_INVALID: return CKR_ARGUMENTS_BAD;
	}
	return CKR_DEVICE_ERROR;
}

static void
pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, l < n ? l : n);
}

static void
sobj_free(struct sobj *o)
{
	if (o == NULL)
		return;
	attrs_free(o->a);
	EVP_PKEY_free(o->key);
	free(o);
}

static void
drop_sobjs(int (*match)(const struct sobj *, CK_ULONG), CK_ULONG arg)
{
	size_t i = 0;

	while (i < nsobjs) {
		if (match(sobjs[i], arg)) {
			sobj_free(sobjs[i]);
			sobjs[i] = sobjs[--nsobjs];
		} else {
			i++;
		}
	}
}

static int
sobj_of_session(const struct sobj *o, CK_ULONG h)
{
	return o->owner == h;
}

static int
sobj_private_on_slot(const struct sobj *o, CK_ULONG slot)
{
	return o->slot == slot && o->priv;
}

static int
sobj_on_slot(const struct sobj *o, CK_ULONG slot)
{
	return o->slot == slot;
}

static int
sobj_on_slot_any(const struct sobj *o, CK_ULONG unused)
{
	(void)o;
	(void)unused;
	return 1;
}

static void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	kop_free(s->op);
	free(s->found);
	free(s);
}

static void
logout_slot(CK_SLOT_ID id)
{
	struct slot *sl = &slot_tab[id];
	size_t i;

	if (sl->tok != NULL)
		tok_logout(sl->tok);
	sl->login = NO_LOGIN;
	drop_sobjs(sobj_private_on_slot, id);
	/* An operation begun with a private key ends with the login. */
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sess[i] != NULL && sess[i]->slot == id && sess[i]->op != NULL &&
		    sess[i]->opkind != KOP_DIGEST && sess[i]->opkind != KOP_VERIFY) {
			kop_free(sess[i]->op);
			sess[i]->op = NULL;
		}
	}
}

static void
close_session_at(size_t i)
{
	struct session *s = sess[i];
	CK_SLOT_ID id = s->slot;
	size_t j;

	drop_sobjs(sobj_of_session, s->h);
	session_free(s);
	sess[i] = NULL;
	for (j = 0; j < MAX_SESSIONS; j++)
		if (sess[j] != NULL && sess[j]->slot == id)
			return;
	/* The last session closed: the login ends. */
	logout_slot(id);
}

static void
close_slot_sessions(CK_SLOT_ID id)
{
	size_t i;

	for (i = 0; i < MAX_SESSIONS; i++)
		if (sess[i] != NULL && sess[i]->slot == id)
			close_session_at(i);
	logout_slot(id);
	drop_sobjs(sobj_on_slot, id);
}

/* Attaches or detaches the token of slot i when its link changed (as
 * last scanned): a removal ends the slot's sessions. */
static void
sync_slot(unsigned i)
{
	struct slot *sl = &slot_tab[i];
	const char *path;

	if (sl->gen == slots_gen(slotdir, i)) {
		/* A damaged file may have been put right since (restored
		 * from a copy): the slot need not be plugged again. */
		if (sl->broken && (path = slots_path(slotdir, i)) != NULL &&
		    tok_open(path, &sl->tok) == 0)
			sl->broken = 0;
		return;
	}
	close_slot_sessions(i);
	tok_free(sl->tok);
	sl->tok = NULL;
	sl->broken = 0;
	sl->gen = slots_gen(slotdir, i);
	if ((path = slots_path(slotdir, i)) != NULL &&
	    tok_open(path, &sl->tok) != 0) {
		sl->tok = NULL;
		sl->broken = 1;
	}
}

static void
rescan(void)
{
	unsigned i;

	slots_scan(slotdir);
	for (i = 0; i < slots_count(slotdir); i++)
		sync_slot(i);
}

static CK_RV
get_slot(CK_SLOT_ID id, struct slot **out)
{
	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (id >= slots_count(slotdir))
		return CKR_SLOT_ID_INVALID;
	rescan();
	*out = &slot_tab[id];
	return CKR_OK;
}

static CK_RV
get_token(CK_SLOT_ID id, struct slot **out)
{
	struct slot *sl;
	CK_RV rv;

	if ((rv = get_slot(id, &sl)) != CKR_OK)
		return rv;
	if (sl->broken)
		return CKR_TOKEN_NOT_RECOGNIZED;
	if (sl->tok == NULL)
		return CKR_TOKEN_NOT_PRESENT;
	if (tok_refresh(sl->tok) != 0)
		return CKR_DEVICE_ERROR;
	*out = sl;
	return CKR_OK;
}

static CK_RV
get_session(CK_SESSION_HANDLE h, struct session **s, struct slot **sl)
{
	size_t i;

	if (!initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sess[i] == NULL || sess[i]->h != h)
			continue;
		/* A token unplugged since the last call has closed its
		 * sessions, as pulling out a USB token does. */
		if (slots_changed(slotdir)) {
			rescan();
			if (sess[i] == NULL)
				return CKR_DEVICE_REMOVED;
		}
		if (sess[i]->gen != slot_tab[sess[i]->slot].gen ||
		    slot_tab[sess[i]->slot].tok == NULL)
			return CKR_DEVICE_REMOVED;
		*s = sess[i];
		*sl = &slot_tab[sess[i]->slot];
		if (tok_refresh((*sl)->tok) != 0)
			return CKR_DEVICE_ERROR;
		/* Another process re-initialized the token. */
		if ((*sl)->login != NO_LOGIN && !tok_unlocked((*sl)->tok))
			logout_slot(sess[i]->slot);
		return CKR_OK;
	}
	return CKR_SESSION_HANDLE_INVALID;
}

static int
user_in(const struct slot *sl)
{
	return sl->login == CKU_USER;
}

/* --- objects --------------------------------------------------------- */

struct objref {
	const struct attrs *a;
	struct tobj *t;
	struct sobj *s;
	int challenge;
};

static struct attrs *
challenge_attrs(struct tok *t)
{
	struct attrs *a = attrs_new();
	static const char label[] = "kyso-unblock-challenge";

	if (a == NULL)
		return NULL;
	if (attrs_set_ulong(a, CKA_CLASS, CKO_DATA) != 0 ||
	    attrs_set_bool(a, CKA_TOKEN, 1) != 0 ||
	    attrs_set_bool(a, CKA_PRIVATE, 0) != 0 ||
	    attrs_set_bool(a, CKA_MODIFIABLE, 0) != 0 ||
	    attrs_set_bool(a, CKA_COPYABLE, 0) != 0 ||
	    attrs_set_bool(a, CKA_DESTROYABLE, 0) != 0 ||
	    attrs_set(a, CKA_LABEL, label, sizeof(label) - 1) != 0 ||
	    attrs_set(a, CKA_APPLICATION, "kyso", 4) != 0 ||
	    attrs_set(a, CKA_OBJECT_ID, "", 0) != 0 ||
	    attrs_set(a, CKA_VALUE, tok_challenge(t), TOK_CHALLENGE_LEN) != 0) {
		attrs_free(a);
		return NULL;
	}
	return a;
}

static struct attrs *challenge_cache;

static CK_RV
find_object(struct session *s, struct slot *sl, CK_OBJECT_HANDLE h,
    struct objref *ref)
{
	size_t i;

	memset(ref, 0, sizeof(*ref));
	if (h == CHALLENGE_HANDLE && tok_has_admin_key(sl->tok)) {
		attrs_free(challenge_cache);
		if ((challenge_cache = challenge_attrs(sl->tok)) == NULL)
			return CKR_HOST_MEMORY;
		ref->a = challenge_cache;
		ref->challenge = 1;
		return CKR_OK;
	}
	if (h & SESSION_OBJ_BIT) {
		for (i = 0; i < nsobjs; i++) {
			struct sobj *o = sobjs[i];

			if (o->h != h || o->slot != s->slot)
				continue;
			if (o->priv && !user_in(sl))
				break;
			ref->a = o->a;
			ref->s = o;
			return CKR_OK;
		}
		return CKR_OBJECT_HANDLE_INVALID;
	}
	if (h > UINT32_MAX || (ref->t = tok_object(sl->tok, (uint32_t)h)) == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	if (tobj_private(ref->t) && (!user_in(sl) || tobj_attrs(ref->t) == NULL))
		return CKR_OBJECT_HANDLE_INVALID;
	ref->a = tobj_attrs(ref->t);
	return CKR_OK;
}

static int
is_sensitive_attr(const struct attrs *a, CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG cls;

	if (t == KYSO_CKA_KEY_DER)
		return 1;
	if (attrs_get_ulong(a, CKA_CLASS, &cls) != 0 || cls != CKO_PRIVATE_KEY)
		return 0;
	switch (t) {
	case CKA_PRIVATE_EXPONENT: case CKA_PRIME_1: case CKA_PRIME_2:
	case CKA_EXPONENT_1: case CKA_EXPONENT_2: case CKA_COEFFICIENT:
	case CKA_VALUE:
		return 1;
	}
	return 0;
}

/* A search never compares a value that cannot be read. */
static int
match_readable(const struct attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (is_sensitive_attr(a, tmpl[i].type))
			return 0;
	return attrs_match(a, tmpl, n);
}

static int
is_vendor(CK_ATTRIBUTE_TYPE t)
{
	return (t & CKA_VENDOR_DEFINED) != 0;
}

/* Common attributes every object of a class gets unless given. */
static CK_RV
object_defaults(struct attrs *a, CK_OBJECT_CLASS cls)
{
	if (attrs_default_bool(a, CKA_TOKEN, 0) != 0 ||
	    attrs_default_bool(a, CKA_PRIVATE, cls == CKO_PRIVATE_KEY) != 0 ||
	    attrs_default_bool(a, CKA_MODIFIABLE, 1) != 0 ||
	    attrs_default_bool(a, CKA_COPYABLE, cls != CKO_PRIVATE_KEY) != 0 ||
	    attrs_default_bool(a, CKA_DESTROYABLE, 1) != 0 ||
	    attrs_default(a, CKA_LABEL, "", 0) != 0)
		return CKR_HOST_MEMORY;
	if (cls == CKO_PUBLIC_KEY || cls == CKO_PRIVATE_KEY) {
		if (attrs_default(a, CKA_ID, "", 0) != 0 ||
		    attrs_default(a, CKA_START_DATE, "", 0) != 0 ||
		    attrs_default(a, CKA_END_DATE, "", 0) != 0 ||
		    attrs_default(a, CKA_SUBJECT, "", 0) != 0 ||
		    attrs_default_bool(a, CKA_DERIVE, 0) != 0 ||
		    attrs_default_bool(a, CKA_LOCAL, 0) != 0)
			return CKR_HOST_MEMORY;
	}
	if (cls == CKO_PUBLIC_KEY) {
		if (attrs_default_bool(a, CKA_VERIFY, 1) != 0 ||
		    attrs_default_bool(a, CKA_ENCRYPT, 0) != 0 ||
		    attrs_default_bool(a, CKA_WRAP, 0) != 0 ||
		    attrs_default_bool(a, CKA_VERIFY_RECOVER, 0) != 0 ||
		    attrs_default_bool(a, CKA_TRUSTED, 0) != 0)
			return CKR_HOST_MEMORY;
	}
	if (cls == CKO_PRIVATE_KEY) {
		if (attrs_default_bool(a, CKA_SIGN, 1) != 0 ||
		    attrs_default_bool(a, CKA_DECRYPT, 0) != 0 ||
		    attrs_default_bool(a, CKA_UNWRAP, 0) != 0 ||
		    attrs_default_bool(a, CKA_SIGN_RECOVER, 0) != 0 ||
		    attrs_default_bool(a, CKA_ALWAYS_AUTHENTICATE, 0) != 0 ||
		    attrs_default_bool(a, CKA_WRAP_WITH_TRUSTED, 0) != 0)
			return CKR_HOST_MEMORY;
	}
	if (cls == CKO_CERTIFICATE) {
		if (attrs_default_bool(a, CKA_TRUSTED, 0) != 0 ||
		    attrs_default(a, CKA_ID, "", 0) != 0 ||
		    (!attrs_has(a, CKA_CERTIFICATE_CATEGORY) &&
		    attrs_set_ulong(a, CKA_CERTIFICATE_CATEGORY, 0) != 0))
			return CKR_HOST_MEMORY;
	}
	if (cls == CKO_DATA) {
		if (attrs_default(a, CKA_APPLICATION, "", 0) != 0 ||
		    attrs_default(a, CKA_OBJECT_ID, "", 0) != 0 ||
		    attrs_default(a, CKA_VALUE, "", 0) != 0)
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

/* Stores a new object on the token or in the session. Takes a. */
static CK_RV
store_object(struct session *s, struct slot *sl, struct attrs *a,
    CK_OBJECT_HANDLE *h)
{
	int token = attrs_bool(a, CKA_TOKEN, 0);
	int priv = attrs_bool(a, CKA_PRIVATE, 0);
	CK_OBJECT_CLASS cls;
	struct sobj *o, **n;
	uint32_t id;
	int r;

	/* Only private objects are sealed on disk and hidden before login:
	 * a private key asked to be public (C_GenerateKeyPair, C_CopyObject)
	 * would lie in the token file in clear. */
	if (!priv && attrs_get_ulong(a, CKA_CLASS, &cls) == 0 &&
	    cls == CKO_PRIVATE_KEY) {
		attrs_free(a);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	if (priv && !user_in(sl)) {
		attrs_free(a);
		return CKR_USER_NOT_LOGGED_IN;
	}
	if (token) {
		if (!(s->flags & CKF_RW_SESSION)) {
			attrs_free(a);
			return CKR_SESSION_READ_ONLY;
		}
		if ((r = tok_begin(sl->tok)) != 0) {
			attrs_free(a);
			return from_err(r);
		}
		r = tok_add_object(sl->tok, priv, a, &id);
		tok_end(sl->tok);
		if (r != 0)
			return from_err(r);
		*h = id;
		return CKR_OK;
	}
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (n = realloc(sobjs, (nsobjs + 1) * sizeof(*n))) == NULL) {
		free(o);
		attrs_free(a);
		return CKR_HOST_MEMORY;
	}
	sobjs = n;
	o->h = SESSION_OBJ_BIT | next_sobj++;
	o->owner = s->h;
	o->slot = s->slot;
	o->priv = priv;
	o->a = a;
	sobjs[nsobjs++] = o;
	*h = o->h;
	return CKR_OK;
}

static CK_RV
reject_vendor(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (is_vendor(t[i].type))
			return CKR_ATTRIBUTE_TYPE_INVALID;
	return CKR_OK;
}

/* --- general ----------------------------------------------------------- */

static CK_RV
do_initialize(CK_VOID_PTR args)
{
	CK_C_INITIALIZE_ARGS *ia = args;
	struct config *cfg = NULL;
	char *home = NULL;
	const char *env;
	uint64_t n;
	unsigned i;
	int r;

	if (initialized)
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	if (ia != NULL) {
		if (ia->pReserved != NULL)
			return CKR_ARGUMENTS_BAD;
		if (ia->CreateMutex != NULL && !(ia->flags & CKF_OS_LOCKING_OK))
			return CKR_CANT_LOCK;
	}
	if ((home = kyso_home()) == NULL)
		return CKR_HOST_MEMORY;
	if (config_load_home(&cfg) != 0) {
		free(home);
		return CKR_GENERAL_ERROR;
	}
	n = config_get_u64(cfg, "slots", 1, SLOTS_MAX, 4);
	if ((env = getenv("KYSO_SLOTS")) != NULL &&
	    parse_u64(env, 1, SLOTS_MAX, &n) != 0)
		n = 4;
	config_free(cfg);
	r = slots_new(home, (unsigned)n, &slotdir);
	free(home);
	if (r != 0)
		return CKR_GENERAL_ERROR;
	for (i = 0; i < SLOTS_MAX; i++) {
		memset(&slot_tab[i], 0, sizeof(slot_tab[i]));
		slot_tab[i].login = NO_LOGIN;
	}
	initialized = 1;
	rescan();
	/* Tokens present at start are not events. */
	for (i = 0; i < slots_count(slotdir); i++)
		slot_tab[i].reported = slot_tab[i].gen;
	return CKR_OK;
}

#define ENTER()                                   \
	CK_RV rv;                                 \
	pthread_mutex_lock(&lk);                  \
	if (!initialized) {                       \
		rv = CKR_CRYPTOKI_NOT_INITIALIZED; \
		goto out;                         \
	}
#define LEAVE()                     \
	out:                        \
	pthread_mutex_unlock(&lk); \
	return rv

CK_RV
C_Initialize(CK_VOID_PTR args)
{
	CK_RV rv;

	pthread_mutex_lock(&lk);
	rv = do_initialize(args);
	pthread_mutex_unlock(&lk);
	return rv;
}

CK_RV
C_Finalize(CK_VOID_PTR reserved)
{
	size_t i;

	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&lk);
	if (!initialized) {
		pthread_mutex_unlock(&lk);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	initialized = 0;
	/* Wake C_WaitForSlotEvent callers and let them leave first. */
	while (waiters > 0) {
		slots_cancel(slotdir);
		pthread_mutex_unlock(&lk);
		sched_yield();
		pthread_mutex_lock(&lk);
	}
	for (i = 0; i < MAX_SESSIONS; i++) {
		session_free(sess[i]);
		sess[i] = NULL;
	}
	drop_sobjs(sobj_on_slot_any, 0);
	free(sobjs);
	sobjs = NULL;
	for (i = 0; i < SLOTS_MAX; i++) {
		tok_free(slot_tab[i].tok);
		memset(&slot_tab[i], 0, sizeof(slot_tab[i]));
	}
	attrs_free(challenge_cache);
	challenge_cache = NULL;
	slots_free(slotdir);
	slotdir = NULL;
	pthread_mutex_unlock(&lk);
	return CKR_OK;
}

CK_RV
C_GetInfo(CK_INFO_PTR info)
{
	ENTER();
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 2;
	info->cryptokiVersion.minor = 40;
	pad(info->manufacturerID, sizeof(info->manufacturerID), "kyso");
	pad(info->libraryDescription, sizeof(info->libraryDescription),
	    "kyso virtual USB token");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	rv = CKR_OK;
	LEAVE();
}

CK_RV
C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_ULONG n = 0, i;

	ENTER();
	if (count == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	rescan();
	for (i = 0; i < slots_count(slotdir); i++) {
		if (present && slot_tab[i].tok == NULL && !slot_tab[i].broken)
			continue;
		if (list != NULL && n < *count)
			list[n] = i;
		n++;
	}
	rv = list != NULL && n > *count ? CKR_BUFFER_TOO_SMALL : CKR_OK;
	*count = n;
	LEAVE();
}

CK_RV
C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	struct slot *sl;
	char desc[64];

	ENTER();
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_slot(id, &sl)) != CKR_OK)
		goto out;
	memset(info, 0, sizeof(*info));
	snprintf(desc, sizeof(desc), "kyso virtual USB reader %lu", id);
	pad(info->slotDescription, sizeof(info->slotDescription), desc);
	pad(info->manufacturerID, sizeof(info->manufacturerID), "kyso");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	if (sl->tok != NULL || sl->broken)
		info->flags |= CKF_TOKEN_PRESENT;
	info->hardwareVersion.major = 1;
	info->firmwareVersion.major = 0;
	info->firmwareVersion.minor = 1;
	LEAVE();
}

static CK_ULONG
count_sessions(CK_SLOT_ID id, int rw_only)
{
	CK_ULONG n = 0;
	size_t i;

	for (i = 0; i < MAX_SESSIONS; i++)
		if (sess[i] != NULL && sess[i]->slot == id &&
		    (!rw_only || (sess[i]->flags & CKF_RW_SESSION)))
			n++;
	return n;
}

CK_RV
C_GetTokenInfo(CK_SLOT_ID id, CK_TOKEN_INFO_PTR info)
{
	const struct tok_info *ti;
	struct slot *sl;

	ENTER();
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_token(id, &sl)) != CKR_OK)
		goto out;
	ti = tok_info(sl->tok);
	memset(info, 0, sizeof(*info));
	pad(info->label, sizeof(info->label), ti->label);
	pad(info->manufacturerID, sizeof(info->manufacturerID), ti->manufacturer);
	pad(info->model, sizeof(info->model), ti->model);
	pad(info->serialNumber, sizeof(info->serialNumber), ti->serial);
	info->flags = CKF_RNG | CKF_LOGIN_REQUIRED;
	if (ti->initialized)
		info->flags |= CKF_TOKEN_INITIALIZED;
	if (ti->user_pin_set)
		info->flags |= CKF_USER_PIN_INITIALIZED;
	if (ti->user_to_be_changed)
		info->flags |= CKF_USER_PIN_TO_BE_CHANGED;
	if (ti->so_to_be_changed)
		info->flags |= CKF_SO_PIN_TO_BE_CHANGED;
	if (ti->user_fail >= ti->user_max)
		info->flags |= CKF_USER_PIN_LOCKED;
	else if (ti->user_fail + 1 == ti->user_max)
		info->flags |= CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_COUNT_LOW;
	else if (ti->user_fail > 0)
		info->flags |= CKF_USER_PIN_COUNT_LOW;
	if (ti->so_fail >= ti->so_max)
		info->flags |= CKF_SO_PIN_LOCKED;
	else if (ti->so_fail + 1 == ti->so_max)
		info->flags |= CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_COUNT_LOW;
	else if (ti->so_fail > 0)
		info->flags |= CKF_SO_PIN_COUNT_LOW;
	info->ulMaxSessionCount = MAX_SESSIONS;
	info->ulSessionCount = count_sessions(id, 0);
	info->ulMaxRwSessionCount = MAX_SESSIONS;
	info->ulRwSessionCount = count_sessions(id, 1);
	info->ulMaxPinLen = TOK_PIN_MAX;
	info->ulMinPinLen = TOK_PIN_MIN;
	info->ulTotalPublicMemory = ti->capacity;
	info->ulFreePublicMemory = ti->capacity - ti->used;
	info->ulTotalPrivateMemory = ti->capacity;
	info->ulFreePrivateMemory = ti->capacity - ti->used;
	info->hardwareVersion.major = ti->hw_major;
	info->hardwareVersion.minor = ti->hw_minor;
	info->firmwareVersion.major = ti->fw_major;
	info->firmwareVersion.minor = ti->fw_minor;
	memcpy(info->utcTime, "                ", 16);
	LEAVE();
}

CK_RV
C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	unsigned i;
	int r;

	ENTER();
	if (slot == NULL || reserved != NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	for (;;) {
		rescan();
		for (i = 0; i < slots_count(slotdir); i++) {
			if (slot_tab[i].gen != slot_tab[i].reported) {
				slot_tab[i].reported = slot_tab[i].gen;
				*slot = i;
				rv = CKR_OK;
				goto out;
			}
		}
		if (flags & CKF_DONT_BLOCK) {
			rv = CKR_NO_EVENT;
			goto out;
		}
		waiters++;
		pthread_mutex_unlock(&lk);
		r = slots_wait(slotdir);
		pthread_mutex_lock(&lk);
		waiters--;
		if (!initialized || r == KYSO_ERR_BUSY) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			goto out;
		}
		if (r != 0) {
			rv = CKR_DEVICE_ERROR;
			goto out;
		}
	}
	LEAVE();
}

CK_RV
C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	struct slot *sl;
	CK_ULONG n;

	ENTER();
	if (count == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_token(id, &sl)) != CKR_OK)
		goto out;
	n = keys_mechanisms(NULL, 0);
	if (list != NULL) {
		if (*count < n) {
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			keys_mechanisms(list, *count);
		}
	}
	*count = n;
	LEAVE();
}

CK_RV
C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info)
{
	struct slot *sl;

	ENTER();
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_token(id, &sl)) != CKR_OK)
		goto out;
	rv = keys_mechanism_info(type, info);
	LEAVE();
}

static char *
label_from(const CK_UTF8CHAR *l)
{
	char s[33];
	size_t n = 32;

	memcpy(s, l, 32);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	s[n] = '\0';
	return strdup(s);
}

CK_RV
C_InitToken(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len, CK_UTF8CHAR_PTR label)
{
	struct slot *sl;
	char *l = NULL;

	ENTER();
	if (pin == NULL || label == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_token(id, &sl)) != CKR_OK)
		goto out;
	if (count_sessions(id, 0) > 0) {
		rv = CKR_SESSION_EXISTS;
		goto out;
	}
	if ((l = label_from(label)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	rv = from_err(tok_init_token(sl->tok, pin, len, l));
	free(l);
	LEAVE();
}

CK_RV
C_InitPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s;
	struct slot *sl;
	int r;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (pin == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (sl->login != CKU_SO) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	r = tok_init_pin(sl->tok, pin, len);
	rv = r == KYSO_ERR_INVALID ? CKR_PIN_LEN_RANGE : from_err(r);
	LEAVE();
}

CK_RV
C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old, CK_ULONG oldlen,
    CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s;
	struct slot *sl;
	int r;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (old == NULL || pin == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if (sl->login == CKU_SO)
		r = tok_set_so_pin(sl->tok, old, oldlen, pin, len);
	else
		r = tok_set_user_pin(sl->tok, old, oldlen, pin, len);
	rv = r == KYSO_ERR_INVALID ? CKR_PIN_LEN_RANGE :
	    r == KYSO_ERR_NOT_FOUND ? CKR_USER_PIN_NOT_INITIALIZED : from_err(r);
	LEAVE();
}

CK_RV
C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
    CK_SESSION_HANDLE_PTR h)
{
	struct slot *sl;
	struct session *s;
	size_t i;

	(void)app;
	(void)notify;
	ENTER();
	if (h == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	if ((rv = get_token(id, &sl)) != CKR_OK)
		goto out;
	if (sl->login == CKU_SO && !(flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
		goto out;
	}
	for (i = 0; i < MAX_SESSIONS && sess[i] != NULL; i++)
		;
	if (i == MAX_SESSIONS) {
		rv = CKR_SESSION_COUNT;
		goto out;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	s->h = next_session++;
	s->slot = id;
	s->gen = sl->gen;
	s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
	sess[i] = s;
	*h = s->h;
	rv = CKR_OK;
	LEAVE();
}

CK_RV
C_CloseSession(CK_SESSION_HANDLE h)
{
	size_t i;

	ENTER();
	rv = CKR_SESSION_HANDLE_INVALID;
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sess[i] != NULL && sess[i]->h == h) {
			close_session_at(i);
			rv = CKR_OK;
			break;
		}
	}
	LEAVE();
}

CK_RV
C_CloseAllSessions(CK_SLOT_ID id)
{
	ENTER();
	if (id >= slots_count(slotdir)) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	close_slot_sessions(id);
	rv = CKR_OK;
	LEAVE();
}

CK_RV
C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct session *s;
	struct slot *sl;
	int rw;

	ENTER();
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	rw = (s->flags & CKF_RW_SESSION) != 0;
	info->slotID = s->slot;
	info->flags = s->flags;
	info->ulDeviceError = 0;
	if (sl->login == CKU_SO)
		info->state = CKS_RW_SO_FUNCTIONS;
	else if (sl->login == CKU_USER)
		info->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	else
		info->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	LEAVE();
}

CK_RV
C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s;
	struct slot *sl;
	size_t i;
	int r;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (pin == NULL && len > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (who == CKU_CONTEXT_SPECIFIC) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	if (who != CKU_USER && who != CKU_SO) {
		rv = CKR_USER_TYPE_INVALID;
		goto out;
	}
	if (sl->login == who) {
		rv = CKR_USER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (sl->login != NO_LOGIN) {
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		goto out;
	}
	if (who == CKU_SO) {
		for (i = 0; i < MAX_SESSIONS; i++) {
			if (sess[i] != NULL && sess[i]->slot == s->slot &&
			    !(sess[i]->flags & CKF_RW_SESSION)) {
				rv = CKR_SESSION_READ_ONLY_EXISTS;
				goto out;
			}
		}
		r = tok_login_so(sl->tok, pin, len);
	} else {
		r = tok_login_user(sl->tok, pin, len);
	}
	if (r == KYSO_ERR_NOT_FOUND) {
		rv = CKR_USER_PIN_NOT_INITIALIZED;
		goto out;
	}
	if ((rv = from_err(r)) != CKR_OK)
		goto out;
	sl->login = who;
	LEAVE();
}

CK_RV
C_Logout(CK_SESSION_HANDLE h)
{
	struct session *s;
	struct slot *sl;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (sl->login == NO_LOGIN) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	logout_slot(s->slot);
	LEAVE();
}

/* --- objects ------------------------------------------------------------- */

CK_RV
C_CreateObject(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out_h)
{
	struct session *s;
	struct slot *sl;
	struct attrs *a = NULL;
	CK_OBJECT_CLASS cls;
	CK_ULONG ct;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (out_h == NULL || (tmpl == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = reject_vendor(tmpl, n)) != CKR_OK)
		goto out;
	if (attrs_from_template(tmpl, n, &a) != 0) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if (attrs_get_ulong(a, CKA_CLASS, &cls) != 0) {
		rv = CKR_TEMPLATE_INCOMPLETE;
		goto out;
	}
	switch (cls) {
	case CKO_DATA:
		break;
	case CKO_CERTIFICATE:
		if (attrs_get_ulong(a, CKA_CERTIFICATE_TYPE, &ct) != 0) {
			rv = CKR_TEMPLATE_INCOMPLETE;
			goto out;
		}
		if (ct != CKC_X_509) {
			rv = CKR_ATTRIBUTE_VALUE_INVALID;
			goto out;
		}
		if ((rv = keys_complete_certificate(a)) != CKR_OK)
			goto out;
		break;
	case CKO_PUBLIC_KEY:
		if ((rv = keys_complete_public(a)) != CKR_OK)
			goto out;
		break;
	case CKO_PRIVATE_KEY:
		/* Keys are made on the token, never brought to it. */
		rv = CKR_TEMPLATE_INCONSISTENT;
		goto out;
	default:
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if ((rv = object_defaults(a, cls)) != CKR_OK)
		goto out;
	rv = store_object(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	pthread_mutex_unlock(&lk);
	return rv;
}

/* Attributes a caller may change after creation. */
static int
settable(CK_ATTRIBUTE_TYPE t, CK_OBJECT_CLASS cls)
{
	switch (t) {
	case CKA_LABEL: case CKA_ID: case CKA_START_DATE: case CKA_END_DATE:
	case CKA_SUBJECT: case CKA_APPLICATION:
		return 1;
	case CKA_VALUE:
		return cls == CKO_DATA;
	}
	return 0;
}

static CK_RV
apply_changes(struct attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n, int copying)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ULONG i;

	if (attrs_get_ulong(a, CKA_CLASS, &cls) != 0)
		return CKR_GENERAL_ERROR;
	for (i = 0; i < n; i++) {
		const CK_ATTRIBUTE *t = &tmpl[i];

		if (t->ulValueLen > 0 && t->pValue == NULL)
			return CKR_ARGUMENTS_BAD;
		if (is_vendor(t->type))
			return CKR_ATTRIBUTE_TYPE_INVALID;
		if (!settable(t->type, cls) &&
		    !(copying && (t->type == CKA_TOKEN || t->type == CKA_PRIVATE)) &&
		    !(t->type == CKA_SENSITIVE && t->ulValueLen == 1 &&
		    *(CK_BBOOL *)t->pValue) &&
		    !(t->type == CKA_EXTRACTABLE && t->ulValueLen == 1 &&
		    !*(CK_BBOOL *)t->pValue))
			return CKR_ATTRIBUTE_READ_ONLY;
		if (attrs_set(a, t->type, t->pValue, t->ulValueLen) != 0)
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

CK_RV
C_CopyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ATTRIBUTE_PTR tmpl,
    CK_ULONG n, CK_OBJECT_HANDLE_PTR out_h)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	struct attrs *a = NULL;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (out_h == NULL || (tmpl == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = find_object(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	if (!attrs_bool(ref.a, CKA_COPYABLE, 1) || ref.challenge) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	if ((a = attrs_dup(ref.a)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	if ((rv = apply_changes(a, tmpl, n, 1)) != CKR_OK)
		goto out;
	rv = store_object(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	pthread_mutex_unlock(&lk);
	return rv;
}

CK_RV
C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	size_t i;
	int r;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if ((rv = find_object(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	if (ref.challenge || !attrs_bool(ref.a, CKA_DESTROYABLE, 1)) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	if (ref.s != NULL) {
		for (i = 0; i < nsobjs; i++) {
			if (sobjs[i] == ref.s) {
				sobj_free(sobjs[i]);
				sobjs[i] = sobjs[--nsobjs];
				break;
			}
		}
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if ((r = tok_begin(sl->tok)) != 0) {
		rv = from_err(r);
		goto out;
	}
	r = tok_del_object(sl->tok, (uint32_t)obj);
	tok_end(sl->tok);
	rv = r == KYSO_ERR_NOT_FOUND ? CKR_OBJECT_HANDLE_INVALID : from_err(r);
	LEAVE();
}

CK_RV
C_GetObjectSize(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ULONG_PTR size)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (size == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = find_object(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	*size = attrs_size(ref.a);
	LEAVE();
}

CK_RV
C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	const uint8_t *v;
	size_t len;
	CK_ULONG i;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = find_object(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE *t = &tmpl[i];

		if (is_sensitive_attr(ref.a, t->type)) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_SENSITIVE;
		} else if ((v = attrs_get(ref.a, t->type, &len)) == NULL) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_ATTRIBUTE_TYPE_INVALID;
		} else if (t->pValue == NULL) {
			t->ulValueLen = len;
		} else if (t->ulValueLen < len) {
			t->ulValueLen = CK_UNAVAILABLE_INFORMATION;
			rv = CKR_BUFFER_TOO_SMALL;
		} else {
			if (len > 0)
				memcpy(t->pValue, v, len);
			t->ulValueLen = len;
		}
	}
	LEAVE();
}

CK_RV
C_SetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
    CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	struct attrs *a = NULL;
	int r;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = find_object(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	if (ref.challenge || !attrs_bool(ref.a, CKA_MODIFIABLE, 1)) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	if (ref.t != NULL && !(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if ((a = attrs_dup(ref.a)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	if ((rv = apply_changes(a, tmpl, n, 0)) != CKR_OK)
		goto out;
	if (ref.s != NULL) {
		attrs_free(ref.s->a);
		ref.s->a = a;
		a = NULL;
		goto out;
	}
	if ((r = tok_begin(sl->tok)) != 0) {
		rv = from_err(r);
		goto out;
	}
	r = tok_replace_object(sl->tok, (uint32_t)obj, a);
	a = NULL;
	tok_end(sl->tok);
	rv = r == KYSO_ERR_NOT_FOUND ? CKR_OBJECT_HANDLE_INVALID : from_err(r);
out:
	attrs_free(a);
	pthread_mutex_unlock(&lk);
	return rv;
}

static int
push_handle(struct session *s, CK_OBJECT_HANDLE h, size_t *alloc)
{
	if (s->nfound == *alloc) {
		size_t na = *alloc ? *alloc * 2 : 32;
		CK_OBJECT_HANDLE *n = realloc(s->found, na * sizeof(*n));

		if (n == NULL)
			return KYSO_ERR_NOMEM;
		s->found = n;
		*alloc = na;
	}
	s->found[s->nfound++] = h;
	return 0;
}

CK_RV
C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;
	size_t i, alloc = 0;
	struct objref ref;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (s->finding) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	free(s->found);
	s->found = NULL;
	s->nfound = s->foundpos = 0;
	rv = CKR_HOST_MEMORY;
	if (find_object(s, sl, CHALLENGE_HANDLE, &ref) == CKR_OK &&
	    match_readable(ref.a, tmpl, n) && push_handle(s, CHALLENGE_HANDLE, &alloc) != 0)
		goto out;
	for (i = 0; i < tok_nobjects(sl->tok); i++) {
		struct tobj *o = tok_object_at(sl->tok, i);

		if (tobj_private(o) && (!user_in(sl) || tobj_attrs(o) == NULL))
			continue;
		if (match_readable(tobj_attrs(o), tmpl, n) &&
		    push_handle(s, tobj_id(o), &alloc) != 0)
			goto out;
	}
	for (i = 0; i < nsobjs; i++) {
		struct sobj *o = sobjs[i];

		if (o->slot != s->slot || (o->priv && !user_in(sl)))
			continue;
		if (match_readable(o->a, tmpl, n) && push_handle(s, o->h, &alloc) != 0)
			goto out;
	}
	s->finding = 1;
	rv = CKR_OK;
	LEAVE();
}

CK_RV
C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out_h, CK_ULONG max,
    CK_ULONG_PTR count)
{
	struct session *s;
	struct slot *sl;
	CK_ULONG n = 0;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (out_h == NULL || count == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!s->finding) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	while (n < max && s->foundpos < s->nfound)
		out_h[n++] = s->found[s->foundpos++];
	*count = n;
	LEAVE();
}

CK_RV
C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	struct session *s;
	struct slot *sl;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (!s->finding) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	s->finding = 0;
	free(s->found);
	s->found = NULL;
	s->nfound = s->foundpos = 0;
	LEAVE();
}

/* --- cryptographic operations ---------------------------------------- */

static EVP_PKEY *
ref_key(struct objref *ref)
{
	EVP_PKEY *k;

	if (ref->t != NULL && (k = tobj_cache(ref->t)) != NULL)
		return k;
	if (ref->s != NULL && ref->s->key != NULL)
		return ref->s->key;
	if ((k = keys_load(ref->a)) == NULL)
		return NULL;
	if (ref->t != NULL)
		tobj_set_cache(ref->t, k, keys_free_pkey);
	else if (ref->s != NULL)
		ref->s->key = k;
	return k;
}

static CK_RV
op_init(CK_SESSION_HANDLE h, enum kop_kind kind, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key)
{
	static const CK_ATTRIBUTE_TYPE use[] = { CKA_SIGN, CKA_VERIFY,
		CKA_DECRYPT, 0 };
	struct session *s;
	struct slot *sl;
	struct objref ref;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	EVP_PKEY *k = NULL;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (m == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (s->op != NULL) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (kind != KOP_DIGEST) {
		if (find_object(s, sl, key, &ref) != CKR_OK ||
		    attrs_get_ulong(ref.a, CKA_CLASS, &cls) != 0 ||
		    attrs_get_ulong(ref.a, CKA_KEY_TYPE, &kt) != 0) {
			rv = CKR_KEY_HANDLE_INVALID;
			goto out;
		}
		if ((kind == KOP_VERIFY) != (cls == CKO_PUBLIC_KEY) ||
		    (cls != CKO_PUBLIC_KEY && cls != CKO_PRIVATE_KEY)) {
			rv = CKR_KEY_TYPE_INCONSISTENT;
			goto out;
		}
		if (!attrs_bool(ref.a, use[kind], 0)) {
			rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
			goto out;
		}
		if (cls == CKO_PRIVATE_KEY &&
		    tok_info(sl->tok)->user_to_be_changed) {
			rv = CKR_PIN_EXPIRED;
			goto out;
		}
		if ((rv = keys_check_mechanism(m->mechanism, kt, kind)) != CKR_OK)
			goto out;
		if ((k = ref_key(&ref)) == NULL) {
			rv = CKR_KEY_HANDLE_INVALID;
			goto out;
		}
	} else if ((rv = keys_check_mechanism(m->mechanism, 0, kind)) != CKR_OK) {
		goto out;
	}
	if ((rv = kop_new(kind, m, k, &s->op)) != CKR_OK) {
		s->op = NULL;
		goto out;
	}
	s->opkind = kind;
	LEAVE();
}

static void
op_end(struct session *s)
{
	kop_free(s->op);
	s->op = NULL;
}

static CK_RV
op_session(CK_SESSION_HANDLE h, enum kop_kind kind, struct session **s)
{
	struct slot *sl;
	CK_RV rv;

	if ((rv = get_session(h, s, &sl)) != CKR_OK)
		return rv;
	if ((*s)->op == NULL || (*s)->opkind != kind)
		return CKR_OPERATION_NOT_INITIALIZED;
	return CKR_OK;
}

/* The output half of the two-call convention: a NULL buffer asks the
 * length, a short one gets CKR_BUFFER_TOO_SMALL and keeps the operation. */
static CK_RV
op_output(struct session *s, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	CK_RV rv;
	size_t n;

	if (out == NULL) {
		*outlen = kop_out_len(s->op);
		return CKR_OK;
	}
	if ((rv = kop_finish(s->op)) != CKR_OK) {
		op_end(s);
		return rv;
	}
	n = kop_out_len(s->op);
	if (*outlen < n) {
		*outlen = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(out, kop_result(s->op), n);
	*outlen = n;
	op_end(s);
	return CKR_OK;
}

static CK_RV
op_single(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR in, CK_ULONG inlen,
    CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	struct session *s;

	ENTER();
	if ((rv = op_session(h, kind, &s)) != CKR_OK)
		goto out;
	if ((in == NULL && inlen > 0) || outlen == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	if (out != NULL && !kop_finished(s->op) &&
	    (rv = kop_update(s->op, in, inlen)) != CKR_OK) {
		op_end(s);
		goto out;
	}
	rv = op_output(s, out, outlen);
	LEAVE();
}

static CK_RV
op_update(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR in, CK_ULONG inlen)
{
	struct session *s;

	ENTER();
	if ((rv = op_session(h, kind, &s)) != CKR_OK)
		goto out;
	if (in == NULL && inlen > 0) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	if ((rv = kop_update(s->op, in, inlen)) != CKR_OK)
		op_end(s);
	LEAVE();
}

static CK_RV
op_final(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	struct session *s;

	ENTER();
	if ((rv = op_session(h, kind, &s)) != CKR_OK)
		goto out;
	if (outlen == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	rv = op_output(s, out, outlen);
	LEAVE();
}

static CK_RV
op_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inlen, int update,
    CK_BYTE_PTR sig, CK_ULONG siglen)
{
	struct session *s;

	ENTER();
	if ((rv = op_session(h, KOP_VERIFY, &s)) != CKR_OK)
		goto out;
	if ((update && in == NULL && inlen > 0) || sig == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	if (update && (rv = kop_update(s->op, in, inlen)) != CKR_OK) {
		op_end(s);
		goto out;
	}
	rv = kop_verify(s->op, sig, siglen);
	op_end(s);
	LEAVE();
}

CK_RV
C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, KOP_SIGN, m, key);
}

CK_RV
C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR sig,
    CK_ULONG_PTR siglen)
{
	return op_single(h, KOP_SIGN, d, n, sig, siglen);
}

CK_RV
C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n)
{
	return op_update(h, KOP_SIGN, d, n);
}

CK_RV
C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR siglen)
{
	return op_final(h, KOP_SIGN, sig, siglen);
}

CK_RV
C_VerifyInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, KOP_VERIFY, m, key);
}

CK_RV
C_Verify(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR sig,
    CK_ULONG siglen)
{
	return op_verify(h, d, n, 1, sig, siglen);
}

CK_RV
C_VerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n)
{
	return op_update(h, KOP_VERIFY, d, n);
}

CK_RV
C_VerifyFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG siglen)
{
	return op_verify(h, NULL, 0, 0, sig, siglen);
}

CK_RV
C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, KOP_DECRYPT, m, key);
}

CK_RV
C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	return op_single(h, KOP_DECRYPT, d, n, out, outlen);
}

CK_RV
C_DecryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	CK_RV rv = op_update(h, KOP_DECRYPT, d, n);

	(void)out;
	/* RSA gives its output only at the end. */
	if (rv == CKR_OK && outlen != NULL)
		*outlen = 0;
	return rv;
}

CK_RV
C_DecryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return op_final(h, KOP_DECRYPT, out, outlen);
}

CK_RV
C_DigestInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m)
{
	return op_init(h, KOP_DIGEST, m, 0);
}

CK_RV
C_Digest(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	return op_single(h, KOP_DIGEST, d, n, out, outlen);
}

CK_RV
C_DigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n)
{
	return op_update(h, KOP_DIGEST, d, n);
}

CK_RV
C_DigestFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return op_final(h, KOP_DIGEST, out, outlen);
}

CK_RV
C_DigestKey(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key)
{
	struct session *s;

	(void)key;
	ENTER();
	if ((rv = op_session(h, KOP_DIGEST, &s)) != CKR_OK)
		goto out;
	rv = CKR_KEY_INDIGESTIBLE;
	LEAVE();
}

static CK_RV
pair_template(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_CLASS cls,
    struct attrs **out)
{
	CK_OBJECT_CLASS c;
	struct attrs *a;
	CK_RV rv;

	if ((rv = reject_vendor(t, n)) != CKR_OK)
		return rv;
	if (attrs_from_template(t, n, &a) != 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (attrs_get_ulong(a, CKA_CLASS, &c) == 0 && c != cls) {
		attrs_free(a);
		return CKR_TEMPLATE_INCONSISTENT;
	}
	if (attrs_set_ulong(a, CKA_CLASS, cls) != 0) {
		attrs_free(a);
		return CKR_HOST_MEMORY;
	}
	*out = a;
	return CKR_OK;
}

CK_RV
C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
    CK_ATTRIBUTE_PTR pubt, CK_ULONG npub, CK_ATTRIBUTE_PTR privt, CK_ULONG npriv,
    CK_OBJECT_HANDLE_PTR pub_h, CK_OBJECT_HANDLE_PTR priv_h)
{
	struct session *s;
	struct slot *sl;
	struct attrs *pub = NULL, *priv = NULL;
	CK_OBJECT_HANDLE ph = 0, kh = 0;
	int r;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (m == NULL || pub_h == NULL || priv_h == NULL ||
	    (pubt == NULL && npub > 0) || (privt == NULL && npriv > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!user_in(sl)) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (tok_info(sl->tok)->user_to_be_changed) {
		rv = CKR_PIN_EXPIRED;
		goto out;
	}
	if ((rv = pair_template(pubt, npub, CKO_PUBLIC_KEY, &pub)) != CKR_OK ||
	    (rv = pair_template(privt, npriv, CKO_PRIVATE_KEY, &priv)) != CKR_OK)
		goto out;
	if (!attrs_bool(priv, CKA_SENSITIVE, 1) ||
	    attrs_bool(priv, CKA_EXTRACTABLE, 0)) {
		/* A private key never leaves the token. */
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto out;
	}
	if ((rv = keys_generate(m, pub, priv)) != CKR_OK)
		goto out;
	rv = CKR_HOST_MEMORY;
	if (attrs_set_bool(priv, CKA_SENSITIVE, 1) != 0 ||
	    attrs_set_bool(priv, CKA_EXTRACTABLE, 0) != 0 ||
	    attrs_set_bool(priv, CKA_ALWAYS_SENSITIVE, 1) != 0 ||
	    attrs_set_bool(priv, CKA_NEVER_EXTRACTABLE, 1) != 0 ||
	    attrs_set_bool(priv, CKA_LOCAL, 1) != 0 ||
	    attrs_set_bool(pub, CKA_LOCAL, 1) != 0 ||
	    attrs_set_ulong(priv, CKA_KEY_GEN_MECHANISM, m->mechanism) != 0 ||
	    attrs_set_ulong(pub, CKA_KEY_GEN_MECHANISM, m->mechanism) != 0)
		goto out;
	if ((rv = object_defaults(pub, CKO_PUBLIC_KEY)) != CKR_OK ||
	    (rv = object_defaults(priv, CKO_PRIVATE_KEY)) != CKR_OK)
		goto out;
	if (attrs_bool(priv, CKA_TOKEN, 0) || attrs_bool(pub, CKA_TOKEN, 0)) {
		if (!(s->flags & CKF_RW_SESSION)) {
			rv = CKR_SESSION_READ_ONLY;
			goto out;
		}
	}
	rv = store_object(s, sl, priv, &kh);
	priv = NULL;
	if (rv != CKR_OK)
		goto out;
	rv = store_object(s, sl, pub, &ph);
	pub = NULL;
	if (rv != CKR_OK) {
		/* Leave no half pair behind. */
		if (!(kh & SESSION_OBJ_BIT) && tok_begin(sl->tok) == 0) {
			r = tok_del_object(sl->tok, (uint32_t)kh);
			(void)r;
			tok_end(sl->tok);
		}
		goto out;
	}
	*pub_h = ph;
	*priv_h = kh;
out:
	attrs_free(pub);
	attrs_free(priv);
	pthread_mutex_unlock(&lk);
	return rv;
}

CK_RV
C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;

	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	if (out == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (n > 0 && crypto_random(out, n) != 0)
		rv = CKR_DEVICE_ERROR;
	LEAVE();
}

CK_RV
C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;

	(void)seed;
	(void)n;
	ENTER();
	if ((rv = get_session(h, &s, &sl)) != CKR_OK)
		goto out;
	/* The token's generator seeds itself. */
	rv = CKR_RANDOM_SEED_NOT_SUPPORTED;
	LEAVE();
}

/* --- what this token does not do ----------------------------------------
 * Each answers with the code the standard gives a token without the
 * feature: no operation state, no symmetric keys, no encryption on the
 * token (public-key encryption needs no token), no recovery signatures. */

static CK_RV
session_then(CK_SESSION_HANDLE h, CK_RV then)
{
	struct session *s;

	ENTER();
	if ((rv = get_session(h, &s, &(struct slot *){ NULL })) != CKR_OK)
		goto out;
	rv = then;
	LEAVE();
}

CK_RV
C_GetOperationState(CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG_PTR n)
{
	(void)st;
	(void)n;
	return session_then(h, CKR_STATE_UNSAVEABLE);
}

CK_RV
C_SetOperationState(CK_SESSION_HANDLE h, CK_BYTE_PTR st, CK_ULONG n,
    CK_OBJECT_HANDLE ek, CK_OBJECT_HANDLE ak)
{
	(void)st;
	(void)n;
	(void)ek;
	(void)ak;
	return session_then(h, CKR_SAVED_STATE_INVALID);
}

CK_RV
C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)m;
	(void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,
    CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_EncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,
    CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_EncryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_SignRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)m; (void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_SignRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,
    CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_VerifyRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)m; (void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_VerifyRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,
    CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_DigestEncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_DecryptDigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_SignEncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_DecryptVerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d; (void)n; (void)o; (void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_GenerateKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, CK_OBJECT_HANDLE_PTR k)
{
	(void)m; (void)t; (void)n; (void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_WrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w,
    CK_OBJECT_HANDLE k, CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)m; (void)w; (void)k; (void)o; (void)on;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_UnwrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE u,
    CK_BYTE_PTR w, CK_ULONG wn, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR k)
{
	(void)m; (void)u; (void)w; (void)wn; (void)t; (void)n; (void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_DeriveKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE b,
    CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR k)
{
	(void)m; (void)b; (void)t; (void)n; (void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_GetFunctionStatus(CK_SESSION_HANDLE h)
{
	return session_then(h, CKR_FUNCTION_NOT_PARALLEL);
}

CK_RV
C_CancelFunction(CK_SESSION_HANDLE h)
{
	return session_then(h, CKR_FUNCTION_NOT_PARALLEL);
}

static CK_FUNCTION_LIST function_list = {
	{ 2, 40 },
	C_Initialize, C_Finalize, C_GetInfo, C_GetFunctionList,
	C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, C_GetMechanismList,
	C_GetMechanismInfo, C_InitToken, C_InitPIN, C_SetPIN,
	C_OpenSession, C_CloseSession, C_CloseAllSessions, C_GetSessionInfo,
	C_GetOperationState, C_SetOperationState, C_Login, C_Logout,
	C_CreateObject, C_CopyObject, C_DestroyObject, C_GetObjectSize,
	C_GetAttributeValue, C_SetAttributeValue, C_FindObjectsInit,
	C_FindObjects, C_FindObjectsFinal, C_EncryptInit, C_Encrypt,
	C_EncryptUpdate, C_EncryptFinal, C_DecryptInit, C_Decrypt,
	C_DecryptUpdate, C_DecryptFinal, C_DigestInit, C_Digest,
	C_DigestUpdate, C_DigestKey, C_DigestFinal, C_SignInit, C_Sign,
	C_SignUpdate, C_SignFinal, C_SignRecoverInit, C_SignRecover,
	C_VerifyInit, C_Verify, C_VerifyUpdate, C_VerifyFinal,
	C_VerifyRecoverInit, C_VerifyRecover, C_DigestEncryptUpdate,
	C_DecryptDigestUpdate, C_SignEncryptUpdate, C_DecryptVerifyUpdate,
	C_GenerateKey, C_GenerateKeyPair, C_WrapKey, C_UnwrapKey,
	C_DeriveKey, C_SeedRandom, C_GenerateRandom, C_GetFunctionStatus,
	C_CancelFunction, C_WaitForSlotEvent,
};

EXPORT CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &function_list;
	return CKR_OK;
}

/* PKCS#11 3.0 discovery, offering the 2.40 interface this module implements.
 * The types are declared here: the headers we build with predate 3.0. */
typedef struct {
	CK_UTF8CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} kyso_interface;

CK_RV C_GetInterfaceList(kyso_interface *list, CK_ULONG_PTR count);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
    kyso_interface **iface, CK_FLAGS flags);

static kyso_interface interfaces[] = {
	{ (CK_UTF8CHAR *)"PKCS 11", &function_list, 0 },
};

EXPORT CK_RV
C_GetInterfaceList(kyso_interface *list, CK_ULONG_PTR count)
{
	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	if (list == NULL) {
		*count = 1;
		return CKR_OK;
	}
	if (*count < 1) {
		*count = 1;
		return CKR_BUFFER_TOO_SMALL;
	}
	list[0] = interfaces[0];
	*count = 1;
	return CKR_OK;
}

EXPORT CK_RV
C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
    kyso_interface **iface, CK_FLAGS flags)
{
	if (iface == NULL)
		return CKR_ARGUMENTS_BAD;
	if (name != NULL && strcmp((const char *)name, "PKCS 11") != 0)
		return CKR_ARGUMENTS_BAD;
	if (version != NULL && (version->major != 2 || version->minor != 40))
		return CKR_ARGUMENTS_BAD;
	if (flags != 0)
		return CKR_ARGUMENTS_BAD;
	*iface = &interfaces[0];
	return CKR_OK;
}
