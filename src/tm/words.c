/*
 * Words the faces show for what the RA and the token call by a code:
 * kept untranslated here (N_), each face translates them.
 */
#include <string.h>

#include "common/i18n.h"
#include "tm.h"

/* The key a registration asks for, as a person reads it ("p256" is the
 * RA's code for it); an unknown code is shown as it is. */
const char *
tm_key_text(const char *key_type)
{
	static const struct {
		const char *code, *text;
	} keys[] = {
		{ "p256", N_("ECDSA P-256") },
		{ "p384", N_("ECDSA P-384") },
		{ "rsa2048", N_("RSA 2048-bit") },
		{ "rsa3072", N_("RSA 3072-bit") },
	};
	size_t i;

	for (i = 0; key_type != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key_type, keys[i].code) == 0)
			return keys[i].text;
	return key_type != NULL ? key_type : "";
}

/* The OTP's lifetime in whole minutes as the e-mail says it (kyso-ra
 * mails ttl / 60, at least 1): the faces and the mail agree. */
long
tm_otp_minutes(long ttl)
{
	return ttl / 60 > 0 ? ttl / 60 : 1;
}

/* What the PIN's tries mean before the next PIN is typed, the one
 * sentence every face says (kyso-token, kyso-manager, kyso-agent's
 * PIN dialog); NULL when the token gives nothing to say. */
const char *
tm_tries_text(int tries_left, int count_low)
{
	if (tries_left == 0)
		return N_("The PIN is locked after too many wrong tries.");
	if (tries_left == 1)
		return N_("One try is left before the PIN locks.");
	if (count_low)
		return N_(
		    "The token counts wrong PINs: a few more and it locks.");
	return NULL;
}
