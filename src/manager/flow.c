/* A libkysotm flow in a worker thread (GTask): the window never waits on
 * the token or the network. The flow's questions (struct tm_ui) come back
 * to the main loop as modal dialogs while the worker waits for the
 * answer; its steps go to the busy line; Cancel sets what
 * ui->cancelled reads. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/secret.h"
#include "manager.h"

#define NSECRETS (TM_SECRET_OTP + 1)
#define NDETAILS 8
#define PULSE_MS 300

enum ask_kind { ASK_SECRET, ASK_CHOICE };

struct flow {
	struct mgr *m;
	CK_SLOT_ID slot;
	char *what;
	flow_fn fn;
	flow_done_fn done;
	void *arg;
	GDestroyNotify free_arg;
	int needs_ra;
	char *given[NSECRETS];
	gint cancel;
	int dismissed; /* the subscriber closed a question: no error */
	struct tm_ui ui;
	struct tm_result res;
	char token_serial[17];

	/* One question at a time, from the worker to the main loop. */
	GMutex mu;
	GCond cond;
	int answered;
	enum ask_kind ask;
	enum tm_secret secret;
	enum tm_question question;
	int choice;
	char *answer;
	char *otp_note;
	char *details[NDETAILS][2];
	GtkWidget *dlg, *entry;
	GtkWidget *pin_entry[3];
};

/* Hands a typed secret over; the entry's text is the page's to clear. */
void
flow_give(struct flow *f, enum tm_secret what, const char *s)
{
	if ((size_t)what >= NSECRETS || s == NULL)
		return;
	secret_free(f->given[what]);
	f->given[what] = strdup(s);
}

/* The worker's answer arrives; it wakes up. */
static void
answer(struct flow *f, int choice, char *secret)
{
	g_mutex_lock(&f->mu);
	f->choice = choice;
	f->answer = secret;
	f->answered = 1;
	g_cond_signal(&f->cond);
	g_mutex_unlock(&f->mu);
}

/* An entry's text as a malloc'ed secret, the entry cleared. */
static char *
take_text(GtkWidget *entry)
{
	const char *t = gtk_editable_get_text(GTK_EDITABLE(entry));
	char *s = strdup(t != NULL ? t : "");

	gtk_editable_set_text(GTK_EDITABLE(entry), "");
	return s;
}

/* The dialog's buttons: accept hands the entry (or yes) over. */
static void
on_accept(GtkButton *b, gpointer ud)
{
	struct flow *f = ud;
	GtkWidget *dlg = f->dlg;
	size_t i;

	f->dlg = NULL;
	if (f->ask == ASK_SECRET) {
		answer(f, 1, take_text(f->entry));
	} else {
		/* The factory PIN's change: its three entries become the
		 * secrets tm_change_pin asks next. */
		for (i = 0; i < 3 && f->pin_entry[0] != NULL; i++) {
			secret_free(f->given[TM_SECRET_OLD_PIN + i]);
			f->given[TM_SECRET_OLD_PIN + i] = take_text(
			    f->pin_entry[i]);
		}
		answer(f, 1, NULL);
	}
	gtk_window_destroy(GTK_WINDOW(dlg));
}

/* Cancel, Decline or the window closed: no. */
static void
on_refuse(GtkButton *b, gpointer ud)
{
	struct flow *f = ud;
	GtkWidget *dlg = f->dlg;

	if (dlg == NULL)
		return;
	f->dlg = NULL;
	if (f->ask == ASK_SECRET || f->question != TM_ASK_DETAILS_RIGHT)
		f->dismissed = 1;
	answer(f, 0, NULL);
	gtk_window_destroy(GTK_WINDOW(dlg));
}

static gboolean
on_close(GtkWindow *w, gpointer ud)
{
	on_refuse(NULL, ud);
	return FALSE;
}

/* The name and button of each secret's dialog. */
static void
secret_words(enum tm_secret s, const char **title, const char **label,
    const char **button)
{
	*label = "";
	*button = _("Log in");
	*title = _("Log in to the token");
	switch (s) {
	case TM_SECRET_PIN: *label = _("Token PIN"); break;
	case TM_SECRET_SO_PIN: *label = _("SO PIN"); break;
	case TM_SECRET_OLD_PIN: *label = _("Old PIN"); break;
	case TM_SECRET_NEW_PIN: *label = _("New PIN"); break;
	case TM_SECRET_NEW_PIN_AGAIN: *label = _("Confirm new PIN"); break;
	case TM_SECRET_CODE:
		*title = _("Register certificate");
		*label = _("Activation code");
		*button = _("Continue");
		break;
	case TM_SECRET_OTP:
		*title = _("Forgot PIN");
		*label = _("OTP");
		*button = _("Confirm");
		break;
	}
}

/* A secret's dialog: one entry, its button, Cancel. */
static void
show_secret(struct flow *f)
{
	const char *title, *label, *button;
	GtkWidget *box, *buttons, *grid, *b;

	secret_words(f->secret, &title, &label, &button);
	f->dlg = dlg_new(f->m, title, &box, &buttons);
	if (f->secret == TM_SECRET_OTP && f->otp_note != NULL) {
		GtkWidget *l = gtk_label_new(f->otp_note);

		gtk_label_set_wrap(GTK_LABEL(l), TRUE);
		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_box_append(GTK_BOX(box), l);
	}
	grid = gtk_grid_new();
	gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	gtk_box_append(GTK_BOX(box), grid);
	f->entry = form_entry(grid, 0, label,
	    f->secret != TM_SECRET_CODE && f->secret != TM_SECRET_OTP);
	b = dlg_button(buttons, _("Cancel"));
	g_signal_connect(b, "clicked", G_CALLBACK(on_refuse), f);
	b = dlg_button(buttons, button);
	gtk_widget_add_css_class(b, "suggested-action");
	g_signal_connect(b, "clicked", G_CALLBACK(on_accept), f);
	gtk_window_set_default_widget(GTK_WINDOW(f->dlg), b);
	g_object_set(f->entry, "activates-default", TRUE, NULL);
	if (GTK_IS_PASSWORD_ENTRY(f->entry))
		gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(f->entry),
		    TRUE);
}

/* The registered details, for the subscriber to check (seed: "Check the
 * information, then accept"). */
static void
show_choice_details(struct flow *f)
{
	GtkWidget *box, *buttons, *grid, *b;
	int i;

	f->dlg = dlg_new(f->m, _("Check the certificate details"), &box,
	    &buttons);
	grid = gtk_grid_new();
	gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	gtk_box_append(GTK_BOX(box), grid);
	for (i = 0; i < NDETAILS && f->details[i][0] != NULL; i++) {
		GtkWidget *k = gtk_label_new(f->details[i][0]);
		GtkWidget *v = gtk_label_new(f->details[i][1]);
		char *name = g_strdup_printf("%s: %s", f->details[i][0],
		    f->details[i][1]);

		gtk_label_set_xalign(GTK_LABEL(k), 0);
		gtk_label_set_xalign(GTK_LABEL(v), 0);
		gtk_label_set_wrap(GTK_LABEL(v), TRUE);
		gtk_label_set_max_width_chars(GTK_LABEL(v), 50);
		gtk_widget_add_css_class(k, "dim-label");
		a11y_name(v, name);
		g_free(name);
		gtk_grid_attach(GTK_GRID(grid), k, 0, i, 1, 1);
		gtk_grid_attach(GTK_GRID(grid), v, 1, i, 1, 1);
	}
	b = dlg_button(buttons, _("Decline"));
	g_signal_connect(b, "clicked", G_CALLBACK(on_refuse), f);
	b = dlg_button(buttons, _("Accept"));
	gtk_widget_add_css_class(b, "suggested-action");
	g_signal_connect(b, "clicked", G_CALLBACK(on_accept), f);
}

/* Register met the factory PIN: the change comes first, here. */
static void
show_choice_factory(struct flow *f)
{
	GtkWidget *box, *buttons, *b;

	f->dlg = dlg_new(f->m, _("Change the factory PIN"), &box, &buttons);
	mgr_pin_form(box,
	    _("The token still has the factory PIN; change it first."),
	    f->pin_entry);
	b = dlg_button(buttons, _("Cancel"));
	g_signal_connect(b, "clicked", G_CALLBACK(on_refuse), f);
	b = dlg_button(buttons, _("Accept"));
	gtk_widget_add_css_class(b, "suggested-action");
	g_signal_connect(b, "clicked", G_CALLBACK(on_accept), f);
}

/* On the main loop: the question the worker waits on. */
static gboolean
ask_main(gpointer ud)
{
	struct flow *f = ud;

	if (f->ask == ASK_SECRET)
		show_secret(f);
	else if (f->question == TM_ASK_DETAILS_RIGHT)
		show_choice_details(f);
	else
		show_choice_factory(f);
	g_signal_connect(f->dlg, "close-request", G_CALLBACK(on_close), f);
	gtk_window_present(GTK_WINDOW(f->dlg));
	return G_SOURCE_REMOVE;
}

/* In the worker: asks on the main loop and waits for the answer. */
static void
ask_and_wait(struct flow *f)
{
	g_mutex_lock(&f->mu);
	f->answered = 0;
	f->answer = NULL;
	g_idle_add(ask_main, f);
	while (!f->answered)
		g_cond_wait(&f->cond, &f->mu);
	g_mutex_unlock(&f->mu);
}

/* tm_ui: a secret the page gave, else a dialog. */
static int
ui_secret(void *ud, enum tm_secret what, char **out)
{
	struct flow *f = ud;

	if ((size_t)what < NSECRETS && f->given[what] != NULL) {
		*out = f->given[what];
		f->given[what] = NULL;
		return 0;
	}
	if (f->dismissed || g_atomic_int_get(&f->cancel))
		return KYSO_ERR_NOT_FOUND;
	f->ask = ASK_SECRET;
	f->secret = what;
	ask_and_wait(f);
	if (!f->choice || f->answer == NULL) {
		secret_free(f->answer);
		return KYSO_ERR_NOT_FOUND;
	}
	*out = f->answer;
	f->answer = NULL;
	return 0;
}

/* tm_ui: the details are right / change the factory PIN now. */
static int
ui_choice(void *ud, enum tm_question q, const struct tm_result *r)
{
	struct flow *f = ud;

	if (f->dismissed || g_atomic_int_get(&f->cancel))
		return 0;
	f->ask = ASK_CHOICE;
	f->question = q;
	ask_and_wait(f);
	return f->choice;
}

/* One row of the details dialog. */
static void
detail(struct flow *f, int *i, const char *k, const char *v)
{
	if (*i >= NDETAILS)
		return;
	f->details[*i][0] = g_strdup(k);
	f->details[*i][1] = g_strdup(v);
	(*i)++;
}

/* tm_ui: the registered details, kept for the question that follows. */
static void
ui_details(void *ud, const struct tm_details *d)
{
	struct flow *f = ud;
	char *years;
	int i = 0;

	detail(f, &i, _("Name"), d->cn);
	detail(f, &i, _("Identifier"), d->uid);
	if (*d->o != '\0')
		detail(f, &i, _("Organization"), d->o);
	detail(f, &i, _("Province"), d->st);
	detail(f, &i, _("E-mail"), d->email);
	detail(f, &i, _("Key"), _(tm_key_text(d->key_type)));
	years = g_strdup_printf(_("%lld year(s)"), d->validity_years);
	detail(f, &i, _("Validity"), years);
	g_free(years);
	detail(f, &i, _("Subject"), d->subject_dn);
}

struct step_msg {
	struct mgr *m;
	char *text;
};

/* On the main loop: the busy line. */
static gboolean
step_main(gpointer ud)
{
	struct step_msg *s = ud;

	if (s->m->busy_label != NULL)
		gtk_label_set_text(GTK_LABEL(s->m->busy_label), s->text);
	g_free(s->text);
	g_free(s);
	return G_SOURCE_REMOVE;
}

/* tm_ui: what the flow is doing. */
static void
ui_progress(void *ud, enum tm_step step, const struct tm_result *r)
{
	struct flow *f = ud;
	struct step_msg *s;
	const char *w = words_step(step);

	if (step == TM_STEP_OTP_SENT) {
		g_free(f->otp_note);
		/* The server's own lifetime; none told by an older one. */
		if (r->otp_ttl > 0)
			f->otp_note =
			    g_strdup_printf(ngettext("Request sent. If the details match the CA's records, a one-time code (OTP) was sent to your e-mail. It is valid for %ld minute.",
						"Request sent. If the details match the CA's records, a one-time code (OTP) was sent to your e-mail. It is valid for %ld minutes.",
						(unsigned long)tm_otp_minutes(
						    r->otp_ttl)),
				tm_otp_minutes(r->otp_ttl));
		else
			f->otp_note = g_strdup(_(
			    "Request sent. If the details match the CA's records, a one-time code (OTP) was sent to your e-mail."));
	}
	if (step == TM_STEP_PIN_CHANGED)
		w = _("The PIN was changed.");
	if (w == NULL || (s = g_new0(struct step_msg, 1)) == NULL)
		return;
	s->m = f->m;
	s->text = g_strdup(w);
	g_idle_add(step_main, s);
}

/* tm_ui: the window's Cancel. */
static int
ui_cancelled(void *ud)
{
	struct flow *f = ud;

	return g_atomic_int_get(&f->cancel);
}

struct flow *
flow_new(struct mgr *m, CK_SLOT_ID slot, const char *what, flow_fn fn,
    flow_done_fn done, void *arg, GDestroyNotify free_arg)
{
	struct flow *f = g_new0(struct flow, 1);

	f->m = m;
	f->slot = slot;
	f->what = g_strdup(what);
	f->fn = fn;
	f->done = done;
	f->arg = arg;
	f->free_arg = free_arg;
	g_mutex_init(&f->mu);
	g_cond_init(&f->cond);
	f->ui.ud = f;
	f->ui.ask_secret = ui_secret;
	f->ui.ask_choice = ui_choice;
	f->ui.show_details = ui_details;
	f->ui.progress = ui_progress;
	f->ui.cancelled = ui_cancelled;
	return f;
}

/* Every secret still held is wiped. */
static void
flow_free(struct flow *f)
{
	size_t i;

	for (i = 0; i < NSECRETS; i++)
		secret_free(f->given[i]);
	for (i = 0; i < NDETAILS; i++) {
		g_free(f->details[i][0]);
		g_free(f->details[i][1]);
	}
	if (f->free_arg != NULL)
		f->free_arg(f->arg);
	g_free(f->otp_note);
	g_free(f->what);
	g_mutex_clear(&f->mu);
	g_cond_clear(&f->cond);
	OPENSSL_cleanse(&f->res, sizeof(f->res));
	g_free(f);
}

/* The worker: one session, the flow, the session gone. */
static void
flow_thread(GTask *task, gpointer src, gpointer ud, GCancellable *c)
{
	struct flow *f = ud;
	struct mgr *m = f->m;
	struct tm_session *t = NULL;
	int r;

	g_mutex_lock(&m->token_lock);
	if ((r = tm_new(m->p11, f->slot, &t)) != 0) {
		f->res.err = r;
		f->res.why = TM_WHY_INTERNAL;
		goto out;
	}
	if (f->needs_ra &&
	    (r = tm_set_ra(t, m->prefs.ra_url, m->prefs.ra_ca)) != 0) {
		f->res.err = r;
		f->res.why = TM_WHY_INTERNAL;
		goto out;
	}
	(void)f->fn(t, &f->ui, &f->res, f->arg);
out:
	tm_free(t);
	g_mutex_unlock(&m->token_lock);
	g_task_return_boolean(task, TRUE);
}

/* Back on the main loop: the busy line goes, the face says what happened. */
static void
flow_finished(GObject *src, GAsyncResult *ar, gpointer ud)
{
	struct flow *f = ud;
	struct mgr *m = f->m;

	m->running = NULL;
	if (m->busy_box != NULL) {
		gtk_widget_set_visible(m->busy_box, FALSE);
		if (m->pulse != 0)
			g_source_remove(m->pulse);
		m->pulse = 0;
	}
	if (f->res.err != 0 && !f->dismissed && f->res.why != TM_WHY_CANCELLED) {
		char *text = words_fail(m, &f->res, f->what);

		if (text != NULL)
			mgr_message(m, f->what, text);
		g_free(text);
	}
	if (f->done != NULL && (f->res.err == 0 || !f->dismissed))
		f->done(m, &f->res, f->arg);
	flow_free(f);
}

/* The window's Cancel button. */
static void
on_cancel(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;

	if (m->running != NULL)
		g_atomic_int_set(&m->running->cancel, 1);
}

/* The busy bar moves a few times a second: a spinner's sixty frames a
 * second cost a software-rendered desktop (a thin client, Xvfb) a core. */
static gboolean
pulse(gpointer ud)
{
	struct mgr *m = ud;

	if (m->spinner == NULL) {
		m->pulse = 0;
		return G_SOURCE_REMOVE;
	}
	gtk_progress_bar_pulse(GTK_PROGRESS_BAR(m->spinner));
	return G_SOURCE_CONTINUE;
}

/* One flow at a time; a flow that talks to the RA needs its address. */
void
flow_start(struct flow *f, int needs_ra)
{
	struct mgr *m = f->m;
	const char *u = m->prefs.ra_url;
	GTask *task;

	if (m->running != NULL) {
		mgr_message(m, f->what,
		    _("Another operation is still running; wait for it to end."));
		flow_free(f);
		return;
	}
	if (needs_ra && (u == NULL || *u == '\0')) {
		mgr_message(m, f->what,
		    _("The CA's server is not set: set ra_url in kyso.conf."));
		flow_free(f);
		return;
	}
	if (needs_ra && strncmp(u, "https://", 8) != 0 &&
	    strncmp(u, "http://127.", 11) != 0 &&
	    strncmp(u, "http://localhost", 16) != 0 &&
	    strncmp(u, "http://[::1]", 12) != 0) {
		mgr_message(m, f->what,
		    _("The CA's server must be reached over https:// (plain http only on this computer)."));
		flow_free(f);
		return;
	}
	f->needs_ra = needs_ra;
	m->running = f;
	if (m->busy_box != NULL) {
		g_signal_handlers_disconnect_by_func(m->cancel, on_cancel, m);
		g_signal_connect(m->cancel, "clicked", G_CALLBACK(on_cancel), m);
		gtk_label_set_text(GTK_LABEL(m->busy_label), f->what);
		gtk_widget_set_visible(m->busy_box, TRUE);
		m->pulse = g_timeout_add(PULSE_MS, pulse, m);
	}
	task = g_task_new(NULL, NULL, flow_finished, f);
	g_task_set_task_data(task, f, NULL);
	g_task_run_in_thread(task, flow_thread);
	g_object_unref(task);
}

struct work {
	struct mgr *m;
	void (*fn)(struct mgr *m, void *arg);
	void (*done)(struct mgr *m, void *arg);
	void *arg;
};

/* Token work that is no flow, under the same lock. */
static void
work_thread(GTask *task, gpointer src, gpointer ud, GCancellable *c)
{
	struct work *w = ud;

	g_mutex_lock(&w->m->token_lock);
	w->fn(w->m, w->arg);
	g_mutex_unlock(&w->m->token_lock);
	g_task_return_boolean(task, TRUE);
}

static void
work_finished(GObject *src, GAsyncResult *ar, gpointer ud)
{
	struct work *w = ud;

	if (w->done != NULL)
		w->done(w->m, w->arg);
	g_free(w);
}

void
mgr_work(struct mgr *m, void (*fn)(struct mgr *m, void *arg),
    void (*done)(struct mgr *m, void *arg), void *arg)
{
	struct work *w = g_new0(struct work, 1);
	GTask *task;

	w->m = m;
	w->fn = fn;
	w->done = done;
	w->arg = arg;
	task = g_task_new(NULL, NULL, work_finished, w);
	g_task_set_task_data(task, w, NULL);
	g_task_run_in_thread(task, work_thread);
	g_object_unref(task);
}
