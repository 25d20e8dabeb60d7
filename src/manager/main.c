/* kyso-manager: the Token Manager's window and plug-in monitor, one
 * instance per session (GtkApplication vn.kyso.Manager). A second launch
 * hands its command line to the first: a plain launch presents the
 * window, --monitor starts only the monitor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "manager.h"

static struct mgr mgr;

/* The module: --module, else kyso.conf's module, else p11_open's own
 * choice ($KYSO_MODULE, else ours). */
static void
open_module(struct mgr *m)
{
	struct config *cfg = NULL;
	const char *path = m->module;
	int r;

	if (m->p11 != NULL)
		return;
	if (path == NULL && config_load_home(&cfg) == 0)
		path = config_get(cfg, "module");
	if ((r = p11_open(path, &m->p11)) != 0) {
		char *text =
		    g_strdup_printf(_("Cannot load the token driver (PKCS#11 module) %s: %s.\n"),
			path != NULL ? path : "", kyso_strerror(r));

		fputs(text, stderr);
		m->p11 = NULL;
		g_free(text);
	}
	config_free(cfg);
}

/* app.renew::SERIAL and app.forgot-pin::SERIAL, the notifications'
 * buttons: the window on that token's page. */
static void
open_page(struct mgr *m, GVariant *param, const char *page)
{
	if (param != NULL)
		snprintf(m->want_serial, sizeof(m->want_serial), "%s",
		    g_variant_get_string(param, NULL));
	mgr_window_present(m);
	mgr_show_page(m, page);
	mgr_refresh(m);
}

static void
on_renew(GSimpleAction *a, GVariant *param, gpointer ud)
{
	open_page(ud, param, "renew");
}

static void
on_forgot(GSimpleAction *a, GVariant *param, gpointer ud)
{
	open_page(ud, param, "forgot-pin");
}

/* app.show-page::PAGE: a page of the window by its id (hw, certs,
 * change-pin, forgot-pin, register, renew, update, unblock, prefs). */
static void
on_show_page(GSimpleAction *a, GVariant *param, gpointer ud)
{
	struct mgr *m = ud;

	mgr_window_present(m);
	mgr_show_page(m, g_variant_get_string(param, NULL));
}

static void
on_startup(GApplication *app, gpointer ud)
{
	struct mgr *m = ud;
	static const GActionEntry actions[] = {
		{ "renew", on_renew, "s", NULL, NULL, { 0 } },
		{ "forgot-pin", on_forgot, "s", NULL, NULL, { 0 } },
		{ "show-page", on_show_page, "s", NULL, NULL, { 0 } },
	};

	g_action_map_add_action_entries(G_ACTION_MAP(app), actions,
	    G_N_ELEMENTS(actions), m);
}

/* A notification's action may start the application without a
 * command line. */
static void
on_activate(GApplication *app, gpointer ud)
{
	struct mgr *m = ud;

	open_module(m);
	mgr_window_present(m);
	monitor_start(m);
}

/* In the first instance, for every launch. */
static int
on_command_line(GApplication *app, GApplicationCommandLine *cl, gpointer ud)
{
	struct mgr *m = ud;
	GVariantDict *o = g_application_command_line_get_options_dict(cl);
	const char *module = NULL;

	if (m->module == NULL && g_variant_dict_lookup(o, "module", "&s", &module))
		m->module = g_strdup(module);
	open_module(m);
	if (g_variant_dict_contains(o, "monitor")) {
		if (!m->prefs.monitor)
			return 0;
		if (m->p11 == NULL) {
			g_application_command_line_printerr(cl, "%s\n",
			    _("The monitor cannot run without the token driver."));
			return 1;
		}
		monitor_start(m);
		return 0;
	}
	mgr_window_present(m);
	if (m->p11 == NULL)
		mgr_message(m, _("kyso Token Manager"),
		    _("Cannot load the token driver (PKCS#11 module). Check 'module' in kyso.conf or the --module option."));
	monitor_start(m);
	return 0;
}

/* --version is answered here, without a session bus. */
static int
on_local_options(GApplication *app, GVariantDict *o, gpointer ud)
{
	if (g_variant_dict_contains(o, "version")) {
		printf("kyso-manager %s\n", KYSO_VERSION);
		return 0;
	}
	return -1;
}

/* The language preference decides before gettext starts: it takes
 * effect at the next start. */
static void
apply_language(const struct mgr_prefs *p)
{
	if (strcmp(p->language, "vi") == 0) {
		setenv("LANGUAGE", "vi", 1);
		setenv("LANG", "vi_VN.UTF-8", 1);
		unsetenv("LC_ALL");
		unsetenv("LC_MESSAGES");
	} else if (strcmp(p->language, "en") == 0) {
		setenv("LANGUAGE", "en", 1);
		setenv("LC_MESSAGES", "C.UTF-8", 1);
	}
}

int
main(int argc, char **argv)
{
	const GOptionEntry entries[] = {
		{ "monitor", 0, 0, G_OPTION_ARG_NONE, NULL,
		    _("Start only the plug-in monitor, without a window"), NULL },
		{ "module", 0, 0, G_OPTION_ARG_FILENAME, NULL,
		    _("The PKCS#11 module to use"), _("PATH") },
		{ "version", 0, 0, G_OPTION_ARG_NONE, NULL,
		    _("Print the version and exit"), NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	int status;

	prefs_load(&mgr.prefs);
	apply_language(&mgr.prefs);
	gtk_disable_setlocale();
	i18n_init(argv[0]);
	g_mutex_init(&mgr.token_lock);
	mgr.selected = -1;
	mgr.app = gtk_application_new("vn.kyso.Manager",
	    G_APPLICATION_HANDLES_COMMAND_LINE);
	g_application_add_main_option_entries(G_APPLICATION(mgr.app), entries);
	g_application_set_option_context_summary(G_APPLICATION(mgr.app),
	    _("The kyso Token Manager: the tokens plugged in, their certificates and PIN, and a monitor that warns when a token is plugged in."));
	g_signal_connect(mgr.app, "startup", G_CALLBACK(on_startup), &mgr);
	g_signal_connect(mgr.app, "activate", G_CALLBACK(on_activate), &mgr);
	g_signal_connect(mgr.app, "command-line", G_CALLBACK(on_command_line),
	    &mgr);
	g_signal_connect(mgr.app, "handle-local-options",
	    G_CALLBACK(on_local_options), &mgr);
	g_set_application_name(_("kyso Token Manager"));
	status = g_application_run(G_APPLICATION(mgr.app), argc, argv);
	g_object_unref(mgr.app);
	/* The monitor's thread may still wait in the module: the module
	 * stays loaded until the process ends. */
	prefs_done(&mgr.prefs);
	g_free(mgr.module);
	return status;
}
