#include "http.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#define HTTP_RESPONSE_CAP (1024 * 1024) /* a JSON answer */
#define HTTP_TIMEOUT_S	  30L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready; /* written once, under curl_once */

/* http_post_json's callers read their error back with http_last_error():
 * one per thread, so two threads' calls do not mix their words. */
static _Thread_local struct http_error last_error;

/* curl_global_init is not thread-safe and must run before any handle:
 * once per process, whichever thread asks first. */
static void
curl_setup(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

/* curl's write callback: appends to the capped answer. */
static size_t
on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	if (n != 0 && size > SIZE_MAX / n)
		return 0;
	/* A short count makes curl stop: the answer was too large. */
	return buf_put(b, p, size * n) == 0 ? size * n : 0;
}

/* Adds "name: value" to the header list; NULL value: nothing to add. */
static int
add_header(struct curl_slist **hdr, const char *name, const char *value)
{
	struct curl_slist *l;
	char h[256];

	if (value == NULL)
		return 0;
	if (snprintf(h, sizeof(h), "%s: %s", name, value) >= (int)sizeof(h))
		return KYSO_ERR_INVALID;
	l = curl_slist_append(*hdr, h);
	OPENSSL_cleanse(h, sizeof(h));
	if (l == NULL)
		return KYSO_ERR_NOMEM;
	*hdr = l;
	return 0;
}

/* curl's many codes folded into the few a person can act on. */
static enum http_fail
fail_kind(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK: return HTTP_FAIL_NONE;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT: return HTTP_FAIL_UNREACHABLE;
	case CURLE_OPERATION_TIMEDOUT: return HTTP_FAIL_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR: return HTTP_FAIL_UNTRUSTED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER: return HTTP_FAIL_TLS;
	default: return HTTP_FAIL_OTHER;
	}
}

/* The one place kyso talks HTTP: every exchange gets the same limits
 * (protocols, no redirects, timeout, cap) whoever asks. */
int
http_send(const struct http_req *q, const struct http_opts *o, long *status,
    struct buf **out, struct http_error *e)
{
	struct curl_slist *hdr = NULL;
	struct buf *body = NULL;
	char errbuf[CURL_ERROR_SIZE];
	CURL *c = NULL;
	CURLcode cc = CURLE_OK;
	long st = 0;
	int r = KYSO_ERR_INTERNAL;

	errbuf[0] = '\0';
	if (pthread_once(&curl_once, curl_setup) != 0 || !curl_ready)
		goto out;
	if ((body = buf_new(q->cap)) == NULL || (c = curl_easy_init()) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = add_header(&hdr, "Content-Type", q->ctype)) != 0 ||
	    (r = add_header(&hdr, "Accept", q->accept)) != 0)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, q->url);
	if (hdr != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	if (q->ctype != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->len);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT,
	    o != NULL && o->timeout_s > 0 ? o->timeout_s : HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	if (o != NULL && o->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	if ((cc = curl_easy_perform(c)) != CURLE_OK) {
		if (errbuf[0] == '\0')
			snprintf(errbuf, sizeof(errbuf), "%s",
			    curl_easy_strerror(cc));
		r = cc == CURLE_WRITE_ERROR ? KYSO_ERR_TOO_LARGE : KYSO_ERR_IO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	*status = st;
	*out = body;
	body = NULL;
	r = 0;
out:
	if (e != NULL) {
		snprintf(e->text, sizeof(e->text), "%s", errbuf);
		e->kind = r == 0     ? HTTP_FAIL_NONE
		    : cc != CURLE_OK ? fail_kind(cc)
				     : HTTP_FAIL_OTHER;
	}
	curl_slist_free_all(hdr);
	if (c != NULL)
		curl_easy_cleanup(c);
	buf_free(body);
	return r;
}

/* Time-stamps, OCSP and CRLs: only a 200 answer is one. */
int
http_fetch(const char *url, const char *ctype, const void *body, size_t n,
    size_t cap, struct buf **out)
{
	struct http_req q = { url, ctype, body, n, NULL, cap };
	struct buf *resp = NULL;
	long status = 0;
	int r;

	if ((r = http_send(&q, NULL, &status, &resp, NULL)) != 0)
		return r == KYSO_ERR_TOO_LARGE ? KYSO_ERR_IO : r;
	if (status != 200) {
		buf_free(resp);
		return KYSO_ERR_INVALID;
	}
	*out = resp;
	return 0;
}

/* The RA's API: JSON both ways; the request may carry an activation code
 * or an OTP, so its text is wiped. */
int
http_send_json(const char *url, const struct http_opts *o, json_t *req,
    long *status, json_t **resp, struct http_error *e)
{
	struct http_req q = { url, "application/json", NULL, 0,
		"application/json", HTTP_RESPONSE_CAP };
	struct buf *body = NULL;
	char *text = NULL;
	long st = 0;
	int r = KYSO_ERR_NOMEM;

	if (e != NULL) {
		e->text[0] = '\0';
		e->kind = HTTP_FAIL_NONE;
	}
	if ((text = json_dumps(req, JSON_COMPACT)) == NULL)
		goto out;
	q.body = text;
	q.len = strlen(text);
	if ((r = http_send(&q, o, &st, &body, e)) != 0)
		goto out;
	*resp = json_loadb((const char *)buf_ptr(body), buf_len(body), 0, NULL);
	*status = st;
	r = 0;
out:
	buf_free(body);
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	return r;
}

/* The older call: the error stays for http_last_error() on this thread. */
int
http_post_json(const char *url, const struct http_opts *o, json_t *req,
    long *status, json_t **resp)
{
	return http_send_json(url, o, req, status, resp, &last_error);
}

/* The calling thread's last http_post_json transport error. */
const char *
http_last_error(void)
{
	return last_error.text;
}

enum http_fail
http_last_fail(void)
{
	return last_error.kind;
}
