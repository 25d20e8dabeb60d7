/* Which certificate signs: the rule kyso-sign and kyso-agent share. */
#include "p11/select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/x509_text.h"

/* A string the library made into a fixed field; "?" when there is none. */
static void
put(char *out, size_t n, char *s)
{
	snprintf(out, n, "%s", s != NULL ? s : "?");
	free(s);
}

/* The fields of one certificate; 0 for a signer's, else (a CA's, not a
 * certificate at all) KYSO_ERR_INVALID. */
static int
describe(const struct buf *der, struct p11_cand *c)
{
	const unsigned char *p = buf_ptr(der);
	BIGNUM *bn = NULL;
	char *hex = NULL;
	X509 *x;
	int r = KYSO_ERR_INVALID;

	if ((x = d2i_X509(NULL, &p, (long)buf_len(der))) == NULL)
		return r;
	if (X509_check_ca(x) != 0 ||
	    EVP_Digest(buf_ptr(der), buf_len(der), c->sha256, NULL,
		EVP_sha256(), NULL) != 1 ||
	    (bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	snprintf(c->serial, sizeof(c->serial), "%s", hex);
	c->not_before = x509_text_epoch(X509_get0_notBefore(x));
	c->not_after = x509_text_epoch(X509_get0_notAfter(x));
	put(c->subject, sizeof(c->subject),
	    x509_text_name(X509_get_subject_name(x), X509_TEXT_RFC2253));
	put(c->cn, sizeof(c->cn), x509_text_cn(X509_get_subject_name(x)));
	put(c->holder, sizeof(c->holder),
	    x509_text_holder(X509_get_subject_name(x)));
	r = 0;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return r;
}

/* Newest first: issued later, then valid longer. */
static int
newer_first(const void *a, const void *b)
{
	const struct p11_cand *x = a, *y = b;

	if (x->not_before != y->not_before)
		return x->not_before > y->not_before ? -1 : 1;
	if (x->not_after != y->not_after)
		return x->not_after > y->not_after ? -1 : 1;
	return 0;
}

/* The listing's numbers and the default both count from the newest. */
void
p11_cands_sort(struct p11_cand *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), newer_first);
}

/* Certificates are public objects: the choice is made before the PIN. */
int
p11_cands_read(struct p11 *p, CK_SESSION_HANDLE s, struct p11_cand **out,
    size_t *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
	};
	CK_OBJECT_HANDLE *hs = NULL;
	struct p11_cand *v = NULL;
	size_t found = 0, i, k = 0;
	int r;

	if ((r = p11_find_all(p, s, tmpl, 2, &hs, &found)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((v = calloc(found + 1, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < found; i++) {
		struct buf *der = NULL, *id = NULL;

		if (p11_get_attr(p, s, hs[i], CKA_ID, &id) == 0 &&
		    buf_len(id) > 0 && buf_len(id) <= sizeof(v[k].id) &&
		    p11_get_attr(p, s, hs[i], CKA_VALUE, &der) == 0 &&
		    describe(der, &v[k]) == 0) {
			memcpy(v[k].id, buf_ptr(id), buf_len(id));
			v[k].idlen = buf_len(id);
			k++;
		} else {
			memset(&v[k], 0, sizeof(v[k]));
		}
		buf_free(der);
		buf_free(id);
	}
	p11_cands_sort(v, k);
	*out = v;
	*n = k;
	v = NULL;
	r = 0;
out:
	free(v);
	free(hs);
	return r;
}

/* The ID as a person types it back into --cert-id. */
void
p11_cand_id_hex(const struct p11_cand *c, char *out, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < c->idlen && 2 * i + 2 < n; i++)
		snprintf(out + 2 * i, n - 2 * i, "%02x", c->id[i]);
}

/* bytes in lower-case hex into out (2 * len + 1 bytes). */
static void
lower_hex(const uint8_t *b, size_t len, char *out)
{
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	out[2 * len] = '\0';
}

/* want as lower-case hex without ':' in out (n bytes); false when it has
 * anything else or does not fit. */
static int
normalize(const char *want, char *out, size_t n)
{
	size_t k = 0;

	for (; *want != '\0'; want++) {
		char ch = *want;

		if (ch == ':')
			continue;
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return 0;
		if (k >= n - 1)
			return 0;
		out[k++] = ch;
	}
	out[k] = '\0';
	return k > 0;
}

/* A 1-based index of up to 3 digits; 0 when want is not one. */
static size_t
index_of(const char *want)
{
	size_t i, v = 0;

	for (i = 0; want[i] != '\0'; i++) {
		if (i == 3 || want[i] < '0' || want[i] > '9')
			return 0;
		v = v * 10 + (size_t)(want[i] - '0');
	}
	return v;
}

/* How c answers to the normalized choice w: 2 exactly (its whole
 * CKA_ID, its serial or its SHA-256), 1 by a prefix of its CKA_ID, 0 not
 * at all. */
static int
matches(const struct p11_cand *c, const char *w)
{
	char hex[2 * 64 + 1], ser[sizeof(c->serial)];
	size_t wl = strlen(w);

	lower_hex(c->id, c->idlen, hex);
	if (strcmp(hex, w) == 0)
		return 2;
	if (normalize(c->serial, ser, sizeof(ser)) && strcmp(ser, w) == 0)
		return 2;
	if (wl < strlen(hex) && memcmp(hex, w, wl) == 0)
		return 1;
	lower_hex(c->sha256, sizeof(c->sha256), hex);
	return strcmp(hex, w) == 0 ? 2 : 0;
}

/* The one certificate want names (an exact name first, then an index,
 * then an ID prefix); how many it names in *nhits. */
static size_t
named(const struct p11_cand *v, size_t n, const char *want, size_t *nhits)
{
	char w[2 * 64 + 1];
	size_t i, k, hit = 0;

	*nhits = 0;
	if (!normalize(want, w, sizeof(w))) {
		w[0] = '\0';
	} else {
		for (i = 0; i < n; i++)
			if (matches(&v[i], w) == 2 && (*nhits)++ == 0)
				hit = i;
		if (*nhits > 0)
			return hit;
	}
	k = index_of(want);
	if (k >= 1 && k <= n) {
		*nhits = 1;
		return k - 1;
	}
	for (i = 0; w[0] != '\0' && i < n; i++)
		if (matches(&v[i], w) == 1 && (*nhits)++ == 0)
			hit = i;
	return hit;
}

/* notBefore counts as valid, notAfter no longer (RFC 5280 says both
 * are inclusive; a second makes no difference to a person). */
static int
valid_at(const struct p11_cand *c, int64_t now)
{
	return c->not_before <= now && now < c->not_after;
}

/* A person names a certificate the way a listing shows it; a name that
 * fits several, or none, is said as such rather than guessed. */
enum p11_pick
p11_cand_pick(const struct p11_cand *v, size_t n, const char *want, int64_t now,
    size_t *out)
{
	size_t i, k, hit, nhits;

	if (n == 0)
		return P11_PICK_NONE;
	if (want != NULL && *want != '\0') {
		hit = named(v, n, want, &nhits);
		if (nhits == 0)
			return P11_PICK_NO_MATCH;
		if (nhits > 1)
			return P11_PICK_SEVERAL;
		*out = hit;
		return valid_at(&v[hit], now) ? P11_PICK_OK : P11_PICK_NOT_VALID;
	}
	for (i = 0; i < n && !valid_at(&v[i], now); i++)
		;
	if (i == n) {
		*out = 0;
		return P11_PICK_NOT_VALID;
	}
	*out = i;
	for (k = i + 1; k < n; k++)
		if (valid_at(&v[k], now) &&
		    (strcmp(v[k].holder, v[i].holder) != 0 ||
			newer_first(&v[k], &v[i]) == 0))
			return P11_PICK_AMBIGUOUS;
	return P11_PICK_OK;
}
