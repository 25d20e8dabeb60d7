/* parse_u64: the one integer parser; overflow and garbage fail. */
#include <stdint.h>

#include "common/parse.h"
#include "unit.h"

int
main(void)
{
	uint64_t v = 0;

	CHECK_ERR(parse_u64("0", 0, UINT64_MAX, &v), 0);
	CHECK(v == 0);
	CHECK_ERR(parse_u64("42", 0, UINT64_MAX, &v), 0);
	CHECK(v == 42);
	CHECK_ERR(parse_u64("007", 0, UINT64_MAX, &v), 0);
	CHECK(v == 7);
	CHECK_ERR(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);

	/* Overflow, just past the edge and far past it. */
	v = 5;
	CHECK_ERR(parse_u64("18446744073709551616", 0, UINT64_MAX, &v),
	    KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("18446744073709551620", 0, UINT64_MAX, &v),
	    KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("99999999999999999999", 0, UINT64_MAX, &v),
	    KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("184467440737095516150", 0, UINT64_MAX, &v),
	    KYSO_ERR_INVALID);
	CHECK(v == 5);

	/* Garbage anywhere. */
	CHECK_ERR(parse_u64(NULL, 0, 10, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("", 0, 10, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("12a", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("a12", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64(" 12", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("12 ", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("12\n", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("-1", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("+1", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("0x10", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("1e3", 0, 10000, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("1.5", 0, 100, &v), KYSO_ERR_INVALID);
	CHECK(v == 5);

	/* The range is inclusive at both ends. */
	CHECK_ERR(parse_u64("6", 6, 16, &v), 0);
	CHECK(v == 6);
	CHECK_ERR(parse_u64("16", 6, 16, &v), 0);
	CHECK(v == 16);
	CHECK_ERR(parse_u64("5", 6, 16, &v), KYSO_ERR_INVALID);
	CHECK_ERR(parse_u64("17", 6, 16, &v), KYSO_ERR_INVALID);
	CHECK(v == 16);
	return unit_done();
}
