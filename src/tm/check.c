/* The plug-in checks (seed 000/001): PIN locked, factory PIN not changed
 * (with the offer to change it now), certificate expired or about to
 * (or replaced by a newer one: said as such, not as a problem). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* One subscriber certificate against the warning window; one a newer
 * certificate has replaced is marked so, for a note instead of alarm. */
static void
check_cert(const struct tm_cert *c, long warn_days, struct tm_result *res)
{
	struct tm_finding *f;

	if (c->is_ca || c->days_left > warn_days)
		return;
	if ((f = add_finding(res,
		 c->days_left < 0 ? TM_FINDING_EXPIRED : TM_FINDING_EXPIRING)) ==
	    NULL)
		return;
	f->days_left = c->days_left;
	f->replaced = c->superseded;
	snprintf(f->subject, sizeof(f->subject), "%s", c->subject_cn);
	snprintf(f->serial, sizeof(f->serial), "%s", c->serial);
}

/* The certificates as tm_certs reads them (no login, no PIN), so that
 * the list and the checks agree on which one is superseded. */
static int
check_certs(struct tm_session *t, long warn_days, struct tm_result *res)
{
	struct tm_result *sub = calloc(1, sizeof(*sub));
	struct tm_cert *v = NULL;
	size_t n = 0, i;
	int r;

	if (sub == NULL)
		return tm_fail(res, TM_WHY_INTERNAL, KYSO_ERR_NOMEM);
	if ((r = tm_certs(t, &v, &n, sub)) != 0) {
		res->why = sub->why;
		res->op = sub->op;
		res->rv = sub->rv;
		res->err = r;
		goto out;
	}
	for (i = 0; i < n; i++)
		check_cert(&v[i], warn_days, res);
	r = 0;
out:
	tm_certs_free(v, n);
	free(sub);
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
