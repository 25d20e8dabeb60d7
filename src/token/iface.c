/* PKCS#11 3.0's interfaces: C_GetInterfaceList and C_GetInterface offer
 * "PKCS 11" 3.0 (the default) and 2.40, each with its own function list,
 * whose C_GetInfo tells the version of the list it was called through.
 * The 3.0 list adds C_LoginUser (without a user name: the token has one
 * user of each type), C_SessionCancel, and the message-based functions,
 * which the token does not offer (CKR_FUNCTION_NOT_SUPPORTED). The
 * headers we build with predate 3.0: its types are declared here. */
#include <stdlib.h>
#include <string.h>

#include "module_int.h"

#define EXPORT __attribute__((visibility("default")))

#ifndef CKF_FIND_OBJECTS
#define CKF_FIND_OBJECTS 0x00000040UL
#endif

typedef struct {
	CK_UTF8CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;
} kyso_interface;

/* The 3.0 functions' types. */
typedef CK_RV list_fn(kyso_interface *, CK_ULONG_PTR);
typedef CK_RV iface_fn(CK_UTF8CHAR_PTR, CK_VERSION_PTR, kyso_interface **,
    CK_FLAGS);
typedef CK_RV login_user_fn(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR_PTR,
    CK_ULONG, CK_UTF8CHAR_PTR, CK_ULONG);
typedef CK_RV cancel_fn(CK_SESSION_HANDLE, CK_FLAGS);
typedef CK_RV msg_init_fn(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE);
typedef CK_RV msg_crypt_fn(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG,
    CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV msg_begin_fn(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG,
    CK_BYTE_PTR, CK_ULONG);
typedef CK_RV msg_next_fn(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
    CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR, CK_FLAGS);
typedef CK_RV msg_final_fn(CK_SESSION_HANDLE);
typedef CK_RV msg_sign_fn(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG, CK_BYTE_PTR,
    CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV msg_sbegin_fn(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG);
typedef CK_RV msg_verify_fn(CK_SESSION_HANDLE, CK_VOID_PTR, CK_ULONG,
    CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG);

/* CK_FUNCTION_LIST_3_0: the 2.40 list (it ends with a pointer, so no
 * padding comes between), then the 3.0 functions in the standard's
 * order. */
struct function_list_3_0 {
	CK_FUNCTION_LIST v2;
	list_fn *C_GetInterfaceList;
	iface_fn *C_GetInterface;
	login_user_fn *C_LoginUser;
	cancel_fn *C_SessionCancel;
	msg_init_fn *C_MessageEncryptInit;
	msg_crypt_fn *C_EncryptMessage;
	msg_begin_fn *C_EncryptMessageBegin;
	msg_next_fn *C_EncryptMessageNext;
	msg_final_fn *C_MessageEncryptFinal;
	msg_init_fn *C_MessageDecryptInit;
	msg_crypt_fn *C_DecryptMessage;
	msg_begin_fn *C_DecryptMessageBegin;
	msg_next_fn *C_DecryptMessageNext;
	msg_final_fn *C_MessageDecryptFinal;
	msg_init_fn *C_MessageSignInit;
	msg_sign_fn *C_SignMessage;
	msg_sbegin_fn *C_SignMessageBegin;
	msg_sign_fn *C_SignMessageNext;
	msg_final_fn *C_MessageSignFinal;
	msg_init_fn *C_MessageVerifyInit;
	msg_verify_fn *C_VerifyMessage;
	msg_sbegin_fn *C_VerifyMessageBegin;
	msg_verify_fn *C_VerifyMessageNext;
	msg_final_fn *C_MessageVerifyFinal;
};

CK_RV C_GetInterfaceList(kyso_interface *list, CK_ULONG_PTR count);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
    kyso_interface **iface, CK_FLAGS flags);

static CK_RV
get_info_3_0(CK_INFO_PTR info)
{
	return module_info(info, 3, 0);
}

/* C_Login for a token whose users have no names: a user name is a
 * feature the token does not have. */
static CK_RV
login_user(CK_SESSION_HANDLE h, CK_USER_TYPE who, CK_UTF8CHAR_PTR pin,
    CK_ULONG len, CK_UTF8CHAR_PTR user, CK_ULONG ulen)
{
	(void)user;
	if (ulen != 0)
		return CKR_FUNCTION_NOT_SUPPORTED;
	return C_Login(h, who, pin, len);
}

/* Ends the session's operations that flags name (CKF_SIGN, CKF_DECRYPT,
 * ..., CKF_FIND_OBJECTS); those not active are left as they are. */
static CK_RV
session_cancel(CK_SESSION_HANDLE h, CK_FLAGS flags)
{
	static const CK_FLAGS of_kind[] = { CKF_SIGN, CKF_VERIFY, CKF_DECRYPT,
		CKF_DIGEST, CKF_ENCRYPT, CKF_DERIVE, CKF_WRAP, CKF_UNWRAP };
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (s->op != NULL && (flags & of_kind[s->opkind]) != 0) {
		kop_free(s->op);
		s->op = NULL;
	}
	if (s->finding && (flags & CKF_FIND_OBJECTS) != 0) {
		s->finding = 0;
		free(s->found);
		s->found = NULL;
		s->nfound = s->foundpos = 0;
	}
	core_unlock();
	return CKR_OK;
}

/* The message-based functions: not offered, on a valid session. */
static CK_RV
not_supported(CK_SESSION_HANDLE h)
{
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	core_unlock();
	return CKR_FUNCTION_NOT_SUPPORTED;
}

static CK_RV
msg_init(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k)
{
	(void)m;
	(void)k;
	return not_supported(h);
}

static CK_RV
msg_crypt(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR ad,
    CK_ULONG adn, CK_BYTE_PTR in, CK_ULONG inn, CK_BYTE_PTR out,
    CK_ULONG_PTR outn)
{
	(void)p, (void)pn, (void)ad, (void)adn, (void)in, (void)inn, (void)out,
	    (void)outn;
	return not_supported(h);
}

static CK_RV
msg_begin(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR ad,
    CK_ULONG adn)
{
	(void)p, (void)pn, (void)ad, (void)adn;
	return not_supported(h);
}

static CK_RV
msg_next(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR in,
    CK_ULONG inn, CK_BYTE_PTR out, CK_ULONG_PTR outn, CK_FLAGS flags)
{
	(void)p, (void)pn, (void)in, (void)inn, (void)out, (void)outn,
	    (void)flags;
	return not_supported(h);
}

static CK_RV
msg_sign(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,
    CK_ULONG dn, CK_BYTE_PTR sig, CK_ULONG_PTR sn)
{
	(void)p, (void)pn, (void)d, (void)dn, (void)sig, (void)sn;
	return not_supported(h);
}

static CK_RV
msg_sbegin(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pn)
{
	(void)p, (void)pn;
	return not_supported(h);
}

static CK_RV
msg_verify(CK_SESSION_HANDLE h, CK_VOID_PTR p, CK_ULONG pn, CK_BYTE_PTR d,
    CK_ULONG dn, CK_BYTE_PTR sig, CK_ULONG sn)
{
	(void)p, (void)pn, (void)d, (void)dn, (void)sig, (void)sn;
	return not_supported(h);
}

static struct function_list_3_0 function_list_3_0;

static kyso_interface interfaces[] = {
	{ (CK_UTF8CHAR *)"PKCS 11", &function_list_3_0, 0 },
	{ (CK_UTF8CHAR *)"PKCS 11", &module_function_list, 0 },
};

#define NIFACES (sizeof(interfaces) / sizeof(interfaces[0]))

/* The 2.40 list with its C_GetInfo and version replaced, then the 3.0
 * functions: made once, before any interface is handed out. */
static void
list_3_0_make(void)
{
	struct function_list_3_0 *l = &function_list_3_0;

	if (l->v2.version.major == 3)
		return;
	l->v2 = module_function_list;
	l->v2.C_GetInfo = get_info_3_0;
	l->C_GetInterfaceList = C_GetInterfaceList;
	l->C_GetInterface = C_GetInterface;
	l->C_LoginUser = login_user;
	l->C_SessionCancel = session_cancel;
	l->C_MessageEncryptInit = l->C_MessageDecryptInit = msg_init;
	l->C_MessageSignInit = l->C_MessageVerifyInit = msg_init;
	l->C_EncryptMessage = l->C_DecryptMessage = msg_crypt;
	l->C_EncryptMessageBegin = l->C_DecryptMessageBegin = msg_begin;
	l->C_EncryptMessageNext = l->C_DecryptMessageNext = msg_next;
	l->C_MessageEncryptFinal = l->C_MessageDecryptFinal = not_supported;
	l->C_MessageSignFinal = l->C_MessageVerifyFinal = not_supported;
	l->C_SignMessage = l->C_SignMessageNext = msg_sign;
	l->C_SignMessageBegin = l->C_VerifyMessageBegin = msg_sbegin;
	l->C_VerifyMessage = l->C_VerifyMessageNext = msg_verify;
	l->v2.version.major = 3;
	l->v2.version.minor = 0;
}

EXPORT CK_RV
C_GetInterfaceList(kyso_interface *list, CK_ULONG_PTR count)
{
	size_t i;

	if (count == NULL)
		return CKR_ARGUMENTS_BAD;
	if (list == NULL) {
		*count = NIFACES;
		return CKR_OK;
	}
	if (*count < NIFACES) {
		*count = NIFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	core_lock();
	list_3_0_make();
	core_unlock();
	for (i = 0; i < NIFACES; i++)
		list[i] = interfaces[i];
	*count = NIFACES;
	return CKR_OK;
}

/* The interface of that name (NULL: "PKCS 11"), version (NULL: the
 * newest) and flags (the token's interfaces have none). */
EXPORT CK_RV
C_GetInterface(CK_UTF8CHAR_PTR name, CK_VERSION_PTR version,
    kyso_interface **iface, CK_FLAGS flags)
{
	size_t i;

	if (iface == NULL)
		return CKR_ARGUMENTS_BAD;
	if (name != NULL && strcmp((const char *)name, "PKCS 11") != 0)
		return CKR_ARGUMENTS_BAD;
	if (flags != 0)
		return CKR_ARGUMENTS_BAD;
	core_lock();
	list_3_0_make();
	core_unlock();
	for (i = 0; i < NIFACES; i++) {
		const CK_VERSION *v = interfaces[i].pFunctionList;

		if (version == NULL ||
		    (version->major == v->major && version->minor == v->minor)) {
			*iface = &interfaces[i];
			return CKR_OK;
		}
	}
	return CKR_ARGUMENTS_BAD;
}
