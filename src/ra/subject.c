/* A subscriber's subject Name written as DER: issue.c puts it in the
 * TBSCertificate, ca.c reads it back for the RFC 4514 text. It was an
 * OpenSSL X509_NAME built entry by entry (X509_NAME_add_entry_by_NID) and
 * encoded by i2d_X509_NAME, about 4% of an issuance's CPU. This writes
 * the same bytes: the same attributes in the same order, each its own
 * RDN, with the string type and bounds ASN1_STRING_set_by_NID gives the
 * attribute (its table in OpenSSL's a_strnid.c, under the default mask
 * "utf8only"), and it refuses what that refused. tests/ra/test_ra_subject.c
 * compares both over many subjects. */
#include "ca.h"

#include <string.h>

#include "common/der.h"
#include "common/parse.h"
#include "name.h"

#define DER_UTF8_STRING	     0x0c
#define DER_PRINTABLE_STRING 0x13
#define DER_IA5_STRING	     0x16

/* The longest UID written: what the 128-byte buffer it was formatted
 * into held (registration makes it at most 18 bytes, "MST:" and a
 * branch's tax code). Longer was cut there; it is refused here. */
#define SUBJECT_MAX_UID 127

enum field { F_COUNTRY, F_PROVINCE, F_ORG, F_CN, F_UID, F_EMAIL };

/* The one list of the subject's attributes, in the order written.
 * a_strnid.c: C is a PrintableString of exactly 2 characters; ST, O and
 * CN a DirectoryString (UTF8String under the default mask) of 1 to their
 * RFC 5280 upper bound; emailAddress an IA5String of 1 to 128 (its bytes
 * counted, as OpenSSL counts MBSTRING_ASC input); UID (userId) is not in
 * the table: a UTF8String without bounds. An empty optional value is
 * left out, as the X509_NAME builder did; an empty e-mail was refused. */
static const struct attr {
	enum field field;
	uint8_t tag;
	uint8_t required;
	uint8_t min;		 /* characters */
	uint16_t max;		 /* characters, 0: no bound */
	uint8_t oidlen, oid[12]; /* the OBJECT IDENTIFIER, as DER */
} attrs[] = {
	{ F_COUNTRY, DER_PRINTABLE_STRING, 0, 2, 2, 5,
	    { 0x06, 0x03, 0x55, 0x04, 0x06 } }, /* 2.5.4.6 */
	{ F_PROVINCE, DER_UTF8_STRING, 0, 1, NAME_UB_STATE, 5,
	    { 0x06, 0x03, 0x55, 0x04, 0x08 } }, /* 2.5.4.8 */
	{ F_ORG, DER_UTF8_STRING, 0, 1, NAME_UB_ORGANIZATION, 5,
	    { 0x06, 0x03, 0x55, 0x04, 0x0a } }, /* 2.5.4.10 */
	{ F_CN, DER_UTF8_STRING, 0, 1, NAME_UB_COMMON_NAME, 5,
	    { 0x06, 0x03, 0x55, 0x04, 0x03 } }, /* 2.5.4.3 */
	{ F_UID, DER_UTF8_STRING, 0, 0, 0, 12,
	    { 0x06, 0x0a, 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01,
		0x01 } }, /* 0.9.2342.19200300.100.1.1 */
	{ F_EMAIL, DER_IA5_STRING, 1, 1, NAME_UB_EMAIL, 11,
	    { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09,
		0x01 } }, /* 1.2.840.113549.1.9.1 */
};

/* An attribute's value: a, or for UID a ":" b. A UID needs both parts
 * (the database holds both: NOT NULL). */
static int
attr_value(const struct ra_subject *s, enum field f, const char **a,
    const char **b)
{
	*a = NULL;
	*b = NULL;
	switch (f) {
	case F_COUNTRY: *a = "VN"; break;
	case F_PROVINCE: *a = s->province; break;
	case F_ORG: *a = s->org; break;
	case F_CN: *a = s->cn; break;
	case F_UID:
		*a = s->id_kind;
		*b = s->id_number;
		if (*a == NULL || *b == NULL)
			return KYSO_ERR_INVALID;
		break;
	case F_EMAIL: *a = s->email; break;
	}
	if (*a == NULL)
		*a = "";
	return 0;
}

/* The characters of the n bytes at v when a string of type tag holds
 * them, else -1. UTF8String: well formed (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF), as OpenSSL's UTF8_getc and
 * is_unicode_valid take it. IA5String: ASCII, a character a byte.
 * PrintableString: X.680's letters, digits, space and '()+,-./:=?. */
static long
value_chars(uint8_t tag, const uint8_t *v, size_t n)
{
	size_t i, k;
	uint32_t c;
	long chars = 0;

	for (i = 0; i < n; i += k, chars++) {
		if ((k = utf8_strict(v, n, i, &c)) == 0 ||
		    (c >= 0x80 && tag != DER_UTF8_STRING))
			return -1;
		if (tag == DER_PRINTABLE_STRING &&
		    (c == 0 ||
			strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			       "yz0123456789 '()+,-./:=?",
			    (int)c) == NULL))
			return -1;
	}
	return chars;
}

/* One RDN: SET { SEQUENCE { type, value } }, the value a, or a ":" b.
 * Lengths are known before a byte is written, so it goes straight to
 * out. */
static int
put_rdn(struct buf *out, const struct attr *t, const char *a, const char *b)
{
	static const char colon = ':';
	size_t alen = strlen(a), blen = b != NULL ? strlen(b) : 0;
	size_t vlen = alen + (b != NULL ? 1 + blen : 0), atv;
	long chars, more = 0;
	int r;

	if (b != NULL && vlen > SUBJECT_MAX_UID)
		return KYSO_ERR_INVALID;
	/* A UID's two parts are checked apart: ':' is one character. */
	if ((chars = value_chars(t->tag, (const uint8_t *)a, alen)) < 0 ||
	    (b != NULL &&
		(more = value_chars(t->tag, (const uint8_t *)b, blen)) < 0))
		return KYSO_ERR_INVALID;
	chars += b != NULL ? 1 + more : 0;
	if (chars < t->min || (t->max != 0 && chars > t->max))
		return KYSO_ERR_INVALID;
	atv = t->oidlen + der_head_len(vlen) + vlen;
	if ((r = der_put_head(out, DER_SET, der_head_len(atv) + atv)) != 0 ||
	    (r = der_put_head(out, DER_SEQUENCE, atv)) != 0 ||
	    (r = buf_put(out, t->oid, t->oidlen)) != 0 ||
	    (r = der_put_head(out, t->tag, vlen)) != 0 ||
	    (r = buf_put(out, a, alen)) != 0)
		return r;
	if (b != NULL &&
	    ((r = buf_put(out, &colon, 1)) != 0 ||
		(r = buf_put(out, b, blen)) != 0))
		return r;
	return 0;
}

int
ca_subject_der(const struct ra_subject *s, struct buf *out)
{
	struct buf *rdns = buf_new(0);
	const char *a, *b;
	size_t i;
	int r = KYSO_ERR_NOMEM;

	if (rdns == NULL)
		goto out;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		const struct attr *t = &attrs[i];

		if ((r = attr_value(s, t->field, &a, &b)) != 0)
			goto out;
		if (*a == '\0' && b == NULL && !t->required)
			continue;
		if ((r = put_rdn(rdns, t, a, b)) != 0)
			goto out;
	}
	r = der_wrap(out, DER_SEQUENCE, rdns);
out:
	buf_free(rdns);
	return r;
}
