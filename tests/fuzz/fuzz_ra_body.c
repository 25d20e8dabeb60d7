/* libFuzzer target for what kyso-ra does with a request body before any
 * database work: JSON parsing with duplicate keys refused, the field checks
 * and merge of every registration mode, the activation code and OTP
 * parsers, and the CSR checks (the same bytes read as a PEM CSR). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ra/ca.h"
#include "ra/codes.h"
#include "ra/reg.h"
#include "ra/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum reg_mode modes[] = { REG_CREATE, REG_UPDATE, REG_RENEW };
	static const char *const key_types[] = { "rsa2048", "p256" };
	json_error_t err;
	json_t *body, *d;
	struct ca_csr *csr = NULL;
	struct ra_subject s;
	const char *code, *kind;
	char msg[200], norm[21], *str;
	size_t i;

	if (size > 64 * 1024)
		return 0;
	body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (body != NULL && json_is_object(body)) {
		for (i = 0; i < 3; i++) {
			d = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}",
			    "type", i == 1 ? "organization" : "personal",
			    "name", "A", "id_kind", "CCCD", "id_number",
			    "001099012345", "province", "HN", "email", "a@b.vn",
			    "phone", "0912345678", "profile", "sign",
			    "key_type", "p256", "validity_years", 1);
			if (modes[i] == REG_CREATE)
				json_object_clear(d);
			if (reg_apply(d, body, modes[i], &code, msg,
				sizeof(msg)) == 0 &&
			    modes[i] != REG_RENEW)
				reg_subject(d, &s);
			json_decref(d);
		}
	}
	json_decref(body);
	if ((str = malloc(size + 1)) == NULL)
		return 0;
	memcpy(str, data, size);
	str[size] = '\0';
	(void)!code_norm_activation(str, norm);
	(void)!code_check_otp(str);
	(void)!valid_text(str, 200);
	(void)!valid_id_number(str, &kind);
	(void)!valid_tax_code(str);
	(void)!valid_email(str);
	(void)!valid_phone(str);
	(void)!valid_token_serial(str);
	for (i = 0; i < 2; i++) {
		if (ca_csr_parse(str, size, key_types[i], &csr) == 0)
			ca_csr_free(csr);
		csr = NULL;
	}
	free(str);
	return 0;
}
