/* p11_probe: what pkcs11-tool cannot ask a PKCS#11 module, for the shell
 * tests in tests/token/.
 *
 *   p11_probe sensitive MODULE TOKENFILE LABEL PIN
 *     private key values are unreadable (CKR_ATTRIBUTE_SENSITIVE), cannot
 *     be made readable, copied out, wrapped or imported, and never reach
 *     the token file in clear, whatever the templates ask for.
 *   p11_probe events MODULE N
 *     C_WaitForSlotEvent: CKF_DONT_BLOCK gives CKR_NO_EVENT when nothing
 *     happened; then prints "ready" and one line per event for N events
 *     (another process plugs and unplugs), then CKR_NO_EVENT again.
 *   p11_probe seeobj MODULE LABEL OBJLABEL
 *     one session, never re-opened: the data object OBJLABEL is absent;
 *     prints "ready"; waits (up to 20 s) until another process creates
 *     it and prints "seen VALUE"; then until it is destroyed, "gone".
 *   p11_probe reinit MODULE LABEL PIN GOFILE
 *     logs in as user, prints "ready", waits (up to 20 s) for GOFILE to
 *     exist (another process has re-initialized the token meanwhile),
 *     then expects the login gone: private objects can be neither made
 *     nor found, and the session is a public one.
 *   p11_probe finalize MODULE
 *     a thread blocks in C_WaitForSlotEvent; C_Finalize from the main
 *     thread wakes it (CKR_CRYPTOKI_NOT_INITIALIZED) and returns CKR_OK.
 *   p11_probe threads MODULE LABEL PIN N
 *     CKF_OS_LOCKING_OK: N threads, each with its own session, at once
 *     create token data objects, sign and verify with the token's EC key
 *     (CKA_ID 0x01), search and destroy; every call must succeed and
 *     every object come and go exactly once.
 *   p11_probe unplug MODULE LABEL PIN GOFILE
 *     logs in, starts a multi-part signature, prints "ready", waits for
 *     GOFILE (the token has been unplugged meanwhile): the session and
 *     the operation are gone (CKR_DEVICE_REMOVED or
 *     CKR_SESSION_HANDLE_INVALID), the token is not present; then prints
 *     "again" and waits for GOFILE.2 (plugged back): the old session stays
 *     dead, a new one works and is not logged in.
 *   p11_probe replug MODULE LABEL PIN GOFILE
 *     as unplug, but the token is pulled out and put back into the same
 *     slot before GOFILE appears, with no call in between: the session
 *     and the operation are gone all the same, and a session opened by
 *     the first call after it lives on.
 *   p11_probe damaged MODULE SLOT PIN GOFILE
 *     one process while the token file in SLOT is damaged and put right
 *     by another, in turns (GOFILE.1, .2, .3 tell it to go on): damaged
 *     at the start, CKR_TOKEN_NOT_RECOGNIZED; put right, the token works
 *     without plugging it again; damaged under an open session, every
 *     call fails (CKR_DEVICE_ERROR) and nothing is half read; put right,
 *     the session works again.
 *   p11_probe conventions MODULE LABEL PIN
 *     the two-call length convention (sign, decrypt, digest, attributes),
 *     multi-part signing, and the return codes for bad handles, wrong
 *     session state and bad templates.
 *   p11_probe crypto MODULE LABEL PIN
 *     every mechanism against OpenSSL: RSA PKCS#1 v1.5 and PSS signatures
 *     (raw and hashing, 2048/3072/4096), ECDSA on P-256 and P-384,
 *     RSA decryption (PKCS#1 v1.5, raw, OAEP with SHA-1/SHA-256 and with
 *     and without a label), digests, random.
 *
 * Prints "FAIL: ..." for each failed check and exits 1 if any failed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "p11/p11.h"
#include "p11_check.h"

#define KYSO_CKA_KEY_DER (CKA_VENDOR_DEFINED | 0x4b590001UL)

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

/* Is needle anywhere in the token file or its journal ("<file>.jnl",
 * where objects added since the last whole write are)? -1 when the file
 * cannot be read. */
static int
file_contains(const char *path, const void *needle, size_t n)
{
	struct buf *b = NULL;
	char *jnl = NULL;
	int found;

	if (n == 0 || file_read(path, 64 * 1024 * 1024, &b) != 0)
		return -1;
	found = memmem(buf_ptr(b), buf_len(b), needle, n) != NULL;
	buf_free(b);
	b = NULL;
	if (!found && asprintf(&jnl, "%s.jnl", path) >= 0) {
		if (file_read(jnl, 64 * 1024 * 1024, &b) == 0)
			found = memmem(buf_ptr(b), buf_len(b), needle, n) != NULL;
		buf_free(b);
		free(jnl);
	}
	return found;
}

/* Reads one attribute into a new buffer (*len its length). */
static CK_RV
get_attr(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
    CK_BYTE **val, CK_ULONG *len)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };
	CK_RV rv;

	*val = NULL;
	*len = 0;
	if ((rv = f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK)
		return rv;
	if ((a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1)) == NULL)
		return CKR_HOST_MEMORY;
	if ((rv = f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK) {
		free(a.pValue);
		return rv;
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return CKR_OK;
}

static int
get_bool(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL v = 2;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK)
		return -1;
	return v;
}

/* Each of these must come back CKR_ATTRIBUTE_SENSITIVE, unavailable. */
static void
check_sensitive(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, const char *what,
    const CK_ATTRIBUTE_TYPE *types, size_t n)
{
	CK_BYTE buf[4096];
	size_t i;

	for (i = 0; i < n; i++) {
		CK_ATTRIBUTE a = { types[i], NULL, 0 };
		CK_RV rv = f->C_GetAttributeValue(s, k, &a, 1);

		EXPECT(rv == CKR_ATTRIBUTE_SENSITIVE &&
			a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
		    "%s: attribute 0x%lx size query gave %s, length %ld", what,
		    types[i], p11_rv_name(rv), (long)a.ulValueLen);
		a.pValue = buf;
		a.ulValueLen = sizeof(buf);
		memset(buf, 0, sizeof(buf));
		rv = f->C_GetAttributeValue(s, k, &a, 1);
		EXPECT(rv == CKR_ATTRIBUTE_SENSITIVE &&
			a.ulValueLen == CK_UNAVAILABLE_INFORMATION,
		    "%s: attribute 0x%lx read gave %s", what, types[i],
		    p11_rv_name(rv));
	}
	/* In a template with readable attributes: those are filled, the
	 * sensitive one is marked, the call says sensitive. */
	{
		CK_BBOOL sens = 0;
		CK_KEY_TYPE kt = 0;
		CK_ATTRIBUTE a[] = {
			{ CKA_SENSITIVE, &sens, sizeof(sens) },
			{ types[0], buf, sizeof(buf) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		};
		CK_RV rv = f->C_GetAttributeValue(s, k, a, 3);

		EXPECT(rv == CKR_ATTRIBUTE_SENSITIVE && sens == CK_TRUE &&
			a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION &&
			a[2].ulValueLen == sizeof(kt),
		    "%s: mixed template gave %s", what, p11_rv_name(rv));
	}
	EXPECT(get_bool(s, k, CKA_SENSITIVE) == 1, "%s: CKA_SENSITIVE", what);
	EXPECT(get_bool(s, k, CKA_EXTRACTABLE) == 0, "%s: CKA_EXTRACTABLE", what);
	EXPECT(get_bool(s, k, CKA_ALWAYS_SENSITIVE) == 1,
	    "%s: CKA_ALWAYS_SENSITIVE", what);
	EXPECT(get_bool(s, k, CKA_NEVER_EXTRACTABLE) == 1,
	    "%s: CKA_NEVER_EXTRACTABLE", what);
	EXPECT(get_bool(s, k, CKA_PRIVATE) == 1, "%s: CKA_PRIVATE", what);
}

/* Cannot be made readable, copied or wrapped. */
static void
check_locked_in(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, const char *what)
{
	CK_ATTRIBUTE unsens = { CKA_SENSITIVE, &no, sizeof(no) };
	CK_ATTRIBUTE extr = { CKA_EXTRACTABLE, &yes, sizeof(yes) };
	CK_ATTRIBUTE pub = { CKA_PRIVATE, &no, sizeof(no) };
	CK_MECHANISM wrap = { CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE copy = 0;
	CK_BYTE out[8192];
	CK_ULONG outlen = sizeof(out);
	CK_RV rv;

	rv = f->C_SetAttributeValue(s, k, &unsens, 1);
	EXPECT(rv != CKR_OK, "%s: CKA_SENSITIVE set to false", what);
	rv = f->C_SetAttributeValue(s, k, &extr, 1);
	EXPECT(rv != CKR_OK, "%s: CKA_EXTRACTABLE set to true", what);
	rv = f->C_SetAttributeValue(s, k, &pub, 1);
	EXPECT(rv != CKR_OK, "%s: CKA_PRIVATE set to false", what);
	rv = f->C_CopyObject(s, k, &unsens, 1, &copy);
	EXPECT(rv != CKR_OK, "%s: copied as not sensitive", what);
	rv = f->C_WrapKey(s, &wrap, k, k, out, &outlen);
	EXPECT(rv != CKR_OK, "%s: wrapped", what);
	EXPECT(get_bool(s, k, CKA_SENSITIVE) == 1, "%s: still sensitive", what);
}

static CK_OBJECT_HANDLE
count_class(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, CK_ULONG *n)
{
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[64], first = 0;
	CK_ULONG got = 0;

	*n = 0;
	if (f->C_FindObjectsInit(s, &t, 1) != CKR_OK)
		return 0;
	if (f->C_FindObjects(s, h, 64, &got) == CKR_OK) {
		*n = got;
		first = got > 0 ? h[0] : 0;
	}
	(void)f->C_FindObjectsFinal(s);
	return first;
}

/* Generates a pair whose public half is a session object, so the token
 * file holds nothing public of it: its public value (the RSA modulus or
 * the EC point) must then not be in the file at all, since the private
 * half carries it only sealed. extra: more private-template entries. */
static CK_RV
gen_pair(CK_SESSION_HANDLE s, int ec, const CK_ATTRIBUTE *extra, size_t nextra,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv, CK_BYTE **pubval,
    CK_ULONG *pubvallen)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	CK_ULONG bits = 2048;
	CK_MECHANISM m_rsa = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_ec = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub_rsa[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e65537, sizeof(e65537) },
	};
	CK_ATTRIBUTE pub_ec[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
	};
	CK_ATTRIBUTE privt[16] = {
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_LABEL, "probe", 5 },
	};
	size_t np = 3, i;
	CK_RV rv;

	*pubval = NULL;
	*pubvallen = 0;
	for (i = 0; i < nextra && np < 16; i++)
		privt[np++] = extra[i];
	rv = f->C_GenerateKeyPair(s, ec ? &m_ec : &m_rsa, ec ? pub_ec : pub_rsa,
	    ec ? 3 : 4, privt, (CK_ULONG)np, pub, priv);
	if (rv != CKR_OK)
		return rv;
	return get_attr(s, *pub, ec ? CKA_EC_POINT : CKA_MODULUS, pubval,
	    pubvallen);
}

/* The public value of a generated pair is nowhere in the token file. */
static void
check_not_on_disk(const char *file, const CK_BYTE *v, CK_ULONG n, const char *what)
{
	int found;

	/* An EC point comes DER-wrapped: look for the raw point. */
	if (n > 2 && v[0] == 0x04 && v[1] == n - 2) {
		v += 2;
		n -= 2;
	}
	found = file_contains(file, v, n);
	EXPECT(found == 0,
	    "%s: the public value (%lu bytes) of a key whose "
	    "public half is a session object is in the token file in clear "
	    "(found=%d): its private half is stored unsealed",
	    what, n, found);
}

static int
cmd_sensitive(const char *module, const char *file, const char *label,
    const char *pin)
{
	static const CK_ATTRIBUTE_TYPE rsa_secret[] = { CKA_PRIVATE_EXPONENT,
		CKA_PRIME_1, CKA_PRIME_2, CKA_EXPONENT_1, CKA_EXPONENT_2,
		CKA_COEFFICIENT, CKA_VALUE, KYSO_CKA_KEY_DER };
	static const CK_ATTRIBUTE_TYPE ec_secret[] = { CKA_VALUE,
		KYSO_CKA_KEY_DER };
	struct p11 *p = NULL;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0, s2 = 0;
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE *pv = NULL;
	CK_ULONG pvlen = 0, n0 = 0, n1 = 0;
	CK_RV rv;

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;

	/* RSA. */
	rv = gen_pair(s, 0, NULL, 0, &pub, &priv, &pv, &pvlen);
	EXPECT(rv == CKR_OK, "RSA key generation: %s", p11_rv_name(rv));
	if (rv == CKR_OK) {
		check_sensitive(s, priv, "RSA", rsa_secret,
		    sizeof(rsa_secret) / sizeof(rsa_secret[0]));
		check_locked_in(s, priv, "RSA");
		check_not_on_disk(file, pv, pvlen, "RSA");
		/* The modulus of a token public key is on disk in clear:
		 * the search above can find what is there. */
		{
			CK_ATTRIBUTE tok = { CKA_TOKEN, &yes, sizeof(yes) };
			CK_OBJECT_HANDLE c = 0;

			rv = f->C_CopyObject(s, pub, &tok, 1, &c);
			EXPECT(rv == CKR_OK, "copy of the public key: %s",
			    p11_rv_name(rv));
			EXPECT(file_contains(file, pv, pvlen) == 1,
			    "a token public key's modulus is not in the file");
			if (rv == CKR_OK)
				(void)f->C_DestroyObject(s, c);
		}
	}
	free(pv);
	pv = NULL;

	/* EC. */
	rv = gen_pair(s, 1, NULL, 0, &pub, &priv, &pv, &pvlen);
	EXPECT(rv == CKR_OK, "EC key generation: %s", p11_rv_name(rv));
	if (rv == CKR_OK) {
		check_sensitive(s, priv, "EC", ec_secret,
		    sizeof(ec_secret) / sizeof(ec_secret[0]));
		check_locked_in(s, priv, "EC");
		check_not_on_disk(file, pv, pvlen, "EC");
	}
	free(pv);
	pv = NULL;

	/* Templates that ask for a readable or public private key. */
	{
		CK_ATTRIBUTE unsens = { CKA_SENSITIVE, &no, sizeof(no) };
		CK_ATTRIBUTE extr = { CKA_EXTRACTABLE, &yes, sizeof(yes) };

		rv = gen_pair(s, 1, &unsens, 1, &pub, &priv, &pv, &pvlen);
		EXPECT(rv != CKR_OK, "a key pair with CKA_SENSITIVE false");
		free(pv);
		rv = gen_pair(s, 1, &extr, 1, &pub, &priv, &pv, &pvlen);
		EXPECT(rv != CKR_OK, "a key pair with CKA_EXTRACTABLE true");
		free(pv);
		pv = NULL;
	}
	{
		CK_ATTRIBUTE pubpriv = { CKA_PRIVATE, &no, sizeof(no) };

		rv = gen_pair(s, 0, &pubpriv, 1, &pub, &priv, &pv, &pvlen);
		if (rv == CKR_OK) {
			/* Accepted: it must still be private and sealed. */
			EXPECT(get_bool(s, priv, CKA_PRIVATE) == 1,
			    "a private key made with CKA_PRIVATE false is public");
			check_not_on_disk(file, pv, pvlen, "CKA_PRIVATE false");
		}
		free(pv);
		pv = NULL;
	}
	{
		CK_ATTRIBUTE copyable = { CKA_COPYABLE, &yes, sizeof(yes) };
		CK_ATTRIBUTE pubcopy[] = {
			{ CKA_PRIVATE, &no, sizeof(no) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
		};
		CK_OBJECT_HANDLE c = 0;

		rv = gen_pair(s, 0, &copyable, 1, &pub, &priv, &pv, &pvlen);
		if (rv == CKR_OK) {
			rv = f->C_CopyObject(s, priv, pubcopy, 2, &c);
			if (rv == CKR_OK)
				EXPECT(get_bool(s, c, CKA_PRIVATE) == 1,
				    "a copy of a private key is public");
			check_not_on_disk(file, pv, pvlen, "public copy");
		}
		free(pv);
		pv = NULL;
	}

	/* A private key cannot be brought to the token. */
	{
		CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
		CK_KEY_TYPE kt = CKK_RSA;
		CK_BYTE fake[128];
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_KEY_TYPE, &kt, sizeof(kt) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_PRIVATE, &yes, sizeof(yes) },
			{ CKA_MODULUS, fake, sizeof(fake) },
			{ CKA_PUBLIC_EXPONENT, fake, 3 },
			{ CKA_PRIVATE_EXPONENT, fake, sizeof(fake) },
		};
		CK_OBJECT_HANDLE h = 0;

		memset(fake, 0x7b, sizeof(fake));
		count_class(s, CKO_PRIVATE_KEY, &n0);
		rv = f->C_CreateObject(s, t, 7, &h);
		EXPECT(rv != CKR_OK, "C_CreateObject of a private key succeeded");
		t[2].pValue = &no; /* a session object: refused too */
		rv = f->C_CreateObject(s, t, 7, &h);
		EXPECT(rv != CKR_OK,
		    "C_CreateObject of a session private key succeeded");
		count_class(s, CKO_PRIVATE_KEY, &n1);
		EXPECT(n0 == n1, "private keys: %lu before, %lu after", n0, n1);
		EXPECT(file_contains(file, fake, sizeof(fake)) == 0,
		    "an imported private key reached the file");
	}

	/* Without a login no private key is visible. */
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2)) ==
	    CKR_OK) {
		(void)f->C_Logout(s);
		count_class(s2, CKO_PRIVATE_KEY, &n1);
		EXPECT(n1 == 0, "%lu private keys visible without a login", n1);
	}
	if (s2 != 0)
		(void)f->C_CloseSession(s2);
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "sensitive: failed" : "sensitive: ok");
	return failures ? 1 : 0;
}

static int
cmd_events(const char *module, const char *count)
{
	struct p11 *p = NULL;
	CK_SLOT_ID slot = 0;
	CK_SLOT_INFO si;
	uint64_t n64 = 0;
	long i, n;
	CK_RV rv;

	if (parse_u64(count, 0, 100, &n64) != 0 || p11_open(module, &p) != 0) {
		printf("FAIL: bad count or cannot open %s\n", module);
		return 1;
	}
	n = (long)n64;
	f = p11_fn(p);
	/* Tokens present at C_Initialize are not events. */
	for (i = 0; i < 3; i++) {
		rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
		EXPECT(rv == CKR_NO_EVENT,
		    "DONT_BLOCK with nothing new gave %s", p11_rv_name(rv));
	}
	rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL);
	EXPECT(rv == CKR_ARGUMENTS_BAD, "a NULL slot gave %s", p11_rv_name(rv));
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < n; i++) {
		rv = f->C_WaitForSlotEvent(0, &slot, NULL);
		if (rv != CKR_OK) {
			EXPECT(rv == CKR_OK, "waiting gave %s", p11_rv_name(rv));
			break;
		}
		rv = f->C_GetSlotInfo(slot, &si);
		EXPECT(rv == CKR_OK, "C_GetSlotInfo: %s", p11_rv_name(rv));
		printf("event slot %lu %s\n", slot,
		    rv == CKR_OK && (si.flags & CKF_TOKEN_PRESENT) ? "present"
								   : "absent");
		fflush(stdout);
	}
	rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
	EXPECT(rv == CKR_NO_EVENT, "DONT_BLOCK after the events gave %s",
	    p11_rv_name(rv));
	p11_free(p);
	printf("%s\n", failures ? "events: failed" : "events: ok");
	return failures ? 1 : 0;
}

/* Finds the data object labelled lbl: 1 and its value in val, or 0. */
static int
find_data(CK_SESSION_HANDLE s, const char *lbl, char *val, size_t valsz)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)lbl, strlen(lbl) },
	};
	CK_ATTRIBUTE v = { CKA_VALUE, val, valsz - 1 };
	CK_OBJECT_HANDLE h;
	CK_ULONG got = 0;

	if (f->C_FindObjectsInit(s, t, 2) != CKR_OK)
		return -1;
	if (f->C_FindObjects(s, &h, 1, &got) != CKR_OK)
		got = 0;
	(void)f->C_FindObjectsFinal(s);
	if (got == 0)
		return 0;
	if (f->C_GetAttributeValue(s, h, &v, 1) != CKR_OK)
		return -1;
	val[v.ulValueLen] = '\0';
	return 1;
}

static int
cmd_seeobj(const char *module, const char *label, const char *obj)
{
	struct p11 *p = NULL;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	char val[256];
	int i, r = 0;

	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK) {
		printf("FAIL: C_OpenSession\n");
		goto out;
	}
	EXPECT(find_data(s, obj, val, sizeof(val)) == 0,
	    "object %s there before it was made", obj);
	printf("ready\n");
	for (i = 0; i < 400 && (r = find_data(s, obj, val, sizeof(val))) == 0; i++)
		usleep(50 * 1000);
	EXPECT(r == 1, "object %s never seen (r=%d)", obj, r);
	if (r == 1)
		printf("seen %s\n", val);
	/* The object may go between finding it and reading it (-1): that
	 * is another look, not a failure. */
	for (i = 0; i < 400 && (r = find_data(s, obj, val, sizeof(val))) != 0; i++)
		usleep(50 * 1000);
	EXPECT(r == 0, "object %s never went away (r=%d)", obj, r);
	if (r == 0)
		printf("gone\n");
out:
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "seeobj: failed" : "seeobj: ok");
	return failures ? 1 : 0;
}

static int
cmd_reinit(const char *module, const char *label, const char *pin,
    const char *gofile)
{
	static const char secret[] = "made with a stale token key";
	struct p11 *p = NULL;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_SESSION_INFO si;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_OBJECT_HANDLE h = 0;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_LABEL, "stale", 5 },
		{ CKA_VALUE, (void *)secret, sizeof(secret) - 1 },
	};
	CK_ULONG n = 0;
	CK_RV rv;
	int i;

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	printf("ready\n");
	for (i = 0; i < 400 && access(gofile, F_OK) != 0; i++)
		usleep(50 * 1000);
	EXPECT(access(gofile, F_OK) == 0, "never told to go on");
	rv = f->C_GetSessionInfo(s, &si);
	EXPECT(rv == CKR_OK && si.state == CKS_RW_PUBLIC_SESSION,
	    "after the re-initialization: %s, session state %lu",
	    p11_rv_name(rv), rv == CKR_OK ? si.state : 99UL);
	rv = f->C_CreateObject(s, t, 5, &h);
	EXPECT(rv == CKR_USER_NOT_LOGGED_IN,
	    "a private object made with the old login: %s", p11_rv_name(rv));
	count_class(s, CKO_DATA, &n);
	EXPECT(n == 0, "%lu data objects visible", n);
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "reinit: failed" : "reinit: ok");
	return failures ? 1 : 0;
}

static CK_RV waiter_rv = CKR_GENERAL_ERROR;
static atomic_int waiter_started;

static void *
waiter(void *arg)
{
	CK_SLOT_ID slot = 0;

	(void)arg;
	waiter_started = 1;
	waiter_rv = f->C_WaitForSlotEvent(0, &slot, NULL);
	return NULL;
}

static int
cmd_finalize(const char *module)
{
	CK_C_INITIALIZE_ARGS args;
	struct p11 *p = NULL;
	pthread_t th;
	CK_RV rv;
	int i;

	if (p11_open(module, &p) != 0) {
		printf("FAIL: cannot open %s\n", module);
		return 1;
	}
	f = p11_fn(p);
	if (pthread_create(&th, NULL, waiter, NULL) != 0) {
		printf("FAIL: pthread_create\n");
		p11_free(p);
		return 1;
	}
	/* Let the thread get into its wait (nothing is timed: a thread not
	 * yet waiting finds the module finalized and fails the same way). */
	for (i = 0; i < 100 && !waiter_started; i++)
		usleep(10 * 1000);
	usleep(200 * 1000);
	rv = f->C_Finalize(NULL);
	EXPECT(rv == CKR_OK, "C_Finalize with a waiter: %s", p11_rv_name(rv));
	pthread_join(th, NULL);
	EXPECT(waiter_rv == CKR_CRYPTOKI_NOT_INITIALIZED, "the waiter got %s",
	    p11_rv_name(waiter_rv));
	/* The module can be initialized again and waits again. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = f->C_Initialize(&args);
	EXPECT(rv == CKR_OK, "C_Initialize again: %s", p11_rv_name(rv));
	{
		CK_SLOT_ID slot;

		rv = f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
		EXPECT(rv == CKR_NO_EVENT, "DONT_BLOCK after re-init: %s",
		    p11_rv_name(rv));
	}
	p11_free(p);
	printf("%s\n", failures ? "finalize: failed" : "finalize: ok");
	return failures ? 1 : 0;
}

#define THREAD_ROUNDS 25

struct worker {
	CK_SLOT_ID slot;
	int no;
	int fails;
	char why[160];
};

static void *
thread_work(void *arg)
{
	struct worker *w = arg;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_CLASS kcls = CKO_PRIVATE_KEY, pcls = CKO_PUBLIC_KEY,
			dcls = CKO_DATA;
	CK_BYTE id = 1;
	CK_ATTRIBUTE kt[] = { { CKA_CLASS, &kcls, sizeof(kcls) },
		{ CKA_ID, &id, 1 } };
	CK_ATTRIBUTE pt[] = { { CKA_CLASS, &pcls, sizeof(pcls) },
		{ CKA_ID, &id, 1 } };
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE key = 0, pub = 0, h, found[4];
	CK_BYTE sig[128], msg[64];
	CK_ULONG n, siglen;
	char label[32], val[32];
	CK_RV rv;
	int i;

#define WFAIL(what)                                                            \
	do {                                                                   \
		w->fails++;                                                    \
		snprintf(w->why, sizeof(w->why), "thread %d round %d: %s: %s", \
		    w->no, i, what, p11_rv_name(rv));                          \
		goto out;                                                      \
	} while (0)
	i = -1;
	if ((rv = f->C_OpenSession(w->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
		 NULL, NULL, &s)) != CKR_OK)
		WFAIL("C_OpenSession");
	for (i = 0; i < THREAD_ROUNDS; i++) {
		CK_ATTRIBUTE dt[] = {
			{ CKA_CLASS, &dcls, sizeof(dcls) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_LABEL, label, 0 },
			{ CKA_VALUE, val, 0 },
		};

		dt[2].ulValueLen = (CK_ULONG)snprintf(label, sizeof(label),
		    "t%ld-%d-%d", (long)getpid(), w->no, i);
		dt[3].ulValueLen = (CK_ULONG)snprintf(val, sizeof(val),
		    "value %d %d", w->no, i);
		if ((rv = f->C_CreateObject(s, dt, 4, &h)) != CKR_OK)
			WFAIL("C_CreateObject");
		n = 0;
		if ((rv = f->C_FindObjectsInit(s, dt, 4)) != CKR_OK ||
		    (rv = f->C_FindObjects(s, found, 4, &n)) != CKR_OK ||
		    (rv = f->C_FindObjectsFinal(s)) != CKR_OK)
			WFAIL("find own object");
		if (n != 1 || found[0] != h) {
			rv = CKR_GENERAL_ERROR;
			WFAIL("own object not found once");
		}
		if ((rv = f->C_FindObjectsInit(s, kt, 2)) != CKR_OK ||
		    (rv = f->C_FindObjects(s, &key, 1, &n)) != CKR_OK ||
		    (rv = f->C_FindObjectsFinal(s)) != CKR_OK || n != 1)
			WFAIL("find the private key");
		if ((rv = f->C_FindObjectsInit(s, pt, 2)) != CKR_OK ||
		    (rv = f->C_FindObjects(s, &pub, 1, &n)) != CKR_OK ||
		    (rv = f->C_FindObjectsFinal(s)) != CKR_OK || n != 1)
			WFAIL("find the public key");
		memset(msg, w->no * 31 + i, sizeof(msg));
		siglen = sizeof(sig);
		if ((rv = f->C_SignInit(s, &m, key)) != CKR_OK ||
		    (rv = f->C_Sign(s, msg, sizeof(msg), sig, &siglen)) != CKR_OK)
			WFAIL("sign");
		if ((rv = f->C_VerifyInit(s, &m, pub)) != CKR_OK ||
		    (rv = f->C_Verify(s, msg, sizeof(msg), sig, siglen)) != CKR_OK)
			WFAIL("verify");
		if ((rv = f->C_DestroyObject(s, h)) != CKR_OK)
			WFAIL("C_DestroyObject");
	}
out:
#undef WFAIL
	if (s != 0)
		(void)f->C_CloseSession(s);
	return NULL;
}

static int
cmd_threads(const char *module, const char *label, const char *pin,
    const char *count)
{
	struct worker w[16];
	pthread_t th[16];
	struct p11 *p = NULL;
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s = 0;
	CK_ULONG left = 0;
	uint64_t n64 = 0;
	long i, n = 0;
	CK_RV rv;

	if (parse_u64(count, 1, 16, &n64) == 0)
		n = (long)n64;
	if (n < 1 || p11_open(module, &p) != 0 ||
	    p11_find_token(p, label, &slot, &ti) != 0) {
		printf("FAIL: bad count, or cannot open %s or find %s\n",
		    module, label);
		p11_free(p);
		return 1;
	}
	f = p11_fn(p);
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
		 NULL, NULL, &s)) != CKR_OK ||
	    (rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) !=
		CKR_OK) {
		printf("FAIL: session or login: %s\n", p11_rv_name(rv));
		goto out;
	}
	for (i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].slot = slot;
		w[i].no = (int)i;
		if (pthread_create(&th[i], NULL, thread_work, &w[i]) != 0) {
			printf("FAIL: pthread_create\n");
			n = i;
			failures++;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		EXPECT(w[i].fails == 0, "%s", w[i].why);
	}
	/* (Other processes may be at the same work: count only ours.) */
	{
		char own[32];
		CK_ATTRIBUTE lt = { CKA_LABEL, own, 0 };
		CK_OBJECT_HANDLE hh[4];
		long t;
		int j;

		for (t = 0; t < n; t++) {
			for (j = 0; j < THREAD_ROUNDS; j++) {
				lt.ulValueLen = (CK_ULONG)snprintf(own,
				    sizeof(own), "t%ld-%ld-%d", (long)getpid(),
				    t, j);
				left = 0;
				if (f->C_FindObjectsInit(s, &lt, 1) == CKR_OK) {
					(void)f->C_FindObjects(s, hh, 4, &left);
					(void)f->C_FindObjectsFinal(s);
				}
				EXPECT(left == 0, "object %s left behind", own);
			}
		}
	}
out:
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "threads: failed" : "threads: ok");
	return failures ? 1 : 0;
}

/* out-len convention for one single-part operation already initialized:
 * NULL asks the size, a short buffer gets CKR_BUFFER_TOO_SMALL and the
 * operation stays, then a big enough buffer gets the result, and the
 * operation is over. fn is C_Sign, C_Decrypt or C_Digest. */
typedef CK_RV (*single_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG,
    CK_BYTE_PTR, CK_ULONG_PTR);

static CK_ULONG
two_calls(CK_SESSION_HANDLE s, single_fn fn, CK_BYTE *in, CK_ULONG inlen,
    CK_BYTE *out, CK_ULONG outsz, CK_ULONG exact, const char *what)
{
	CK_ULONG n = 0, need;
	CK_RV rv;

	rv = fn(s, in, inlen, NULL, &n);
	EXPECT(rv == CKR_OK && n > 0 && n <= outsz, "%s: size query: %s, %lu",
	    what, p11_rv_name(rv), n);
	if (rv != CKR_OK || n == 0 || n > outsz)
		return 0;
	need = n;
	n = 1;
	rv = fn(s, in, inlen, out, &n);
	EXPECT(rv == CKR_BUFFER_TOO_SMALL && n >= 2 && n <= need,
	    "%s: short buffer: %s, %lu", what, p11_rv_name(rv), n);
	n = outsz;
	rv = fn(s, in, inlen, out, &n);
	EXPECT(rv == CKR_OK && n <= need && (exact == 0 || n == exact),
	    "%s: full buffer: %s, %lu", what, p11_rv_name(rv), n);
	rv = fn(s, in, inlen, out, &n);
	EXPECT(rv == CKR_OPERATION_NOT_INITIALIZED, "%s: after the result: %s",
	    what, p11_rv_name(rv));
	return n;
}

static int
cmd_conventions(const char *module, const char *label, const char *pin)
{
	static const CK_BYTE abc_sha256[32] = { 0xba, 0x78, 0x16, 0xbf, 0x8f,
		0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22,
		0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4,
		0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
	static const CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	struct p11 *p = NULL;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0, ro = 0;
	CK_OBJECT_HANDLE rpub = 0, rpriv = 0, epub = 0, epriv = 0, h = 0;
	CK_ULONG bits = 2048, n;
	CK_MECHANISM m_rgen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_rsa = { CKM_SHA256_RSA_PKCS, NULL, 0 };
	CK_MECHANISM m_x509 = { CKM_RSA_X_509, NULL, 0 };
	CK_MECHANISM m_ec = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_MECHANISM m_sha = { CKM_SHA256, NULL, 0 };
	CK_ATTRIBUTE rpubt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e65537, sizeof(e65537) },
	};
	CK_ATTRIBUTE rprivt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
	};
	CK_BYTE out[1024], data[300], *mod = NULL;
	CK_ULONG modlen = 0;
	CK_RV rv;
	size_t i;

	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (CK_BYTE)(i * 7);

	/* Sessions and login state. */
	RV_IS(f->C_OpenSession(slot, 0, NULL, NULL, &s),
	    CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro),
	    CKR_OK);
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		  NULL, &s),
	    CKR_OK);
	RV_IS(f->C_OpenSession(999, CKF_SERIAL_SESSION, NULL, NULL, &h),
	    CKR_SLOT_ID_INVALID);
	RV_IS(f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)"87654321", 8),
	    CKR_SESSION_READ_ONLY_EXISTS);
	RV_IS(f->C_Login(s, 77, (CK_UTF8CHAR *)pin, strlen(pin)),
	    CKR_USER_TYPE_INVALID);
	RV_IS(f->C_GenerateKeyPair(s, &m_rgen, rpubt, 4, rprivt, 3, &rpub, &rpriv),
	    CKR_USER_NOT_LOGGED_IN);
	RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin)), CKR_OK);
	RV_IS(f->C_Login(ro, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin)),
	    CKR_USER_ALREADY_LOGGED_IN);
	RV_IS(f->C_Login(0x7777, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin)),
	    CKR_SESSION_HANDLE_INVALID);

	/* Keys for the rest: session objects. */
	RV_IS(f->C_GenerateKeyPair(s, &m_rgen, rpubt, 4, rprivt, 3, &rpub, &rpriv),
	    CKR_OK);
	{
		static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
			0xce, 0x3d, 0x03, 0x01, 0x07 };
		CK_MECHANISM m_egen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
		CK_ATTRIBUTE epubt[] = {
			{ CKA_TOKEN, &no, sizeof(no) },
			{ CKA_EC_PARAMS, (void *)p256, sizeof(p256) },
		};
		CK_ATTRIBUTE eprivt[] = { { CKA_TOKEN, &no, sizeof(no) } };

		RV_IS(f->C_GenerateKeyPair(s, &m_egen, epubt, 2, eprivt, 1,
			  &epub, &epriv),
		    CKR_OK);
	}

	/* Key generation templates the token turns down, leaving nothing. */
	{
		static const CK_BYTE k256[] = { 0x06, 0x05, 0x2b, 0x81, 0x04,
			0x00, 0x0a }; /* secp256k1 */
		static const CK_BYTE e3[] = { 0x03 };
		CK_ULONG b1024 = 1024, before = 0, after = 0;
		CK_MECHANISM m_egen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
		CK_MECHANISM m_bad = { CKM_DSA_KEY_PAIR_GEN, NULL, 0 };
		CK_ATTRIBUTE small[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_MODULUS_BITS, &b1024, sizeof(b1024) },
		};
		CK_ATTRIBUTE exp3[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
			{ CKA_PUBLIC_EXPONENT, (void *)e3, sizeof(e3) },
		};
		CK_ATTRIBUTE nobits[] = { { CKA_TOKEN, &yes, sizeof(yes) } };
		CK_ATTRIBUTE k1[] = {
			{ CKA_TOKEN, &yes, sizeof(yes) },
			{ CKA_EC_PARAMS, (void *)k256, sizeof(k256) },
		};
		CK_ATTRIBUTE privtok[] = { { CKA_TOKEN, &yes, sizeof(yes) } };
		CK_OBJECT_HANDLE a, b;

		count_class(s, CKO_PUBLIC_KEY, &before);
		RV_IS(f->C_GenerateKeyPair(s, &m_rgen, small, 2, privtok, 1, &a,
			  &b),
		    CKR_KEY_SIZE_RANGE);
		RV_IS(f->C_GenerateKeyPair(s, &m_rgen, exp3, 3, privtok, 1, &a,
			  &b),
		    CKR_ATTRIBUTE_VALUE_INVALID);
		RV_IS(f->C_GenerateKeyPair(s, &m_rgen, nobits, 1, privtok, 1,
			  &a, &b),
		    CKR_TEMPLATE_INCOMPLETE);
		RV_IS(f->C_GenerateKeyPair(s, &m_egen, nobits, 1, privtok, 1,
			  &a, &b),
		    CKR_TEMPLATE_INCOMPLETE);
		RV_IS(f->C_GenerateKeyPair(s, &m_egen, k1, 2, privtok, 1, &a, &b),
		    CKR_CURVE_NOT_SUPPORTED);
		RV_IS(f->C_GenerateKeyPair(s, &m_bad, nobits, 1, privtok, 1, &a,
			  &b),
		    CKR_MECHANISM_INVALID);
		count_class(s, CKO_PUBLIC_KEY, &after);
		EXPECT(before == after, "public keys %lu before, %lu after",
		    before, after);
		count_class(s, CKO_PRIVATE_KEY, &after);
		EXPECT(after == 2, "private keys: %lu", after);
	}

	/* Single-part two-call convention. */
	RV_IS(f->C_SignInit(s, &m_rsa, rpriv), CKR_OK);
	RV_IS(f->C_SignInit(s, &m_rsa, rpriv), CKR_OPERATION_ACTIVE);
	n = two_calls(s, f->C_Sign, data, sizeof(data), out, sizeof(out), 256,
	    "RSA sign");
	if (n == 256) {
		RV_IS(f->C_VerifyInit(s, &m_rsa, rpub), CKR_OK);
		RV_IS(f->C_Verify(s, data, sizeof(data), out, n), CKR_OK);
		out[10] ^= 1;
		RV_IS(f->C_VerifyInit(s, &m_rsa, rpub), CKR_OK);
		RV_IS(f->C_Verify(s, data, sizeof(data), out, n),
		    CKR_SIGNATURE_INVALID);
	}
	RV_IS(f->C_SignInit(s, &m_ec, epriv), CKR_OK);
	n = two_calls(s, f->C_Sign, data, sizeof(data), out, sizeof(out), 64,
	    "ECDSA sign");
	if (n == 64) {
		RV_IS(f->C_VerifyInit(s, &m_ec, epub), CKR_OK);
		RV_IS(f->C_Verify(s, data, sizeof(data), out, n), CKR_OK);
	}
	/* A raw RSA decryption of a number below the modulus. */
	RV_IS(get_attr(s, rpub, CKA_MODULUS, &mod, &modlen), CKR_OK);
	if (mod != NULL && modlen == 256) {
		CK_BYTE c[256];

		memcpy(c, data, sizeof(c));
		c[0] = 0;
		RV_IS(f->C_DecryptInit(s, &m_x509, rpriv), CKR_OK);
		two_calls(s, f->C_Decrypt, c, sizeof(c), out, sizeof(out), 256,
		    "RSA X.509 decrypt");
		/* The EC key was made without CKA_DECRYPT. */
		RV_IS(f->C_DecryptInit(s, &m_x509, epriv),
		    CKR_KEY_FUNCTION_NOT_PERMITTED);
	}
	free(mod);
	RV_IS(f->C_DigestInit(s, &m_sha), CKR_OK);
	n = two_calls(s, f->C_Digest, (CK_BYTE *)"abc", 3, out, sizeof(out), 32,
	    "SHA-256");
	EXPECT(n == 32 && memcmp(out, abc_sha256, 32) == 0, "SHA-256 of abc");

	/* Multi-part: the final call has the same convention. */
	RV_IS(f->C_SignInit(s, &m_ec, epriv), CKR_OK);
	RV_IS(f->C_SignUpdate(s, data, 100), CKR_OK);
	RV_IS(f->C_SignUpdate(s, data + 100, sizeof(data) - 100), CKR_OK);
	n = 0;
	RV_IS(f->C_SignFinal(s, NULL, &n), CKR_OK);
	EXPECT(n == 64, "SignFinal size %lu", n);
	n = 10;
	RV_IS(f->C_SignFinal(s, out, &n), CKR_BUFFER_TOO_SMALL);
	n = sizeof(out);
	RV_IS(f->C_SignFinal(s, out, &n), CKR_OK);
	RV_IS(f->C_VerifyInit(s, &m_ec, epub), CKR_OK);
	RV_IS(f->C_Verify(s, data, sizeof(data), out, n), CKR_OK);
	RV_IS(f->C_SignFinal(s, out, &n), CKR_OPERATION_NOT_INITIALIZED);

	/* Operations and keys that do not go together. */
	RV_IS(f->C_SignInit(s, &m_rsa, epriv), CKR_KEY_TYPE_INCONSISTENT);
	RV_IS(f->C_SignInit(s, &m_rsa, rpub), CKR_KEY_TYPE_INCONSISTENT);
	RV_IS(f->C_VerifyInit(s, &m_rsa, rpriv), CKR_KEY_TYPE_INCONSISTENT);
	RV_IS(f->C_SignInit(s, &m_rsa, 0x12345), CKR_KEY_HANDLE_INVALID);
	RV_IS(f->C_SignInit(s, NULL, rpriv), CKR_ARGUMENTS_BAD);
	{
		CK_MECHANISM bad = { CKM_MD5_RSA_PKCS, NULL, 0 };

		RV_IS(f->C_SignInit(s, &bad, rpriv), CKR_MECHANISM_INVALID);
	}
	RV_IS(f->C_DecryptInit(s, &m_x509, rpub), CKR_KEY_TYPE_INCONSISTENT);
	RV_IS(f->C_Sign(s, data, 10, out, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV_IS(f->C_FindObjects(s, &h, 1, &n), CKR_OPERATION_NOT_INITIALIZED);
	RV_IS(f->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);

	/* Attributes: sizes, short buffers, unknown types, bad handles. */
	{
		CK_BYTE small[4];
		CK_ULONG cls = 0;
		CK_ATTRIBUTE a[] = {
			{ CKA_MODULUS, small, sizeof(small) },
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ 0x7fff1234UL, small, sizeof(small) },
		};

		RV_IS(f->C_GetAttributeValue(s, rpub, &a[0], 1),
		    CKR_BUFFER_TOO_SMALL);
		EXPECT(a[0].ulValueLen == CK_UNAVAILABLE_INFORMATION,
		    "short buffer length %ld", (long)a[0].ulValueLen);
		a[0].ulValueLen = sizeof(small);
		/* Two kinds of trouble: either code may come back, but every
		 * attribute is processed. */
		rv = f->C_GetAttributeValue(s, rpub, a, 3);
		EXPECT(rv == CKR_BUFFER_TOO_SMALL ||
			rv == CKR_ATTRIBUTE_TYPE_INVALID,
		    "a template with a short buffer and an unknown type: %s",
		    p11_rv_name(rv));
		EXPECT(a[0].ulValueLen == CK_UNAVAILABLE_INFORMATION,
		    "short buffer length in a template");
		EXPECT(cls == CKO_PUBLIC_KEY && a[1].ulValueLen == sizeof(cls),
		    "the readable attribute in a failing template");
		EXPECT(a[2].ulValueLen == CK_UNAVAILABLE_INFORMATION,
		    "unknown attribute length");
		a[2].ulValueLen = sizeof(small);
		RV_IS(f->C_GetAttributeValue(s, rpub, &a[2], 1),
		    CKR_ATTRIBUTE_TYPE_INVALID);
		RV_IS(f->C_GetAttributeValue(s, 0x12345, &a[1], 1),
		    CKR_OBJECT_HANDLE_INVALID);
		RV_IS(f->C_GetAttributeValue(0x7777, rpub, &a[1], 1),
		    CKR_SESSION_HANDLE_INVALID);
		RV_IS(f->C_DestroyObject(s, 0x12345), CKR_OBJECT_HANDLE_INVALID);
	}

	/* Templates. */
	{
		CK_OBJECT_CLASS dc = CKO_DATA, bogus = 0x7777;
		CK_ATTRIBUTE noclass[] = { { CKA_LABEL, "x", 1 } };
		CK_ATTRIBUTE tokdata[] = {
			{ CKA_CLASS, &dc, sizeof(dc) },
			{ CKA_TOKEN, &yes, sizeof(yes) },
		};
		CK_ATTRIBUTE badclass[] = { { CKA_CLASS, &bogus, sizeof(bogus) } };
		CK_ATTRIBUTE nullval[] = {
			{ CKA_CLASS, &dc, sizeof(dc) },
			{ CKA_VALUE, NULL, 5 },
		};

		RV_IS(f->C_CreateObject(s, noclass, 1, &h),
		    CKR_TEMPLATE_INCOMPLETE);
		RV_IS(f->C_CreateObject(s, badclass, 1, &h),
		    CKR_ATTRIBUTE_VALUE_INVALID);
		RV_IS(f->C_CreateObject(s, nullval, 2, &h),
		    CKR_ATTRIBUTE_VALUE_INVALID);
		RV_IS(f->C_CreateObject(ro, tokdata, 2, &h),
		    CKR_SESSION_READ_ONLY);
		RV_IS(f->C_CreateObject(s, tokdata, 2, NULL), CKR_ARGUMENTS_BAD);
		RV_IS(f->C_CreateObject(s, tokdata, 2, &h), CKR_OK);
		RV_IS(f->C_DestroyObject(ro, h), CKR_SESSION_READ_ONLY);
		RV_IS(f->C_DestroyObject(s, h), CKR_OK);
		RV_IS(f->C_DestroyObject(s, h), CKR_OBJECT_HANDLE_INVALID);
	}

	/* An operation with a private key ends with the login. */
	{
		RV_IS(f->C_SignInit(ro, &m_rsa, rpriv), CKR_OK);
		RV_IS(f->C_DigestInit(s, &m_sha), CKR_OK);
		RV_IS(f->C_Logout(s), CKR_OK);
		n = sizeof(out);
		RV_IS(f->C_Sign(ro, data, 10, out, &n),
		    CKR_OPERATION_NOT_INITIALIZED);
		n = sizeof(out);
		RV_IS(f->C_Digest(s, data, 10, out, &n), CKR_OK);
		RV_IS(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin)),
		    CKR_OK);
	}

	/* Closing the last session logs out: session keys are gone. */
	RV_IS(f->C_CloseSession(ro), CKR_OK);
	RV_IS(f->C_CloseSession(ro), CKR_SESSION_HANDLE_INVALID);
	ro = 0;
	RV_IS(f->C_CloseSession(s), CKR_OK);
	s = 0;
	RV_IS(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
	{
		CK_SESSION_INFO si;

		RV_IS(f->C_GetSessionInfo(s, &si), CKR_OK);
		EXPECT(si.state == CKS_RO_PUBLIC_SESSION,
		    "state %lu after all "
		    "sessions closed",
		    si.state);
	}
	RV_IS(f->C_SignInit(s, &m_ec, epriv), CKR_KEY_HANDLE_INVALID);
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "conventions: failed" : "conventions: ok");
	return failures ? 1 : 0;
}

/* The OpenSSL public key of a PKCS#11 public key object. */
static EVP_PKEY *
ossl_pub(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE pub)
{
	CK_BYTE *der = NULL;
	CK_ULONG n = 0;
	const unsigned char *q;
	EVP_PKEY *k = NULL;

	if (get_attr(s, pub, CKA_PUBLIC_KEY_INFO, &der, &n) != CKR_OK)
		return NULL;
	q = der;
	k = d2i_PUBKEY(NULL, &q, (long)n);
	free(der);
	return k;
}

static CK_RV
gen(CK_SESSION_HANDLE s, int ec, CK_ULONG bits, int curve384,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	static const CK_BYTE e65537[] = { 0x01, 0x00, 0x01 };
	CK_MECHANISM m_rsa = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM m_ec = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub_rsa[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, (void *)e65537, sizeof(e65537) },
	};
	CK_ATTRIBUTE pub_ec[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, curve384 ? (void *)p384 : (void *)p256,
		    curve384 ? sizeof(p384) : sizeof(p256) },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_DECRYPT, &yes, sizeof(yes) },
	};

	return f->C_GenerateKeyPair(s, ec ? &m_ec : &m_rsa,
	    ec ? pub_ec : pub_rsa, ec ? 2 : 3, privt, ec ? 2 : 3, pub, priv);
}

static CK_RV
p11_sign(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE k,
    const CK_BYTE *d, CK_ULONG n, CK_BYTE *sig, CK_ULONG *siglen)
{
	CK_RV rv;

	if ((rv = f->C_SignInit(s, m, k)) != CKR_OK)
		return rv;
	return f->C_Sign(s, (CK_BYTE *)d, n, sig, siglen);
}

/* OpenSSL verifies a signature over data (md != NULL: hashing inside;
 * pre: the input is already the digest). pss: salt length, or -1. */
static int
ossl_verify(EVP_PKEY *k, const EVP_MD *md, int pre, int pss, const EVP_MD *mgf,
    const CK_BYTE *sig, size_t siglen, const CK_BYTE *d, size_t n)
{
	EVP_PKEY_CTX *c = NULL;
	EVP_MD_CTX *mc = NULL;
	int ok = 0;

	if (pre) {
		if ((c = EVP_PKEY_CTX_new(k, NULL)) == NULL ||
		    EVP_PKEY_verify_init(c) != 1 ||
		    (md != NULL && EVP_PKEY_CTX_set_signature_md(c, md) != 1))
			goto out;
	} else {
		if ((mc = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestVerifyInit(mc, &c, md, NULL, k) != 1)
			goto out;
	}
	if (pss >= 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) != 1 ||
		EVP_PKEY_CTX_set_rsa_pss_saltlen(c, pss) != 1 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md(c, mgf) != 1))
		goto out;
	ok = pre ? EVP_PKEY_verify(c, sig, siglen, d, n) == 1
		 : EVP_DigestVerify(mc, sig, siglen, d, n) == 1;
out:
	if (mc != NULL)
		EVP_MD_CTX_free(mc);
	else
		EVP_PKEY_CTX_free(c);
	return ok;
}

/* r || s to DER for OpenSSL. */
static size_t
raw_to_der(const CK_BYTE *sig, size_t n, CK_BYTE *der, size_t dersz)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(n / 2), NULL);
	BIGNUM *sv = BN_bin2bn(sig + n / 2, (int)(n / 2), NULL);
	unsigned char *p = der;
	int len = 0;

	if (es != NULL && r != NULL && sv != NULL &&
	    ECDSA_SIG_set0(es, r, sv) == 1) {
		r = sv = NULL;
		if (i2d_ECDSA_SIG(es, NULL) <= (int)dersz)
			len = i2d_ECDSA_SIG(es, &p);
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(es);
	return len > 0 ? (size_t)len : 0;
}

static size_t
ossl_encrypt(EVP_PKEY *k, int pad, const EVP_MD *md, const char *label,
    const CK_BYTE *pt, size_t n, CK_BYTE *out, size_t outsz)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
	size_t len = outsz;

	if (c == NULL || EVP_PKEY_encrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, pad) != 1)
		len = 0;
	if (len && pad == RSA_PKCS1_OAEP_PADDING &&
	    (EVP_PKEY_CTX_set_rsa_oaep_md(c, md) != 1 ||
		EVP_PKEY_CTX_set_rsa_mgf1_md(c, md) != 1))
		len = 0;
	if (len && label != NULL) {
		void *l = OPENSSL_strdup(label);

		if (l == NULL ||
		    EVP_PKEY_CTX_set0_rsa_oaep_label(c, l, (int)strlen(label)) !=
			1) {
			OPENSSL_free(l);
			len = 0;
		}
	}
	if (len && EVP_PKEY_encrypt(c, out, &len, pt, n) != 1)
		len = 0;
	EVP_PKEY_CTX_free(c);
	return len;
}

static CK_RV
p11_decrypt(CK_SESSION_HANDLE s, CK_MECHANISM *m, CK_OBJECT_HANDLE k,
    const CK_BYTE *ct, CK_ULONG n, CK_BYTE *out, CK_ULONG *outlen)
{
	CK_RV rv;

	if ((rv = f->C_DecryptInit(s, m, k)) != CKR_OK)
		return rv;
	return f->C_Decrypt(s, (CK_BYTE *)ct, n, out, outlen);
}

static void
check_rsa(CK_SESSION_HANDLE s, CK_ULONG bits)
{
	static const CK_BYTE sha256_info[] = { 0x30, 0x31, 0x30, 0x0d, 0x06,
		0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
		0x05, 0x00, 0x04, 0x20 };
	static const char msg[] = "Hợp đồng điện tử số 2026/001";
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_BYTE sig[1024], dig[64], di[128], ct[1024], pt[1024];
	CK_ULONG siglen, ptlen;
	size_t ctlen;
	unsigned int dl = 0;
	EVP_PKEY *k = NULL;
	CK_RV rv;
	size_t i;
	struct {
		CK_MECHANISM_TYPE m;
		const EVP_MD *md;
	} hashing[] = {
		{ CKM_SHA256_RSA_PKCS, EVP_sha256() },
		{ CKM_SHA384_RSA_PKCS, EVP_sha384() },
		{ CKM_SHA512_RSA_PKCS, EVP_sha512() },
	};

	rv = gen(s, 0, bits, 0, &pub, &priv);
	EXPECT(rv == CKR_OK, "RSA-%lu key generation: %s", bits, p11_rv_name(rv));
	if (rv != CKR_OK || (k = ossl_pub(s, pub)) == NULL) {
		EXPECT(0, "RSA-%lu public key for OpenSSL", bits);
		return;
	}
	EXPECT(EVP_PKEY_get_bits(k) == (int)bits,
	    "RSA key of %d bits, want %lu", EVP_PKEY_get_bits(k), bits);
	for (i = 0; i < sizeof(hashing) / sizeof(hashing[0]); i++) {
		CK_MECHANISM m = { hashing[i].m, NULL, 0 };

		siglen = sizeof(sig);
		rv = p11_sign(s, &m, priv, (CK_BYTE *)msg, sizeof(msg) - 1, sig,
		    &siglen);
		EXPECT(rv == CKR_OK && siglen == bits / 8 &&
			ossl_verify(k, hashing[i].md, 0, -1, NULL, sig, siglen,
			    (CK_BYTE *)msg, sizeof(msg) - 1),
		    "RSA-%lu mechanism 0x%lx: %s", bits, hashing[i].m,
		    p11_rv_name(rv));
	}
	/* CKM_RSA_PKCS over a DigestInfo the caller built. */
	EVP_Digest(msg, sizeof(msg) - 1, dig, &dl, EVP_sha256(), NULL);
	memcpy(di, sha256_info, sizeof(sha256_info));
	memcpy(di + sizeof(sha256_info), dig, 32);
	{
		CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };

		siglen = sizeof(sig);
		rv = p11_sign(s, &m, priv, di, sizeof(sha256_info) + 32, sig,
		    &siglen);
		EXPECT(rv == CKR_OK &&
			ossl_verify(k, EVP_sha256(), 1, -1, NULL, sig, siglen,
			    dig, 32),
		    "RSA-%lu CKM_RSA_PKCS: %s", bits, p11_rv_name(rv));
	}
	/* PSS, hashing and over a digest. */
	{
		CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA256, CKG_MGF1_SHA256, 32 };
		CK_MECHANISM m = { CKM_SHA256_RSA_PKCS_PSS, &pp, sizeof(pp) };

		siglen = sizeof(sig);
		rv = p11_sign(s, &m, priv, (CK_BYTE *)msg, sizeof(msg) - 1, sig,
		    &siglen);
		EXPECT(rv == CKR_OK &&
			ossl_verify(k, EVP_sha256(), 0, 32, EVP_sha256(), sig,
			    siglen, (CK_BYTE *)msg, sizeof(msg) - 1),
		    "RSA-%lu SHA256-RSA-PKCS-PSS: %s", bits, p11_rv_name(rv));
		/* Also verified by the token. */
		if (rv == CKR_OK) {
			EXPECT(f->C_VerifyInit(s, &m, pub) == CKR_OK &&
				f->C_Verify(s, (CK_BYTE *)msg, sizeof(msg) - 1,
				    sig, siglen) == CKR_OK,
			    "token verify of PSS");
		}
		pp.hashAlg = CKM_SHA384;
		rv = f->C_SignInit(s, &m, priv);
		EXPECT(rv == CKR_MECHANISM_PARAM_INVALID,
		    "SHA256-RSA-PKCS-PSS with SHA-384 params: %s",
		    p11_rv_name(rv));
		if (rv == CKR_OK)
			(void)f->C_Sign(s, (CK_BYTE *)msg, 1, sig, &siglen);
	}
	{
		CK_RSA_PKCS_PSS_PARAMS pp = { CKM_SHA384, CKG_MGF1_SHA384, 48 };
		CK_MECHANISM m = { CKM_RSA_PKCS_PSS, &pp, sizeof(pp) };

		EVP_Digest(msg, sizeof(msg) - 1, dig, &dl, EVP_sha384(), NULL);
		siglen = sizeof(sig);
		rv = p11_sign(s, &m, priv, dig, 48, sig, &siglen);
		EXPECT(rv == CKR_OK &&
			ossl_verify(k, EVP_sha384(), 1, 48, EVP_sha384(), sig,
			    siglen, dig, 48),
		    "RSA-%lu RSA-PKCS-PSS over SHA-384: %s", bits,
		    p11_rv_name(rv));
		/* A digest of the wrong length for the parameters. */
		siglen = sizeof(sig);
		rv = p11_sign(s, &m, priv, dig, 32, sig, &siglen);
		EXPECT(rv != CKR_OK,
		    "RSA-PKCS-PSS over a 32-byte input with "
		    "SHA-384 parameters was signed");
	}
	/* Decryption: PKCS#1 v1.5 and OAEP (SHA-1, SHA-256; label or not). */
	{
		CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };

		ctlen = ossl_encrypt(k, RSA_PKCS1_PADDING, NULL, NULL,
		    (CK_BYTE *)msg, sizeof(msg) - 1, ct, sizeof(ct));
		ptlen = sizeof(pt);
		rv = p11_decrypt(s, &m, priv, ct, ctlen, pt, &ptlen);
		EXPECT(ctlen > 0 && rv == CKR_OK && ptlen == sizeof(msg) - 1 &&
			memcmp(pt, msg, ptlen) == 0,
		    "RSA-%lu PKCS#1 decrypt: %s", bits, p11_rv_name(rv));
	}
	for (i = 0; i < 4; i++) {
		int sha256 = i & 1;
		const char *label = (i & 2) ? "kyso label" : NULL;
		CK_RSA_PKCS_OAEP_PARAMS op = { sha256 ? CKM_SHA256 : CKM_SHA_1,
			sha256 ? CKG_MGF1_SHA256 : CKG_MGF1_SHA1,
			CKZ_DATA_SPECIFIED, (void *)label,
			label ? strlen(label) : 0 };
		CK_MECHANISM m = { CKM_RSA_PKCS_OAEP, &op, sizeof(op) };

		ctlen = ossl_encrypt(k, RSA_PKCS1_OAEP_PADDING,
		    sha256 ? EVP_sha256() : EVP_sha1(), label, (CK_BYTE *)msg,
		    sizeof(msg) - 1, ct, sizeof(ct));
		ptlen = sizeof(pt);
		rv = p11_decrypt(s, &m, priv, ct, ctlen, pt, &ptlen);
		EXPECT(ctlen > 0 && rv == CKR_OK && ptlen == sizeof(msg) - 1 &&
			memcmp(pt, msg, ptlen) == 0,
		    "RSA-%lu OAEP %s %s: %s", bits, sha256 ? "SHA-256" : "SHA-1",
		    label ? "label" : "no label", p11_rv_name(rv));
		/* The wrong label (or none for one) fails. */
		op.pSourceData = label ? NULL : (void *)"other";
		op.ulSourceDataLen = label ? 0 : 5;
		ptlen = sizeof(pt);
		rv = p11_decrypt(s, &m, priv, ct, ctlen, pt, &ptlen);
		EXPECT(rv != CKR_OK,
		    "RSA-%lu OAEP decrypted with the wrong label", bits);
	}
	/* A damaged ciphertext. */
	{
		CK_MECHANISM m = { CKM_RSA_PKCS, NULL, 0 };

		ctlen = ossl_encrypt(k, RSA_PKCS1_PADDING, NULL, NULL,
		    (CK_BYTE *)msg, sizeof(msg) - 1, ct, sizeof(ct));
		ct[ctlen / 2] ^= 0x40;
		ptlen = sizeof(pt);
		rv = p11_decrypt(s, &m, priv, ct, ctlen, pt, &ptlen);
		EXPECT(rv != CKR_OK && rv != CKR_DEVICE_ERROR &&
			rv != CKR_GENERAL_ERROR,
		    "RSA-%lu damaged ciphertext: %s", bits, p11_rv_name(rv));
		rv = p11_decrypt(s, &m, priv, ct, ctlen - 1, pt, &ptlen);
		EXPECT(rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
			rv == CKR_ENCRYPTED_DATA_INVALID,
		    "RSA-%lu short ciphertext: %s", bits, p11_rv_name(rv));
	}
	EVP_PKEY_free(k);
	(void)f->C_DestroyObject(s, pub);
	(void)f->C_DestroyObject(s, priv);
}

static void
check_ec(CK_SESSION_HANDLE s, int p384)
{
	static const char msg[] = "Hóa đơn điện tử";
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_BYTE sig[256], der[256], dig[64];
	CK_ULONG siglen;
	unsigned int dl = 0;
	size_t derlen;
	EVP_PKEY *k = NULL;
	CK_RV rv;
	const char *name = p384 ? "P-384" : "P-256";
	CK_MECHANISM m_hash = { p384 ? CKM_ECDSA_SHA384 : CKM_ECDSA_SHA256,
		NULL, 0 };
	CK_MECHANISM m_raw = { CKM_ECDSA, NULL, 0 };
	const EVP_MD *md = p384 ? EVP_sha384() : EVP_sha256();

	rv = gen(s, 1, 0, p384, &pub, &priv);
	EXPECT(rv == CKR_OK, "%s key generation: %s", name, p11_rv_name(rv));
	if (rv != CKR_OK || (k = ossl_pub(s, pub)) == NULL) {
		EXPECT(0, "%s public key for OpenSSL", name);
		return;
	}
	siglen = sizeof(sig);
	rv = p11_sign(s, &m_hash, priv, (CK_BYTE *)msg, sizeof(msg) - 1, sig,
	    &siglen);
	EXPECT(rv == CKR_OK && siglen == (p384 ? 96UL : 64UL),
	    "%s sign: %s %lu", name, p11_rv_name(rv), siglen);
	derlen = raw_to_der(sig, siglen, der, sizeof(der));
	EXPECT(derlen > 0 &&
		ossl_verify(k, md, 0, -1, NULL, der, derlen, (CK_BYTE *)msg,
		    sizeof(msg) - 1),
	    "%s signature verified by OpenSSL", name);
	EVP_Digest(msg, sizeof(msg) - 1, dig, &dl, md, NULL);
	siglen = sizeof(sig);
	rv = p11_sign(s, &m_raw, priv, dig, dl, sig, &siglen);
	derlen = raw_to_der(sig, siglen, der, sizeof(der));
	EXPECT(rv == CKR_OK && derlen > 0 &&
		ossl_verify(k, NULL, 1, -1, NULL, der, derlen, dig, dl),
	    "%s CKM_ECDSA: %s", name, p11_rv_name(rv));
	/* The token verifies its own, and rejects a changed one. */
	EXPECT(f->C_VerifyInit(s, &m_raw, pub) == CKR_OK &&
		f->C_Verify(s, dig, dl, sig, siglen) == CKR_OK,
	    "%s token verify", name);
	sig[3] ^= 1;
	EXPECT(f->C_VerifyInit(s, &m_raw, pub) == CKR_OK &&
		f->C_Verify(s, dig, dl, sig, siglen) == CKR_SIGNATURE_INVALID,
	    "%s token verify of a changed signature", name);
	EVP_PKEY_free(k);
	(void)f->C_DestroyObject(s, pub);
	(void)f->C_DestroyObject(s, priv);
}

static int
cmd_crypto(const char *module, const char *label, const char *pin)
{
	struct p11 *p = NULL;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE s = 0;
	CK_RV rv;

	if ((p = p11c_open_login(module, label, pin, &slot, &s)) == NULL)
		return 1;
	check_rsa(s, 2048);
	check_rsa(s, 3072);
	check_rsa(s, 4096);
	check_ec(s, 0);
	check_ec(s, 1);
	/* Digests against OpenSSL, and random bytes. */
	{
		struct {
			CK_MECHANISM_TYPE m;
			const EVP_MD *md;
		} d[] = {
			{ CKM_SHA_1, EVP_sha1() },
			{ CKM_SHA256, EVP_sha256() },
			{ CKM_SHA384, EVP_sha384() },
			{ CKM_SHA512, EVP_sha512() },
		};
		CK_BYTE got[64], want[64], r1[32], r2[32];
		unsigned int wl = 0;
		CK_ULONG gl;
		size_t i;

		for (i = 0; i < 4; i++) {
			CK_MECHANISM m = { d[i].m, NULL, 0 };

			EVP_Digest("kyso", 4, want, &wl, d[i].md, NULL);
			gl = sizeof(got);
			rv = f->C_DigestInit(s, &m);
			if (rv == CKR_OK)
				rv = f->C_DigestUpdate(s, (CK_BYTE *)"ky", 2);
			if (rv == CKR_OK)
				rv = f->C_DigestUpdate(s, (CK_BYTE *)"so", 2);
			if (rv == CKR_OK)
				rv = f->C_DigestFinal(s, got, &gl);
			EXPECT(rv == CKR_OK && gl == wl &&
				memcmp(got, want, wl) == 0,
			    "digest 0x%lx: %s", d[i].m, p11_rv_name(rv));
		}
		EXPECT(f->C_GenerateRandom(s, r1, sizeof(r1)) == CKR_OK &&
			f->C_GenerateRandom(s, r2, sizeof(r2)) == CKR_OK &&
			memcmp(r1, r2, sizeof(r1)) != 0,
		    "C_GenerateRandom");
	}
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "crypto: failed" : "crypto: ok");
	return failures ? 1 : 0;
}

static int
wait_file(const char *path)
{
	int i;

	for (i = 0; i < 400 && access(path, F_OK) != 0; i++)
		usleep(50 * 1000);
	return access(path, F_OK) == 0;
}

static int
cmd_unplug(const char *module, const char *label, const char *pin,
    const char *gofile, int replug)
{
	struct p11 *p = NULL;
	CK_SLOT_ID slot, slots[64];
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s = 0, s2 = 0;
	CK_SESSION_INFO si;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_MECHANISM m = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE key = 0;
	CK_BYTE sig[128];
	CK_ULONG n = 0, siglen = sizeof(sig);
	char go2[4096];
	CK_RV rv;

	snprintf(go2, sizeof(go2), "%s.2", gofile);
	if ((p = p11c_open_token(module, label, &slot)) == NULL)
		return 1;
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s)) !=
		CKR_OK ||
	    (rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) !=
		CKR_OK ||
	    (rv = f->C_FindObjectsInit(s, &t, 1)) != CKR_OK ||
	    (rv = f->C_FindObjects(s, &key, 1, &n)) != CKR_OK ||
	    (rv = f->C_FindObjectsFinal(s)) != CKR_OK || n != 1 ||
	    (rv = f->C_SignInit(s, &m, key)) != CKR_OK ||
	    (rv = f->C_SignUpdate(s, (CK_BYTE *)"part one", 8)) != CKR_OK) {
		printf("FAIL: setting up: %s\n", p11_rv_name(rv));
		goto out;
	}
	printf("ready\n");
	EXPECT(wait_file(gofile), "never told the token was unplugged");
	if (replug) {
		/* The first call after it opens a session on the token as it
		 * is now: the removal read later must not end that one. */
		CK_SESSION_HANDLE s3 = 0;

		rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s3);
		EXPECT(rv == CKR_OK, "a session on the re-plugged token: %s",
		    p11_rv_name(rv));
		if (rv == CKR_OK) {
			rv = f->C_GetSessionInfo(s3, &si);
			EXPECT(rv == CKR_OK,
			    "the session opened after the "
			    "re-plug, at its next call: %s",
			    p11_rv_name(rv));
			(void)f->C_CloseSession(s3);
		}
	}
	rv = f->C_GetSessionInfo(s, &si);
	EXPECT(rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID,
	    "C_GetSessionInfo after the unplug: %s", p11_rv_name(rv));
	rv = f->C_SignUpdate(s, (CK_BYTE *)"part two", 8);
	EXPECT(rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID,
	    "C_SignUpdate after the unplug: %s", p11_rv_name(rv));
	rv = f->C_SignFinal(s, sig, &siglen);
	EXPECT(rv != CKR_OK, "a signature finished after the unplug");
	if (!replug) {
		n = 64;
		rv = f->C_GetSlotList(CK_TRUE, slots, &n);
		EXPECT(rv == CKR_OK && n == 0,
		    "tokens present after the unplug: %lu", n);
		rv = f->C_GetTokenInfo(slot, &ti);
		EXPECT(rv == CKR_TOKEN_NOT_PRESENT,
		    "C_GetTokenInfo after the unplug: %s", p11_rv_name(rv));
		printf("again\n");
		EXPECT(wait_file(go2), "never told the token was plugged back");
	}
	rv = f->C_GetSessionInfo(s, &si);
	EXPECT(rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID,
	    "the old session after plugging back: %s", p11_rv_name(rv));
	if (p11_find_token(p, label, &slot, &ti) != 0) {
		EXPECT(0, "the token is not found after plugging back");
		goto out;
	}
	rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s2);
	EXPECT(rv == CKR_OK, "a new session: %s", p11_rv_name(rv));
	if (rv == CKR_OK) {
		rv = f->C_GetSessionInfo(s2, &si);
		EXPECT(rv == CKR_OK && si.state == CKS_RO_PUBLIC_SESSION,
		    "the new session is logged in (state %lu)", si.state);
		n = 0;
		if (f->C_FindObjectsInit(s2, &t, 1) == CKR_OK) {
			(void)f->C_FindObjects(s2, &key, 1, &n);
			(void)f->C_FindObjectsFinal(s2);
		}
		EXPECT(n == 0, "a private key is visible without a new login");
	}
out:
	if (s2 != 0)
		(void)f->C_CloseSession(s2);
	p11_free(p);
	printf("%s\n", failures ? "unplug: failed" : "unplug: ok");
	return failures ? 1 : 0;
}

static int
cmd_damaged(const char *module, const char *slotarg, const char *pin,
    const char *gofile)
{
	struct p11 *p = NULL;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s = 0;
	CK_SESSION_INFO si;
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;
	uint64_t slot64 = 0;
	CK_SLOT_ID slot;
	char go[4096];
	CK_RV rv;

	if (parse_u64(slotarg, 0, 63, &slot64) != 0 || p11_open(module, &p) != 0) {
		printf("FAIL: bad slot or cannot open %s\n", module);
		return 1;
	}
	slot = (CK_SLOT_ID)slot64;
	f = p11_fn(p);
	rv = f->C_GetTokenInfo(slot, &ti);
	EXPECT(rv == CKR_TOKEN_NOT_RECOGNIZED, "a damaged token file: %s",
	    p11_rv_name(rv));
	printf("ready1\n");
	snprintf(go, sizeof(go), "%s.1", gofile);
	EXPECT(wait_file(go), "never told the file was put right");
	rv = f->C_GetTokenInfo(slot, &ti);
	EXPECT(rv == CKR_OK, "the file put right, not plugged again: %s",
	    p11_rv_name(rv));
	if ((rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s)) !=
		CKR_OK ||
	    (rv = f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin))) !=
		CKR_OK) {
		EXPECT(0, "session and login on the mended token: %s",
		    p11_rv_name(rv));
		goto out;
	}
	printf("ready2\n");
	snprintf(go, sizeof(go), "%s.2", gofile);
	EXPECT(wait_file(go), "never told the file was damaged");
	rv = f->C_FindObjectsInit(s, &t, 1);
	EXPECT(rv == CKR_DEVICE_ERROR, "a search on a damaged file: %s",
	    p11_rv_name(rv));
	if (rv == CKR_OK)
		(void)f->C_FindObjectsFinal(s);
	rv = f->C_GetTokenInfo(slot, &ti);
	EXPECT(rv != CKR_OK, "token info from a damaged file: %s",
	    p11_rv_name(rv));
	printf("ready3\n");
	snprintf(go, sizeof(go), "%s.3", gofile);
	EXPECT(wait_file(go), "never told the file was put right again");
	rv = f->C_GetSessionInfo(s, &si);
	EXPECT(rv == CKR_OK, "the session after the file was put right: %s",
	    p11_rv_name(rv));
	n = 0;
	if ((rv = f->C_FindObjectsInit(s, &t, 1)) == CKR_OK) {
		rv = f->C_FindObjects(s, h, 8, &n);
		(void)f->C_FindObjectsFinal(s);
	}
	EXPECT(rv == CKR_OK && n == 2, "data objects after mending: %s, %lu",
	    p11_rv_name(rv), n);
out:
	if (s != 0)
		(void)f->C_CloseSession(s);
	p11_free(p);
	printf("%s\n", failures ? "damaged: failed" : "damaged: ok");
	return failures ? 1 : 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && strcmp(argv[1], "sensitive") == 0)
		return cmd_sensitive(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && strcmp(argv[1], "events") == 0)
		return cmd_events(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "damaged") == 0)
		return cmd_damaged(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 6 && strcmp(argv[1], "unplug") == 0)
		return cmd_unplug(argv[2], argv[3], argv[4], argv[5], 0);
	if (argc == 6 && strcmp(argv[1], "replug") == 0)
		return cmd_unplug(argv[2], argv[3], argv[4], argv[5], 1);
	if (argc == 5 && strcmp(argv[1], "crypto") == 0)
		return cmd_crypto(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "conventions") == 0)
		return cmd_conventions(argv[2], argv[3], argv[4]);
	if (argc == 6 && strcmp(argv[1], "threads") == 0)
		return cmd_threads(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 3 && strcmp(argv[1], "finalize") == 0)
		return cmd_finalize(argv[2]);
	if (argc == 6 && strcmp(argv[1], "reinit") == 0)
		return cmd_reinit(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "seeobj") == 0)
		return cmd_seeobj(argv[2], argv[3], argv[4]);
	fprintf(stderr,
	    "usage: p11_probe sensitive MODULE TOKENFILE LABEL PIN\n"
	    "       p11_probe events MODULE N\n"
	    "       p11_probe seeobj MODULE LABEL OBJLABEL\n"
	    "       p11_probe reinit MODULE LABEL PIN GOFILE\n"
	    "       p11_probe finalize MODULE\n"
	    "       p11_probe threads MODULE LABEL PIN N\n"
	    "       p11_probe conventions MODULE LABEL PIN\n"
	    "       p11_probe crypto MODULE LABEL PIN\n"
	    "       p11_probe unplug MODULE LABEL PIN GOFILE\n"
	    "       p11_probe damaged MODULE SLOT PIN GOFILE\n");
	return 2;
}
