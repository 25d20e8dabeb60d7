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
 *   p11_sym rsawrap MODULE LABEL PIN
 *     C_WrapKey with an RSA public key and C_UnwrapKey with its private
 *     key, CKM_RSA_PKCS and CKM_RSA_PKCS_OAEP (SHA-1, and SHA-256 with a
 *     label), of AES, generic secret and DES3 keys: a key OpenSSL encrypted to
 *     the token's public key unwraps to its value; a key the token
 *     wrapped unwraps to the same key (equal values, or for a sensitive
 *     key equal AES encryptions); a wrong label or a changed byte is
 *     CKR_WRAPPED_KEY_INVALID, a key without CKA_WRAP / CKA_UNWRAP does
 *     not wrap / unwrap.
 *
 *   p11_sym des3 MODULE LABEL PIN DIR
 *     (a general token) CKM_DES3_KEY_GEN makes 24-byte keys with their
 *     parity bits set; C_CreateObject imports a DES3 key, not one whose
 *     parity is wrong; CKM_DES3_ECB, CBC and CBC_PAD single- and
 *     multi-part equal OpenSSL's DES-EDE3 and decrypt back; CBC_PAD
 *     wraps and unwraps a key. Then imports the key in DIR/key (hex),
 *     decrypts DIR/theirs (`openssl enc -des-ede3-cbc` of DIR/plain, IV
 *     DIR/iv) into DIR/back and encrypts DIR/plain into DIR/cipher for
 *     `openssl enc -d`.
 *
 *   p11_sym usage MODULE LABEL PIN
 *     (a general token) a secret key may be allowed only the uses a
 *     mechanism performs with its type: C_GenerateKey, C_CreateObject,
 *     C_DeriveKey, C_UnwrapKey, C_CopyObject and C_SetAttributeValue
 *     asking more are CKR_TEMPLATE_INCONSISTENT (a generic secret that
 *     derives, an AES key that derives, a DES3 key that signs), but for
 *     a generic secret's encrypt, decrypt, wrap and unwrap, which a
 *     general token allows (as general applications ask them) and no
 *     mechanism performs (CKR_KEY_TYPE_INCONSISTENT); and each *Init,
 *     C_WrapKey and C_UnwrapKey refuses a use the key is not allowed
 *     (CKR_KEY_FUNCTION_NOT_PERMITTED).
 *
 *   p11_sym mechflags MODULE LABEL PIN
 *     the mechanism flags audit: for every mechanism C_GetMechanismList
 *     gives, C_GetMechanismInfo's flags are what the token does. Each
 *     flag set (encrypt, decrypt, sign, verify, wrap, unwrap, digest,
 *     generate, generate key pair, derive) is done with a key of the
 *     token's own (AES, DES3, generic secret, RSA, P-256, Ed25519),
 *     decryption and verification taking back what encryption and
 *     signing gave; each flag not set is refused with every key; the
 *     key used lies in the announced size range.
 *
 * Prints "FAIL: ..." for each failed check, "<command>: ok" at the end
 * when none failed, and exits 1 if any failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "p11/p11.h"
#include "p11_check.h"

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

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

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	if ((h = gen_key(s, CKM_AES_KEY_GEN, 32, enc_dec, key)) == 0)
		return p11c_done(p, "gcm");
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
	return p11c_done(p, "gcm");
}

/* ---- rsawrap ---- */

/* The OpenSSL key of a token public key (its CKA_PUBLIC_KEY_INFO). */
static EVP_PKEY *
openssl_pub(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	CK_BYTE der[2048];
	CK_ATTRIBUTE a = { CKA_PUBLIC_KEY_INFO, der, sizeof(der) };
	const unsigned char *q = der;

	if (f->C_GetAttributeValue(s, pub, &a, 1) != CKR_OK)
		return NULL;
	return d2i_PUBKEY(NULL, &q, (long)a.ulValueLen);
}

/* OpenSSL's RSA encryption of in to k: PKCS#1 v1.5 (md NULL) or OAEP
 * with md for both hashes and label. */
static int
ossl_rsa_encrypt(EVP_PKEY *k, const EVP_MD *md, const char *label,
    const CK_BYTE *in, size_t n, CK_BYTE *out, size_t *outlen)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	int ok = 0;

	if (c == NULL || EVP_PKEY_encrypt_init(c) != 1)
		goto out;
	if (md == NULL) {
		if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1)
			goto out;
	} else if (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(c, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) != 1) {
		goto out;
	}
	if (label != NULL) {
		void *l = OPENSSL_memdup(label, strlen(label));

		if (l == NULL ||
		    EVP_PKEY_CTX_set0_rsa_oaep_label(c, l, (int)strlen(label)) !=
			1) {
			OPENSSL_free(l);
			goto out;
		}
	}
	ok = EVP_PKEY_encrypt(c, out, outlen, in, n) == 1;
out:
	EVP_PKEY_CTX_free(c);
	return ok;
}

/* An unwrap template: a session secret key of type kt, readable when
 * sensitive is false, allowed to encrypt when it is AES. */
static CK_RV
unwrap(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE priv, CK_BYTE *w,
    CK_ULONG wn, CK_KEY_TYPE kt, CK_BBOOL *sensitive, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, sensitive, sizeof(*sensitive) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
	};

	return f->C_UnwrapKey(s, m, priv, w, wn, t, kt == CKK_AES ? 6 : 5, out);
}

/* The value of a readable secret key equals v. */
static void
value_is(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const CK_BYTE *v, size_t n,
    const char *what)
{
	CK_BYTE got[64];
	CK_ATTRIBUTE a = { CKA_VALUE, got, sizeof(got) };

	RV_IS(f->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
	EXPECT(a.ulValueLen == n && memcmp(got, v, n) == 0,
	    "%s: the unwrapped key is not the key (%lu bytes)", what,
	    a.ulValueLen);
}

/* Two AES keys encrypt a block alike (ECB). */
static void
same_aes(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE a, CK_OBJECT_HANDLE b,
    const char *what)
{
	CK_MECHANISM m = { CKM_AES_ECB, NULL, 0 };
	CK_BYTE in[32] = "the same block under both keys", ca[32], cb[32];
	CK_ULONG na = sizeof(ca), nb = sizeof(cb);

	RV_IS(f->C_EncryptInit(s, &m, a), CKR_OK);
	RV_IS(f->C_Encrypt(s, in, sizeof(in), ca, &na), CKR_OK);
	RV_IS(f->C_EncryptInit(s, &m, b), CKR_OK);
	RV_IS(f->C_Encrypt(s, in, sizeof(in), cb, &nb), CKR_OK);
	EXPECT(na == 32 && nb == 32 && memcmp(ca, cb, 32) == 0,
	    "%s: the unwrapped key encrypts otherwise", what);
}

/* One RSA wrapping mechanism (md and label as OpenSSL is told them). */
static void
rsa_wrap_check(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE pub,
    CK_OBJECT_HANDLE priv, EVP_PKEY *ok, const EVP_MD *md, const char *label,
    CK_OBJECT_HANDLE aes, const CK_BYTE *av, CK_OBJECT_HANDLE gen,
    const CK_BYTE *gv, CK_OBJECT_HANDLE des, const CK_BYTE *dv,
    CK_OBJECT_HANDLE sens, const char *what)
{
	CK_BYTE w[512];
	size_t on = sizeof(w);
	CK_ULONG wn = 0;
	CK_OBJECT_HANDLE u = 0;

	/* OpenSSL wraps, the token unwraps. */
	if (!ossl_rsa_encrypt(ok, md, label, av, 32, w, &on)) {
		EXPECT(0, "%s: OpenSSL encryption", what);
		return;
	}
	RV_IS(unwrap(s, m, priv, w, (CK_ULONG)on, CKK_AES, &no, &u), CKR_OK);
	value_is(s, u, av, 32, what);
	/* A changed byte. */
	w[on / 2] ^= 1;
	RV_IS(unwrap(s, m, priv, w, (CK_ULONG)on, CKK_AES, &no, &u),
	    CKR_WRAPPED_KEY_INVALID);
	/* The token wraps and unwraps: AES, a generic secret. */
	RV_IS(f->C_WrapKey(s, m, pub, aes, NULL, &wn), CKR_OK);
	EXPECT(wn == 256, "%s: wrap length query %lu", what, wn);
	wn = 8;
	RV_IS(f->C_WrapKey(s, m, pub, aes, w, &wn), CKR_BUFFER_TOO_SMALL);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, m, pub, aes, w, &wn), CKR_OK);
	RV_IS(unwrap(s, m, priv, w, wn, CKK_AES, &no, &u), CKR_OK);
	value_is(s, u, av, 32, what);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, m, pub, gen, w, &wn), CKR_OK);
	RV_IS(unwrap(s, m, priv, w, wn, CKK_GENERIC_SECRET, &no, &u), CKR_OK);
	value_is(s, u, gv, 40, what);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, m, pub, des, w, &wn), CKR_OK);
	RV_IS(unwrap(s, m, priv, w, wn, CKK_DES3, &no, &u), CKR_OK);
	value_is(s, u, dv, 24, what);
	/* A sensitive key: the unwrapped one encrypts alike. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, m, pub, sens, w, &wn), CKR_OK);
	RV_IS(unwrap(s, m, priv, w, wn, CKK_AES, &yes, &u), CKR_OK);
	same_aes(s, sens, u, what);
}

static int
cmd_rsawrap(const char *module, const char *label, const char *pin)
{
	static const CK_BYTE e[] = { 0x01, 0x00, 0x01 };
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_ULONG bits = 2048, len32 = 32;
	CK_MECHANISM m_gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_aesgen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e, sizeof(e) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_WRAP, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_UNWRAP, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE senst[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &len32, sizeof(len32) },
	};
	static const CK_ATTRIBUTE_TYPE hmac[] = { CKA_SIGN, CKA_VERIFY, 0 };
	CK_RSA_PKCS_OAEP_PARAMS o1 = { CKM_SHA_1, CKG_MGF1_SHA1,
		CKZ_DATA_SPECIFIED, NULL, 0 };
	CK_RSA_PKCS_OAEP_PARAMS o256 = { CKM_SHA256, CKG_MGF1_SHA256,
		CKZ_DATA_SPECIFIED, (void *)"kyso", 4 };
	CK_RSA_PKCS_OAEP_PARAMS other = { CKM_SHA256, CKG_MGF1_SHA256,
		CKZ_DATA_SPECIFIED, (void *)"other", 5 };
	CK_MECHANISM m_pkcs = { CKM_RSA_PKCS, NULL, 0 };
	CK_MECHANISM m_o1 = { CKM_RSA_PKCS_OAEP, &o1, sizeof(o1) };
	CK_MECHANISM m_o256 = { CKM_RSA_PKCS_OAEP, &o256, sizeof(o256) };
	CK_MECHANISM m_other = { CKM_RSA_PKCS_OAEP, &other, sizeof(other) };
	CK_MECHANISM m_x509 = { CKM_RSA_X_509, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0, pub2 = 0, priv2 = 0, aes, gen, des,
			 sens = 0, u = 0;
	CK_BYTE av[64], gv[64], dv[64], w[512];
	CK_ULONG wn;
	EVP_PKEY *ok = NULL;

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	RV_IS(f->C_GenerateKeyPair(s, &m_gen, pubt, 5, privt, 3, &pub, &priv),
	    CKR_OK);
	if ((ok = openssl_pub(s, pub)) == NULL) {
		EXPECT(0, "the token's public key");
		return p11c_done(p, "rsawrap");
	}
	aes = gen_key(s, CKM_AES_KEY_GEN, 32, enc_dec, av);
	gen = gen_key(s, CKM_GENERIC_SECRET_KEY_GEN, 40, hmac, gv);
	des = gen_key(s, CKM_DES3_KEY_GEN, 24, enc_dec, dv);
	RV_IS(f->C_GenerateKey(s, &m_aesgen, senst, 4, &sens), CKR_OK);
	rsa_wrap_check(s, &m_pkcs, pub, priv, ok, NULL, NULL, aes, av, gen, gv,
	    des, dv, sens, "RSA PKCS#1 v1.5");
	rsa_wrap_check(s, &m_o1, pub, priv, ok, EVP_sha1(), NULL, aes, av, gen,
	    gv, des, dv, sens, "RSA OAEP SHA-1");
	rsa_wrap_check(s, &m_o256, pub, priv, ok, EVP_sha256(), "kyso", aes, av,
	    gen, gv, des, dv, sens, "RSA OAEP SHA-256 with a label");
	/* The label is part of the wrapping. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_o256, pub, aes, w, &wn), CKR_OK);
	RV_IS(unwrap(s, &m_other, priv, w, wn, CKK_AES, &no, &u),
	    CKR_WRAPPED_KEY_INVALID);
	/* Raw RSA does not wrap. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_x509, pub, aes, w, &wn), CKR_MECHANISM_INVALID);
	/* A key pair without CKA_WRAP / CKA_UNWRAP. */
	pubt[4].type = CKA_VERIFY;
	privt[2].type = CKA_SIGN;
	RV_IS(f->C_GenerateKeyPair(s, &m_gen, pubt, 5, privt, 3, &pub2, &priv2),
	    CKR_OK);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_pkcs, pub2, aes, w, &wn),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_pkcs, pub, aes, w, &wn), CKR_OK);
	RV_IS(unwrap(s, &m_pkcs, priv2, w, wn, CKK_AES, &no, &u),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	/* A private key does not wrap, a public one does not unwrap. */
	RV_IS(f->C_WrapKey(s, &m_pkcs, priv, aes, w, &wn),
	    CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
	RV_IS(unwrap(s, &m_pkcs, pub, w, wn, CKK_AES, &no, &u),
	    CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT);
	EVP_PKEY_free(ok);
	return p11c_done(p, "rsawrap");
}

/* ---- des3 ---- */

/* OpenSSL's encryption of in with ci (padding or not). */
static int
ossl_encrypt(const EVP_CIPHER *ci, const CK_BYTE *key, const CK_BYTE *iv,
    int pad, const CK_BYTE *in, size_t n, CK_BYTE *out, size_t *outlen)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = 0;

	if (c != NULL && EVP_EncryptInit_ex(c, ci, NULL, key, iv) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, pad) == 1 &&
	    EVP_EncryptUpdate(c, out, &l1, in, (int)n) == 1 &&
	    EVP_EncryptFinal_ex(c, out + l1, &l2) == 1) {
		*outlen = (size_t)(l1 + l2);
		ok = 1;
	}
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* One DES3 mechanism on n bytes: single-part and three-part encryption
 * equal OpenSSL's; single- and multi-part decryption give it back. */
static void
des3_check(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_MECHANISM *m,
    const EVP_CIPHER *ci, const CK_BYTE *key, const CK_BYTE *iv, int pad,
    size_t n)
{
	CK_BYTE in[100], want[128];
	size_t wn = 0, i;
	const struct p11c_cuts cuts = { { 3, 21 }, 11, 1 };

	for (i = 0; i < n; i++)
		in[i] = (CK_BYTE)(i * 13 + 5);
	if (!ossl_encrypt(ci, key, iv, pad, in, n, want, &wn)) {
		EXPECT(0, "OpenSSL DES3 0x%lx", m->mechanism);
		return;
	}
	p11c_cipher_round_trip(s, h, m, in, n, want, wn, &cuts);
}

static int
odd(CK_BYTE b)
{
	int c = 0;

	for (; b != 0; b &= (CK_BYTE)(b - 1))
		c++;
	return c % 2 == 1;
}

static int
write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *fp;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL)
		return 0;
	ok = fwrite(p, 1, n, fp) == n;
	return fclose(fp) == 0 && ok;
}

static size_t
read_file(const char *dir, const char *name, void *p, size_t max)
{
	char path[4096];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(p, 1, max, fp);
	fclose(fp);
	return n;
}

/* n bytes from 2n hex digits. */
static int
unhex(const char *h, CK_BYTE *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const char *hi, *lo;
	size_t i;

	for (i = 0; i < n; i++) {
		if (h[2 * i] == '\0' || h[2 * i + 1] == '\0' ||
		    (hi = strchr(digits, h[2 * i])) == NULL ||
		    (lo = strchr(digits, h[2 * i + 1])) == NULL)
			return 0;
		out[i] = (CK_BYTE)((hi - digits) * 16 + (lo - digits));
	}
	return 1;
}

/* A DES3 key imported with C_CreateObject (general token): value v. */
static CK_RV import_des3(CK_SESSION_HANDLE s, const CK_BYTE *v,
    CK_OBJECT_HANDLE *h);

/* For the shell: imports the key in DIR/key (hex, parity set), decrypts
 * DIR/theirs (OpenSSL's CBC_PAD encryption of DIR/plain, IV DIR/iv) into
 * DIR/back, and encrypts DIR/plain into DIR/cipher. */
static void
des3_files(CK_SESSION_HANDLE s, const char *dir)
{
	CK_BYTE iv[8], key[24], plain[256], out[300], theirs[300];
	char kh[64] = "", ih[32] = "";
	CK_MECHANISM m = { CKM_DES3_CBC_PAD, iv, 8 };
	CK_ULONG on = sizeof(out);
	CK_OBJECT_HANDLE h = 0;
	size_t pn, tn;

	if (read_file(dir, "key", kh, sizeof(kh) - 1) < 48 ||
	    read_file(dir, "iv", ih, sizeof(ih) - 1) < 16 ||
	    (pn = read_file(dir, "plain", plain, sizeof(plain))) == 0 ||
	    (tn = read_file(dir, "theirs", theirs, sizeof(theirs))) == 0) {
		EXPECT(0, "cannot read the files in %s", dir);
		return;
	}
	if (!unhex(kh, key, 24) || !unhex(ih, iv, 8)) {
		EXPECT(0, "the key or IV in %s is not hex", dir);
		return;
	}
	RV_IS(import_des3(s, key, &h), CKR_OK);
	RV_IS(f->C_DecryptInit(s, &m, h), CKR_OK);
	RV_IS(f->C_Decrypt(s, theirs, (CK_ULONG)tn, out, &on), CKR_OK);
	EXPECT(write_file(dir, "back", out, on), "cannot write back");
	on = sizeof(out);
	RV_IS(f->C_EncryptInit(s, &m, h), CKR_OK);
	RV_IS(f->C_Encrypt(s, plain, (CK_ULONG)pn, out, &on), CKR_OK);
	EXPECT(write_file(dir, "cipher", out, on), "cannot write cipher");
}

/* A DES3 key imported with C_CreateObject (general token): value v. */
static CK_RV
import_des3(CK_SESSION_HANDLE s, const CK_BYTE *v, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_DES3;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
		{ CKA_VALUE, (void *)v, 24 },
	};

	return f->C_CreateObject(s, t, 6, h);
}

static int
cmd_des3(const char *module, const char *label, const char *pin, const char *dir)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_BYTE key[64], fixed[24], iv[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };
	CK_BYTE w[64], v[64];
	CK_MECHANISM m_ecb = { CKM_DES3_ECB, NULL, 0 };
	CK_MECHANISM m_cbc = { CKM_DES3_CBC, iv, 8 };
	CK_MECHANISM m_pad = { CKM_DES3_CBC_PAD, iv, 8 };
	CK_MECHANISM m_gen = { CKM_DES3_KEY_GEN, NULL, 0 };
	CK_MECHANISM_INFO mi = { 0, 0, 0 };
	CK_ULONG len16 = 16, wn = sizeof(w);
	CK_ATTRIBUTE bad[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &len16, sizeof(len16) } };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_DES3;
	CK_ATTRIBUTE ut[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE va = { CKA_VALUE, v, sizeof(v) };
	static const CK_ATTRIBUTE_TYPE wrapper[] = { CKA_ENCRYPT, CKA_DECRYPT,
		CKA_WRAP, CKA_UNWRAP, 0 };
	CK_OBJECT_HANDLE h, imp = 0, u = 0, nk = 0;
	size_t i;
	int parity = 1;

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	RV_IS(f->C_GetMechanismInfo(slot, CKM_DES3_CBC_PAD, &mi), CKR_OK);
	EXPECT((mi.flags & (CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP)) ==
		(CKF_ENCRYPT | CKF_DECRYPT | CKF_WRAP | CKF_UNWRAP),
	    "DES3_CBC_PAD flags 0x%lx", mi.flags);
	if ((h = gen_key(s, CKM_DES3_KEY_GEN, 24, wrapper, key)) == 0)
		return p11c_done(p, "des3");
	for (i = 0; i < 24; i++)
		parity &= odd(key[i]);
	EXPECT(parity, "a generated DES3 key's parity bits are not set");
	RV_IS(f->C_GenerateKey(s, &m_gen, bad, 2, &nk),
	    CKR_TEMPLATE_INCONSISTENT);
	des3_check(s, h, &m_ecb, EVP_des_ede3_ecb(), key, NULL, 0, 64);
	des3_check(s, h, &m_cbc, EVP_des_ede3_cbc(), key, iv, 0, 64);
	des3_check(s, h, &m_pad, EVP_des_ede3_cbc(), key, iv, 1, 61);
	des3_check(s, h, &m_pad, EVP_des_ede3_cbc(), key, iv, 1, 64);
	/* Not a whole block. */
	RV_IS(f->C_EncryptInit(s, &m_cbc, h), CKR_OK);
	wn = sizeof(w);
	RV_IS(f->C_Encrypt(s, key, 12, w, &wn), CKR_DATA_LEN_RANGE);
	/* An IV of AES's length is not DES3's. */
	m_cbc.ulParameterLen = 16;
	RV_IS(f->C_EncryptInit(s, &m_cbc, h), CKR_MECHANISM_PARAM_INVALID);
	/* Imported: parity set, or refused. */
	for (i = 0; i < 24; i++)
		fixed[i] = (CK_BYTE)(i * 37 + 11);
	for (i = 0; i < 24; i++)
		if (!odd(fixed[i]))
			fixed[i] ^= 1;
	RV_IS(import_des3(s, fixed, &imp), CKR_OK);
	des3_check(s, imp, &m_ecb, EVP_des_ede3_ecb(), fixed, NULL, 0, 40);
	fixed[5] ^= 1;
	RV_IS(import_des3(s, fixed, &nk), CKR_ATTRIBUTE_VALUE_INVALID);
	/* CBC_PAD wraps a DES3 key with another one and unwraps it. */
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_pad, h, h, w, &wn), CKR_OK);
	EXPECT(wn == 32, "DES3 wrapping of 24 bytes: %lu bytes", wn);
	RV_IS(f->C_UnwrapKey(s, &m_pad, h, w, wn, ut, 5, &u), CKR_OK);
	RV_IS(f->C_GetAttributeValue(s, u, &va, 1), CKR_OK);
	EXPECT(va.ulValueLen == 24 && memcmp(v, key, 24) == 0,
	    "the unwrapped DES3 key is not the key");
	des3_files(s, dir);
	return p11c_done(p, "des3");
}

/* ---- usage ---- */

/* C_GenerateKey of a session key with the uses (0-terminated). */
static CK_RV
gen_with(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mt, CK_ULONG len,
    const CK_ATTRIBUTE_TYPE *uses, CK_OBJECT_HANDLE *h)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_ATTRIBUTE t[12] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_ULONG n = 2;

	for (; *uses != 0 && n < 12; uses++, n++) {
		t[n].type = *uses;
		t[n].pValue = &yes;
		t[n].ulValueLen = sizeof(yes);
	}
	return f->C_GenerateKey(s, &m, t, n, h);
}

/* ECDH with a fresh P-256 pair of the token and a point of its own,
 * into a key of type kt allowed use. */
static CK_RV
derive_with(CK_SESSION_HANDLE s, CK_KEY_TYPE kt, CK_ATTRIBUTE_TYPE use)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	CK_MECHANISM m_gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_DERIVE, &yes, sizeof(yes) } };
	CK_BYTE pt[80];
	CK_ATTRIBUTE pa = { CKA_EC_POINT, pt, sizeof(pt) };
	CK_ECDH1_DERIVE_PARAMS dp;
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &dp, sizeof(dp) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ULONG len = 32;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ use, &yes, sizeof(yes) },
	};
	CK_OBJECT_HANDLE pub = 0, priv = 0, h = 0;
	CK_RV rv;

	if ((rv = f->C_GenerateKeyPair(s, &m_gen, pubt, 2, privt, 2, &pub,
		 &priv)) != CKR_OK ||
	    (rv = f->C_GetAttributeValue(s, pub, &pa, 1)) != CKR_OK)
		return rv;
	memset(&dp, 0, sizeof(dp));
	dp.kdf = CKD_NULL;
	dp.pPublicData = pt;
	dp.ulPublicDataLen = pa.ulValueLen;
	return f->C_DeriveKey(s, &m, priv, t, 5, &h);
}

static int
cmd_usage(const char *module, const char *label, const char *pin)
{
	static const CK_ATTRIBUTE_TYPE aes_all[] = { CKA_ENCRYPT, CKA_DECRYPT,
		CKA_SIGN, CKA_VERIFY, CKA_WRAP, CKA_UNWRAP, 0 };
	static const CK_ATTRIBUTE_TYPE des_all[] = { CKA_ENCRYPT, CKA_DECRYPT,
		CKA_WRAP, CKA_UNWRAP, 0 };
	static const CK_ATTRIBUTE_TYPE mac[] = { CKA_SIGN, CKA_VERIFY, 0 };
	static const CK_ATTRIBUTE_TYPE aes_derive[] = { CKA_ENCRYPT, CKA_DERIVE,
		0 };
	static const CK_ATTRIBUTE_TYPE aes_recover[] = { CKA_SIGN_RECOVER, 0 };
	static const CK_ATTRIBUTE_TYPE gen_enc[] = { CKA_SIGN, CKA_ENCRYPT, 0 };
	static const CK_ATTRIBUTE_TYPE gen_wrap[] = { CKA_WRAP, 0 };
	static const CK_ATTRIBUTE_TYPE gen_derive[] = { CKA_DERIVE, 0 };
	static const CK_ATTRIBUTE_TYPE des_sign[] = { CKA_ENCRYPT, CKA_SIGN, 0 };
	static const CK_ATTRIBUTE_TYPE only_enc[] = { CKA_ENCRYPT, 0 };
	static const CK_ATTRIBUTE_TYPE only_dec[] = { CKA_DECRYPT, 0 };
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE h = 0, aes = 0, des = 0, hm = 0, enc = 0, dec = 0, u = 0;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BYTE v[20] = "twenty bytes of key", iv[16] = { 0 }, w[64], d[16];
	CK_BYTE kv[64];
	CK_ATTRIBUTE imp[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE, v, sizeof(v) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DERIVE, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE ut[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_DERIVE, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE on = { CKA_DERIVE, &yes, sizeof(yes) };
	CK_ATTRIBUTE off = { CKA_SIGN, &no, sizeof(no) };
	CK_MECHANISM m_cbc = { CKM_AES_CBC, iv, 16 };
	CK_MECHANISM m_cmac = { CKM_AES_CMAC, NULL, 0 };
	CK_MECHANISM m_kw = { CKM_AES_KEY_WRAP, NULL, 0 };
	CK_MECHANISM m_hmac = { CKM_SHA256_HMAC, NULL, 0 };
	CK_ULONG wn = sizeof(w), dn = sizeof(d);

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	/* What each type can do is allowed. */
	RV_IS(gen_with(s, CKM_AES_KEY_GEN, 32, aes_all, &aes), CKR_OK);
	RV_IS(gen_with(s, CKM_DES3_KEY_GEN, 24, des_all, &des), CKR_OK);
	RV_IS(gen_with(s, CKM_GENERIC_SECRET_KEY_GEN, 32, mac, &hm), CKR_OK);
	/* What it cannot, is not: at generation, */
	RV_IS(gen_with(s, CKM_AES_KEY_GEN, 32, aes_derive, &h),
	    CKR_TEMPLATE_INCONSISTENT);
	RV_IS(gen_with(s, CKM_AES_KEY_GEN, 32, aes_recover, &h),
	    CKR_TEMPLATE_INCONSISTENT);
	RV_IS(gen_with(s, CKM_GENERIC_SECRET_KEY_GEN, 32, gen_derive, &h),
	    CKR_TEMPLATE_INCONSISTENT);
	RV_IS(gen_with(s, CKM_DES3_KEY_GEN, 24, des_sign, &h),
	    CKR_TEMPLATE_INCONSISTENT);
	/* import, */
	RV_IS(f->C_CreateObject(s, imp, 6, &h), CKR_TEMPLATE_INCONSISTENT);
	RV_IS(f->C_CreateObject(s, imp, 5, &h), CKR_OK);
	/* derivation, */
	RV_IS(derive_with(s, CKK_GENERIC_SECRET, CKA_DERIVE),
	    CKR_TEMPLATE_INCONSISTENT);
	/* (A generic secret may say encrypt, decrypt, wrap, unwrap: what
	 * general applications ask, pkcs11-tool --derive always; no
	 * mechanism does it.) */
	RV_IS(derive_with(s, CKK_GENERIC_SECRET, CKA_ENCRYPT), CKR_OK);
	RV_IS(gen_with(s, CKM_GENERIC_SECRET_KEY_GEN, 32, gen_wrap, &h), CKR_OK);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_kw, h, hm, w, &wn),
	    CKR_WRAPPING_KEY_TYPE_INCONSISTENT);
	RV_IS(gen_with(s, CKM_GENERIC_SECRET_KEY_GEN, 32, gen_enc, &h), CKR_OK);
	RV_IS(f->C_EncryptInit(s, &m_cbc, h), CKR_KEY_TYPE_INCONSISTENT);
	RV_IS(derive_with(s, CKK_GENERIC_SECRET, CKA_SIGN), CKR_OK);
	RV_IS(derive_with(s, CKK_AES, CKA_ENCRYPT), CKR_OK);
	RV_IS(derive_with(s, CKK_AES, CKA_DERIVE), CKR_TEMPLATE_INCONSISTENT);
	/* unwrapping, */
	RV_IS(f->C_WrapKey(s, &m_kw, aes, hm, w, &wn), CKR_KEY_UNEXTRACTABLE);
	if ((h = gen_key(s, CKM_GENERIC_SECRET_KEY_GEN, 32, mac, kv)) != 0) {
		wn = sizeof(w);
		RV_IS(f->C_WrapKey(s, &m_kw, aes, h, w, &wn), CKR_OK);
		RV_IS(f->C_UnwrapKey(s, &m_kw, aes, w, wn, ut, 4, &u),
		    CKR_TEMPLATE_INCONSISTENT);
		RV_IS(f->C_UnwrapKey(s, &m_kw, aes, w, wn, ut, 3, &u), CKR_OK);
	}
	/* copy and change. */
	RV_IS(f->C_CopyObject(s, hm, &on, 1, &h), CKR_TEMPLATE_INCONSISTENT);
	RV_IS(f->C_SetAttributeValue(s, hm, &on, 1), CKR_TEMPLATE_INCONSISTENT);
	RV_IS(f->C_SetAttributeValue(s, hm, &off, 1), CKR_OK);
	/* The uses are permissions: each operation wants its own. */
	RV_IS(f->C_SignInit(s, &m_hmac, hm), CKR_KEY_FUNCTION_NOT_PERMITTED);
	RV_IS(f->C_VerifyInit(s, &m_hmac, hm), CKR_OK);
	RV_IS(f->C_Verify(s, v, 4, w, 32), CKR_SIGNATURE_INVALID);
	RV_IS(gen_with(s, CKM_AES_KEY_GEN, 16, only_enc, &enc), CKR_OK);
	RV_IS(gen_with(s, CKM_AES_KEY_GEN, 16, only_dec, &dec), CKR_OK);
	RV_IS(f->C_EncryptInit(s, &m_cbc, enc), CKR_OK);
	RV_IS(f->C_Encrypt(s, iv, 16, d, &dn), CKR_OK);
	RV_IS(f->C_DecryptInit(s, &m_cbc, enc), CKR_KEY_FUNCTION_NOT_PERMITTED);
	RV_IS(f->C_EncryptInit(s, &m_cbc, dec), CKR_KEY_FUNCTION_NOT_PERMITTED);
	RV_IS(f->C_DecryptInit(s, &m_cbc, dec), CKR_OK);
	dn = sizeof(d);
	RV_IS(f->C_Decrypt(s, d, 16, d, &dn), CKR_OK);
	RV_IS(f->C_SignInit(s, &m_cmac, enc), CKR_KEY_FUNCTION_NOT_PERMITTED);
	RV_IS(f->C_VerifyInit(s, &m_cmac, enc), CKR_KEY_FUNCTION_NOT_PERMITTED);
	wn = sizeof(w);
	RV_IS(f->C_WrapKey(s, &m_kw, enc, aes, w, &wn),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	RV_IS(f->C_UnwrapKey(s, &m_kw, dec, w, 40, ut, 3, &u),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
	return p11c_done(p, "usage");
}

/* ---- mechflags ---- */

/* The keys the audit tries: one set per key type, the half that
 * encrypts, verifies and wraps (pub) and the one that decrypts, signs
 * and unwraps (priv); a secret key is both. size: its size in the unit
 * C_GetMechanismInfo uses for it (bits for key pairs, bytes for AES and
 * DES3; a generic secret's either). */
struct kset {
	const char *name;
	CK_OBJECT_HANDLE pub, priv;
	CK_ULONG size, size2;
};

enum { KS_AES, KS_DES3, KS_GEN, KS_RSA, KS_EC, KS_ED, KS_N };

/* Parameters a mechanism needs, filled in m. */
struct mparams {
	CK_BYTE iv[16];
	CK_AES_CTR_PARAMS ctr;
	CK_GCM_PARAMS gcm;
	CK_RSA_PKCS_OAEP_PARAMS oaep;
	CK_RSA_PKCS_PSS_PARAMS pss;
	CK_ULONG maclen;
	CK_ECDH1_DERIVE_PARAMS ecdh;
	CK_BYTE point[160];
};

/* The hash of a combined RSA-PSS mechanism, for its parameters. */
static int
pss_hash(CK_MECHANISM_TYPE t, CK_MECHANISM_TYPE *h, CK_RSA_PKCS_MGF_TYPE *g)
{
	static const struct {
		CK_MECHANISM_TYPE m, h;
		CK_RSA_PKCS_MGF_TYPE g;
	} map[] = {
		{ CKM_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256 },
		{ CKM_SHA1_RSA_PKCS_PSS, CKM_SHA_1, CKG_MGF1_SHA1 },
		{ CKM_SHA224_RSA_PKCS_PSS, CKM_SHA224, CKG_MGF1_SHA224 },
		{ CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256 },
		{ CKM_SHA384_RSA_PKCS_PSS, CKM_SHA384, CKG_MGF1_SHA384 },
		{ CKM_SHA512_RSA_PKCS_PSS, CKM_SHA512, CKG_MGF1_SHA512 },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].m == t) {
			*h = map[i].h;
			*g = map[i].g;
			return 1;
		}
	return 0;
}

static void
mech_params(CK_MECHANISM_TYPE t, struct mparams *mp, CK_MECHANISM *m)
{
	CK_MECHANISM_TYPE h;
	CK_RSA_PKCS_MGF_TYPE g;

	m->mechanism = t;
	m->pParameter = NULL;
	m->ulParameterLen = 0;
	memset(mp->iv, 0x5a, sizeof(mp->iv));
	switch (t) {
	case CKM_AES_CBC:
	case CKM_AES_CBC_PAD:
		m->pParameter = mp->iv;
		m->ulParameterLen = 16;
		return;
	case CKM_DES3_CBC:
	case CKM_DES3_CBC_PAD:
		m->pParameter = mp->iv;
		m->ulParameterLen = 8;
		return;
	case CKM_AES_CTR:
		memset(&mp->ctr, 0, sizeof(mp->ctr));
		mp->ctr.ulCounterBits = 32;
		m->pParameter = &mp->ctr;
		m->ulParameterLen = sizeof(mp->ctr);
		return;
	case CKM_AES_GCM:
		memset(&mp->gcm, 0, sizeof(mp->gcm));
		mp->gcm.pIv = mp->iv;
		mp->gcm.ulIvLen = 12;
		mp->gcm.ulIvBits = 96;
		mp->gcm.ulTagBits = 128;
		m->pParameter = &mp->gcm;
		m->ulParameterLen = sizeof(mp->gcm);
		return;
	case CKM_RSA_PKCS_OAEP:
		mp->oaep.hashAlg = CKM_SHA256;
		mp->oaep.mgf = CKG_MGF1_SHA256;
		mp->oaep.source = CKZ_DATA_SPECIFIED;
		mp->oaep.pSourceData = NULL;
		mp->oaep.ulSourceDataLen = 0;
		m->pParameter = &mp->oaep;
		m->ulParameterLen = sizeof(mp->oaep);
		return;
	case CKM_AES_CMAC_GENERAL:
	case CKM_SHA_1_HMAC_GENERAL:
	case CKM_SHA224_HMAC_GENERAL:
	case CKM_SHA256_HMAC_GENERAL:
	case CKM_SHA384_HMAC_GENERAL:
	case CKM_SHA512_HMAC_GENERAL:
		mp->maclen = 8;
		m->pParameter = &mp->maclen;
		m->ulParameterLen = sizeof(mp->maclen);
		return;
	case CKM_ECDH1_DERIVE:
	case CKM_ECDH1_COFACTOR_DERIVE:
		m->pParameter = &mp->ecdh;
		m->ulParameterLen = sizeof(mp->ecdh);
		return;
	}
	if (pss_hash(t, &h, &g)) {
		mp->pss.hashAlg = h;
		mp->pss.mgf = g;
		mp->pss.sLen = 20;
		m->pParameter = &mp->pss;
		m->ulParameterLen = sizeof(mp->pss);
	}
}

static const CK_BYTE msg[32] = "the audit's data, 32 bytes long";

/* Encrypts msg with pub and decrypts it back with priv. enc, dec: the
 * CK_RV of each init (-1 when not reached). */
static void
try_cipher(CK_SESSION_HANDLE s, CK_MECHANISM *m, const struct kset *k,
    CK_RV *enc, CK_RV *dec, int *back)
{
	CK_BYTE c[1024], p[1024];
	CK_ULONG cn = sizeof(c), pn = sizeof(p);

	*back = 0;
	*dec = (CK_RV)-1;
	if ((*enc = f->C_EncryptInit(s, m, k->pub)) != CKR_OK ||
	    f->C_Encrypt(s, (CK_BYTE_PTR)msg, sizeof(msg), c, &cn) != CKR_OK) {
		/* Without a ciphertext: the decryption init alone. */
		if ((*dec = f->C_DecryptInit(s, m, k->priv)) == CKR_OK)
			(void)f->C_Decrypt(s, c, 16, p, &pn);
		return;
	}
	if ((*dec = f->C_DecryptInit(s, m, k->priv)) != CKR_OK)
		return;
	/* Raw RSA gives the number back: msg after leading zeros. */
	*back = f->C_Decrypt(s, c, cn, p, &pn) == CKR_OK && pn >= sizeof(msg) &&
	    memcmp(p + pn - sizeof(msg), msg, sizeof(msg)) == 0 &&
	    (pn == sizeof(msg) || m->mechanism == CKM_RSA_X_509);
}

/* Signs msg with priv and verifies with pub. */
static void
try_sign(CK_SESSION_HANDLE s, CK_MECHANISM *m, const struct kset *k, CK_RV *sig,
    CK_RV *ver, int *ok)
{
	CK_BYTE sb[1024];
	CK_ULONG sn = sizeof(sb);

	*ok = 0;
	*ver = (CK_RV)-1;
	if ((*sig = f->C_SignInit(s, m, k->priv)) != CKR_OK ||
	    f->C_Sign(s, (CK_BYTE_PTR)msg, sizeof(msg), sb, &sn) != CKR_OK) {
		if ((*ver = f->C_VerifyInit(s, m, k->pub)) == CKR_OK)
			(void)f->C_Verify(s, (CK_BYTE_PTR)msg, sizeof(msg), sb,
			    8);
		return;
	}
	if ((*ver = f->C_VerifyInit(s, m, k->pub)) != CKR_OK)
		return;
	*ok = f->C_Verify(s, (CK_BYTE_PTR)msg, sizeof(msg), sb, sn) == CKR_OK;
}

/* Wraps target with pub and unwraps it with priv as an AES key. */
static void
try_wrap(CK_SESSION_HANDLE s, CK_MECHANISM *m, const struct kset *k,
    CK_OBJECT_HANDLE target, CK_RV *wrap, CK_RV *unwrap, int *ok)
{
	CK_BYTE w[1024];
	CK_ULONG wn = sizeof(w);
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
	};
	CK_OBJECT_HANDLE u = 0;

	*ok = 0;
	if ((*wrap = f->C_WrapKey(s, m, k->pub, target, w, &wn)) != CKR_OK) {
		memset(w, 0, sizeof(w));
		*unwrap = f->C_UnwrapKey(s, m, k->priv, w, 256, t, 3, &u);
		return;
	}
	*unwrap = f->C_UnwrapKey(s, m, k->priv, w, wn, t, 3, &u);
	*ok = *unwrap == CKR_OK;
	if (*ok)
		(void)f->C_DestroyObject(s, u);
}

/* C_GenerateKey with m: any of the lengths the token's types take. */
static CK_RV
try_generate(CK_SESSION_HANDLE s, CK_MECHANISM *m)
{
	CK_ULONG len = 24;
	CK_ATTRIBUTE t[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &len, sizeof(len) } };
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	if ((rv = f->C_GenerateKey(s, m, t, 2, &h)) == CKR_OK)
		(void)f->C_DestroyObject(s, h);
	return rv;
}

/* C_GenerateKeyPair with m: the RSA, EC, Edwards or Montgomery
 * template, whichever it takes. */
static CK_RV
try_generate_pair(CK_SESSION_HANDLE s, CK_MECHANISM *m)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	static const CK_BYTE x25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x6e };
	static const CK_BYTE e[] = { 0x01, 0x00, 0x01 };
	CK_ULONG bits = 2048;
	CK_ATTRIBUTE rsa[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e, sizeof(e) } };
	CK_ATTRIBUTE ec[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) } };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &no, sizeof(no) } };
	const CK_BYTE *curves[] = { p256, ed25519, x25519 };
	const CK_ULONG lens[] = { sizeof(p256), sizeof(ed25519), sizeof(x25519) };
	CK_OBJECT_HANDLE a = 0, b = 0;
	CK_RV rv, first;
	size_t i;

	if ((first = f->C_GenerateKeyPair(s, m, rsa, 3, priv, 1, &a, &b)) ==
	    CKR_OK)
		return CKR_OK;
	for (i = 0; i < 3; i++) {
		ec[1].pValue = (void *)curves[i];
		ec[1].ulValueLen = lens[i];
		if ((rv = f->C_GenerateKeyPair(s, m, ec, 2, priv, 1, &a, &b)) ==
		    CKR_OK)
			return CKR_OK;
	}
	return first;
}

/* C_DeriveKey with m and the EC key, the peer its own public point. */
static CK_RV
try_derive(CK_SESSION_HANDLE s, CK_MECHANISM *m, struct mparams *mp,
    const struct kset *k)
{
	CK_ATTRIBUTE pa = { CKA_EC_POINT, mp->point, sizeof(mp->point) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG len = 16;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
	};
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	memset(&mp->ecdh, 0, sizeof(mp->ecdh));
	mp->ecdh.kdf = CKD_NULL;
	if (f->C_GetAttributeValue(s, k->pub, &pa, 1) == CKR_OK) {
		mp->ecdh.pPublicData = mp->point;
		mp->ecdh.ulPublicDataLen = pa.ulValueLen;
	}
	if ((rv = f->C_DeriveKey(s, m, k->priv, t, 4, &h)) == CKR_OK)
		(void)f->C_DestroyObject(s, h);
	return rv;
}

/* One flag's verdict: did, done with some key, and refused, by all. */
static void
verdict(CK_MECHANISM_TYPE t, const char *what, CK_FLAGS flags, CK_FLAGS flag,
    int did, const char *with)
{
	if ((flags & flag) != 0)
		EXPECT(did,
		    "mechanism 0x%lx says %s, but no key of the token's "
		    "does it",
		    t, what);
	else
		EXPECT(!did,
		    "mechanism 0x%lx does %s with the %s key but does "
		    "not say so",
		    t, what, with);
}

/* Audits one mechanism. */
static void
audit(CK_SESSION_HANDLE s, CK_SLOT_ID slot, CK_MECHANISM_TYPE t,
    const struct kset *ks, CK_OBJECT_HANDLE target)
{
	CK_MECHANISM_INFO mi;
	CK_MECHANISM m;
	struct mparams mp;
	CK_RV a, b;
	int ok, enc = 0, dec = 0, sig = 0, ver = 0, wrap = 0, unwrap = 0;
	int derive = 0, used = -1;
	size_t i;
	const char *ew = "", *dw = "", *sw = "", *vw = "", *ww = "", *uw = "";

	RV_IS(f->C_GetMechanismInfo(slot, t, &mi), CKR_OK);
	EXPECT(mi.ulMinKeySize <= mi.ulMaxKeySize,
	    "mechanism 0x%lx: key sizes %lu..%lu", t, mi.ulMinKeySize,
	    mi.ulMaxKeySize);
	mech_params(t, &mp, &m);
	for (i = 0; i < KS_N; i++) {
		try_cipher(s, &m, &ks[i], &a, &b, &ok);
		if (a == CKR_OK) {
			enc = 1;
			ew = ks[i].name;
			used = (int)i;
		}
		if (b == CKR_OK && (ok || a != CKR_OK)) {
			dec = dec || ok;
			dw = ks[i].name;
			if (!ok && (mi.flags & CKF_DECRYPT) == 0)
				dec = 1; /* initialized: the flag is missing */
			used = (int)i;
		}
		if ((mi.flags & CKF_DECRYPT) != 0 && b == CKR_OK && !ok)
			EXPECT(0,
			    "mechanism 0x%lx: the %s key does not decrypt "
			    "what it encrypted",
			    t, ks[i].name);
		try_sign(s, &m, &ks[i], &a, &b, &ok);
		if (a == CKR_OK) {
			sig = 1;
			sw = ks[i].name;
			used = (int)i;
		}
		if (b == CKR_OK) {
			ver = ver || ok || (mi.flags & CKF_VERIFY) == 0;
			vw = ks[i].name;
			used = (int)i;
		}
		if ((mi.flags & CKF_VERIFY) != 0 && b == CKR_OK &&
		    a == CKR_OK && !ok)
			EXPECT(0,
			    "mechanism 0x%lx: the %s key does not verify "
			    "what it signed",
			    t, ks[i].name);
		try_wrap(s, &m, &ks[i], target, &a, &b, &ok);
		if (a == CKR_OK) {
			wrap = 1;
			ww = ks[i].name;
			used = (int)i;
		}
		if (b == CKR_OK || (a == CKR_OK && ok)) {
			unwrap = 1;
			uw = ks[i].name;
		}
		if (i == KS_EC && try_derive(s, &m, &mp, &ks[i]) == CKR_OK) {
			derive = 1;
			used = (int)i;
		}
	}
	verdict(t, "encrypt", mi.flags, CKF_ENCRYPT, enc, ew);
	verdict(t, "decrypt", mi.flags, CKF_DECRYPT, dec, dw);
	verdict(t, "sign", mi.flags, CKF_SIGN, sig, sw);
	verdict(t, "verify", mi.flags, CKF_VERIFY, ver, vw);
	verdict(t, "wrap", mi.flags, CKF_WRAP, wrap, ww);
	verdict(t, "unwrap", mi.flags, CKF_UNWRAP, unwrap, uw);
	verdict(t, "derive", mi.flags, CKF_DERIVE, derive, "EC");
	a = f->C_DigestInit(s, &m);
	if (a == CKR_OK) {
		CK_BYTE d[128];
		CK_ULONG dn = sizeof(d);

		a = f->C_Digest(s, (CK_BYTE_PTR)msg, sizeof(msg), d, &dn);
	}
	verdict(t, "digest", mi.flags, CKF_DIGEST, a == CKR_OK, "no");
	verdict(t, "generate", mi.flags, CKF_GENERATE,
	    try_generate(s, &m) == CKR_OK, "no");
	verdict(t, "generate key pair", mi.flags, CKF_GENERATE_KEY_PAIR,
	    try_generate_pair(s, &m) == CKR_OK, "no");
	EXPECT((mi.flags & (CKF_SIGN_RECOVER | CKF_VERIFY_RECOVER)) == 0,
	    "mechanism 0x%lx says it recovers", t);
	/* The key it worked with is in the announced range. */
	if (used >= 0)
		EXPECT((ks[used].size >= mi.ulMinKeySize &&
			   ks[used].size <= mi.ulMaxKeySize) ||
			(ks[used].size2 >= mi.ulMinKeySize &&
			    ks[used].size2 <= mi.ulMaxKeySize),
		    "mechanism 0x%lx worked with the %s key of size %lu "
		    "outside %lu..%lu",
		    t, ks[used].name, ks[used].size, mi.ulMinKeySize,
		    mi.ulMaxKeySize);
	/* The elliptic-curve flags belong to elliptic-curve mechanisms. */
	if ((mi.flags & (CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS)) != 0)
		EXPECT(used == KS_EC || used == KS_ED ||
			(mi.flags & CKF_GENERATE_KEY_PAIR) != 0,
		    "mechanism 0x%lx has curve flags", t);
}

/* A session key pair with every use its type may have. */
static CK_RV
gen_pair(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE mt, const CK_BYTE *params,
    CK_ULONG plen, const CK_ATTRIBUTE_TYPE *pu, const CK_ATTRIBUTE_TYPE *su,
    struct kset *k)
{
	static const CK_BYTE e[] = { 0x01, 0x00, 0x01 };
	CK_ULONG bits = 2048;
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_ATTRIBUTE pt[8] = { { CKA_TOKEN, &no, sizeof(no) } };
	CK_ATTRIBUTE st[8] = { { CKA_TOKEN, &no, sizeof(no) } };
	CK_ULONG np = 1, ns = 1;

	if (params != NULL) {
		pt[np].type = CKA_EC_PARAMS;
		pt[np].pValue = (void *)params;
		pt[np++].ulValueLen = plen;
	} else {
		pt[np].type = CKA_MODULUS_BITS;
		pt[np].pValue = &bits;
		pt[np++].ulValueLen = sizeof(bits);
		pt[np].type = CKA_PUBLIC_EXPONENT;
		pt[np].pValue = (void *)e;
		pt[np++].ulValueLen = sizeof(e);
	}
	for (; *pu != 0; pu++, np++) {
		pt[np].type = *pu;
		pt[np].pValue = &yes;
		pt[np].ulValueLen = sizeof(yes);
	}
	for (; *su != 0; su++, ns++) {
		st[ns].type = *su;
		st[ns].pValue = &yes;
		st[ns].ulValueLen = sizeof(yes);
	}
	return f->C_GenerateKeyPair(s, &m, pt, np, st, ns, &k->pub, &k->priv);
}

static int
cmd_mechflags(const char *module, const char *label, const char *pin)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	static const CK_ATTRIBUTE_TYPE aes_all[] = { CKA_ENCRYPT, CKA_DECRYPT,
		CKA_SIGN, CKA_VERIFY, CKA_WRAP, CKA_UNWRAP, 0 };
	static const CK_ATTRIBUTE_TYPE des_all[] = { CKA_ENCRYPT, CKA_DECRYPT,
		CKA_WRAP, CKA_UNWRAP, 0 };
	static const CK_ATTRIBUTE_TYPE mac[] = { CKA_SIGN, CKA_VERIFY, 0 };
	static const CK_ATTRIBUTE_TYPE rsa_pub[] = { CKA_VERIFY, CKA_ENCRYPT,
		CKA_WRAP, 0 };
	static const CK_ATTRIBUTE_TYPE rsa_priv[] = { CKA_SIGN, CKA_DECRYPT,
		CKA_UNWRAP, 0 };
	static const CK_ATTRIBUTE_TYPE ec_pub[] = { CKA_VERIFY, 0 };
	static const CK_ATTRIBUTE_TYPE ec_priv[] = { CKA_SIGN, CKA_DERIVE, 0 };
	static const CK_ATTRIBUTE_TYPE ed_priv[] = { CKA_SIGN, 0 };
	static const CK_ATTRIBUTE_TYPE none[] = { 0 };
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	struct kset ks[KS_N] = {
		{ "AES", 0, 0, 32, 32 },
		{ "DES3", 0, 0, 24, 24 },
		{ "generic secret", 0, 0, 32, 256 },
		{ "RSA", 0, 0, 2048, 2048 },
		{ "P-256", 0, 0, 256, 256 },
		{ "Ed25519", 0, 0, 255, 256 },
	};
	CK_MECHANISM_TYPE list[512];
	CK_MECHANISM_INFO mi;
	CK_ULONG n = 0, i;
	CK_BYTE v[64];
	CK_OBJECT_HANDLE target;

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	ks[KS_AES].pub = ks[KS_AES].priv = gen_key(s, CKM_AES_KEY_GEN, 32,
	    aes_all, v);
	ks[KS_DES3].pub = ks[KS_DES3].priv = gen_key(s, CKM_DES3_KEY_GEN, 24,
	    des_all, v);
	ks[KS_GEN].pub = ks[KS_GEN].priv = gen_key(s,
	    CKM_GENERIC_SECRET_KEY_GEN, 32, mac, v);
	target = gen_key(s, CKM_AES_KEY_GEN, 16, none, v);
	RV_IS(gen_pair(s, CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0, rsa_pub, rsa_priv,
		  &ks[KS_RSA]),
	    CKR_OK);
	RV_IS(gen_pair(s, CKM_EC_KEY_PAIR_GEN, p256, sizeof(p256), ec_pub,
		  ec_priv, &ks[KS_EC]),
	    CKR_OK);
	RV_IS(gen_pair(s, CKM_EC_EDWARDS_KEY_PAIR_GEN, ed25519, sizeof(ed25519),
		  ec_pub, ed_priv, &ks[KS_ED]),
	    CKR_OK);
	RV_IS(f->C_GetMechanismList(slot, NULL, &n), CKR_OK);
	EXPECT(n > 0 && n <= 512, "%lu mechanisms", n);
	if (n > 1) {
		i = n - 1;
		RV_IS(f->C_GetMechanismList(slot, list, &i),
		    CKR_BUFFER_TOO_SMALL);
		EXPECT(i == n, "a short list's count %lu, want %lu", i, n);
	}
	RV_IS(f->C_GetMechanismList(slot, list, &n), CKR_OK);
	for (i = 0; i < n && i < 512; i++)
		audit(s, slot, list[i], ks, target);
	/* What is not listed has no information. */
	RV_IS(f->C_GetMechanismInfo(slot, CKM_MD5, &mi), CKR_MECHANISM_INVALID);
	printf("mechflags: %lu mechanisms audited\n", n);
	return p11c_done(p, "mechflags");
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "gcm") == 0)
		return cmd_gcm(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "rsawrap") == 0)
		return cmd_rsawrap(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "des3") == 0)
		return cmd_des3(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "usage") == 0)
		return cmd_usage(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "mechflags") == 0)
		return cmd_mechflags(argv[2], argv[3], argv[4]);
	fprintf(stderr,
	    "usage: p11_sym gcm|rsawrap|usage|mechflags MODULE LABEL PIN\n"
	    "       p11_sym des3 MODULE LABEL PIN DIR\n");
	return 2;
}
