/* The HTTP client kyso's programs use to talk to servers (libcurl). */
#ifndef KYSO_HTTP_H
#define KYSO_HTTP_H

#include <jansson.h>

#include "err.h"

struct http_opts {
	const char *ca_file;     /* extra trust anchor for the server's TLS cert */
	long timeout_s;          /* 0: 30 s */
};

/* POSTs req as JSON; *resp is the parsed JSON answer (or NULL when the
 * body was not JSON) and *status the HTTP status. KYSO_ERR_IO when the
 * server cannot be reached. */
int http_post_json(const char *url, const struct http_opts *o, json_t *req,
    long *status, json_t **resp) KYSO_WUR;
/* The last transport error in words, for messages. */
const char *http_last_error(void);

#endif
