/* Slots, sessions and login: which token sits in which slot (as slots.c
 * last scanned the folder), the sessions open on it, who is logged in, and
 * the entry points that open, close and log into them and set PINs. A
 * token pulled out ends its sessions and login, as a USB token does. The
 * PIN checks themselves are store_auth.c's. Callers hold the module
 * mutex. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module_int.h"

static struct slots *slotdir;
static struct slot slot_tab[SLOTS_MAX];
static struct session *sess[MAX_SESSIONS];
static CK_SESSION_HANDLE next_session = 1;
static int waiters;

/* A session's operation and search go with it. */
static void
session_free(struct session *s)
{
	if (s == NULL)
		return;
	kop_free(s->op);
	free(s->found);
	free(s);
}

/* Ends the login on a slot: the token key is wiped, private session
 * objects and private-key operations end. */
static void
logout_slot(CK_SLOT_ID id)
{
	struct slot *sl = &slot_tab[id];
	size_t i;

	if (sl->tok != NULL)
		tok_logout(sl->tok);
	sl->login = NO_LOGIN;
	sobj_drop_slot(id, 1);
	/* An operation begun with a private key ends with the login. */
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sess[i] != NULL && sess[i]->slot == id &&
		    sess[i]->op != NULL && sess[i]->opprivate) {
			kop_free(sess[i]->op);
			sess[i]->op = NULL;
		}
	}
}

/* Closes sess[i] with its objects; the last session of a slot ends its
 * login (PKCS#11: the login belongs to the application, on the slot). */
static void
close_session_at(size_t i)
{
	struct session *s = sess[i];
	CK_SLOT_ID id = s->slot;
	size_t j;

	sobj_drop_session(s->h);
	session_free(s);
	sess[i] = NULL;
	for (j = 0; j < MAX_SESSIONS; j++)
		if (sess[j] != NULL && sess[j]->slot == id)
			return;
	/* The last session closed: the login ends. */
	logout_slot(id);
}

/* C_CloseAllSessions, and a token pulled out. */
static void
close_slot_sessions(CK_SLOT_ID id)
{
	size_t i;

	for (i = 0; i < MAX_SESSIONS; i++)
		if (sess[i] != NULL && sess[i]->slot == id)
			close_session_at(i);
	logout_slot(id);
	sobj_drop_slot(id, 0);
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

/* Reads the slot folder again and follows every slot's changes. */
static void
rescan(void)
{
	unsigned i;

	slots_scan(slotdir);
	for (i = 0; i < slots_count(slotdir); i++)
		sync_slot(i);
}

/* A slot by id, rescanned: for the calls on a slot that may be empty. */
static CK_RV
get_slot(CK_SLOT_ID id, struct slot **out)
{
	if (!core_initialized())
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (id >= slots_count(slotdir))
		return CKR_SLOT_ID_INVALID;
	rescan();
	*out = &slot_tab[id];
	return CKR_OK;
}

/* The slot of a token that is present and readable, reloaded when
 * another process changed its file. */
CK_RV
slot_get_token(CK_SLOT_ID id, struct slot **out)
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

/* The session behind handle h and its slot, for every call on a session:
 * it notices a token pulled out (CKR_DEVICE_REMOVED), reloads the token
 * file another process changed, and ends a login that a re-initialization
 * elsewhere made stale. */
static CK_RV
session_get(CK_SESSION_HANDLE h, struct session **s, struct slot **sl)
{
	size_t i;

	if (!core_initialized())
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
		/* Another process committed (its rename was seen on the
		 * watch): reload. No event, no stat. */
		if (slots_token_changed(slotdir, (unsigned)sess[i]->slot) &&
		    tok_refresh((*sl)->tok) != 0) {
			slots_token_recheck(slotdir, (unsigned)sess[i]->slot);
			return CKR_DEVICE_ERROR;
		}
		/* Another process re-initialized the token. */
		if ((*sl)->login != NO_LOGIN && !tok_unlocked((*sl)->tok))
			logout_slot(sess[i]->slot);
		return CKR_OK;
	}
	return CKR_SESSION_HANDLE_INVALID;
}

/* The opening of an entry point on a session: the module mutex taken and
 * the session found, or an error with the mutex released. */
CK_RV
session_enter(CK_SESSION_HANDLE h, struct session **s, struct slot **sl)
{
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if ((rv = session_get(h, s, sl)) != CKR_OK)
		core_unlock();
	return rv;
}

/* Whether the user (not the SO, not nobody) is logged in on the slot:
 * what private objects need. */
int
slot_user_in(const struct slot *sl)
{
	return sl->login == CKU_USER;
}

int
slot_general(const struct slot *sl)
{
	return tok_info(sl->tok)->profile == TOK_PROFILE_GENERAL;
}

/* RSA-1024 is for the applications a general-purpose token serves;
 * a CA's token makes nothing below 2048. */
unsigned
slot_min_rsa_bits(const struct slot *sl)
{
	return slot_general(sl) ? 1024 : 2048;
}

CK_RV
C_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count)
{
	CK_ULONG n = 0, i;
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
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
out:
	core_unlock();
	return rv;
}

CK_RV
C_GetSlotInfo(CK_SLOT_ID id, CK_SLOT_INFO_PTR info)
{
	struct slot *sl;
	char desc[64];
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = get_slot(id, &sl)) != CKR_OK)
		goto out;
	memset(info, 0, sizeof(*info));
	snprintf(desc, sizeof(desc), "kyso virtual USB reader %lu", id);
	core_pad(info->slotDescription, sizeof(info->slotDescription), desc);
	core_pad(info->manufacturerID, sizeof(info->manufacturerID), "kyso");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
	if (sl->tok != NULL || sl->broken)
		info->flags |= CKF_TOKEN_PRESENT;
	info->hardwareVersion.major = 1;
	info->firmwareVersion.major = 0;
	info->firmwareVersion.minor = 1;
out:
	core_unlock();
	return rv;
}

/* C_Initialize's part: the slot folder of home with nslots slots, and the
 * tokens in it now, which are not reported as events. */
int
session_start(const char *home, unsigned nslots)
{
	unsigned i;
	int r;

	if ((r = slots_new(home, nslots, &slotdir)) != 0)
		return r;
	for (i = 0; i < SLOTS_MAX; i++) {
		memset(&slot_tab[i], 0, sizeof(slot_tab[i]));
		slot_tab[i].login = NO_LOGIN;
	}
	rescan();
	/* Tokens present at start are not events. */
	for (i = 0; i < slots_count(slotdir); i++)
		slot_tab[i].reported = slot_tab[i].gen;
	return 0;
}

/* C_Finalize's part, once the module is marked uninitialized: wakes the
 * C_WaitForSlotEvent callers and lets them leave first, then frees every
 * session, session object and token. */
void
session_stop(void)
{
	while (waiters > 0) {
		slots_cancel(slotdir);
		core_unlock();
		sched_yield();
		core_lock();
	}
	session_forget();
}

/* Frees every session, session object, token and the slot watches,
 * telling nobody: session_stop's end, and a child of fork() letting go
 * of its parent's (whose waiting threads are not in the child). */
void
session_forget(void)
{
	size_t i;

	waiters = 0;
	for (i = 0; i < MAX_SESSIONS; i++) {
		session_free(sess[i]);
		sess[i] = NULL;
	}
	sobj_drop_all();
	for (i = 0; i < SLOTS_MAX; i++) {
		tok_free(slot_tab[i].tok);
		memset(&slot_tab[i], 0, sizeof(slot_tab[i]));
	}
	slots_free(slotdir);
	slotdir = NULL;
}

/* For C_GetTokenInfo and C_InitToken. */
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
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = slot_get_token(id, &sl)) != CKR_OK)
		goto out;
	ti = tok_info(sl->tok);
	memset(info, 0, sizeof(*info));
	core_pad(info->label, sizeof(info->label), ti->label);
	core_pad(info->manufacturerID, sizeof(info->manufacturerID),
	    ti->manufacturer);
	core_pad(info->model, sizeof(info->model), ti->model);
	core_pad(info->serialNumber, sizeof(info->serialNumber), ti->serial);
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
out:
	core_unlock();
	return rv;
}

CK_RV
C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved)
{
	unsigned i;
	int r;
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
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
		core_unlock();
		r = slots_wait(slotdir);
		core_lock();
		waiters--;
		if (!core_initialized() || r == KYSO_ERR_BUSY) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			goto out;
		}
		if (r != 0) {
			rv = CKR_DEVICE_ERROR;
			goto out;
		}
	}
out:
	core_unlock();
	return rv;
}

/* A PKCS#11 label (32 bytes, blank padded) as a C string. */
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
C_InitToken(CK_SLOT_ID id, CK_UTF8CHAR_PTR pin, CK_ULONG len,
    CK_UTF8CHAR_PTR label)
{
	struct slot *sl;
	char *l = NULL;
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (pin == NULL || label == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = slot_get_token(id, &sl)) != CKR_OK)
		goto out;
	if (count_sessions(id, 0) > 0) {
		rv = CKR_SESSION_EXISTS;
		goto out;
	}
	if ((l = label_from(label)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	rv = core_from_err(tok_init_token(sl->tok, pin, len, l));
	free(l);
out:
	core_unlock();
	return rv;
}

CK_RV
C_InitPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s;
	struct slot *sl;
	int r;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
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
	rv = r == KYSO_ERR_INVALID ? CKR_PIN_LEN_RANGE : core_from_err(r);
out:
	core_unlock();
	return rv;
}

CK_RV
C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR old, CK_ULONG oldlen,
    CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s;
	struct slot *sl;
	int r;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
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
	rv = r == KYSO_ERR_INVALID    ? CKR_PIN_LEN_RANGE
	    : r == KYSO_ERR_NOT_FOUND ? CKR_USER_PIN_NOT_INITIALIZED
				      : core_from_err(r);
out:
	core_unlock();
	return rv;
}

CK_RV
C_OpenSession(CK_SLOT_ID id, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
    CK_SESSION_HANDLE_PTR h)
{
	struct slot *sl;
	struct session *s;
	size_t i;
	CK_RV rv;

	(void)app;
	(void)notify;
	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (h == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (!(flags & CKF_SERIAL_SESSION)) {
		rv = CKR_SESSION_PARALLEL_NOT_SUPPORTED;
		goto out;
	}
	if ((rv = slot_get_token(id, &sl)) != CKR_OK)
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
out:
	core_unlock();
	return rv;
}

CK_RV
C_CloseSession(CK_SESSION_HANDLE h)
{
	size_t i;
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	rv = CKR_SESSION_HANDLE_INVALID;
	for (i = 0; i < MAX_SESSIONS; i++) {
		if (sess[i] != NULL && sess[i]->h == h) {
			close_session_at(i);
			rv = CKR_OK;
			break;
		}
	}
	core_unlock();
	return rv;
}

CK_RV
C_CloseAllSessions(CK_SLOT_ID id)
{
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (id >= slots_count(slotdir)) {
		rv = CKR_SLOT_ID_INVALID;
		goto out;
	}
	close_slot_sessions(id);
	rv = CKR_OK;
out:
	core_unlock();
	return rv;
}

CK_RV
C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info)
{
	struct session *s;
	struct slot *sl;
	int rw;
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = session_get(h, &s, &sl)) != CKR_OK)
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
out:
	core_unlock();
	return rv;
}

CK_RV
C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	struct session *s;
	struct slot *sl;
	size_t i;
	int r;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	/* No protected authentication path: a PIN is always given. */
	if (pin == NULL) {
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
	/* A PIN too short or too long is not tried (and costs nothing). */
	if ((rv = r == KYSO_ERR_INVALID ? CKR_PIN_LEN_RANGE
					: core_from_err(r)) != CKR_OK)
		goto out;
	sl->login = who;
out:
	core_unlock();
	return rv;
}

CK_RV
C_Logout(CK_SESSION_HANDLE h)
{
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (sl->login == NO_LOGIN) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	logout_slot(s->slot);
out:
	core_unlock();
	return rv;
}
