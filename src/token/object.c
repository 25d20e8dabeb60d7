/* The object rules of a CA's token, and the object entry points. The
 * rules a reviewer audits are all here:
 * - private keys are made on the token (C_CreateObject of one is
 *   CKR_TEMPLATE_INCONSISTENT), always CKA_SENSITIVE, never
 *   CKA_EXTRACTABLE, always CKA_PRIVATE (only private objects are sealed
 *   in the token file): a template or a copy asking otherwise is refused;
 * - a sensitive value is never read, nor matched in a search;
 * - private objects are seen only with the user logged in, token objects
 *   changed only in a read-write session;
 * - after creation only the label, id, dates, subject, application (and a
 *   data object's value) change, and sensitivity only tightens;
 * - handle 1 is the unblock challenge, public and read-only.
 * The factory PIN rule (CKR_PIN_EXPIRED) is checked where keys are used,
 * in ops.c. Callers hold the module mutex. */
#include <stdlib.h>
#include <string.h>

#include "module_int.h"

/* The unblock challenge as a read-only public data object (unblock.md). */
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

/* The last challenge object handed out, freed at the next or at the end. */
static struct attrs *challenge_cache;

/* The object behind handle h as session s may see it: a private object
 * without the user logged in is not there (CKR_OBJECT_HANDLE_INVALID).
 * The challenge object is made afresh from the token file each time. */
CK_RV
object_find(struct session *s, struct slot *sl, CK_OBJECT_HANDLE h,
    struct objref *ref)
{
	struct sobj *o;

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
		if ((o = sobj_find(h, s->slot)) == NULL ||
		    (o->priv && !slot_user_in(sl)))
			return CKR_OBJECT_HANDLE_INVALID;
		ref->a = o->a;
		ref->s = o;
		return CKR_OK;
	}
	if (h > UINT32_MAX || (ref->t = tok_object(sl->tok, (uint32_t)h)) == NULL)
		return CKR_OBJECT_HANDLE_INVALID;
	if (tobj_private(ref->t) &&
	    (!slot_user_in(sl) || tobj_attrs(ref->t) == NULL))
		return CKR_OBJECT_HANDLE_INVALID;
	ref->a = tobj_attrs(ref->t);
	return CKR_OK;
}

/* Values that never leave the token: a private key's secret parts and
 * its encoding, and a secret key's value unless it is neither sensitive
 * nor unextractable (PKCS#11 4.10). */
static int
is_sensitive_attr(const struct attrs *a, CK_ATTRIBUTE_TYPE t)
{
	CK_ULONG cls;

	if (t == KYSO_CKA_KEY_DER)
		return 1;
	if (attrs_get_ulong(a, CKA_CLASS, &cls) != 0)
		return 0;
	if (cls == CKO_SECRET_KEY)
		return t == CKA_VALUE &&
		    (attrs_bool(a, CKA_SENSITIVE, 1) ||
			!attrs_bool(a, CKA_EXTRACTABLE, 0));
	if (cls != CKO_PRIVATE_KEY)
		return 0;
	switch (t) {
	case CKA_PRIVATE_EXPONENT:
	case CKA_PRIME_1:
	case CKA_PRIME_2:
	case CKA_EXPONENT_1:
	case CKA_EXPONENT_2:
	case CKA_COEFFICIENT:
	case CKA_VALUE: return 1;
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

/* Vendor attributes are the token's own (the key encoding): a caller may
 * neither set nor ask for them by template. */
static int
is_vendor(CK_ATTRIBUTE_TYPE t)
{
	return (t & CKA_VENDOR_DEFINED) != 0;
}

/* Common attributes every object of a class gets unless given; a
 * general token's keys copy by default, a CA's private keys do not. */
static CK_RV
object_defaults(const struct slot *sl, struct attrs *a, CK_OBJECT_CLASS cls)
{
	int secret = cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;

	if (attrs_default_bool(a, CKA_TOKEN, 0) != 0 ||
	    attrs_default_bool(a, CKA_PRIVATE, secret) != 0 ||
	    attrs_default_bool(a, CKA_MODIFIABLE, 1) != 0 ||
	    attrs_default_bool(a, CKA_COPYABLE, !secret || slot_general(sl)) != 0 ||
	    attrs_default_bool(a, CKA_DESTROYABLE, 1) != 0 ||
	    attrs_default(a, CKA_LABEL, "", 0) != 0)
		return CKR_HOST_MEMORY;
	if (cls == CKO_PUBLIC_KEY || secret) {
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
	if (cls == CKO_SECRET_KEY) {
		if (attrs_default_bool(a, CKA_SENSITIVE, 1) != 0 ||
		    attrs_default_bool(a, CKA_EXTRACTABLE, 0) != 0 ||
		    attrs_default_bool(a, CKA_ENCRYPT, 0) != 0 ||
		    attrs_default_bool(a, CKA_DECRYPT, 0) != 0 ||
		    attrs_default_bool(a, CKA_SIGN, 0) != 0 ||
		    attrs_default_bool(a, CKA_VERIFY, 0) != 0 ||
		    attrs_default_bool(a, CKA_WRAP, 0) != 0 ||
		    attrs_default_bool(a, CKA_UNWRAP, 0) != 0 ||
		    attrs_default_bool(a, CKA_TRUSTED, 0) != 0 ||
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

/* Whether the session may store a (a token object when *token). */
static CK_RV
store_check(const struct session *s, const struct slot *sl,
    const struct attrs *a, int *token, int *priv)
{
	CK_OBJECT_CLASS cls;

	*token = attrs_bool(a, CKA_TOKEN, 0);
	*priv = attrs_bool(a, CKA_PRIVATE, 0);
	/* Only private objects are sealed on disk and hidden before login:
	 * a private or secret key asked to be public (C_GenerateKeyPair,
	 * C_CopyObject, C_DeriveKey) would lie in the token file in clear.
	 * A general token allows it for a session key, never on disk. */
	if (!*priv && attrs_get_ulong(a, CKA_CLASS, &cls) == 0 &&
	    (cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY) &&
	    (*token || !slot_general(sl)))
		return CKR_TEMPLATE_INCONSISTENT;
	if (*priv && !slot_user_in(sl))
		return CKR_USER_NOT_LOGGED_IN;
	if (*token && !(s->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	return CKR_OK;
}

/* Stores n new token objects in one commit of the token file. Takes
 * every a[i]. */
static CK_RV
store_token(struct slot *sl, size_t n, const int priv[], struct attrs *a[],
    CK_OBJECT_HANDLE h[])
{
	uint32_t id[2];
	size_t i;
	int r;

	if (n > 2 || (r = tok_begin(sl->tok)) != 0) {
		for (i = 0; i < n; i++)
			attrs_free(a[i]);
		return n > 2 ? CKR_GENERAL_ERROR : core_from_err(r);
	}
	r = tok_add_objects(sl->tok, n, priv, a, id);
	tok_end(sl->tok);
	if (r != 0)
		return core_from_err(r);
	for (i = 0; i < n; i++)
		h[i] = id[i];
	return CKR_OK;
}

/* Stores a new object on the token or in the session. Takes a. */
CK_RV
object_store(struct session *s, struct slot *sl, struct attrs *a,
    CK_OBJECT_HANDLE *h)
{
	int token, priv;
	CK_RV rv;

	if ((rv = store_check(s, sl, a, &token, &priv)) != CKR_OK) {
		attrs_free(a);
		return rv;
	}
	if (token)
		return store_token(sl, 1, &priv, &a, h);
	return sobj_add(s, priv, a, h);
}

/* A key pair: both on the token in one commit (never half there), or
 * each where its CKA_TOKEN says, the private key first and undone when
 * the public key fails. Takes priv and pub. */
CK_RV
object_store_pair(struct session *s, struct slot *sl, struct attrs *priv,
    struct attrs *pub, CK_OBJECT_HANDLE *priv_h, CK_OBJECT_HANDLE *pub_h)
{
	struct attrs *a[2] = { priv, pub };
	CK_OBJECT_HANDLE h[2];
	int token[2], p[2], r;
	CK_RV rv;

	if ((rv = store_check(s, sl, priv, &token[0], &p[0])) != CKR_OK ||
	    (rv = store_check(s, sl, pub, &token[1], &p[1])) != CKR_OK) {
		attrs_free(priv);
		attrs_free(pub);
		return rv;
	}
	if (token[0] && token[1]) {
		if ((rv = store_token(sl, 2, p, a, h)) != CKR_OK)
			return rv;
	} else {
		if ((rv = object_store(s, sl, priv, &h[0])) != CKR_OK) {
			attrs_free(pub);
			return rv;
		}
		if ((rv = object_store(s, sl, pub, &h[1])) != CKR_OK) {
			/* Leave no half pair behind. */
			if (!(h[0] & SESSION_OBJ_BIT) && tok_begin(sl->tok) == 0) {
				r = tok_del_object(sl->tok, (uint32_t)h[0]);
				(void)r;
				tok_end(sl->tok);
			} else if (h[0] & SESSION_OBJ_BIT) {
				sobj_destroy(sobj_find(h[0], s->slot));
			}
			return rv;
		}
	}
	*priv_h = h[0];
	*pub_h = h[1];
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

/* The uses a key's attributes allow. */
static const CK_ATTRIBUTE_TYPE key_uses[] = { CKA_ENCRYPT, CKA_DECRYPT,
	CKA_SIGN, CKA_VERIFY, CKA_SIGN_RECOVER, CKA_VERIFY_RECOVER, CKA_WRAP,
	CKA_UNWRAP, CKA_DERIVE };

/* On a general token a generic secret, raw keying material, may also be
 * allowed to encrypt, decrypt, wrap and unwrap: general applications ask
 * it (pkcs11-tool 0.23's --derive always does, its --keygen of a GENERIC
 * key by default). No mechanism of the token does those with it: the
 * operation answers CKR_KEY_TYPE_INCONSISTENT. */
static int
general_extra_use(int general, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt,
    CK_ATTRIBUTE_TYPE use)
{
	return general && cls == CKO_SECRET_KEY && kt == CKK_GENERIC_SECRET &&
	    (use == CKA_ENCRYPT || use == CKA_DECRYPT || use == CKA_WRAP ||
		use == CKA_UNWRAP);
}

/* A key allowed a use the token cannot perform with it would fail later,
 * where the caller no longer expects it: refuse it at once. Secret keys
 * too (a generic secret only MACs, a DES3 key does not sign), but for
 * general_extra_use on a general token. */
static CK_RV
usage_check_in(int general, const struct attrs *a, CK_OBJECT_CLASS cls,
    CK_KEY_TYPE kt)
{
	size_t i;

	if (cls != CKO_PUBLIC_KEY && cls != CKO_PRIVATE_KEY &&
	    cls != CKO_SECRET_KEY)
		return CKR_OK;
	for (i = 0; i < sizeof(key_uses) / sizeof(key_uses[0]); i++)
		if (attrs_bool(a, key_uses[i], 0) &&
		    !keys_usage_ok(cls, kt, key_uses[i]) &&
		    !general_extra_use(general, cls, kt, key_uses[i]))
			return CKR_TEMPLATE_INCONSISTENT;
	return CKR_OK;
}

CK_RV
object_usage_check(const struct attrs *a, CK_OBJECT_CLASS cls, CK_KEY_TYPE kt)
{
	return usage_check_in(0, a, cls, kt);
}

/* The usage check of an object whose class and key type it carries, on
 * a general token or not. */
static CK_RV
usage_check(int general, const struct attrs *a)
{
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;

	if (attrs_get_ulong(a, CKA_CLASS, &cls) != 0 ||
	    attrs_get_ulong(a, CKA_KEY_TYPE, &kt) != 0)
		return CKR_OK;
	return usage_check_in(general, a, cls, kt);
}

/* What a key brought to the token (imported, unwrapped) is: not made
 * there, so neither local nor always sensitive nor never extractable;
 * sensitive and unextractable unless its template said otherwise. */
static CK_RV
mark_imported(struct attrs *a)
{
	if (attrs_set_bool(a, CKA_LOCAL, 0) != 0 ||
	    attrs_set_bool(a, CKA_ALWAYS_SENSITIVE, 0) != 0 ||
	    attrs_set_bool(a, CKA_NEVER_EXTRACTABLE, 0) != 0 ||
	    attrs_set_ulong(a, CKA_KEY_GEN_MECHANISM,
		CK_UNAVAILABLE_INFORMATION) != 0 ||
	    attrs_default_bool(a, CKA_SENSITIVE, 1) != 0 ||
	    attrs_default_bool(a, CKA_EXTRACTABLE, 0) != 0)
		return CKR_HOST_MEMORY;
	return CKR_OK;
}

/* A key brought to a general token (C_CreateObject): a private key from
 * its components (never readable again: always sensitive), a secret key
 * from its value; not made on the token, so neither local nor always
 * sensitive nor never extractable. */
static CK_RV
import_key(struct attrs *a, CK_OBJECT_CLASS cls)
{
	CK_KEY_TYPE kt;
	const uint8_t *v;
	size_t n = 0;
	CK_RV rv;

	if (attrs_get_ulong(a, CKA_KEY_TYPE, &kt) != 0)
		return CKR_TEMPLATE_INCOMPLETE;
	if (cls == CKO_PRIVATE_KEY) {
		if (!attrs_bool(a, CKA_SENSITIVE, 1))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if ((rv = keys_import_private(a, 1024)) != CKR_OK)
			return rv;
	} else {
		if ((v = attrs_get(a, CKA_VALUE, &n)) == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		if (!keys_secret_len_ok(kt, n) || attrs_has(a, CKA_VALUE_LEN))
			return CKR_TEMPLATE_INCONSISTENT;
		/* A DES3 key's parity bits are set (PKCS#11 2.20). */
		if (!keys_secret_value_ok(kt, v, n))
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (attrs_set_ulong(a, CKA_VALUE_LEN, n) != 0)
			return CKR_HOST_MEMORY;
	}
	if ((rv = usage_check(1, a)) != CKR_OK)
		return rv;
	return mark_imported(a);
}

CK_RV
C_CreateObject(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out_h)
{
	struct session *s;
	struct slot *sl;
	struct attrs *a = NULL;
	CK_OBJECT_CLASS cls;
	CK_ULONG ct;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
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
	case CKO_DATA: break;
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
		if ((rv = keys_complete_public(a)) != CKR_OK ||
		    (rv = usage_check(slot_general(sl), a)) != CKR_OK)
			goto out;
		break;
	case CKO_PRIVATE_KEY:
	case CKO_SECRET_KEY:
		/* A CA's keys are made on the token, never brought to it. */
		if (!slot_general(sl)) {
			rv = CKR_TEMPLATE_INCONSISTENT;
			goto out;
		}
		if ((rv = import_key(a, cls)) != CKR_OK)
			goto out;
		break;
	default: rv = CKR_ATTRIBUTE_VALUE_INVALID; goto out;
	}
	if ((rv = object_defaults(sl, a, cls)) != CKR_OK)
		goto out;
	rv = object_store(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	core_unlock();
	return rv;
}

/* Attributes a caller may change after creation, as the specification's
 * tables mark them modifiable: the names, and a key's uses (which
 * object_usage_check then holds to what the token can do). */
static int
settable(CK_ATTRIBUTE_TYPE t, CK_OBJECT_CLASS cls)
{
	int key = cls == CKO_PUBLIC_KEY || cls == CKO_PRIVATE_KEY ||
	    cls == CKO_SECRET_KEY;

	switch (t) {
	case CKA_LABEL:
	case CKA_ID:
	case CKA_START_DATE:
	case CKA_END_DATE:
	case CKA_SUBJECT:
	case CKA_APPLICATION: return 1;
	case CKA_VALUE: return cls == CKO_DATA;
	case CKA_DERIVE: return key;
	case CKA_ENCRYPT:
	case CKA_VERIFY:
	case CKA_VERIFY_RECOVER:
	case CKA_WRAP: return cls == CKO_PUBLIC_KEY || cls == CKO_SECRET_KEY;
	case CKA_DECRYPT:
	case CKA_SIGN:
	case CKA_SIGN_RECOVER:
	case CKA_UNWRAP: return cls == CKO_PRIVATE_KEY || cls == CKO_SECRET_KEY;
	}
	return 0;
}

/* Applies a C_SetAttributeValue or C_CopyObject template to a copy of
 * the attributes: only what settable() allows, CKA_TOKEN and CKA_PRIVATE
 * on a copy, and CKA_SENSITIVE / CKA_EXTRACTABLE only tightened. */
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
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (out_h == NULL || (tmpl == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = object_find(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	if (!attrs_bool(ref.a, CKA_COPYABLE, 1) || ref.challenge) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	if ((a = attrs_dup(ref.a)) == NULL) {
		rv = CKR_HOST_MEMORY;
		goto out;
	}
	if ((rv = apply_changes(a, tmpl, n, 1)) != CKR_OK ||
	    (rv = usage_check(slot_general(sl), a)) != CKR_OK)
		goto out;
	rv = object_store(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	core_unlock();
	return rv;
}

CK_RV
C_DestroyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	int r;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if ((rv = object_find(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	if (ref.challenge || !attrs_bool(ref.a, CKA_DESTROYABLE, 1)) {
		rv = CKR_ACTION_PROHIBITED;
		goto out;
	}
	if (ref.s != NULL) {
		sobj_destroy(ref.s);
		goto out;
	}
	if (!(s->flags & CKF_RW_SESSION)) {
		rv = CKR_SESSION_READ_ONLY;
		goto out;
	}
	if ((r = tok_begin(sl->tok)) != 0) {
		rv = core_from_err(r);
		goto out;
	}
	r = tok_del_object(sl->tok, (uint32_t)obj);
	tok_end(sl->tok);
	rv = r == KYSO_ERR_NOT_FOUND ? CKR_OBJECT_HANDLE_INVALID
				     : core_from_err(r);
out:
	core_unlock();
	return rv;
}

CK_RV
C_GetObjectSize(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj, CK_ULONG_PTR size)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (size == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = object_find(s, sl, obj, &ref)) != CKR_OK)
		goto out;
	*size = attrs_size(ref.a);
out:
	core_unlock();
	return rv;
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
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = object_find(s, sl, obj, &ref)) != CKR_OK)
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
out:
	core_unlock();
	return rv;
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
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (tmpl == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = object_find(s, sl, obj, &ref)) != CKR_OK)
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
	if ((rv = apply_changes(a, tmpl, n, 0)) != CKR_OK ||
	    (rv = usage_check(slot_general(sl), a)) != CKR_OK)
		goto out;
	if (ref.s != NULL) {
		attrs_free(ref.s->a);
		ref.s->a = a;
		a = NULL;
		goto out;
	}
	if ((r = tok_begin(sl->tok)) != 0) {
		rv = core_from_err(r);
		goto out;
	}
	r = tok_replace_object(sl->tok, (uint32_t)obj, a);
	a = NULL;
	tok_end(sl->tok);
	rv = r == KYSO_ERR_NOT_FOUND ? CKR_OBJECT_HANDLE_INVALID
				     : core_from_err(r);
out:
	attrs_free(a);
	core_unlock();
	return rv;
}

/* Adds a handle to the session's search result. */
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
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
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
	if (object_find(s, sl, CHALLENGE_HANDLE, &ref) == CKR_OK &&
	    match_readable(ref.a, tmpl, n) &&
	    push_handle(s, CHALLENGE_HANDLE, &alloc) != 0)
		goto out;
	for (i = 0; i < tok_nobjects(sl->tok); i++) {
		struct tobj *o = tok_object_at(sl->tok, i);

		if (tobj_private(o) &&
		    (!slot_user_in(sl) || tobj_attrs(o) == NULL))
			continue;
		if (match_readable(tobj_attrs(o), tmpl, n) &&
		    push_handle(s, tobj_id(o), &alloc) != 0)
			goto out;
	}
	for (i = 0; i < sobj_count(); i++) {
		struct sobj *o = sobj_at(i);

		if (o->slot != s->slot || (o->priv && !slot_user_in(sl)))
			continue;
		if (match_readable(o->a, tmpl, n) &&
		    push_handle(s, o->h, &alloc) != 0)
			goto out;
	}
	s->finding = 1;
	rv = CKR_OK;
out:
	core_unlock();
	return rv;
}

CK_RV
C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out_h, CK_ULONG max,
    CK_ULONG_PTR count)
{
	struct session *s;
	struct slot *sl;
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
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
out:
	core_unlock();
	return rv;
}

CK_RV
C_FindObjectsFinal(CK_SESSION_HANDLE h)
{
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (!s->finding) {
		rv = CKR_OPERATION_NOT_INITIALIZED;
		goto out;
	}
	s->finding = 0;
	free(s->found);
	s->found = NULL;
	s->nfound = s->foundpos = 0;
out:
	core_unlock();
	return rv;
}

/* A C_GenerateKeyPair template of one half: the class is cls, given or
 * not; vendor attributes are refused, and so is a private half asked to
 * be readable. */
CK_RV
object_pair_template(const struct slot *sl, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_CLASS cls, struct attrs **out)
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
	/* A private key never leaves the token in clear; a CA's, not even
	 * wrapped. */
	if (cls == CKO_PRIVATE_KEY &&
	    (!attrs_bool(a, CKA_SENSITIVE, 1) ||
		(attrs_bool(a, CKA_EXTRACTABLE, 0) && !slot_general(sl)))) {
		attrs_free(a);
		return CKR_ATTRIBUTE_VALUE_INVALID;
	}
	*out = a;
	return CKR_OK;
}

/* After keys_generate: what a key made on this token always is (sensitive,
 * never extractable, local), then each half's defaults. */
CK_RV
object_pair_finish(const struct slot *sl, CK_MECHANISM_TYPE m,
    struct attrs *pub, struct attrs *priv)
{
	int extractable = slot_general(sl) &&
	    attrs_bool(priv, CKA_EXTRACTABLE, 0);
	CK_RV rv;

	if (attrs_set_bool(priv, CKA_SENSITIVE, 1) != 0 ||
	    attrs_set_bool(priv, CKA_EXTRACTABLE, extractable) != 0 ||
	    attrs_set_bool(priv, CKA_ALWAYS_SENSITIVE, 1) != 0 ||
	    attrs_set_bool(priv, CKA_NEVER_EXTRACTABLE, !extractable) != 0 ||
	    attrs_set_bool(priv, CKA_LOCAL, 1) != 0 ||
	    attrs_set_bool(pub, CKA_LOCAL, 1) != 0 ||
	    attrs_set_ulong(priv, CKA_KEY_GEN_MECHANISM, m) != 0 ||
	    attrs_set_ulong(pub, CKA_KEY_GEN_MECHANISM, m) != 0)
		return CKR_HOST_MEMORY;
	if ((rv = object_defaults(sl, pub, CKO_PUBLIC_KEY)) != CKR_OK ||
	    (rv = object_defaults(sl, priv, CKO_PRIVATE_KEY)) != CKR_OK)
		return rv;
	return CKR_OK;
}

/* A C_DeriveKey template: a secret key (the class given or not) of a
 * type the token knows, without a value of its own; CKA_VALUE_LEN fits
 * the type. */
CK_RV
object_secret_template(CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_KEY_TYPE want,
    struct attrs **out)
{
	CK_OBJECT_CLASS c;
	CK_KEY_TYPE kt;
	CK_ULONG len;
	struct attrs *a = NULL;
	CK_RV rv;

	if ((rv = reject_vendor(t, n)) != CKR_OK)
		return rv;
	if (attrs_from_template(t, n, &a) != 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	rv = CKR_TEMPLATE_INCONSISTENT;
	if ((attrs_get_ulong(a, CKA_CLASS, &c) == 0 && c != CKO_SECRET_KEY) ||
	    attrs_has(a, CKA_VALUE))
		goto fail;
	rv = CKR_HOST_MEMORY;
	if (want != CK_UNAVAILABLE_INFORMATION && !attrs_has(a, CKA_KEY_TYPE) &&
	    attrs_set_ulong(a, CKA_KEY_TYPE, want) != 0)
		goto fail;
	rv = CKR_TEMPLATE_INCOMPLETE;
	if (attrs_get_ulong(a, CKA_KEY_TYPE, &kt) != 0)
		goto fail;
	rv = CKR_TEMPLATE_INCONSISTENT;
	if ((kt != CKK_GENERIC_SECRET && kt != CKK_AES && kt != CKK_DES3) ||
	    (want != CK_UNAVAILABLE_INFORMATION && kt != want))
		goto fail;
	if (attrs_get_ulong(a, CKA_VALUE_LEN, &len) == 0 &&
	    !keys_secret_len_ok(kt, len))
		goto fail;
	rv = CKR_HOST_MEMORY;
	if (attrs_set_ulong(a, CKA_CLASS, CKO_SECRET_KEY) != 0)
		goto fail;
	*out = a;
	return CKR_OK;
fail:
	attrs_free(a);
	return rv;
}

/* A generated secret key (base NULL) is local, made by m; a derived one
 * was made on the token but not generated there (not local), and was
 * always sensitive, never extractable, only if its base was too
 * (PKCS#11 4.10). */
CK_RV
object_secret_finish(const struct slot *sl, struct attrs *key,
    const struct attrs *base, CK_MECHANISM_TYPE m)
{
	int sens, extr;
	CK_RV rv;

	if ((rv = usage_check(slot_general(sl), key)) != CKR_OK ||
	    (rv = object_defaults(sl, key, CKO_SECRET_KEY)) != CKR_OK)
		return rv;
	sens = attrs_bool(key, CKA_SENSITIVE, 1);
	extr = attrs_bool(key, CKA_EXTRACTABLE, 0);
	if (attrs_set_bool(key, CKA_LOCAL, base == NULL) != 0 ||
	    attrs_set_ulong(key, CKA_KEY_GEN_MECHANISM,
		base == NULL ? m : CK_UNAVAILABLE_INFORMATION) != 0 ||
	    attrs_set_bool(key, CKA_ALWAYS_SENSITIVE,
		sens &&
		    (base == NULL || attrs_bool(base, CKA_ALWAYS_SENSITIVE, 0))) !=
		0 ||
	    attrs_set_bool(key, CKA_NEVER_EXTRACTABLE,
		!extr &&
		    (base == NULL ||
			attrs_bool(base, CKA_NEVER_EXTRACTABLE, 0))) != 0)
		return CKR_HOST_MEMORY;
	return CKR_OK;
}

/* C_UnwrapKey's private key on a general token: the template and the
 * PKCS#8 bytes as an imported key, always sensitive. */
CK_RV
object_unwrapped_private(const struct slot *sl, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    const uint8_t *der, size_t len, struct attrs **out)
{
	struct attrs *a = NULL;
	CK_RV rv;

	if ((rv = reject_vendor(t, n)) != CKR_OK)
		return rv;
	if (attrs_from_template(t, n, &a) != 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (!attrs_bool(a, CKA_SENSITIVE, 1)) {
		rv = CKR_ATTRIBUTE_VALUE_INVALID;
		goto fail;
	}
	if ((rv = keys_import_pkcs8(a, der, len, slot_min_rsa_bits(sl))) !=
		CKR_OK ||
	    (rv = usage_check(slot_general(sl), a)) != CKR_OK)
		goto fail;
	rv = CKR_HOST_MEMORY;
	if (attrs_set_ulong(a, CKA_CLASS, CKO_PRIVATE_KEY) != 0)
		goto fail;
	if ((rv = mark_imported(a)) != CKR_OK ||
	    (rv = object_defaults(sl, a, CKO_PRIVATE_KEY)) != CKR_OK)
		goto fail;
	*out = a;
	return CKR_OK;
fail:
	attrs_free(a);
	return rv;
}

/* C_Finalize. */
void
object_stop(void)
{
	attrs_free(challenge_cache);
	challenge_cache = NULL;
}
