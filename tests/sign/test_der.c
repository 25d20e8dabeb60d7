/* The DER writer and reader the CMS is built with: OIDs, lengths, SET OF
 * ordering, and a reader that refuses what runs past its input. */
#include <string.h>

#include "common/der.h"
#include "../unit/unit.h"

static int
eq(const struct buf *b, const void *want, size_t n)
{
	return buf_len(b) == n && memcmp(buf_ptr(b), want, n) == 0;
}

int
main(void)
{
	struct buf *b = buf_new(0), *e[3];
	const uint8_t *c;
	uint8_t tag;
	size_t clen, total;
	static const uint8_t sha256_oid[] = { 0x06, 0x09, 0x60, 0x86, 0x48,
		0x01, 0x65, 0x03, 0x04, 0x02, 0x01 };
	static const uint8_t scv2_oid[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86,
		0xf7, 0x0d, 0x01, 0x09, 0x10, 0x02, 0x2f };
	uint8_t big[300];
	int i;

	CHECK(b != NULL);
	CHECK_ERR(der_put_oid(b, "2.16.840.1.101.3.4.2.1"), 0);
	CHECK(eq(b, sha256_oid, sizeof(sha256_oid)));
	buf_reset(b);
	CHECK_ERR(der_put_oid(b, "1.2.840.113549.1.9.16.2.47"), 0);
	CHECK(eq(b, scv2_oid, sizeof(scv2_oid)));
	buf_reset(b);
	CHECK_ERR(der_put_oid(b, "1"), KYSO_ERR_INVALID);
	CHECK_ERR(der_put_oid(b, "3.1"), KYSO_ERR_INVALID);
	CHECK_ERR(der_put_oid(b, "1.2.x"), KYSO_ERR_INVALID);
	CHECK_ERR(der_put_oid(b, "1.2."), KYSO_ERR_INVALID);

	/* Long lengths: 300 bytes take 82 01 2C. */
	memset(big, 7, sizeof(big));
	buf_reset(b);
	CHECK_ERR(der_put(b, DER_OCTET_STRING, big, sizeof(big)), 0);
	CHECK(buf_len(b) == 304 && buf_ptr(b)[1] == 0x82 &&
	    buf_ptr(b)[2] == 0x01 && buf_ptr(b)[3] == 0x2c);
	CHECK_ERR(der_read(buf_ptr(b), buf_len(b), &tag, &c, &clen, &total), 0);
	CHECK(tag == DER_OCTET_STRING && clen == 300 && total == 304 &&
	    c == buf_ptr(b) + 4);
	CHECK_ERR(der_read(buf_ptr(b), buf_len(b) - 1, &tag, &c, &clen, &total),
	    KYSO_ERR_TRUNCATED);
	CHECK_ERR(der_read(buf_ptr(b), 1, &tag, &c, &clen, &total),
	    KYSO_ERR_TRUNCATED);
	{
		static const uint8_t bad[] = { 0x30, 0x89, 1, 2, 3, 4, 5, 6, 7,
			8, 9 };
		static const uint8_t indef[] = { 0x30, 0x80, 0, 0 };
		static const uint8_t hightag[] = { 0x1f, 0x81, 0x01, 0x00 };

		CHECK_ERR(der_read(bad, sizeof(bad), &tag, &c, &clen, &total),
		    KYSO_ERR_INVALID);
		CHECK_ERR(der_read(indef, sizeof(indef), &tag, &c, &clen, &total),
		    KYSO_ERR_INVALID);
		CHECK_ERR(der_read(hightag, sizeof(hightag), &tag, &c, &clen,
			      &total),
		    KYSO_ERR_UNSUPPORTED);
	}

	/* SET OF: sorted by encoding, shorter first on a common prefix. */
	for (i = 0; i < 3; i++)
		CHECK((e[i] = buf_new(0)) != NULL);
	CHECK_ERR(der_put(e[0], DER_OCTET_STRING, "\x05", 1), 0);
	CHECK_ERR(der_put(e[1], DER_INTEGER, "\x09", 1), 0);
	CHECK_ERR(der_put(e[2], DER_OCTET_STRING, "\x01", 1), 0);
	buf_reset(b);
	CHECK_ERR(der_put_set_of(b, e, 3), 0);
	{
		static const uint8_t want[] = { 0x31, 0x09, 0x02, 0x01, 0x09,
			0x04, 0x01, 0x01, 0x04, 0x01, 0x05 };
		CHECK(eq(b, want, sizeof(want)));
	}
	for (i = 0; i < 3; i++)
		buf_free(e[i]);

	/* AlgorithmIdentifier with and without NULL parameters. */
	buf_reset(b);
	CHECK_ERR(der_put_alg(b, "1.2.840.113549.1.1.1", 1), 0);
	CHECK(buf_len(b) == 15 && buf_ptr(b)[0] == 0x30 && buf_ptr(b)[13] == 0x05);
	buf_free(b);
	return unit_done();
}
