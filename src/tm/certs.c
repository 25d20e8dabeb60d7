/* The certificates on a token as a subscriber sees them (the Token
 * Manager's certificate list), deleting an old one, and the SO PIN's
 * unblock: what a window needs beside the flows of enroll.c and pin.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "common/pin.h"
#include "common/x509_text.h"
#include "tm_int.h"

/* A string the library made into a fixed field; "?" when there is none. */
static void
put(char *out, size_t n, char *s)
{
	snprintf(out, n, "%s", s != NULL ? s : "?");
	free(s);
}

/* The serial number in hex, as kyso-token certs writes it. */
static void
serial_hex(const X509 *x, char *out, size_t n)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(out, n, "%s", h != NULL ? h : "?");
	OPENSSL_free(h);
	BN_free(bn);
}

/* The fields of one certificate a list shows. */
static void
describe(X509 *x, struct tm_cert *c)
{
	int days = 0, secs = 0;

	put(c->subject_cn, sizeof(c->subject_cn),
	    x509_text_cn(X509_get_subject_name(x)));
	put(c->subject_dn, sizeof(c->subject_dn),
	    x509_text_name(X509_get_subject_name(x), X509_TEXT_RFC2253));
	put(c->issuer_dn, sizeof(c->issuer_dn),
	    x509_text_name(X509_get_issuer_name(x), X509_TEXT_RFC2253));
	put(c->holder, sizeof(c->holder),
	    x509_text_holder(X509_get_subject_name(x)));
	{
		char *l = x509_text_legal_name(x);

		snprintf(c->legal_name, sizeof(c->legal_name), "%s",
		    l != NULL ? l : "");
		free(l);
	}
	serial_hex(x, c->serial, sizeof(c->serial));
	if (x509_text_time(X509_get0_notBefore(x), X509_TIME_LOCAL_DATE,
		c->not_before, sizeof(c->not_before)) != 0)
		snprintf(c->not_before, sizeof(c->not_before), "?");
	if (x509_text_time(X509_get0_notAfter(x), X509_TIME_LOCAL_DATE,
		c->not_after, sizeof(c->not_after)) != 0)
		snprintf(c->not_after, sizeof(c->not_after), "?");
	c->not_before_t = x509_text_epoch(X509_get0_notBefore(x));
	c->not_after_t = x509_text_epoch(X509_get0_notAfter(x));
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) == 1)
		c->days_left = days < 0 || secs < 0 ? (days < 0 ? days : -1)
						    : days;
	c->is_ca = X509_check_ca(x) != 0;
}

/* Reads one certificate object; 0 when it is one we can show. */
static int
read_one(struct tm_session *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    struct tm_cert *c)
{
	struct buf *der = NULL, *id = NULL, *lab = NULL;
	const unsigned char *p;
	X509 *x = NULL;
	int r = KYSO_ERR_INVALID;

	if (p11_get_attr(t->p11, s, h, CKA_VALUE, &der) != 0)
		goto out;
	p = buf_ptr(der);
	if ((x = d2i_X509(NULL, &p, (long)buf_len(der))) == NULL)
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((c->der = malloc(buf_len(der))) == NULL)
		goto out;
	memcpy(c->der, buf_ptr(der), buf_len(der));
	c->der_len = buf_len(der);
	c->h = h;
	if (p11_get_attr(t->p11, s, h, CKA_ID, &id) == 0) {
		c->idlen = buf_len(id) < sizeof(c->id) ? buf_len(id)
						       : sizeof(c->id);
		memcpy(c->id, buf_ptr(id), c->idlen);
	}
	if (p11_get_attr(t->p11, s, h, CKA_LABEL, &lab) == 0)
		snprintf(c->label, sizeof(c->label), "%.*s",
		    (int)(buf_len(lab) < sizeof(c->label) ? buf_len(lab)
							  : sizeof(c->label) - 1),
		    (const char *)buf_ptr(lab));
	describe(x, c);
	r = 0;
out:
	X509_free(x);
	buf_free(der);
	buf_free(id);
	buf_free(lab);
	return r;
}

/* A subscriber certificate is superseded by one for the same holder
 * issued after it (a renewal or a change of details installed beside it):
 * the old one is kept (some services still know it) but is no problem. */
static void
mark_superseded(struct tm_cert *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j && !v[i].is_ca && !v[j].is_ca &&
			    strcmp(v[i].holder, v[j].holder) == 0 &&
			    (v[j].not_before_t > v[i].not_before_t ||
				(v[j].not_before_t == v[i].not_before_t &&
				    v[j].not_after_t > v[i].not_after_t)))
				v[i].superseded = 1;
}

/* The certificates are public objects: no login, no PIN. */
int
tm_certs(struct tm_session *t, struct tm_cert **out, size_t *n,
    struct tm_result *res)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct tm_cert *v = NULL;
	size_t found = 0, i, k = 0;
	int r;

	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
	if ((r = p11_session_open(t->p11, t->slot, 0, &s)) != 0) {
		s = CK_INVALID_HANDLE;
		tm_fail_token(t, res, TM_OP_OPEN, r);
		goto out;
	}
	if ((r = p11_find_all(t->p11, s, &tmpl, 1, &hs, &found)) != 0) {
		tm_fail(res, TM_WHY_CERTS_UNREADABLE, r);
		goto out;
	}
	if ((v = calloc(found + 1, sizeof(*v))) == NULL) {
		r = tm_fail(res, TM_WHY_INTERNAL, KYSO_ERR_NOMEM);
		goto out;
	}
	for (i = 0; i < found; i++)
		if (read_one(t, s, hs[i], &v[k]) == 0)
			k++;
	mark_superseded(v, k);
	*out = v;
	*n = k;
	v = NULL;
	r = 0;
out:
	tm_certs_free(v, 0);
	free(hs);
	p11_session_close(t->p11, s);
	res->err = r;
	return r;
}

/* Frees a list from tm_certs. */
void
tm_certs_free(struct tm_cert *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].der);
	free(v);
}

/* The key pair's halves that share the certificate's CKA_ID. */
static int
delete_keys(struct tm_session *t, CK_SESSION_HANDLE s, const struct tm_cert *c)
{
	static const CK_OBJECT_CLASS cls[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
	size_t i, j;
	int r = 0;

	for (i = 0; i < sizeof(cls) / sizeof(cls[0]) && c->idlen > 0; i++) {
		CK_ATTRIBUTE tmpl[] = {
			{ CKA_CLASS, (void *)&cls[i], sizeof(cls[i]) },
			{ CKA_ID, (void *)c->id, c->idlen },
		};
		CK_OBJECT_HANDLE *hs = NULL;
		size_t n = 0;

		if (p11_find_all(t->p11, s, tmpl, 2, &hs, &n) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (p11_destroy(t->p11, s, hs[j]) != 0)
				r = KYSO_ERR_IO;
		free(hs);
	}
	return r;
}

/* The certificate goes first; its key pair cannot sign anything valid
 * without it. */
int
tm_cert_delete(struct tm_session *t, const char *serial, const struct tm_ui *ui,
    struct tm_result *res)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct tm_cert *v = NULL, *c = NULL;
	size_t n = 0, i;
	int r;

	if ((r = tm_certs(t, &v, &n, res)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].serial, serial) == 0)
			c = &v[i];
	if (c == NULL) {
		r = tm_fail(res, TM_WHY_CERTS_UNREADABLE, KYSO_ERR_NOT_FOUND);
		goto out;
	}
	if ((r = tm_token_info(t, &(CK_TOKEN_INFO){ 0 }, res)) != 0 ||
	    (r = tm_login(t, CKU_USER, ui, res, &s)) != 0)
		goto out;
	if ((r = p11_destroy(t->p11, s, c->h)) != 0 ||
	    (!c->is_ca && (r = delete_keys(t, s, c)) != 0)) {
		tm_fail(res, TM_WHY_CERT_WRITE, r);
		goto out;
	}
	r = 0;
out:
	tm_close(t, s);
	tm_certs_free(v, n);
	res->err = r;
	return r;
}

/* The security officer sets the user PIN back to the factory PIN; the
 * subscriber changes it next, as after a reset by OTP. */
int
tm_unblock(struct tm_session *t, const struct tm_ui *ui, struct tm_result *res)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	int r;

	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
	if ((r = tm_token_info(t, &ti, res)) != 0 ||
	    (r = tm_check_cancel(ui, res)) != 0 ||
	    (r = tm_login(t, CKU_SO, ui, res, &s)) != 0)
		goto out;
	tm_progress(ui, TM_STEP_RESETTING_PIN, res);
	if ((r = p11_init_pin(t->p11, s, KYSO_FACTORY_PIN)) != 0) {
		tm_fail_token(t, res, TM_OP_RESET_PIN, r);
		goto out;
	}
	r = 0;
out:
	tm_close(t, s);
	res->err = r;
	return r;
}
