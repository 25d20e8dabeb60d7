/* p11_spec: the return values the PKCS#11 specification requires of our
 * module, each one a bug once (issue 10), for the shell tests in
 * tests/token/.
 *
 *   p11_spec spec MODULE LABEL PIN
 *     C_Initialize with some but not all mutex callbacks is
 *     CKR_ARGUMENTS_BAD; C_Login with no PIN is CKR_ARGUMENTS_BAD and a
 *     PIN outside the token's length range CKR_PIN_LEN_RANGE, neither
 *     spending a try; an RSA public exponent with leading zero bytes is
 *     accepted; C_Digest / C_Sign / C_Verify after an ...Update, and an
 *     ...Update after a C_Sign kept by a short buffer, are
 *     CKR_OPERATION_ACTIVE and the operation goes on; the attributes
 *     the specification marks modifiable change (CKA_SIGN, CKA_DECRYPT,
 *     ...), within what the token can do with the key, and never make a
 *     sensitive key readable; a key allowed a use the token cannot
 *     perform with it is CKR_TEMPLATE_INCONSISTENT; what it can perform
 *     is checked against OpenSSL: RSA encryption with a public key
 *     (PKCS#1 v1.5, OAEP with a label, raw) and ECDH (CKD_NULL and the
 *     SHA-1/224/256/384/512 X9.63 KDFs). PKCS#11 3.0 interfaces:
 *     C_GetInterfaceList offers "PKCS 11" 3.0 and 2.40, C_GetInterface
 *     finds each (3.0 by
 *     default), C_GetInfo says the version of the list called through;
 *     the 3.0 list's C_SessionCancel ends an operation, C_LoginUser logs
 *     in without a user name (CKR_FUNCTION_NOT_SUPPORTED with one), the
 *     message-based functions are CKR_FUNCTION_NOT_SUPPORTED.
 *     C_SeedRandom is CKR_RANDOM_SEED_NOT_SUPPORTED (a decision:
 *     docs/token.md).
 *   p11_spec fork MODULE LABEL PIN GOFILE
 *     logs in, signs, then forks. The child finds the module not
 *     initialized (its parent's session unknown), C_Initialize works,
 *     it starts logged out with none of the parent's session objects,
 *     logs in and signs itself; the parent signs on meanwhile. Both
 *     print a ready line and wait for GOFILE (the token has been
 *     unplugged meanwhile): the child sees the removal first, in its
 *     own slot events, and exits; then the parent sees it too (its
 *     session is gone, C_WaitForSlotEvent reports the slot), the child
 *     having eaten none of its events.
 *   p11_spec profile MODULE LABEL PIN ca|general TOKENFILE
 *     the rules of the token's profile. ca: no private or secret key
 *     is imported, none generated extractable, no RSA-1024, no keys
 *     without login, private keys do not copy. general: an OpenSSL
 *     P-256 and RSA-2048 private key are imported (C_CreateObject),
 *     sign on the token as OpenSSL verifies, never show their values
 *     and are not in the token file in clear; keys generate extractable
 *     when asked, copy, come as RSA-1024, and a public session pair is
 *     made without login; an extractable private key wraps (PKCS#8,
 *     AES key wrap with padding, AES-CBC-PAD) as OpenSSL unwraps it, and
 *     a key OpenSSL wrapped unwraps and signs. CK_TOKEN_INFO's model says the
 * profile. p11_spec symmetric MODULE LABEL PIN secret keys: C_GenerateKey (AES,
 * generic secret); AES ECB, CBC, CBC_PAD, CTR and GCM single- and multi-part
 * give what OpenSSL gives and decrypt back (a forged GCM tag is
 * CKR_ENCRYPTED_DATA_INVALID); SHA-1/2 HMAC (and _GENERAL) and AES-CMAC equal
 * OpenSSL's and verify; the mechanisms are listed with their sizes and flags;
 *     C_WrapKey / C_UnwrapKey with AES key wrap (RFC 3394, RFC 5649) and
 *     CBC_PAD equal OpenSSL's and round-trip; an unextractable key does
 *     not wrap, a forged wrapping does not unwrap; C_DigestKey digests a
 *     secret key's value.
 *   p11_spec signatures MODULE LABEL PIN
 *     the signature mechanisms beyond SHA-256/384/512: SHA-1 and SHA-224
 *     RSA PKCS#1 v1.5, SHA-1/224/384/512 RSA-PSS, raw RSA (CKM_RSA_X_509),
 *     ECDSA with SHA-1/224/512, each verified by OpenSSL and by the token;
 *     the SHA-224 and SHA-3 digests equal OpenSSL's; Ed25519 and Ed448
 *     pairs (PKCS#11 3.0, curve by OID or by name) sign a long message,
 *     single- and multi-part, as OpenSSL verifies.
 *
 * Prints "FAIL: ..." for each failed check, "<command>: ok" at the end
 * when none failed, and exits 1 if any failed. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "p11/p11.h"
#include "p11_check.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	0x01, 0x07 };

static CK_FLAGS
token_flags(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	if (f->C_GetTokenInfo(slot, &ti) != CKR_OK)
		return (CK_FLAGS)-1;
	return ti.flags;
}

static CK_RV
fake_create(CK_VOID_PTR_PTR m)
{
	*m = NULL;
	return CKR_OK;
}

static CK_RV
fake_mutex(CK_VOID_PTR m)
{
	(void)m;
	return CKR_OK;
}

/* PKCS#11 5.4: the mutex callbacks come all four or none. */
static void
check_initialize(void)
{
	CK_C_INITIALIZE_ARGS a;

	RV_IS(f->C_Finalize(NULL), CKR_OK);
	memset(&a, 0, sizeof(a));
	a.CreateMutex = fake_create;
	RV_IS(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	a.CreateMutex = NULL;
	a.LockMutex = fake_mutex;
	a.UnlockMutex = fake_mutex;
	a.flags = CKF_OS_LOCKING_OK;
	RV_IS(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	RV_IS(f->C_Initialize(&a), CKR_OK);
}

/* No PIN, or one the token could never hold, is not a try. */
static void
check_login(CK_SLOT_ID slot, const char *pin)
{
	CK_SESSION_HANDLE s = 0;
	CK_TOKEN_INFO ti;
	char longpin[256];
	CK_FLAGS fl;

	RV_IS(f->C_GetTokenInfo(slot, &ti), CKR_OK);
	EXPECT(ti.ulMinPinLen > 3 && ti.ulMaxPinLen < sizeof(longpin) - 1,
	    "PIN lengths %lu..%lu", ti.ulMinPinLen, ti.ulMaxPinLen);
	/* One longer than the token's longest. */
	memset(longpin, '1', sizeof(longpin));
	longpin[ti.ulMaxPinLen + 1 < sizeof(longpin) ? ti.ulMaxPinLen + 1
						     : sizeof(longpin) - 1] = '\0';
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	EXPECT((token_flags(slot) & CKF_USER_PIN_COUNT_LOW) == 0,
	    "a try was spent before the test");
	RV_IS(f->C_Login(s, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
	RV_IS(f->C_Login(s, CKU_USER, NULL, 8), CKR_ARGUMENTS_BAD);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "123", 3),
	    CKR_PIN_LEN_RANGE);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "", 0),
	    CKR_PIN_LEN_RANGE);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)longpin,
		  (CK_ULONG)strlen(longpin)),
	    CKR_PIN_LEN_RANGE);
	RV_IS(f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR) "12", 2),
	    CKR_PIN_LEN_RANGE);
	fl = token_flags(slot);
	EXPECT((fl & (CKF_USER_PIN_COUNT_LOW | CKF_SO_PIN_COUNT_LOW)) == 0,
	    "a PIN of a wrong length or no PIN spent a try (flags 0x%lx)", fl);
	/* A wrong PIN of a good length is a try: the check can fail. */
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "00000000", 8),
	    CKR_PIN_INCORRECT);
	EXPECT((token_flags(slot) & CKF_USER_PIN_COUNT_LOW) != 0,
	    "a wrong PIN was not counted");
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	EXPECT((token_flags(slot) & CKF_USER_PIN_COUNT_LOW) == 0,
	    "a good PIN did not reset the count");
	RV_IS(f->C_CloseSession(s), CKR_OK);
}

/* A session RSA pair with exponent e (elen bytes). */
static CK_RV
gen_rsa(CK_SESSION_HANDLE s, const CK_BYTE *e, CK_ULONG elen,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_ULONG bits = 2048;
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e, elen },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
	};

	return f->C_GenerateKeyPair(s, &m, pubt, 4, privt, 2, pub, priv);
}

/* A session P-256 pair. */
static CK_RV
gen_ec(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
	};

	return f->C_GenerateKeyPair(s, &m, pubt, 3, privt, 2, pub, priv);
}

/* Any big-endian encoding of 65537 is 65537. */
static void
check_exponent(CK_SESSION_HANDLE s)
{
	static const CK_BYTE e0[] = { 0x00, 0x01, 0x00, 0x01 };
	static const CK_BYTE e00[] = { 0x00, 0x00, 0x00, 0x01, 0x00, 0x01 };
	static const CK_BYTE e3[] = { 0x00, 0x03 };
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_BYTE e[8];
	CK_ATTRIBUTE a = { CKA_PUBLIC_EXPONENT, e, sizeof(e) };

	RV_IS(gen_rsa(s, e0, sizeof(e0), &pub, &priv), CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, pub, &a, 1), CKR_OK);
	EXPECT(a.ulValueLen == 3 && memcmp(e, "\x01\x00\x01", 3) == 0,
	    "the exponent reads back as %lu bytes", a.ulValueLen);
	RV_IS(gen_rsa(s, e00, sizeof(e00), &pub, &priv), CKR_OK);
	/* Still only F4. */
	RV_IS(gen_rsa(s, e3, sizeof(e3), &pub, &priv),
	    CKR_ATTRIBUTE_VALUE_INVALID);
}

/* Single-part and multi-part calls do not mix (PKCS#11 5.2). */
static void
check_operation_active(CK_SESSION_HANDLE s)
{
	static const CK_BYTE abc_sha256[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f,
		0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22,
		0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4,
		0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	CK_MECHANISM m_sha = { CKM_SHA256, NULL, 0 };
	CK_MECHANISM m_ec = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_BYTE out[256], sig[64];
	CK_ULONG n;

	RV_IS(f->C_DigestInit(s, &m_sha), CKR_OK);
	RV_IS(f->C_DigestUpdate(s, (CK_BYTE_PTR) "ab", 2), CKR_OK);
	n = sizeof(out);
	RV_IS(f->C_Digest(s, (CK_BYTE_PTR) "c", 1, out, &n),
	    CKR_OPERATION_ACTIVE);
	n = 0;
	RV_IS(f->C_Digest(s, (CK_BYTE_PTR) "c", 1, NULL, &n),
	    CKR_OPERATION_ACTIVE);
	/* The operation went on: the digest is of "abc". */
	RV_IS(f->C_DigestUpdate(s, (CK_BYTE_PTR) "c", 1), CKR_OK);
	n = sizeof(out);
	RV_IS(f->C_DigestFinal(s, out, &n), CKR_OK);
	EXPECT(n == 32 && memcmp(out, abc_sha256, 32) == 0,
	    "the digest after CKR_OPERATION_ACTIVE is wrong");

	RV_IS(gen_ec(s, &pub, &priv), CKR_OK);
	RV_IS(f->C_SignInit(s, &m_ec, priv), CKR_OK);
	RV_IS(f->C_SignUpdate(s, (CK_BYTE_PTR) "ab", 2), CKR_OK);
	n = sizeof(sig);
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR) "c", 1, sig, &n), CKR_OPERATION_ACTIVE);
	RV_IS(f->C_SignUpdate(s, (CK_BYTE_PTR) "c", 1), CKR_OK);
	n = sizeof(sig);
	RV_IS(f->C_SignFinal(s, sig, &n), CKR_OK);
	RV_IS(f->C_VerifyInit(s, &m_ec, pub), CKR_OK);
	RV_IS(f->C_Verify(s, (CK_BYTE_PTR) "abc", 3, sig, n), CKR_OK);

	/* A short buffer keeps a single-part operation: an update then is
	 * not allowed, the single-part call still is. */
	RV_IS(f->C_SignInit(s, &m_ec, priv), CKR_OK);
	n = 10;
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR) "abc", 3, sig, &n),
	    CKR_BUFFER_TOO_SMALL);
	EXPECT(n == 64, "the length after a short buffer is %lu", n);
	RV_IS(f->C_SignUpdate(s, (CK_BYTE_PTR) "x", 1), CKR_OPERATION_ACTIVE);
	n = sizeof(sig);
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR) "abc", 3, sig, &n), CKR_OK);
	/* A final call there is refused and ends the operation (C_SignFinal
	 * always terminates it but for a short buffer or a length query):
	 * pkcs11-tool --test-ec signs again after it. */
	RV_IS(f->C_SignInit(s, &m_ec, priv), CKR_OK);
	n = 10;
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR) "abc", 3, sig, &n),
	    CKR_BUFFER_TOO_SMALL);
	n = sizeof(sig);
	RV_IS(f->C_SignFinal(s, sig, &n), CKR_OPERATION_ACTIVE);
	RV_IS(f->C_SignInit(s, &m_ec, priv), CKR_OK);
	n = sizeof(sig);
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR) "abc", 3, sig, &n), CKR_OK);
	RV_IS(f->C_VerifyInit(s, &m_ec, pub), CKR_OK);
	RV_IS(f->C_VerifyUpdate(s, (CK_BYTE_PTR) "ab", 2), CKR_OK);
	RV_IS(f->C_Verify(s, (CK_BYTE_PTR) "abc", 3, sig, n),
	    CKR_OPERATION_ACTIVE);
	RV_IS(f->C_VerifyUpdate(s, (CK_BYTE_PTR) "c", 1), CKR_OK);
	RV_IS(f->C_VerifyFinal(s, sig, n), CKR_OK);
}

static CK_BBOOL
bool_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL v = 2;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK)
		return 2;
	return v;
}

static CK_RV
set_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, CK_BBOOL v)
{
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	return f->C_SetAttributeValue(s, o, &a, 1);
}

/* What the specification marks modifiable changes while CKA_MODIFIABLE
 * is true; a sensitive key stays sensitive. */
static void
check_modifiable(CK_SESSION_HANDLE s)
{
	static const CK_BYTE e[] = { 0x01, 0x00, 0x01 };
	CK_OBJECT_HANDLE pub = 0, priv = 0, rpub = 0, rpriv = 0;
	CK_ATTRIBUTE names[] = {
		{ CKA_LABEL, "renamed", 7 },
		{ CKA_ID, "\x42", 1 },
	};

	RV_IS(gen_ec(s, &pub, &priv), CKR_OK);
	RV_IS(set_bool(s, priv, CKA_SIGN, CK_FALSE), CKR_OK);
	EXPECT(bool_of(s, priv, CKA_SIGN) == CK_FALSE, "CKA_SIGN not changed");
	RV_IS(set_bool(s, priv, CKA_SIGN, CK_TRUE), CKR_OK);
	RV_IS(set_bool(s, priv, CKA_DERIVE, CK_TRUE), CKR_OK);
	EXPECT(bool_of(s, priv, CKA_DERIVE) == CK_TRUE, "CKA_DERIVE not set");
	RV_IS(set_bool(s, pub, CKA_VERIFY, CK_FALSE), CKR_OK);
	RV_IS(f->C_SetAttributeValue(s, priv, names, 2), CKR_OK);
	/* What an EC key cannot do. */
	RV_IS(set_bool(s, priv, CKA_DECRYPT, CK_TRUE), CKR_TEMPLATE_INCONSISTENT);
	RV_IS(set_bool(s, pub, CKA_ENCRYPT, CK_TRUE), CKR_TEMPLATE_INCONSISTENT);
	EXPECT(bool_of(s, priv, CKA_DECRYPT) == CK_FALSE, "CKA_DECRYPT set");
	/* Sensitivity only tightens. */
	RV_IS(set_bool(s, priv, CKA_SENSITIVE, CK_FALSE),
	    CKR_ATTRIBUTE_READ_ONLY);
	RV_IS(set_bool(s, priv, CKA_EXTRACTABLE, CK_TRUE),
	    CKR_ATTRIBUTE_READ_ONLY);
	RV_IS(set_bool(s, priv, CKA_EXTRACTABLE, CK_FALSE), CKR_OK);
	EXPECT(bool_of(s, priv, CKA_SENSITIVE) == CK_TRUE, "not sensitive");

	RV_IS(gen_rsa(s, e, sizeof(e), &rpub, &rpriv), CKR_OK);
	RV_IS(set_bool(s, rpriv, CKA_DECRYPT, CK_TRUE), CKR_OK);
	RV_IS(set_bool(s, rpub, CKA_ENCRYPT, CK_TRUE), CKR_OK);
	EXPECT(bool_of(s, rpriv, CKA_DECRYPT) == CK_TRUE, "CKA_DECRYPT unset");
	RV_IS(set_bool(s, rpub, CKA_WRAP, CK_TRUE), CKR_OK);
	RV_IS(set_bool(s, rpub, CKA_DERIVE, CK_TRUE), CKR_TEMPLATE_INCONSISTENT);
	RV_IS(set_bool(s, rpriv, CKA_DERIVE, CK_TRUE), CKR_TEMPLATE_INCONSISTENT);
}

/* Templates asking a use the token cannot perform with the key. */
static void
check_usage(CK_SESSION_HANDLE s)
{
	static const CK_BYTE e[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM m_ec = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_rsa = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_ULONG bits = 2048;
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_ATTRIBUTE ecpub[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE ecpriv[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE rsapub[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e, sizeof(e) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE rsapriv[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_DERIVE, &yes, sizeof(yes) },
	};

	RV_IS(f->C_GenerateKeyPair(s, &m_ec, ecpub, 4, ecpriv, 2, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, ecpub, 3, ecpriv, 3, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	/* Signing and ECDH, as pkcs11-tool asks of both halves. */
	ecpub[3].type = CKA_DERIVE;
	ecpriv[2].type = CKA_DERIVE;
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, ecpub, 4, ecpriv, 3, &pub, &priv),
	    CKR_OK);
	RV_IS(f->C_GenerateKeyPair(s, &m_rsa, rsapub, 4, rsapriv, 3, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	RV_IS(f->C_GenerateKeyPair(s, &m_rsa, rsapub, 4, rsapriv, 2, &pub, &priv),
	    CKR_OK);
}

/* An RSA public key made with OpenSSL, imported with CKA_ENCRYPT. */
static CK_OBJECT_HANDLE
import_rsa(CK_SESSION_HANDLE s, EVP_PKEY *k)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	BIGNUM *n = NULL, *e = NULL;
	CK_BYTE nb[512], eb[8];
	CK_OBJECT_HANDLE h = 0;
	int nl, el;
	CK_RV rv;

	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1 ||
	    (nl = BN_bn2bin(n, nb)) <= 0 || (el = BN_bn2bin(e, eb)) <= 0) {
		EXPECT(0, "OpenSSL RSA key parts");
	} else {
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &no, sizeof(no) },
			{ CKA_ENCRYPT, &yes, sizeof(yes) },
			{ CKA_MODULUS, nb, (CK_ULONG)nl },
			{ CKA_PUBLIC_EXPONENT, eb, (CK_ULONG)el },
		};

		rv = f->C_CreateObject(s, t, 6, &h);
		EXPECT(rv == CKR_OK, "importing an RSA public key: %s",
		    p11_rv_name(rv));
	}
	BN_free(n);
	BN_free(e);
	return h;
}

/* Encrypts in on the token with mechanism m (multi-part when parts),
 * decrypts with OpenSSL and compares. */
static void
encrypt_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, EVP_PKEY *k,
    CK_MECHANISM *m, int padding, const char *label, int parts)
{
	const CK_BYTE in[] = "the token encrypts, OpenSSL decrypts";
	CK_BYTE ct[512], pt[512], raw[256];
	CK_ULONG n = 0, n2;
	size_t ptn = sizeof(pt);
	EVP_PKEY_CTX *c = NULL;
	const CK_BYTE *data = in;
	CK_ULONG dlen = sizeof(in);

	if (padding == RSA_NO_PADDING) {
		/* A number below the modulus, shorter than it. */
		memset(raw, 0x5a, sizeof(raw));
		raw[0] = 0x00;
		data = raw + 1;
		dlen = sizeof(raw) - 1;
	}
	RV_IS(f->C_EncryptInit(s, m, h), CKR_OK);
	if (parts) {
		n2 = sizeof(ct);
		RV_IS(f->C_EncryptUpdate(s, (CK_BYTE_PTR)data, 5, ct, &n2),
		    CKR_OK);
		n2 = sizeof(ct);
		RV_IS(f->C_EncryptUpdate(s, (CK_BYTE_PTR)data + 5, dlen - 5, ct,
			  &n2),
		    CKR_OK);
		n = sizeof(ct);
		RV_IS(f->C_EncryptFinal(s, ct, &n), CKR_OK);
	} else {
		RV_IS(f->C_Encrypt(s, (CK_BYTE_PTR)data, dlen, NULL, &n), CKR_OK);
		EXPECT(n == 256, "the length query gave %lu", n);
		RV_IS(f->C_Encrypt(s, (CK_BYTE_PTR)data, dlen, ct, &n), CKR_OK);
	}
	if ((c = EVP_PKEY_CTX_new(k, NULL)) == NULL ||
	    EVP_PKEY_decrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, padding) != 1 ||
	    (padding == RSA_PKCS1_OAEP_PADDING &&
		(EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) != 1 ||
		    EVP_PKEY_CTX_set0_rsa_oaep_label(c, OPENSSL_strdup(label),
			(int)strlen(label)) != 1)) ||
	    EVP_PKEY_decrypt(c, pt, &ptn, ct, n) != 1) {
		EXPECT(0,
		    "OpenSSL cannot decrypt what the token encrypted "
		    "(mechanism 0x%lx)",
		    m->mechanism);
	} else if (padding == RSA_NO_PADDING) {
		EXPECT(ptn == 256 && memcmp(pt, raw, 256) == 0,
		    "raw RSA: OpenSSL decrypted something else");
	} else {
		EXPECT(ptn == dlen && memcmp(pt, data, dlen) == 0,
		    "mechanism 0x%lx: OpenSSL decrypted something else",
		    m->mechanism);
	}
	EVP_PKEY_CTX_free(c);
}

/* RSA public-key encryption on the token, decrypted by OpenSSL. */
static void
check_rsa_encrypt(CK_SESSION_HANDLE s)
{
	CK_RSA_PKCS_OAEP_PARAMS op = { CKM_SHA256, CKG_MGF1_SHA256,
		CKZ_DATA_SPECIFIED, "kyso", 4 };
	CK_MECHANISM m_pkcs = { CKM_RSA_PKCS, NULL, 0 };
	CK_MECHANISM m_oaep = { CKM_RSA_PKCS_OAEP, &op, sizeof(op) };
	CK_MECHANISM m_raw = { CKM_RSA_X_509, NULL, 0 };
	EVP_PKEY *k = EVP_RSA_gen(2048);
	CK_OBJECT_HANDLE h;

	if (k == NULL) {
		EXPECT(0, "OpenSSL RSA key generation");
		return;
	}
	if ((h = import_rsa(s, k)) != 0) {
		encrypt_check(s, h, k, &m_pkcs, RSA_PKCS1_PADDING, "", 0);
		encrypt_check(s, h, k, &m_pkcs, RSA_PKCS1_PADDING, "", 1);
		encrypt_check(s, h, k, &m_oaep, RSA_PKCS1_OAEP_PADDING, "kyso",
		    0);
		encrypt_check(s, h, k, &m_raw, RSA_NO_PADDING, "", 0);
	}
	EVP_PKEY_free(k);
}

/* OpenSSL's side of ECDH: its key and the token's public point. */
static int
openssl_ecdh(EVP_PKEY *mine, const CK_BYTE *point, size_t n, CK_BYTE *z,
    size_t *zn)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *c = NULL, *pc = NULL;
	EVP_PKEY *peer = NULL;
	int ok = 0;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	    (void *)point, n);
	params[2] = OSSL_PARAM_construct_end();
	if ((pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(pc) == 1 &&
	    EVP_PKEY_fromdata(pc, &peer, EVP_PKEY_PUBLIC_KEY, params) == 1 &&
	    (c = EVP_PKEY_CTX_new(mine, NULL)) != NULL &&
	    EVP_PKEY_derive_init(c) == 1 &&
	    EVP_PKEY_derive_set_peer(c, peer) == 1 &&
	    EVP_PKEY_derive(c, z, zn) == 1)
		ok = 1;
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(peer);
	return ok;
}

/* C_DeriveKey into a readable generic secret; its value in *out. */
static CK_RV
derive(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE base, CK_MECHANISM_TYPE mt,
    CK_ULONG kdf, const CK_BYTE *point, CK_ULONG n, CK_BBOOL sensitive,
    CK_BYTE *out, CK_ULONG *outlen)
{
	CK_ECDH1_DERIVE_PARAMS p;
	CK_MECHANISM m = { mt, &p, sizeof(p) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG len = 32;
	CK_BBOOL extractable = !sensitive;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &sensitive, sizeof(sensitive) },
		{ CKA_EXTRACTABLE, &extractable, sizeof(extractable) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_ATTRIBUTE v = { CKA_VALUE, out, *outlen };
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	memset(&p, 0, sizeof(p));
	p.kdf = kdf;
	p.pPublicData = (CK_BYTE_PTR)point;
	p.ulPublicDataLen = n;
	if (kdf != CKD_NULL) {
		p.pSharedData = (CK_BYTE_PTR) "kyso";
		p.ulSharedDataLen = 4;
	}
	if ((rv = f->C_DeriveKey(s, &m, base, t, 6, &h)) != CKR_OK)
		return rv;
	rv = f->C_GetAttributeValue(s, h, &v, 1);
	*outlen = v.ulValueLen;
	return rv;
}

/* ECDH on the token and in OpenSSL give the same secret. */
/* X9.63 by hand: hash(Z || counter || "kyso"), counter from 1, for 32
 * bytes. */
static int
x963_32(const EVP_MD *h, const CK_BYTE *z, size_t zn, CK_BYTE *out)
{
	CK_BYTE blk[64], ctr[4] = { 0, 0, 0, 0 };
	size_t got = 0, take;
	unsigned int bn = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md != NULL;

	while (ok && got < 32) {
		ctr[3]++;
		ok = EVP_DigestInit_ex(md, h, NULL) == 1 &&
		    EVP_DigestUpdate(md, z, zn) == 1 &&
		    EVP_DigestUpdate(md, ctr, 4) == 1 &&
		    EVP_DigestUpdate(md, "kyso", 4) == 1 &&
		    EVP_DigestFinal_ex(md, blk, &bn) == 1;
		take = 32 - got < bn ? 32 - got : bn;
		if (ok)
			memcpy(out + got, blk, take);
		got += take;
	}
	EVP_MD_CTX_free(md);
	return ok;
}

/* The other KDFs PKCS#11 names (CKD_SHA1/224/384/512_KDF) against X9.63
 * computed here; SHA-1 takes two blocks for 32 bytes. */
static void
check_kdfs(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, const CK_BYTE *pt,
    size_t ptn, const CK_BYTE *z, size_t zn)
{
	static const struct {
		CK_ULONG kdf;
		const char *md;
	} kdfs[] = {
		{ CKD_SHA1_KDF, "SHA1" },
		{ CKD_SHA224_KDF, "SHA224" },
		{ CKD_SHA384_KDF, "SHA384" },
		{ CKD_SHA512_KDF, "SHA512" },
	};
	CK_BYTE val[80], want[32];
	CK_ULONG vn;
	size_t i;

	for (i = 0; i < sizeof(kdfs) / sizeof(kdfs[0]); i++) {
		vn = sizeof(val);
		RV_IS(derive(s, priv, CKM_ECDH1_DERIVE, kdfs[i].kdf, pt, ptn,
			  CK_FALSE, val, &vn),
		    CKR_OK);
		EXPECT(x963_32(EVP_get_digestbyname(kdfs[i].md), z, zn, want) &&
			vn == 32 && memcmp(val, want, 32) == 0,
		    "ECDH with the %s KDF differs from X9.63", kdfs[i].md);
	}
}

static void
check_ecdh(CK_SESSION_HANDLE s)
{
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_DERIVE, &yes, sizeof(yes) },
	};
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_BYTE tokpt[80], mypt[80], der[82], z[80], val[80], kdf[80];
	CK_BYTE ctr[4] = { 0, 0, 0, 1 };
	CK_ATTRIBUTE pa = { CKA_EC_POINT, tokpt, sizeof(tokpt) };
	size_t zn = sizeof(z), myn = 0;
	CK_ULONG vn;
	unsigned int kn = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY *mine = EVP_EC_gen("prime256v1");

	if (mine == NULL || md == NULL ||
	    EVP_PKEY_get_octet_string_param(mine, OSSL_PKEY_PARAM_PUB_KEY, mypt,
		sizeof(mypt), &myn) != 1) {
		EXPECT(0, "OpenSSL EC key");
		goto out;
	}
	RV_IS(f->C_GenerateKeyPair(s, &m, pubt, 2, privt, 2, &pub, &priv),
	    CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, pub, &pa, 1), CKR_OK);
	/* CKA_EC_POINT is DER: 04 len point. */
	if (pa.ulValueLen != 67 ||
	    !openssl_ecdh(mine, tokpt + 2, pa.ulValueLen - 2, z, &zn)) {
		EXPECT(0, "OpenSSL ECDH with the token's point");
		goto out;
	}
	vn = sizeof(val);
	RV_IS(derive(s, priv, CKM_ECDH1_DERIVE, CKD_NULL, mypt, myn, CK_FALSE,
		  val, &vn),
	    CKR_OK);
	EXPECT(vn == 32 && zn == 32 && memcmp(val, z, 32) == 0,
	    "ECDH: the token's secret differs from OpenSSL's");
	/* A point off the curve (an invalid-curve attack) is refused: the
	 * token checks the peer's point when it decodes it. */
	mypt[myn - 1] ^= 1;
	vn = sizeof(val);
	RV_IS(derive(s, priv, CKM_ECDH1_DERIVE, CKD_NULL, mypt, myn, CK_FALSE,
		  val, &vn),
	    CKR_MECHANISM_PARAM_INVALID);
	mypt[myn - 1] ^= 1;
	/* The point DER-wrapped, and the cofactor form: the same. */
	der[0] = 0x04;
	der[1] = (CK_BYTE)myn;
	memcpy(der + 2, mypt, myn);
	vn = sizeof(val);
	memset(val, 0, sizeof(val));
	RV_IS(derive(s, priv, CKM_ECDH1_COFACTOR_DERIVE, CKD_NULL, der, myn + 2,
		  CK_FALSE, val, &vn),
	    CKR_OK);
	EXPECT(vn == 32 && memcmp(val, z, 32) == 0,
	    "ECDH (cofactor, DER point) differs from OpenSSL's");
	/* X9.63 with SHA-256 and shared data: SHA256(Z || 00000001 || SI). */
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(md, z, zn) != 1 ||
	    EVP_DigestUpdate(md, ctr, 4) != 1 ||
	    EVP_DigestUpdate(md, "kyso", 4) != 1 ||
	    EVP_DigestFinal_ex(md, kdf, &kn) != 1) {
		EXPECT(0, "SHA-256");
		goto out;
	}
	vn = sizeof(val);
	RV_IS(derive(s, priv, CKM_ECDH1_DERIVE, CKD_SHA256_KDF, mypt, myn,
		  CK_FALSE, val, &vn),
	    CKR_OK);
	EXPECT(vn == 32 && memcmp(val, kdf, 32) == 0,
	    "ECDH with the SHA-256 KDF differs from X9.63");
	check_kdfs(s, priv, mypt, myn, z, zn);
	/* A sensitive derived key does not show its value. */
	vn = sizeof(val);
	RV_IS(derive(s, priv, CKM_ECDH1_DERIVE, CKD_NULL, mypt, myn, CK_TRUE,
		  val, &vn),
	    CKR_ATTRIBUTE_SENSITIVE);
	/* A key without CKA_DERIVE does not derive. */
	vn = sizeof(val);
	RV_IS(set_bool(s, priv, CKA_DERIVE, CK_FALSE), CKR_OK);
	RV_IS(derive(s, priv, CKM_ECDH1_DERIVE, CKD_NULL, mypt, myn, CK_FALSE,
		  val, &vn),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(mine);
}

/* Signs "fork" with priv and checks it with pub. */
static void
sign_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv,
    const char *who)
{
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_BYTE sig[64];
	CK_ULONG n = sizeof(sig);
	CK_RV rv;

	if ((rv = f->C_SignInit(s, &m, priv)) == CKR_OK)
		rv = f->C_Sign(s, (CK_BYTE_PTR) "fork", 4, sig, &n);
	EXPECT(rv == CKR_OK, "%s: signing gave %s", who, p11_rv_name(rv));
	if (rv != CKR_OK)
		return;
	if ((rv = f->C_VerifyInit(s, &m, pub)) == CKR_OK)
		rv = f->C_Verify(s, (CK_BYTE_PTR) "fork", 4, sig, n);
	EXPECT(rv == CKR_OK, "%s: the signature does not verify (%s)", who,
	    p11_rv_name(rv));
}

/* Up to 20 s for path to exist. */
static int
wait_file(const char *path)
{
	struct stat st;
	int i;

	for (i = 0; i < 400; i++) {
		if (stat(path, &st) == 0)
			return 1;
		usleep(50000);
	}
	return 0;
}

/* The child's side of cmd_fork. */
static int
fork_child(CK_SLOT_ID slot, const char *pin, CK_SESSION_HANDLE parent_s,
    const char *gofile)
{
	CK_C_INITIALIZE_ARGS a;
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE pub = 0, priv = 0, h[4];
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_SLOT_ID ev = 99;
	CK_ULONG n = 0;

	RV_IS(f->C_GetSessionInfo(parent_s, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	RV_IS(f->C_Initialize(&a), CKR_OK);
	RV_IS(f->C_GetSessionInfo(parent_s, &si), CKR_SESSION_HANDLE_INVALID);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_GetSessionInfo(s, &si), CKR_OK);
	EXPECT(si.state == CKS_RW_PUBLIC_SESSION,
	    "child: the parent's login came along (state %lu)", si.state);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	RV_IS(f->C_FindObjectsInit(s, &t, 1), CKR_OK);
	RV_IS(f->C_FindObjects(s, h, 4, &n), CKR_OK);
	RV_IS(f->C_FindObjectsFinal(s), CKR_OK);
	EXPECT(n == 0, "child: the parent's session key came along");
	RV_IS(gen_ec(s, &pub, &priv), CKR_OK);
	sign_once(s, pub, priv, "child");
	RV_IS(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	printf("child ready\n");
	fflush(stdout);
	if (!wait_file(gofile)) {
		EXPECT(0, "child: %s never came", gofile);
		return 1;
	}
	/* The child reads its own watch of the slot folder. */
	RV_IS(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_OK);
	EXPECT(ev == slot, "child: event on slot %lu", ev);
	RV_IS(f->C_Finalize(NULL), CKR_OK);
	return failures > 0;
}

static int
cmd_fork(const char *module, const char *label, const char *pin,
    const char *gofile)
{
	struct p11 *p;
	CK_SLOT_ID slot, ev = 99;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_RV rv;
	pid_t pid;
	int st = 0;

	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	RV_IS(gen_ec(s, &pub, &priv), CKR_OK);
	sign_once(s, pub, priv, "parent before fork");
	fflush(stdout);
	if ((pid = fork()) < 0) {
		EXPECT(0, "fork");
		return 1;
	}
	if (pid == 0)
		_exit(fork_child(slot, pin, s, gofile));
	sign_once(s, pub, priv, "parent after fork");
	printf("parent ready\n");
	fflush(stdout);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		EXPECT(0, "the child failed (status 0x%x)", st);
	/* The token was unplugged, and the child has seen it: the parent
	 * sees it too. */
	RV_IS(f->C_SignInit(s, &m, priv), CKR_DEVICE_REMOVED);
	rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL);
	EXPECT(rv == CKR_OK && ev == slot,
	    "parent: the unplug event is lost (%s, slot %lu)", p11_rv_name(rv),
	    ev);
	p11_free(p);
	return failures > 0;
}

/* OpenSSL's AES key wrap (pad: RFC 5649) or unwrap of in. */
static int
ossl_wrap(int enc, int pad, const CK_BYTE *kek, const CK_BYTE *in, size_t n,
    CK_BYTE *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = 0;

	if (c != NULL) {
		EVP_CIPHER_CTX_set_flags(c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
		ok = EVP_CipherInit_ex(c,
			 pad ? EVP_aes_256_wrap_pad() : EVP_aes_256_wrap(),
			 NULL, kek, NULL, enc) == 1 &&
		    EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
		    EVP_CipherFinal_ex(c, out + l1, &l2) == 1;
	}
	*outlen = (size_t)(l1 + l2);
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* AES-256-CBC with PKCS#7 padding (CKM_AES_CBC_PAD) in OpenSSL. */
static int
ossl_cbc_pad(int enc, const CK_BYTE *kek, const CK_BYTE *iv, const CK_BYTE *in,
    size_t n, CK_BYTE *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = 0;

	if (c != NULL)
		ok = EVP_CipherInit_ex(c, EVP_aes_256_cbc(), NULL, kek, iv,
			 enc) == 1 &&
		    EVP_CipherUpdate(c, out, &l1, in, (int)n) == 1 &&
		    EVP_CipherFinal_ex(c, out + l1, &l2) == 1;
	*outlen = (size_t)(l1 + l2);
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* A session AES-256 key that wraps and unwraps; its bytes in v. */
static CK_OBJECT_HANDLE
gen_kek(CK_SESSION_HANDLE s, CK_BYTE *v)
{
	CK_MECHANISM m = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG len = 32;
	CK_ATTRIBUTE t[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_WRAP, &yes, sizeof(yes) },
		{ CKA_UNWRAP, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_ATTRIBUTE a = { CKA_VALUE, v, 32 };
	CK_OBJECT_HANDLE h = 0;

	RV_IS(f->C_GenerateKey(s, &m, t, 6, &h), CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	return h;
}

/* Is needle anywhere in the file? -1 when it cannot be read. */
static int
file_has(const char *path, const void *needle, size_t n)
{
	FILE *fp = fopen(path, "rb");
	static unsigned char buf[4 * 1024 * 1024];
	size_t len;

	if (fp == NULL)
		return -1;
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	return n > 0 && memmem(buf, len, needle, n) != NULL;
}

/* An EC private key from OpenSSL, as C_CreateObject components; the
 * scalar in d (32 bytes). */
static CK_RV
import_ec(CK_SESSION_HANDLE s, EVP_PKEY *k, CK_BYTE *d, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	BIGNUM *bn = NULL;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, "imported-ec", 11 },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_VALUE, d, 32 },
	};

	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
	    BN_bn2binpad(bn, d, 32) != 32) {
		BN_free(bn);
		return CKR_GENERAL_ERROR;
	}
	BN_clear_free(bn);
	return f->C_CreateObject(s, t, 7, h);
}

/* An RSA private key from OpenSSL, every component. */
static CK_RV
import_rsa_priv(CK_SESSION_HANDLE s, EVP_PKEY *k, CK_OBJECT_HANDLE *h)
{
	static const char *names[] = { OSSL_PKEY_PARAM_RSA_N,
		OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
		OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
		OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
		OSSL_PKEY_PARAM_RSA_COEFFICIENT1 };
	static const CK_ATTRIBUTE_TYPE types[] = { CKA_MODULUS,
		CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1,
		CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT };
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BYTE v[8][512];
	CK_ATTRIBUTE t[13] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
	};
	BIGNUM *bn;
	size_t i;
	int n;
	CK_RV rv;

	for (i = 0; i < 8; i++) {
		bn = NULL;
		if (EVP_PKEY_get_bn_param(k, names[i], &bn) != 1 ||
		    (n = BN_bn2bin(bn, v[i])) <= 0) {
			BN_free(bn);
			return CKR_GENERAL_ERROR;
		}
		BN_clear_free(bn);
		t[5 + i].type = types[i];
		t[5 + i].pValue = v[i];
		t[5 + i].ulValueLen = (CK_ULONG)n;
	}
	rv = f->C_CreateObject(s, t, 13, h);
	OPENSSL_cleanse(v, sizeof(v));
	return rv;
}

/* Signs with the token's key h and verifies with OpenSSL's k. */
static void
sign_openssl_verifies(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, EVP_PKEY *k,
    CK_MECHANISM_TYPE mt, const char *what)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_BYTE sig[512], der[80];
	CK_ULONG n = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const CK_BYTE *sp = sig;
	size_t sn;
	ECDSA_SIG *es = NULL;
	CK_RV rv;

	if ((rv = f->C_SignInit(s, &m, h)) == CKR_OK)
		rv = f->C_Sign(s, (CK_BYTE_PTR) "imported", 8, sig, &n);
	EXPECT(rv == CKR_OK, "%s: signing gave %s", what, p11_rv_name(rv));
	sn = n;
	if (rv == CKR_OK && mt == CKM_ECDSA_SHA256) {
		/* r || s to DER for OpenSSL. */
		unsigned char *dp = der;
		BIGNUM *r = BN_bin2bn(sig, 32, NULL),
		       *sv = BN_bin2bn(sig + 32, 32, NULL);

		es = ECDSA_SIG_new();
		if (es == NULL || r == NULL || sv == NULL ||
		    ECDSA_SIG_set0(es, r, sv) != 1) {
			BN_free(r);
			BN_free(sv);
			EXPECT(0, "%s: ECDSA_SIG", what);
			goto out;
		}
		sn = (size_t)i2d_ECDSA_SIG(es, &dp);
		sp = der;
	}
	if (rv == CKR_OK &&
	    (md == NULL ||
		EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
		EVP_DigestVerify(md, sp, sn, (const unsigned char *)"imported",
		    8) != 1))
		EXPECT(0, "%s: OpenSSL does not verify the token's signature",
		    what);
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
}

static void
profile_ca(CK_SESSION_HANDLE s, CK_SLOT_ID slot, EVP_PKEY *ec)
{
	CK_BYTE d[32];
	CK_OBJECT_HANDLE h = 0, pub = 0, priv = 0, copy = 0;
	CK_MECHANISM m_ec = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_rsa = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM_INFO mi;
	CK_ULONG bits = 1024;
	CK_BYTE e[] = { 1, 0, 1 };
	CK_ATTRIBUTE pubt[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE privt[] = { { CKA_EXTRACTABLE, &yes, sizeof(yes) } };
	CK_ATTRIBUTE rpub[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, e, 3 } };

	RV_IS(import_ec(s, ec, d, &h), CKR_TEMPLATE_INCONSISTENT);
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 1, privt, 1, &pub, &priv),
	    CKR_ATTRIBUTE_VALUE_INVALID);
	RV_IS(f->C_GenerateKeyPair(s, &m_rsa, rpub, 2, NULL, 0, &pub, &priv),
	    CKR_KEY_SIZE_RANGE);
	RV_IS(f->C_GetMechanismInfo(slot, CKM_RSA_PKCS, &mi), CKR_OK);
	EXPECT(mi.ulMinKeySize == 2048, "ca: RSA from %lu bits", mi.ulMinKeySize);
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 1, NULL, 0, &pub, &priv),
	    CKR_OK);
	RV_IS(f->C_CopyObject(s, priv, NULL, 0, &copy), CKR_ACTION_PROHIBITED);
	{
		CK_BYTE kek[32], w[512];
		CK_ULONG wn = sizeof(w);
		CK_MECHANISM m_kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
		CK_OBJECT_HANDLE kh = gen_kek(s, kek);

		RV_IS(f->C_WrapKey(s, &m_kwp, kh, priv, w, &wn),
		    CKR_KEY_UNEXTRACTABLE);
	}
	RV_IS(f->C_Logout(s), CKR_OK);
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 1, NULL, 0, &pub, &priv),
	    CKR_USER_NOT_LOGGED_IN);
}

/* A general token's extractable private key wraps as PKCS#8 that
 * OpenSSL unwraps to the same key; a key OpenSSL wrapped unwraps and
 * signs. */
static void
wrap_private(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv, EVP_PKEY *ec,
    const CK_BYTE *d)
{
	CK_BYTE kek[32], w[512], p8[512], pt[80];
	CK_BYTE iv[16] = "sixteen byte iv";
	CK_MECHANISM m_kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_MECHANISM m_cbcpad = { CKM_AES_CBC_PAD, iv, sizeof(iv) };
	CK_OBJECT_HANDLE kh = gen_kek(s, kek), uh = 0;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_KEY_TYPE kt = CKK_EC;
	CK_ATTRIBUTE ut[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE pa = { CKA_EC_POINT, pt, sizeof(pt) };
	CK_ULONG wn = sizeof(w);
	size_t pn = 0, gn = 0;
	const CK_BYTE *pp = p8;
	EVP_PKEY *got = NULL;
	PKCS8_PRIV_KEY_INFO *inf = NULL;
	unsigned char *der = NULL;
	int dn;
	CK_BYTE gpt[80];

	(void)d;
	RV_IS(f->C_WrapKey(s, &m_kwp, kh, priv, w, &wn), CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, priv, &pa, 1), CKR_OK);
	if (!ossl_wrap(0, 1, kek, w, wn, p8, &pn) ||
	    (inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &pp, (long)pn)) == NULL ||
	    (got = EVP_PKCS82PKEY(inf)) == NULL ||
	    EVP_PKEY_get_octet_string_param(got, OSSL_PKEY_PARAM_PUB_KEY, gpt,
		sizeof(gpt), &gn) != 1 ||
	    gn + 2 != pa.ulValueLen || memcmp(gpt, pt + 2, gn) != 0)
		EXPECT(0, "the wrapped private key is not the key");
	/* OpenSSL's key, wrapped by OpenSSL, unwrapped by the token. */
	PKCS8_PRIV_KEY_INFO_free(inf);
	if ((inf = EVP_PKEY2PKCS8(ec)) == NULL ||
	    (dn = i2d_PKCS8_PRIV_KEY_INFO(inf, &der)) <= 0 ||
	    !ossl_wrap(1, 1, kek, der, (size_t)dn, w, &pn)) {
		EXPECT(0, "OpenSSL wrapping");
		goto out;
	}
	RV_IS(f->C_UnwrapKey(s, &m_kwp, kh, w, pn, ut, 4, &uh), CKR_OK);
	sign_openssl_verifies(s, uh, ec, CKM_ECDSA_SHA256, "unwrapped EC key");
	EXPECT(bool_of(s, uh, CKA_SENSITIVE) == CK_TRUE,
	    "unwrapped: not sensitive");
	/* The same with AES-CBC-PAD, both ways. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_cbcpad, kh, priv, w, &wn), CKR_OK);
	PKCS8_PRIV_KEY_INFO_free(inf);
	EVP_PKEY_free(got);
	got = NULL;
	pp = p8;
	if (!ossl_cbc_pad(0, kek, iv, w, wn, p8, &pn) ||
	    (inf = d2i_PKCS8_PRIV_KEY_INFO(NULL, &pp, (long)pn)) == NULL ||
	    (got = EVP_PKCS82PKEY(inf)) == NULL ||
	    EVP_PKEY_get_octet_string_param(got, OSSL_PKEY_PARAM_PUB_KEY, gpt,
		sizeof(gpt), &gn) != 1 ||
	    gn + 2 != pa.ulValueLen || memcmp(gpt, pt + 2, gn) != 0)
		EXPECT(0, "the CBC_PAD-wrapped private key is not the key");
	if (!ossl_cbc_pad(1, kek, iv, der, (size_t)dn, w, &pn)) {
		EXPECT(0, "OpenSSL CBC wrapping");
		goto out;
	}
	uh = 0;
	RV_IS(f->C_UnwrapKey(s, &m_cbcpad, kh, w, pn, ut, 4, &uh), CKR_OK);
	sign_openssl_verifies(s, uh, ec, CKM_ECDSA_SHA256,
	    "EC key unwrapped with CBC_PAD");
out:
	OPENSSL_free(der);
	PKCS8_PRIV_KEY_INFO_free(inf);
	EVP_PKEY_free(got);
}

static void
profile_general(CK_SESSION_HANDLE s, CK_SLOT_ID slot, EVP_PKEY *ec,
    const char *file)
{
	CK_BYTE d[32], buf[64];
	CK_OBJECT_HANDLE h = 0, rh = 0, pub = 0, priv = 0, copy = 0;
	CK_MECHANISM m_ec = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_rsa = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM_INFO mi;
	CK_ULONG bits = 1024;
	CK_BYTE e[] = { 1, 0, 1 };
	CK_ATTRIBUTE pubt[] = { { CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		{ CKA_TOKEN, &no, sizeof(no) } };
	CK_ATTRIBUTE privt[] = { { CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_TOKEN, &no, sizeof(no) } };
	CK_ATTRIBUTE pubprivt[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_PRIVATE, &no, sizeof(no) } };
	CK_ATTRIBUTE rpub[] = { { CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, e, 3 }, { CKA_TOKEN, &no, sizeof(no) } };
	CK_ATTRIBUTE val = { CKA_VALUE, buf, sizeof(buf) };
	EVP_PKEY *rsa = EVP_RSA_gen(2048);

	RV_IS(import_ec(s, ec, d, &h), CKR_OK);
	sign_openssl_verifies(s, h, ec, CKM_ECDSA_SHA256, "imported EC key");
	RV_IS(f->C_GetAttributeValue(s, h, &val, 1), CKR_ATTRIBUTE_SENSITIVE);
	EXPECT(bool_of(s, h, CKA_LOCAL) == CK_FALSE, "imported key is local");
	EXPECT(bool_of(s, h, CKA_ALWAYS_SENSITIVE) == CK_FALSE,
	    "imported key always sensitive");
	EXPECT(file_has(file, d, sizeof(d)) == 0,
	    "the imported EC scalar is in the token file in clear");
	if (rsa != NULL) {
		RV_IS(import_rsa_priv(s, rsa, &rh), CKR_OK);
		sign_openssl_verifies(s, rh, rsa, CKM_SHA256_RSA_PKCS,
		    "imported RSA key");
	}
	/* Copies, as the key it was. */
	RV_IS(f->C_CopyObject(s, h, NULL, 0, &copy), CKR_OK);
	sign_openssl_verifies(s, copy, ec, CKM_ECDSA_SHA256, "copied EC key");
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 2, privt, 2, &pub, &priv),
	    CKR_OK);
	EXPECT(bool_of(s, priv, CKA_EXTRACTABLE) == CK_TRUE, "not extractable");
	EXPECT(bool_of(s, priv, CKA_NEVER_EXTRACTABLE) == CK_FALSE,
	    "never extractable");
	EXPECT(bool_of(s, priv, CKA_SENSITIVE) == CK_TRUE, "not sensitive");
	wrap_private(s, priv, ec, d);
	RV_IS(f->C_GenerateKeyPair(s, &m_rsa, rpub, 3, pubt + 1, 1, &pub, &priv),
	    CKR_OK);
	RV_IS(f->C_GetMechanismInfo(slot, CKM_RSA_PKCS, &mi), CKR_OK);
	EXPECT(mi.ulMinKeySize == 1024, "general: RSA from %lu bits",
	    mi.ulMinKeySize);
	/* Public session keys without login; a token key still wants it. */
	RV_IS(f->C_Logout(s), CKR_OK);
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 2, pubprivt, 2, &pub, &priv),
	    CKR_OK);
	sign_once(s, pub, priv, "public session key");
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 2, NULL, 0, &pub, &priv),
	    CKR_USER_NOT_LOGGED_IN);
	pubprivt[0].pValue = &yes;
	RV_IS(f->C_GenerateKeyPair(s, &m_ec, pubt, 2, pubprivt, 2, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	EVP_PKEY_free(rsa);
}

static int
cmd_profile(const char *module, const char *label, const char *pin,
    const char *profile, const char *file)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_TOKEN_INFO ti;
	char model[17];
	int general = strcmp(profile, "general") == 0;
	EVP_PKEY *ec = EVP_EC_gen("prime256v1");

	if ((p = p11c_open_token(module, label, &slot)) == NULL || ec == NULL)
		return 1;
	RV_IS(f->C_GetTokenInfo(slot, &ti), CKR_OK);
	p11_str(ti.model, sizeof(ti.model), model);
	EXPECT(strcmp(model, general ? "kyso vToken gen" : "kyso vToken") == 0,
	    "model '%s'", model);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	if (general)
		profile_general(s, slot, ec, file);
	else
		profile_ca(s, slot, ec);
	EVP_PKEY_free(ec);
	p11_free(p);
	return failures > 0;
}

/* A session secret key from C_GenerateKey, readable; its bytes in v. */
static CK_OBJECT_HANDLE
gen_secret(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mt, CK_ULONG len, CK_BYTE *v)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_ATTRIBUTE t[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_ATTRIBUTE a = { CKA_VALUE, v, len };
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	/* A generic secret only MACs: it may not encrypt. */
	if (mt == CKM_GENERIC_SECRET_KEY_GEN)
		t[3].pValue = t[4].pValue = &no;
	if ((rv = f->C_GenerateKey(s, &m, t, 8, &h)) != CKR_OK ||
	    (rv = f->C_GetAttributeValue(s, h, &a, 1)) != CKR_OK) {
		EXPECT(0, "C_GenerateKey 0x%lx (%lu bytes): %s", mt, len,
		    p11_rv_name(rv));
		return 0;
	}
	EXPECT(a.ulValueLen == len, "key length %lu", a.ulValueLen);
	return h;
}

/* OpenSSL's encryption of in (GCM: aad, and the tag appended). */
static int
ossl_encrypt(const EVP_CIPHER *ci, const CK_BYTE *key, const CK_BYTE *iv,
    size_t ivlen, int pad, const CK_BYTE *aad, size_t aadlen, const CK_BYTE *in,
    size_t n, CK_BYTE *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = 0,
	    gcm = EVP_CIPHER_get_mode(ci) == EVP_CIPH_GCM_MODE;

	if (c == NULL || EVP_EncryptInit_ex(c, ci, NULL, NULL, NULL) != 1 ||
	    (gcm &&
		EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen,
		    NULL) != 1) ||
	    EVP_EncryptInit_ex(c, NULL, NULL, key, iv) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, pad) != 1 ||
	    (aadlen > 0 && EVP_EncryptUpdate(c, NULL, &l1, aad, (int)aadlen) != 1) ||
	    EVP_EncryptUpdate(c, out, &l1, in, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(c, out + l1, &l2) != 1)
		goto out;
	*outlen = (size_t)(l1 + l2);
	if (gcm) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
			out + *outlen) != 1)
			goto out;
		*outlen += 16;
	}
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* One cipher mechanism: single-part and three-part encryption equal
 * OpenSSL's, and decrypt back, single- and multi-part. */
static void
cipher_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_MECHANISM *m,
    const EVP_CIPHER *ci, const CK_BYTE *key, const CK_BYTE *iv, size_t ivlen,
    int pad, const CK_BYTE *aad, size_t aadlen, size_t n)
{
	CK_BYTE in[200], want[256], back[256];
	size_t wn = 0, i;
	CK_ULONG bn;
	const struct p11c_cuts cuts = { { 5, 30 }, 17, 0 };

	for (i = 0; i < n; i++)
		in[i] = (CK_BYTE)(i * 31 + 7);
	if (!ossl_encrypt(ci, key, iv, ivlen, pad, aad, aadlen, in, n, want, &wn)) {
		EXPECT(0, "OpenSSL encryption, mechanism 0x%lx", m->mechanism);
		return;
	}
	p11c_cipher_round_trip(s, h, m, in, n, want, wn, &cuts);
	if (aadlen > 0) {
		/* A forged tag. */
		want[wn - 1] ^= 1;
		RV_IS(f->C_DecryptInit(s, m, h), CKR_OK);
		bn = sizeof(back);
		RV_IS(f->C_Decrypt(s, want, wn, back, &bn),
		    CKR_ENCRYPTED_DATA_INVALID);
	}
}

/* A MAC on the token equals OpenSSL's (HMAC with md, or CMAC), and
 * verifies; keep bytes of it for _GENERAL. */
static void
mac_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_MECHANISM_TYPE mt,
    const CK_BYTE *key, size_t keylen, const char *md, CK_ULONG keep)
{
	CK_MECHANISM m = { mt, keep ? &keep : NULL, keep ? sizeof(keep) : 0 };
	const CK_BYTE data[] = "the MAC of these bytes";
	CK_BYTE want[64], got[64];
	size_t wn = 0;
	CK_ULONG gn = sizeof(got);
	OSSL_PARAM params[2];
	EVP_MAC *mac = EVP_MAC_fetch(NULL, md != NULL ? "HMAC" : "CMAC", NULL);
	EVP_MAC_CTX *c = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;

	params[0] = OSSL_PARAM_construct_utf8_string(md != NULL ? "digest"
								: "cipher",
	    md != NULL ? (char *)md : (char *)"AES-256-CBC", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (c == NULL || EVP_MAC_init(c, key, keylen, params) != 1 ||
	    EVP_MAC_update(c, data, sizeof(data)) != 1 ||
	    EVP_MAC_final(c, want, &wn, sizeof(want)) != 1) {
		EXPECT(0, "OpenSSL MAC");
		goto out;
	}
	if (keep)
		wn = keep;
	RV_IS(f->C_SignInit(s, &m, h), CKR_OK);
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR)data, sizeof(data), got, &gn), CKR_OK);
	EXPECT(gn == wn && memcmp(got, want, wn) == 0,
	    "mechanism 0x%lx: the MAC differs from OpenSSL's", mt);
	RV_IS(f->C_VerifyInit(s, &m, h), CKR_OK);
	RV_IS(f->C_VerifyUpdate(s, (CK_BYTE_PTR)data, 5), CKR_OK);
	RV_IS(f->C_VerifyUpdate(s, (CK_BYTE_PTR)data + 5, sizeof(data) - 5),
	    CKR_OK);
	RV_IS(f->C_VerifyFinal(s, want, wn), CKR_OK);
	want[0] ^= 1;
	RV_IS(f->C_VerifyInit(s, &m, h), CKR_OK);
	RV_IS(f->C_Verify(s, (CK_BYTE_PTR)data, sizeof(data), want, wn),
	    CKR_SIGNATURE_INVALID);
out:
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(mac);
}

/* Wrapping secret keys. */
static void
check_wrap(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE target, const CK_BYTE *tv,
    size_t tn)
{
	CK_BYTE kek[32], w[128], want[128], back[64], iv[16];
	size_t wantn = 0;
	CK_ULONG wn = 0;
	CK_OBJECT_HANDLE kh = gen_kek(s, kek), uh = 0, locked = 0;
	CK_MECHANISM m_kw = { CKM_AES_KEY_WRAP, NULL, 0 };
	CK_MECHANISM m_kwp = { CKM_AES_KEY_WRAP_PAD, NULL, 0 };
	CK_MECHANISM m_pad = { CKM_AES_CBC_PAD, iv, 16 };
	CK_MECHANISM m_gen = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG len = 20;
	CK_ATTRIBUTE ut[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE lt[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &len, sizeof(len) } };
	CK_ATTRIBUTE va = { CKA_VALUE, back, sizeof(back) };

	memset(iv, 0x42, sizeof(iv));
	RV_IS(f->C_WrapKey(s, &m_kw, kh, target, NULL, &wn), CKR_OK);
	EXPECT(wn == tn + 8, "key wrap length query %lu", wn);
	wn = 4;
	RV_IS(f->C_WrapKey(s, &m_kw, kh, target, w, &wn), CKR_BUFFER_TOO_SMALL);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_kw, kh, target, w, &wn), CKR_OK);
	EXPECT(ossl_wrap(1, 0, kek, tv, tn, want, &wantn) && wantn == wn &&
		memcmp(w, want, wn) == 0,
	    "AES key wrap differs from OpenSSL's");
	RV_IS(f->C_UnwrapKey(s, &m_kw, kh, w, wn, ut, 5, &uh), CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, uh, &va, 1), CKR_OK);
	EXPECT(va.ulValueLen == tn && memcmp(back, tv, tn) == 0,
	    "the unwrapped key is not the key");
	EXPECT(bool_of(s, uh, CKA_LOCAL) == CK_FALSE, "unwrapped key is local");
	w[3] ^= 1;
	RV_IS(f->C_UnwrapKey(s, &m_kw, kh, w, wn, ut, 5, &uh),
	    CKR_WRAPPED_KEY_INVALID);
	/* RFC 5649 and CBC_PAD: a key of 20 bytes. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_kwp, kh, target, w, &wn), CKR_OK);
	EXPECT(ossl_wrap(1, 1, kek, tv, tn, want, &wantn) && wantn == wn &&
		memcmp(w, want, wn) == 0,
	    "AES key wrap with padding differs from OpenSSL's");
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_pad, kh, target, w, &wn), CKR_OK);
	EXPECT(wn == (tn / 16 + 1) * 16, "CBC_PAD wrap length %lu", wn);
	RV_IS(f->C_UnwrapKey(s, &m_pad, kh, w, wn, ut, 5, &uh), CKR_OK);
	va.ulValueLen = sizeof(back);
	RV_IS(f->C_GetAttributeValue(s, uh, &va, 1), CKR_OK);
	EXPECT(va.ulValueLen == tn && memcmp(back, tv, tn) == 0,
	    "the CBC_PAD-unwrapped key is not the key");
	/* A key that is not extractable does not wrap. */
	RV_IS(f->C_GenerateKey(s, &m_gen, lt, 2, &locked), CKR_OK);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_kwp, kh, locked, w, &wn), CKR_KEY_UNEXTRACTABLE);
	/* A key not allowed to wrap does not. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_kwp, target, target, w, &wn),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
}

static int
cmd_symmetric(const char *module, const char *label, const char *pin)
{
	static const CK_MECHANISM_TYPE listed[] = { CKM_AES_KEY_GEN,
		CKM_GENERIC_SECRET_KEY_GEN, CKM_AES_ECB, CKM_AES_CBC,
		CKM_AES_CBC_PAD, CKM_AES_CTR, CKM_AES_GCM, CKM_AES_CMAC,
		CKM_SHA256_HMAC, CKM_SHA512_HMAC_GENERAL };
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_MECHANISM_TYPE list[256];
	CK_MECHANISM_INFO mi;
	CK_ULONG nl = 256, i, j;
	CK_BYTE aes[32], hk[64], iv[16], aad[] = "header";
	CK_AES_CTR_PARAMS ctr;
	CK_GCM_PARAMS gcm;
	CK_MECHANISM m_ecb = { CKM_AES_ECB, NULL, 0 };
	CK_MECHANISM m_cbc = { CKM_AES_CBC, iv, 16 };
	CK_MECHANISM m_pad = { CKM_AES_CBC_PAD, iv, 16 };
	CK_MECHANISM m_ctr = { CKM_AES_CTR, &ctr, sizeof(ctr) };
	CK_MECHANISM m_gcm = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	CK_OBJECT_HANDLE ak, hkh, sk;
	CK_BYTE v[32];
	CK_ATTRIBUTE val = { CKA_VALUE, v, sizeof(v) };
	CK_MECHANISM m_gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ULONG len32 = 32;
	CK_ATTRIBUTE sens[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &len32, sizeof(len32) } };

	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	RV_IS(f->C_GetMechanismList(slot, list, &nl), CKR_OK);
	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		for (j = 0; j < nl && list[j] != listed[i]; j++)
			;
		EXPECT(j < nl, "mechanism 0x%lx is not listed", listed[i]);
	}
	RV_IS(f->C_GetMechanismInfo(slot, CKM_AES_GCM, &mi), CKR_OK);
	EXPECT(mi.ulMinKeySize == 16 && mi.ulMaxKeySize == 32 &&
		(mi.flags & (CKF_ENCRYPT | CKF_DECRYPT)) ==
		    (CKF_ENCRYPT | CKF_DECRYPT),
	    "AES-GCM info %lu..%lu flags 0x%lx", mi.ulMinKeySize,
	    mi.ulMaxKeySize, mi.flags);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	/* A CA's token makes keys only for its user. */
	RV_IS(f->C_GenerateKey(s, &m_gen, sens, 3, &sk), CKR_USER_NOT_LOGGED_IN);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	for (i = 0; i < 16; i++)
		iv[i] = (CK_BYTE)(0xa0 + i);
	memset(&ctr, 0, sizeof(ctr));
	ctr.ulCounterBits = 32;
	memcpy(ctr.cb, iv, 16);
	memset(&gcm, 0, sizeof(gcm));
	gcm.pIv = iv;
	gcm.ulIvLen = 12;
	gcm.ulIvBits = 96;
	gcm.pAAD = aad;
	gcm.ulAADLen = sizeof(aad);
	gcm.ulTagBits = 128;
	if ((ak = gen_secret(s, CKM_AES_KEY_GEN, 32, aes)) != 0) {
		cipher_check(s, ak, &m_ecb, EVP_aes_256_ecb(), aes, NULL, 0, 0,
		    NULL, 0, 64);
		cipher_check(s, ak, &m_cbc, EVP_aes_256_cbc(), aes, iv, 16, 0,
		    NULL, 0, 64);
		cipher_check(s, ak, &m_pad, EVP_aes_256_cbc(), aes, iv, 16, 1,
		    NULL, 0, 77);
		cipher_check(s, ak, &m_pad, EVP_aes_256_cbc(), aes, iv, 16, 1,
		    NULL, 0, 64);
		cipher_check(s, ak, &m_ctr, EVP_aes_256_ctr(), aes, iv, 16, 0,
		    NULL, 0, 77);
		cipher_check(s, ak, &m_gcm, EVP_aes_256_gcm(), aes, iv, 12, 0,
		    aad, sizeof(aad), 77);
		mac_check(s, ak, CKM_AES_CMAC, aes, 32, NULL, 0);
		mac_check(s, ak, CKM_AES_CMAC_GENERAL, aes, 32, NULL, 8);
	}
	if ((hkh = gen_secret(s, CKM_GENERIC_SECRET_KEY_GEN, 40, hk)) != 0) {
		mac_check(s, hkh, CKM_SHA_1_HMAC, hk, 40, "SHA1", 0);
		mac_check(s, hkh, CKM_SHA224_HMAC, hk, 40, "SHA224", 0);
		mac_check(s, hkh, CKM_SHA256_HMAC, hk, 40, "SHA256", 0);
		mac_check(s, hkh, CKM_SHA384_HMAC, hk, 40, "SHA384", 0);
		mac_check(s, hkh, CKM_SHA512_HMAC, hk, 40, "SHA512", 0);
		mac_check(s, hkh, CKM_SHA256_HMAC_GENERAL, hk, 40, "SHA256", 16);
		check_wrap(s, hkh, hk, 40);
		/* An HMAC key is no AES key. */
		m_ecb.mechanism = CKM_AES_CMAC;
		RV_IS(f->C_SignInit(s, &m_ecb, hkh), CKR_KEY_TYPE_INCONSISTENT);
		m_ecb.mechanism = CKM_AES_ECB;
	}
	/* C_DigestKey: the key's value goes into the digest; a key pair's
	 * half does not. */
	if (ak != 0) {
		CK_MECHANISM m_sha = { CKM_SHA256, NULL, 0 };
		CK_OBJECT_HANDLE epub = 0, epriv = 0;
		CK_BYTE dg[32], want[32], both[35];
		CK_ULONG dn = sizeof(dg);
		unsigned int wn = 0;

		memcpy(both, "abc", 3);
		memcpy(both + 3, aes, 32);
		RV_IS(f->C_DigestInit(s, &m_sha), CKR_OK);
		RV_IS(f->C_DigestUpdate(s, (CK_BYTE_PTR) "abc", 3), CKR_OK);
		RV_IS(f->C_DigestKey(s, ak), CKR_OK);
		RV_IS(gen_ec(s, &epub, &epriv), CKR_OK);
		RV_IS(f->C_DigestKey(s, epriv), CKR_KEY_INDIGESTIBLE);
		RV_IS(f->C_DigestFinal(s, dg, &dn), CKR_OK);
		EXPECT(EVP_Digest(both, sizeof(both), want, &wn, EVP_sha256(),
			   NULL) == 1 &&
			dn == 32 && memcmp(dg, want, 32) == 0,
		    "C_DigestKey: the digest is not of the data and the key");
	}
	/* Sensitive by default: the value never shows, the key works. */
	RV_IS(f->C_GenerateKey(s, &m_gen, sens, 3, &sk), CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, sk, &val, 1), CKR_ATTRIBUTE_SENSITIVE);
	RV_IS(f->C_EncryptInit(s, &m_cbc, sk), CKR_OK);
	p11_free(p);
	return failures > 0;
}

/* The OpenSSL key of a token public key (its CKA_PUBLIC_KEY_INFO). */
static EVP_PKEY *
openssl_pub(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	CK_BYTE der[2048];
	CK_ATTRIBUTE a = { CKA_PUBLIC_KEY_INFO, der, sizeof(der) };
	const CK_BYTE *p = der;

	if (f->C_GetAttributeValue(s, pub, &a, 1) != CKR_OK)
		return NULL;
	return d2i_PUBKEY(NULL, &p, (long)a.ulValueLen);
}

/* Signs "data" on the token; OpenSSL verifies with md and padding (for
 * ECDSA, r || s is made DER first), and so does the token. */
static void
sig_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv,
    EVP_PKEY *k, CK_MECHANISM *m, const EVP_MD *md, int padding)
{
	static const CK_BYTE data[] = "the token signs, OpenSSL verifies";
	CK_BYTE sig[512], der[160];
	CK_ULONG n = sizeof(sig);
	const CK_BYTE *sp = sig;
	size_t sn;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	ECDSA_SIG *es = NULL;
	int ok = 0;

	RV_IS(f->C_SignInit(s, m, priv), CKR_OK);
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR)data, sizeof(data), sig, &n), CKR_OK);
	sn = n;
	if (padding < 0) {
		unsigned char *dp = der;
		BIGNUM *r = BN_bin2bn(sig, (int)n / 2, NULL);
		BIGNUM *sv = BN_bin2bn(sig + n / 2, (int)n / 2, NULL);

		if ((es = ECDSA_SIG_new()) == NULL || r == NULL || sv == NULL ||
		    ECDSA_SIG_set0(es, r, sv) != 1) {
			BN_free(r);
			BN_free(sv);
			goto out;
		}
		sn = (size_t)i2d_ECDSA_SIG(es, &dp);
		sp = der;
	}
	if (mc != NULL && EVP_DigestVerifyInit(mc, &pc, md, NULL, k) == 1 &&
	    (padding < 0 || EVP_PKEY_CTX_set_rsa_padding(pc, padding) == 1) &&
	    (padding != RSA_PKCS1_PSS_PADDING ||
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_AUTO) == 1) &&
	    EVP_DigestVerify(mc, sp, sn, data, sizeof(data)) == 1)
		ok = 1;
out:
	EXPECT(ok, "mechanism 0x%lx: OpenSSL does not verify the signature",
	    m->mechanism);
	RV_IS(f->C_VerifyInit(s, m, pub), CKR_OK);
	RV_IS(f->C_Verify(s, (CK_BYTE_PTR)data, sizeof(data), sig, n), CKR_OK);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mc);
}

/* An Edwards pair (curve params as given) signs as OpenSSL verifies. */
static void
check_eddsa(CK_SESSION_HANDLE s, const CK_BYTE *params, CK_ULONG plen,
    CK_ULONG siglen)
{
	CK_MECHANISM mg = { 0x1055, NULL, 0 }, m = { 0x1057, NULL, 0 };
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, (void *)params, plen },
		{ CKA_VERIFY, &yes, sizeof(yes) } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) } };
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_BYTE msg[2000], sig[128], sig2[128];
	CK_ULONG n = sizeof(sig), n2 = sizeof(sig2);
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *mc = EVP_MD_CTX_new();

	memset(msg, 0x3c, sizeof(msg));
	RV_IS(f->C_GenerateKeyPair(s, &mg, pubt, 3, privt, 2, &pub, &priv),
	    CKR_OK);
	RV_IS(f->C_SignInit(s, &m, priv), CKR_OK);
	RV_IS(f->C_Sign(s, msg, sizeof(msg), sig, &n), CKR_OK);
	EXPECT(n == siglen, "EdDSA signature of %lu bytes", n);
	RV_IS(f->C_SignInit(s, &m, priv), CKR_OK);
	RV_IS(f->C_SignUpdate(s, msg, 1000), CKR_OK);
	RV_IS(f->C_SignUpdate(s, msg + 1000, 1000), CKR_OK);
	RV_IS(f->C_SignFinal(s, sig2, &n2), CKR_OK);
	/* EdDSA is deterministic. */
	EXPECT(n2 == n && memcmp(sig, sig2, n) == 0,
	    "multi-part EdDSA differs from single-part");
	if ((k = openssl_pub(s, pub)) == NULL || mc == NULL ||
	    EVP_DigestVerifyInit(mc, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestVerify(mc, sig, n, msg, sizeof(msg)) != 1)
		EXPECT(0, "OpenSSL does not verify the EdDSA signature (%lu)",
		    siglen);
	RV_IS(f->C_VerifyInit(s, &m, pub), CKR_OK);
	RV_IS(f->C_Verify(s, msg, sizeof(msg), sig, n), CKR_OK);
	sig[5] ^= 1;
	RV_IS(f->C_VerifyInit(s, &m, pub), CKR_OK);
	RV_IS(f->C_Verify(s, msg, sizeof(msg), sig, n), CKR_SIGNATURE_INVALID);
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(k);
}

static int
cmd_signatures(const char *module, const char *label, const char *pin)
{
	static const CK_BYTE e[] = { 1, 0, 1 };
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE rpub = 0, rpriv = 0, epub = 0, epriv = 0;
	EVP_PKEY *rk = NULL, *ek = NULL;
	CK_RSA_PKCS_PSS_PARAMS pss = { CKM_SHA_1, CKG_MGF1_SHA1, 20 };
	CK_MECHANISM m = { 0, NULL, 0 };
	CK_BYTE raw[256], sig[256], rec[256];
	CK_ULONG n = sizeof(sig);
	size_t rn = sizeof(rec);
	EVP_PKEY_CTX *pc = NULL;
	struct {
		CK_MECHANISM_TYPE mech, hash, mgf;
		const EVP_MD *(*md)(void);
	} psses[] = {
		{ CKM_SHA1_RSA_PKCS_PSS, CKM_SHA_1, CKG_MGF1_SHA1, EVP_sha1 },
		{ CKM_SHA224_RSA_PKCS_PSS, CKM_SHA224, CKG_MGF1_SHA224,
		    EVP_sha224 },
		{ CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384,
		    EVP_sha384 },
		{ CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512,
		    EVP_sha512 },
	};
	static const struct {
		CK_MECHANISM_TYPE mech;
		const char *name;
	} digests[] = { { CKM_SHA224, "SHA224" }, { 0x2b5, "SHA3-224" },
		{ 0x2b0, "SHA3-256" }, { 0x2c0, "SHA3-384" },
		{ 0x2d0, "SHA3-512" } };
	size_t i;

	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	RV_IS(gen_rsa(s, e, sizeof(e), &rpub, &rpriv), CKR_OK);
	RV_IS(gen_ec(s, &epub, &epriv), CKR_OK);
	if ((rk = openssl_pub(s, rpub)) == NULL ||
	    (ek = openssl_pub(s, epub)) == NULL) {
		EXPECT(0, "the public keys");
		goto out;
	}
	m.mechanism = CKM_SHA1_RSA_PKCS;
	sig_check(s, rpub, rpriv, rk, &m, EVP_sha1(), RSA_PKCS1_PADDING);
	m.mechanism = CKM_SHA224_RSA_PKCS;
	sig_check(s, rpub, rpriv, rk, &m, EVP_sha224(), RSA_PKCS1_PADDING);
	for (i = 0; i < sizeof(psses) / sizeof(psses[0]); i++) {
		pss.hashAlg = psses[i].hash;
		pss.mgf = psses[i].mgf;
		pss.sLen = (CK_ULONG)EVP_MD_get_size(psses[i].md());
		m.mechanism = psses[i].mech;
		m.pParameter = &pss;
		m.ulParameterLen = sizeof(pss);
		sig_check(s, rpub, rpriv, rk, &m, psses[i].md(),
		    RSA_PKCS1_PSS_PADDING);
	}
	/* A hashing PSS mechanism with another hash in its parameters. */
	pss.hashAlg = CKM_SHA256;
	RV_IS(f->C_SignInit(s, &m, rpriv), CKR_MECHANISM_PARAM_INVALID);
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	m.mechanism = CKM_ECDSA_SHA1;
	sig_check(s, epub, epriv, ek, &m, EVP_sha1(), -1);
	m.mechanism = CKM_ECDSA_SHA224;
	sig_check(s, epub, epriv, ek, &m, EVP_sha224(), -1);
	m.mechanism = CKM_ECDSA_SHA512;
	sig_check(s, epub, epriv, ek, &m, EVP_sha512(), -1);
	check_eddsa(s, (const CK_BYTE *)"\x06\x03\x2b\x65\x70", 5, 64);
	check_eddsa(s,
	    (const CK_BYTE *)"\x13\x0a"
			     "edwards448",
	    12, 114);
	/* Digests: SHA-224 and SHA-3 (PKCS#11 3.0 numbers), as OpenSSL. */
	for (i = 0; i < sizeof(digests) / sizeof(digests[0]); i++) {
		CK_MECHANISM dm = { digests[i].mech, NULL, 0 };
		CK_BYTE want[64];
		unsigned int wn = 0;

		n = sizeof(sig);
		RV_IS(f->C_DigestInit(s, &dm), CKR_OK);
		RV_IS(f->C_Digest(s, (CK_BYTE_PTR) "abc", 3, sig, &n), CKR_OK);
		EXPECT(EVP_Digest("abc", 3, want, &wn,
			   EVP_get_digestbyname(digests[i].name), NULL) == 1 &&
			n == wn && memcmp(sig, want, wn) == 0,
		    "digest %s differs from OpenSSL's", digests[i].name);
	}
	n = sizeof(sig);
	/* Raw RSA: a short number, left-padded; OpenSSL recovers it. */
	memset(raw, 0x11, sizeof(raw));
	m.mechanism = CKM_RSA_X_509;
	RV_IS(f->C_SignInit(s, &m, rpriv), CKR_OK);
	RV_IS(f->C_Sign(s, raw, 100, sig, &n), CKR_OK);
	if ((pc = EVP_PKEY_CTX_new(rk, NULL)) == NULL ||
	    EVP_PKEY_verify_recover_init(pc) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_verify_recover(pc, rec, &rn, sig, n) != 1 || rn != 256 ||
	    memcmp(rec + 156, raw, 100) != 0 || rec[0] != 0 || rec[155] != 0)
		EXPECT(0, "raw RSA: OpenSSL recovers something else");
	RV_IS(f->C_VerifyInit(s, &m, rpub), CKR_OK);
	RV_IS(f->C_Verify(s, raw, 100, sig, n), CKR_OK);
out:
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ek);
	p11_free(p);
	return failures > 0;
}

/* PKCS#11 3.0's CK_INTERFACE and the start of CK_FUNCTION_LIST_3_0 (the
 * headers predate them): the 2.40 list, then the 3.0 functions. */
struct iface {
	CK_UTF8CHAR *name;
	void *list;
	CK_FLAGS flags;
};

typedef CK_RV list_fn(struct iface *, CK_ULONG *);
typedef CK_RV iface_fn(CK_UTF8CHAR *, CK_VERSION *, struct iface **, CK_FLAGS);
typedef CK_RV login_user_fn(CK_SESSION_HANDLE, CK_USER_TYPE, CK_UTF8CHAR *,
    CK_ULONG, CK_UTF8CHAR *, CK_ULONG);
typedef CK_RV cancel_fn(CK_SESSION_HANDLE, CK_FLAGS);
typedef CK_RV msg_init_fn(CK_SESSION_HANDLE, CK_MECHANISM *, CK_OBJECT_HANDLE);
typedef CK_RV msg_final_fn(CK_SESSION_HANDLE);

struct list30 {
	CK_FUNCTION_LIST v2;
	list_fn *GetInterfaceList;
	iface_fn *GetInterface;
	login_user_fn *LoginUser;
	cancel_fn *SessionCancel;
	msg_init_fn *MessageEncryptInit;
	void *rest[13];
	msg_final_fn *MessageSignFinal;
	void *rest2[5];
};

static void
check_interfaces(const char *module, CK_SLOT_ID slot, const char *pin)
{
	void *dl = dlopen(module, RTLD_NOW);
	CK_RV (*get_list)(struct iface *, CK_ULONG *) = NULL;
	CK_RV(*get)
	(CK_UTF8CHAR *, CK_VERSION *, struct iface **, CK_FLAGS) = NULL;
	struct iface list[4], *i = NULL;
	CK_ULONG n = 0;
	CK_VERSION v240 = { 2, 40 }, v30 = { 3, 0 }, v31 = { 3, 1 };
	struct list30 *l3 = NULL;
	CK_INFO info;
	CK_SESSION_HANDLE s = 0;
	CK_MECHANISM m = { CKM_SHA256, NULL, 0 };
	CK_BYTE out[64];
	CK_ULONG on = sizeof(out);

	if (dl == NULL ||
	    (*(void **)&get_list = dlsym(dl, "C_GetInterfaceList")) == NULL ||
	    (*(void **)&get = dlsym(dl, "C_GetInterface")) == NULL) {
		EXPECT(0, "C_GetInterfaceList / C_GetInterface not exported");
		goto out;
	}
	RV_IS(get_list(NULL, &n), CKR_OK);
	EXPECT(n == 2, "%lu interfaces, want 2", n);
	n = 1;
	RV_IS(get_list(list, &n), CKR_BUFFER_TOO_SMALL);
	EXPECT(n == 2, "C_GetInterfaceList's count: %lu", n);
	RV_IS(get_list(list, &n), CKR_OK);
	EXPECT(n == 2 && strcmp((char *)list[0].name, "PKCS 11") == 0 &&
		strcmp((char *)list[1].name, "PKCS 11") == 0 &&
		((CK_VERSION *)list[0].list)->major == 3 &&
		((CK_VERSION *)list[0].list)->minor == 0 &&
		((CK_VERSION *)list[1].list)->major == 2 &&
		((CK_VERSION *)list[1].list)->minor == 40,
	    "the interfaces are not PKCS 11 3.0 and 2.40");
	/* The default is the newest; each version by its number. */
	RV_IS(get(NULL, NULL, &i, 0), CKR_OK);
	EXPECT(i != NULL && i->list == list[0].list, "default interface");
	RV_IS(get((CK_UTF8CHAR *)"PKCS 11", &v240, &i, 0), CKR_OK);
	EXPECT(i != NULL && i->list == list[1].list, "the 2.40 interface");
	RV_IS(get((CK_UTF8CHAR *)"PKCS 11", &v30, &i, 0), CKR_OK);
	EXPECT(i != NULL && i->list == list[0].list, "the 3.0 interface");
	RV_IS(get((CK_UTF8CHAR *)"PKCS 11", &v31, &i, 0), CKR_ARGUMENTS_BAD);
	RV_IS(get((CK_UTF8CHAR *)"Vendor", NULL, &i, 0), CKR_ARGUMENTS_BAD);
	/* C_GetInfo by the interface called through. */
	l3 = list[0].list;
	RV_IS(l3->v2.C_GetInfo(&info), CKR_OK);
	EXPECT(info.cryptokiVersion.major == 3 && info.cryptokiVersion.minor == 0,
	    "C_GetInfo through 3.0 says %u.%u", info.cryptokiVersion.major,
	    info.cryptokiVersion.minor);
	RV_IS(((CK_FUNCTION_LIST *)list[1].list)->C_GetInfo(&info), CKR_OK);
	EXPECT(info.cryptokiVersion.major == 2 && info.cryptokiVersion.minor == 40,
	    "C_GetInfo through 2.40 says %u.%u", info.cryptokiVersion.major,
	    info.cryptokiVersion.minor);
	RV_IS(f->C_GetInfo(&info), CKR_OK);
	EXPECT(info.cryptokiVersion.major == 2,
	    "C_GetFunctionList's C_GetInfo says %u", info.cryptokiVersion.major);
	/* The 3.0 functions. */
	RV_IS(l3->v2.C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
	    CKR_OK);
	RV_IS(l3->LoginUser(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin),
		  (CK_UTF8CHAR *)"alice", 5),
	    CKR_FUNCTION_NOT_SUPPORTED);
	RV_IS(l3->LoginUser(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin), NULL, 0),
	    CKR_OK);
	RV_IS(l3->v2.C_DigestInit(s, &m), CKR_OK);
	RV_IS(l3->SessionCancel(s, CKF_SIGN), CKR_OK);
	RV_IS(l3->v2.C_DigestUpdate(s, (CK_BYTE *)"abc", 3), CKR_OK);
	RV_IS(l3->SessionCancel(s, CKF_DIGEST), CKR_OK);
	RV_IS(l3->v2.C_DigestFinal(s, out, &on), CKR_OPERATION_NOT_INITIALIZED);
	RV_IS(l3->v2.C_DigestInit(s, &m), CKR_OK);
	RV_IS(l3->SessionCancel(0x7fffffff, CKF_DIGEST),
	    CKR_SESSION_HANDLE_INVALID);
	RV_IS(l3->MessageEncryptInit(s, &m, 0), CKR_FUNCTION_NOT_SUPPORTED);
	RV_IS(l3->MessageSignFinal(s), CKR_FUNCTION_NOT_SUPPORTED);
	(void)l3->v2.C_Logout(s);
	(void)l3->v2.C_CloseSession(s);
out:
	if (dl != NULL)
		dlclose(dl);
}

/* C_SeedRandom is CKR_RANDOM_SEED_NOT_SUPPORTED, deliberately (the
 * token's generator is OpenSSL's DRBG, seeded by the kernel: docs/token.md),
 * on a valid session only; the generator works on. */
static void
check_seed(CK_SESSION_HANDLE s)
{
	CK_BYTE seed[16] = "a chosen seed!!", a[32], b[32];

	RV_IS(f->C_SeedRandom(s, seed, sizeof(seed)),
	    CKR_RANDOM_SEED_NOT_SUPPORTED);
	RV_IS(f->C_SeedRandom(s + 1000, seed, sizeof(seed)),
	    CKR_SESSION_HANDLE_INVALID);
	RV_IS(f->C_GenerateRandom(s, a, sizeof(a)), CKR_OK);
	RV_IS(f->C_SeedRandom(s, seed, sizeof(seed)),
	    CKR_RANDOM_SEED_NOT_SUPPORTED);
	RV_IS(f->C_GenerateRandom(s, b, sizeof(b)), CKR_OK);
	EXPECT(memcmp(a, b, sizeof(a)) != 0, "C_GenerateRandom repeats itself");
}

static int
cmd_spec(const char *module, const char *label, const char *pin)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;

	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	check_initialize();
	check_login(slot, pin);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	check_exponent(s);
	check_operation_active(s);
	check_modifiable(s);
	check_usage(s);
	check_rsa_encrypt(s);
	check_ecdh(s);
	check_seed(s);
	(void)f->C_CloseSession(s);
	check_interfaces(module, slot, pin);
	p11_free(p);
	return failures > 0;
}

int
main(int argc, char **argv)
{
	int r = 2;

	if (argc == 5 && strcmp(argv[1], "spec") == 0)
		r = cmd_spec(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "signatures") == 0)
		r = cmd_signatures(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "symmetric") == 0)
		r = cmd_symmetric(argv[2], argv[3], argv[4]);
	if (argc == 7 && strcmp(argv[1], "profile") == 0)
		r = cmd_profile(argv[2], argv[3], argv[4], argv[5], argv[6]);
	if (argc == 6 && strcmp(argv[1], "fork") == 0)
		r = cmd_fork(argv[2], argv[3], argv[4], argv[5]);
	if (r == 2) {
		fprintf(stderr,
		    "usage: p11_spec spec MODULE LABEL PIN\n"
		    "       p11_spec symmetric MODULE LABEL PIN\n"
		    "       p11_spec signatures MODULE LABEL PIN\n"
		    "       p11_spec fork MODULE LABEL PIN GOFILE\n"
		    "       p11_spec profile MODULE LABEL PIN ca|general TOKENFILE\n");
		return 2;
	}
	if (r == 0)
		printf("%s: ok\n", argv[1]);
	return r;
}
