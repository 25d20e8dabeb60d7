/* The PKCS#11 client every kyso program uses: loads any module (ours,
 * SoftHSM2, OpenSC, a vendor's) and finds tokens on it. */
#ifndef KYSO_P11_H
#define KYSO_P11_H

#include "p11-kit/pkcs11.h"

#include "../common/err.h"

struct p11;

/* path NULL: $KYSO_MODULE, else our module beside the program, else the
 * installed one. */
int p11_open(const char *path, struct p11 **out) KYSO_WUR;
void p11_free(struct p11 *p);
CK_FUNCTION_LIST *p11_fn(const struct p11 *p);
const char *p11_path(const struct p11 *p);
/* The slot whose token has this serial or label; NULL wants the one token
 * present (KYSO_ERR_BUSY when there are several). */
int p11_find_token(struct p11 *p, const char *want, CK_SLOT_ID *slot,
    CK_TOKEN_INFO *info) KYSO_WUR;
/* A padded PKCS#11 string field without its trailing blanks. */
void p11_str(const CK_UTF8CHAR *s, size_t n, char *out);
const char *p11_rv_name(CK_RV rv);
/* The kyso error a CK_RV means to a caller. */
int p11_err(CK_RV rv);

#endif
