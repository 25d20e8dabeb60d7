/* kyso-ra reissue: a new activation code for a registration whose code
 * expired or whose mail was lost. The running server makes it (it holds
 * the code key, the code lifetime and the mail settings), so this command
 * is an operator's call to POST /api/v1/registrations/ID/reissue with an
 * operator's API token; the old code stops working. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd.h"
#include "common/buf.h"
#include "common/parse.h"

static void
reissue_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra reissue ID [--server URL] [--token-fd N] [--home DIR]\n"
	      "Gives registration ID a new activation code and mails it to the\n"
	      "subscriber again, when the code expired or its mail was lost. The old\n"
	      "code stops working at once. For the first certificate, and for a\n"
	      "renewal or a change of details not yet installed.\n"
	      "  --server URL   the running kyso-ra (default: public_url in ra.conf)\n"
	      "  --token-fd N   read the operator's API token from file descriptor N\n"
	      "                 (default: $KYSO_RA_TOKEN, else asked)\n\n"
	      "Exit status: 0 done, 1 failed (no such registration, nothing pending,\n"
	      "token refused, server unreachable), 2 usage, 3 not initialized.\n"));
}

/* The server's answer in the operator's words. */
static int
say(const char *id, long status, const struct buf *answer)
{
	json_t *j = json_loadb((const char *)buf_ptr(answer), buf_len(answer),
	    0, NULL);
	const char *kind = json_string_value(json_object_get(j, "kind")),
		   *err = json_string_value(json_object_get(j, "error"));
	int ex = EX_FAIL;

	if (status == 200 && kind != NULL) {
		printf(_("Registration %s: a new activation code for %s was mailed to the\n"
			 "subscriber. The old code no longer works.\n"),
		    id,
		    strcmp(kind, "renew") == 0 ? _("the renewal")
			: strcmp(kind, "update") == 0
			? _("the change of details")
			: _("the first certificate"));
		ex = EX_OK;
	} else if (status == 404) {
		fprintf(stderr, _("kyso-ra: no registration %s\n"), id);
	} else if (status == 409) {
		fprintf(stderr,
		    _("kyso-ra: registration %s has no activation pending: its certificate is\n"
		      "installed. For a new one, prepare a renewal or an update.\n"),
		    id);
	} else if (status == 401 || status == 403) {
		fprintf(stderr,
		    _("kyso-ra: the server refused the operator token (see 'kyso-ra operator').\n"));
	} else {
		fprintf(stderr, _("kyso-ra: the server answered %ld: %s\n"),
		    status, err != NULL ? err : "?");
	}
	json_decref(j);
	return ex;
}

/* The options, the token, the call. */
int
cmd_reissue(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "server", required_argument, NULL, 's' },
		{ "token-fd", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 } };
	const char *server = NULL, *id;
	char *path = NULL;
	struct buf *answer = NULL;
	uint64_t v;
	long status = 0;
	int c, fd = -1, ex = EX_FAIL;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': reissue_usage(stdout); return EX_OK;
		case 'H':
			if (cmd_set_home(optarg) != 0)
				return EX_FAIL;
			break;
		case 's': server = optarg; break;
		case 't':
			if (cmd_parse_fd(optarg, &fd) != 0)
				return cmd_usage_error("reissue",
				    _("bad --token-fd"));
			break;
		default: return cmd_usage_error("reissue", _("unknown option"));
		}
	}
	if (argc - optind != 1 || parse_u64(argv[optind], 1, INT64_MAX, &v) != 0)
		return cmd_usage_error("reissue",
		    _("say which registration: kyso-ra reissue ID"));
	id = argv[optind];
	if (asprintf(&path, "/api/v1/registrations/%s/reissue", id) < 0)
		return EX_FAIL;
	ex = cmd_api_post("reissue", server, fd, path, "{}", &status, &answer);
	free(path);
	if (ex != EX_OK)
		return ex;
	ex = say(id, status, answer);
	buf_free(answer);
	return ex;
}
