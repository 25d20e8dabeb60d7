#include "p11.h"
#include "p11_int.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct p11 {
	void *dl;
	char *path;
	CK_FUNCTION_LIST *fn;
	int initialized;
	CK_RV last_rv; /* see p11_last_rv */
};

static char *
default_module(void)
{
	/* The build tree's layout, then the installed one. */
	static const char *rel[] = { "../lib/libkyso-pkcs11.so",
		KYSO_MODULE_RELPATH };
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	const char *env = getenv("KYSO_MODULE");
	ssize_t n;
	size_t i;

	if (env != NULL && *env != '\0')
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) != NULL) {
			*slash = '\0';
			for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				char *real;

				snprintf(cand, sizeof(cand), "%s/%s", exe,
				    rel[i]);
				if ((real = realpath(cand, NULL)) != NULL)
					return real;
			}
		}
	}
	return strdup(KYSO_DEFAULT_MODULE);
}

int
p11_open(const char *path, struct p11 **out)
{
	CK_C_INITIALIZE_ARGS args;
	CK_C_GetFunctionList gfl;
	struct p11 *p = calloc(1, sizeof(*p));
	CK_RV rv;
	int r = KYSO_ERR_NOT_FOUND;

	if (p == NULL)
		return KYSO_ERR_NOMEM;
	p->path = path != NULL ? strdup(path) : default_module();
	if (p->path == NULL) {
		r = KYSO_ERR_NOMEM;
		goto fail;
	}
	if ((p->dl = dlopen(p->path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		goto fail;
	*(void **)&gfl = dlsym(p->dl, "C_GetFunctionList");
	if (gfl == NULL || gfl(&p->fn) != CKR_OK || p->fn == NULL) {
		r = KYSO_ERR_INVALID;
		goto fail;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->fn->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = KYSO_ERR_IO;
		goto fail;
	}
	p->initialized = rv == CKR_OK;
	*out = p;
	return 0;
fail:
	p11_free(p);
	return r;
}

void
p11_free(struct p11 *p)
{
	if (p == NULL)
		return;
	if (p->initialized)
		p->fn->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	free(p->path);
	free(p);
}

CK_FUNCTION_LIST *
p11_fn(const struct p11 *p)
{
	return p->fn;
}

CK_RV
p11_last_rv(const struct p11 *p)
{
	return p->last_rv;
}

/* Every failing call goes through here, so a program can still word
 * its message after the kyso code (p11_last_rv). */
int
p11_fail(struct p11 *p, CK_RV rv)
{
	p->last_rv = rv;
	return p11_err(rv);
}

const char *
p11_path(const struct p11 *p)
{
	return p->path;
}

void
p11_str(const CK_UTF8CHAR *s, size_t n, char *out)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Modules fill a slot list in two calls; a token plugged in between
 * makes the second one say CKR_BUFFER_TOO_SMALL: ask again. */
int
p11_slot_list(struct p11 *p, int present_only, CK_SLOT_ID **out, size_t *n)
{
	CK_SLOT_ID *slots = NULL, *bigger;
	CK_ULONG count = 0;
	CK_RV rv;
	int tries;

	for (tries = 0; tries < 4; tries++) {
		if ((rv = p->fn->C_GetSlotList(present_only ? CK_TRUE : CK_FALSE,
			 NULL, &count)) != CKR_OK)
			break;
		if (count == 0) {
			free(slots);
			*out = NULL;
			*n = 0;
			return 0;
		}
		if ((bigger = realloc(slots, count * sizeof(*slots))) == NULL) {
			free(slots);
			return KYSO_ERR_NOMEM;
		}
		slots = bigger;
		rv = p->fn->C_GetSlotList(present_only ? CK_TRUE : CK_FALSE,
		    slots, &count);
		if (rv == CKR_OK) {
			*out = slots;
			*n = count;
			return 0;
		}
		if (rv != CKR_BUFFER_TOO_SMALL)
			break;
	}
	free(slots);
	return p11_fail(p, rv);
}

int
p11_slot_info(struct p11 *p, CK_SLOT_ID slot, CK_SLOT_INFO *out)
{
	CK_SLOT_INFO si;
	CK_RV rv;

	if ((rv = p->fn->C_GetSlotInfo(slot, &si)) != CKR_OK)
		return p11_fail(p, rv);
	*out = si;
	return 0;
}

int
p11_wait_slot_event(struct p11 *p, CK_SLOT_ID *slot)
{
	CK_SLOT_ID id = 0;
	CK_RV rv;

	rv = p->fn->C_WaitForSlotEvent(0, &id, NULL);
	if (rv == CKR_FUNCTION_NOT_SUPPORTED) {
		p->last_rv = rv;
		return KYSO_ERR_UNSUPPORTED;
	}
	if (rv != CKR_OK)
		return p11_fail(p, rv);
	*slot = id;
	return 0;
}

int
p11_find_token(struct p11 *p, const char *want, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *info)
{
	CK_SLOT_ID *slots = NULL;
	size_t n = 0, i;
	CK_TOKEN_INFO ti;
	char serial[17], label[33];
	int found = 0, r;

	if ((r = p11_slot_list(p, 1, &slots, &n)) != 0)
		return r == KYSO_ERR_NOMEM ? r : KYSO_ERR_IO;
	r = KYSO_ERR_NOT_FOUND;
	for (i = 0; i < n; i++) {
		if (p->fn->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		p11_str(ti.serialNumber, sizeof(ti.serialNumber), serial);
		p11_str(ti.label, sizeof(ti.label), label);
		if (want != NULL && strcmp(want, serial) != 0 &&
		    strcmp(want, label) != 0)
			continue;
		/* SoftHSM2 and others keep an empty, uninitialized token in
		 * a spare slot: it is not one the user means. */
		if (want == NULL && !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		if (found++ > 0) {
			r = KYSO_ERR_BUSY;
			goto out;
		}
		*slot = slots[i];
		if (info != NULL)
			*info = ti;
		r = 0;
	}
out:
	free(slots);
	return r;
}

int
p11_err(CK_RV rv)
{
	switch (rv) {
	case CKR_OK: return 0;
	case CKR_PIN_INCORRECT: return KYSO_ERR_PIN_INCORRECT;
	case CKR_PIN_LOCKED: return KYSO_ERR_PIN_LOCKED;
	case CKR_PIN_EXPIRED: return KYSO_ERR_PIN_EXPIRED;
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_INVALID: return KYSO_ERR_INVALID;
	case CKR_HOST_MEMORY: return KYSO_ERR_NOMEM;
	case CKR_DEVICE_MEMORY: return KYSO_ERR_CAPACITY;
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
	case CKR_SLOT_ID_INVALID: return KYSO_ERR_NOT_FOUND;
	}
	return KYSO_ERR_IO;
}

const char *
p11_rv_name(CK_RV rv)
{
	switch (rv) {
		/* One line of names each, not a statement each. */
		/* clang-format off */
#define N(x) case x: return #x;
	N(CKR_OK) N(CKR_CANCEL) N(CKR_HOST_MEMORY) N(CKR_SLOT_ID_INVALID)
	N(CKR_GENERAL_ERROR) N(CKR_FUNCTION_FAILED) N(CKR_ARGUMENTS_BAD)
	N(CKR_ATTRIBUTE_READ_ONLY) N(CKR_ATTRIBUTE_SENSITIVE)
	N(CKR_ATTRIBUTE_TYPE_INVALID) N(CKR_ATTRIBUTE_VALUE_INVALID)
	N(CKR_DATA_INVALID) N(CKR_DATA_LEN_RANGE) N(CKR_DEVICE_ERROR)
	N(CKR_DEVICE_MEMORY) N(CKR_DEVICE_REMOVED) N(CKR_FUNCTION_NOT_SUPPORTED)
	N(CKR_KEY_HANDLE_INVALID) N(CKR_KEY_TYPE_INCONSISTENT)
	N(CKR_MECHANISM_INVALID) N(CKR_MECHANISM_PARAM_INVALID)
	N(CKR_OBJECT_HANDLE_INVALID) N(CKR_OPERATION_ACTIVE)
	N(CKR_OPERATION_NOT_INITIALIZED) N(CKR_PIN_INCORRECT) N(CKR_PIN_INVALID)
	N(CKR_PIN_LEN_RANGE) N(CKR_PIN_EXPIRED) N(CKR_PIN_LOCKED)
	N(CKR_SESSION_HANDLE_INVALID) N(CKR_SESSION_READ_ONLY)
	N(CKR_SIGNATURE_INVALID) N(CKR_SIGNATURE_LEN_RANGE)
	N(CKR_TEMPLATE_INCOMPLETE) N(CKR_TEMPLATE_INCONSISTENT)
	N(CKR_TOKEN_NOT_PRESENT) N(CKR_TOKEN_NOT_RECOGNIZED)
	N(CKR_USER_ALREADY_LOGGED_IN) N(CKR_USER_NOT_LOGGED_IN)
	N(CKR_USER_PIN_NOT_INITIALIZED) N(CKR_USER_TYPE_INVALID)
	N(CKR_USER_ANOTHER_ALREADY_LOGGED_IN) N(CKR_BUFFER_TOO_SMALL)
	N(CKR_CRYPTOKI_NOT_INITIALIZED) N(CKR_CRYPTOKI_ALREADY_INITIALIZED)
	N(CKR_NO_EVENT) N(CKR_KEY_SIZE_RANGE) N(CKR_CURVE_NOT_SUPPORTED)
	N(CKR_ACTION_PROHIBITED) N(CKR_KEY_FUNCTION_NOT_PERMITTED)
#undef N
		/* clang-format on */
	}
	return "CKR_(other)";
}
