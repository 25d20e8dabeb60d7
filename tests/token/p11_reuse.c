/* p11_reuse: a secret key keeps the OpenSSL contexts of its finished
 * operations for the next ones (keys.c's struct kkey, sym.c); no
 * operation may see another's key, digest, IV, AAD, tag or MAC length.
 * Every result is checked against OpenSSL in this process.
 *
 *   p11_reuse MODULE LABEL PIN
 *     two HMAC keys (32 and 48 bytes) and two AES keys (256 and 128
 *     bits), as token objects and as session objects, used in turn in
 *     one session and in two: SHA-1/256/512 HMAC and the _GENERAL form
 *     back to back on one key, an operation started in one session while
 *     another runs in the other, a failed verification, an abandoned
 *     operation (its session closed), a length query; AES-GCM with other
 *     IVs (12 and 16 bytes), AAD and tags back to back, a tampered tag
 *     refused (no plaintext left in the caller's buffer) and the next
 *     decryption right; AES-CBC, CBC_PAD, ECB and
 *     CTR in both directions on the same key; AES-CMAC and its _GENERAL
 *     form back to back; a key destroyed while an
 *     operation with it runs (the operation ends right, the handle is
 *     gone); then four threads, each in its own session, alternating
 *     HMAC and GCM on the same keys.
 *
 * Prints "FAIL: ..." for each failed check, "reuse: ok" at the end when
 * none failed, and exits 1 if any failed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "p11/p11.h"
#include "p11_check.h"

#define THREADS 4
#define ROUNDS	200

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

struct key {
	CK_OBJECT_HANDLE h;
	CK_BYTE v[64];
	size_t n;
};

/* A readable secret key from C_GenerateKey (a token object or not). */
static int
gen(CK_SESSION_HANDLE s, int aes, CK_ULONG len, CK_BBOOL token, struct key *k)
{
	CK_MECHANISM m = { aes ? CKM_AES_KEY_GEN : CKM_GENERIC_SECRET_KEY_GEN,
		NULL, 0 };
	int macs = aes != 1; /* 0 HMAC, 1 AES cipher, 2 AES-CMAC */
	CK_ATTRIBUTE t[] = {
		{ CKA_TOKEN, &token, sizeof(token) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &len, sizeof(len) },
		{ macs ? CKA_SIGN : CKA_ENCRYPT, &yes, sizeof(yes) },
		{ macs ? CKA_VERIFY : CKA_DECRYPT, &yes, sizeof(yes) },
	};
	CK_ATTRIBUTE a = { CKA_VALUE, k->v, sizeof(k->v) };
	CK_RV rv;

	if ((rv = f->C_GenerateKey(s, &m, t, 6, &k->h)) != CKR_OK ||
	    (rv = f->C_GetAttributeValue(s, k->h, &a, 1)) != CKR_OK) {
		EXPECT(0, "C_GenerateKey (%s, %lu bytes): %s",
		    aes ? "AES" : "generic", len, p11_rv_name(rv));
		return -1;
	}
	k->n = a.ulValueLen;
	return 0;
}

/* ---- HMAC ---- */

static const char *
md_of(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA_1_HMAC: return "SHA1";
	case CKM_SHA512_HMAC: return "SHA512";
	default: return "SHA256";
	}
}

/* The token's MAC of msg with key k in session s, in one call or in two
 * updates; *n its length. */
static CK_RV
tok_mac(CK_SESSION_HANDLE s, const struct key *k, CK_MECHANISM *m,
    const CK_BYTE *msg, size_t len, int parts, CK_BYTE *out, CK_ULONG *n)
{
	CK_RV rv;

	*n = 64;
	if ((rv = f->C_SignInit(s, m, k->h)) != CKR_OK)
		return rv;
	if (!parts)
		return f->C_Sign(s, (CK_BYTE_PTR)msg, len, out, n);
	if ((rv = f->C_SignUpdate(s, (CK_BYTE_PTR)msg, len / 2)) != CKR_OK ||
	    (rv = f->C_SignUpdate(s, (CK_BYTE_PTR)msg + len / 2, len - len / 2)) !=
		CKR_OK)
		return rv;
	return f->C_SignFinal(s, out, n);
}

/* Whether mac (n bytes) is OpenSSL's HMAC of msg with k's value and
 * m's digest, cut to n. */
static int
mac_ok(const struct key *k, CK_MECHANISM_TYPE m, const CK_BYTE *msg, size_t len,
    const CK_BYTE *mac, size_t n)
{
	CK_BYTE want[64];
	size_t wn = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, md_of(m), NULL, k->v, k->n, msg, len,
		want, sizeof(want), &wn) == NULL)
		return 0;
	return n <= wn && memcmp(mac, want, n) == 0;
}

/* One MAC, checked. */
static void
check_mac(CK_SESSION_HANDLE s, const struct key *k, CK_MECHANISM_TYPE mt,
    CK_ULONG general, const CK_BYTE *msg, size_t len, int parts, const char *what)
{
	CK_MECHANISM m = { mt, NULL, 0 };
	CK_BYTE mac[64];
	CK_ULONG n;
	CK_RV rv;

	if (general) {
		m.mechanism = CKM_SHA256_HMAC_GENERAL;
		m.pParameter = &general;
		m.ulParameterLen = sizeof(general);
	}
	rv = tok_mac(s, k, &m, msg, len, parts, mac, &n);
	EXPECT(rv == CKR_OK, "%s: %s", what, p11_rv_name(rv));
	EXPECT(rv != CKR_OK ||
		(n ==
			(general ? general
				 : (CK_ULONG)EVP_MD_get_size(
				       EVP_get_digestbyname(md_of(mt)))) &&
		    mac_ok(k, mt, msg, len, mac, n)),
	    "%s: the MAC (%lu bytes) is not OpenSSL's", what, n);
}

static void
hmac_checks(CK_SESSION_HANDLE s1, CK_SESSION_HANDLE s2, CK_SLOT_ID slot,
    const struct key *a, const struct key *b, const char *kind)
{
	CK_MECHANISM m = { CKM_SHA256_HMAC, NULL, 0 };
	CK_BYTE msg[1000], mac[64], mac2[64];
	CK_ULONG n, n2;
	CK_SESSION_HANDLE s3;
	char what[96];
	size_t i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (CK_BYTE)(i * 13 + 5);
	/* Key A, then B, in one session and across two. */
	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s HMAC round %zu", kind, i);
		check_mac(s1, a, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, what);
		check_mac(s1, b, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, what);
		check_mac(s2, a, CKM_SHA256_HMAC, 0, msg, 100, 1, what);
		check_mac(s2, b, CKM_SHA256_HMAC, 0, msg, 100, 1, what);
	}
	/* Other digests and lengths back to back on one key. */
	check_mac(s1, a, CKM_SHA512_HMAC, 0, msg, sizeof(msg), 0, "SHA-512");
	check_mac(s1, a, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, "SHA-256");
	check_mac(s1, a, CKM_SHA256_HMAC, 16, msg, sizeof(msg), 0, "_GENERAL");
	check_mac(s1, a, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 1, "after it");
	check_mac(s1, a, CKM_SHA_1_HMAC, 0, msg, 3, 0, "SHA-1");
	check_mac(s1, a, CKM_SHA256_HMAC, 0, msg, 0, 0, "empty");
	/* Key A in two sessions at once: each has its own context. */
	RV_IS(f->C_SignInit(s1, &m, a->h), CKR_OK);
	RV_IS(f->C_SignUpdate(s1, msg, 10), CKR_OK);
	check_mac(s2, a, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, "meanwhile");
	check_mac(s2, b, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, "meanwhile");
	RV_IS(f->C_SignUpdate(s1, msg + 10, sizeof(msg) - 10), CKR_OK);
	n = sizeof(mac);
	RV_IS(f->C_SignFinal(s1, mac, &n), CKR_OK);
	EXPECT(n == 32 && mac_ok(a, CKM_SHA256_HMAC, msg, sizeof(msg), mac, n),
	    "%s: the MAC made across another is not OpenSSL's", kind);
	/* A failed verification, then a good one and a signature. */
	mac[0] ^= 1;
	RV_IS(f->C_VerifyInit(s1, &m, a->h), CKR_OK);
	RV_IS(f->C_Verify(s1, msg, sizeof(msg), mac, n), CKR_SIGNATURE_INVALID);
	mac[0] ^= 1;
	RV_IS(f->C_VerifyInit(s1, &m, a->h), CKR_OK);
	RV_IS(f->C_Verify(s1, msg, sizeof(msg), mac, n), CKR_OK);
	RV_IS(f->C_VerifyInit(s2, &m, b->h), CKR_OK);
	RV_IS(f->C_Verify(s2, msg, sizeof(msg), mac, n), CKR_SIGNATURE_INVALID);
	check_mac(s1, a, CKM_SHA256_HMAC, 0, msg, 7, 0, "after verifying");
	/* An operation abandoned half-way, its session closed. */
	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s3) ==
	    CKR_OK) {
		RV_IS(f->C_SignInit(s3, &m, a->h), CKR_OK);
		RV_IS(f->C_SignUpdate(s3, (CK_BYTE_PTR) "junk", 4), CKR_OK);
		RV_IS(f->C_CloseSession(s3), CKR_OK);
	}
	check_mac(s1, a, CKM_SHA256_HMAC, 0, msg, 9, 0, "after an abandoned one");
	/* A length query, then the MAC; the same MAC twice. */
	RV_IS(f->C_SignInit(s1, &m, a->h), CKR_OK);
	n = 0;
	RV_IS(f->C_Sign(s1, msg, 50, NULL, &n), CKR_OK);
	EXPECT(n == 32, "length query: %lu", n);
	RV_IS(f->C_Sign(s1, msg, 50, mac, &n), CKR_OK);
	RV_IS(tok_mac(s2, a, &m, msg, 50, 0, mac2, &n2), CKR_OK);
	EXPECT(n == 32 && n2 == 32 && memcmp(mac, mac2, 32) == 0 &&
		mac_ok(a, CKM_SHA256_HMAC, msg, 50, mac, n),
	    "%s: the MAC after a length query differs", kind);
}

/* ---- ciphers ---- */

/* OpenSSL's encryption (enc) or decryption of in with cipher name ci;
 * GCM with its IV length, AAD and tag (appended / taken from the end);
 * -1 on an error. */
static long
ossl_cipher(const char *ci, int enc, int pad, const struct key *k,
    const CK_BYTE *iv, size_t ivlen, const CK_BYTE *aad, size_t aadlen,
    size_t taglen, const CK_BYTE *in, size_t n, CK_BYTE *out)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, ci, NULL);
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = 0;

	if (taglen > 0 && !enc) {
		if (n < taglen)
			goto out;
		n -= taglen;
	}
	if (c == NULL || x == NULL ||
	    EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc) != 1 ||
	    (taglen > 0 &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, (int)ivlen,
		    NULL) != 1) ||
	    EVP_CipherInit_ex(x, NULL, NULL, k->v, iv, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(x, pad) != 1 ||
	    (aadlen > 0 && EVP_CipherUpdate(x, NULL, &l1, aad, (int)aadlen) != 1) ||
	    (taglen > 0 && !enc &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, (int)taglen,
		    (void *)(in + n)) != 1) ||
	    EVP_CipherUpdate(x, out, &l1, in, (int)n) != 1 ||
	    EVP_CipherFinal_ex(x, out + l1, &l2) != 1 ||
	    (taglen > 0 && enc &&
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, (int)taglen,
		    out + l1 + l2) != 1))
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(x);
	EVP_CIPHER_free(c);
	return ok ? (long)(l1 + l2 + (enc ? taglen : 0)) : -1;
}

/* The token's encryption or decryption with mechanism m, in one call or
 * in parts of 100 bytes; its length, or -1 after an error (*rv). */
static long
tok_cipher(CK_SESSION_HANDLE s, const struct key *k, CK_MECHANISM *m, int enc,
    int parts, const CK_BYTE *in, size_t n, CK_BYTE *out, CK_RV *rv)
{
	CK_ULONG got = 4096, part, total = 0;
	size_t off;

	*rv = enc ? f->C_EncryptInit(s, m, k->h) : f->C_DecryptInit(s, m, k->h);
	if (*rv != CKR_OK)
		return -1;
	if (!parts) {
		*rv = enc ? f->C_Encrypt(s, (CK_BYTE_PTR)in, n, out, &got)
			  : f->C_Decrypt(s, (CK_BYTE_PTR)in, n, out, &got);
		return *rv == CKR_OK ? (long)got : -1;
	}
	for (off = 0; off < n; off += part) {
		part = n - off < 100 ? n - off : 100;
		got = 4096 - total;
		*rv = enc ? f->C_EncryptUpdate(s, (CK_BYTE_PTR)in + off, part,
				out + total, &got)
			  : f->C_DecryptUpdate(s, (CK_BYTE_PTR)in + off, part,
				out + total, &got);
		if (*rv != CKR_OK)
			return -1;
		total += got;
	}
	got = 4096 - total;
	*rv = enc ? f->C_EncryptFinal(s, out + total, &got)
		  : f->C_DecryptFinal(s, out + total, &got);
	return *rv == CKR_OK ? (long)(total + got) : -1;
}

/* GCM with iv / aad / tag: the token's encryption equals OpenSSL's and
 * decrypts back. */
static void
check_gcm(CK_SESSION_HANDLE s, const struct key *k, const CK_BYTE *iv,
    size_t ivlen, const CK_BYTE *aad, size_t aadlen, size_t tagbits, int parts,
    const CK_BYTE *in, size_t n, const char *what)
{
	CK_GCM_PARAMS g = { (CK_BYTE_PTR)iv, ivlen, ivlen * 8, (CK_BYTE_PTR)aad,
		aadlen, tagbits };
	CK_MECHANISM m = { CKM_AES_GCM, &g, sizeof(g) };
	char ci[16];
	CK_BYTE want[2100], got[4096];
	long wn, gn;
	CK_RV rv;

	snprintf(ci, sizeof(ci), "AES-%zu-GCM", k->n * 8);
	wn = ossl_cipher(ci, 1, 0, k, iv, ivlen, aad, aadlen, tagbits / 8, in,
	    n, want);
	gn = tok_cipher(s, k, &m, 1, parts, in, n, got, &rv);
	EXPECT(wn > 0 && gn == wn && memcmp(got, want, (size_t)wn) == 0,
	    "%s: GCM encryption (%s) is not OpenSSL's", what, p11_rv_name(rv));
	gn = tok_cipher(s, k, &m, 0, parts, want, (size_t)wn, got, &rv);
	EXPECT(gn == (long)n && memcmp(got, in, n) == 0,
	    "%s: GCM decryption (%s) is not the plaintext", what,
	    p11_rv_name(rv));
}

/* CBC, CBC_PAD, ECB or CTR on n bytes: equal to OpenSSL both ways. */
static void
check_block(CK_SESSION_HANDLE s, const struct key *k, CK_MECHANISM_TYPE mt,
    int parts, const CK_BYTE *in, size_t n)
{
	CK_BYTE iv[16] = "0123456789abcdef";
	CK_AES_CTR_PARAMS ctr;
	CK_MECHANISM m = { mt, iv, sizeof(iv) };
	const char *mode = mt == CKM_AES_ECB ? "ECB"
	    : mt == CKM_AES_CTR		     ? "CTR"
					     : "CBC";
	char ci[16];
	CK_BYTE want[2100], got[4096];
	long wn, gn;
	CK_RV rv;

	if (mt == CKM_AES_ECB) {
		m.pParameter = NULL;
		m.ulParameterLen = 0;
	} else if (mt == CKM_AES_CTR) {
		ctr.ulCounterBits = 128;
		memcpy(ctr.cb, iv, 16);
		m.pParameter = &ctr;
		m.ulParameterLen = sizeof(ctr);
	}
	snprintf(ci, sizeof(ci), "AES-%zu-%s", k->n * 8, mode);
	wn = ossl_cipher(ci, 1, mt == CKM_AES_CBC_PAD, k,
	    mt == CKM_AES_ECB ? NULL : iv, 16, NULL, 0, 0, in, n, want);
	gn = tok_cipher(s, k, &m, 1, parts, in, n, got, &rv);
	EXPECT(wn > 0 && gn == wn && memcmp(got, want, (size_t)wn) == 0,
	    "AES-%s 0x%lx encryption (%s) is not OpenSSL's", mode, mt,
	    p11_rv_name(rv));
	gn = tok_cipher(s, k, &m, 0, parts, want, (size_t)wn, got, &rv);
	EXPECT(gn == (long)n && memcmp(got, in, n) == 0,
	    "AES-%s 0x%lx decryption (%s) is not the plaintext", mode, mt,
	    p11_rv_name(rv));
}

static void
cipher_checks(CK_SESSION_HANDLE s1, CK_SESSION_HANDLE s2, const struct key *a,
    const struct key *b, const char *kind)
{
	CK_BYTE in[2000], iv1[12] = "iv number 1", iv2[16] = "another iv 16 b";
	CK_BYTE aad1[] = "header one", aad2[] = "a second header", bad[4096];
	CK_GCM_PARAMS g = { iv1, 12, 96, aad1, sizeof(aad1), 128 };
	CK_MECHANISM m = { CKM_AES_GCM, &g, sizeof(g) };
	char what[96];
	long n;
	CK_RV rv;
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (CK_BYTE)(i * 31 + 7);
	for (i = 0; i < 2; i++) {
		snprintf(what, sizeof(what), "%s round %zu", kind, i);
		check_gcm(s1, a, iv1, 12, aad1, sizeof(aad1), 128, 0, in, 1000,
		    what);
		check_gcm(s1, a, iv2, 16, NULL, 0, 128, 0, in, 1000, what);
		check_gcm(s1, a, iv1, 12, aad2, sizeof(aad2), 96, 1, in, 333,
		    what);
		check_gcm(s1, b, iv1, 12, aad1, sizeof(aad1), 128, 0, in, 1000,
		    what);
		check_gcm(s2, a, iv2, 16, aad2, sizeof(aad2), 112, 1, in, 2000,
		    what);
		check_gcm(s2, b, iv2, 16, NULL, 0, 128, 0, in, 0, what);
	}
	/* A tampered tag is refused; the next decryption is right. */
	n = ossl_cipher(a->n == 32 ? "AES-256-GCM" : "AES-128-GCM", 1, 0, a,
	    iv1, 12, aad1, sizeof(aad1), 16, in, 500, bad);
	if (n > 0) {
		bad[n - 1] ^= 1;
		memset(bad + 2048, 0xaa, 500);
		EXPECT(tok_cipher(s1, a, &m, 0, 0, bad, (size_t)n, bad + 2048,
			   &rv) < 0 &&
			rv == CKR_ENCRYPTED_DATA_INVALID,
		    "%s: a tampered tag gave %s", kind, p11_rv_name(rv));
		/* No unauthenticated plaintext is left in the buffer. */
		for (i = 0; i + 16 <= 500; i++)
			if (memcmp(bad + 2048 + i, in + i, 16) == 0)
				break;
		EXPECT(i + 16 > 500, "%s: a tampered tag left plaintext", kind);
	}
	check_gcm(s1, a, iv1, 12, aad1, sizeof(aad1), 128, 0, in, 500, kind);
	/* A multi-part encryption in s1 across a single one in s2. */
	RV_IS(f->C_EncryptInit(s1, &m, a->h), CKR_OK);
	check_gcm(s2, a, iv2, 16, aad2, sizeof(aad2), 128, 0, in, 700, kind);
	{
		CK_BYTE want[2100], got[2100];
		CK_ULONG gn = sizeof(got), fn;
		long wn = ossl_cipher(a->n == 32 ? "AES-256-GCM" : "AES-128-GCM",
		    1, 0, a, iv1, 12, aad1, sizeof(aad1), 16, in, 700, want);

		RV_IS(f->C_EncryptUpdate(s1, in, 700, got, &gn), CKR_OK);
		fn = sizeof(got) - gn;
		RV_IS(f->C_EncryptFinal(s1, got + gn, &fn), CKR_OK);
		EXPECT(wn > 0 && (long)(gn + fn) == wn &&
			memcmp(got, want, (size_t)wn) == 0,
		    "%s: GCM across another is not OpenSSL's", kind);
	}
	/* Modes in turn on the same key, both ways. */
	for (i = 0; i < 2; i++) {
		check_block(s1, a, CKM_AES_CBC, (int)i, in, 1024);
		check_block(s1, a, CKM_AES_CBC_PAD, (int)i, in, 1000);
		check_block(s1, a, CKM_AES_ECB, (int)i, in, 512);
		check_block(s1, a, CKM_AES_CTR, (int)i, in, 999);
		check_block(s2, b, CKM_AES_CBC_PAD, (int)i, in, 1024);
		check_gcm(s1, a, iv1, 12, NULL, 0, 128, (int)i, in, 100, kind);
	}
}

/* ---- CMAC ---- */

/* AES-CMAC on one key back to back, full and cut (_GENERAL), one
 * session and two, each equal to OpenSSL's. */
static void
cmac_checks(CK_SESSION_HANDLE s1, CK_SESSION_HANDLE s2, const struct key *k)
{
	CK_ULONG cut = 8;
	CK_MECHANISM full = { CKM_AES_CMAC, NULL, 0 };
	CK_MECHANISM gen = { CKM_AES_CMAC_GENERAL, &cut, sizeof(cut) };
	CK_BYTE msg[300], mac[16], want[16];
	CK_ULONG n;
	size_t wn, i, len;
	char ci[16];

	snprintf(ci, sizeof(ci), "AES-%zu-CBC", k->n * 8);
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (CK_BYTE)(i * 3 + 1);
	for (i = 0; i < 6; i++) {
		CK_MECHANISM *m = i % 3 == 2 ? &gen : &full;
		CK_SESSION_HANDLE s = i % 2 ? s2 : s1;

		len = sizeof(msg) - i * 17;
		n = sizeof(mac);
		RV_IS(f->C_SignInit(s, m, k->h), CKR_OK);
		RV_IS(f->C_Sign(s, msg, len, mac, &n), CKR_OK);
		EXPECT(EVP_Q_mac(NULL, "CMAC", NULL, ci, NULL, k->v, k->n, msg,
			   len, want, sizeof(want), &wn) != NULL &&
			n == (m == &gen ? cut : 16) && memcmp(mac, want, n) == 0,
		    "AES-CMAC %zu (%lu bytes) is not OpenSSL's", i, n);
	}
}

/* ---- a key destroyed while in use ---- */

static void
destroy_checks(CK_SESSION_HANDLE s1, CK_SESSION_HANDLE s2, CK_BBOOL token)
{
	CK_MECHANISM m = { CKM_SHA256_HMAC, NULL, 0 };
	CK_BYTE msg[64] = "a message", mac[64];
	CK_ULONG n = sizeof(mac);
	struct key c, d;

	if (gen(s1, 0, 32, token, &c) != 0)
		return;
	check_mac(s1, &c, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, "key C");
	RV_IS(f->C_SignInit(s1, &m, c.h), CKR_OK);
	RV_IS(f->C_SignUpdate(s1, msg, 20), CKR_OK);
	RV_IS(f->C_DestroyObject(s2, c.h), CKR_OK);
	RV_IS(f->C_SignUpdate(s1, msg + 20, sizeof(msg) - 20), CKR_OK);
	RV_IS(f->C_SignFinal(s1, mac, &n), CKR_OK);
	EXPECT(n == 32 && mac_ok(&c, CKM_SHA256_HMAC, msg, sizeof(msg), mac, n),
	    "the MAC of a key destroyed meanwhile is not OpenSSL's");
	RV_IS(f->C_SignInit(s1, &m, c.h), CKR_KEY_HANDLE_INVALID);
	if (gen(s1, 0, 32, token, &d) != 0)
		return;
	check_mac(s1, &d, CKM_SHA256_HMAC, 0, msg, sizeof(msg), 0, "key D");
	RV_IS(f->C_DestroyObject(s1, d.h), CKR_OK);
}

/* ---- threads ---- */

struct work {
	CK_SLOT_ID slot;
	const struct key *mac[2], *aes[2];
	int id, bad;
};

static void *
thread_work(void *p)
{
	struct work *w = p;
	CK_SESSION_HANDLE s;
	CK_MECHANISM hm = { CKM_SHA256_HMAC, NULL, 0 };
	CK_BYTE msg[300], out[512], want[512], iv[12] = { 0 };
	CK_GCM_PARAMS g = { iv, 12, 96, NULL, 0, 128 };
	CK_MECHANISM gm = { CKM_AES_GCM, &g, sizeof(g) };
	CK_ULONG n;
	CK_RV rv;
	long wn, gn;
	int i;

	if (f->C_OpenSession(w->slot, CKF_SERIAL_SESSION, NULL, NULL, &s) !=
	    CKR_OK) {
		w->bad++;
		return NULL;
	}
	for (i = 0; i < ROUNDS; i++) {
		const struct key *k = w->mac[(i + w->id) % 2];
		const struct key *a = w->aes[(i / 2 + w->id) % 2];

		memset(msg, w->id * 16 + i % 7, sizeof(msg));
		if (tok_mac(s, k, &hm, msg, sizeof(msg) - (size_t)(i % 5),
			i % 3 == 0, out, &n) != CKR_OK ||
		    n != 32 ||
		    !mac_ok(k, CKM_SHA256_HMAC, msg,
			sizeof(msg) - (size_t)(i % 5), out, n))
			w->bad++;
		iv[0] = (CK_BYTE)w->id;
		iv[1] = (CK_BYTE)i;
		wn = ossl_cipher(a->n == 32 ? "AES-256-GCM" : "AES-128-GCM", 1,
		    0, a, iv, 12, NULL, 0, 16, msg, sizeof(msg), want);
		gn = tok_cipher(s, a, &gm, 1, i % 2, msg, sizeof(msg), out, &rv);
		if (wn <= 0 || gn != wn || memcmp(out, want, (size_t)wn) != 0)
			w->bad++;
	}
	f->C_CloseSession(s);
	return NULL;
}

static void
thread_checks(CK_SLOT_ID slot, const struct key *m0, const struct key *m1,
    const struct key *a0, const struct key *a1)
{
	pthread_t th[THREADS];
	struct work w[THREADS];
	int i, started = 0;

	for (i = 0; i < THREADS; i++) {
		w[i] = (struct work){ slot, { m0, m1 }, { a0, a1 }, i, 0 };
		if (pthread_create(&th[i], NULL, thread_work, &w[i]) != 0)
			break;
		started++;
	}
	EXPECT(started == THREADS, "pthread_create");
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		EXPECT(w[i].bad == 0, "thread %d: %d results not OpenSSL's", i,
		    w[i].bad);
	}
}

int
main(int argc, char **argv)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s1 = 0, s2 = 0;
	struct key m[4], a[4], c;
	int t;

	if (argc != 4) {
		fprintf(stderr, "usage: p11_reuse MODULE LABEL PIN\n");
		return 2;
	}
	if ((p = p11c_open_login(argv[1], argv[2], argv[3], &slot, &s1)) == NULL)
		return 1;
	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		NULL, &s2) != CKR_OK) {
		EXPECT(0, "a second session");
		return p11c_done(p, "reuse");
	}
	/* Token objects (t 0) and session objects (t 1). */
	for (t = 0; t < 2; t++) {
		CK_BBOOL token = t == 0 ? CK_TRUE : CK_FALSE;
		const char *kind = t == 0 ? "token keys" : "session keys";

		if (gen(s1, 0, 32, token, &m[2 * t]) != 0 ||
		    gen(s1, 0, 48, token, &m[2 * t + 1]) != 0 ||
		    gen(s1, 1, 32, token, &a[2 * t]) != 0 ||
		    gen(s1, 1, 16, token, &a[2 * t + 1]) != 0)
			return p11c_done(p, "reuse");
		hmac_checks(s1, s2, slot, &m[2 * t], &m[2 * t + 1], kind);
		cipher_checks(s1, s2, &a[2 * t], &a[2 * t + 1], kind);
		if (gen(s1, 2, 32, token, &c) == 0)
			cmac_checks(s1, s2, &c);
		destroy_checks(s1, s2, token);
	}
	thread_checks(slot, &m[0], &m[3], &a[1], &a[2]);
	return p11c_done(p, "reuse");
}
