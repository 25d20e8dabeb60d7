/* ocsp_req_read: the OCSP requests the short way answers (one CertID, at
 * most a nonce), read in place; anything else is left to OpenSSL. */
#include <string.h>

#include "ocsp_cache.h"
#include "unit.h"

/* openssl ocsp -no_nonce -reqout, then the same with a nonce */
static const char plain_hex[] =
    "3051304f304d304b3049300906052b0e03021a0500041415109580d513a472897c1479"
    "e4bbcf700e788b220414af52be2d4169b2c6c7418dbbbe769944165d6e7e02105ef2b2"
    "cf12562170d9fcdaa9b8be2665";
static const char nonce_hex[] =
    "30763074304d304b3049300906052b0e03021a0500041415109580d513a472897c1479"
    "e4bbcf700e788b220414af52be2d4169b2c6c7418dbbbe769944165d6e7e02105ef2b2"
    "cf12562170d9fcdaa9b8be2665a2233021301f06092b0601050507300102041204109d"
    "136704cf194c92a622dec89d2b60e2";

static int
nib(char c)
{
	return c <= '9' ? c - '0' : c - 'a' + 10;
}

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t n = 0;

	for (; h[0] && h[1]; h += 2)
		out[n++] = (uint8_t)(nib(h[0]) << 4 | nib(h[1]));
	return n;
}

int
main(void)
{
	uint8_t a[256], b[256];
	size_t an = unhex(plain_hex, a), bn = unhex(nonce_hex, b);
	struct ocsp_req_key k;

	CHECK(ocsp_req_read(a, an, &k) == 0);
	CHECK(strcmp(k.serial, "5ef2b2cf12562170d9fcdaa9b8be2665") == 0);
	CHECK(k.nonce_ext == NULL);
	CHECK(k.certid == a + 8 && k.certid_len == 75);
	CHECK(k.issuer == a + 10 && k.issuer_len == 55);

	CHECK(ocsp_req_read(b, bn, &k) == 0);
	CHECK(strcmp(k.serial, "5ef2b2cf12562170d9fcdaa9b8be2665") == 0);
	CHECK(k.nonce_ext == b + 87 && k.nonce_ext_len == 33);

	/* cut short, or with bytes after it */
	CHECK(ocsp_req_read(a, an - 1, &k) != 0);
	a[an] = 0;
	CHECK(ocsp_req_read(a, an + 1, &k) != 0);
	/* a negative serial */
	a[67] = 0x80;
	CHECK(ocsp_req_read(a, an, &k) != 0);
	a[67] = 0x5e;
	/* a serial with a needless leading zero (not as the database has it) */
	{
		uint8_t z[256];

		memcpy(z, a, an);
		z[67] = 0x00;
		z[68] = 0x12;
		CHECK(ocsp_req_read(z, an, &k) != 0);
	}
	/* another extension than the nonce */
	b[99] = 0x03;
	CHECK(ocsp_req_read(b, bn, &k) != 0);
	b[99] = 0x02;
	/* a nonce marked critical does not fit the short way */
	{
		static const char crit_hex[] =
		    "30793077304d304b3049300906052b0e03021a050004141510958"
		    "0d513a472897c1479e4bbcf700e788b220414af52be2d4169b2c6"
		    "c7418dbbbe769944165d6e7e02105ef2b2cf12562170d9fcdaa9b"
		    "8be2665a2263024302206092b06010505073001020101ff041204"
		    "109d136704cf194c92a622dec89d2b60e2";
		uint8_t c[256];
		size_t cn = unhex(crit_hex, c);

		CHECK(ocsp_req_read(c, cn, &k) != 0);
	}
	/* two CertIDs: requestList 0x30 0x4d becomes a list of two */
	{
		uint8_t t[256];
		size_t tn = 0;

		/* SEQ { SEQ { SEQ { Request, Request } } } */
		t[tn++] = 0x30;
		t[tn++] = 0x81;
		t[tn++] = 3 + 3 + 2 * 77;
		t[tn++] = 0x30;
		t[tn++] = 0x81;
		t[tn++] = 3 + 2 * 77;
		t[tn++] = 0x30;
		t[tn++] = 0x81;
		t[tn++] = 2 * 77;
		memcpy(t + tn, a + 6, 77);
		tn += 77;
		memcpy(t + tn, a + 6, 77);
		tn += 77;
		CHECK(ocsp_req_read(t, tn, &k) != 0);
	}
	CHECK(ocsp_req_read(a, 0, &k) != 0);
	return unit_done();
}
