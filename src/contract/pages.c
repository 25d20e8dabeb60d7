/* The HTML writer, sign-in, language, static files, the account page,
 * the plugin page and the public verification page. Every value that
 * came from a person or a file goes through out_esc. */
#include "pages.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/crypto.h"
#include "common/fsutil.h"
#include "sign/kyso_sign.h"

/* Appends formatted text; a failure is remembered in c->err. */
void
out(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	char small[1024], *p = small;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->err = 1;
		return;
	}
	if ((size_t)n >= sizeof(small)) {
		if ((p = malloc((size_t)n + 1)) == NULL) {
			c->err = 1;
			return;
		}
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (buf_put(c->out, p, (size_t)n) != 0)
		c->err = 1;
	if (p != small)
		free(p);
}

/* Text from people and files is escaped for HTML, attributes included. */
void
out_esc(struct ctx *c, const char *s)
{
	const char *rep;
	size_t k;

	while (s != NULL && *s != '\0') {
		k = strcspn(s, "&<>\"'");
		if (k != 0 && buf_put(c->out, s, k) != 0)
			c->err = 1;
		s += k;
		if (*s == '\0')
			break;
		switch (*s++) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		default: rep = "&#39;"; break;
		}
		out(c, "%s", rep);
	}
}

/* The hidden field every form carries. */
void
out_csrf(struct ctx *c)
{
	out(c, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", c->csrf);
}

/* The frame of every page: the clerk's menu, the language switch and
 * the sign-out button (a form: a POST with the CSRF token). */
void
page_begin(struct ctx *c, const char *title)
{
	c->rs->status = c->rs->status ? c->rs->status : 200;
	c->rs->content_type = "text/html; charset=utf-8";
	out(c,
	    "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
	    "<meta charset=\"utf-8\"><title>",
	    strcmp(_("en"), "vi") == 0 ? "vi" : "en");
	out_esc(c, title);
	out(c,
	    " — kyso</title><link rel=\"stylesheet\" "
	    "href=\"/static/contract.css\">"
	    "<script type=\"module\" src=\"/static/contract.js\"></script>"
	    "</head><body data-agent-port=\"%u\" data-csrf=\"%s\" "
	    "data-level=\"%s\" data-identity=\"",
	    (unsigned)c->a->agent_port, c->csrf,
	    c->a->require_lt ? "B-LT" : "B-T");
	out_esc(c, c->identity);
	out(c,
	    "\" data-none=\"%s\" data-signing=\"%s\" data-signed=\"%s\">"
	    "<header><nav>",
	    _("kyso-agent does not answer on this computer."),
	    _("Signing on the token..."), _("Signed"));
	out(c, "<a href=\"/documents\">%s</a> ", _("Documents"));
	out(c, "<a href=\"/documents/new\">%s</a> ", _("New contract"));
	out(c, "<a href=\"/account\">%s</a> ", _("Account"));
	out(c, "<a href=\"/plugin\">%s</a> ", _("Signing plugin"));
	out(c, "<a href=\"/verify\">%s</a> ", _("Verify"));
	out(c,
	    "<span class=\"lang\"><a href=\"/lang/vi\" lang=\"vi\" "
	    "title=\"Tiếng Việt\">VI</a> | <a href=\"/lang/en\" "
	    "lang=\"en\" title=\"English\">EN</a></span>");
	if (c->account != 0) {
		out(c, " <span class=\"who\">");
		out_esc(c, c->email);
		out(c,
		    "</span><form method=\"post\" action=\"/logout\" "
		    "class=\"inline\">");
		out_csrf(c);
		out(c, "<button>%s</button></form>", _("Sign out"));
	}
	out(c, "</nav></header><main><h1>");
	out_esc(c, title);
	out(c, "</h1>\n");
}

/* Closes what page_begin opened. */
void
page_end(struct ctx *c)
{
	out(c, "</main></body></html>\n");
}

/* A whole page saying what went wrong, with its status. */
void
page_error(struct ctx *c, int status, const char *msg)
{
	c->rs->status = status;
	page_begin(c, _("Error"));
	out(c, "<p class=\"error\">");
	out_esc(c, msg);
	out(c, "</p>");
	page_end(c);
}

/* 303 after a POST, so a reload does not post again. */
void
redirect(struct ctx *c, const char *to)
{
	c->rs->status = 303;
	c->rs->location = to;
}

/* A cookie for the caller: HttpOnly, SameSite=Strict, Secure behind
 * TLS (--secure-cookies). */
static void
set_cookie(struct ctx *c, int i, const char *name, const char *val, long max_age)
{
	char *s = NULL;

	if (asprintf(&s,
		"%s=%s; Path=/; HttpOnly; SameSite=Strict; "
		"Max-Age=%ld%s",
		name, val, max_age, c->a->secure_cookies ? "; Secure" : "") < 0) {
		c->err = 1;
		return;
	}
	free(c->rs->cookie[i]);
	c->rs->cookie[i] = s;
}

/* A fresh token in a cookie and in the form (see pages.h). */
int
pre_csrf_set(struct ctx *c)
{
	int r;

	if ((r = random_hex(32, c->csrf)) != 0)
		return r;
	set_cookie(c, 1, "kc_csrf", c->csrf, 3600);
	return 0;
}

/* The form's token equals the cookie's (constant time). */
int
pre_csrf_ok(struct ctx *c)
{
	const char *f = web_field(c->rq, "csrf"),
		   *k = web_cookie(c->rq, "kc_csrf");

	return f != NULL && k != NULL && strlen(f) == 64 && strlen(k) == 64 &&
	    crypto_equal(f, k, 64);
}

/* For proxies and tests: the server answers. */
void
h_healthz(struct ctx *c)
{
	c->rs->status = 200;
	c->rs->content_type = "text/plain; charset=utf-8";
	out(c, "ok\n");
}

/* The list, or the sign-in page when there is no session. */
void
h_root(struct ctx *c)
{
	redirect(c, "/documents");
}

/* The language switch: a cookie, then back to the list. */
void
h_lang(struct ctx *c)
{
	if (strcmp(c->part[0], "en") != 0 && strcmp(c->part[0], "vi") != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	set_cookie(c, 0, "lang", c->part[0], 31536000);
	redirect(c, "/documents");
}

/* The two files the pages load; nothing else is served from disk. */
void
h_static(struct ctx *c)
{
	static const struct {
		const char *name, *type;
	} files[] = { { "contract.js", "text/javascript; charset=utf-8" },
		{ "kyso-plugin.js", "text/javascript; charset=utf-8" },
		{ "contract.css", "text/css; charset=utf-8" } };
	struct buf *b = NULL;
	char *dir = NULL, *p = NULL;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(c->part[0], files[i].name) == 0)
			break;
	if (i == sizeof(files) / sizeof(files[0])) {
		page_error(c, 404, _("Not found."));
		return;
	}
	/* Installed, all three in one folder; in the build tree the page's
	 * module comes from js/ (kyso-agent's, shared with every site). */
	if (access(KYSO_CONTRACT_STATIC, R_OK) == 0)
		dir = KYSO_CONTRACT_STATIC;
	else if (strcmp(files[i].name, "kyso-plugin.js") == 0)
		dir = KYSO_CONTRACT_PLUGIN_SRC;
	else
		dir = KYSO_CONTRACT_STATIC_SRC;
	if ((p = path_join(dir, files[i].name)) == NULL ||
	    file_read(p, 1 << 20, &b) != 0) {
		free(p);
		page_error(c, 404, _("Not found."));
		return;
	}
	free(p);
	c->rs->status = 200;
	c->rs->content_type = files[i].type;
	c->rs->body = b;
}

/* The sign-in form, with a new pre-session CSRF token each time. */
static void
login_page(struct ctx *c, int status, const char *msg)
{
	if (pre_csrf_set(c) != 0) {
		c->err = 1;
		return;
	}
	c->rs->status = status;
	page_begin(c, _("Sign in"));
	if (msg != NULL) {
		out(c, "<p class=\"error\">");
		out_esc(c, msg);
		out(c, "</p>");
	}
	out(c, "<form method=\"post\" action=\"/login\">");
	out_csrf(c);
	out(c,
	    "<label>%s <input type=\"email\" name=\"email\" required "
	    "autocomplete=\"username\"></label>"
	    "<label>%s <input type=\"password\" name=\"password\" required "
	    "autocomplete=\"current-password\"></label>"
	    "<button>%s</button></form>",
	    _("E-mail"), _("Password"), _("Sign in"));
	page_end(c);
}

/* GET /login. */
void
h_login_form(struct ctx *c)
{
	login_page(c, 200, NULL);
}

/* Failed sign-ins in the window, by e-mail and by address. */
static int
login_fails(struct ctx *c, const char *email)
{
	struct q *st = NULL;
	int n = LOGIN_FAILS_MAX;

	if (q_prepare(c->a->db,
		"SELECT (SELECT count(*) FROM login_fails WHERE key = ?1"
		" AND at > ?3), (SELECT count(*) FROM login_fails WHERE"
		" key = ?2 AND at > ?3)",
		&st) != 0)
		return n;
	q_bind_text(st, 1, email);
	q_bind_text(st, 2, web_remote(c->rq));
	q_bind_int(st, 3, store_now() - LOGIN_WINDOW);
	if (q_step(st) == Q_ROW)
		n = q_col_i32(st, 0) > q_col_i32(st, 1) ? q_col_i32(st, 0)
							: q_col_i32(st, 1);
	q_finalize(st);
	return n;
}

/* Counts a failure against the e-mail and against the address. */
static void
login_failed(struct ctx *c, const char *email)
{
	struct q *st = NULL;

	if (q_prepare(c->a->db,
		"INSERT INTO login_fails(key, at) VALUES(?1, ?3), (?2, ?3)",
		&st) != 0)
		return;
	q_bind_text(st, 1, email);
	q_bind_text(st, 2, web_remote(c->rq));
	q_bind_int(st, 3, store_now());
	(void)q_step(st);
	q_finalize(st);
}

/* Starts a session: a random token in the cookie, its hash stored. */
static int
session_start(struct ctx *c, int64_t account)
{
	struct q *st = NULL;
	char tok[65], hex[65], csrf[65];
	int r;

	if ((r = random_hex(32, tok)) != 0 || (r = random_hex(32, csrf)) != 0 ||
	    (r = sha256_hex(tok, 64, hex)) != 0)
		goto out;
	r = KYSO_ERR_IO;
	if (q_prepare(c->a->db,
		"INSERT INTO sessions(token_hash, account_id, csrf, expires_at)"
		" VALUES(?,?,?,?)",
		&st) != 0)
		goto out;
	q_bind_text(st, 1, hex);
	q_bind_int(st, 2, account);
	q_bind_text(st, 3, csrf);
	q_bind_int(st, 4, store_now() + SESSION_TTL);
	if (q_step(st) != Q_DONE)
		goto out;
	set_cookie(c, 0, "kc_session", tok, SESSION_TTL);
	r = 0;
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	q_finalize(st);
	return r;
}

/* Throttled by e-mail and by address before any hashing is done. */
void
h_login(struct ctx *c)
{
	const char *email = web_field(c->rq, "email"),
		   *pw = web_field(c->rq, "password");
	struct q *st = NULL;
	int64_t id = 0;
	int ok = 0;

	if (!pre_csrf_ok(c)) {
		login_page(c, 403, _("The form has expired. Please try again."));
		return;
	}
	if (email == NULL || pw == NULL) {
		login_page(c, 400, _("Enter your e-mail and password."));
		return;
	}
	if (login_fails(c, email) >= LOGIN_FAILS_MAX) {
		login_page(c, 429,
		    _("Too many failed attempts. Try again in 15 minutes."));
		return;
	}
	if (q_prepare(c->a->db,
		"SELECT id, pwhash FROM accounts WHERE lower(email) = lower(?)",
		&st) != 0) {
		c->err = 1;
		return;
	}
	q_bind_text(st, 1, email);
	if (q_step(st) == Q_ROW) {
		id = q_col_int(st, 0);
		ok = password_ok((const char *)q_col(st, 1), pw);
	} else {
		password_dummy(pw); /* an unknown e-mail takes as long */
	}
	q_finalize(st);
	if (!ok) {
		login_failed(c, email);
		if (audit_append(c->a->db, NULL, email, web_remote(c->rq),
			"login-failed", "") != 0)
			c->err = 1;
		login_page(c, 401, _("Wrong e-mail or password."));
		return;
	}
	if (session_start(c, id) != 0 ||
	    audit_append(c->a->db, NULL, email, web_remote(c->rq), "login",
		"") != 0) {
		c->err = 1;
		return;
	}
	redirect(c, "/documents");
}

/* Ends this session only (others of the account stay). */
void
h_logout(struct ctx *c)
{
	struct q *st = NULL;

	if (q_prepare(c->a->db,
		"DELETE FROM sessions WHERE account_id = ? AND csrf = ?",
		&st) == 0) {
		q_bind_int(st, 1, c->account);
		q_bind_text(st, 2, c->csrf);
		(void)q_step(st);
	}
	q_finalize(st);
	set_cookie(c, 0, "kc_session", "", 0);
	redirect(c, "/login");
}

/* The seed's signing methods: only the USB token is available here. */
void
h_account(struct ctx *c)
{
	const char *id = c->identity, *colon = strchr(id, ':');
	int usb = strcmp(c->sign_method, "usb_token") == 0;

	page_begin(c, _("Account"));
	out(c, "<p>");
	out_esc(c, c->email);
	out(c, "</p><form method=\"post\" action=\"/account\">");
	out_csrf(c);
	out(c, "<fieldset><legend>%s</legend>", _("Signing method"));
	out(c,
	    "<label><input type=\"radio\" name=\"method\" "
	    "value=\"usb_token\"%s> %s</label>",
	    usb ? " checked" : "", _("USB Token digital signature"));
	out(c,
	    "<label class=\"off\"><input type=\"radio\" disabled> %s "
	    "(%s)</label>",
	    _("Remote signing"), _("not available"));
	out(c,
	    "<label class=\"off\"><input type=\"radio\" disabled> %s "
	    "(%s)</label></fieldset>",
	    _("Electronic signature with OTP"), _("not available"));
	out(c, "<fieldset><legend>%s</legend><select name=\"id_kind\">",
	    _("Identity the certificate must carry"));
	out(c, "<option value=\"CCCD\"%s>CCCD</option>",
	    strncmp(id, "CCCD:", 5) == 0 ? " selected" : "");
	out(c, "<option value=\"MST\"%s>MST</option>",
	    strncmp(id, "MST:", 4) == 0 ? " selected" : "");
	out(c, "<option value=\"EMAIL\"%s>E-mail</option></select>",
	    strncmp(id, "EMAIL:", 6) == 0 ? " selected" : "");
	out(c, "<input name=\"id_value\" value=\"");
	out_esc(c, colon != NULL ? colon + 1 : "");
	out(c, "\"></fieldset><button>%s</button></form>", _("Save"));
	page_end(c);
}

/* CCCD: 12 digits; MST: 10 digits, or 10-3 for a branch; e-mail: one @. */
static int
identity_ok(const char *kind, const char *v)
{
	size_t n = strlen(v);

	if (strcmp(kind, "CCCD") == 0)
		return n == 12 && strspn(v, "0123456789") == 12;
	if (strcmp(kind, "MST") == 0)
		return (n == 10 && strspn(v, "0123456789") == 10) ||
		    (n == 14 && strspn(v, "0123456789") == 10 && v[10] == '-' &&
			strspn(v + 11, "0123456789") == 3);
	if (strcmp(kind, "EMAIL") == 0)
		return n > 2 && n < 50 && strchr(v, '@') != NULL &&
		    strpbrk(v, " <>\"'&") == NULL;
	return 0;
}

/* Only the USB token method can be chosen; the identity is checked
 * by its kind and stored as the certificate carries it ("CCCD:..."). */
void
h_account_save(struct ctx *c)
{
	const char *m = web_field(c->rq, "method"),
		   *k = web_field(c->rq, "id_kind"),
		   *v = web_field(c->rq, "id_value");
	struct q *st = NULL;
	char ident[64];

	if (m == NULL || strcmp(m, "usb_token") != 0 || k == NULL ||
	    v == NULL || !identity_ok(k, v)) {
		page_error(c, 400,
		    _("Choose \"USB Token digital signature\" and enter a valid "
		      "CCCD (12 digits), MST (10 digits) or e-mail."));
		return;
	}
	snprintf(ident, sizeof(ident), "%s:%s", k, v);
	if (q_prepare(c->a->db,
		"UPDATE accounts SET sign_method = 'usb_token', identity = ?"
		" WHERE id = ?",
		&st) != 0) {
		c->err = 1;
		return;
	}
	q_bind_text(st, 1, ident);
	q_bind_int(st, 2, c->account);
	if (q_step(st) != Q_DONE ||
	    audit_append(c->a->db, NULL, c->email, web_remote(c->rq), "account",
		ident) != 0)
		c->err = 1;
	q_finalize(st);
	redirect(c, "/account");
}

/* Seed 003 steps 1-2: whether kyso-agent answers is found by the page's
 * script (static/contract.js); without it the page says how to get it. */
void
h_plugin(struct ctx *c)
{
	page_begin(c, _("Signing plugin"));
	out(c, "<p id=\"agent-status\" data-none=\"%s\" data-ok=\"%s\">%s</p>",
	    _("kyso-agent does not answer on this computer."),
	    _("kyso-agent answers, version"), _("Looking for kyso-agent..."));
	out(c, "<h2>%s</h2><ol><li>%s</li><li>%s</li><li>%s</li></ol>",
	    _("Installing kyso-agent"),
	    _("Install the kyso package for your system (Debian: kyso-agent; "
	      "or build kyso from source: cmake, then make install)."),
	    _("Start it: kyso-agent serve (it listens on 127.0.0.1 only)."),
	    _("Plug in your USB token and reload this page."));
	page_end(c);
}

/* The public verification form (no account needed). */
void
h_verify_form(struct ctx *c)
{
	if (pre_csrf_set(c) != 0) {
		c->err = 1;
		return;
	}
	page_begin(c, _("Verify a signed PDF"));
	out(c,
	    "<form method=\"post\" action=\"/verify\" "
	    "enctype=\"multipart/form-data\">");
	out_csrf(c);
	out(c,
	    "<input type=\"file\" name=\"pdf\" accept=\"application/pdf\" "
	    "required><button>%s</button></form>",
	    _("Verify"));
	page_end(c);
}

/* The verdict per signature, the verifier's own (ETSI EN 319 102-1, as
 * kyso-sign verify reports it). */
static const char *
verdict(const struct sig_report *s)
{
	return sig_verdict_word(s->verdict);
}

/* Writes the upload to a private temp file and runs the verifier. */
int
verify_bytes(struct app *a, const struct buf *pdf, int online,
    struct sig_report **rep, size_t *n, const char **why)
{
	char name[33], *tmpdir = NULL, *path = NULL;
	struct verify_opts vo = { a->trust, online };
	int r = KYSO_ERR_NOMEM;

	if ((r = random_hex(16, name)) != 0)
		return r;
	if ((tmpdir = path_join(a->dir, "tmp")) == NULL ||
	    (path = path_join(tmpdir, name)) == NULL)
		goto out;
	if ((r = file_write_atomic(path, buf_ptr(pdf), buf_len(pdf), 0600)) != 0)
		goto out;
	r = verify_pdf_file(path, &vo, rep, n, why);
	unlink(path);
out:
	free(path);
	free(tmpdir);
	return r;
}

/* Any signed PDF through libkysosign's verifier, one row per signature. */
void
h_verify(struct ctx *c)
{
	const struct buf *pdf = web_file(c->rq, "pdf");
	struct sig_report *rep = NULL;
	const char *why = NULL;
	size_t n = 0, i;

	if (!pre_csrf_ok(c)) {
		page_error(c, 403, _("The form has expired. Please try again."));
		return;
	}
	if (pdf == NULL || buf_len(pdf) == 0) {
		page_error(c, 400, _("Choose a PDF file."));
		return;
	}
	if (verify_bytes(c->a, pdf, 0, &rep, &n, &why) != 0) {
		c->rs->status = 422;
		page_begin(c, _("Verification"));
		out(c, "<p class=\"error\">%s ",
		    _("This is not a readable PDF:"));
		out_esc(c, why != NULL ? why : "");
		out(c, "</p>");
		page_end(c);
		return;
	}
	page_begin(c, _("Verification"));
	if (n == 0)
		out(c, "<p>%s</p>", _("The document carries no signature."));
	out(c,
	    "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th></tr>",
	    _("Result"), _("Signer"), _("Time"), _("Time-stamp"), _("Level"),
	    _("Notes"));
	for (i = 0; i < n; i++) {
		/* The class is the verifier's word, the text the reader's. */
		out(c, "<tr><td class=\"%s\">%s</td><td>", verdict(&rep[i]),
		    _(verdict(&rep[i])));
		out_esc(c, rep[i].signer);
		out(c, "</td><td>");
		out_esc(c, rep[i].claimed_time);
		out(c, "</td><td>");
		out_esc(c, rep[i].ts_time != NULL ? rep[i].ts_time : "-");
		out(c, "</td><td>");
		out_esc(c, rep[i].level);
		out(c, "</td><td>");
		/* Why it is not VALID, in the reader's language. */
		out_esc(c,
		    rep[i].problem != NULL	     ? _(rep[i].problem)
			: rep[i].verdict_why != NULL ? _(rep[i].verdict_why)
						     : "");
		if (rep[i].changes == CHANGES_OTHER)
			out(c, " %s",
			    _("Content was changed after this "
			      "signature."));
		out(c, "</td></tr>");
	}
	out(c, "</table>");
	page_end(c);
	sig_reports_free(rep, n);
}
