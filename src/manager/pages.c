/* The selected token's pages (seed 000-002): hardware information,
 * certificates, change PIN, forgot PIN, register / renew / change
 * details, unblock with the SO PIN, and the preferences. Each page hands
 * what was typed to a libkysotm flow (flow.c) and says the outcome. */
#include <stdlib.h>
#include <string.h>

#include "manager.h"

/* The hardware information's fields, in the seed's order. */
static const char *const hw_fields[9] = {
	N_("Serial number"),
	N_("Label"),
	N_("Manufacturer"),
	N_("Model"),
	N_("Firmware version"),
	N_("Hardware version"),
	N_("Total memory"),
	N_("Free memory"),
	N_("PIN tries left"),
};

/* The token a page works on, or a message saying there is none. */
static const struct mgr_token *
need_token(struct mgr *m, const char *what)
{
	const struct mgr_token *t = mgr_selected(m);

	if (t == NULL)
		mgr_message(m, what,
		    _("No token is plugged in. Plug in your USB Token and try again."));
	return t;
}

/* A page: a heading, the token it is about, then its body. */
static GtkWidget *
page_new(struct mgr *m, const char *id, const char *title, GtkWidget **body)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *h = gtk_label_new(title);
	GtkWidget *scroll = gtk_scrolled_window_new();

	gtk_widget_set_margin_top(box, 18);
	gtk_widget_set_margin_bottom(box, 18);
	gtk_widget_set_margin_start(box, 24);
	gtk_widget_set_margin_end(box, 24);
	gtk_widget_add_css_class(h, "title-2");
	gtk_label_set_xalign(GTK_LABEL(h), 0);
	gtk_box_append(GTK_BOX(box), h);
	*body = box;
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), box);
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll),
	    GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
	gtk_stack_add_titled(GTK_STACK(m->stack), scroll, id, title);
	return box;
}

static GtkWidget *
grid_new(void)
{
	GtkWidget *g = gtk_grid_new();

	gtk_grid_set_row_spacing(GTK_GRID(g), 8);
	gtk_grid_set_column_spacing(GTK_GRID(g), 16);
	return g;
}

static GtkWidget *
note_new(const char *text)
{
	GtkWidget *l = gtk_label_new(text);

	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_max_width_chars(GTK_LABEL(l), 60);
	gtk_label_set_width_chars(GTK_LABEL(l), 20);
	return l;
}

/* A row of buttons at the end of a page. */
static GtkWidget *
button_row(GtkWidget *page)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);

	gtk_widget_set_halign(row, GTK_ALIGN_START);
	gtk_box_append(GTK_BOX(page), row);
	return row;
}

static GtkWidget *
page_button(GtkWidget *row, const char *label, GCallback cb, gpointer ud)
{
	GtkWidget *b = dlg_button(row, label);

	g_signal_connect(b, "clicked", cb, ud);
	return b;
}

/* ---- hardware information ---- */

static void
build_hw(struct mgr *m)
{
	GtkWidget *page, *grid;
	int i;

	page_new(m, "hw", _("Hardware information"), &page);
	grid = grid_new();
	gtk_box_append(GTK_BOX(page), grid);
	for (i = 0; i < 9; i++) {
		GtkWidget *k = gtk_label_new(_(hw_fields[i]));

		gtk_label_set_xalign(GTK_LABEL(k), 0);
		gtk_widget_add_css_class(k, "dim-label");
		m->hw_value[i] = gtk_label_new("");
		gtk_label_set_xalign(GTK_LABEL(m->hw_value[i]), 0);
		gtk_label_set_wrap(GTK_LABEL(m->hw_value[i]), TRUE);
		gtk_label_set_wrap_mode(GTK_LABEL(m->hw_value[i]),
		    PANGO_WRAP_WORD_CHAR);
		gtk_label_set_max_width_chars(GTK_LABEL(m->hw_value[i]), 40);
		gtk_widget_set_hexpand(m->hw_value[i], TRUE);
		gtk_label_set_selectable(GTK_LABEL(m->hw_value[i]), TRUE);
		gtk_grid_attach(GTK_GRID(grid), k, 0, i, 1, 1);
		gtk_grid_attach(GTK_GRID(grid), m->hw_value[i], 1, i, 1, 1);
	}
}

/* Memory as kyso-token info says it. */
static char *
mem_text(CK_ULONG v)
{
	if (v == CK_UNAVAILABLE_INFORMATION || v == CK_EFFECTIVELY_INFINITE)
		return g_strdup(_("not reported"));
	return g_strdup_printf(_("%lu bytes"), v);
}

/* PKCS#11 says only "final try", "locked" and "a wrong PIN was given". */
static char *
tries_text(const CK_TOKEN_INFO *ti)
{
	if (ti->flags & CKF_USER_PIN_LOCKED)
		return g_strdup(_("0 (the PIN is locked)"));
	if (ti->flags & CKF_USER_PIN_FINAL_TRY)
		return g_strdup(_("1 (the final try)"));
	if (ti->flags & CKF_USER_PIN_COUNT_LOW)
		return g_strdup(
		    _("fewer than all: a wrong PIN was entered recently"));
	return g_strdup(_("all: no wrong PIN since the last good one"));
}

static void
update_hw(struct mgr *m, const struct mgr_token *t)
{
	char *v[9] = { 0 };
	int i;

	if (t != NULL) {
		char model[17], manuf[33];

		p11_str(t->ti.model, sizeof(t->ti.model), model);
		p11_str(t->ti.manufacturerID, sizeof(t->ti.manufacturerID),
		    manuf);
		v[0] = g_strdup(t->serial);
		v[1] = g_strdup(t->label);
		v[2] = g_strdup(manuf);
		v[3] = g_strdup(model);
		v[4] = g_strdup_printf("%u.%u", t->ti.firmwareVersion.major,
		    t->ti.firmwareVersion.minor);
		v[5] = g_strdup_printf("%u.%u", t->ti.hardwareVersion.major,
		    t->ti.hardwareVersion.minor);
		v[6] = mem_text(t->ti.ulTotalPublicMemory);
		v[7] = mem_text(t->ti.ulFreePublicMemory);
		v[8] = tries_text(&t->ti);
	}
	for (i = 0; i < 9; i++) {
		char *name = g_strdup_printf("%s: %s", _(hw_fields[i]),
		    v[i] != NULL ? v[i] : "");

		gtk_label_set_text(GTK_LABEL(m->hw_value[i]),
		    v[i] != NULL ? v[i] : "—");
		a11y_name(m->hw_value[i], name);
		g_free(name);
		g_free(v[i]);
	}
}

/* ---- certificates ---- */

/* The certificate of the selected row. */
static const struct tm_cert *
cert_selected(struct mgr *m)
{
	const struct mgr_token *t = mgr_selected(m);
	GtkListBoxRow *row;
	int i;

	if (t == NULL || m->certs == NULL ||
	    (row = gtk_list_box_get_selected_row(GTK_LIST_BOX(m->certs))) ==
		NULL) {
		mgr_message(m, _("Certificates"),
		    _("Choose a certificate in the list first."));
		return NULL;
	}
	i = gtk_list_box_row_get_index(row);
	if (i < 0 || (size_t)i >= t->ncerts)
		return NULL;
	return &t->certs[i];
}

/* "valid until DATE (N days)", or expired. */
static char *
validity_text(const struct tm_cert *c)
{
	if (c->days_left < 0)
		return g_strdup_printf(_("expired on %s"), c->not_after);
	return g_strdup_printf(_("valid until %s (%d days)"), c->not_after,
	    c->days_left);
}

static void
on_cert_details(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const struct tm_cert *c = cert_selected(m);
	char *valid, *text;

	if (c == NULL)
		return;
	valid = validity_text(c);
	text = g_strdup_printf(_("Subject: %s\nIssuer: %s\nSerial: %s\n"
				 "Valid from: %s\nValidity: %s\n%s"),
	    c->subject_dn, c->issuer_dn, c->serial, c->not_before, valid,
	    c->is_ca ? _("A certificate authority's certificate.")
		: c->superseded
		? _("Superseded: a newer certificate for the same subject is on the token.")
		: "");
	mgr_message(m, c->subject_cn, g_strstrip(text));
	g_free(text);
	g_free(valid);
}

/* The certificate as PEM, 64 characters a line. */
static char *
cert_pem(const struct tm_cert *c)
{
	char *b64 = g_base64_encode(c->der, c->der_len);
	GString *s = g_string_new("-----BEGIN CERTIFICATE-----\n");
	size_t n = strlen(b64), i;

	for (i = 0; i < n; i += 64) {
		g_string_append_len(s, b64 + i,
		    n - i < 64 ? (gssize)(n - i) : 64);
		g_string_append_c(s, '\n');
	}
	g_string_append(s, "-----END CERTIFICATE-----\n");
	g_free(b64);
	return g_string_free(s, FALSE);
}

struct export
{
	struct mgr *m;
	char *pem;
};

static void
on_export_chosen(GtkNativeDialog *d, int response, gpointer ud)
{
	struct export *e = ud;
	GFile *file = NULL;
	GError *err = NULL;
	char *path = NULL, *msg;

	if (response == GTK_RESPONSE_ACCEPT &&
	    (file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(d))) != NULL &&
	    (path = g_file_get_path(file)) != NULL) {
		if (g_file_set_contents(path, e->pem, -1, &err)) {
			msg = g_strdup_printf(_("The certificate was saved to %s."),
			    path);
		} else {
			msg = g_strdup_printf(_("The certificate could not be saved: %s"),
			    err->message);
			g_error_free(err);
		}
		mgr_message(e->m, _("Export…"), msg);
		g_free(msg);
	}
	g_free(path);
	if (file != NULL)
		g_object_unref(file);
	g_free(e->pem);
	g_free(e);
	g_object_unref(d);
}

static void
on_cert_export(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const struct tm_cert *c = cert_selected(m);
	GtkFileChooserNative *d;
	struct export *e;
	char *name;

	if (c == NULL)
		return;
	e = g_new0(struct export, 1);
	e->m = m;
	e->pem = cert_pem(c);
	d = gtk_file_chooser_native_new(_("Export…"), m->win,
	    GTK_FILE_CHOOSER_ACTION_SAVE, _("Save"), _("Cancel"));
	name = g_strdup_printf("%s.pem", c->serial);
	gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), name);
	g_free(name);
	g_signal_connect(d, "response", G_CALLBACK(on_export_chosen), e);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

static int
run_delete(struct tm_session *t, const struct tm_ui *ui, struct tm_result *res,
    void *arg)
{
	return tm_cert_delete(t, arg, ui, res);
}

static void
deleted(struct mgr *m, const struct tm_result *r, void *arg)
{
	if (r->err == 0)
		mgr_message(m, _("Delete…"),
		    _("The certificate and its key pair were deleted from the token."));
	mgr_refresh(m);
}

struct del {
	struct mgr *m;
	GtkWidget *w;
	char serial[80];
	CK_SLOT_ID slot;
};

static void
on_delete_confirmed(GtkButton *b, gpointer ud)
{
	struct del *d = ud;
	struct flow *f = flow_new(d->m, d->slot, _("Delete…"), run_delete,
	    deleted, g_strdup(d->serial), g_free);

	gtk_window_destroy(GTK_WINDOW(d->w));
	flow_start(f, 0);
}

static void
on_delete_cancel(GtkButton *b, gpointer ud)
{
	struct del *d = ud;

	gtk_window_destroy(GTK_WINDOW(d->w));
}

static void
on_cert_delete(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const struct tm_cert *c = cert_selected(m);
	GtkWidget *box, *buttons, *bt;
	struct del *d;
	char *text;

	if (c == NULL)
		return;
	d = g_new0(struct del, 1);
	d->m = m;
	d->slot = mgr_selected(m)->slot;
	snprintf(d->serial, sizeof(d->serial), "%s", c->serial);
	d->w = dlg_new(m, _("Delete…"), &box, &buttons);
	g_object_set_data_full(G_OBJECT(d->w), "del", d, g_free);
	text = g_strdup_printf(_("Delete the certificate of %s (serial %s) and its key pair from the token? Documents already signed with it stay valid; nothing new can be signed with it."),
	    c->subject_cn, c->serial);
	gtk_box_append(GTK_BOX(box), note_new(text));
	g_free(text);
	bt = dlg_button(buttons, _("Cancel"));
	g_signal_connect(bt, "clicked", G_CALLBACK(on_delete_cancel), d);
	bt = dlg_button(buttons, _("Delete"));
	gtk_widget_add_css_class(bt, "destructive-action");
	g_signal_connect(bt, "clicked", G_CALLBACK(on_delete_confirmed), d);
	gtk_window_present(GTK_WINDOW(d->w));
}

static void
build_certs(struct mgr *m)
{
	GtkWidget *page, *row, *frame;

	page_new(m, "certs", _("Certificates"), &page);
	m->certs = gtk_list_box_new();
	a11y_name(m->certs, _("Certificates"));
	gtk_widget_add_css_class(m->certs, "boxed-list");
	frame = gtk_frame_new(NULL);
	gtk_frame_set_child(GTK_FRAME(frame), m->certs);
	gtk_box_append(GTK_BOX(page), frame);
	row = button_row(page);
	page_button(row, _("Details"), G_CALLBACK(on_cert_details), m);
	page_button(row, _("Export…"), G_CALLBACK(on_cert_export), m);
	page_button(row, _("Delete…"), G_CALLBACK(on_cert_delete), m);
}

static void
update_certs(struct mgr *m, const struct mgr_token *t)
{
	GtkWidget *child;
	size_t i;

	while ((child = gtk_widget_get_first_child(m->certs)) != NULL)
		gtk_list_box_remove(GTK_LIST_BOX(m->certs), child);
	if (t == NULL || t->ncerts == 0) {
		GtkWidget *l = gtk_label_new(_("No certificate on this token."));

		gtk_widget_set_margin_top(l, 12);
		gtk_widget_set_margin_bottom(l, 12);
		gtk_list_box_set_placeholder(GTK_LIST_BOX(m->certs), l);
		return;
	}
	for (i = 0; i < t->ncerts; i++) {
		const struct tm_cert *c = &t->certs[i];
		char *valid = validity_text(c);
		char *text = g_strdup_printf(_("%s — serial %s — %s%s"),
		    c->subject_cn, c->serial, valid,
		    c->is_ca		? _(" — CA")
			: c->superseded ? _(" — superseded")
					: "");
		char *sub = g_strdup_printf(_("serial %s — %s%s"), c->serial,
		    valid,
		    c->is_ca		? _(" — CA")
			: c->superseded ? _(" — superseded")
					: "");
		GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
		GtkWidget *l = gtk_label_new(c->subject_cn);
		GtkWidget *l2 = gtk_label_new(sub);
		GtkWidget *row = gtk_list_box_row_new();

		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_label_set_xalign(GTK_LABEL(l2), 0);
		gtk_label_set_wrap(GTK_LABEL(l2), TRUE);
		gtk_label_set_wrap_mode(GTK_LABEL(l2), PANGO_WRAP_WORD_CHAR);
		gtk_widget_add_css_class(l, "heading");
		gtk_widget_add_css_class(l2, "dim-label");
		if (c->days_left < 0 && !c->is_ca)
			gtk_widget_add_css_class(l2, "error");
		gtk_widget_set_margin_top(box, 8);
		gtk_widget_set_margin_bottom(box, 8);
		gtk_widget_set_margin_start(box, 12);
		gtk_widget_set_margin_end(box, 12);
		gtk_box_append(GTK_BOX(box), l);
		gtk_box_append(GTK_BOX(box), l2);
		gtk_list_box_row_set_child(GTK_LIST_BOX_ROW(row), box);
		g_free(sub);
		a11y_name(row, text);
		gtk_list_box_append(GTK_LIST_BOX(m->certs), row);
		g_free(text);
		g_free(valid);
	}
}

/* ---- change PIN ---- */

static void
on_change_pin(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const struct mgr_token *t = need_token(m, _("Change PIN"));
	GtkWidget *e[3] = { m->cp_old, m->cp_new, m->cp_again };

	if (t != NULL)
		mgr_start_change_pin(m, t->slot, e);
}

static void
on_change_pin_clear(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;

	gtk_editable_set_text(GTK_EDITABLE(m->cp_old), "");
	gtk_editable_set_text(GTK_EDITABLE(m->cp_new), "");
	gtk_editable_set_text(GTK_EDITABLE(m->cp_again), "");
}

static void
build_change_pin(struct mgr *m)
{
	GtkWidget *page, *grid, *row, *b;

	page_new(m, "change-pin", _("Change PIN"), &page);
	grid = grid_new();
	gtk_box_append(GTK_BOX(page), grid);
	m->cp_old = form_entry(grid, 0, _("Old PIN"), 1);
	m->cp_new = form_entry(grid, 1, _("New PIN"), 1);
	m->cp_again = form_entry(grid, 2, _("Confirm new PIN"), 1);
	m->cp_policy = note_new(mgr_pin_policy());
	gtk_widget_add_css_class(m->cp_policy, "dim-label");
	gtk_box_append(GTK_BOX(page), m->cp_policy);
	row = button_row(page);
	b = page_button(row, _("Accept"), G_CALLBACK(on_change_pin), m);
	gtk_widget_add_css_class(b, "suggested-action");
	page_button(row, _("Cancel"), G_CALLBACK(on_change_pin_clear), m);
}

/* ---- forgot PIN, unblock with the SO PIN ---- */

/* After a reset the factory PIN is set: the seed's forced change. */
static void
pin_reset(struct mgr *m, const struct tm_result *r, void *arg)
{
	CK_SLOT_ID *slot = arg;

	if (r->err != 0)
		return;
	mgr_message(m, _("Forgot PIN"),
	    _("The PIN was reset to the factory PIN (12345678). Change it now, before you sign."));
	mgr_change_pin_dialog(m, *slot, 1);
	mgr_refresh(m);
}

struct forgot {
	CK_SLOT_ID slot; /* first: pin_reset reads it */
	struct tm_who who;
	char *id, *email;
};

static void
forgot_free(void *p)
{
	struct forgot *fg = p;

	g_free(fg->id);
	g_free(fg->email);
	g_free(fg);
}

static int
run_forgot(struct tm_session *t, const struct tm_ui *ui, struct tm_result *res,
    void *arg)
{
	struct forgot *fg = arg;

	return tm_forgot_pin(t, &fg->who, ui, res);
}

static void
on_forgot(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const struct mgr_token *t = need_token(m, _("Forgot PIN"));
	struct forgot *fg;

	if (t == NULL)
		return;
	fg = g_new0(struct forgot, 1);
	fg->slot = t->slot;
	fg->id = g_strdup(gtk_editable_get_text(GTK_EDITABLE(m->fp_id)));
	fg->email = g_strdup(gtk_editable_get_text(GTK_EDITABLE(m->fp_email)));
	fg->who.organization = gtk_toggle_button_get_active(
	    GTK_TOGGLE_BUTTON(m->fp_org));
	fg->who.id = fg->id;
	fg->who.email = fg->email;
	if (*fg->id == '\0' || *fg->email == '\0') {
		mgr_message(m, _("Forgot PIN"),
		    fg->who.organization
			? _("Give the tax code and the contact e-mail registered with the CA.")
			: _("Give the ID card number and the contact e-mail registered with the CA."));
		forgot_free(fg);
		return;
	}
	flow_start(flow_new(m, t->slot, _("Forgot PIN"), run_forgot, pin_reset,
		       fg, forgot_free),
	    1);
}

/* The ID entry's label follows the kind of subscriber. */
static void
on_org_toggled(GtkToggleButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const char *l = gtk_toggle_button_get_active(b) ? _("Tax code")
							: _("ID card number");

	gtk_label_set_text(GTK_LABEL(m->fp_id_label), l);
}

static void
build_forgot(struct mgr *m)
{
	GtkWidget *page, *grid, *row, *pers, *b;

	page_new(m, "forgot-pin", _("Forgot PIN"), &page);
	gtk_box_append(GTK_BOX(page),
	    note_new(_(
		"Request a PIN reset from your CA: a one-time code (OTP) is sent to the e-mail registered with the CA, then the PIN is reset to the factory PIN and you choose a new one.")));
	/* Toggle buttons, not check buttons: GTK 4.8 gives check buttons no
	 * action an assistive tool can press. */
	row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	gtk_widget_add_css_class(row, "linked");
	gtk_widget_set_halign(row, GTK_ALIGN_START);
	pers = gtk_toggle_button_new_with_label(_("Personal"));
	a11y_name(pers, _("Personal"));
	m->fp_org = gtk_toggle_button_new_with_label(_("Organization"));
	a11y_name(m->fp_org, _("Organization"));
	gtk_toggle_button_set_group(GTK_TOGGLE_BUTTON(m->fp_org),
	    GTK_TOGGLE_BUTTON(pers));
	gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(pers), TRUE);
	gtk_box_append(GTK_BOX(row), pers);
	gtk_box_append(GTK_BOX(row), m->fp_org);
	gtk_box_append(GTK_BOX(page), row);
	grid = grid_new();
	gtk_box_append(GTK_BOX(page), grid);
	m->fp_id = form_entry(grid, 0, _("ID card number"), 0);
	m->fp_id_label = gtk_grid_get_child_at(GTK_GRID(grid), 0, 0);
	m->fp_email = form_entry(grid, 1, _("Contact e-mail"), 0);
	g_signal_connect(m->fp_org, "toggled", G_CALLBACK(on_org_toggled), m);
	row = button_row(page);
	b = page_button(row, _("Send request"), G_CALLBACK(on_forgot), m);
	gtk_widget_add_css_class(b, "suggested-action");
}

static int
run_unblock(struct tm_session *t, const struct tm_ui *ui, struct tm_result *res,
    void *arg)
{
	return tm_unblock(t, ui, res);
}

static void
on_unblock(GtkButton *b, gpointer ud)
{
	struct mgr *m = ud;
	const struct mgr_token *t = need_token(m, _("Unblock with SO PIN"));
	CK_SLOT_ID *slot;
	struct flow *f;

	if (t == NULL)
		return;
	slot = g_new(CK_SLOT_ID, 1);
	*slot = t->slot;
	f = flow_new(m, t->slot, _("Unblock with SO PIN"), run_unblock,
	    pin_reset, slot, g_free);
	flow_give(f, TM_SECRET_SO_PIN,
	    gtk_editable_get_text(GTK_EDITABLE(m->so_pin)));
	gtk_editable_set_text(GTK_EDITABLE(m->so_pin), "");
	flow_start(f, 0);
}

static void
build_unblock(struct mgr *m)
{
	GtkWidget *page, *grid, *row, *b;

	page_new(m, "unblock", _("Unblock with SO PIN"), &page);
	gtk_box_append(GTK_BOX(page),
	    note_new(_(
		"If you hold the token's security officer PIN (SO PIN), you can unblock a locked PIN here: it is reset to the factory PIN and you choose a new one.")));
	grid = grid_new();
	gtk_box_append(GTK_BOX(page), grid);
	m->so_pin = form_entry(grid, 0, _("SO PIN"), 1);
	row = button_row(page);
	b = page_button(row, _("Unblock"), G_CALLBACK(on_unblock), m);
	gtk_widget_add_css_class(b, "suggested-action");
}

/* ---- register, renew, change details ---- */

static const char *
enroll_title(enum tm_kind k)
{
	return k == TM_KIND_RENEW ? _("Renew certificate")
	    : k == TM_KIND_UPDATE ? _("Change details")
				  : _("Register certificate");
}

struct enroll {
	struct mgr *m;
	enum tm_kind kind;
};

static int
run_enroll(struct tm_session *t, const struct tm_ui *ui, struct tm_result *res,
    void *arg)
{
	const struct enroll *e = arg;

	return tm_enroll(t, e->kind, ui, res);
}

static void
enrolled(struct mgr *m, const struct tm_result *r, void *arg)
{
	char *text;

	if (r->err != 0) {
		mgr_refresh(m);
		return;
	}
	text = g_strdup_printf(_("The certificate was installed on the token.\nSubject: %s\nSerial: %s\nValid until: %s"),
	    r->subject_dn, r->cert_serial, r->valid_until);
	mgr_message(m, enroll_title(((const struct enroll *)arg)->kind), text);
	g_free(text);
	mgr_refresh(m);
}

static void
on_enroll(GtkButton *b, gpointer ud)
{
	struct enroll *e = ud;
	struct mgr *m = e->m;
	const struct mgr_token *t = need_token(m, enroll_title(e->kind));
	struct enroll *arg;
	struct flow *f;
	GtkWidget *code = m->code[e->kind];

	if (t == NULL)
		return;
	arg = g_new(struct enroll, 1);
	*arg = *e;
	f = flow_new(m, t->slot, enroll_title(e->kind), run_enroll, enrolled,
	    arg, g_free);
	flow_give(f, TM_SECRET_CODE, gtk_editable_get_text(GTK_EDITABLE(code)));
	gtk_editable_set_text(GTK_EDITABLE(code), "");
	flow_start(f, 1);
}

static void
build_enroll(struct mgr *m, enum tm_kind kind, const char *id, const char *note)
{
	GtkWidget *page, *grid, *row, *b;
	struct enroll *e = g_new(struct enroll, 1);

	e->m = m;
	e->kind = kind;
	page_new(m, id, enroll_title(kind), &page);
	g_object_set_data_full(G_OBJECT(page), "enroll", e, g_free);
	gtk_box_append(GTK_BOX(page), note_new(note));
	grid = grid_new();
	gtk_box_append(GTK_BOX(page), grid);
	m->code[kind] = form_entry(grid, 0, _("Activation code"), 0);
	row = button_row(page);
	b = page_button(row, _("Continue"), G_CALLBACK(on_enroll), e);
	gtk_widget_add_css_class(b, "suggested-action");
}

/* ---- preferences ---- */

static void
save_prefs(struct mgr *m)
{
	if (prefs_save(&m->prefs) != 0)
		mgr_message(m, _("Preferences"),
		    _("The preferences could not be saved."));
}

static void
on_language(GObject *dd, GParamSpec *ps, gpointer ud)
{
	struct mgr *m = ud;
	static const char *const words[] = { "system", "vi", "en" };
	guint i = gtk_drop_down_get_selected(GTK_DROP_DOWN(dd));

	if (i >= G_N_ELEMENTS(words) || strcmp(m->prefs.language, words[i]) == 0)
		return;
	snprintf(m->prefs.language, sizeof(m->prefs.language), "%s", words[i]);
	save_prefs(m);
}

static void
on_monitor(GObject *sw, GParamSpec *ps, gpointer ud)
{
	struct mgr *m = ud;
	int on = gtk_switch_get_active(GTK_SWITCH(sw));

	if (on == m->prefs.monitor)
		return;
	m->prefs.monitor = on;
	save_prefs(m);
	if (on)
		monitor_start(m);
}

static void
build_prefs(struct mgr *m)
{
	GtkWidget *page, *grid, *l;
	const char *langs[] = { _("System language"), "Tiếng Việt", "English",
		NULL };

	page_new(m, "prefs", _("Preferences"), &page);
	grid = grid_new();
	gtk_box_append(GTK_BOX(page), grid);
	l = gtk_label_new(_("Choose language"));
	gtk_label_set_xalign(GTK_LABEL(l), 1);
	m->lang = gtk_drop_down_new_from_strings(langs);
	a11y_name(m->lang, _("Choose language"));
	gtk_drop_down_set_selected(GTK_DROP_DOWN(m->lang),
	    strcmp(m->prefs.language, "vi") == 0       ? 1
		: strcmp(m->prefs.language, "en") == 0 ? 2
						       : 0);
	g_signal_connect(m->lang, "notify::selected", G_CALLBACK(on_language), m);
	gtk_grid_attach(GTK_GRID(grid), l, 0, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), m->lang, 1, 0, 1, 1);
	l = note_new(
	    _("The language changes at the next start of the Token Manager."));
	gtk_widget_add_css_class(l, "dim-label");
	gtk_grid_attach(GTK_GRID(grid), l, 1, 1, 1, 1);
	l = gtk_label_new(_("Check tokens when plugged in"));
	gtk_label_set_xalign(GTK_LABEL(l), 1);
	m->monitor_switch = gtk_switch_new();
	a11y_name(m->monitor_switch, _("Check tokens when plugged in"));
	gtk_widget_set_halign(m->monitor_switch, GTK_ALIGN_START);
	gtk_switch_set_active(GTK_SWITCH(m->monitor_switch), m->prefs.monitor);
	g_signal_connect(m->monitor_switch, "notify::active",
	    G_CALLBACK(on_monitor), m);
	gtk_grid_attach(GTK_GRID(grid), l, 0, 2, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), m->monitor_switch, 1, 2, 1, 1);
	l = note_new(_(
	    "The monitor runs in the background from login: it asks you to change the factory PIN and warns before a certificate expires."));
	gtk_widget_add_css_class(l, "dim-label");
	gtk_grid_attach(GTK_GRID(grid), l, 1, 3, 1, 1);
}

/* Only the page showing is in the accessibility tree: GTK 4.8 keeps the
 * others there, and their buttons would answer to the same names. */
static void
on_page_changed(GObject *stack, GParamSpec *ps, gpointer ud)
{
	GtkWidget *shown = gtk_stack_get_visible_child(GTK_STACK(stack));
	GtkWidget *c;

	for (c = gtk_widget_get_first_child(GTK_WIDGET(stack)); c != NULL;
	     c = gtk_widget_get_next_sibling(c))
		gtk_accessible_update_state(GTK_ACCESSIBLE(c),
		    GTK_ACCESSIBLE_STATE_HIDDEN, c != shown, -1);
}

/* Tab in a list (the tokens, the pages) leaves it for what comes next
 * instead of walking its rows: GTK's list box moves row by row on Tab,
 * and as each row is selected on focus, Tab would turn every page in
 * turn and end on the last. The arrows still move within the list. */
static gboolean
on_list_key(GtkEventControllerKey *k, guint keyval, guint keycode,
    GdkModifierType state, gpointer ud)
{
	struct mgr *m = ud;
	GtkWidget *list = gtk_event_controller_get_widget(
	    GTK_EVENT_CONTROLLER(k));
	int back = keyval == GDK_KEY_ISO_Left_Tab ||
	    (keyval == GDK_KEY_Tab && (state & GDK_SHIFT_MASK));

	if (keyval != GDK_KEY_Tab && keyval != GDK_KEY_ISO_Left_Tab)
		return FALSE;
	if (list == m->side)
		return back
		    ? gtk_widget_child_focus(m->tokens, GTK_DIR_TAB_FORWARD)
		    : gtk_widget_child_focus(gtk_stack_get_visible_child(
						 GTK_STACK(m->stack)),
			  GTK_DIR_TAB_FORWARD);
	return back ? FALSE
		    : gtk_widget_child_focus(m->side, GTK_DIR_TAB_FORWARD);
}

/* A list's Tab handled by on_list_key, before the list box sees it. */
void
mgr_tab_leaves(struct mgr *m, GtkWidget *list)
{
	GtkEventController *k = gtk_event_controller_key_new();

	gtk_event_controller_set_propagation_phase(k, GTK_PHASE_CAPTURE);
	g_signal_connect(k, "key-pressed", G_CALLBACK(on_list_key), m);
	gtk_widget_add_controller(list, k);
}

void
pages_build(struct mgr *m)
{
	GtkWidget *side, *right;

	m->stack_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	m->stack = gtk_stack_new();
	gtk_widget_set_hexpand(m->stack, TRUE);
	gtk_widget_set_vexpand(m->stack, TRUE);
	side = gtk_stack_sidebar_new();
	gtk_stack_sidebar_set_stack(GTK_STACK_SIDEBAR(side), GTK_STACK(m->stack));
	gtk_widget_set_size_request(side, 200, -1);
	m->side = side;
	mgr_tab_leaves(m, side);
	right = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	m->token_title = gtk_label_new("");
	gtk_label_set_xalign(GTK_LABEL(m->token_title), 0);
	gtk_label_set_wrap(GTK_LABEL(m->token_title), TRUE);
	gtk_widget_set_margin_end(m->token_title, 24);
	gtk_widget_set_margin_top(m->token_title, 12);
	gtk_widget_set_margin_start(m->token_title, 24);
	gtk_widget_add_css_class(m->token_title, "dim-label");
	gtk_box_append(GTK_BOX(right), m->token_title);
	gtk_box_append(GTK_BOX(right), m->stack);
	gtk_box_append(GTK_BOX(m->stack_box), side);
	gtk_box_append(GTK_BOX(m->stack_box),
	    gtk_separator_new(GTK_ORIENTATION_VERTICAL));
	gtk_box_append(GTK_BOX(m->stack_box), right);
	build_hw(m);
	build_certs(m);
	build_change_pin(m);
	build_forgot(m);
	build_enroll(m, TM_KIND_NEW, "register",
	    _("Enter the activation code the CA sent you by e-mail. The details registered at the CA are shown for you to check before the key pair is made on the token."));
	build_enroll(m, TM_KIND_RENEW, "renew",
	    _("Renewal (the details stay the same): enter the activation code for the renewal. A new key pair is made on the token; the old certificate stays until you delete it."));
	build_enroll(m, TM_KIND_UPDATE, "update",
	    _("Change of details: enter the activation code the CA sent after registering the new details."));
	build_unblock(m);
	build_prefs(m);
	g_signal_connect(m->stack, "notify::visible-child",
	    G_CALLBACK(on_page_changed), m);
	on_page_changed(G_OBJECT(m->stack), NULL, m);
}

void
pages_update(struct mgr *m)
{
	const struct mgr_token *t = mgr_selected(m);
	char *title;

	if (m->stack == NULL)
		return;
	title = t != NULL
	    ? g_strdup_printf(_("%s (serial %s): %s"), t->label, t->serial,
		  mgr_state_text(t->state))
	    : g_strdup(_("No token is plugged in. Plug in your USB Token."));
	gtk_label_set_text(GTK_LABEL(m->token_title), title);
	g_free(title);
	update_hw(m, t);
	update_certs(m, t);
}
