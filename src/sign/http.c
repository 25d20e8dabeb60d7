#include "http.h"

#include <stdio.h>

#include <curl/curl.h>

static size_t
on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;

	if (nmemb != 0 && size > SIZE_MAX / nmemb)
		return 0;
	if (buf_put(b, p, size * nmemb) != 0)
		return 0;   /* past the cap: curl stops with an error */
	return size * nmemb;
}

int
http_fetch(const char *url, const char *ctype, const void *body, size_t n,
    size_t cap, struct buf **out)
{
	struct curl_slist *hdr = NULL;
	struct buf *resp = buf_new(cap);
	CURL *c = NULL;
	char h[128];
	long status = 0;
	int r = KYSO_ERR_NOMEM;

	if (resp == NULL || (c = curl_easy_init()) == NULL)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (ctype != NULL) {
		snprintf(h, sizeof(h), "Content-Type: %s", ctype);
		if ((hdr = curl_slist_append(NULL, h)) == NULL)
			goto out;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)n);
	}
	r = KYSO_ERR_IO;
	if (curl_easy_perform(c) != CURLE_OK)
		goto out;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	*out = resp;
	resp = NULL;
	r = 0;
out:
	buf_free(resp);
	curl_slist_free_all(hdr);
	if (c != NULL)
		curl_easy_cleanup(c);
	return r;
}
