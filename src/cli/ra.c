/* Where kyso-token finds the CA's RA server: --ra/--ra-ca, else
 * kyso.conf. The conversation itself is libkysotm's (src/tm/tm.c); the
 * words for the server's refusals are the terminal face's (tm_term.c). */
#include <string.h>

#include "cli.h"

/* The two options every command that talks to the RA takes. */
int
cli_ra_option(struct ra_client *ra, int opt, const char *arg)
{
	switch (opt) {
	case 'R': ra->url = arg; return EXIT_OK;
	case 'A': ra->ca_file = arg; return EXIT_OK;
	}
	return -1;
}

/* A PIN reset or a certificate request goes over TLS, except to a test
 * server on this computer. */
int
cli_ra_ready(const struct cli *c, struct ra_client *ra)
{
	if (ra->cfg == NULL && config_load_home(&ra->cfg) != 0)
		ra->cfg = NULL;
	if (ra->url == NULL && ra->cfg != NULL)
		ra->url = config_get(ra->cfg, "ra_url");
	if (ra->ca_file == NULL && ra->cfg != NULL)
		ra->ca_file = config_get(ra->cfg, "ra_ca");
	if (ra->url == NULL || *ra->url == '\0')
		return cli_usage_error(c,
		    _("the CA's server is not set: give --ra URL or set ra_url in kyso.conf"));
	if (strncmp(ra->url, "https://", 8) != 0 &&
	    strncmp(ra->url, "http://127.", 11) != 0 &&
	    strncmp(ra->url, "http://localhost", 16) != 0 &&
	    strncmp(ra->url, "http://[::1]", 12) != 0)
		return cli_usage_error(c,
		    _("the CA's server must be reached over https:// (plain http only on this computer)"));
	return EXIT_OK;
}

/* The strings url and ca_file point into the configuration. */
void
cli_ra_done(struct ra_client *ra)
{
	config_free(ra->cfg);
	ra->cfg = NULL;
}
