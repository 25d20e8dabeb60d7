/* libkyso-pkcs11: the front door of the virtual token. C_Initialize and
 * C_Finalize, C_GetInfo, what the token does not do, and the 2.40
 * function list (C_GetFunctionList; the 3.0 interfaces are iface.c's),
 * the only symbols exported with C_GetInterface*. The entry points live
 * by responsibility: slots, sessions and login in session.c, objects in
 * object.c (and sobj.c), operations in ops.c; token files come from
 * store.c, slots from slots.c, keys from keys.c. */
#include <stdlib.h>
#include <string.h>

#include "../common/config.h"
#include "../common/fsutil.h"
#include "../common/parse.h"
#include "module_int.h"

#define EXPORT __attribute__((visibility("default")))

/* C_Initialize under the mutex: the slot count comes from the config
 * file, or KYSO_SLOTS; only the OS's own locking is accepted. */
static CK_RV
do_initialize(CK_VOID_PTR args)
{
	CK_C_INITIALIZE_ARGS *ia = args;
	struct config *cfg = NULL;
	char *home = NULL;
	const char *env;
	uint64_t n;
	int r;

	if (core_initialized())
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	if (ia != NULL) {
		int given = (ia->CreateMutex != NULL) +
		    (ia->DestroyMutex != NULL) + (ia->LockMutex != NULL) +
		    (ia->UnlockMutex != NULL);

		if (ia->pReserved != NULL)
			return CKR_ARGUMENTS_BAD;
		/* PKCS#11 5.4: the four callbacks come all or none. */
		if (given != 0 && given != 4)
			return CKR_ARGUMENTS_BAD;
		if (given == 4 && !(ia->flags & CKF_OS_LOCKING_OK))
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
	r = session_start(home, (unsigned)n);
	free(home);
	if (r != 0)
		return CKR_GENERAL_ERROR;
	core_set_initialized(1);
	return CKR_OK;
}

CK_RV
C_Initialize(CK_VOID_PTR args)
{
	CK_RV rv;

	core_lock();
	rv = do_initialize(args);
	core_unlock();
	return rv;
}

CK_RV
C_Finalize(CK_VOID_PTR reserved)
{
	if (reserved != NULL)
		return CKR_ARGUMENTS_BAD;
	core_lock();
	if (!core_initialized()) {
		core_unlock();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	core_set_initialized(0);
	session_stop();
	object_stop();
	fetch_stop();
	core_unlock();
	return CKR_OK;
}

/* C_GetInfo's answer, for the interface it was called through (a
 * 2.40 or 3.0 function list: iface.c). */
CK_RV
module_info(CK_INFO_PTR info, CK_BYTE major, CK_BYTE minor)
{
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (info == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = major;
	info->cryptokiVersion.minor = minor;
	core_pad(info->manufacturerID, sizeof(info->manufacturerID), "kyso");
	core_pad(info->libraryDescription, sizeof(info->libraryDescription),
	    "kyso virtual USB token");
	info->libraryVersion.major = 0;
	info->libraryVersion.minor = 1;
	rv = CKR_OK;
out:
	core_unlock();
	return rv;
}

CK_RV
C_GetInfo(CK_INFO_PTR info)
{
	return module_info(info, 2, 40);
}

/* --- what this token does not do ----------------------------------------
 * Each answers with the code the standard gives a token without the
 * feature: no operation state, no recovery signatures, no dual-function
 * calls. */

/* The answer then, for a valid session. */
static CK_RV
session_then(CK_SESSION_HANDLE h, CK_RV then)
{
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	core_unlock();
	return then;
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
C_SignRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)m;
	(void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_SignRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,
    CK_ULONG_PTR on)
{
	(void)d;
	(void)n;
	(void)o;
	(void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_VerifyRecoverInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)m;
	(void)k;
	return session_then(h, CKR_MECHANISM_INVALID);
}

CK_RV
C_VerifyRecover(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR o,
    CK_ULONG_PTR on)
{
	(void)d;
	(void)n;
	(void)o;
	(void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_DigestEncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d;
	(void)n;
	(void)o;
	(void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_DecryptDigestUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d;
	(void)n;
	(void)o;
	(void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_SignEncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d;
	(void)n;
	(void)o;
	(void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
}

CK_RV
C_DecryptVerifyUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n,
    CK_BYTE_PTR o, CK_ULONG_PTR on)
{
	(void)d;
	(void)n;
	(void)o;
	(void)on;
	return session_then(h, CKR_OPERATION_NOT_INITIALIZED);
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

CK_FUNCTION_LIST module_function_list = {
	{ 2, 40 },
	C_Initialize,
	C_Finalize,
	C_GetInfo,
	C_GetFunctionList,
	C_GetSlotList,
	C_GetSlotInfo,
	C_GetTokenInfo,
	C_GetMechanismList,
	C_GetMechanismInfo,
	C_InitToken,
	C_InitPIN,
	C_SetPIN,
	C_OpenSession,
	C_CloseSession,
	C_CloseAllSessions,
	C_GetSessionInfo,
	C_GetOperationState,
	C_SetOperationState,
	C_Login,
	C_Logout,
	C_CreateObject,
	C_CopyObject,
	C_DestroyObject,
	C_GetObjectSize,
	C_GetAttributeValue,
	C_SetAttributeValue,
	C_FindObjectsInit,
	C_FindObjects,
	C_FindObjectsFinal,
	C_EncryptInit,
	C_Encrypt,
	C_EncryptUpdate,
	C_EncryptFinal,
	C_DecryptInit,
	C_Decrypt,
	C_DecryptUpdate,
	C_DecryptFinal,
	C_DigestInit,
	C_Digest,
	C_DigestUpdate,
	C_DigestKey,
	C_DigestFinal,
	C_SignInit,
	C_Sign,
	C_SignUpdate,
	C_SignFinal,
	C_SignRecoverInit,
	C_SignRecover,
	C_VerifyInit,
	C_Verify,
	C_VerifyUpdate,
	C_VerifyFinal,
	C_VerifyRecoverInit,
	C_VerifyRecover,
	C_DigestEncryptUpdate,
	C_DecryptDigestUpdate,
	C_SignEncryptUpdate,
	C_DecryptVerifyUpdate,
	C_GenerateKey,
	C_GenerateKeyPair,
	C_WrapKey,
	C_UnwrapKey,
	C_DeriveKey,
	C_SeedRandom,
	C_GenerateRandom,
	C_GetFunctionStatus,
	C_CancelFunction,
	C_WaitForSlotEvent,
};

EXPORT CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	if (list == NULL)
		return CKR_ARGUMENTS_BAD;
	*list = &module_function_list;
	return CKR_OK;
}
