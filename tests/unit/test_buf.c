/* The byte buffer: caps, truncation, integers, strings, hex. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/parse.h"
#include "unit.h"

static void
test_cap(void)
{
	struct buf *b = buf_new(8);
	uint8_t *dst;

	CHECK(b != NULL);
	CHECK_ERR(buf_put(b, "12345678", 8), 0);
	CHECK(buf_len(b) == 8);
	CHECK_ERR(buf_put(b, "9", 1), KYSO_ERR_TOO_LARGE);
	CHECK_ERR(buf_put_u8(b, 1), KYSO_ERR_TOO_LARGE);
	CHECK(buf_len(b) == 8);
	CHECK(memcmp(buf_ptr(b), "12345678", 8) == 0);
	CHECK_ERR(buf_reserve(b, SIZE_MAX, &dst), KYSO_ERR_TOO_LARGE);
	/* Reading frees no room: the cap counts what was written. */
	CHECK_ERR(buf_consume(b, 4), 0);
	CHECK_ERR(buf_put(b, "x", 1), KYSO_ERR_TOO_LARGE);
	/* A reset empties it and keeps the cap. */
	buf_reset(b);
	CHECK(buf_len(b) == 0);
	CHECK_ERR(buf_put(b, "abcdefgh", 8), 0);
	CHECK_ERR(buf_put(b, "i", 1), KYSO_ERR_TOO_LARGE);
	buf_free(b);

	/* Growth past the first allocation keeps the bytes. */
	b = buf_new(100000);
	CHECK(b != NULL);
	for (int i = 0; i < 1000; i++)
		CHECK_ERR(buf_put_u32(b, (uint32_t)i), 0);
	CHECK(buf_len(b) == 4000);
	for (uint32_t i = 0, v; i < 1000; i++) {
		CHECK_ERR(buf_get_u32(b, &v), 0);
		if (v != i) {
			CHECK(v == i);
			break;
		}
	}
	CHECK(buf_len(b) == 0);
	buf_free(b);
	buf_free(NULL);
}

static void
test_ints(void)
{
	struct buf *b = buf_new(64);
	uint8_t u8 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	static const uint8_t le[] = { 0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06,
		0x05, 0x04, 0x03, 0x02, 0x01, 0xfe };

	CHECK_ERR(buf_put_u32(b, 0x01020304), 0);
	CHECK_ERR(buf_put_u64(b, 0x0102030405060708ULL), 0);
	CHECK_ERR(buf_put_u8(b, 0xfe), 0);
	/* Little-endian on the wire, whatever the host. */
	CHECK(buf_len(b) == sizeof(le));
	CHECK(memcmp(buf_ptr(b), le, sizeof(le)) == 0);
	CHECK_ERR(buf_get_u32(b, &u32), 0);
	CHECK(u32 == 0x01020304);
	CHECK_ERR(buf_get_u64(b, &u64), 0);
	CHECK(u64 == 0x0102030405060708ULL);
	CHECK_ERR(buf_get_u8(b, &u8), 0);
	CHECK(u8 == 0xfe);
	/* Empty: every read is truncated and leaves the out-param alone. */
	u32 = 77;
	CHECK_ERR(buf_get_u8(b, &u8), KYSO_ERR_TRUNCATED);
	CHECK_ERR(buf_get_u32(b, &u32), KYSO_ERR_TRUNCATED);
	CHECK(u32 == 77);
	CHECK_ERR(buf_consume(b, 1), KYSO_ERR_TRUNCATED);
	/* Three bytes are not a u32, and the three stay readable. */
	CHECK_ERR(buf_put(b, "abc", 3), 0);
	CHECK_ERR(buf_get_u32(b, &u32), KYSO_ERR_TRUNCATED);
	CHECK(buf_len(b) == 3);
	CHECK_ERR(buf_get_u64(b, &u64), KYSO_ERR_TRUNCATED);
	buf_free(b);
}

static void
test_strings(void)
{
	struct buf *b = buf_new(0);
	const uint8_t *p;
	size_t n;
	char *s = NULL;

	CHECK_ERR(buf_put_cstring(b, "xin chào"), 0);
	CHECK_ERR(buf_put_string(b, "", 0), 0);
	CHECK_ERR(buf_put_cstring(b, NULL), 0);
	CHECK_ERR(buf_get_cstring(b, &s), 0);
	CHECK(s != NULL && strcmp(s, "xin chào") == 0);
	free(s);
	s = NULL;
	CHECK_ERR(buf_get_string_direct(b, &p, &n), 0);
	CHECK(n == 0);
	CHECK_ERR(buf_get_cstring(b, &s), 0);
	CHECK(s != NULL && s[0] == '\0');
	free(s);
	s = NULL;
	CHECK(buf_len(b) == 0);

	/* A length past the end: truncated, nothing consumed. */
	CHECK_ERR(buf_put_u32(b, 10), 0);
	CHECK_ERR(buf_put(b, "12345", 5), 0);
	CHECK_ERR(buf_get_string_direct(b, &p, &n), KYSO_ERR_TRUNCATED);
	CHECK(buf_len(b) == 9);
	CHECK_ERR(buf_get_cstring(b, &s), KYSO_ERR_TRUNCATED);
	CHECK(s == NULL);
	CHECK(buf_len(b) == 9);
	buf_reset(b);

	/* An embedded NUL is refused, nothing consumed. */
	CHECK_ERR(buf_put_string(b, "a\0b", 3), 0);
	CHECK_ERR(buf_get_cstring(b, &s), KYSO_ERR_INVALID);
	CHECK(s == NULL);
	CHECK(buf_len(b) == 7);
	CHECK_ERR(buf_get_string_direct(b, &p, &n), 0);
	CHECK(n == 3 && memcmp(p, "a\0b", 3) == 0);
	buf_reset(b);

	CHECK_ERR(buf_putf(b, "slot %d: %s", 3, "PT0001"), 0);
	CHECK(buf_len(b) == strlen("slot 3: PT0001"));
	s = buf_to_cstr(b);
	CHECK(s != NULL && strcmp(s, "slot 3: PT0001") == 0);
	free(s);
	buf_reset(b);
	CHECK_ERR(buf_put(b, "a\0b", 3), 0);
	CHECK(buf_to_cstr(b) == NULL);
	buf_free(b);

	/* buf_putf respects the cap. */
	b = buf_new(5);
	CHECK_ERR(buf_putf(b, "%s", "abcdefgh"), KYSO_ERR_TOO_LARGE);
	CHECK(buf_len(b) == 0);
	CHECK_ERR(buf_putf(b, "%s", "abcd"), 0);
	CHECK(buf_len(b) == 4);
	/* The last byte of the cap is usable too (no room for a NUL). */
	CHECK_ERR(buf_putf(b, "%c", 'e'), 0);
	CHECK(buf_len(b) == 5 && memcmp(buf_ptr(b), "abcde", 5) == 0);
	CHECK_ERR(buf_putf(b, "%c", 'f'), KYSO_ERR_TOO_LARGE);
	CHECK(buf_len(b) == 5);
	buf_free(b);
}

static void
test_readonly(void)
{
	static const char data[] = "read only";
	struct buf *b = buf_from(data, 9), *d;
	uint8_t x[4];

	CHECK(b != NULL);
	CHECK(buf_len(b) == 9);
	CHECK(buf_mutable_ptr(b) == NULL);
	CHECK_ERR(buf_put(b, "x", 1), KYSO_ERR_INVALID);
	CHECK_ERR(buf_put(b, "", 0), KYSO_ERR_INVALID);
	CHECK_ERR(buf_get(b, x, 4), 0);
	CHECK(memcmp(x, "read", 4) == 0);
	d = buf_dup(b);
	CHECK(d != NULL && buf_len(d) == 5 && memcmp(buf_ptr(d), " only", 5) == 0);
	/* The copy is writable. */
	CHECK(d != NULL && buf_put(d, "!", 1) == 0 && buf_len(d) == 6);
	buf_free(d);
	buf_free(b);
}

static void
test_hex(void)
{
	static const uint8_t bytes[] = { 0x00, 0xff, 0x10, 0xab };
	struct buf *b = buf_new(0), *small = buf_new(3);

	CHECK_ERR(hex_encode(b, bytes, sizeof(bytes)), 0);
	CHECK(buf_len(b) == 8 && memcmp(buf_ptr(b), "00ff10ab", 8) == 0);
	buf_reset(b);
	CHECK_ERR(hex_decode(b, "00FF10aB", 8), 0);
	CHECK(buf_len(b) == 4 && memcmp(buf_ptr(b), bytes, 4) == 0);
	buf_reset(b);
	CHECK_ERR(hex_decode(b, "abc", 3), KYSO_ERR_INVALID);
	CHECK_ERR(hex_decode(b, "zz", 2), KYSO_ERR_INVALID);
	CHECK_ERR(hex_decode(b, "0g", 2), KYSO_ERR_INVALID);
	CHECK_ERR(hex_decode(b, "00 1", 4), KYSO_ERR_INVALID);
	CHECK(buf_len(b) == 0);
	CHECK_ERR(hex_decode(b, "", 0), 0);
	CHECK(buf_len(b) == 0);
	/* Only n characters are read. */
	CHECK_ERR(hex_decode(b, "01zz", 2), 0);
	CHECK(buf_len(b) == 1 && buf_ptr(b)[0] == 1);
	/* The cap holds for decoded and encoded bytes. */
	CHECK_ERR(hex_decode(small, "0102030405", 10), KYSO_ERR_TOO_LARGE);
	CHECK(buf_len(small) == 0);
	CHECK_ERR(hex_encode(small, bytes, 2), KYSO_ERR_TOO_LARGE);
	CHECK_ERR(hex_decode(small, "010203", 6), 0);
	buf_free(small);
	buf_free(b);
}

int
main(void)
{
	test_cap();
	test_ints();
	test_strings();
	test_readonly();
	test_hex();
	return unit_done();
}
