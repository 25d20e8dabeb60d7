/* The HTTP(S) server (libmicrohttpd): collects a request with a capped
 * body and hands it to one handler. Knows nothing about the API. */
#ifndef KYSO_RA_HTTP_H
#define KYSO_RA_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

#define HTTP_MAX_BODY (64 * 1024)

struct http_req {
	const char *method;
	const char *path;    /* decoded, without the query */
	const char *query_q; /* the "q" query argument or NULL */
	const char *remote;  /* client address */
	const char *authorization;
	const char *content_type;
	const uint8_t *body;
	size_t body_len;
	int too_large; /* the body passed HTTP_MAX_BODY */
};

struct http_resp {
	int status;
	const char *content_type; /* static string */
	const char *allow;	  /* static string: the Allow of a 405 */
	struct buf *body;
};

typedef void (
    *http_handler)(void *ud, const struct http_req *rq, struct http_resp *rs);

struct http;
struct proxy;

/* What one client may hold (issue 15: about 515 slow connections from one
 * address took the whole CA offline). */
struct http_limits {
	unsigned max_connections; /* in all */
	unsigned per_address;	  /* from one client address */
	unsigned deadline;	  /* seconds for a request's headers and body */
};
#define HTTP_DEFAULT_CONNECTIONS 512
/* select() (http.c) takes descriptors below FD_SETSIZE (1024): room is
 * left for the database's (db.h, DB_POOL_MAX_OPEN) and the files. */
#define HTTP_MAX_CONNECTIONS	 800
#define HTTP_DEFAULT_PER_ADDRESS 32
#define HTTP_DEFAULT_DEADLINE	 15
/* TLS 1.2 and 1.3, forward-secret key exchange, AEAD ciphers only (a
 * GnuTLS priority string; serve --tls-priorities replaces it). */
#define HTTP_TLS_PRIORITIES                                            \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:"      \
	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:" \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA"

/* Binds and listens on "host:port" or "[v6]:port" (port 0 picks a free
 * one), so the port is known before the server runs. */
int http_bind(const char *listen, struct http **out) KYSO_WUR;
/* Serves on the bound socket, each connection on a thread of its own (fn
 * is called from all of them); with cert_pem and key_pem NULL the server
 * speaks plain HTTP. */
int http_run(struct http *h, const char *cert_pem, const char *key_pem,
    http_handler fn, void *ud) KYSO_WUR;
/* Before http_run: other limits than the defaults above. */
void http_set_limits(struct http *h, const struct http_limits *lim);
/* Before http_run: another GnuTLS priority string than
 * HTTP_TLS_PRIORITIES (kept by reference). */
void http_set_tls_priorities(struct http *h, const char *prio);
/* Before http_run: requests from these proxies name their client in a
 * header (proxy.h; kept by reference, NULL: none). The client's address
 * is then the request's remote: rate limits, the audit, the access log.
 * Connection limits stay per TCP peer (the proxy). */
void http_set_proxy(struct http *h, const struct proxy *p);
uint16_t http_port(const struct http *h);
/* One line per request on stderr: address, method, path, status. */
void http_access_log(struct http *h, int on);
void http_stop(struct http *h);
/* Splits listen into host and port; 1 when host is a loopback address. */
int http_parse_listen(const char *listen, char *host, size_t hlen,
    uint16_t *port, int *loopback) KYSO_WUR;

#endif
