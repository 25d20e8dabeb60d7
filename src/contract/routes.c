/* The route table: every page the server answers, who may call it and
 * its handler; the dispatcher in front of it sets the language, finds the
 * session, checks the CSRF token of every POST and answers 405 on a
 * known path called with a wrong method. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "pages.h"

enum who {
	PUBLIC, /* anyone */
	USER,	/* a signed-in account */
};

static const struct route {
	const char *method;
	const char *pattern; /* '*' is one path segment (not empty) */
	enum who who;
	page_handler fn;
} routes[] = {
	{ "GET", "/", PUBLIC, h_root },
	{ "GET", "/healthz", PUBLIC, h_healthz },
	{ "GET", "/login", PUBLIC, h_login_form },
	{ "POST", "/login", PUBLIC, h_login },
	{ "POST", "/logout", USER, h_logout },
	{ "GET", "/lang/*", PUBLIC, h_lang },
	{ "GET", "/static/*", PUBLIC, h_static },
	{ "GET", "/verify", PUBLIC, h_verify_form },
	{ "POST", "/verify", PUBLIC, h_verify },
	{ "GET", "/plugin", PUBLIC, h_plugin },
	{ "GET", "/documents", USER, h_docs },
	{ "POST", "/documents", USER, h_create },
	{ "GET", "/documents/new", USER, h_new },
	{ "POST", "/documents/reject", USER, h_reject_many },
	{ "GET", "/documents/*", USER, h_doc },
	{ "GET", "/documents/*/pdf", USER, h_pdf },
	{ "GET", "/documents/*/audit.json", USER, h_audit_json },
	{ "GET", "/documents/*/audit.pdf", USER, h_audit_pdf },
	{ "GET", "/documents/*/page/*", USER, h_page },
	{ "POST", "/documents/*/stamp", USER, h_stamp },
	{ "POST", "/documents/*/reject", USER, h_reject },
	{ "POST", "/documents/*/signed", USER, h_signed },
	{ "GET", "/account", USER, h_account },
	{ "POST", "/account", USER, h_account_save },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Does path match pat? Copies each '*' segment into c->part. */
static int
match(const char *pat, const char *path, struct ctx *c)
{
	size_t n = 0, k;

	while (*pat != '\0') {
		if (*pat != '*') {
			if (*pat++ != *path++)
				return 0;
			continue;
		}
		k = strcspn(path, "/");
		if (k == 0 || k >= sizeof(c->part[0]) || n == 2)
			return 0;
		memcpy(c->part[n], path, k);
		c->part[n++][k] = '\0';
		path += k;
		pat++;
	}
	return *path == '\0';
}

/* The caller's session: the cookie's token is kept hashed, so a copy of
 * the database opens no session. */
static void
load_session(struct ctx *c)
{
	const char *tok = web_cookie(c->rq, "kc_session");
	struct q *st = NULL;
	char hex[65];

	if (tok == NULL || strlen(tok) != 64 || sha256_hex(tok, 64, hex) != 0)
		return;
	if (q_prepare(c->a->db,
		"SELECT a.id, a.org_id, a.admin, a.email, s.csrf, a.identity,"
		" a.sign_method FROM sessions s JOIN accounts a"
		" ON a.id = s.account_id WHERE s.token_hash = ?"
		" AND s.expires_at > ?",
		&st) != 0)
		return;
	q_bind_text(st, 1, hex);
	q_bind_int(st, 2, store_now());
	if (q_step(st) == Q_ROW) {
		c->account = q_col_int(st, 0);
		c->org = q_col_int(st, 1);
		c->admin = q_col_i32(st, 2);
		snprintf(c->email, sizeof(c->email), "%s",
		    (const char *)q_col(st, 3));
		snprintf(c->csrf, sizeof(c->csrf), "%s",
		    (const char *)q_col(st, 4));
		snprintf(c->identity, sizeof(c->identity), "%s",
		    (const char *)q_col(st, 5));
		snprintf(c->sign_method, sizeof(c->sign_method), "%s",
		    (const char *)q_col(st, 6));
	}
	q_finalize(st);
}

/* The session's CSRF token, compared in constant time. */
static int
csrf_ok(struct ctx *c)
{
	const char *t = web_field(c->rq, "csrf");

	return t != NULL && strlen(t) == 64 && c->csrf[0] != '\0' &&
	    crypto_equal(t, c->csrf, 64);
}

/* Vietnamese unless the "lang" cookie says English: gettext follows the
 * thread's locale (uselocale), so each request has its own. */
static void
set_language(struct ctx *c)
{
	static locale_t vi, en;
	const char *l = web_cookie(c->rq, "lang");

	if (vi == (locale_t)0)
		vi = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, "vi_VN.UTF-8",
		    (locale_t)0);
	if (en == (locale_t)0)
		en = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, "C.UTF-8",
		    (locale_t)0);
	if (l != NULL && strcmp(l, "en") == 0) {
		if (en != (locale_t)0)
			uselocale(en);
	} else if (vi != (locale_t)0) {
		uselocale(vi);
	}
}

/* The one web handler: route, caller, CSRF, then the page's handler. */
void
dispatch(void *ud, struct web_req *rq, struct web_resp *rs)
{
	static const char *const allow_of[] = { "", "GET", "POST", "GET, POST" };
	struct ctx c = { .a = ud, .rq = rq, .rs = rs };
	const struct route *rt = NULL;
	unsigned allow = 0;
	size_t i;

	rs->status = 0; /* handlers set it; page_begin makes 0 a 200 */
	set_language(&c);
	if ((c.out = buf_new(64u << 20)) == NULL) {
		rs->status = 500;
		return;
	}
	for (i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, web_path(rq), &c))
			continue;
		if (strcmp(routes[i].method, web_method(rq)) == 0) {
			rt = &routes[i];
			break;
		}
		allow |= strcmp(routes[i].method, "GET") == 0 ? 1 : 2;
	}
	if (rt == NULL && allow != 0) {
		rs->allow = allow_of[allow];
		page_error(&c, 405, _("Method not allowed."));
		goto out;
	}
	if (rt == NULL) {
		page_error(&c, 404, _("Not found."));
		goto out;
	}
	load_session(&c);
	if (rt->who == USER && c.account == 0) {
		if (strcmp(rt->method, "GET") == 0)
			redirect(&c, "/login");
		else
			page_error(&c, 403, _("Please sign in."));
		goto out;
	}
	if (rt->who == USER && strcmp(rt->method, "POST") == 0 && !csrf_ok(&c)) {
		page_error(&c, 403,
		    _("The form has expired or did not come from this site. "
		      "Open the page again."));
		goto out;
	}
	rt->fn(&c);
out:
	if (c.err) {
		buf_reset(c.out);
		rs->status = 500;
		rs->content_type = "text/plain; charset=utf-8";
	}
	if (rs->body == NULL) {
		rs->body = c.out;
		c.out = NULL;
	}
	buf_free(c.out);
	uselocale(LC_GLOBAL_LOCALE);
}
