/* A PKCS#11 object's attributes: an ordered list of (type, bytes). */
#ifndef KYSO_ATTRS_H
#define KYSO_ATTRS_H

#include <stddef.h>
#include <stdint.h>

#include "p11-kit/pkcs11.h"

#include "../common/buf.h"

struct attrs;

struct attrs *attrs_new(void);
void attrs_free(struct attrs *a);
struct attrs *attrs_dup(const struct attrs *a);

int attrs_set(struct attrs *a, CK_ATTRIBUTE_TYPE t, const void *v,
    size_t n) KYSO_WUR;
int attrs_set_ulong(struct attrs *a, CK_ATTRIBUTE_TYPE t, CK_ULONG v) KYSO_WUR;
int attrs_set_bool(struct attrs *a, CK_ATTRIBUTE_TYPE t, int v) KYSO_WUR;
/* Sets t only when the template did not. */
int attrs_default_bool(struct attrs *a, CK_ATTRIBUTE_TYPE t, int v) KYSO_WUR;
int attrs_default(struct attrs *a, CK_ATTRIBUTE_TYPE t, const void *v,
    size_t n) KYSO_WUR;

void attrs_del(struct attrs *a, CK_ATTRIBUTE_TYPE t);

const uint8_t *attrs_get(const struct attrs *a, CK_ATTRIBUTE_TYPE t, size_t *n);
int attrs_has(const struct attrs *a, CK_ATTRIBUTE_TYPE t);
/* Returns 0 and sets *v, or KYSO_ERR_NOT_FOUND / KYSO_ERR_INVALID. */
int attrs_get_ulong(const struct attrs *a, CK_ATTRIBUTE_TYPE t,
    CK_ULONG *v) KYSO_WUR;
/* The bool's value, or def when absent or malformed. */
int attrs_bool(const struct attrs *a, CK_ATTRIBUTE_TYPE t, int def);

/* Every template entry present with equal bytes. */
int attrs_match(const struct attrs *a, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* Copies a caller's template; rejects NULL values with a length. */
int attrs_from_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n,
    struct attrs **out) KYSO_WUR;

size_t attrs_count(const struct attrs *a);
size_t attrs_size(const struct attrs *a); /* bytes serialized */

int attrs_serialize(const struct attrs *a, struct buf *out) KYSO_WUR;
int attrs_parse(struct buf *in, struct attrs **out) KYSO_WUR;

#endif
