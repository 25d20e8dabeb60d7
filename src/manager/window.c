/* The main window: the plugged tokens on the left, the selected token's
 * pages on the right (pages.c), a busy line (a pulsing bar) with Cancel at the
 * bottom while a flow runs; and the dialogs every part uses. */
#include <stdlib.h>
#include <string.h>

#include "manager.h"

void
a11y_name(GtkWidget *w, const char *name)
{
	gtk_accessible_update_property(GTK_ACCESSIBLE(w),
	    GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

/* A modal window with a content box and a button row. */
GtkWidget *
dlg_new(struct mgr *m, const char *title, GtkWidget **box, GtkWidget **buttons)
{
	GtkWidget *w, *outer;

	/* The window role, not the dialog one: GTK 4.8 tells AT-SPI only
	 * windows are showing, and assistive tools skip the rest. */
	w = g_object_new(GTK_TYPE_WINDOW, "title", title, "modal", TRUE,
	    "resizable", FALSE, NULL);
	if (m->win != NULL && gtk_widget_get_visible(GTK_WIDGET(m->win)))
		gtk_window_set_transient_for(GTK_WINDOW(w), m->win);
	gtk_window_set_application(GTK_WINDOW(w), m->app);
	outer = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_widget_set_margin_top(outer, 18);
	gtk_widget_set_margin_bottom(outer, 18);
	gtk_widget_set_margin_start(outer, 18);
	gtk_widget_set_margin_end(outer, 18);
	gtk_window_set_child(GTK_WINDOW(w), outer);
	*box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	gtk_widget_set_size_request(*box, 360, -1);
	gtk_box_append(GTK_BOX(outer), *box);
	*buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_widget_set_halign(*buttons, GTK_ALIGN_END);
	gtk_box_append(GTK_BOX(outer), *buttons);
	return w;
}

GtkWidget *
dlg_button(GtkWidget *buttons, const char *label)
{
	GtkWidget *b = gtk_button_new_with_label(label);

	a11y_name(b, label);
	gtk_box_append(GTK_BOX(buttons), b);
	return b;
}

GtkWidget *
form_entry(GtkWidget *grid, int row, const char *label, int secret)
{
	GtkWidget *l = gtk_label_new(label);
	GtkWidget *e = secret ? gtk_password_entry_new() : gtk_entry_new();

	gtk_label_set_xalign(GTK_LABEL(l), 1);
	gtk_widget_set_hexpand(e, TRUE);
	gtk_label_set_mnemonic_widget(GTK_LABEL(l), e);
	/* Named by its label only: a name property as well would be read
	 * twice ("Old PIN Old PIN"). */
	gtk_accessible_update_relation(GTK_ACCESSIBLE(e),
	    GTK_ACCESSIBLE_RELATION_LABELLED_BY, l, NULL, -1);
	gtk_grid_attach(GTK_GRID(grid), l, 0, row, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), e, 1, row, 1, 1);
	return e;
}

static void
destroy_parent(GtkButton *b, gpointer ud)
{
	gtk_window_destroy(GTK_WINDOW(ud));
}

void
mgr_message(struct mgr *m, const char *title, const char *text)
{
	GtkWidget *box, *buttons, *l, *b;
	GtkWidget *w = dlg_new(m, title, &box, &buttons);

	l = gtk_label_new(text);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(l), 60);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	a11y_name(l, text);
	gtk_box_append(GTK_BOX(box), l);
	b = dlg_button(buttons, _("OK"));
	g_signal_connect(b, "clicked", G_CALLBACK(destroy_parent), w);
	gtk_window_set_default_widget(GTK_WINDOW(w), b);
	gtk_window_present(GTK_WINDOW(w));
	gtk_widget_grab_focus(b);
}

const struct mgr_token *
mgr_selected(const struct mgr *m)
{
	if (m->selected < 0 || (size_t)m->selected >= m->ntok)
		return NULL;
	return &m->tok[m->selected];
}

void
mgr_show_page(struct mgr *m, const char *name)
{
	if (m->stack != NULL)
		gtk_stack_set_visible_child_name(GTK_STACK(m->stack), name);
}

/* ---- the change-PIN dialog: the monitor's forced change ---- */

struct cpd {
	struct mgr *m;
	CK_SLOT_ID slot;
	GtkWidget *w, *e[3];
};

/* change-PIN worked: the seed's message. */
static void
pin_changed(struct mgr *m, const struct tm_result *r, void *arg)
{
	if (r->err != 0)
		return;
	mgr_message(m, _("Change PIN"),
	    _("The PIN was changed. Use the new PIN from now on to sign."));
	mgr_refresh(m);
}

static int
run_change_pin(struct tm_session *t, const struct tm_ui *ui,
    struct tm_result *res, void *arg)
{
	return tm_change_pin(t, ui, res);
}

/* Starts tm_change_pin with three entries' texts, the entries cleared. */
void
mgr_start_change_pin(struct mgr *m, CK_SLOT_ID slot, GtkWidget *const e[3])
{
	static const enum tm_secret s[3] = { TM_SECRET_OLD_PIN,
		TM_SECRET_NEW_PIN, TM_SECRET_NEW_PIN_AGAIN };
	struct flow *f = flow_new(m, slot, _("Change PIN"), run_change_pin,
	    pin_changed, NULL, NULL);
	int i;

	for (i = 0; i < 3; i++) {
		flow_give(f, s[i], gtk_editable_get_text(GTK_EDITABLE(e[i])));
		gtk_editable_set_text(GTK_EDITABLE(e[i]), "");
	}
	flow_start(f, 0);
}

static void
cpd_accept(GtkButton *b, gpointer ud)
{
	struct cpd *d = ud;

	mgr_start_change_pin(d->m, d->slot, d->e);
	gtk_window_destroy(GTK_WINDOW(d->w));
}

static void
cpd_cancel(GtkButton *b, gpointer ud)
{
	struct cpd *d = ud;

	gtk_window_destroy(GTK_WINDOW(d->w));
}

/* The policy line under the PIN entries. */
const char *
mgr_pin_policy(void)
{
	return _("6 to 16 characters, not the factory PIN 12345678.");
}

void
mgr_pin_form(GtkWidget *box, const char *note, GtkWidget *e[3])
{
	GtkWidget *grid, *l;

	if (note != NULL) {
		l = gtk_label_new(note);
		gtk_label_set_wrap(GTK_LABEL(l), TRUE);
		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_box_append(GTK_BOX(box), l);
	}
	grid = gtk_grid_new();
	gtk_grid_set_row_spacing(GTK_GRID(grid), 6);
	gtk_grid_set_column_spacing(GTK_GRID(grid), 12);
	gtk_box_append(GTK_BOX(box), grid);
	e[0] = form_entry(grid, 0, _("Old PIN"), 1);
	e[1] = form_entry(grid, 1, _("New PIN"), 1);
	e[2] = form_entry(grid, 2, _("Confirm new PIN"), 1);
	l = gtk_label_new(mgr_pin_policy());
	gtk_widget_add_css_class(l, "dim-label");
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_box_append(GTK_BOX(box), l);
}

void
mgr_change_pin_dialog(struct mgr *m, CK_SLOT_ID slot, int factory)
{
	struct cpd *d = g_new0(struct cpd, 1);
	GtkWidget *box, *buttons, *b;

	d->m = m;
	d->slot = slot;
	d->w = dlg_new(m, factory ? _("Change the factory PIN") : _("Change PIN"),
	    &box, &buttons);
	g_object_set_data_full(G_OBJECT(d->w), "cpd", d, g_free);
	mgr_pin_form(box,
	    factory
		? _("This token still has the factory PIN. Change it before you sign.")
		: NULL,
	    d->e);
	b = dlg_button(buttons, _("Cancel"));
	g_signal_connect(b, "clicked", G_CALLBACK(cpd_cancel), d);
	b = dlg_button(buttons, _("Accept"));
	gtk_widget_add_css_class(b, "suggested-action");
	g_signal_connect(b, "clicked", G_CALLBACK(cpd_accept), d);
	gtk_window_set_default_widget(GTK_WINDOW(d->w), b);
	g_object_set(d->e[2], "activates-default", TRUE, NULL);
	gtk_window_present(GTK_WINDOW(d->w));
	gtk_widget_grab_focus(d->e[0]);
}

/* ---- the token list ---- */

const char *
mgr_finding_date(const struct mgr_token *t, const struct tm_finding *f)
{
	size_t j;

	for (j = 0; j < t->ncerts; j++)
		if (strcmp(t->certs[j].serial, f->serial) == 0)
			return t->certs[j].not_after;
	return "?";
}

/* The list's state word for a token, most severe first. */
static const char *
token_state(const struct mgr_token *t, const struct tm_result *chk)
{
	size_t i, mine = 0;
	int expired = 0, expiring = 0;

	if (t->ti.flags & CKF_USER_PIN_LOCKED)
		return NC_("token state", "PIN locked");
	if (t->ti.flags & CKF_USER_PIN_TO_BE_CHANGED)
		return NC_("token state", "Factory PIN");
	for (i = 0; i < chk->nfindings; i++) {
		const struct tm_finding *f = &chk->findings[i];

		if (f->replaced) /* libkysotm: a newer one replaced it */
			continue;
		if (f->kind == TM_FINDING_EXPIRED)
			expired = 1;
		if (f->kind == TM_FINDING_EXPIRING)
			expiring = 1;
	}
	for (i = 0; i < t->ncerts; i++)
		mine += !t->certs[i].is_ca;
	if (expired)
		return NC_("token state", "Certificate expired");
	if (expiring)
		return NC_("token state", "Certificate expiring");
	if (mine == 0)
		return NC_("token state", "No certificate");
	return NC_("token state", "OK");
}

/* No question during a listing: the plug-in check asks nothing here. */
static int
no_choice(void *ud, enum tm_question q, const struct tm_result *r)
{
	return 0;
}

/* One token's facts, read in a worker (the lock held). */
int
mgr_read_token(struct mgr *m, CK_SLOT_ID slot, struct mgr_token *t,
    struct tm_result *chk)
{
	struct tm_ui ui = { .ask_choice = no_choice };
	struct tm_session *s = NULL;
	int r;

	memset(t, 0, sizeof(*t));
	t->slot = slot;
	if ((r = p11_token_info(m->p11, slot, &t->ti)) != 0)
		return r;
	p11_str(t->ti.label, sizeof(t->ti.label), t->label);
	p11_str(t->ti.serialNumber, sizeof(t->ti.serialNumber), t->serial);
	if ((r = tm_new(m->p11, slot, &s)) != 0)
		return r;
	if (tm_certs(s, &t->certs, &t->ncerts, chk) != 0) {
		t->certs = NULL;
		t->ncerts = 0;
	}
	if (tm_check(s, m->prefs.warn_days, &ui, chk) != 0)
		chk->nfindings = 0;
	t->state = token_state(t, chk);
	tm_free(s);
	return 0;
}

struct listing {
	struct mgr_token tok[MGR_MAX_TOKENS];
	size_t n;
};

static void
list_work(struct mgr *m, void *arg)
{
	struct listing *l = arg;
	struct tm_result *chk = g_new0(struct tm_result, 1);
	CK_SLOT_ID *slots = NULL;
	size_t n = 0, i;

	if (p11_slot_list(m->p11, 1, &slots, &n) != 0)
		n = 0;
	for (i = 0; i < n && l->n < MGR_MAX_TOKENS; i++)
		if (mgr_read_token(m, slots[i], &l->tok[l->n], chk) == 0 &&
		    (l->tok[l->n].ti.flags & CKF_TOKEN_INITIALIZED))
			l->n++;
		else
			tm_certs_free(l->tok[l->n].certs, l->tok[l->n].ncerts);
	free(slots);
	g_free(chk);
}

/* A row of the Tokens list: "LABEL (SERIAL): STATE". */
static GtkWidget *
token_row(const struct mgr_token *t)
{
	char *text = g_strdup_printf("%s (%s): %s", t->label, t->serial,
	    mgr_state_text(t->state));
	GtkWidget *row = gtk_list_box_row_new();
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
	GtkWidget *name = gtk_label_new(t->label);
	char *sub = g_strdup_printf("%s · %s", t->serial,
	    mgr_state_text(t->state));
	GtkWidget *state = gtk_label_new(sub);

	gtk_widget_set_margin_top(box, 6);
	gtk_widget_set_margin_bottom(box, 6);
	gtk_widget_set_margin_start(box, 12);
	gtk_widget_set_margin_end(box, 12);
	gtk_label_set_xalign(GTK_LABEL(name), 0);
	gtk_label_set_xalign(GTK_LABEL(state), 0);
	gtk_label_set_wrap(GTK_LABEL(state), TRUE);
	gtk_label_set_wrap(GTK_LABEL(name), TRUE);
	gtk_label_set_max_width_chars(GTK_LABEL(state), 24);
	gtk_widget_add_css_class(name, "heading");
	gtk_widget_add_css_class(state, "dim-label");
	if (strcmp(t->state, "OK") != 0 && strcmp(t->state, "No certificate") != 0)
		gtk_widget_add_css_class(state, "error");
	gtk_box_append(GTK_BOX(box), name);
	gtk_box_append(GTK_BOX(box), state);
	gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
	a11y_name(row, text);
	g_free(text);
	g_free(sub);
	return row;
}

/* The listing replaces the window's tokens, keeping the selection. */
static void
list_done(struct mgr *m, void *arg)
{
	struct listing *l = arg;
	char keep[17];
	size_t i;
	int sel = -1;
	GtkWidget *child;

	snprintf(keep, sizeof(keep), "%s",
	    m->want_serial[0]		  ? m->want_serial
		: mgr_selected(m) != NULL ? mgr_selected(m)->serial
					  : "");
	m->want_serial[0] = '\0';
	for (i = 0; i < m->ntok; i++)
		tm_certs_free(m->tok[i].certs, m->tok[i].ncerts);
	memcpy(m->tok, l->tok, sizeof(l->tok));
	m->ntok = l->n;
	g_free(l);
	if (m->tokens == NULL)
		return;
	m->selected = -1;
	while ((child = gtk_widget_get_first_child(m->tokens)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(m->tokens), child);
	for (i = 0; i < m->ntok; i++) {
		gtk_list_box_append(GTK_LIST_BOX(m->tokens),
		    token_row(&m->tok[i]));
		if (strcmp(m->tok[i].serial, keep) == 0)
			sel = (int)i;
	}
	if (sel < 0 && m->ntok > 0)
		sel = 0;
	m->selected = sel;
	if (sel >= 0)
		gtk_list_box_select_row(GTK_LIST_BOX(m->tokens),
		    gtk_list_box_get_row_at_index(GTK_LIST_BOX(m->tokens), sel));
	pages_update(m);
}

/* The token states are words with the context "token state". */
const char *
mgr_state_text(const char *state)
{
	return g_dpgettext2(NULL, "token state", state);
}

void
mgr_refresh(struct mgr *m)
{
	mgr_work(m, list_work, list_done, g_new0(struct listing, 1));
}

static void
on_row_selected(GtkListBox *box, GtkListBoxRow *row, gpointer ud)
{
	struct mgr *m = ud;

	m->selected = row != NULL ? gtk_list_box_row_get_index(row) : -1;
	pages_update(m);
}

/* Closing the window leaves the monitor (held by the application). */
static gboolean
on_win_close(GtkWindow *w, gpointer ud)
{
	struct mgr *m = ud;

	m->win = NULL;
	m->tokens = m->stack = m->busy_box = NULL;
	m->spinner = m->busy_label = m->cancel = m->certs = m->side = NULL;
	return FALSE;
}

static GtkWidget *
build_busy(struct mgr *m)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);

	gtk_widget_set_margin_top(box, 6);
	gtk_widget_set_margin_bottom(box, 6);
	gtk_widget_set_margin_start(box, 12);
	gtk_widget_set_margin_end(box, 12);
	m->spinner = gtk_progress_bar_new();
	gtk_widget_set_valign(m->spinner, GTK_ALIGN_CENTER);
	gtk_widget_set_size_request(m->spinner, 120, -1);
	m->busy_label = gtk_label_new("");
	gtk_widget_set_hexpand(m->busy_label, TRUE);
	gtk_label_set_xalign(GTK_LABEL(m->busy_label), 0);
	m->cancel = gtk_button_new_with_label(_("Cancel"));
	a11y_name(m->cancel, _("Cancel"));
	gtk_box_append(GTK_BOX(box), m->spinner);
	gtk_box_append(GTK_BOX(box), m->busy_label);
	gtk_box_append(GTK_BOX(box), m->cancel);
	gtk_widget_set_visible(box, FALSE);
	m->busy_box = box;
	return box;
}

static void
on_refresh(GtkButton *b, gpointer ud)
{
	mgr_refresh(ud);
}

void
mgr_window_present(struct mgr *m)
{
	GtkWidget *w, *paned, *left, *scroll, *title, *vbox, *head, *refresh;

	if (m->win != NULL) {
		gtk_window_present(m->win);
		return;
	}
	w = gtk_application_window_new(m->app);
	m->win = GTK_WINDOW(w);
	gtk_window_set_title(m->win, _("kyso Token Manager"));
	gtk_window_set_icon_name(m->win, "vn.kyso.Manager");
	gtk_window_set_default_size(m->win, 1040, 640);
	g_signal_connect(w, "close-request", G_CALLBACK(on_win_close), m);

	head = gtk_header_bar_new();
	refresh = gtk_button_new_from_icon_name("view-refresh-symbolic");
	gtk_widget_set_tooltip_text(refresh, _("Refresh"));
	a11y_name(refresh, _("Refresh"));
	g_signal_connect(refresh, "clicked", G_CALLBACK(on_refresh), m);
	gtk_header_bar_pack_start(GTK_HEADER_BAR(head), refresh);
	gtk_window_set_titlebar(m->win, head);

	vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
	gtk_widget_set_vexpand(paned, TRUE);
	left = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_set_size_request(left, 220, -1);
	title = gtk_label_new(_("Tokens"));
	gtk_widget_add_css_class(title, "heading");
	gtk_label_set_xalign(GTK_LABEL(title), 0);
	gtk_widget_set_margin_start(title, 12);
	gtk_widget_set_margin_top(title, 12);
	gtk_box_append(GTK_BOX(left), title);
	m->tokens = gtk_list_box_new();
	a11y_name(m->tokens, _("Tokens"));
	gtk_widget_add_css_class(m->tokens, "navigation-sidebar");
	g_signal_connect(m->tokens, "row-selected", G_CALLBACK(on_row_selected),
	    m);
	mgr_tab_leaves(m, m->tokens);
	scroll = gtk_scrolled_window_new();
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), m->tokens);
	gtk_widget_set_vexpand(scroll, TRUE);
	gtk_box_append(GTK_BOX(left), scroll);
	gtk_paned_set_start_child(GTK_PANED(paned), left);
	gtk_paned_set_shrink_start_child(GTK_PANED(paned), FALSE);
	pages_build(m);
	gtk_paned_set_end_child(GTK_PANED(paned), m->stack_box);
	gtk_box_append(GTK_BOX(vbox), paned);
	gtk_box_append(GTK_BOX(vbox),
	    gtk_separator_new(GTK_ORIENTATION_HORIZONTAL));
	gtk_box_append(GTK_BOX(vbox), build_busy(m));
	gtk_window_set_child(m->win, vbox);
	gtk_window_present(m->win);
	mgr_refresh(m);
}
