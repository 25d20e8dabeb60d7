#include "http.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "buf.h"

#define HTTP_RESPONSE_CAP (1024 * 1024)

static char last_error[CURL_ERROR_SIZE];

const char *
http_last_error(void)
{
	return last_error;
}

static size_t
on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	/* A short count makes curl stop: the answer was too large. */
	return buf_put(b, p, size * n) == 0 ? size * n : 0;
}

int
http_post_json(const char *url, const struct http_opts *o, json_t *req,
    long *status, json_t **resp)
{
	static int curl_ready;
	struct curl_slist *hdr = NULL;
	struct buf *body = NULL;
	char *text = NULL;
	CURL *c = NULL;
	CURLcode cc;
	int r = KYSO_ERR_INTERNAL;

	last_error[0] = '\0';
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return KYSO_ERR_INTERNAL;
		curl_ready = 1;
	}
	if ((text = json_dumps(req, JSON_COMPACT)) == NULL ||
	    (body = buf_new(HTTP_RESPONSE_CAP)) == NULL ||
	    (c = curl_easy_init()) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, last_error);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o != NULL && o->timeout_s > 0 ?
	    o->timeout_s : 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (o != NULL && o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		if (last_error[0] == '\0')
			snprintf(last_error, sizeof(last_error), "%s",
			    curl_easy_strerror(cc));
		r = cc == CURLE_WRITE_ERROR ? KYSO_ERR_TOO_LARGE : KYSO_ERR_IO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	*resp = json_loadb((const char *)buf_ptr(body), buf_len(body), 0, NULL);
	r = 0;
out:
	curl_slist_free_all(hdr);
	if (c != NULL)
		curl_easy_cleanup(c);
	buf_free(body);
	if (text != NULL) {
		/* The request may carry an activation code or an OTP. */
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	return r;
}
