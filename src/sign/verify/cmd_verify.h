/* kyso-sign verify: the command's reports (text in the reader's
 * language, or JSON) and its exit status. */
#ifndef KYSO_CMD_VERIFY_H
#define KYSO_CMD_VERIFY_H

struct verify_cli {
	const char *trust;   /* --trust FILE, or NULL */
	const char *content; /* --content FILE (a .p7s's signed file) */
	int revocation;	     /* --revocation */
	int json;	     /* --json */
};

/* Verifies each file; returns the exit status the man page lists. */
int cmd_verify(const struct verify_cli *o, int nfiles, char **files);

#endif
