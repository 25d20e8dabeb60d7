/* Activation codes and OTPs: shape, normalisation, hashing. */
#include <stdio.h>
#include <string.h>

#include "codes.h"
#include "common/actcode.h"
#include "common/crypto.h"
#include "unit.h"

int
main(void)
{
	char c1[CODE_LEN + 1], c2[CODE_LEN + 1], n[21], otp[7];
	char h1[CODE_HASH_LEN + 1], h2[CODE_HASH_LEN + 1];
	uint8_t key[32] = { 1 }, key2[32] = { 2 };
	struct crypto_hmac *m1 = NULL, *m2 = NULL;
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

	/* The check character: every new code passes; one wrong character
	 * or two neighbours swapped are caught; old codes (no check) still
	 * normalise for the server. */
	for (i = 0; i < 200; i++) {
		char typo[CODE_LEN + 1];
		size_t k = i % CODE_LEN;

		CHECK_ERR(code_new_activation(c1), 0);
		CHECK_ERR(actcode_check(c1), 0);
		memcpy(typo, c1, sizeof(typo));
		if (typo[k] == '-')
			continue;
		typo[k] = typo[k] == '7' ? '8' : '7';
		CHECK_ERR(actcode_check(typo), KYSO_ERR_CORRUPT);
		memcpy(typo, c1, sizeof(typo));
		if (k + 1 < CODE_LEN && typo[k + 1] != '-' &&
		    typo[k] != typo[k + 1]) {
			char t = typo[k];

			typo[k] = typo[k + 1];
			typo[k + 1] = t;
			/* Luhn misses only the swap of 0 and Z (0 and N-1). */
			if (!((typo[k] == '0' && typo[k + 1] == 'Z') ||
				(typo[k] == 'Z' && typo[k + 1] == '0')))
				CHECK_ERR(actcode_check(typo), KYSO_ERR_CORRUPT);
		}
	}
	CHECK_ERR(actcode_check("ABCDE-FGHJK-MNPQR-STVW"), KYSO_ERR_INVALID);
	CHECK_ERR(actcode_check("ABCDE-FGHJK-MNPQR-STVWU"), KYSO_ERR_INVALID);
	CHECK_ERR(code_norm_activation("abcde-fghjk-mnpqr-stvwx", n), 0);

	CHECK_ERR(code_new_otp(otp), 0);
	CHECK(strlen(otp) == 6);
	CHECK_ERR(code_check_otp(otp), 0);
	CHECK_ERR(code_check_otp("12345"), KYSO_ERR_INVALID);
	CHECK_ERR(code_check_otp("1234567"), KYSO_ERR_INVALID);
	CHECK_ERR(code_check_otp("12a456"), KYSO_ERR_INVALID);

	CHECK_ERR(crypto_hmac_new(key, sizeof(key), &m1), 0);
	CHECK_ERR(crypto_hmac_new(key2, sizeof(key2), &m2), 0);
	CHECK_ERR(code_hash(m1, "otp", "123456", h1), 0);
	CHECK_ERR(code_hash(m1, "otp", "123456", h2), 0);
	CHECK(strcmp(h1, h2) == 0 && strlen(h1) == 64);
	/* What it is: hex HMAC-SHA256(key, "otp:123456"). */
	{
		uint8_t raw[32];
		char hex[65];
		int k;

		CHECK_ERR(crypto_hmac_sha256(key, sizeof(key), "otp:123456", 10,
			      raw),
		    0);
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", raw[k]);
		CHECK(strcmp(h1, hex) == 0);
	}
	CHECK_ERR(code_hash(m2, "otp", "123456", h2), 0);
	CHECK(strcmp(h1, h2) != 0);
	CHECK_ERR(code_hash(m1, "activation", "123456", h2), 0);
	CHECK(strcmp(h1, h2) != 0);
	crypto_hmac_free(m1);
	crypto_hmac_free(m2);
	return unit_done();
}
