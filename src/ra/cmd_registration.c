/* kyso-ra registration edit|cancel: the operator's way out for a
 * registration stuck on its details (issue 15), through the running
 * server's API (POST /api/v1/registrations/ID/edit or /cancel), which
 * audits the call. */
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
registration_usage(FILE *f)
{
	fprintf(f,
	    _("Usage: kyso-ra registration edit ID [--name TEXT] [--organization TEXT]\n"
	      "                                    [--email ADDR] [--common-name TEXT]\n"
	      "       kyso-ra registration cancel ID\n"
	      "       (both: [--server URL] [--token-fd N] [--home DIR])\n"
	      "edit changes a registration's details, and those of its pending\n"
	      "activation code (the code stays valid; reissue mails a new one):\n"
	      "the legal name (--organization: an organization's), the e-mail, the\n"
	      "certificate's CN when the name is longer than 64 characters.\n"
	      "cancel closes a registration that holds no valid certificate: its\n"
	      "codes and OTPs stop working. Both are audited.\n"
	      "  --server URL   the running kyso-ra (default: public_url in ra.conf)\n"
	      "  --token-fd N   read the operator's API token from file descriptor N\n"
	      "                 (default: $KYSO_RA_TOKEN, else asked)\n\n"
	      "Exit status: 0 done, 1 failed (refused, no such registration, token\n"
	      "refused, server unreachable), 2 usage, 3 not initialized.\n"));
}

/* The server's answer in the operator's words. */
static int
say(const char *verb, const char *id, long status, const struct buf *answer)
{
	json_t *j = json_loadb((const char *)buf_ptr(answer), buf_len(answer),
	    0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	int ex = EX_FAIL;

	if (status == 200 && strcmp(verb, "cancel") == 0) {
		printf(_("Registration %s is cancelled: its codes and OTPs no "
			 "longer work.\n"),
		    id);
		ex = EX_OK;
	} else if (status == 200) {
		printf(_("Registration %s: the details are changed (name: %s, "
			 "e-mail: %s).\n"),
		    id, json_string_value(json_object_get(j, "name")),
		    json_string_value(json_object_get(j, "email")));
		ex = EX_OK;
	} else if (status == 404) {
		fprintf(stderr, _("kyso-ra: no registration %s\n"), id);
	} else if (status == 401 || status == 403) {
		fprintf(stderr,
		    _("kyso-ra: the server refused the operator token (see 'kyso-ra operator').\n"));
	} else {
		/* the server's own explanation (English, as the API gives it) */
		fprintf(stderr, _("kyso-ra: the server answered %ld: %s\n"),
		    status, msg != NULL ? msg : "?");
	}
	json_decref(j);
	return ex;
}

int
cmd_registration(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
		{ "home", required_argument, NULL, 'H' },
		{ "server", required_argument, NULL, 's' },
		{ "token-fd", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "organization", required_argument, NULL, 'o' },
		{ "email", required_argument, NULL, 'e' },
		{ "common-name", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 } };
	const char *server = NULL, *verb, *id;
	json_t *body = json_object();
	char *path = NULL, *text = NULL;
	struct buf *answer = NULL;
	uint64_t v;
	long status = 0;
	int c, fd = -1, ex = EX_FAIL;

	if (body == NULL)
		return EX_FAIL;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			registration_usage(stdout);
			ex = EX_OK;
			goto out;
		case 'H':
			if (cmd_set_home(optarg) != 0)
				goto out;
			break;
		case 's': server = optarg; break;
		case 't':
			if (cmd_parse_fd(optarg, &fd) != 0) {
				ex = cmd_usage_error("registration",
				    _("bad --token-fd"));
				goto out;
			}
			break;
		case 'n':
		case 'o':
		case 'e':
		case 'c':
			json_object_set_new(body,
			    c == 'n'	   ? "name"
				: c == 'o' ? "organization"
				: c == 'e' ? "email"
					   : "common_name",
			    json_string(optarg));
			break;
		default:
			ex = cmd_usage_error("registration", _("unknown option"));
			goto out;
		}
	}
	if (argc - optind != 2 ||
	    (strcmp(argv[optind], "edit") != 0 &&
		strcmp(argv[optind], "cancel") != 0) ||
	    parse_u64(argv[optind + 1], 1, INT64_MAX, &v) != 0) {
		ex = cmd_usage_error("registration",
		    _("say: registration edit ID ... or registration cancel ID"));
		goto out;
	}
	verb = argv[optind];
	id = argv[optind + 1];
	if (strcmp(verb, "edit") == 0 && json_object_size(body) == 0) {
		ex = cmd_usage_error("registration",
		    _("edit: give --name, --organization, --email or "
		      "--common-name"));
		goto out;
	}
	if (strcmp(verb, "cancel") == 0 && json_object_size(body) != 0) {
		ex = cmd_usage_error("registration",
		    _("cancel takes no details"));
		goto out;
	}
	/* a value that is not UTF-8 fails here and is a usage error */
	if ((text = json_dumps(body, JSON_COMPACT)) == NULL) {
		ex = cmd_usage_error("registration",
		    _("the details must be UTF-8 text"));
		goto out;
	}
	if (asprintf(&path, "/api/v1/registrations/%s/%s", id, verb) < 0) {
		path = NULL;
		goto out;
	}
	if ((ex = cmd_api_post("registration", server, fd, path, text, &status,
		 &answer)) != EX_OK)
		goto out;
	ex = say(verb, id, status, answer);
out:
	buf_free(answer);
	free(path);
	free(text);
	json_decref(body);
	return ex;
}
