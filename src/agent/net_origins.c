/* `kyso-agent origins`: the user's (or an administrator's) view of the
 * origins file (origins.h). */
#include "agent/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agent/origins.h"

static const char usage[] = "usage: kyso-agent origins list [--json]\n"
			    "       kyso-agent origins revoke ORIGIN\n"
			    "       kyso-agent origins allow ORIGIN\n";

/* Prints the decisions, one "allow ORIGIN" a line, or a JSON array of
 * {"origin","decision"} for scripts. */
static int
cmd_list(const char *path, int json)
{
	struct origins *o = NULL;
	const char *origin;
	enum origin_decision d;
	json_t *a = NULL;
	char *s = NULL;
	size_t i;
	int r;

	if ((r = origins_load(path, &o)) != 0) {
		fprintf(stderr, "kyso-agent: %s: %s\n", path, kyso_strerror(r));
		return 1;
	}
	if (json && (a = json_array()) == NULL)
		goto nomem;
	for (i = 0; origins_at(o, i, &origin, &d) == 0; i++) {
		const char *word = d == ORIGIN_ALLOW ? "allow" : "deny";

		if (!json) {
			printf("%s %s\n", word, origin);
			continue;
		}
		if (json_array_append_new(a,
			json_pack("{s:s,s:s}", "origin", origin, "decision",
			    word)) != 0)
			goto nomem;
	}
	if (json) {
		if ((s = json_dumps(a, JSON_INDENT(2))) == NULL)
			goto nomem;
		printf("%s\n", s);
	}
	free(s);
	json_decref(a);
	origins_free(o);
	return 0;
nomem:
	free(s);
	json_decref(a);
	origins_free(o);
	fprintf(stderr, "kyso-agent: %s\n", kyso_strerror(KYSO_ERR_NOMEM));
	return 1;
}

/* Removes an origin's line: a denied origin may be asked again, an
 * allowed one must ask again. */
static int
cmd_revoke(const char *path, const char *origin)
{
	struct origins *o = NULL;
	int r;

	if ((r = origins_load(path, &o)) != 0)
		goto out;
	if ((r = origins_remove(o, origin)) != 0)
		goto out;
	r = origins_save(o, path);
out:
	origins_free(o);
	if (r == KYSO_ERR_NOT_FOUND) {
		fprintf(stderr, "kyso-agent: %s is not in %s\n", origin, path);
		return 1;
	}
	if (r != 0) {
		fprintf(stderr, "kyso-agent: %s: %s\n", path, kyso_strerror(r));
		return 1;
	}
	return 0;
}

/* Allows an origin without a dialog (administrators preparing a
 * machine). */
static int
cmd_allow(const char *path, const char *origin)
{
	int r;

	if (!origin_valid(origin)) {
		fprintf(stderr,
		    "kyso-agent: '%s' is not an origin "
		    "(scheme://host[:port], http or https, lower case, "
		    "no path)\n",
		    origin);
		return 2;
	}
	if ((r = origins_store(path, origin, ORIGIN_ALLOW)) != 0) {
		fprintf(stderr, "kyso-agent: %s: %s\n", path, kyso_strerror(r));
		return 1;
	}
	return 0;
}

int
origins_main(int argc, char **argv)
{
	char *path = NULL;
	int rc = 2;

	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (origins_path(&path) != 0) {
		fprintf(stderr, "kyso-agent: %s\n",
		    kyso_strerror(KYSO_ERR_NOMEM));
		return 1;
	}
	if (strcmp(argv[1], "list") == 0 && argc == 2)
		rc = cmd_list(path, 0);
	else if (strcmp(argv[1], "list") == 0 && argc == 3 &&
	    strcmp(argv[2], "--json") == 0)
		rc = cmd_list(path, 1);
	else if (strcmp(argv[1], "revoke") == 0 && argc == 3)
		rc = cmd_revoke(path, argv[2]);
	else if (strcmp(argv[1], "allow") == 0 && argc == 3)
		rc = cmd_allow(path, argv[2]);
	else
		fputs(usage, stderr);
	free(path);
	return rc;
}
