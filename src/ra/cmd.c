/* Helpers the kyso-ra commands share. */
#include "cmd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/fsutil.h"
#include "common/parse.h"
#include "validate.h"

/* Every usage error reads the same and points at the command's --help. */
int
cmd_usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, _("kyso-ra %s: %s\nRun 'kyso-ra %s --help'.\n"), cmd,
	    what, cmd);
	return EX_USAGE;
}

/* The RA keeps all of its files in one directory under $KYSO_HOME. */
char *
cmd_ra_dir(void)
{
	char *home = kyso_home(), *d;

	if (home == NULL)
		return NULL;
	d = path_join(home, "ra");
	free(home);
	return d;
}

/* --home is $KYSO_HOME for this run: kyso_home() reads the environment. */
int
cmd_set_home(const char *dir)
{
	return setenv("KYSO_HOME", dir, 1) == 0 ? 0 : KYSO_ERR_NOMEM;
}

/* A URL fit to go into certificate extensions: http(s), no blanks, commas
 * or quotes (X509V3 value syntax). */
int
cmd_url_ok(const char *u)
{
	return strlen(u) <= 400 && valid_text(u, 400) == 0 &&
	    strpbrk(u, " ,\"<>") == NULL &&
	    (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0);
}

/* Descriptor numbers go through the one bounded integer parser. */
int
cmd_parse_fd(const char *s, int *fd)
{
	uint64_t v;

	if (parse_u64(s, 0, 1024, &v) != 0)
		return KYSO_ERR_INVALID;
	*fd = (int)v;
	return 0;
}

/* init records --db in ra.conf; the others may override it. */
int
cmd_db_where(const char *dir, const struct config *conf, const char *opt,
    char **out)
{
	const char *c = conf ? config_get(conf, "db") : NULL;
	char *w;

	if (opt != NULL)
		w = strdup(opt);
	else if (c != NULL)
		w = strdup(c);
	else
		w = path_join(dir, "ra.db");
	if (w == NULL)
		return KYSO_ERR_NOMEM;
	*out = w;
	return 0;
}

/* ra.conf is written by init and read by every later command. */
int
cmd_load_conf(const char *dir, struct config **out)
{
	char *p = path_join(dir, "ra.conf");
	int r;

	if (p == NULL)
		return KYSO_ERR_NOMEM;
	r = config_load(p, out);
	free(p);
	return r;
}

/* The issuing CA's certificate is what init makes; its presence is the
 * state the exit code 3 speaks of. */
int
cmd_is_initialized(const char *dir)
{
	char *p = path_join(dir, "ca.pem");
	struct stat st;
	int r = p != NULL && stat(p, &st) == 0;

	free(p);
	return r;
}

/* Every command but init needs the CA; without one, exit 3 says "run
 * init first". */
int
cmd_ca_dir(char **out)
{
	char *dir = cmd_ra_dir();

	if (dir == NULL)
		return EX_FAIL;
	if (!cmd_is_initialized(dir)) {
		fprintf(stderr, _("kyso-ra: no CA in %s; run kyso-ra init\n"),
		    dir);
		free(dir);
		return EX_STATE;
	}
	*out = dir;
	return EX_OK;
}

/* Files in the RA's directory are replaced whole, never half written. */
int
cmd_write_text(const char *dir, const char *name, const char *text, mode_t mode)
{
	char *p = path_join(dir, name);
	int r = p ? file_write_atomic(p, text, strlen(text), mode)
		  : KYSO_ERR_NOMEM;

	free(p);
	return r;
}
