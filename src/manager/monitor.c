/* The plug-in monitor (seed 000/001): waits for tokens in a thread
 * (C_WaitForSlotEvent, or polling where the module cannot wait), checks
 * each token plugged in, and those present at start, with libkysotm's
 * tm_check, and on the main loop: the factory PIN opens the change-PIN
 * dialog at once; a certificate about to expire or expired, and a locked
 * PIN, become desktop notifications whose buttons open the right page.
 * Each token is warned about once per plug-in. */
#include <stdlib.h>
#include <string.h>

#include "manager.h"

#define POLL_MS 2000

struct seen {
	struct mgr *m;
	int present;
	CK_SLOT_ID slot;
	struct mgr_token tok;
	struct tm_result chk;
};

/* Whether this plug-in of the token was warned about; marks it so. */
static int
warned_before(struct mgr *m, CK_SLOT_ID slot, const char *serial)
{
	size_t i;

	for (i = 0; i < m->nwarned; i++)
		if (m->warned[i].slot == slot &&
		    strcmp(m->warned[i].serial, serial) == 0)
			return 1;
	if (m->nwarned < MGR_MAX_TOKENS) {
		m->warned[m->nwarned].slot = slot;
		snprintf(m->warned[m->nwarned].serial,
		    sizeof(m->warned[m->nwarned].serial), "%s", serial);
		m->nwarned++;
	}
	return 0;
}

/* A token pulled out: its next plug-in is warned about again. */
static void
forget(struct mgr *m, CK_SLOT_ID slot)
{
	size_t i = 0;

	while (i < m->nwarned)
		if (m->warned[i].slot == slot)
			m->warned[i] = m->warned[--m->nwarned];
		else
			i++;
}

/* One notification with one button: action app.NAME::SERIAL. */
static void
notify(struct mgr *m, const char *id, const char *title, const char *body,
    const char *button, const char *action, const char *serial)
{
	GNotification *n = g_notification_new(title);
	char *detailed = g_strdup_printf("app.%s::%s", action, serial);
	char *nid = g_strdup_printf("%s-%s", id, serial);

	g_notification_set_body(n, body);
	g_notification_set_priority(n, G_NOTIFICATION_PRIORITY_HIGH);
	g_notification_add_button(n, button, detailed);
	g_notification_set_default_action(n, detailed);
	g_application_send_notification(G_APPLICATION(m->app), nid, n);
	g_object_unref(n);
	g_free(detailed);
	g_free(nid);
}

/* A certificate finding as the seed words it. */
static void
notify_cert(struct mgr *m, const struct mgr_token *t, const struct tm_finding *f)
{
	const char *date;
	char *body;

	if (f->replaced) /* a newer certificate replaced it: no warning */
		return;
	date = mgr_finding_date(t, f);
	if (f->kind == TM_FINDING_EXPIRED) {
		body = g_strdup_printf(_("The certificate of %s expired on %s. Signatures made while it was valid and time-stamped stay valid; new signatures need a renewed certificate."),
		    f->subject, date);
		notify(m, "expired", _("Certificate expired"), body, _("Renew"),
		    "renew", t->serial);
	} else {
		body = g_strdup_printf(_("The certificate of %s expires on %s (%d days left). Ask your certificate authority for a renewal now: it mails you an activation code for Renew certificate. Sign pending invoices and declarations before the new one is installed."),
		    f->subject, date, f->days_left);
		notify(m, "expiring", _("Certificate expiring soon"), body,
		    _("Renew"), "renew", t->serial);
	}
	g_free(body);
}

/* On the main loop: what the check found, said once per plug-in. */
static gboolean
seen_main(gpointer ud)
{
	struct seen *s = ud;
	struct mgr *m = s->m;
	const struct mgr_token *t = &s->tok;
	size_t i;

	if (!s->present) {
		forget(m, s->slot);
	} else if (!warned_before(m, s->slot, t->serial)) {
		for (i = 0; i < s->chk.nfindings; i++) {
			const struct tm_finding *f = &s->chk.findings[i];
			char *body;

			switch (f->kind) {
			case TM_FINDING_LOCKED:
				body = g_strdup_printf(_("The PIN of token %s is locked after too many wrong tries. Request an unblock: a one-time code (OTP) is sent to your registered e-mail and the PIN is reset to the factory PIN."),
				    t->serial);
				notify(m, "locked", _("Token PIN locked"), body,
				    _("Forgot PIN"), "forgot-pin", t->serial);
				g_free(body);
				break;
			case TM_FINDING_FACTORY_PIN:
				mgr_change_pin_dialog(m, t->slot, 1);
				break;
			case TM_FINDING_EXPIRED:
			case TM_FINDING_EXPIRING: notify_cert(m, t, f); break;
			}
		}
	}
	if (m->win != NULL)
		mgr_refresh(m);
	tm_certs_free(s->tok.certs, s->tok.ncerts);
	g_free(s);
	return G_SOURCE_REMOVE;
}

/* In the monitor's thread: one slot's event, checked under the lock. */
static void
check_slot(struct mgr *m, CK_SLOT_ID slot)
{
	struct seen *s = g_new0(struct seen, 1);
	CK_SLOT_INFO si;

	s->m = m;
	s->slot = slot;
	g_mutex_lock(&m->token_lock);
	s->present = p11_slot_info(m->p11, slot, &si) == 0 &&
	    (si.flags & CKF_TOKEN_PRESENT) &&
	    mgr_read_token(m, slot, &s->tok, &s->chk) == 0;
	g_mutex_unlock(&m->token_lock);
	g_idle_add(seen_main, s);
}

/* The slots with a token, as a bitmap of the first 64 slot ids. */
static guint64
present_mask(struct mgr *m)
{
	CK_SLOT_ID *slots = NULL;
	size_t n = 0, i;
	guint64 mask = 0;

	g_mutex_lock(&m->token_lock);
	if (p11_slot_list(m->p11, 1, &slots, &n) != 0)
		n = 0;
	g_mutex_unlock(&m->token_lock);
	for (i = 0; i < n; i++)
		if (slots[i] < 64)
			mask |= (guint64)1 << slots[i];
	free(slots);
	return mask;
}

/* Waiting forever, in its own thread: the module's event, or the
 * present slots compared every two seconds. */
static gpointer
monitor_thread(gpointer ud)
{
	struct mgr *m = ud;
	guint64 was = present_mask(m), now;
	CK_SLOT_ID slot;
	int i, r;

	for (i = 0; i < 64; i++)
		if (was & ((guint64)1 << i))
			check_slot(m, (CK_SLOT_ID)i);
	for (;;) {
		r = p11_wait_slot_event(m->p11, &slot);
		if (r == 0) {
			check_slot(m, slot);
			continue;
		}
		g_usleep(POLL_MS * 1000);
		now = present_mask(m);
		for (i = 0; i < 64; i++)
			if ((was ^ now) & ((guint64)1 << i))
				check_slot(m, (CK_SLOT_ID)i);
		was = now;
	}
	return NULL;
}

/* Once per process, and only when the preference allows it; the
 * application is held so that closing the window leaves it running. */
void
monitor_start(struct mgr *m)
{
	GThread *t;

	if (m->monitoring || !m->prefs.monitor || m->p11 == NULL)
		return;
	m->monitoring = 1;
	g_application_hold(G_APPLICATION(m->app));
	t = g_thread_new("kyso-monitor", monitor_thread, m);
	g_thread_unref(t);
}
