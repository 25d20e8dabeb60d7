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
 *     CKR_OPERATION_ACTIVE and the operation goes on.
 *
 * Prints "FAIL: ..." for each failed check, "<command>: ok" at the end
 * when none failed, and exits 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "p11/p11.h"

static int failures;
static CK_FUNCTION_LIST *f;
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

#define EXPECT(cond, ...)                                 \
	do {                                              \
		if (!(cond)) {                            \
			failures++;                       \
			printf("FAIL: " __VA_ARGS__);     \
			printf(" (line %d)\n", __LINE__); \
		}                                         \
	} while (0)

#define RV_IS(expr, want)                                                    \
	do {                                                                 \
		CK_RV got_ = (expr);                                         \
		EXPECT(got_ == (want), "%s gave %s (0x%lx), want %s", #expr, \
		    p11_rv_name(got_), got_, p11_rv_name(want));             \
	} while (0)

static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	0x01, 0x07 };

/* Opens the module and finds the token; NULL after printing why. */
static struct p11 *
open_token(const char *module, const char *label, CK_SLOT_ID *slot)
{
	struct p11 *p = NULL;
	CK_TOKEN_INFO ti;

	if (p11_open(module, &p) != 0 ||
	    p11_find_token(p, label, slot, &ti) != 0) {
		printf("FAIL: cannot open %s or find token %s\n", module, label);
		p11_free(p);
		return NULL;
	}
	f = p11_fn(p);
	return p;
}

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
	RV_IS(f->C_SignFinal(s, sig, &n), CKR_OPERATION_ACTIVE);
	n = sizeof(sig);
	RV_IS(f->C_Sign(s, (CK_BYTE_PTR) "abc", 3, sig, &n), CKR_OK);
	RV_IS(f->C_VerifyInit(s, &m_ec, pub), CKR_OK);
	RV_IS(f->C_VerifyUpdate(s, (CK_BYTE_PTR) "ab", 2), CKR_OK);
	RV_IS(f->C_Verify(s, (CK_BYTE_PTR) "abc", 3, sig, n),
	    CKR_OPERATION_ACTIVE);
	RV_IS(f->C_VerifyUpdate(s, (CK_BYTE_PTR) "c", 1), CKR_OK);
	RV_IS(f->C_VerifyFinal(s, sig, n), CKR_OK);
}

static int
cmd_spec(const char *module, const char *label, const char *pin)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;

	if ((p = open_token(module, label, &slot)) == NULL)
		return 1;
	check_initialize();
	check_login(slot, pin);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)), CKR_OK);
	check_exponent(s);
	check_operation_active(s);
	(void)f->C_CloseSession(s);
	p11_free(p);
	return failures > 0;
}

int
main(int argc, char **argv)
{
	int r = 2;

	if (argc == 5 && strcmp(argv[1], "spec") == 0)
		r = cmd_spec(argv[2], argv[3], argv[4]);
	if (r == 2) {
		fprintf(stderr, "usage: p11_spec spec MODULE LABEL PIN\n");
		return 2;
	}
	if (r == 0)
		printf("%s: ok\n", argv[1]);
	return r;
}
