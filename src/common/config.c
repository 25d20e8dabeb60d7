#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "parse.h"

#define CONFIG_CAP	(256 * 1024)
#define CONFIG_MAX_KEYS 256

struct config {
	char *key[CONFIG_MAX_KEYS];
	char *val[CONFIG_MAX_KEYS];
	size_t n;
};

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
config_load(const char *path, struct config **out)
{
	struct config *c = calloc(1, sizeof(*c));
	struct buf *b = NULL;
	char *text = NULL, *line, *next;
	int r;

	if (c == NULL)
		return KYSO_ERR_NOMEM;
	r = file_read(path, CONFIG_CAP, &b);
	if (r == KYSO_ERR_NOT_FOUND) {
		*out = c;
		return 0;
	}
	if (r != 0)
		goto fail;
	if ((text = buf_to_cstr(b)) == NULL) {
		r = KYSO_ERR_INVALID;
		goto fail;
	}
	for (line = text; line != NULL; line = next) {
		char *eq, *k, *v;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '#')) != NULL)
			*eq = '\0';
		if ((eq = strchr(line, '=')) == NULL) {
			if (*trim(line) != '\0') {
				r = KYSO_ERR_INVALID;
				goto fail;
			}
			continue;
		}
		*eq = '\0';
		k = trim(line);
		v = trim(eq + 1);
		if (*k == '\0' || c->n == CONFIG_MAX_KEYS) {
			r = KYSO_ERR_INVALID;
			goto fail;
		}
		if ((c->key[c->n] = strdup(k)) == NULL ||
		    (c->val[c->n] = strdup(v)) == NULL) {
			c->n++;
			r = KYSO_ERR_NOMEM;
			goto fail;
		}
		c->n++;
	}
	free(text);
	buf_free(b);
	*out = c;
	return 0;
fail:
	free(text);
	buf_free(b);
	config_free(c);
	return r;
}

int
config_load_home(struct config **out)
{
	char *home = kyso_home(), *path;
	int r;

	if (home == NULL)
		return KYSO_ERR_NOMEM;
	path = path_join(home, "kyso.conf");
	free(home);
	if (path == NULL)
		return KYSO_ERR_NOMEM;
	r = config_load(path, out);
	free(path);
	return r;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->key[i]);
		free(c->val[i]);
	}
	free(c);
}

const char *
config_get(const struct config *c, const char *key)
{
	size_t i;

	/* The last setting wins. */
	for (i = c->n; i > 0; i--)
		if (strcmp(c->key[i - 1], key) == 0)
			return c->val[i - 1];
	return NULL;
}

uint64_t
config_get_u64(const struct config *c, const char *key, uint64_t min,
    uint64_t max, uint64_t def)
{
	const char *v = config_get(c, key);
	uint64_t x;

	if (v == NULL || parse_u64(v, min, max, &x) != 0)
		return def;
	return x;
}
