/* The cryptographic operations: the mechanisms offered, sign / verify /
 * encrypt / decrypt / digest as one state machine per session with
 * PKCS#11's two-call output convention, key and key-pair generation,
 * wrapping, derivation and random bytes. The OpenSSL side is keys.c's
 * (sym.c's, derive.c's); which objects may be used is object.c's, and
 * the factory PIN rule (CKR_PIN_EXPIRED before a private key is used) is
 * checked here. Callers hold the module mutex. */
#include <string.h>

#include "../common/crypto.h"
#include "module_int.h"

CK_RV
C_GetMechanismList(CK_SLOT_ID id, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count)
{
	struct slot *sl;
	CK_ULONG n;
	CK_RV rv;

	if ((rv = core_enter()) != CKR_OK)
		return rv;
	if (count == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = slot_get_token(id, &sl)) != CKR_OK)
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
out:
	core_unlock();
	return rv;
}

CK_RV
C_GetMechanismInfo(CK_SLOT_ID id, CK_MECHANISM_TYPE type,
    CK_MECHANISM_INFO_PTR info)
{
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
	rv = keys_mechanism_info(type, info, slot_min_rsa_bits(sl));
out:
	core_unlock();
	return rv;
}

/* The parsed key of an object, parsed once and kept on the object (with
 * the signing context it last used, or a secret key's contexts: keys.c's
 * struct kkey). A kept secret key whose value is no longer the object's
 * is dropped with its contexts and loaded again. */
static struct kkey *
ref_key(struct objref *ref)
{
	struct kkey *k = NULL;

	if (ref->t != NULL)
		k = tobj_cache(ref->t);
	else if (ref->s != NULL)
		k = ref->s->key;
	if (k != NULL && kkey_current(k, ref->a))
		return k;
	if ((k = kkey_load(ref->a)) == NULL)
		return NULL;
	if (ref->t != NULL) {
		tobj_set_cache(ref->t, k, kkey_free);
	} else if (ref->s != NULL) {
		kkey_free(ref->s->key);
		ref->s->key = k;
	}
	return k;
}

/* C_SignInit, C_VerifyInit, C_EncryptInit, C_DecryptInit, C_DigestInit:
 * the key must be of the right class (a secret key does all four), allowed
 * for the use, and fit the mechanism. */
static CK_RV
op_init(CK_SESSION_HANDLE h, enum kop_kind kind, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE key)
{
	static const CK_ATTRIBUTE_TYPE use[] = { CKA_SIGN, CKA_VERIFY,
		CKA_DECRYPT, 0, CKA_ENCRYPT, CKA_DERIVE, CKA_WRAP, CKA_UNWRAP };
	struct session *s;
	struct slot *sl;
	struct objref ref;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	struct kkey *k = NULL;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (m == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	s->opprivate = 0;
	if (s->op != NULL) {
		rv = CKR_OPERATION_ACTIVE;
		goto out;
	}
	if (kind != KOP_DIGEST) {
		if (object_find(s, sl, key, &ref) != CKR_OK ||
		    attrs_get_ulong(ref.a, CKA_CLASS, &cls) != 0 ||
		    attrs_get_ulong(ref.a, CKA_KEY_TYPE, &kt) != 0) {
			rv = CKR_KEY_HANDLE_INVALID;
			goto out;
		}
		if (cls != CKO_SECRET_KEY &&
		    (kop_kind_public(kind) != (cls == CKO_PUBLIC_KEY) ||
			(cls != CKO_PUBLIC_KEY && cls != CKO_PRIVATE_KEY))) {
			rv = CKR_KEY_TYPE_INCONSISTENT;
			goto out;
		}
		if (!attrs_bool(ref.a, use[kind], 0)) {
			rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
			goto out;
		}
		if (cls != CKO_PUBLIC_KEY &&
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
		/* An operation with a private or secret key ends with the
		 * login. */
		s->opprivate = cls != CKO_PUBLIC_KEY;
	} else if ((rv = keys_check_mechanism(m->mechanism, 0, kind)) != CKR_OK) {
		goto out;
	}
	if ((rv = kop_new_key(kind, m, k, &s->op)) != CKR_OK) {
		s->op = NULL;
		goto out;
	}
	s->opkind = kind;
	s->opmode = OPMODE_FRESH;
out:
	core_unlock();
	return rv;
}

/* An operation ends with its result or its first error. */
static void
op_end(struct session *s)
{
	kop_free(s->op);
	s->op = NULL;
}

/* A C_*Final call: multi-part, and the end of the operation whatever it
 * answers (op_enter). */
#define OPMODE_FINAL 3

/* The opening of a call that continues an operation of this kind, fed
 * the way mode says: the module mutex taken and the session found, or an
 * error with the mutex released. A single-part call after an update, or
 * an update after a single-part call that kept the operation (a short
 * buffer), is CKR_OPERATION_ACTIVE and the operation goes on (PKCS#11
 * 5.2). A final call after such a single-part call is
 * CKR_OPERATION_ACTIVE too, but ends the operation: a C_*Final always
 * terminates it unless it returns CKR_BUFFER_TOO_SMALL or answers a
 * length query, and applications (pkcs11-tool --test-ec) call
 * C_SignInit again after it. */
static CK_RV
op_enter(CK_SESSION_HANDLE h, enum kop_kind kind, int mode, struct session **s,
    struct slot **slp)
{
	int want = mode == OPMODE_FINAL ? OPMODE_MULTI : mode;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, s, &sl)) != CKR_OK)
		return rv;
	if (slp != NULL)
		*slp = sl;
	if ((*s)->op == NULL || (*s)->opkind != kind) {
		core_unlock();
		return CKR_OPERATION_NOT_INITIALIZED;
	}
	if ((*s)->opmode != OPMODE_FRESH && (*s)->opmode != want) {
		if (mode == OPMODE_FINAL)
			op_end(*s);
		core_unlock();
		return CKR_OPERATION_ACTIVE;
	}
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

/* C_Sign, C_Decrypt, C_Digest: the data in one call. */
static CK_RV
op_single(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR in,
    CK_ULONG inlen, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	struct session *s;
	CK_RV rv;

	if ((rv = op_enter(h, kind, OPMODE_SINGLE, &s, NULL)) != CKR_OK)
		return rv;
	if ((in == NULL && inlen > 0) || outlen == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	/* A cipher's whole output fits: made straight into the caller's
	 * buffer, not into the operation's and copied. */
	if (out != NULL && kop_once_ok(s->op) &&
	    *outlen >= kop_single_len(s->op, inlen)) {
		size_t n = 0;

		if ((rv = kop_once(s->op, in, inlen, out, &n)) == CKR_OK)
			*outlen = n;
		op_end(s);
		goto out;
	}
	if (out != NULL && !kop_finished(s->op) &&
	    (rv = kop_update(s->op, in, inlen)) != CKR_OK) {
		op_end(s);
		goto out;
	}
	/* A length query (out NULL) leaves the operation fresh; its answer
	 * may depend on the input's length (a cipher). */
	if (out == NULL && !kop_finished(s->op)) {
		*outlen = kop_single_len(s->op, inlen);
		rv = CKR_OK;
		goto out;
	}
	s->opmode = OPMODE_SINGLE;
	rv = op_output(s, out, outlen);
out:
	core_unlock();
	return rv;
}

/* C_*Update: more data; an error ends the operation. */
static CK_RV
op_update(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR in, CK_ULONG inlen)
{
	struct session *s;
	CK_RV rv;

	if ((rv = op_enter(h, kind, OPMODE_MULTI, &s, NULL)) != CKR_OK)
		return rv;
	if (in == NULL && inlen > 0) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	s->opmode = OPMODE_MULTI;
	if ((rv = kop_update(s->op, in, inlen)) != CKR_OK)
		op_end(s);
out:
	core_unlock();
	return rv;
}

/* C_EncryptUpdate, C_DecryptUpdate: more data and what it gives now, by
 * the two-call convention (a length query or a short buffer consumes
 * nothing). RSA gives its output only at the end: 0 bytes here. */
static CK_RV
op_update_out(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR in,
    CK_ULONG inlen, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	struct session *s;
	size_t n = 0, want;
	CK_RV rv;

	if ((rv = op_enter(h, kind, OPMODE_MULTI, &s, NULL)) != CKR_OK)
		return rv;
	if ((in == NULL && inlen > 0) || outlen == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	if (!kop_streams(s->op)) {
		s->opmode = OPMODE_MULTI;
		if ((rv = kop_update(s->op, in, inlen)) != CKR_OK)
			op_end(s);
		else
			*outlen = 0;
		goto out;
	}
	want = kop_update_len(s->op, inlen);
	if (out == NULL || *outlen < want) {
		rv = out == NULL ? CKR_OK : CKR_BUFFER_TOO_SMALL;
		*outlen = want;
		goto out;
	}
	s->opmode = OPMODE_MULTI;
	if ((rv = kop_update_out(s->op, in, inlen, out, &n)) != CKR_OK) {
		op_end(s);
		goto out;
	}
	*outlen = n;
out:
	core_unlock();
	return rv;
}

/* C_*Final: the result, by the two-call convention. */
static CK_RV
op_final(CK_SESSION_HANDLE h, enum kop_kind kind, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	struct session *s;
	CK_RV rv;

	if ((rv = op_enter(h, kind, OPMODE_FINAL, &s, NULL)) != CKR_OK)
		return rv;
	if (outlen == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		op_end(s);
		goto out;
	}
	rv = op_output(s, out, outlen);
out:
	core_unlock();
	return rv;
}

/* C_Verify and C_VerifyFinal: the signature is checked and the
 * operation ends, whatever the answer. */
static CK_RV
op_verify(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG inlen, int update,
    CK_BYTE_PTR sig, CK_ULONG siglen)
{
	struct session *s;
	CK_RV rv;

	if ((rv = op_enter(h, KOP_VERIFY, update ? OPMODE_SINGLE : OPMODE_FINAL,
		 &s, NULL)) != CKR_OK)
		return rv;
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
out:
	core_unlock();
	return rv;
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
	return op_update_out(h, KOP_DECRYPT, d, n, out, outlen);
}

CK_RV
C_DecryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return op_final(h, KOP_DECRYPT, out, outlen);
}

CK_RV
C_EncryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE key)
{
	return op_init(h, KOP_ENCRYPT, m, key);
}

CK_RV
C_Encrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	return op_single(h, KOP_ENCRYPT, d, n, out, outlen);
}

CK_RV
C_EncryptUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG n, CK_BYTE_PTR out,
    CK_ULONG_PTR outlen)
{
	return op_update_out(h, KOP_ENCRYPT, d, n, out, outlen);
}

CK_RV
C_EncryptFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	return op_final(h, KOP_ENCRYPT, out, outlen);
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

/* C_DigestKey: a secret key's value goes into the digest (inside the
 * token, so a sensitive key's too); any other key is
 * CKR_KEY_INDIGESTIBLE. */
CK_RV
C_DigestKey(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE key)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	CK_OBJECT_CLASS cls;
	const uint8_t *v = NULL;
	size_t n = 0;
	CK_RV rv;

	if ((rv = op_enter(h, KOP_DIGEST, OPMODE_MULTI, &s, &sl)) != CKR_OK)
		return rv;
	if (object_find(s, sl, key, &ref) != CKR_OK) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	if (attrs_get_ulong(ref.a, CKA_CLASS, &cls) != 0 ||
	    cls != CKO_SECRET_KEY ||
	    (v = attrs_get(ref.a, CKA_VALUE, &n)) == NULL) {
		rv = CKR_KEY_INDIGESTIBLE;
		goto out;
	}
	s->opmode = OPMODE_MULTI;
	if ((rv = kop_update(s->op, v, n)) != CKR_OK)
		op_end(s);
out:
	core_unlock();
	return rv;
}

CK_RV
C_GenerateKeyPair(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m,
    CK_ATTRIBUTE_PTR pubt, CK_ULONG npub, CK_ATTRIBUTE_PTR privt,
    CK_ULONG npriv, CK_OBJECT_HANDLE_PTR pub_h, CK_OBJECT_HANDLE_PTR priv_h)
{
	struct session *s;
	struct slot *sl;
	struct attrs *pub = NULL, *priv = NULL;
	CK_OBJECT_HANDLE ph = 0, kh = 0;
	CK_KEY_TYPE kt;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (m == NULL || pub_h == NULL || priv_h == NULL ||
	    (pubt == NULL && npub > 0) || (privt == NULL && npriv > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	/* A CA's token makes keys only for its user; a general one also
	 * public session pairs without login (object_store still wants the
	 * login for private objects). */
	if (!slot_user_in(sl) && !slot_general(sl)) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (tok_info(sl->tok)->user_to_be_changed) {
		rv = CKR_PIN_EXPIRED;
		goto out;
	}
	if ((rv = object_pair_template(sl, pubt, npub, CKO_PUBLIC_KEY, &pub)) !=
		CKR_OK ||
	    (rv = object_pair_template(sl, privt, npriv, CKO_PRIVATE_KEY,
		 &priv)) != CKR_OK)
		goto out;
	kt = keys_mechanism_key_type(m->mechanism);
	if ((rv = object_usage_check(pub, CKO_PUBLIC_KEY, kt)) != CKR_OK ||
	    (rv = object_usage_check(priv, CKO_PRIVATE_KEY, kt)) != CKR_OK)
		goto out;
	if ((rv = keys_generate(m, pub, priv, slot_min_rsa_bits(sl))) != CKR_OK)
		goto out;
	if ((rv = object_pair_finish(sl, m->mechanism, pub, priv)) != CKR_OK)
		goto out;
	if (attrs_bool(priv, CKA_TOKEN, 0) || attrs_bool(pub, CKA_TOKEN, 0)) {
		if (!(s->flags & CKF_RW_SESSION)) {
			rv = CKR_SESSION_READ_ONLY;
			goto out;
		}
	}
	rv = object_store_pair(s, sl, priv, pub, &kh, &ph);
	priv = pub = NULL;
	if (rv != CKR_OK)
		goto out;
	*pub_h = ph;
	*priv_h = kh;
out:
	attrs_free(pub);
	attrs_free(priv);
	core_unlock();
	return rv;
}

/* C_DeriveKey: ECDH with a private EC key into a new secret key, whose
 * template object.c checks and completes. */
CK_RV
C_DeriveKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE base,
    CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR out_h)
{
	struct session *s;
	struct slot *sl;
	struct objref ref;
	struct attrs *a = NULL;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	struct kkey *k;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (m == NULL || out_h == NULL || (t == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (object_find(s, sl, base, &ref) != CKR_OK ||
	    attrs_get_ulong(ref.a, CKA_CLASS, &cls) != 0 ||
	    attrs_get_ulong(ref.a, CKA_KEY_TYPE, &kt) != 0) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	if (cls != CKO_PRIVATE_KEY) {
		rv = CKR_KEY_TYPE_INCONSISTENT;
		goto out;
	}
	if (!attrs_bool(ref.a, CKA_DERIVE, 0)) {
		rv = CKR_KEY_FUNCTION_NOT_PERMITTED;
		goto out;
	}
	if (tok_info(sl->tok)->user_to_be_changed) {
		rv = CKR_PIN_EXPIRED;
		goto out;
	}
	if ((rv = keys_check_mechanism(m->mechanism, kt, KOP_DERIVE)) != CKR_OK)
		goto out;
	if ((rv = object_secret_template(t, n, CK_UNAVAILABLE_INFORMATION, &a)) !=
	    CKR_OK)
		goto out;
	/* ECDH makes AES and generic secret keys, no DES3 (its parity). */
	if (attrs_get_ulong(a, CKA_KEY_TYPE, &kt) == 0 && kt == CKK_DES3) {
		rv = CKR_TEMPLATE_INCONSISTENT;
		goto out;
	}
	if ((k = ref_key(&ref)) == NULL) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	if ((rv = keys_derive(m, kkey_pkey(k), a)) != CKR_OK)
		goto out;
	if ((rv = object_secret_finish(sl, a, ref.a, m->mechanism)) != CKR_OK)
		goto out;
	rv = object_store(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	core_unlock();
	return rv;
}

/* The key that wraps or unwraps (kind KOP_WRAP / KOP_UNWRAP) with m,
 * allowed to and fit for m: a secret key (its value in *v), or an RSA
 * public key that wraps, a private one that unwraps (*pk). */
static CK_RV
wrapping_key(struct session *s, struct slot *sl, CK_MECHANISM_PTR m,
    CK_OBJECT_HANDLE h, enum kop_kind kind, struct objref *ref,
    const uint8_t **v, size_t *vn, EVP_PKEY **pk)
{
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE kt;
	CK_RV rv;

	*v = NULL;
	*pk = NULL;
	if (object_find(s, sl, h, ref) != CKR_OK ||
	    attrs_get_ulong(ref->a, CKA_CLASS, &cls) != 0 ||
	    attrs_get_ulong(ref->a, CKA_KEY_TYPE, &kt) != 0)
		return kind == KOP_WRAP ? CKR_WRAPPING_KEY_HANDLE_INVALID
					: CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (cls != CKO_SECRET_KEY &&
	    cls != (kind == KOP_WRAP ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY))
		return kind == KOP_WRAP ? CKR_WRAPPING_KEY_TYPE_INCONSISTENT
					: CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	if (!attrs_bool(ref->a, kind == KOP_WRAP ? CKA_WRAP : CKA_UNWRAP, 0))
		return CKR_KEY_FUNCTION_NOT_PERMITTED;
	if ((rv = keys_check_mechanism(m->mechanism, kt, kind)) != CKR_OK)
		return rv == CKR_KEY_TYPE_INCONSISTENT
		    ? (kind == KOP_WRAP ? CKR_WRAPPING_KEY_TYPE_INCONSISTENT
					: CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT)
		    : rv;
	if (cls == CKO_PRIVATE_KEY && tok_info(sl->tok)->user_to_be_changed)
		return CKR_PIN_EXPIRED;
	if (cls != CKO_SECRET_KEY) {
		struct kkey *k = ref_key(ref);

		return k != NULL && (*pk = kkey_pkey(k)) != NULL
		    ? CKR_OK
		    : CKR_KEY_HANDLE_INVALID;
	}
	if ((*v = attrs_get(ref->a, CKA_VALUE, vn)) == NULL)
		return CKR_KEY_HANDLE_INVALID;
	return CKR_OK;
}

/* One whole encryption or decryption with a secret key's bytes, or
 * (pk not NULL) with an RSA key. */
static CK_RV
cipher_once(enum kop_kind kind, CK_MECHANISM_PTR m, const uint8_t *key,
    size_t keylen, EVP_PKEY *pk, const uint8_t *in, size_t n, struct kop **done)
{
	struct kop *k = NULL;
	CK_RV rv;

	rv = pk != NULL ? kop_new(kind, m, pk, &k)
			: kop_new_secret(kind, m, key, keylen, &k);
	if (rv != CKR_OK)
		return rv;
	if ((rv = kop_update(k, in, n)) != CKR_OK ||
	    (rv = kop_finish(k)) != CKR_OK) {
		kop_free(k);
		return rv;
	}
	*done = k;
	return CKR_OK;
}

/* C_WrapKey: an extractable secret key's value, or a general token's
 * extractable private key as PKCS#8, encrypted with an AES key (key
 * wrap, key wrap with padding, CBC_PAD); or a secret key's value
 * encrypted with an RSA public key (PKCS#1 v1.5, OAEP); by the two-call
 * convention. */
CK_RV
C_WrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE wk,
    CK_OBJECT_HANDLE key, CK_BYTE_PTR out, CK_ULONG_PTR outlen)
{
	struct session *s;
	struct slot *sl;
	struct objref wref, kref;
	const uint8_t *kv, *v = NULL;
	uint8_t *der = NULL;
	size_t kn, n = 0;
	struct kop *k = NULL;
	EVP_PKEY *pk;
	CK_OBJECT_CLASS cls;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (m == NULL || outlen == NULL) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = wrapping_key(s, sl, m, wk, KOP_WRAP, &wref, &kv, &kn, &pk)) !=
	    CKR_OK)
		goto out;
	if (object_find(s, sl, key, &kref) != CKR_OK ||
	    attrs_get_ulong(kref.a, CKA_CLASS, &cls) != 0) {
		rv = CKR_KEY_HANDLE_INVALID;
		goto out;
	}
	if (!attrs_bool(kref.a, CKA_EXTRACTABLE, 0)) {
		rv = CKR_KEY_UNEXTRACTABLE;
		goto out;
	}
	if (attrs_bool(kref.a, CKA_WRAP_WITH_TRUSTED, 0) &&
	    !attrs_bool(wref.a, CKA_TRUSTED, 0)) {
		rv = CKR_KEY_NOT_WRAPPABLE;
		goto out;
	}
	if (cls == CKO_SECRET_KEY) {
		v = attrs_get(kref.a, CKA_VALUE, &n);
	} else if (cls == CKO_PRIVATE_KEY && slot_general(sl) && pk == NULL) {
		if ((rv = keys_private_pkcs8(kref.a, &der, &n)) != CKR_OK)
			goto out;
		v = der;
	}
	if (v == NULL) {
		rv = CKR_KEY_NOT_WRAPPABLE;
		goto out;
	}
	if ((rv = cipher_once(KOP_ENCRYPT, m, kv, kn, pk, v, n, &k)) != CKR_OK) {
		rv = rv == CKR_DATA_LEN_RANGE ? CKR_KEY_SIZE_RANGE : rv;
		goto out;
	}
	n = kop_out_len(k);
	if (out != NULL && *outlen < n)
		rv = CKR_BUFFER_TOO_SMALL;
	else if (out != NULL)
		memcpy(out, kop_result(k), n);
	*outlen = n;
out:
	if (der != NULL)
		keys_free_der(der, n);
	kop_free(k);
	core_unlock();
	return rv;
}

/* C_UnwrapKey: a secret key (its value), or on a general token a
 * private key (PKCS#8), decrypted with an AES key (a secret key's with
 * an RSA private key too) into a new object that was neither made on
 * the token nor always sensitive. */
CK_RV
C_UnwrapKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE uk,
    CK_BYTE_PTR w, CK_ULONG wn, CK_ATTRIBUTE_PTR t, CK_ULONG n,
    CK_OBJECT_HANDLE_PTR out_h)
{
	struct session *s;
	struct slot *sl;
	struct objref uref;
	struct attrs *a = NULL, *none = NULL;
	const uint8_t *kv;
	size_t kn, len;
	struct kop *k = NULL;
	EVP_PKEY *pk;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ULONG vl;
	CK_ATTRIBUTE *ct;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (m == NULL || w == NULL || out_h == NULL || (t == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if ((rv = wrapping_key(s, sl, m, uk, KOP_UNWRAP, &uref, &kv, &kn, &pk)) !=
	    CKR_OK)
		goto out;
	for (ct = t; ct != NULL && ct < t + n; ct++)
		if (ct->type == CKA_CLASS && ct->pValue != NULL &&
		    ct->ulValueLen == sizeof(cls))
			memcpy(&cls, ct->pValue, sizeof(cls));
	if (cls != CKO_SECRET_KEY &&
	    (cls != CKO_PRIVATE_KEY || !slot_general(sl) || pk != NULL)) {
		rv = CKR_TEMPLATE_INCONSISTENT;
		goto out;
	}
	if ((rv = cipher_once(KOP_DECRYPT, m, kv, kn, pk, w, wn, &k)) != CKR_OK) {
		rv = rv == CKR_ENCRYPTED_DATA_INVALID ? CKR_WRAPPED_KEY_INVALID
		    : rv == CKR_ENCRYPTED_DATA_LEN_RANGE
		    ? CKR_WRAPPED_KEY_LEN_RANGE
		    : rv;
		goto out;
	}
	len = kop_out_len(k);
	if (cls == CKO_SECRET_KEY) {
		if ((rv = object_secret_template(t, n,
			 CK_UNAVAILABLE_INFORMATION, &a)) != CKR_OK)
			goto out;
		rv = CKR_TEMPLATE_INCONSISTENT;
		if ((attrs_get_ulong(a, CKA_VALUE_LEN, &vl) == 0 && vl != len) ||
		    len == 0 || len > 64)
			goto out;
		if (attrs_get_ulong(a, CKA_KEY_TYPE, &vl) == 0 &&
		    !keys_secret_len_ok(vl, len))
			goto out;
		/* A DES3 key whose parity is wrong was not one. */
		rv = CKR_WRAPPED_KEY_INVALID;
		if (attrs_get_ulong(a, CKA_KEY_TYPE, &vl) == 0 &&
		    !keys_secret_value_ok(vl, kop_result(k), len))
			goto out;
		rv = CKR_HOST_MEMORY;
		if (attrs_set(a, CKA_VALUE, kop_result(k), len) != 0 ||
		    attrs_set_ulong(a, CKA_VALUE_LEN, len) != 0 ||
		    (none = attrs_new()) == NULL)
			goto out;
		if ((rv = object_secret_finish(sl, a, none, m->mechanism)) !=
		    CKR_OK)
			goto out;
	} else if ((rv = object_unwrapped_private(sl, t, n, kop_result(k), len,
			&a)) != CKR_OK) {
		goto out;
	}
	rv = object_store(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	attrs_free(none);
	kop_free(k);
	core_unlock();
	return rv;
}

/* C_GenerateKey: an AES, DES3 or generic secret key, made on the
 * token. A CA's token makes keys only for its user. */
CK_RV
C_GenerateKey(CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t,
    CK_ULONG n, CK_OBJECT_HANDLE_PTR out_h)
{
	struct session *s;
	struct slot *sl;
	struct attrs *a = NULL;
	CK_KEY_TYPE kt;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (m == NULL || out_h == NULL || (t == NULL && n > 0)) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (m->mechanism != CKM_AES_KEY_GEN &&
	    m->mechanism != CKM_GENERIC_SECRET_KEY_GEN &&
	    m->mechanism != CKM_DES3_KEY_GEN) {
		rv = CKR_MECHANISM_INVALID;
		goto out;
	}
	if (!slot_user_in(sl) && !slot_general(sl)) {
		rv = CKR_USER_NOT_LOGGED_IN;
		goto out;
	}
	if (tok_info(sl->tok)->user_to_be_changed) {
		rv = CKR_PIN_EXPIRED;
		goto out;
	}
	kt = m->mechanism == CKM_AES_KEY_GEN   ? CKK_AES
	    : m->mechanism == CKM_DES3_KEY_GEN ? CKK_DES3
					       : CKK_GENERIC_SECRET;
	if ((rv = object_secret_template(t, n, kt, &a)) != CKR_OK ||
	    (rv = keys_generate_secret(m, a)) != CKR_OK ||
	    (rv = object_secret_finish(sl, a, NULL, m->mechanism)) != CKR_OK)
		goto out;
	rv = object_store(s, sl, a, out_h);
	a = NULL;
out:
	attrs_free(a);
	core_unlock();
	return rv;
}

CK_RV
C_GenerateRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR out, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	if (out == NULL && n > 0) {
		rv = CKR_ARGUMENTS_BAD;
		goto out;
	}
	if (n > 0 && crypto_random(out, n) != 0)
		rv = CKR_DEVICE_ERROR;
out:
	core_unlock();
	return rv;
}

CK_RV
C_SeedRandom(CK_SESSION_HANDLE h, CK_BYTE_PTR seed, CK_ULONG n)
{
	struct session *s;
	struct slot *sl;
	CK_RV rv;

	(void)seed;
	(void)n;
	if ((rv = session_enter(h, &s, &sl)) != CKR_OK)
		return rv;
	/* The token's generator seeds itself. */
	rv = CKR_RANDOM_SEED_NOT_SUPPORTED;
	core_unlock();
	return rv;
}
