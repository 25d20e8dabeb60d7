/* The manager's preferences ($KYSO_HOME/manager.conf: language, monitor)
 * and what it reads from kyso.conf as kyso-token does (warn_days,
 * ra_url, ra_ca). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/fsutil.h"
#include "manager.h"

#define DEFAULT_WARN_DAYS 30

/* $KYSO_HOME/manager.conf, in a new string. */
static char *
prefs_path(void)
{
	char *home = kyso_home(), *p;

	if (home == NULL)
		return NULL;
	p = path_join(home, "manager.conf");
	free(home);
	return p;
}

/* Missing files and keys keep the defaults: the system's language, the
 * monitor on, a 30-day warning. */
void
prefs_load(struct mgr_prefs *p)
{
	struct config *cfg = NULL;
	const char *v;
	char *path;

	memset(p, 0, sizeof(*p));
	snprintf(p->language, sizeof(p->language), "system");
	p->monitor = 1;
	p->warn_days = DEFAULT_WARN_DAYS;
	if ((path = prefs_path()) != NULL && config_load(path, &cfg) == 0) {
		if ((v = config_get(cfg, "language")) != NULL &&
		    (strcmp(v, "vi") == 0 || strcmp(v, "en") == 0))
			snprintf(p->language, sizeof(p->language), "%s", v);
		if ((v = config_get(cfg, "monitor")) != NULL &&
		    strcmp(v, "off") == 0)
			p->monitor = 0;
		config_free(cfg);
	}
	free(path);
	cfg = NULL;
	if (config_load_home(&cfg) == 0) {
		p->warn_days = (long)config_get_u64(cfg, "warn_days", 0, 3650,
		    DEFAULT_WARN_DAYS);
		if ((v = config_get(cfg, "ra_url")) != NULL)
			p->ra_url = strdup(v);
		if ((v = config_get(cfg, "ra_ca")) != NULL)
			p->ra_ca = strdup(v);
		config_free(cfg);
	}
}

/* Written whole or not at all (file_write_atomic), in KYSO_HOME made if
 * needed. */
int
prefs_save(const struct mgr_prefs *p)
{
	char *home = kyso_home(), *path = prefs_path(), *text = NULL;
	int r = KYSO_ERR_NOMEM;

	if (home == NULL || path == NULL)
		goto out;
	text = g_strdup_printf("# kyso-manager's preferences\n"
			       "language = %s\nmonitor = %s\n",
	    p->language, p->monitor ? "on" : "off");
	if ((r = mkdir_p(home, 0700)) != 0)
		goto out;
	r = file_write_atomic(path, text, strlen(text), 0600);
out:
	g_free(text);
	free(path);
	free(home);
	return r;
}

void
prefs_done(struct mgr_prefs *p)
{
	free(p->ra_url);
	free(p->ra_ca);
	p->ra_url = p->ra_ca = NULL;
}
