/* p11_sym: secret keys and the mechanisms around them that issue 10
 * left (tests/token/gcm_params.sh, des3.sh, rsa_wrap.sh,
 * secret_usage.sh, mech_flags.sh), each checked against OpenSSL.
 *
 *   p11_sym gcm MODULE LABEL PIN
 *     CKM_AES_GCM with CK_GCM_PARAMS in the PKCS#11 3.0 layout (ulIvBits
 *     0 or the IV's bits) and in the 2.40 layout (no ulIvBits), tags of
 *     96 to 128 bits: the token's output equals OpenSSL's (the tag cut to
 *     its length) and decrypts back; a wrong length or tag size is
 *     CKR_MECHANISM_PARAM_INVALID.
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

/* Opens the module, finds the token and logs in on a R/W session; NULL
 * after printing why. */
static struct p11 *
open_login(const char *module, const char *label, const char *pin,
    CK_SLOT_ID *slot, CK_SESSION_HANDLE *s)
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
	if (f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		NULL, s) != CKR_OK ||
	    f->C_Login(*s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		(CK_ULONG)strlen(pin)) != CKR_OK) {
		printf("FAIL: cannot open a session and log in\n");
		p11_free(p);
		return NULL;
	}
	return p;
}

static int
done(struct p11 *p, const char *cmd)
{
	p11_free(p);
	if (failures == 0)
		printf("%s: ok\n", cmd);
	return failures > 0;
}

/* A readable session secret key from C_GenerateKey with the uses given
 * (CK_ATTRIBUTE_TYPE list ending in 0); its bytes in v. */
static CK_OBJECT_HANDLE
gen_key(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mt, CK_ULONG len,
    const CK_ATTRIBUTE_TYPE *uses, CK_BYTE *v)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_ATTRIBUTE t[16] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_ULONG n = mt == CKM_DES3_KEY_GEN ? 3 : 4;
	CK_ATTRIBUTE a = { CKA_VALUE, v, 64 };
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	for (; *uses != 0 && n < 16; uses++, n++) {
		t[n].type = *uses;
		t[n].pValue = &yes;
		t[n].ulValueLen = sizeof(yes);
	}
	if ((rv = f->C_GenerateKey(s, &m, t, n, &h)) != CKR_OK ||
	    (rv = f->C_GetAttributeValue(s, h, &a, 1)) != CKR_OK) {
		EXPECT(0, "C_GenerateKey 0x%lx (%lu bytes): %s", mt, len,
		    p11_rv_name(rv));
		return 0;
	}
	EXPECT(a.ulValueLen == len, "key length %lu, want %lu", a.ulValueLen,
	    len);
	return h;
}

static const CK_ATTRIBUTE_TYPE enc_dec[] = { CKA_ENCRYPT, CKA_DECRYPT, 0 };

/* ---- gcm ---- */

/* CK_GCM_PARAMS as PKCS#11 2.40's headers had it. */
struct gcm_params_240 {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
};

/* OpenSSL's AES-256-GCM of in: the ciphertext and a tag of taglen. */
static int
ossl_gcm(const CK_BYTE *key, const CK_BYTE *iv, size_t ivlen, const CK_BYTE *aad,
    size_t aadlen, const CK_BYTE *in, size_t n, size_t taglen, CK_BYTE *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = 0;

	if (c != NULL &&
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen, NULL) == 1 &&
	    EVP_EncryptInit_ex(c, NULL, NULL, key, iv) == 1 &&
	    EVP_EncryptUpdate(c, NULL, &l1, aad, (int)aadlen) == 1 &&
	    EVP_EncryptUpdate(c, out, &l1, in, (int)n) == 1 &&
	    EVP_EncryptFinal_ex(c, out + l1, &l2) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, (int)taglen,
		out + l1 + l2) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* One GCM parameter block: encryption equals OpenSSL's, decryption
 * gives the plaintext back. */
static void
gcm_once(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const CK_BYTE *key,
    void *params, CK_ULONG plen, const CK_BYTE *iv, size_t ivlen,
    const CK_BYTE *aad, size_t aadlen, size_t tagbits)
{
	CK_MECHANISM m = { CKM_AES_GCM, params, plen };
	CK_BYTE in[61], want[128], got[128], back[128];
	CK_ULONG gn = sizeof(got), bn = sizeof(back);
	size_t wn = sizeof(in) + tagbits / 8, i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (CK_BYTE)(i * 7 + 1);
	if (!ossl_gcm(key, iv, ivlen, aad, aadlen, in, sizeof(in), tagbits / 8,
		want)) {
		EXPECT(0, "OpenSSL GCM, tag of %zu bits", tagbits);
		return;
	}
	RV_IS(f->C_EncryptInit(s, &m, h), CKR_OK);
	RV_IS(f->C_Encrypt(s, in, sizeof(in), got, &gn), CKR_OK);
	EXPECT(gn == wn && memcmp(got, want, wn) == 0,
	    "GCM (parameters of %lu bytes, tag %zu bits, IV %zu bytes) "
	    "differs from OpenSSL's (%lu bytes)",
	    plen, tagbits, ivlen, gn);
	RV_IS(f->C_DecryptInit(s, &m, h), CKR_OK);
	RV_IS(f->C_Decrypt(s, want, wn, back, &bn), CKR_OK);
	EXPECT(bn == sizeof(in) && memcmp(back, in, sizeof(in)) == 0,
	    "GCM decryption (tag %zu bits) is not the plaintext", tagbits);
}

static int
cmd_gcm(const char *module, const char *label, const char *pin)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_BYTE key[64], iv[16], aad[] = "associated";
	CK_GCM_PARAMS g;
	struct gcm_params_240 o;
	CK_MECHANISM m = { CKM_AES_GCM, &g, sizeof(g) };
	CK_OBJECT_HANDLE h;
	size_t tag, i;

	if ((p = open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	if ((h = gen_key(s, CKM_AES_KEY_GEN, 32, enc_dec, key)) == 0)
		return done(p, "gcm");
	for (i = 0; i < sizeof(iv); i++)
		iv[i] = (CK_BYTE)(0x30 + i);
	for (tag = 96; tag <= 128; tag += 8) {
		/* 3.0: ulIvBits the IV's bits, or left 0. */
		memset(&g, 0, sizeof(g));
		g.pIv = iv;
		g.ulIvLen = 12;
		g.ulIvBits = 96;
		g.pAAD = aad;
		g.ulAADLen = sizeof(aad);
		g.ulTagBits = tag;
		gcm_once(s, h, key, &g, sizeof(g), iv, 12, aad, sizeof(aad), tag);
		g.ulIvBits = 0;
		gcm_once(s, h, key, &g, sizeof(g), iv, 12, aad, sizeof(aad), tag);
		/* 2.40: no ulIvBits; a 16-byte IV. */
		memset(&o, 0, sizeof(o));
		o.pIv = iv;
		o.ulIvLen = 16;
		o.pAAD = aad;
		o.ulAADLen = sizeof(aad);
		o.ulTagBits = tag;
		gcm_once(s, h, key, &o, sizeof(o), iv, 16, aad, sizeof(aad), tag);
	}
	/* What neither layout is, and tags out of range. */
	m.ulParameterLen = sizeof(g) - 1;
	RV_IS(f->C_EncryptInit(s, &m, h), CKR_MECHANISM_PARAM_INVALID);
	m.ulParameterLen = sizeof(g);
	g.ulTagBits = 136;
	RV_IS(f->C_EncryptInit(s, &m, h), CKR_MECHANISM_PARAM_INVALID);
	g.ulTagBits = 100;
	RV_IS(f->C_EncryptInit(s, &m, h), CKR_MECHANISM_PARAM_INVALID);
	m.pParameter = NULL;
	g.ulTagBits = 128;
	RV_IS(f->C_EncryptInit(s, &m, h), CKR_MECHANISM_PARAM_INVALID);
	return done(p, "gcm");
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "gcm") == 0)
		return cmd_gcm(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: p11_sym gcm MODULE LABEL PIN\n");
	return 2;
}
