/* Sessions, logins and PINs: the one place a PIN reaches a module. */
#include <string.h>

#include <openssl/crypto.h>

#include "p11.h"
#include "p11_int.h"

/* Sessions are opened here only, so that a refused one leaves its
 * CK_RV for p11_last_rv like every other call. */
int
p11_session_open(struct p11 *p, CK_SLOT_ID slot, int rw, CK_SESSION_HANDLE *out)
{
	CK_SESSION_HANDLE s;
	CK_RV rv;

	rv = p11_fn(p)->C_OpenSession(slot,
	    CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0), NULL, NULL, &s);
	if (rv != CKR_OK)
		return p11_fail(p, rv);
	*out = s;
	return 0;
}

void
p11_session_close(struct p11 *p, CK_SESSION_HANDLE s)
{
	if (s != CK_INVALID_HANDLE)
		p11_fn(p)->C_CloseSession(s);
}

void
p11_logout(struct p11 *p, CK_SESSION_HANDLE s)
{
	if (s != CK_INVALID_HANDLE)
		p11_fn(p)->C_Logout(s);
}

int
p11_token_info(struct p11 *p, CK_SLOT_ID slot, CK_TOKEN_INFO *out)
{
	CK_TOKEN_INFO ti;
	CK_RV rv;

	if ((rv = p11_fn(p)->C_GetTokenInfo(slot, &ti)) != CKR_OK)
		return p11_fail(p, rv);
	*out = ti;
	return 0;
}

/* PKCS#11 keeps the PIN counters in the token's flags; a module tells
 * only "low", "final try" and "locked", never a number. */
static void
flags_to_info(CK_FLAGS f, CK_USER_TYPE who, struct p11_pin_info *pi)
{
	int so = who == CKU_SO;

	pi->tries_left = P11_TRIES_UNKNOWN;
	if (f & (so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED))
		pi->tries_left = 0;
	else if (f & (so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY))
		pi->tries_left = 1;
	pi->count_low = (f & (so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW)) !=
	    0;
	pi->to_be_changed = (f &
				(so ? CKF_SO_PIN_TO_BE_CHANGED
				    : CKF_USER_PIN_TO_BE_CHANGED)) != 0;
}

int
p11_pin_info(struct p11 *p, CK_SLOT_ID slot, CK_USER_TYPE who,
    struct p11_pin_info *out)
{
	/* zeroed: at -O3 gcc cannot see that p11_fail never returns 0 */
	CK_TOKEN_INFO ti = { 0 };
	struct p11_pin_info pi;
	int r;

	if ((r = p11_token_info(p, slot, &ti)) != 0)
		return r;
	memset(&pi, 0, sizeof(pi));
	pi.rv = CKR_OK;
	flags_to_info(ti.flags, who, &pi);
	*out = pi;
	return 0;
}

/* The kyso error for a PIN the module refused, with what the token says
 * now (read after the attempt, so a try that locked it shows 0). */
static int
pin_result(struct p11 *p, CK_SESSION_HANDLE s, CK_USER_TYPE who, CK_RV rv,
    struct p11_pin_info *info)
{
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	struct p11_pin_info pi;

	memset(&pi, 0, sizeof(pi));
	pi.tries_left = P11_TRIES_UNKNOWN;
	if (p11_fn(p)->C_GetSessionInfo(s, &si) == CKR_OK &&
	    p11_fn(p)->C_GetTokenInfo(si.slotID, &ti) == CKR_OK)
		flags_to_info(ti.flags, who, &pi);
	if (rv == CKR_PIN_LOCKED)
		pi.tries_left = 0;
	if (rv == CKR_PIN_EXPIRED)
		pi.to_be_changed = 1;
	pi.rv = rv;
	if (info != NULL)
		*info = pi;
	return rv == CKR_OK ? 0 : p11_fail(p, rv);
}

/* OpenSSH's pkcs11_login: the PIN lives no longer than C_Login needs. */
int
p11_session_login(struct p11 *p, CK_SESSION_HANDLE s, CK_USER_TYPE who,
    char *pin, struct p11_pin_info *info)
{
	size_t n;
	CK_RV rv;

	if (pin == NULL) {
		if (info != NULL) {
			memset(info, 0, sizeof(*info));
			info->rv = CKR_ARGUMENTS_BAD;
			info->tries_left = P11_TRIES_UNKNOWN;
		}
		return KYSO_ERR_INVALID;
	}
	n = strlen(pin);
	rv = p11_fn(p)->C_Login(s, who, (CK_UTF8CHAR *)pin, n);
	OPENSSL_cleanse(pin, n);
	if (rv == CKR_USER_ALREADY_LOGGED_IN)
		rv = CKR_OK;
	return pin_result(p, s, who, rv, info);
}

int
p11_login(struct p11 *p, CK_SLOT_ID slot, int rw, CK_USER_TYPE who, char *pin,
    CK_SESSION_HANDLE *out, struct p11_pin_info *info)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	int r;

	if ((r = p11_session_open(p, slot, rw, &s)) != 0) {
		if (pin != NULL)
			OPENSSL_cleanse(pin, strlen(pin));
		if (info != NULL) {
			memset(info, 0, sizeof(*info));
			info->rv = p11_last_rv(p);
			info->tries_left = P11_TRIES_UNKNOWN;
		}
		return r;
	}
	if ((r = p11_session_login(p, s, who, pin, info)) != 0) {
		p11_session_close(p, s);
		return r;
	}
	*out = s;
	return 0;
}

/* Like the login, the one place both PINs of a change meet the module;
 * both are wiped whatever it answers. */
int
p11_set_pin(struct p11 *p, CK_SESSION_HANDLE s, char *old_pin, char *new_pin)
{
	size_t no, nn;
	CK_RV rv;

	if (old_pin == NULL || new_pin == NULL)
		return KYSO_ERR_INVALID;
	no = strlen(old_pin);
	nn = strlen(new_pin);
	rv = p11_fn(p)->C_SetPIN(s, (CK_UTF8CHAR *)old_pin, no,
	    (CK_UTF8CHAR *)new_pin, nn);
	OPENSSL_cleanse(old_pin, no);
	OPENSSL_cleanse(new_pin, nn);
	return rv == CKR_OK ? 0 : p11_fail(p, rv);
}

/* The SO's reset of the user PIN (kyso-token forgot-pin). */
int
p11_init_pin(struct p11 *p, CK_SESSION_HANDLE s, const char *pin)
{
	CK_RV rv;

	rv = p11_fn(p)->C_InitPIN(s, (CK_UTF8CHAR *)pin, strlen(pin));
	return rv == CKR_OK ? 0 : p11_fail(p, rv);
}
