#include "err.h"

#include "i18n.h"

static const char *
english(int err)
{
	switch (err) {
	case KYSO_OK: return N_("success");
	case KYSO_ERR_INTERNAL: return N_("internal error");
	case KYSO_ERR_NOMEM: return N_("out of memory");
	case KYSO_ERR_INVALID: return N_("invalid input");
	case KYSO_ERR_TOO_LARGE: return N_("input too large");
	case KYSO_ERR_TRUNCATED: return N_("input truncated");
	case KYSO_ERR_IO: return N_("input/output error");
	case KYSO_ERR_NOT_FOUND: return N_("not found");
	case KYSO_ERR_EXISTS: return N_("already exists");
	case KYSO_ERR_CRYPTO: return N_("cryptographic operation failed");
	case KYSO_ERR_PIN_INCORRECT: return N_("incorrect PIN");
	case KYSO_ERR_PIN_LOCKED: return N_("PIN locked");
	case KYSO_ERR_CORRUPT: return N_("data damaged");
	case KYSO_ERR_FULL: return N_("no space left on the disk");
	case KYSO_ERR_BUSY: return N_("busy");
	case KYSO_ERR_UNSUPPORTED: return N_("not supported");
	case KYSO_ERR_PERMISSION: return N_("permission denied");
	case KYSO_ERR_CAPACITY: return N_("the token's memory is full");
	case KYSO_ERR_PIN_EXPIRED: return N_("the PIN must be changed first");
	}
	return N_("unknown error");
}

/* In the user's language where the program bound the "kyso" catalog
 * (kyso-token does); the English text elsewhere. */
const char *
kyso_strerror(int err)
{
	return dgettext("kyso", english(err));
}
