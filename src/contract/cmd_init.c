/* kyso-contract init: the folders, the database and the first (admin)
 * account, whose password is printed once and stored only hashed. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/fsutil.h"
#include "contract.h"

/* $KYSO_HOME/contract, or home/contract. */
char *
contract_dir(const char *home)
{
	char *h = home != NULL ? strdup(home) : kyso_home(), *d;

	if (h == NULL)
		return NULL;
	d = path_join(h, "contract");
	free(h);
	return d;
}

/* Makes dir, dir/blobs and dir/outbox. */
static int
make_dirs(const char *dir)
{
	static const char *const sub[] = { "blobs", "outbox", "tmp" };
	char *p;
	size_t i;
	int r;

	if ((r = mkdir_p(dir, 0700)) != 0)
		return r;
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if ((p = path_join(dir, sub[i])) == NULL)
			return KYSO_ERR_NOMEM;
		r = mkdir_p(p, 0700);
		free(p);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Run once: a second init adds a second admin, it never drops data. */
int
cmd_init(int argc, char **argv)
{
	static const struct option lo[] = { { "home", 1, NULL, 'H' },
		{ "org", 1, NULL, 'o' }, { "admin-email", 1, NULL, 'e' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *home = NULL, *org = "kyso", *email = "admin@localhost";
	char *dir = NULL, pw[25];
	struct store *db = NULL;
	int64_t org_id;
	int c, ret = EX_FAIL, r;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'H': home = optarg; break;
		case 'o': org = optarg; break;
		case 'e': email = optarg; break;
		case 'h':
			printf(_("Usage: kyso-contract init [--home DIR] [--org "
				 "NAME] [--admin-email EMAIL]\n"));
			fputs(store_help(), stdout);
			return EX_OK;
		default: return EX_USAGE;
		}
	}
	if ((dir = contract_dir(home)) == NULL)
		goto out;
	if ((r = make_dirs(dir)) != 0 || (r = store_open(dir, 1, &db)) != 0) {
		fprintf(stderr, _("kyso-contract: %s: %s\n"), dir,
		    kyso_strerror(r));
		goto out;
	}
	if ((r = org_create(db, org, &org_id)) != 0 ||
	    (r = account_with_password(db, org_id, email, 1, pw)) != 0) {
		fprintf(stderr, _("kyso-contract: init: %s\n"), kyso_strerror(r));
		goto out;
	}
	printf(_("kyso-contract: %s ready\n"), dir);
	printf(_("admin %s password (shown once): %s\n"), email, pw);
	ret = EX_OK;
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	store_close(db);
	free(dir);
	return ret;
}
