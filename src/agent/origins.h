/* The origins the user allowed or denied: $KYSO_HOME/agent/origins, one
 * "allow <origin>" or "deny <origin>" a line, '#' comments. The network
 * side reads it on every decision (an administrator's `kyso-agent origins
 * revoke` takes effect at once) and writes it atomically. Lines it does
 * not understand are kept as they are. */
#ifndef KYSO_AGENT_ORIGINS_H
#define KYSO_AGENT_ORIGINS_H

#include <stddef.h>

#include "common/err.h"

/* Longest origin accepted: a host name is at most 253 bytes. */
#define ORIGIN_MAX	 300
/* The file is small; anything past this is not ours. */
#define ORIGINS_FILE_MAX ((size_t)1024 * 1024)

enum origin_decision {
	ORIGIN_UNKNOWN = 0, /* never asked (or the answer was not stored) */
	ORIGIN_ALLOW = 1,
	ORIGIN_DENY = 2,
};

struct origins;

/* 1 when s is a serialized origin as browsers send it: "http" or "https",
 * "://", a lower-case host (name, IPv4 or [IPv6]), an optional ":port",
 * nothing more. "null" and anything with a path, user or query is 0. */
int origin_valid(const char *s);

/* $KYSO_HOME/agent/origins (malloc'd) */
int origins_path(char **out) KYSO_WUR;
/* A missing file is an empty list. */
int origins_load(const char *path, struct origins **out) KYSO_WUR;
void origins_free(struct origins *o);
enum origin_decision origins_get(const struct origins *o, const char *origin);
/* Replaces the origin's decision (or adds a line for it). */
int origins_set(struct origins *o, const char *origin,
    enum origin_decision d) KYSO_WUR;
/* Drops the origin's lines; KYSO_ERR_NOT_FOUND when it had none. */
int origins_remove(struct origins *o, const char *origin) KYSO_WUR;
/* Writes the list (temp + fsync + rename), mode 0600, creating the
 * folder. */
int origins_save(const struct origins *o, const char *path) KYSO_WUR;
/* The entries in file order, for listings: n-th origin and decision;
 * KYSO_ERR_NOT_FOUND past the last. */
int origins_at(const struct origins *o, size_t n, const char **origin,
    enum origin_decision *d) KYSO_WUR;

/* One decision read from the file at path (UNKNOWN when the file or its
 * line is missing, or the file is unreadable). */
enum origin_decision origins_lookup(const char *path, const char *origin);
/* Load, set, save: one decision stored. */
int origins_store(const char *path, const char *origin,
    enum origin_decision d) KYSO_WUR;

#endif
