/* What kyso-sign checks before it asks for the PIN: the input files are
 * there and of the right kind, a token is plugged in, and one valid
 * certificate on it is chosen (p11/select.h's rule). A person types the
 * PIN once, for a batch that can be signed. */
#ifndef KYSO_SIGN_PRECHECK_H
#define KYSO_SIGN_PRECHECK_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum precheck_kind { PRECHECK_PDF, PRECHECK_XML, PRECHECK_ANY };

/* NULL when path can be signed as kind as far as its first bytes tell;
 * else a static untranslated reason (marked for the catalog). */
const char *precheck_file(const char *path, enum precheck_kind kind);

/* The key kyso-sign signs with. */
struct precheck_key {
	uint8_t id[64]; /* CKA_ID of the chosen certificate and its key */
	size_t idlen;
};

/* Loads module, finds token (NULL: the only one) and chooses the
 * certificate want names (NULL: the newest valid one), printing to
 * stderr, in the user's language, why none can be chosen and the
 * certificates there are to choose from. 0 and *out, else
 * KYSO_ERR_NOT_FOUND (no token, no match), KYSO_ERR_BUSY (several
 * tokens, several certificates) or KYSO_ERR_INVALID (not valid now). */
int precheck_key(const char *module, const char *token, const char *want,
    struct precheck_key *out) KYSO_WUR;

#endif
