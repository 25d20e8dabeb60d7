/* p11_curves: one PKCS#11 call at a time on the curves of the token
 * (issue 10), for tests/token/curves.sh, which checks the results with
 * openssl: what pkcs11-tool does not ask (ECDH into a readable secret,
 * Montgomery keys, EdDSA parameters) or cannot show (a mechanism's
 * sizes). Each command prints the PKCS#11 return value of the call it
 * is about ("rv=CKR_OK") and exits 0 when it is CKR_OK.
 *
 *   p11_curves gen MODULE LABEL PIN ec|edwards|montgomery PARAMSHEX IDHEX
 *     a token key pair on the curve of CKA_EC_PARAMS PARAMSHEX, id IDHEX
 *     (EC: sign and derive; Edwards: sign; Montgomery: derive).
 *   p11_curves spki MODULE LABEL IDHEX OUT
 *     the public key's CKA_PUBLIC_KEY_INFO (DER) into OUT.
 *   p11_curves point MODULE LABEL IDHEX
 *     prints the public key's CKA_EC_POINT in hex ("point=04...").
 *   p11_curves derive MODULE LABEL PIN IDHEX PEERFILE LEN OUT
 *     CKM_ECDH1_DERIVE (CKD_NULL) with the private key and the public
 *     data in PEERFILE into a readable generic secret (of CKA_VALUE_LEN
 *     LEN, none if 0), whose value goes to OUT.
 *   p11_curves eddsa MODULE LABEL PIN IDHEX PH CONTEXT DATAFILE OUT
 *     CKM_EDDSA over DATAFILE's bytes, signature to OUT; PH 0 or 1 and
 *     CONTEXT (a string, "" for none) make a CK_EDDSA_PARAMS, PH "-"
 *     none.
 *   p11_curves mech MODULE LABEL MECHHEX
 *     prints C_GetMechanismInfo: "min=N max=N flags=0xN".
 *   p11_curves mechs MODULE LABEL
 *     prints C_GetMechanismList, one "0xN" a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "p11/p11.h"
#include "p11_check.h"

#define CKM_MONT_GEN 0x1056UL /* CKM_EC_MONTGOMERY_KEY_PAIR_GEN */
#define CKM_ED_GEN   0x1055UL /* CKM_EC_EDWARDS_KEY_PAIR_GEN */
#define CKM_ED	     0x1057UL /* CKM_EDDSA */

/* PKCS#11 3.0's CK_EDDSA_PARAMS (the headers predate it). */
struct eddsa_params {
	CK_BBOOL phFlag;
	CK_ULONG ulContextDataLen;
	CK_BYTE_PTR pContextData;
};

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

static size_t
unhex(const char *h, CK_BYTE *out, size_t max)
{
	size_t n = 0;

	while (n < max && hex_digit(h[0]) >= 0 && hex_digit(h[1]) >= 0) {
		out[n++] = (CK_BYTE)(hex_digit(h[0]) << 4 | hex_digit(h[1]));
		h += 2;
	}
	return n;
}

static CK_RV
say(CK_RV rv)
{
	printf("rv=%s\n", p11_rv_name(rv));
	return rv;
}

static CK_SESSION_HANDLE
session(CK_SLOT_ID slot, const char *pin)
{
	CK_SESSION_HANDLE s = 0;

	if (f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
		NULL, &s) != CKR_OK ||
	    (pin != NULL &&
		f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) !=
		    CKR_OK)) {
		fprintf(stderr, "cannot open a session and log in\n");
		exit(2);
	}
	return s;
}

static CK_OBJECT_HANDLE
find_key(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, const char *idhex)
{
	CK_BYTE id[64];
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, id, unhex(idhex, id, sizeof(id)) } };
	CK_OBJECT_HANDLE h = 0;
	CK_ULONG n = 0;

	if (f->C_FindObjectsInit(s, t, 2) != CKR_OK ||
	    f->C_FindObjects(s, &h, 1, &n) != CKR_OK ||
	    f->C_FindObjectsFinal(s) != CKR_OK || n != 1) {
		fprintf(stderr, "no key with id %s\n", idhex);
		exit(2);
	}
	return h;
}

static int
write_out(const char *path, const CK_BYTE *p, CK_ULONG n)
{
	FILE *fp = fopen(path, "wb");
	int ok = fp != NULL && fwrite(p, 1, n, fp) == n;

	if (fp != NULL && fclose(fp) != 0)
		ok = 0;
	return ok ? 0 : 2;
}

static size_t
read_in(const char *path, CK_BYTE *p, size_t max)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (fp == NULL) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	n = fread(p, 1, max, fp);
	fclose(fp);
	return n;
}

static int
cmd_gen(CK_SESSION_HANDLE s, const char *type, const char *params,
    const char *idhex)
{
	CK_BYTE ec[1024], id[64];
	CK_ULONG en = unhex(params, ec, sizeof(ec)),
		 idn = unhex(idhex, id, sizeof(id));
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL sign = strcmp(type, "montgomery") != 0,
		 derive = strcmp(type, "edwards") != 0;
	CK_ATTRIBUTE pubt[] = { { CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, ec, en }, { CKA_ID, id, idn },
		{ CKA_VERIFY, sign ? &yes : &no, sizeof(yes) },
		{ CKA_DERIVE, derive ? &yes : &no, sizeof(yes) } };
	CK_ATTRIBUTE privt[] = { { CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_ID, id, idn }, { CKA_SIGN, sign ? &yes : &no, sizeof(yes) },
		{ CKA_DERIVE, derive ? &yes : &no, sizeof(yes) } };
	CK_OBJECT_HANDLE pub, priv;

	if (strcmp(type, "edwards") == 0)
		m.mechanism = CKM_ED_GEN;
	else if (strcmp(type, "montgomery") == 0)
		m.mechanism = CKM_MONT_GEN;
	return say(f->C_GenerateKeyPair(s, &m, pubt, 5, privt, 4, &pub, &priv)) ==
		CKR_OK
	    ? 0
	    : 1;
}

static int
cmd_attr(CK_SESSION_HANDLE s, const char *idhex, CK_ATTRIBUTE_TYPE t,
    const char *out)
{
	CK_BYTE v[4096];
	CK_ATTRIBUTE a = { t, v, sizeof(v) };
	CK_ULONG i;

	if (say(f->C_GetAttributeValue(s, find_key(s, CKO_PUBLIC_KEY, idhex),
		&a, 1)) != CKR_OK)
		return 1;
	if (out != NULL)
		return write_out(out, v, a.ulValueLen);
	printf("point=");
	for (i = 0; i < a.ulValueLen; i++)
		printf("%02x", v[i]);
	printf("\n");
	return 0;
}

static int
cmd_derive(CK_SESSION_HANDLE s, const char *idhex, const char *peer,
    const char *len, const char *out)
{
	CK_BYTE pt[256], val[128];
	CK_ECDH1_DERIVE_PARAMS p = { CKD_NULL, 0, NULL, 0, pt };
	CK_MECHANISM m = { CKM_ECDH1_DERIVE, &p, sizeof(p) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ULONG vl = strtoul(len, NULL, 10);
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) }, { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &vl, sizeof(vl) } };
	CK_ATTRIBUTE v = { CKA_VALUE, val, sizeof(val) };
	CK_OBJECT_HANDLE h = 0;

	p.ulPublicDataLen = read_in(peer, pt, sizeof(pt));
	if (say(f->C_DeriveKey(s, &m, find_key(s, CKO_PRIVATE_KEY, idhex), t,
		vl > 0 ? 6 : 5, &h)) != CKR_OK)
		return 1;
	if (f->C_GetAttributeValue(s, h, &v, 1) != CKR_OK)
		return 2;
	return write_out(out, val, v.ulValueLen);
}

static int
cmd_eddsa(CK_SESSION_HANDLE s, const char *idhex, const char *ph,
    const char *ctx, const char *data, const char *out)
{
	static CK_BYTE msg[65536];
	CK_BYTE sig[256];
	CK_ULONG n = sizeof(sig), mn = read_in(data, msg, sizeof(msg));
	struct eddsa_params ep = { (CK_BBOOL)(ph[0] == '1'), strlen(ctx),
		(CK_BYTE_PTR)ctx };
	CK_MECHANISM m = { CKM_ED, NULL, 0 };
	CK_RV rv;

	if (strcmp(ph, "-") != 0) {
		m.pParameter = &ep;
		m.ulParameterLen = sizeof(ep);
	}
	if (ep.ulContextDataLen == 0)
		ep.pContextData = NULL;
	rv = f->C_SignInit(s, &m, find_key(s, CKO_PRIVATE_KEY, idhex));
	if (rv == CKR_OK)
		rv = f->C_Sign(s, msg, mn, sig, &n);
	if (say(rv) != CKR_OK)
		return 1;
	return write_out(out, sig, n);
}

static int
cmd_mech(CK_SLOT_ID slot, const char *mech)
{
	CK_MECHANISM_INFO mi;

	if (say(f->C_GetMechanismInfo(slot, strtoul(mech, NULL, 16), &mi)) !=
	    CKR_OK)
		return 1;
	printf("min=%lu max=%lu flags=0x%lx\n", mi.ulMinKeySize,
	    mi.ulMaxKeySize, mi.flags);
	return 0;
}

static int
cmd_mechs(CK_SLOT_ID slot)
{
	CK_MECHANISM_TYPE *m = NULL;
	CK_ULONG i, n = 0;
	int r = 1;

	if (say(f->C_GetMechanismList(slot, NULL, &n)) != CKR_OK ||
	    (m = calloc(n + 1, sizeof(*m))) == NULL ||
	    say(f->C_GetMechanismList(slot, m, &n)) != CKR_OK)
		goto out;
	for (i = 0; i < n; i++)
		printf("0x%lx\n", m[i]);
	r = 0;
out:
	free(m);
	return r;
}

int
main(int argc, char **argv)
{
	struct p11 *p;
	CK_SLOT_ID slot;
	int r = 2;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4) {
		fprintf(stderr, "usage: see the comment atop p11_curves.c\n");
		return 2;
	}
	p = p11c_open_token(argv[2], argv[3], &slot);
	if (p == NULL)
		return 2;
	if (argc == 8 && strcmp(argv[1], "gen") == 0)
		r = cmd_gen(session(slot, argv[4]), argv[5], argv[6], argv[7]);
	else if (argc == 6 && strcmp(argv[1], "spki") == 0)
		r = cmd_attr(session(slot, NULL), argv[4], CKA_PUBLIC_KEY_INFO,
		    argv[5]);
	else if (argc == 5 && strcmp(argv[1], "point") == 0)
		r = cmd_attr(session(slot, NULL), argv[4], CKA_EC_POINT, NULL);
	else if (argc == 9 && strcmp(argv[1], "derive") == 0)
		r = cmd_derive(session(slot, argv[4]), argv[5], argv[6],
		    argv[7], argv[8]);
	else if (argc == 10 && strcmp(argv[1], "eddsa") == 0)
		r = cmd_eddsa(session(slot, argv[4]), argv[5], argv[6], argv[7],
		    argv[8], argv[9]);
	else if (argc == 5 && strcmp(argv[1], "mech") == 0)
		r = cmd_mech(slot, argv[4]);
	else if (argc == 4 && strcmp(argv[1], "mechs") == 0)
		r = cmd_mechs(slot);
	else
		fprintf(stderr, "usage: see the comment atop p11_curves.c\n");
	p11_free(p);
	return r;
}
