/* Activation codes and OTPs: shape, normalisation, hashing. */
#include <string.h>

#include "codes.h"
#include "unit.h"

int
main(void)
{
	char c1[CODE_LEN + 1], c2[CODE_LEN + 1], n[21], otp[7];
	char h1[CODE_HASH_LEN + 1], h2[CODE_HASH_LEN + 1];
	uint8_t key[32] = { 1 }, key2[32] = { 2 };
	size_t i;

	CHECK_ERR(code_new_activation(c1), 0);
	CHECK_ERR(code_new_activation(c2), 0);
	CHECK(strlen(c1) == CODE_LEN);
	CHECK(c1[5] == '-' && c1[11] == '-' && c1[17] == '-');
	CHECK(strcmp(c1, c2) != 0);
	for (i = 0; i < CODE_LEN; i++)
		CHECK(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ-", c1[i]) != NULL);
	CHECK_ERR(code_norm_activation(c1, n), 0);
	CHECK(strlen(n) == 20);
	CHECK_ERR(code_norm_activation("abcde-fghjk-mnpqr-stvwx", n), 0);
	CHECK(strcmp(n, "ABCDEFGHJKMNPQRSTVWX") == 0);
	/* O -> 0, I and L -> 1, spaces ignored. */
	CHECK_ERR(code_norm_activation("OIL00 11100 00000 00000", n), 0);
	CHECK(strcmp(n, "01100111000000000000") == 0);
	CHECK_ERR(code_norm_activation("ABCDE-FGHJK-MNPQR-STVW", n),
	    KYSO_ERR_INVALID);
	CHECK_ERR(code_norm_activation("ABCDE-FGHJK-MNPQR-STVWXY", n),
	    KYSO_ERR_INVALID);
	CHECK_ERR(code_norm_activation("ABCDE-FGHJK-MNPQR-STVWU", n),
	    KYSO_ERR_INVALID);
	CHECK_ERR(code_norm_activation("' OR 1=1 --", n), KYSO_ERR_INVALID);
	CHECK_ERR(code_norm_activation("", n), KYSO_ERR_INVALID);

	CHECK_ERR(code_new_otp(otp), 0);
	CHECK(strlen(otp) == 6);
	CHECK_ERR(code_check_otp(otp), 0);
	CHECK_ERR(code_check_otp("12345"), KYSO_ERR_INVALID);
	CHECK_ERR(code_check_otp("1234567"), KYSO_ERR_INVALID);
	CHECK_ERR(code_check_otp("12a456"), KYSO_ERR_INVALID);

	CHECK_ERR(code_hash(key, "otp", "123456", h1), 0);
	CHECK_ERR(code_hash(key, "otp", "123456", h2), 0);
	CHECK(strcmp(h1, h2) == 0 && strlen(h1) == 64);
	CHECK_ERR(code_hash(key2, "otp", "123456", h2), 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK_ERR(code_hash(key, "activation", "123456", h2), 0);
	CHECK(strcmp(h1, h2) != 0);
	return unit_done();
}
