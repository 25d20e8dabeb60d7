/* kyso.conf: "key = value" lines, '#' comments. */
#ifndef KYSO_CONFIG_H
#define KYSO_CONFIG_H

#include <stdint.h>

#include "err.h"

struct config;

/* A missing file is an empty config. */
int config_load(const char *path, struct config **out) KYSO_WUR;
/* $KYSO_HOME/kyso.conf */
int config_load_home(struct config **out) KYSO_WUR;
void config_free(struct config *c);
const char *config_get(const struct config *c, const char *key);
/* The value of key as an integer in [min, max], else def. */
uint64_t config_get_u64(const struct config *c, const char *key, uint64_t min,
    uint64_t max, uint64_t def);

#endif
