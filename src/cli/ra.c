/* kyso-token's side of the RA server's API. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/http.h"

/* What a subscriber can do about the refusals they may meet. */
static const char *
refusal_text(const char *code)
{
	static const struct {
		const char *code, *text;
	} t[] = {
		{ "code_invalid", N_("the activation code is wrong, already "
		    "used or expired; ask the CA for a new one") },
		{ "token_in_use", N_("this token already holds another "
		    "subscriber's certificate; use your own token, or ask "
		    "the CA") },
		{ "key_type_mismatch", N_("the key made on the token is not of "
		    "the type the CA registered") },
		{ "key_unacceptable", N_("the token made a key the CA does not "
		    "accept") },
		{ "otp_invalid", N_("the one-time code is wrong or expired; "
		    "after three wrong tries, request a new one") },
		{ "rate_limited", N_("too many requests; wait a few minutes "
		    "and try again") },
		{ "busy", N_("the CA's server is busy; try again") },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(code, t[i].code) == 0)
			return _(t[i].text);
	return NULL;
}

int
cli_ra_option(struct ra *ra, int opt, const char *arg)
{
	switch (opt) {
	case 'R':
		ra->url = arg;
		return EXIT_OK;
	case 'A':
		ra->ca_file = arg;
		return EXIT_OK;
	}
	return -1;
}

int
cli_ra_ready(const struct cli *c, struct ra *ra)
{
	if (ra->cfg == NULL && config_load_home(&ra->cfg) != 0)
		ra->cfg = NULL;
	if (ra->url == NULL && ra->cfg != NULL)
		ra->url = config_get(ra->cfg, "ra_url");
	if (ra->ca_file == NULL && ra->cfg != NULL)
		ra->ca_file = config_get(ra->cfg, "ra_ca");
	if (ra->url == NULL || *ra->url == '\0')
		return cli_usage_error(c, _("the CA's server is not set: give --ra URL or set ra_url in kyso.conf"));
	if (strncmp(ra->url, "https://", 8) != 0 &&
	    strncmp(ra->url, "http://127.", 11) != 0 &&
	    strncmp(ra->url, "http://localhost", 16) != 0 &&
	    strncmp(ra->url, "http://[::1]", 12) != 0)
		return cli_usage_error(c, _("the CA's server must be reached over https:// (plain http only on this computer)"));
	return EXIT_OK;
}

void
cli_ra_done(struct ra *ra)
{
	config_free(ra->cfg);
	ra->cfg = NULL;
}

int
cli_ra_post(const struct ra *ra, const char *path, json_t *req, json_t **resp,
    long *status)
{
	struct http_opts o = { ra->ca_file, 0 };
	char *url = NULL;
	size_t n = strlen(ra->url);
	json_t *j = NULL;
	long st = 0;
	int r;

	*resp = NULL;
	while (n > 0 && ra->url[n - 1] == '/')
		n--;
	if (asprintf(&url, "%.*s%s", (int)n, ra->url, path) < 0)
		return EXIT_FAIL;
	r = http_post_json(url, &o, req, &st, &j);
	free(url);
	if (status != NULL)
		*status = st;
	if (r != 0) {
		fprintf(stderr, _("Cannot reach the CA's server %s: %s.\n"), ra->url,
		    http_last_error()[0] ? http_last_error() : kyso_strerror(r));
		return EXIT_FAIL;
	}
	if (st < 200 || st > 299) {
		const char *msg = json_string_value(json_object_get(j, "message"));
		const char *code = json_string_value(json_object_get(j, "error"));
		const char *said = code != NULL ? refusal_text(code) : NULL;

		/* The server's words are English; the ones a subscriber meets
		 * are said here in their language. */
		fprintf(stderr, _("The CA's server refused the request (%ld %s): %s\n"),
		    st, code != NULL ? code : "", said != NULL ? said :
		    msg != NULL ? msg : "");
		json_decref(j);
		return EXIT_FAIL;
	}
	*resp = j;
	return EXIT_OK;
}

int
cli_read_secret(int fd, const char *prompt, char **out)
{
	return cli_read_pin(fd, prompt, out);
}
