/* The module's one mutex and its initialized flag, which every entry point
 * takes and checks, and the two small translations every file of the
 * module needs: kyso error codes to CK_RV, C strings to PKCS#11 text. */
#include <pthread.h>
#include <string.h>

#include "module_int.h"

static pthread_mutex_t lk = PTHREAD_MUTEX_INITIALIZER;
static int initialized;

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
	if (!initialized) {
		pthread_mutex_unlock(&lk);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

/* Read and set under the mutex. */
int
core_initialized(void)
{
	return initialized;
}

void
core_set_initialized(int on)
{
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
