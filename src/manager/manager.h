/* kyso-manager: the Token Manager's GTK face. libkysotm runs the flows in
 * worker threads (flow.c); this header is what the window, its pages,
 * the monitor and the preferences share. */
#ifndef KYSO_MANAGER_H
#define KYSO_MANAGER_H

#include <gtk/gtk.h>

#include "common/i18n.h"
#include "p11/p11.h"
#include "tm/tm.h"

/* A word marked with its context for translators: the token state "OK"
 * is not the button "OK". Translated by mgr_state_text. */
#define NC_(ctx, s) (s)

#define MGR_MAX_TOKENS 16

/* A token as the window shows it, read by a worker (window.c). */
struct mgr_token {
	CK_SLOT_ID slot;
	CK_TOKEN_INFO ti;
	char label[33], serial[17];
	const char *state; /* "OK", "Factory PIN"... (English, untranslated) */
	struct tm_cert *certs;
	size_t ncerts;
};

/* The preferences (manager.conf) and kyso.conf's part. */
struct mgr_prefs {
	char language[16]; /* "vi", "en", "system" */
	int monitor;	   /* 1 on */
	long warn_days;
	char *ra_url, *ra_ca;
};

struct mgr {
	GtkApplication *app;
	struct p11 *p11;
	char *module;	   /* --module, else NULL */
	GMutex token_lock; /* one conversation with the module at a time */
	struct mgr_prefs prefs;
	int monitoring;

	GtkWindow *win;
	GtkWidget *tokens; /* GtkListBox "Tokens" */
	GtkWidget *stack, *stack_box, *token_title;
	GtkWidget *busy_box, *spinner, *busy_label, *cancel;
	GtkWidget *side; /* the pages' sidebar */
	guint pulse;	 /* the busy bar's timer */
	struct flow *running;
	struct mgr_token tok[MGR_MAX_TOKENS];
	size_t ntok;
	int selected;	      /* index into tok, -1 none */
	char want_serial[17]; /* select this token after the next refresh */

	/* pages.c's widgets */
	GtkWidget *hw_value[9];
	GtkWidget *certs; /* GtkListBox "Certificates" */
	GtkWidget *cp_old, *cp_new, *cp_again, *cp_policy;
	GtkWidget *fp_org, *fp_id_label, *fp_id, *fp_email;
	GtkWidget *code[3];
	GtkWidget *so_pin;
	GtkWidget *lang, *monitor_switch;
	/* monitor.c: the tokens warned about since they were plugged in */
	struct {
		CK_SLOT_ID slot;
		char serial[17];
	} warned[MGR_MAX_TOKENS];
	size_t nwarned;
};

/* ---- flow.c: a libkysotm flow in a worker thread ---- */
typedef int (*flow_fn)(struct tm_session *t, const struct tm_ui *ui,
    struct tm_result *res, void *arg);
/* Called on the main loop when the flow has ended (res->err 0: done). */
typedef void (
    *flow_done_fn)(struct mgr *m, const struct tm_result *res, void *arg);

struct flow;
/* A flow on the selected token's slot; secrets the page already holds
 * are given with flow_give (each once). */
struct flow *flow_new(struct mgr *m, CK_SLOT_ID slot, const char *what,
    flow_fn fn, flow_done_fn done, void *arg, GDestroyNotify free_arg);
/* Hands a secret typed on a page; s is copied, the caller clears its
 * entry. */
void flow_give(struct flow *f, enum tm_secret what, const char *s);
/* Starts it (the flow then owns itself); with needs_ra the RA server is
 * set first. */
void flow_start(struct flow *f, int needs_ra);
/* Runs fn(m, arg) in a worker holding the token lock, then done on the
 * main loop: token work that is no flow (listing, checks). */
void mgr_work(struct mgr *m, void (*fn)(struct mgr *m, void *arg),
    void (*done)(struct mgr *m, void *arg), void *arg);

/* ---- words.c: what a flow's result means, in kyso-token's words ---- */
char *words_fail(const struct mgr *m, const struct tm_result *r,
    const char *verb);
const char *words_step(enum tm_step step);

/* ---- window.c ---- */
void mgr_window_present(struct mgr *m);
void mgr_refresh(struct mgr *m);
const struct mgr_token *mgr_selected(const struct mgr *m);
void mgr_show_page(struct mgr *m, const char *name);
/* A modal dialog with text and an OK button. */
void mgr_message(struct mgr *m, const char *title, const char *text);
/* A modal dialog window with a title and a vertical box to fill; buttons
 * go into the returned button row (dlg_button). */
GtkWidget *dlg_new(struct mgr *m, const char *title, GtkWidget **box,
    GtkWidget **buttons);
GtkWidget *dlg_button(GtkWidget *buttons, const char *label);
/* A label and an entry (password when secret) in a grid row, the entry
 * named by the label. */
GtkWidget *form_entry(GtkWidget *grid, int row, const char *label, int secret);
/* The change-PIN dialog (the monitor's forced change when factory). */
void mgr_change_pin_dialog(struct mgr *m, CK_SLOT_ID slot, int factory);
/* Starts change-PIN with the three entries' texts (old, new, again),
 * clearing them. */
void mgr_start_change_pin(struct mgr *m, CK_SLOT_ID slot, GtkWidget *const e[3]);
/* Old PIN, New PIN, Confirm new PIN and the policy line appended to
 * box, after note (may be NULL); the entries in e. */
void mgr_pin_form(GtkWidget *box, const char *note, GtkWidget *e[3]);
/* The PIN policy line shown under new-PIN entries. */
const char *mgr_pin_policy(void);
/* A token state (struct mgr_token's state) in the reader's language. */
const char *mgr_state_text(const char *state);
/* Tab leaves list (the tokens, the pages) for what follows it. */
void mgr_tab_leaves(struct mgr *m, GtkWidget *list);
/* One token's facts and plug-in check, in a worker holding the lock. */
int mgr_read_token(struct mgr *m, CK_SLOT_ID slot, struct mgr_token *t,
    struct tm_result *chk);
/* The end date of the certificate a check's finding is about ("?" when
 * it is not among the token's certificates). */
const char *mgr_finding_date(const struct mgr_token *t,
    const struct tm_finding *f);
/* Sets a widget's accessible name. */
void a11y_name(GtkWidget *w, const char *name);

/* ---- pages.c ---- */
void pages_build(struct mgr *m);
void pages_update(struct mgr *m);

/* ---- monitor.c ---- */
void monitor_start(struct mgr *m);

/* ---- prefs.c ---- */
void prefs_load(struct mgr_prefs *p);
int prefs_save(const struct mgr_prefs *p) KYSO_WUR;
void prefs_done(struct mgr_prefs *p);

#endif
