/* The subject Name kyso-ra writes as DER (subject.c) against the one
 * OpenSSL built before it: an X509_NAME made entry by entry with
 * X509_NAME_add_entry_by_NID and encoded by i2d_X509_NAME. For every
 * subject both take, the same bytes; what OpenSSL refused, refused
 * (KYSO_ERR_INVALID). The reference below is the old ca_subject_name
 * with its own list of attributes, so a swapped order or string type in
 * the writer's table shows here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>
#include <openssl/x509.h>

#include "ca.h"
#include "common/buf.h"
#include "common/x509_text.h"
#include "unit.h"

static int
ref_add(X509_NAME *n, int nid, const char *v)
{
	if (v == NULL || *v == '\0')
		return 0;
	return X509_NAME_add_entry_by_NID(n, nid, MBSTRING_UTF8,
		   (const unsigned char *)v, -1, -1, 0)
	    ? 0
	    : -1;
}

/* kyso-ra's subject as OpenSSL built it (src/ra/ca.c before subject.c),
 * or NULL where it refused. */
static X509_NAME *
ref_name(const struct ra_subject *s)
{
	X509_NAME *n = X509_NAME_new();
	char uid[128];

	snprintf(uid, sizeof(uid), "%s:%s", s->id_kind, s->id_number);
	if (n == NULL || ref_add(n, NID_countryName, "VN") != 0 ||
	    ref_add(n, NID_stateOrProvinceName, s->province) != 0 ||
	    (s->org != NULL && ref_add(n, NID_organizationName, s->org) != 0) ||
	    ref_add(n, NID_commonName, s->cn) != 0 ||
	    ref_add(n, NID_userId, uid) != 0 ||
	    X509_NAME_add_entry_by_NID(n, NID_pkcs9_emailAddress, MBSTRING_ASC,
		(const unsigned char *)s->email, -1, -1, 0) != 1) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static int compared, refused;

/* Both writers on s: the same DER, or both refuse; and the RFC 4514 text
 * of the lookup is OpenSSL's text of its own name. want: 0 or
 * KYSO_ERR_INVALID, what the case is meant to show (-1: whatever
 * OpenSSL does, for the generated cases). */
static void
same(const struct ra_subject *s, int want, const char *what)
{
	X509_NAME *n = ref_name(s);
	struct buf *der = buf_new(0);
	unsigned char *ref = NULL;
	char *dn = NULL, *refdn = NULL;
	int len = n != NULL ? i2d_X509_NAME(n, &ref) : -1;
	int r = der != NULL ? ca_subject_der(s, der) : KYSO_ERR_NOMEM;
	int ok;

	if (n != NULL)
		ok = len > 0 && r == 0 && buf_len(der) == (size_t)len &&
		    memcmp(buf_ptr(der), ref, (size_t)len) == 0;
	else
		ok = r == KYSO_ERR_INVALID;
	if (ok && want != -1)
		ok = (n != NULL ? 0 : KYSO_ERR_INVALID) == want;
	if (ok && n != NULL) {
		refdn = x509_text_name(n, X509_TEXT_RFC2253);
		ok = ca_subject_dn(s, &dn) == 0 && refdn != NULL &&
		    strcmp(dn, refdn) == 0;
	} else if (ok) {
		ok = ca_subject_dn(s, &dn) == KYSO_ERR_INVALID;
	}
	if (!ok)
		fprintf(stderr,
		    "%s: OpenSSL %s (%d bytes), kyso %d (%zu bytes)\n", what,
		    n != NULL ? "took it" : "refused it", len, r,
		    der != NULL ? buf_len(der) : 0);
	CHECK(ok);
	compared++;
	refused += n == NULL;
	free(dn);
	free(refdn);
	OPENSSL_free(ref);
	X509_NAME_free(n);
	buf_free(der);
}

/* n times the string u, in a buffer of the test's (freed by the caller). */
static char *
rep(const char *u, size_t n)
{
	size_t l = strlen(u), i;
	char *s = malloc(l * n + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * l, u, l);
	s[l * n] = '\0';
	return s;
}

/* An e-mail of exactly n characters. */
static char *
mail_of(size_t n)
{
	char *s = rep("a", n);

	memcpy(s + n - 11, "@example.vn", 11);
	return s;
}

static const struct ra_subject personal = { "personal", "Nguyễn Văn An",
	"Nguyễn Văn An", NULL, "CCCD", "001099012345", "Hà Nội",
	"an.nguyen@example.vn" };

static void
fixed_cases(void)
{
	struct ra_subject s = personal;
	char *cn64 = rep("ễ", 64), *cn65 = rep("ễ", 65), *st128 = rep("ộ", 128),
	     *st129 = rep("ộ", 129), *m128 = mail_of(128), *m129 = mail_of(129),
	     *a64 = rep("A", 64), *a65 = rep("A", 65);
	/* Decomposed, a letter is three code points (e, U+0302, U+0303):
	 * both count code points, not what the eye sees. */
	char *nfd = rep("e\xcc\x82\xcc\x83", 22);
	/* 74 characters, the length of issue 15's company name */
	const char *legal = "Công ty Trách nhiệm Hữu hạn Thương mại và Dịch vụ "
			    "Kỹ thuật Số Việt Nam Toàn Cầu";

	same(&s, 0, "personal");
	s.province = "Bà Rịa–Vũng Tàu";
	s.name = s.cn = "Trần Thị Ánh Nguyệt";
	s.id_kind = "CMND";
	s.id_number = "012345678";
	same(&s, 0, "personal, Vietnamese, CMND");

	s = personal;
	s.type = "organization";
	s.name = s.cn = s.org = "Công ty TNHH Thử Nghiệm Điện Tử";
	s.id_kind = "MST";
	s.id_number = "0101234567-001";
	same(&s, 0, "organization");
	/* issue 15: the legal name in the extension, CN and O shortened */
	s.name = legal;
	s.cn = s.org = "Công ty TNHH TM&DV Kỹ thuật Số Việt Nam Toàn Cầu";
	same(&s, 0, "organization, long legal name");
	s.cn = s.org = cn64;
	same(&s, 0, "O and CN at 64 characters");
	s.org = cn65;
	same(&s, KYSO_ERR_INVALID, "O at 65 characters");
	s.org = cn64;
	s.cn = a65;
	same(&s, KYSO_ERR_INVALID, "CN at 65 ASCII characters");
	s.cn = s.org = a64;
	same(&s, 0, "O and CN at 64 ASCII characters");
	s.org = "";
	same(&s, 0, "an empty O is left out");

	s = personal;
	s.cn = cn64;
	same(&s, 0, "CN at 64 characters (192 bytes)");
	s.cn = cn65;
	same(&s, KYSO_ERR_INVALID, "CN at 65 characters");
	s.cn = nfd;
	same(&s, KYSO_ERR_INVALID, "CN of 22 letters, 66 code points");
	s.cn = nfd + 5;
	same(&s, 0, "CN of 21 letters, 63 code points");
	s.cn = personal.cn;
	s.province = st128;
	same(&s, 0, "ST at 128 characters (384 bytes)");
	s.province = st129;
	same(&s, KYSO_ERR_INVALID, "ST at 129 characters");
	s.province = "";
	same(&s, 0, "an empty ST is left out");
	s.province = NULL;
	same(&s, 0, "no ST");
	s.province = personal.province;
	s.email = m128;
	same(&s, 0, "e-mail at 128 characters");
	s.email = m129;
	same(&s, KYSO_ERR_INVALID, "e-mail at 129 characters");
	s.email = "nguyễn@example.vn";
	same(&s, KYSO_ERR_INVALID, "e-mail not ASCII");
	s.email = "";
	same(&s, KYSO_ERR_INVALID, "empty e-mail");
	s.email = "a\x01@example.vn";
	same(&s, 0, "e-mail with a control character (IA5 holds it)");
	s.email = personal.email;

	/* UTF-8 OpenSSL refuses: overlong, surrogate, past U+10FFFF, cut
	 * short, a lone continuation byte, a 5-byte form, 0xfe/0xff. */
	{
		static const char *const bad[] = { "A\xc0\xaf", "\xe0\x80\xaf",
			"\xf0\x80\x80\xaf", "x\xed\xa0\x80", "\xf4\x90\x80\x80",
			"\xe1\xba", "\xc3", "\x80x", "\xf8\x88\x80\x80\x80",
			"\xfe", "\xff" };
		/* and what it takes: U+FFFE, a control, the last code
		 * point, a 4-byte emoji */
		static const char *const good[] = { "\xef\xbf\xbe", "\x01",
			"\xf4\x8f\xbf\xbf", "\xf0\x9f\x98\x80", "\xed\x9f\xbf",
			"\xee\x80\x80" };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			s.cn = bad[i];
			same(&s, KYSO_ERR_INVALID, "CN not UTF-8");
			s.cn = personal.cn;
			s.province = bad[i];
			same(&s, KYSO_ERR_INVALID, "ST not UTF-8");
			s.province = personal.province;
			s.id_number = bad[i];
			same(&s, KYSO_ERR_INVALID, "UID not UTF-8");
			s.id_number = personal.id_number;
		}
		for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
			s.cn = good[i];
			same(&s, 0, "CN, odd but UTF-8");
			s.cn = personal.cn;
			s.id_kind = good[i];
			same(&s, 0, "UID, odd but UTF-8");
			s.id_kind = personal.id_kind;
		}
	}
	/* The old code left out an empty CN, as it did an empty ST. */
	s.cn = "";
	same(&s, 0, "empty CN");
	s.cn = personal.cn;
	/* The UID has no bound in OpenSSL's table; the old code cut it at
	 * 127 bytes, the writer refuses a longer one. */
	s.id_number = a65 + 1;
	same(&s, 0, "UID of 69 characters");
	{
		struct buf *b = buf_new(0);
		char *id123 = rep("1", 123);

		s.id_number = st128;
		CHECK_ERR(ca_subject_der(&s, b), KYSO_ERR_INVALID);
		s.id_number = id123 + 1; /* 127 bytes with "CCCD:" */
		CHECK_ERR(ca_subject_der(&s, b), 0);
		s.id_number = id123;
		CHECK_ERR(ca_subject_der(&s, b), KYSO_ERR_INVALID);
		s.id_number = NULL;
		CHECK_ERR(ca_subject_der(&s, b), KYSO_ERR_INVALID);
		buf_free(b);
		free(id123);
	}

	free(cn64);
	free(cn65);
	free(st128);
	free(st129);
	free(m128);
	free(m129);
	free(a64);
	free(a65);
	free(nfd);
}

/* Generated subjects: values of up to a few characters past their bound
 * (most of them within it), from pieces of 1 to 4 bytes, in one value of
 * eight a piece that is no UTF-8; compared as above. xorshift, a fixed
 * seed: the same cases on every run. */
static uint32_t seed = 2463534242u;

static uint32_t
next(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 17;
	seed ^= seed << 5;
	return seed;
}

static char *
gen(size_t bound, int ascii)
{
	static const char *const pieces[] = { "a", "Z", " ", "-", "'", "ễ", "ộ",
		"Đ", "ư", "\xcc\x83", "\xf0\x9f\x98\x80", "\xef\xbf\xbe", "\x7f",
		/* not UTF-8 */
		"\xc0\xaf", "\xed\xa0\x80", "\xe1\xba", "\x80", "\xff" };
	size_t n = next() % 6 == 0 ? bound + 1 + next() % 3
				   : next() % (bound + 1),
	       broken = !ascii && next() % 8 == 0 ? next() % (n + 1) : n, i;
	char *s = malloc(4 * n + 1);
	size_t o = 0;

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++) {
		const char *p = pieces[i == broken ? 13 + next() % 5
						   : next() % (ascii ? 5 : 13)];

		memcpy(s + o, p, strlen(p));
		o += strlen(p);
	}
	s[o] = '\0';
	return s;
}

static void
generated_cases(void)
{
	int i;

	for (i = 0; i < 3000; i++) {
		struct ra_subject s = personal;
		char *cn = gen(64, 0), *org = gen(64, 0), *st = gen(128, 0),
		     *mail = gen(128, 1), *id = gen(14, 0);

		s.cn = cn;
		s.org = next() % 2 ? org : NULL;
		s.province = st;
		s.email = next() % 16 ? mail : "ü@example.vn";
		s.id_number = id;
		same(&s, -1, "generated");
		free(cn);
		free(org);
		free(st);
		free(mail);
		free(id);
	}
}

int
main(void)
{
	fixed_cases();
	generated_cases();
	/* The generated set is only worth something when it reaches both
	 * sides of the bounds. */
	printf("%d subjects compared, %d refused\n", compared, refused);
	CHECK(refused > compared / 10 && refused < compared * 9 / 10);
	return unit_done();
}
