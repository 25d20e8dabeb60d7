/* An operator's call to the running server's API, for the commands that
 * change what the server holds (reissue, registration edit/cancel): the
 * server makes codes, mails and audit rows, so these commands do not
 * open the database themselves. */
#include "cmd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/secret.h"

#define ANSWER_CAP (64 * 1024)

/* The answer's bytes, capped. */
static size_t
on_data(char *p, size_t size, size_t n, void *ud)
{
	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	return buf_put(ud, p, size * n) == 0 ? size * n : 0;
}

/* One POST with the token as a bearer; the header text is wiped. */
static int
post(const char *url, const char *token, const char *body, long *status,
    struct buf *answer, char err[CURL_ERROR_SIZE])
{
	struct curl_slist *hdr = NULL, *l;
	char auth[200];
	CURL *c;
	int r = KYSO_ERR_NOMEM;

	err[0] = '\0';
	if ((c = curl_easy_init()) == NULL)
		return KYSO_ERR_NOMEM;
	if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token) >=
	    (int)sizeof(auth)) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	l = curl_slist_append(hdr, auth);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (l == NULL ||
	    (hdr = l,
		l = curl_slist_append(hdr, "Content-Type: application/json")) ==
		NULL)
		goto out;
	hdr = l;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	r = KYSO_ERR_IO;
	if (curl_easy_perform(c) != CURLE_OK)
		goto out;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	r = 0;
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return r;
}

int
cmd_api_post(const char *cmd, const char *server, int token_fd,
    const char *path, const char *body, long *status, struct buf **answer)
{
	char *dir = NULL, *token = NULL, *url = NULL, err[CURL_ERROR_SIZE];
	struct config *conf = NULL;
	struct buf *b = NULL;
	const char *env;
	int ex;

	if ((ex = cmd_ca_dir(&dir)) != EX_OK)
		return ex;
	ex = EX_FAIL;
	if (server == NULL && cmd_load_conf(dir, &conf) == 0)
		server = config_get(conf, "public_url");
	if (server == NULL || !cmd_url_ok(server)) {
		ex = cmd_usage_error(cmd,
		    _("give the server's address with --server URL"));
		goto out;
	}
	if (token_fd < 0 && (env = getenv("KYSO_RA_TOKEN")) != NULL &&
	    *env != '\0')
		token = strdup(env);
	else if (secret_read(token_fd, _("Operator API token: "), &token) != 0)
		token = NULL;
	if (token == NULL || *token == '\0') {
		ex = cmd_usage_error(cmd, _("no operator token was given"));
		goto out;
	}
	if (asprintf(&url, "%s%s", server, path) < 0 ||
	    (b = buf_new(ANSWER_CAP)) == NULL) {
		url = NULL;
		goto out;
	}
	if (post(url, token, body, status, b, err) != 0) {
		fprintf(stderr, _("kyso-ra: cannot reach the server %s: %s\n"),
		    server, err[0] ? err : _("no answer"));
		goto out;
	}
	*answer = b;
	b = NULL;
	ex = EX_OK;
out:
	secret_free(token);
	buf_free(b);
	free(url);
	config_free(conf);
	free(dir);
	return ex;
}
