#include "err.h"

const char *
kyso_strerror(int err)
{
	switch (err) {
	case KYSO_OK: return "success";
	case KYSO_ERR_INTERNAL: return "internal error";
	case KYSO_ERR_NOMEM: return "out of memory";
	case KYSO_ERR_INVALID: return "invalid input";
	case KYSO_ERR_TOO_LARGE: return "input too large";
	case KYSO_ERR_TRUNCATED: return "input truncated";
	case KYSO_ERR_IO: return "input/output error";
	case KYSO_ERR_NOT_FOUND: return "not found";
	case KYSO_ERR_EXISTS: return "already exists";
	case KYSO_ERR_CRYPTO: return "cryptographic operation failed";
	case KYSO_ERR_PIN_INCORRECT: return "incorrect PIN";
	case KYSO_ERR_PIN_LOCKED: return "PIN locked";
	case KYSO_ERR_CORRUPT: return "data damaged";
	case KYSO_ERR_FULL: return "no space left";
	case KYSO_ERR_BUSY: return "busy";
	case KYSO_ERR_UNSUPPORTED: return "not supported";
	case KYSO_ERR_PERMISSION: return "permission denied";
	}
	return "unknown error";
}
