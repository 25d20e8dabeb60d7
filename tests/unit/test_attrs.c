/* Attribute lists: set/get, templates, match, serialize/parse. */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "token/attrs.h"
#include "unit.h"

static void
test_set_get(void)
{
	struct attrs *a = attrs_new();
	CK_ULONG ul = 0;
	const uint8_t *v;
	size_t n = 0;

	CHECK(a != NULL);
	CHECK_ERR(attrs_set_ulong(a, CKA_CLASS, CKO_DATA), 0);
	CHECK_ERR(attrs_set(a, CKA_LABEL, "one", 3), 0);
	CHECK_ERR(attrs_set(a, CKA_LABEL, "three", 5), 0);
	CHECK_ERR(attrs_set(a, CKA_VALUE, "", 0), 0);
	CHECK(attrs_count(a) == 3);
	v = attrs_get(a, CKA_LABEL, &n);
	CHECK(v != NULL && n == 5 && memcmp(v, "three", 5) == 0);
	v = attrs_get(a, CKA_VALUE, &n);
	CHECK(v != NULL && n == 0);
	CHECK(attrs_get(a, CKA_ID, &n) == NULL);
	CHECK(attrs_has(a, CKA_VALUE) && !attrs_has(a, CKA_ID));

	CHECK_ERR(attrs_get_ulong(a, CKA_CLASS, &ul), 0);
	CHECK(ul == CKO_DATA);
	ul = 99;
	CHECK_ERR(attrs_get_ulong(a, CKA_ID, &ul), KYSO_ERR_NOT_FOUND);
	CHECK_ERR(attrs_get_ulong(a, CKA_LABEL, &ul), KYSO_ERR_INVALID);
	CHECK(ul == 99);

	CHECK(attrs_bool(a, CKA_TOKEN, 1) == 1);
	CHECK(attrs_bool(a, CKA_TOKEN, 0) == 0);
	CHECK_ERR(attrs_default_bool(a, CKA_TOKEN, 1), 0);
	CHECK_ERR(attrs_default_bool(a, CKA_TOKEN, 0), 0);
	CHECK(attrs_bool(a, CKA_TOKEN, 0) == 1);
	CHECK_ERR(attrs_set_bool(a, CKA_TOKEN, 0), 0);
	CHECK(attrs_bool(a, CKA_TOKEN, 1) == 0);
	/* A malformed bool gives the default. */
	CHECK_ERR(attrs_set(a, CKA_PRIVATE, "ab", 2), 0);
	CHECK(attrs_bool(a, CKA_PRIVATE, 1) == 1);
	CHECK_ERR(attrs_default(a, CKA_LABEL, "x", 1), 0);
	v = attrs_get(a, CKA_LABEL, &n);
	CHECK(v != NULL && n == 5);

	/* Caps: one value and the number of attributes. */
	{
		size_t big = 1024 * 1024 + 1;
		uint8_t *p = calloc(1, big);

		CHECK(p != NULL);
		if (p != NULL) {
			CHECK_ERR(attrs_set(a, CKA_VALUE, p, big),
			    KYSO_ERR_TOO_LARGE);
			CHECK_ERR(attrs_set(a, CKA_VALUE, p, big - 1), 0);
		}
		free(p);
	}
	attrs_free(a);
	a = attrs_new();
	for (CK_ULONG t = 0; t < 256; t++)
		if (attrs_set_ulong(a, 0x1000 + t, t) != 0)
			CHECK(0);
	CHECK(attrs_count(a) == 256);
	CHECK_ERR(attrs_set_ulong(a, 0x2000, 1), KYSO_ERR_TOO_LARGE);
	/* Replacing one still works at the cap. */
	CHECK_ERR(attrs_set_ulong(a, 0x1000, 7), 0);
	attrs_free(a);
	attrs_free(NULL);
}

static void
test_template_match(void)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_BBOOL yes = CK_TRUE;
	char label[] = "my cert", id[] = "\x01";
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_LABEL, label, sizeof(label) - 1 },
		{ CKA_ID, id, 1 },
	};
	CK_ATTRIBUTE bad[] = { { CKA_LABEL, NULL, 4 } };
	CK_ATTRIBUTE unavail[] = { { CKA_LABEL, label,
	    CK_UNAVAILABLE_INFORMATION } };
	struct attrs *a = NULL, *d;
	char other[] = "my cerx";
	CK_ATTRIBUTE q[2];

	CHECK_ERR(attrs_from_template(t, 4, &a), 0);
	CHECK(a != NULL && attrs_count(a) == 4);
	CHECK(attrs_match(a, t, 4));
	CHECK(attrs_match(a, t, 0));
	CHECK(attrs_match(a, &t[2], 1));
	q[0] = t[0];
	q[1] = (CK_ATTRIBUTE){ CKA_LABEL, other, sizeof(other) - 1 };
	CHECK(!attrs_match(a, q, 2));
	q[1] = (CK_ATTRIBUTE){ CKA_LABEL, label, 2 }; /* a prefix */
	CHECK(!attrs_match(a, q, 2));
	q[1] = (CK_ATTRIBUTE){ CKA_SUBJECT, label, 2 }; /* absent */
	CHECK(!attrs_match(a, q, 2));
	d = attrs_dup(a);
	CHECK(d != NULL && attrs_match(d, t, 4));
	attrs_free(d);
	attrs_free(a);

	a = NULL;
	CHECK_ERR(attrs_from_template(bad, 1, &a), KYSO_ERR_INVALID);
	CHECK(a == NULL);
	CHECK_ERR(attrs_from_template(unavail, 1, &a), KYSO_ERR_INVALID);
	CHECK(a == NULL);
	CHECK_ERR(attrs_from_template(NULL, 1, &a), KYSO_ERR_INVALID);
	CHECK_ERR(attrs_from_template(NULL, 0, &a), 0);
	CHECK(a != NULL && attrs_count(a) == 0);
	attrs_free(a);
}

static void
test_round_trip(void)
{
	struct attrs *a = attrs_new(), *p = NULL;
	struct buf *b = buf_new(0), *cut;
	uint8_t blob[300];
	const uint8_t *v;
	size_t n = 0, i;

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	CHECK_ERR(attrs_set_ulong(a, CKA_CLASS, CKO_DATA), 0);
	CHECK_ERR(attrs_set(a, CKA_VALUE, blob, sizeof(blob)), 0);
	CHECK_ERR(attrs_set(a, CKA_LABEL, "", 0), 0);
	CHECK_ERR(attrs_set_bool(a, CKA_TOKEN, 1), 0);
	CHECK_ERR(attrs_set(a, CKA_VENDOR_DEFINED | 5, "v", 1), 0);
	CHECK_ERR(attrs_serialize(a, b), 0);
	CHECK(buf_len(b) == attrs_size(a));

	/* Every shorter prefix is truncated. */
	for (i = 0; i < buf_len(b); i += 7) {
		cut = buf_from(buf_ptr(b), i);
		p = NULL;
		CHECK_ERR(attrs_parse(cut, &p), KYSO_ERR_TRUNCATED);
		CHECK(p == NULL);
		buf_free(cut);
	}

	CHECK_ERR(attrs_parse(b, &p), 0);
	CHECK(buf_len(b) == 0);
	CHECK(p != NULL && attrs_count(p) == 5);
	if (p != NULL) {
		v = attrs_get(p, CKA_VALUE, &n);
		CHECK(v != NULL && n == sizeof(blob) && memcmp(v, blob, n) == 0);
		v = attrs_get(p, CKA_LABEL, &n);
		CHECK(v != NULL && n == 0);
		CHECK(attrs_bool(p, CKA_TOKEN, 0) == 1);
		v = attrs_get(p, CKA_VENDOR_DEFINED | 5, &n);
		CHECK(v != NULL && n == 1 && v[0] == 'v');
	}
	attrs_free(p);
	attrs_free(a);

	/* More attributes than a list holds: corrupt. */
	buf_reset(b);
	CHECK_ERR(buf_put_u32(b, 257), 0);
	p = NULL;
	CHECK_ERR(attrs_parse(b, &p), KYSO_ERR_CORRUPT);
	CHECK(p == NULL);
	buf_free(b);
}

int
main(void)
{
	test_set_get();
	test_template_match();
	test_round_trip();
	return unit_done();
}
