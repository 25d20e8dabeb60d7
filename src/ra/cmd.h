/* What the kyso-ra commands share: exit codes, $KYSO_HOME/ra and its
 * files, option checks. One file per command (cmd_*.c), as in kyso-token. */
#ifndef KYSO_RA_CMD_H
#define KYSO_RA_CMD_H

#include <stdio.h>
#include <sys/types.h>

#include "common/config.h"
#include "common/err.h"
#include "common/i18n.h"

/* Exit codes: stable, listed in --help. */
enum {
	EX_OK = 0,
	EX_FAIL = 1,
	EX_USAGE = 2,
	EX_STATE = 3, /* init: already initialized; others: not yet */
};

/* The commands (argv[0] is the command's name). */
int cmd_init(int argc, char **argv);
int cmd_root_crl(int argc, char **argv);
int cmd_operator(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_reissue(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_rotate(int argc, char **argv);
int cmd_registration(int argc, char **argv);

/* Prints what was wrong and where to look; returns EX_USAGE. */
int cmd_usage_error(const char *cmd, const char *what);
/* $KYSO_HOME/ra (malloc'd), or NULL. */
char *cmd_ra_dir(void);
/* --home DIR: sets $KYSO_HOME for what follows. */
int cmd_set_home(const char *dir) KYSO_WUR;
/* 1 when u is fit to go into certificate extensions. */
int cmd_url_ok(const char *u);
/* --...-fd N: a descriptor number, 0 to 1024. */
int cmd_parse_fd(const char *s, int *fd) KYSO_WUR;
/* The database: the option, else ra.conf's "db", else SQLite ra.db. */
int cmd_db_where(const char *dir, const struct config *conf, const char *opt,
    char **out) KYSO_WUR;
/* dir/ra.conf. */
int cmd_load_conf(const char *dir, struct config **out) KYSO_WUR;
/* 1 when dir holds a CA (init ran). */
int cmd_is_initialized(const char *dir);
/* For the commands after init: $KYSO_HOME/ra, which holds a CA. EX_OK and
 * *out, else EX_STATE (said on stderr) or EX_FAIL. */
int cmd_ca_dir(char **out) KYSO_WUR;
struct buf;
/* An operator's call: POST body (JSON) to server (NULL: public_url in
 * ra.conf) + path with the operator's API token (from token_fd, else
 * $KYSO_RA_TOKEN, else asked). EX_OK with the status and the answer (the
 * caller frees it), else an exit code (said on stderr). */
int cmd_api_post(const char *cmd, const char *server, int token_fd,
    const char *path, const char *body, long *status,
    struct buf **answer) KYSO_WUR;
/* Writes text to dir/name atomically with mode. */
int cmd_write_text(const char *dir, const char *name, const char *text,
    mode_t mode) KYSO_WUR;

#endif
