/* p11_check: the checks the tests/token programs share (p11_check.h). */
#include "p11_check.h"

#include <string.h>

int failures;
CK_FUNCTION_LIST *f;

struct p11 *
p11c_open_token(const char *module, const char *label, CK_SLOT_ID *slot)
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

struct p11 *
p11c_open_login(const char *module, const char *label, const char *pin,
    CK_SLOT_ID *slot, CK_SESSION_HANDLE *s)
{
	struct p11 *p = p11c_open_token(module, label, slot);

	if (p == NULL)
		return NULL;
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

int
p11c_done(struct p11 *p, const char *cmd)
{
	p11_free(p);
	if (failures == 0)
		printf("%s: ok\n", cmd);
	return failures > 0;
}

void
p11c_cipher_round_trip(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, CK_MECHANISM *m,
    const CK_BYTE *in, size_t n, const CK_BYTE *want, size_t wn,
    const struct p11c_cuts *c)
{
	CK_BYTE got[256], back[256];
	CK_ULONG gn, bn, off;
	const size_t cuts[] = { 0, c->enc[0], c->enc[1], n };
	size_t i;

	RV_IS(f->C_EncryptInit(s, m, h), CKR_OK);
	gn = 0;
	RV_IS(f->C_Encrypt(s, (CK_BYTE *)in, n, NULL, &gn), CKR_OK);
	EXPECT(c->exact ? gn == wn : gn >= wn,
	    "0x%lx: length query %lu, want %s%zu", m->mechanism, gn,
	    c->exact ? "" : "at least ", wn);
	gn = sizeof(got);
	RV_IS(f->C_Encrypt(s, (CK_BYTE *)in, n, got, &gn), CKR_OK);
	EXPECT(gn == wn && memcmp(got, want, wn) == 0,
	    "0x%lx: single-part encryption differs from OpenSSL's", m->mechanism);
	/* Three parts. */
	RV_IS(f->C_EncryptInit(s, m, h), CKR_OK);
	off = 0;
	for (i = 0; i < 3; i++) {
		bn = 0;
		RV_IS(f->C_EncryptUpdate(s, (CK_BYTE *)in + cuts[i],
			  cuts[i + 1] - cuts[i], NULL, &bn),
		    CKR_OK);
		RV_IS(f->C_EncryptUpdate(s, (CK_BYTE *)in + cuts[i],
			  cuts[i + 1] - cuts[i], got + off, &bn),
		    CKR_OK);
		off += bn;
	}
	bn = sizeof(got) - off;
	RV_IS(f->C_EncryptFinal(s, got + off, &bn), CKR_OK);
	off += bn;
	EXPECT(off == wn && memcmp(got, want, wn) == 0,
	    "0x%lx: multi-part encryption differs from OpenSSL's", m->mechanism);
	/* Back. */
	RV_IS(f->C_DecryptInit(s, m, h), CKR_OK);
	bn = sizeof(back);
	RV_IS(f->C_Decrypt(s, (CK_BYTE *)want, wn, back, &bn), CKR_OK);
	EXPECT(bn == n && memcmp(back, in, n) == 0,
	    "0x%lx: single-part decryption is not the plaintext", m->mechanism);
	RV_IS(f->C_DecryptInit(s, m, h), CKR_OK);
	off = 0;
	bn = sizeof(back);
	RV_IS(f->C_DecryptUpdate(s, (CK_BYTE *)want, c->dec, back, &bn), CKR_OK);
	off += bn;
	bn = sizeof(back) - off;
	RV_IS(f->C_DecryptUpdate(s, (CK_BYTE *)want + c->dec, wn - c->dec,
		  back + off, &bn),
	    CKR_OK);
	off += bn;
	bn = sizeof(back) - off;
	RV_IS(f->C_DecryptFinal(s, back + off, &bn), CKR_OK);
	off += bn;
	EXPECT(off == n && memcmp(back, in, n) == 0,
	    "0x%lx: multi-part decryption is not the plaintext (%lu bytes)",
	    m->mechanism, off);
}
