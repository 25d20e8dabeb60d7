/* Certificates on the plugged tokens, read without a login (P_CERTS, and
 * the batch's choice of signer). */
#include "agent/tok_int.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/x509_text.h"
#include "p11/p11.h"

/* More certificates than any token holds; past it the rest is left out. */
#define TOK_MAX_CERTS 256

void
tok_certs_free(struct tok_cert *c, size_t n)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++) {
		buf_free(c[i].der);
		free(c[i].cn);
	}
	free(c);
}

/* What the batch and the page need to know of one certificate; false for
 * one that is not a signer's (a CA's, or not X.509 at all). */
static int
describe(struct tok_cert *c)
{
	const unsigned char *p = buf_ptr(c->der);
	const ASN1_INTEGER *sn;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	X509 *x;
	int ok = 0;

	if ((x = d2i_X509(NULL, &p, (long)buf_len(c->der))) == NULL)
		return 0;
	if (X509_check_ca(x) != 0)
		goto out;
	if (EVP_Digest(buf_ptr(c->der), buf_len(c->der), c->sha256, NULL,
		EVP_sha256(), NULL) != 1)
		goto out;
	c->valid_now = X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
	    X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
	c->not_before = x509_text_epoch(X509_get0_notBefore(x));
	c->not_after = x509_text_epoch(X509_get0_notAfter(x));
	c->cn = x509_text_cn(X509_get_subject_name(x));
	sn = X509_get0_serialNumber(x);
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL)
		snprintf(c->serial_hex, sizeof(c->serial_hex), "%s", hex);
	ok = 1;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return ok;
}

/* The certificates of the token in slot, appended to all (at most
 * TOK_MAX_CERTS in all). */
static int
slot_certs(struct p11 *p, CK_SLOT_ID slot, struct tok_cert *all, size_t *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
	};
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE *h = NULL;
	CK_TOKEN_INFO ti;
	struct buf *id = NULL;
	struct tok_cert *c;
	size_t i, count = 0;
	int r;

	if ((r = p11_token_info(p, slot, &ti)) != 0 ||
	    (r = p11_session_open(p, slot, 0, &s)) != 0 ||
	    (r = p11_find_all(p, s, tmpl, 2, &h, &count)) != 0)
		goto out;
	for (i = 0; i < count && *n < TOK_MAX_CERTS; i++) {
		c = &all[*n];
		memset(c, 0, sizeof(*c));
		if (p11_get_attr(p, s, h[i], CKA_VALUE, &c->der) != 0)
			continue;
		if (p11_get_attr(p, s, h[i], CKA_ID, &id) == 0 &&
		    buf_len(id) <= sizeof(c->id)) {
			memcpy(c->id, buf_ptr(id), buf_len(id));
			c->idlen = buf_len(id);
		}
		buf_free(id);
		id = NULL;
		if (c->idlen == 0 || !describe(c)) {
			buf_free(c->der);
			free(c->cn);
			continue;
		}
		p11_str(ti.label, sizeof(ti.label), c->label);
		p11_str(ti.serialNumber, sizeof(ti.serialNumber), c->serial);
		(*n)++;
	}
	r = 0;
out:
	free(h);
	p11_session_close(p, s);
	return r;
}

int
tok_certs(struct tok *t, struct tok_cert **out, size_t *n)
{
	struct tok_cert *all = NULL;
	CK_SLOT_ID *slots = NULL;
	struct p11 *p;
	size_t i, ns = 0, have = 0;
	int r;

	if ((r = tok_p11(t, &p)) != 0)
		goto out;
	if ((r = p11_slot_list(p, 1, &slots, &ns)) != 0)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((all = calloc(TOK_MAX_CERTS, sizeof(*all))) == NULL)
		goto out;
	/* A token that cannot be read (pulled out meanwhile) is skipped. */
	for (i = 0; i < ns; i++)
		(void)slot_certs(p, slots[i], all, &have);
	*out = all;
	*n = have;
	all = NULL;
	r = 0;
out:
	tok_certs_free(all, have);
	free(slots);
	return r;
}

int
tok_any_token(struct tok *t)
{
	CK_SLOT_ID *slots = NULL;
	struct p11 *p;
	size_t n = 0;

	if (tok_p11(t, &p) != 0 || p11_slot_list(p, 1, &slots, &n) != 0)
		return 0;
	free(slots);
	return n > 0;
}

int
tok_token_present(struct tok *t, const char *serial)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	struct p11 *p;

	return tok_p11(t, &p) == 0 && p11_find_token(p, serial, &slot, &ti) == 0;
}

int
tok_do_certs(struct tok *t)
{
	struct tok_cert *c = NULL;
	struct buf *b = NULL;
	size_t i, n = 0;
	int r;

	if ((r = tok_certs(t, &c, &n)) != 0)
		goto out;
	if ((r = proto_begin(P_CERTS_OK, &b)) != 0 ||
	    (r = buf_put_u32(b, (uint32_t)n)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if ((r = buf_put_string(b, buf_ptr(c[i].der),
			 buf_len(c[i].der))) != 0 ||
		    (r = buf_put_cstring(b, c[i].label)) != 0 ||
		    (r = buf_put_cstring(b, c[i].serial)) != 0)
			goto out;
	if ((r = proto_send(t->fd, b)) != 0)
		t->dead = 1;
out:
	buf_free(b);
	tok_certs_free(c, n);
	return r;
}
