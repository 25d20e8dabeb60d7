/* The route table: every endpoint the server answers, who may call it and
 * who opens its transaction. Adding an endpoint is one row and a handler. */
#include "ra.h"

#include <stdint.h>
#include <string.h>

static const struct route {
	const char *method;
	/* '*' is one path segment (not empty, no '/'); a final '**' is the
	 * rest of the path. */
	const char *pattern;
	enum api_who who;
	enum api_tx tx;
	api_handler handler;
} routes[] = {
	/* Public first: a path nothing matches ("/nothing") is public. */
	{ "GET", "/crl", API_PUBLIC, API_TX_HANDLER, api_crl },
	{ "GET", "/ca.pem", API_PUBLIC, API_TX_HANDLER, api_ca_pem },
	{ "GET", "/ca.crt", API_PUBLIC, API_TX_HANDLER, api_ca_crt },
	{ "GET", "/root.crt", API_PUBLIC, API_TX_HANDLER, api_root_crt },
	{ "GET", "/root.crl", API_PUBLIC, API_TX_HANDLER, api_root_crl },
	{ "POST", "/ocsp", API_PUBLIC, API_TX_HANDLER, api_ocsp_post },
	{ "GET", "/ocsp/**", API_PUBLIC, API_TX_HANDLER, api_ocsp_get },
	{ "POST", "/tsa", API_PUBLIC, API_TX_HANDLER, api_tsa },
	{ "GET", "/healthz", API_PUBLIC, API_TX_HANDLER, api_healthz },
	/* Operators before subscribers: an unknown /api/v1/ path asks for
	 * an operator token. */
	{ "POST", "/api/v1/registrations", API_OPERATOR, API_TX_CALL,
	    api_registrations_create },
	{ "GET", "/api/v1/registrations", API_OPERATOR, API_TX_CALL,
	    api_registrations_list },
	{ "GET", "/api/v1/registrations/*", API_OPERATOR, API_TX_CALL,
	    api_registrations_get },
	{ "POST", "/api/v1/registrations/*/renew", API_OPERATOR, API_TX_CALL,
	    api_registrations_renew },
	{ "POST", "/api/v1/registrations/*/update", API_OPERATOR, API_TX_CALL,
	    api_registrations_update },
	{ "POST", "/api/v1/registrations/*/reissue", API_OPERATOR, API_TX_CALL,
	    api_registrations_reissue },
	{ "POST", "/api/v1/registrations/*/edit", API_OPERATOR, API_TX_CALL,
	    api_registrations_edit },
	{ "POST", "/api/v1/registrations/*/cancel", API_OPERATOR, API_TX_CALL,
	    api_registrations_cancel },
	{ "POST", "/api/v1/certificates/*/revoke", API_OPERATOR, API_TX_CALL,
	    api_certificates_revoke },
	{ "POST", "/api/v1/activation/lookup", API_SUBSCRIBER, API_TX_CALL,
	    api_activation_lookup },
	/* It checks the CSR (CPU work) before it opens its transaction. */
	{ "POST", "/api/v1/activation/complete", API_SUBSCRIBER, API_TX_HANDLER,
	    api_activation_complete },
	{ "POST", "/api/v1/pin-reset/request", API_SUBSCRIBER, API_TX_CALL,
	    api_pin_reset_request },
	{ "POST", "/api/v1/pin-reset/confirm", API_SUBSCRIBER, API_TX_CALL,
	    api_pin_reset_confirm },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* The methods the table uses, as bits, and the Allow headers they make. */
static const char *const methods[] = { "GET", "POST" };
static const char *const allow_of[] = { "", "GET", "POST", "GET, POST" };

/* Does path match pat? Fills part[] (start, length) for each '*' or '**'. */
static int
match(const char *pat, const char *path, const char **part, size_t *plen,
    size_t *nparts)
{
	size_t n = 0, k;

	while (*pat != '\0') {
		if (pat[0] == '*' && pat[1] == '*') {
			k = strlen(path);
		} else if (pat[0] == '*') {
			if ((k = strcspn(path, "/")) == 0)
				return 0;
		} else if (*pat++ == *path) {
			path++;
			continue;
		} else {
			return 0;
		}
		if (n == 2)
			return 0;
		part[n] = path;
		plen[n++] = k;
		path += k;
		pat += pat[1] == '*' ? 2 : 1;
	}
	*nparts = n;
	return *path == '\0';
}

/* How far pat and path agree, up to and including a '/' of both. */
static size_t
shared(const char *pat, const char *path)
{
	size_t i, last = 0;

	for (i = 0; pat[i] != '\0' && pat[i] != '*' && pat[i] == path[i]; i++)
		if (pat[i] == '/')
			last = i + 1;
	return last;
}

/* Copies the matched parts where the handler finds them: '*' parts into
 * a's own buffers, a '**' part (the end of the path) in place. 0, or
 * KYSO_ERR_TOO_LARGE for a part longer than any id. */
static int
set_args(struct api *a, const char *pat, const char **part, const size_t *plen,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		pat = strchr(pat, '*');
		if (pat[1] == '*') {
			a->arg[i] = part[i];
			continue;
		}
		if (plen[i] >= sizeof(a->argbuf[i]))
			return KYSO_ERR_TOO_LARGE;
		memcpy(a->argbuf[i], part[i], plen[i]);
		a->argbuf[i][plen[i]] = '\0';
		a->arg[i] = a->argbuf[i];
		pat++;
	}
	return 0;
}

void
api_route(struct api *a, struct api_match *m)
{
	const char *path = a->rq->path, *part[2];
	size_t i, j, n, plen[2], best = 0, s;
	unsigned allow = 0;

	memset(m, 0, sizeof(*m));
	m->who = routes[0].who;
	m->status = 404;
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, path, part, plen, &n)) {
			if ((s = shared(routes[i].pattern, path)) > best) {
				best = s;
				m->who = routes[i].who;
			}
			continue;
		}
		m->who = routes[i].who;
		best = SIZE_MAX;
		if (strcmp(routes[i].method, a->rq->method) != 0) {
			for (j = 0; j < sizeof(methods) / sizeof(methods[0]); j++)
				if (strcmp(routes[i].method, methods[j]) == 0)
					allow |= 1u << j;
			continue;
		}
		if (set_args(a, routes[i].pattern, part, plen, n) != 0)
			return; /* 404: no such id */
		m->handler = routes[i].handler;
		m->tx = routes[i].tx;
		m->status = 0;
		return;
	}
	if (allow != 0) {
		m->status = 405;
		m->allow = allow_of[allow];
	}
}
