/* The module's one mutex and its initialized flag, which every entry point
 * takes and checks, and the two small translations every file of the
 * module needs: kyso error codes to CK_RV, C strings to PKCS#11 text.
 * The flag belongs to the process that called C_Initialize: a child of
 * fork() finds the module not initialized, with nothing of its parent's
 * (sessions, login, slot watches), and initializes it afresh. */
#include <pthread.h>
#include <string.h>

#include "module_int.h"

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int initialized;
/* Set in a child of fork() by the atfork handler: the module it finds
 * initialized is its parent's. A flag, not a getpid() at every call. */
static int forked;

/* fork() while another thread holds the mutex would leave the child a
 * mutex no thread of its own can unlock: the fork waits for it. */
static void
fork_prepare(void)
{
	pthread_mutex_lock(&lk);
}

static void
fork_parent(void)
{
	pthread_mutex_unlock(&lk);
}

static void
fork_child(void)
{
	forked = 1;
	pthread_mutex_unlock(&lk);
}

static void
atfork_register(void)
{
	/* glibc unregisters the handlers when the module is unloaded. */
	(void)pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* In a child of fork(): what the parent had is the parent's. Its
 * memory is let go here without a word to the token files or the slot
 * watches (the child never reads the parent's inotify queue: those
 * events are the parent's). Under the mutex. */
static void
forget_parent(void)
{
	initialized = 0;
	forked = 0;
	session_forget();
	object_stop();
}

/* Plain lock and unlock, for the calls that must run whether or not the
 * module is initialized (C_Initialize, C_Finalize) or that wait outside
 * the lock (C_WaitForSlotEvent). */
void
core_lock(void)
{
	pthread_mutex_lock(&lk);
}

void
core_unlock(void)
{
	pthread_mutex_unlock(&lk);
}

/* The opening of every other entry point: after CKR_OK the caller holds
 * the mutex and must core_unlock(); on an error it holds nothing. */
CK_RV
core_enter(void)
{
	pthread_mutex_lock(&lk);
	if (!core_initialized()) {
		pthread_mutex_unlock(&lk);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

/* Read and set under the mutex. A process other than the one that
 * initialized the module (a child of fork) finds it not initialized. */
int
core_initialized(void)
{
	if (initialized && forked)
		forget_parent();
	return initialized;
}

void
core_set_initialized(int on)
{
	if (on) {
		(void)pthread_once(&atfork_once, atfork_register);
		forked = 0;
	}
	initialized = on;
}

/* The one place a kyso error code becomes a CK_RV (callers first pick
 * the codes whose meaning depends on the call, such as a bad PIN length). */
CK_RV
core_from_err(int r)
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

/* PKCS#11 text fields are blank padded, not NUL terminated. */
void
core_pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t l = strlen(src);

	memset(dst, ' ', n);
	memcpy(dst, src, l < n ? l : n);
}
