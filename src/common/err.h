/* kyso error codes: 0 is success, every failure a negative code. Translate to
 * CK_RV, HTTP status or exit code only at the boundary. */
#ifndef KYSO_ERR_H
#define KYSO_ERR_H

#define KYSO_WUR __attribute__((warn_unused_result))

enum kyso_err {
	KYSO_OK = 0,
	KYSO_ERR_INTERNAL = -1,
	KYSO_ERR_NOMEM = -2,
	KYSO_ERR_INVALID = -3,	 /* malformed input */
	KYSO_ERR_TOO_LARGE = -4, /* past a buffer's cap */
	KYSO_ERR_TRUNCATED = -5, /* input ended early */
	KYSO_ERR_IO = -6,
	KYSO_ERR_NOT_FOUND = -7,
	KYSO_ERR_EXISTS = -8,
	KYSO_ERR_CRYPTO = -9,
	KYSO_ERR_PIN_INCORRECT = -10,
	KYSO_ERR_PIN_LOCKED = -11,
	KYSO_ERR_CORRUPT = -12, /* stored data failed its integrity check */
	KYSO_ERR_FULL = -13,	/* no space left on the disk */
	KYSO_ERR_BUSY = -14,
	KYSO_ERR_UNSUPPORTED = -15,
	KYSO_ERR_PERMISSION = -16,
	KYSO_ERR_CAPACITY = -17, /* a token's object memory is used up */
	KYSO_ERR_PIN_EXPIRED = -18, /* the PIN must be changed first (factory PIN) */
};

/* A short description, translated when the "kyso" catalog is bound. */
const char *kyso_strerror(int err);

#endif
