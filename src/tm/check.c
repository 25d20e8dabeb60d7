/* The plug-in checks (seed 000/001): PIN locked, factory PIN not changed
 * (with the offer to change it now), certificate expired or about to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/buf.h"
#include "common/x509_text.h"
#include "tm_int.h"

/* The next finding slot, or NULL when the list is full. */
static struct tm_finding *
add_finding(struct tm_result *res, enum tm_finding_kind kind)
{
	struct tm_finding *f;

	if (res->nfindings >= TM_CHECK_MAX)
		return NULL;
	f = &res->findings[res->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	return f;
}

/* The subject's common name as UTF-8, "?" when it has none. */
static void
subject_cn(X509 *x, char *out, size_t n)
{
	char *cn = x509_text_cn(X509_get_subject_name(x));

	snprintf(out, n, "%s", cn != NULL ? cn : "?");
	free(cn);
}

/* Whole days until notAfter; negative once it has passed. */
static int
days_left(X509 *x)
{
	int days = 0, secs = 0;

	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) != 1)
		return 0;
	return days < 0 || secs < 0 ? (days < 0 ? days : -1) : days;
}

/* One subscriber certificate against the warning window. */
static void
check_cert(X509 *x, long warn_days, struct tm_result *res)
{
	struct tm_finding *f;
	int d = days_left(x);

	if (X509_check_ca(x) != 0 || d > warn_days)
		return;
	if ((f = add_finding(res,
		 d < 0 ? TM_FINDING_EXPIRED : TM_FINDING_EXPIRING)) == NULL)
		return;
	f->days_left = d;
	subject_cn(x, f->subject, sizeof(f->subject));
}

/* The certificates are public objects: no login, no PIN. */
static int
check_certs(struct tm_session *t, long warn_days, struct tm_result *res)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE *hs = NULL;
	CK_SESSION_HANDLE s;
	size_t n = 0, i;
	int r;

	if ((r = p11_session_open(t->p11, t->slot, 0, &s)) != 0)
		return tm_fail_token(t, res, TM_OP_OPEN, r);
	if ((r = p11_find_all(t->p11, s, &tmpl, 1, &hs, &n)) != 0) {
		tm_fail(res, TM_WHY_CERTS_UNREADABLE, r);
		goto out;
	}
	for (i = 0; i < n; i++) {
		struct buf *der = NULL;
		const unsigned char *p;
		X509 *x;

		if (p11_get_attr(t->p11, s, hs[i], CKA_VALUE, &der) != 0)
			continue;
		p = buf_ptr(der);
		x = d2i_X509(NULL, &p, (long)buf_len(der));
		buf_free(der);
		if (x == NULL)
			continue;
		check_cert(x, warn_days, res);
		X509_free(x);
	}
	r = 0;
out:
	free(hs);
	p11_session_close(t->p11, s);
	return r;
}

/* A locked PIN hides the factory-PIN question: the unblock comes first. */
int
tm_check(struct tm_session *t, long warn_days, const struct tm_ui *ui,
    struct tm_result *res)
{
	CK_TOKEN_INFO ti;
	int r;

	memset(res, 0, sizeof(*res));
	res->tries_left = -1;
	if ((r = tm_token_info(t, &ti, res)) != 0)
		return r;
	tm_pin_tries(&ti, CKU_USER, res);
	if (ti.flags & CKF_USER_PIN_LOCKED) {
		res->tries_left = 0;
		(void)add_finding(res, TM_FINDING_LOCKED);
	} else if ((ti.flags & CKF_USER_PIN_TO_BE_CHANGED) &&
	    !tm_offer_pin_change(t, ui, res)) {
		(void)add_finding(res, TM_FINDING_FACTORY_PIN);
	}
	r = check_certs(t, warn_days, res);
	res->err = r;
	return r;
}
