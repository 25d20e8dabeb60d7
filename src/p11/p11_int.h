/* Shared by the files of src/p11 only. */
#ifndef KYSO_P11_INT_H
#define KYSO_P11_INT_H

#include "p11.h"

/* Records rv for p11_last_rv and returns p11_err(rv). */
int p11_fail(struct p11 *p, CK_RV rv);

#endif
