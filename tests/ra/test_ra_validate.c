/* The field checks every request goes through. */
#include <string.h>

#include "unit.h"
#include "validate.h"

int
main(void)
{
	const char *kind = NULL;

	CHECK_ERR(valid_id_number("001099012345", &kind), 0);
	CHECK(kind != NULL && strcmp(kind, "CCCD") == 0);
	CHECK_ERR(valid_id_number("012345678", &kind), 0);
	CHECK(strcmp(kind, "CMND") == 0);
	CHECK_ERR(valid_id_number("0123456789", &kind), KYSO_ERR_INVALID);
	CHECK_ERR(valid_id_number("00109901234a", &kind), KYSO_ERR_INVALID);
	CHECK_ERR(valid_id_number("1' OR '1'='1", &kind), KYSO_ERR_INVALID);

	CHECK_ERR(valid_tax_code("0101234567"), 0);
	CHECK_ERR(valid_tax_code("0101234567-001"), 0);
	CHECK_ERR(valid_tax_code("0101234567001"), 0);
	CHECK_ERR(valid_tax_code("0101234567-01"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_tax_code("01012345"), KYSO_ERR_INVALID);

	CHECK_ERR(valid_email("an.nguyen@example.vn"), 0);
	CHECK_ERR(valid_email("a@b"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_email("a@@b.vn"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_email("a b@c.vn"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_email("a@c.vn\r\nBcc: x@y.z"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_email("<a@c.vn>"), KYSO_ERR_INVALID);

	CHECK_ERR(valid_phone("+84 912 345 678"), 0);
	CHECK_ERR(valid_phone("0912345678"), 0);
	CHECK_ERR(valid_phone("09123"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_phone("0912;DROP TABLE"), KYSO_ERR_INVALID);

	CHECK_ERR(valid_text("Nguyễn Văn An", 200), 0);
	CHECK_ERR(valid_text("", 200), KYSO_ERR_INVALID);
	CHECK_ERR(valid_text("   ", 200), KYSO_ERR_INVALID);
	CHECK_ERR(valid_text("a\nb", 200), KYSO_ERR_INVALID);
	CHECK_ERR(valid_text("abc", 2), KYSO_ERR_INVALID);

	CHECK_ERR(valid_key_type("p256"), 0);
	CHECK_ERR(valid_key_type("rsa1024"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_token_serial("KYSO0001"), 0);
	CHECK_ERR(valid_token_serial("a/b"), KYSO_ERR_INVALID);
	CHECK_ERR(valid_token_serial(""), KYSO_ERR_INVALID);
	CHECK_ERR(valid_token_serial("012345678901234567890123456789012"),
	    KYSO_ERR_INVALID);
	return unit_done();
}
