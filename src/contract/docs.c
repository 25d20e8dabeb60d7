/* The documents: the clerk's list, creating a contract, its page, the
 * download, the audit trail as JSON, rejecting one or many. Every query
 * of a document by id goes through doc_load, which finds only what the
 * caller may see (their organisation's, or one they sign): anything else
 * is 404, as if it did not exist. */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "common/mail.h"
#include "common/parse.h"
#include "sign/pdf/pdf.h"
#include "sign/pdf/pdf_crypt.h"

struct doc {
	char id[33];
	char title[CONTRACT_TITLE_MAX * 4 + 1];
	char state[16];
	char sha256[65];
	int ordered;
	int64_t owner, created;
	char owner_email[256];
};

/* Loads the document c->part[0] if the caller may see it. */
static int
doc_load(struct ctx *c, struct doc *d)
{
	struct q *st = NULL;
	int r = KYSO_ERR_NOT_FOUND;

	if (strlen(c->part[0]) != 32 ||
	    strspn(c->part[0], "0123456789abcdef") != 32)
		return r;
	if (q_prepare(c->a->db,
		"SELECT d.id, d.title, d.state, d.sha256, d.ordered, d.owner_id,"
		" d.created_at, a.email FROM documents d JOIN accounts a"
		" ON a.id = d.owner_id WHERE d.id = ?1 AND (d.org_id = ?2 OR"
		" EXISTS (SELECT 1 FROM signers s WHERE s.doc_id = d.id AND"
		" lower(s.email) = lower(?3)))",
		&st) != 0)
		return KYSO_ERR_IO;
	q_bind_text(st, 1, c->part[0]);
	q_bind_int(st, 2, c->org);
	q_bind_text(st, 3, c->email);
	if (q_step(st) == Q_ROW) {
		snprintf(d->id, sizeof(d->id), "%s", q_col(st, 0));
		snprintf(d->title, sizeof(d->title), "%s", q_col(st, 1));
		snprintf(d->state, sizeof(d->state), "%s", q_col(st, 2));
		snprintf(d->sha256, sizeof(d->sha256), "%s", q_col(st, 3));
		d->ordered = q_col_i32(st, 4);
		d->owner = q_col_int(st, 5);
		d->created = q_col_int(st, 6);
		snprintf(d->owner_email, sizeof(d->owner_email), "%s",
		    q_col(st, 7));
		r = 0;
	}
	q_finalize(st);
	return r;
}

/* doc_load for the other files, which need only the hash. */
int
doc_visible(struct ctx *c, char sha256[65])
{
	struct doc d;
	int r;

	if ((r = doc_load(c, &d)) != 0)
		return r;
	memcpy(sha256, d.sha256, sizeof(d.sha256));
	return 0;
}

/* The caller's own state on a waiting document: 1 when it is their turn
 * (a pending signer, and in an ordered contract nobody pending before). */
int
doc_my_turn(struct ctx *c, const char *doc)
{
	struct q *st = NULL;
	int turn = 0;

	if (q_prepare(c->a->db,
		"SELECT 1 FROM signers s JOIN documents d ON d.id = s.doc_id"
		" WHERE s.doc_id = ?1 AND lower(s.email) = lower(?2)"
		" AND s.state = 'waiting' AND d.state = 'waiting' AND (d.ordered = 0 OR NOT EXISTS"
		" (SELECT 1 FROM signers p WHERE p.doc_id = s.doc_id AND"
		" p.pos < s.pos AND p.state = 'waiting'))",
		&st) != 0)
		return 0;
	q_bind_text(st, 1, doc);
	q_bind_text(st, 2, c->email);
	turn = q_step(st) == Q_ROW;
	q_finalize(st);
	return turn;
}

/* The data attributes the page's script signs doc with: its title and
 * the caller's stamp (page, "x1,y1,x2,y2" in points). */
static void
out_sign_data(struct ctx *c, const char *doc, const char *title)
{
	struct q *st = NULL;

	out(c, " data-doc=\"%s\" data-title=\"", doc);
	out_esc(c, title);
	out(c, "\"");
	if (q_prepare(c->a->db,
		"SELECT page, x, y, x + w, y + h FROM signers WHERE doc_id = ?"
		" AND lower(email) = lower(?) AND state = 'waiting'",
		&st) != 0)
		return;
	q_bind_text(st, 1, doc);
	q_bind_text(st, 2, c->email);
	if (q_step(st) == Q_ROW)
		out(c, " data-page=\"%d\" data-rect=\"%d,%d,%d,%d\"",
		    q_col_i32(st, 0), q_col_i32(st, 1), q_col_i32(st, 2),
		    q_col_i32(st, 3), q_col_i32(st, 4));
	q_finalize(st);
}

/* The state a clerk reads: waiting for me / for others / completed /
 * rejected. */
const char *
state_text(struct ctx *c, const char *doc, const char *state)
{
	if (strcmp(state, "completed") == 0)
		return _("Completed");
	if (strcmp(state, "rejected") == 0)
		return _("Rejected");
	return doc_my_turn(c, doc) ? _("Waiting for me")
				   : _("Waiting for others");
}

/* A handler's audit row; a failure makes the answer a 500. */
static void
audit(struct ctx *c, const char *doc, const char *action, const char *detail)
{
	if (audit_append(c->a->db, doc, c->email, web_remote(c->rq), action,
		detail) != 0)
		c->err = 1;
}

/* Every document the caller may see, newest first. */
static const char DOCS_SQL[] =
    "SELECT d.id, d.title, d.state, d.created_at FROM documents d"
    " WHERE d.org_id = ?1 OR EXISTS (SELECT 1 FROM signers s"
    " WHERE s.doc_id = d.id AND lower(s.email) = lower(?2))"
    " ORDER BY d.created_at DESC, d.rowid DESC";

/* Whether any document of the list waits for the caller's signature;
 * -1 when the database cannot say. */
static int
any_my_turn(struct ctx *c)
{
	struct q *st = NULL;
	int mine = 0;

	if (q_prepare(c->a->db, DOCS_SQL, &st) != 0)
		return -1;
	q_bind_int(st, 1, c->org);
	q_bind_text(st, 2, c->email);
	while (!mine && q_step(st) == Q_ROW)
		mine = doc_my_turn(c, (const char *)q_col(st, 0));
	q_finalize(st);
	return mine;
}

/* The clerk's list: every document the caller may see, its state for
 * them, the per-row "Ký" and, only when one waits for the caller, the
 * "Ký nhiều" / "Từ chối nhiều" form with a box per row. */
void
h_docs(struct ctx *c)
{
	struct q *st = NULL;
	const char *id, *state;
	int mine, turn;

	page_begin(c, _("Documents"));
	if ((mine = any_my_turn(c)) < 0 ||
	    q_prepare(c->a->db, DOCS_SQL, &st) != 0) {
		c->err = 1;
		return;
	}
	q_bind_int(st, 1, c->org);
	q_bind_text(st, 2, c->email);
	if (mine) {
		out(c,
		    "<form method=\"post\" action=\"/documents/reject\" "
		    "id=\"many\">");
		out_csrf(c);
	}
	out(c, "<table class=\"docs\"><tr>%s<th>%s</th><th>%s</th><th></th></tr>",
	    mine ? "<th></th>" : "", _("Title"), _("State"));
	while (q_step(st) == Q_ROW) {
		id = (const char *)q_col(st, 0);
		state = (const char *)q_col(st, 2);
		turn = doc_my_turn(c, id);
		out(c, "<tr>");
		if (mine) {
			out(c,
			    "<td><input type=\"checkbox\" name=\"id\" "
			    "value=\"%s\"",
			    id);
			if (turn)
				out_sign_data(c, id, (const char *)q_col(st, 1));
			else
				out(c, " disabled");
			out(c, "></td>");
		}
		out(c, "<td><a href=\"/documents/%s\">", id);
		out_esc(c, (const char *)q_col(st, 1));
		out(c, "</a></td><td>%s</td><td>", state_text(c, id, state));
		if (turn)
			out(c,
			    "<a class=\"button sign\" data-doc=\"%s\" "
			    "href=\"/documents/%s\">%s</a>",
			    id, id, _("Sign"));
		out(c, "</td></tr>");
	}
	q_finalize(st);
	if (!mine) {
		/* The results of a "Ký nhiều" that signed the last one stay. */
		out(c,
		    "</table><ul id=\"sign-result\"></ul><p class=\"hint "
		    "none-waiting\">%s</p>",
		    _("No document waits for your signature."));
		page_end(c);
		return;
	}
	out(c,
	    "</table><p><button type=\"button\" class=\"sign-many\" "
	    "disabled>%s</button> <span class=\"sign-why\">%s</span></p>"
	    "<ul id=\"sign-result\"></ul>",
	    _("Sign many"), _("Signing needs kyso-agent (see Signing plugin)."));
	out(c,
	    "<p><label>%s <textarea name=\"reason\" maxlength=\"%d\" "
	    "required></textarea></label><button>%s</button></p></form>",
	    _("Reason"), CONTRACT_REASON_MAX, _("Reject many"));
	page_end(c);
}

/* The form of a new contract (stamp positions typed in for now). */
void
h_new(struct ctx *c)
{
	page_begin(c, _("New contract"));
	out(c,
	    "<form method=\"post\" action=\"/documents\" "
	    "enctype=\"multipart/form-data\">");
	out_csrf(c);
	out(c,
	    "<label>%s <input name=\"title\" maxlength=\"%d\" required>"
	    "</label>",
	    _("Title"), CONTRACT_TITLE_MAX);
	out(c,
	    "<label>%s (%zu MiB) <input type=\"file\" name=\"pdf\" "
	    "accept=\"application/pdf\" required></label>",
	    _("PDF file, at most"), c->a->max_upload >> 20);
	out(c,
	    "<label>%s<br><textarea name=\"signers\" rows=\"4\" required "
	    "placeholder=\"a@example.vn 1 50 50 200 60\"></textarea>"
	    "</label><p class=\"hint\">%s</p>",
	    _("Signers, one per line"),
	    _("Each line: e-mail, then optionally the stamp's page, x, y, "
	      "width and height in PDF points from the page's lower left "
	      "corner."));
	out(c, "<p class=\"hint\">%s</p>",
	    _("After creating, click on the contract's pages to place each "
	      "stamp."));
	out(c,
	    "<label><input type=\"checkbox\" name=\"ordered\" value=\"1\" "
	    "checked> %s</label><button>%s</button></form>",
	    _("Sign in this order"), _("Create"));
	page_end(c);
}

/* A title or a reason: not empty, at most max bytes, no control
 * characters (a newline in a reason is kept). */
static int
text_ok(const char *s, size_t max, int lines)
{
	size_t n = s != NULL ? strlen(s) : 0, i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 &&
		    !(lines && (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')))
			return 0;
	return 1;
}

struct signer {
	char email[256];
	uint64_t page, x, y, w, h;
};

/* Parses the signers' lines; returns the count, or -1. */
static int
parse_signers(const char *text, struct signer *s, size_t max)
{
	char *copy = strdup(text), *line, *save = NULL, *tok, *save2;
	uint64_t *num[5];
	size_t n = 0, k;
	int ok = 0;

	if (copy == NULL)
		return -1;
	for (line = strtok_r(copy, "\r\n", &save); line != NULL;
	     line = strtok_r(NULL, "\r\n", &save)) {
		if ((tok = strtok_r(line, " \t,;", &save2)) == NULL)
			continue;
		if (n == max || strlen(tok) >= sizeof(s[n].email) ||
		    strchr(tok, '@') == NULL || strpbrk(tok, "<>\"'&") != NULL)
			goto out;
		memcpy(s[n].email, tok, strlen(tok) + 1);
		s[n].page = 1, s[n].x = 50, s[n].y = 50, s[n].w = 200,
		s[n].h = 60;
		num[0] = &s[n].page, num[1] = &s[n].x, num[2] = &s[n].y,
		num[3] = &s[n].w, num[4] = &s[n].h;
		for (k = 0; k < 5; k++) {
			if ((tok = strtok_r(NULL, " \t,;", &save2)) == NULL)
				break;
			if (parse_u64(tok, k == 0 || k > 2 ? 1 : 0, 20000,
				num[k]) != 0)
				goto out;
		}
		n++;
	}
	ok = n > 0;
out:
	free(copy);
	return ok ? (int)n : -1;
}

/* Mail to each address (NULL-terminated list); a failure is logged by
 * its absence in the outbox only: the action stands. */
static void
notify(struct ctx *c, const char *const *to, const char *subject, const char *body)
{
	size_t i;

	for (i = 0; to[i] != NULL; i++)
		if (c->a->mail != NULL &&
		    mail_send(c->a->mail, to[i], subject, body) != 0)
			fprintf(stderr, "kyso-contract: mail not sent\n");
}

/* Creates a contract: the PDF must open in our reader (broken files and
 * files that need a password refused with the reader's reason; an owner
 * password's permissions must allow signing) before anything is
 * stored; the blob, the rows and the audit row are one transaction. */
void
h_create(struct ctx *c)
{
	const char *title = web_field(c->rq, "title"),
		   *slist = web_field(c->rq, "signers"),
		   *ordered = web_field(c->rq, "ordered"), *why = NULL;
	const struct buf *pdf = web_file(c->rq, "pdf");
	struct signer *s = NULL;
	struct pdf *p = NULL;
	struct q *st = NULL;
	char id[33], hex[65];
	int n, i, r;

	if (!text_ok(title, CONTRACT_TITLE_MAX, 0)) {
		page_error(c, 400, _("Enter a title (at most 200 characters)."));
		return;
	}
	if (pdf == NULL || buf_len(pdf) == 0) {
		page_error(c, 400, _("Choose a PDF file."));
		return;
	}
	if ((r = pdf_open(buf_ptr(pdf), buf_len(pdf), &p, &why)) != 0) {
		c->rs->status = 422;
		page_begin(c, _("The PDF was refused"));
		out(c, "<p class=\"error\">%s ",
		    r == KYSO_ERR_UNSUPPORTED
			? _("The PDF is encrypted (password-protected); upload "
			    "it without a password.")
			: _("The file is not a readable PDF:"));
		out_esc(c, why != NULL ? why : "");
		out(c, "</p>");
		page_end(c);
		return;
	}
	/* An owner password alone opens (kyso-sign signs such files), but its
	 * permissions must let each signer add a signature field. */
	if (pdf_crypt_of(p) != NULL && !pdf_crypt_may_create(pdf_crypt_of(p))) {
		pdf_free(p);
		page_error(c, 422,
		    _("The PDF's owner password forbids adding signatures to "
		      "it; upload it without that protection."));
		return;
	}
	pdf_free(p);
	if ((s = calloc(CONTRACT_SIGNERS_MAX, sizeof(*s))) == NULL) {
		c->err = 1;
		return;
	}
	if (slist == NULL ||
	    (n = parse_signers(slist, s, CONTRACT_SIGNERS_MAX)) < 0) {
		page_error(c, 400,
		    _("List the signers: one e-mail per line (at most 20)."));
		goto out;
	}
	if (random_hex(16, id) != 0 ||
	    blob_put(c->a->blobs, buf_ptr(pdf), buf_len(pdf), hex) != 0 ||
	    store_begin(c->a->db) != 0) {
		c->err = 1;
		goto out;
	}
	if (q_prepare(c->a->db,
		"INSERT INTO documents(id, org_id, owner_id, title, ordered,"
		" sha256, created_at) VALUES(?,?,?,?,?,?,?)",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, id);
	q_bind_int(st, 2, c->org);
	q_bind_int(st, 3, c->account);
	q_bind_text(st, 4, title);
	q_bind_int(st, 5, ordered != NULL);
	q_bind_text(st, 6, hex);
	q_bind_int(st, 7, store_now());
	if (q_step(st) != Q_DONE)
		goto fail;
	q_finalize(st);
	st = NULL;
	if (q_prepare(c->a->db,
		"INSERT INTO versions(doc_id, n, sha256, size, created_at)"
		" VALUES(?, 1, ?, ?, ?)",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, id);
	q_bind_text(st, 2, hex);
	q_bind_int(st, 3, (int64_t)buf_len(pdf));
	q_bind_int(st, 4, store_now());
	if (q_step(st) != Q_DONE)
		goto fail;
	q_finalize(st);
	st = NULL;
	for (i = 0; i < n; i++) {
		if (q_prepare(c->a->db,
			"INSERT INTO signers(doc_id, pos, email, page, x, y, w,"
			" h) VALUES(?,?,?,?,?,?,?,?)",
			&st) != 0)
			goto fail;
		q_bind_text(st, 1, id);
		q_bind_int(st, 2, i + 1);
		q_bind_text(st, 3, s[i].email);
		q_bind_int(st, 4, (int64_t)s[i].page);
		q_bind_int(st, 5, (int64_t)s[i].x);
		q_bind_int(st, 6, (int64_t)s[i].y);
		q_bind_int(st, 7, (int64_t)s[i].w);
		q_bind_int(st, 8, (int64_t)s[i].h);
		if (q_step(st) != Q_DONE)
			goto fail;
		q_finalize(st);
		st = NULL;
	}
	if (audit_append(c->a->db, id, c->email, web_remote(c->rq), "created",
		hex) != 0 ||
	    store_commit(c->a->db) != 0)
		goto fail;
	{
		const char *to[CONTRACT_SIGNERS_MAX + 1] = { NULL };
		int k = 0;

		for (i = 0; i < n; i++)
			if (ordered == NULL || i == 0)
				to[k++] = s[i].email;
		notify(c, to,
		    "Tài liệu chờ ký / A document waits for your signature",
		    "Một tài liệu đang chờ bạn ký trên kyso-contract.\n\n"
		    "A document waits for your signature on kyso-contract.\n");
	}
	free(s);
	{
		static __thread char loc[64];

		snprintf(loc, sizeof(loc), "/documents/%s", id);
		redirect(c, loc);
	}
	return;
fail:
	q_finalize(st);
	store_rollback(c->a->db);
	c->err = 1;
out:
	free(s);
}

/* A signer's row state, translated. */
static const char *
signer_state(const char *s)
{
	if (strcmp(s, "signed") == 0)
		return _("Signed");
	if (strcmp(s, "rejected") == 0)
		return _("Rejected");
	return _("Waiting");
}

/* An audit row's action as the reader's language says it (the stored word
 * and the JSON export stay English). */
const char *
audit_action_text(const char *a)
{
	static const struct {
		const char *action;
		const char *text;
	} words[] = {
		{ "created", N_("Created") },
		{ "viewed", N_("Viewed") },
		{ "signed", N_("Signed") },
		{ "completed", N_("Completed") },
		{ "rejected", N_("Rejected") },
		{ "downloaded", N_("Downloaded") },
		{ "stamp-placed", N_("Stamp placed") },
		{ "sign-refused", N_("Signature refused") },
	};
	size_t i;

	for (i = 0; a != NULL && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(a, words[i].action) == 0)
			return _(words[i].text);
	return a;
}

/* An audit row's detail for the reader: a refusal's reason is one of the
 * server's sentences, stored in English and shown translated. */
const char *
audit_detail_text(const char *action, const char *detail)
{
	if (action != NULL && detail != NULL && detail[0] != '\0' &&
	    strcmp(action, "sign-refused") == 0)
		return _(detail);
	return detail;
}

/* A contract's page: state, signers, reject form, the audit trail. */
void
h_doc(struct ctx *c)
{
	struct doc d;
	struct q *st = NULL;
	int64_t bad = 0;
	int turn;

	if (doc_load(c, &d) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	audit(c, d.id, "viewed", "");
	turn = doc_my_turn(c, d.id);
	page_begin(c, d.title);
	out(c, "<p>%s: <strong>%s</strong></p>", _("State"),
	    state_text(c, d.id, d.state));
	out(c, "<p>%s: ", _("Owner"));
	out_esc(c, d.owner_email);
	out(c, "<br>SHA-256: <code>%s</code></p>", d.sha256);
	out(c, "<p><a href=\"/documents/%s/pdf\">%s</a></p>", d.id,
	    _("Download"));
	out(c,
	    "<h2>%s (%s)</h2><table><tr><th>#</th><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th></tr>",
	    _("Signers"), d.ordered ? _("in order") : _("in parallel"),
	    _("E-mail"), _("State"), _("Stamp (page x y w h)"), _("Reason"));
	if (q_prepare(c->a->db,
		"SELECT pos, email, state, page, x, y, w, h, reason FROM"
		" signers WHERE doc_id = ? ORDER BY pos",
		&st) == 0) {
		q_bind_text(st, 1, d.id);
		while (q_step(st) == Q_ROW) {
			out(c, "<tr><td>%d</td><td>", q_col_i32(st, 0));
			out_esc(c, (const char *)q_col(st, 1));
			out(c,
			    "</td><td>%s</td><td class=\"box\" "
			    "data-pos=\"%d\">%d %d %d %d %d</td><td>",
			    signer_state((const char *)q_col(st, 2)),
			    q_col_i32(st, 0), q_col_i32(st, 3), q_col_i32(st, 4),
			    q_col_i32(st, 5), q_col_i32(st, 6), q_col_i32(st, 7));
			out_esc(c, (const char *)q_col(st, 8));
			out(c, "</td></tr>");
		}
	}
	q_finalize(st);
	st = NULL;
	out(c, "</table>");
	if (turn) {
		out(c, "<p><button type=\"button\" class=\"sign\"");
		out_sign_data(c, d.id, d.title);
		out(c,
		    " disabled>%s</button> <span class=\"sign-why\">%s</span>"
		    "</p>",
		    _("Sign"),
		    _("Signing needs kyso-agent (see Signing plugin)."));
	}
	/* Always there: after signing, the page's script swaps in the page
	 * as it now is and keeps the results here. */
	out(c, "<ul id=\"sign-result\"></ul>");
	if (turn) {
		out(c, "<form method=\"post\" action=\"/documents/%s/reject\">",
		    d.id);
		out_csrf(c);
		out(c,
		    "<label>%s <textarea name=\"reason\" maxlength=\"%d\" "
		    "required></textarea></label><button>%s</button></form>",
		    _("Reason"), CONTRACT_REASON_MAX, _("Reject"));
	}
	view_pages(c, d.id, d.sha256, view_can_place(c, d.id));
	out(c, "<h2>%s</h2>", _("History"));
	out(c,
	    "<p>%s <a href=\"/documents/%s/audit.json\">JSON</a> "
	    "<a href=\"/documents/%s/audit.pdf\">PDF</a></p>",
	    audit_check(c->a->db, &bad) == 0
		? _("The audit trail is intact.")
		: _("The audit trail has been changed!"),
	    d.id, d.id);
	out(c,
	    "<table><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	    "<th>%s</th></tr>",
	    _("Time (UTC)"), _("Who"), _("Address"), _("Action"), _("Detail"));
	if (q_prepare(c->a->db,
		"SELECT at, actor, remote, action, detail"
		" FROM audit WHERE doc_id = ? ORDER BY id",
		&st) == 0) {
		q_bind_text(st, 1, d.id);
		while (q_step(st) == Q_ROW) {
			char when[24];
			int k;

			store_utc(q_col_int(st, 0), when);
			out(c, "<tr>");
			for (k = 0; k < 5; k++) {
				const char *v = k == 0 ? when : q_col(st, k);

				if (k == 3)
					v = audit_action_text(v);
				else if (k == 4)
					v = audit_detail_text(q_col(st, 3), v);
				out(c, "<td>");
				out_esc(c, v);
				out(c, "</td>");
			}
			out(c, "</tr>");
		}
	}
	q_finalize(st);
	out(c, "</table>");
	page_end(c);
}

/* The held version, as an attachment (audited: who downloaded what). */
void
h_pdf(struct ctx *c)
{
	struct doc d;
	struct buf *b = NULL;
	static __thread char disp[64];

	if (doc_load(c, &d) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	if (blob_get(c->a->blobs, d.sha256, c->a->max_upload * 2, &b) != 0) {
		c->err = 1;
		return;
	}
	audit(c, d.id, "downloaded", d.sha256);
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s.pdf\"", d.id);
	c->rs->status = 200;
	c->rs->content_type = "application/pdf";
	c->rs->disposition = disp;
	c->rs->body = b;
}

/* The document's audit rows as JSON, with whether the chain holds. */
void
h_audit_json(struct ctx *c)
{
	struct doc d;
	struct q *st = NULL;
	json_t *arr = NULL, *root = NULL;
	char *txt = NULL;
	int64_t bad = 0;

	if (doc_load(c, &d) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	if ((arr = json_array()) == NULL ||
	    q_prepare(c->a->db,
		"SELECT id, at, actor, remote, action, detail, prev, hash FROM"
		" audit WHERE doc_id = ? ORDER BY id",
		&st) != 0)
		goto out;
	q_bind_text(st, 1, d.id);
	while (q_step(st) == Q_ROW)
		if (json_array_append_new(arr,
			json_pack("{sIsIssssssssssss}", "id",
			    (json_int_t)q_col_int(st, 0), "at",
			    (json_int_t)q_col_int(st, 1), "actor", q_col(st, 2),
			    "remote", q_col(st, 3), "action", q_col(st, 4),
			    "detail", q_col(st, 5), "prev", q_col(st, 6),
			    "hash", q_col(st, 7))) != 0)
			goto out;
	root = json_pack("{sssssbsO}", "document", d.id, "sha256", d.sha256,
	    "chain_intact", audit_check(c->a->db, &bad) == 0, "audit", arr);
	if (root == NULL || (txt = json_dumps(root, JSON_INDENT(1))) == NULL)
		goto out;
	c->rs->status = 200;
	c->rs->content_type = "application/json";
	out(c, "%s\n", txt);
	free(txt);
	txt = NULL;
out:
	if (c->rs->status != 200)
		c->err = 1;
	free(txt);
	json_decref(root);
	json_decref(arr);
	q_finalize(st);
}

/* The document's audit trail as a PDF to keep beside it (audited as a
 * download). */
void
h_audit_pdf(struct ctx *c)
{
	struct doc d;
	struct buf *b = NULL;
	static __thread char disp[80];

	if (doc_load(c, &d) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	if ((b = buf_new(64u << 20)) == NULL ||
	    audit_pdf(c->a->db, d.id, d.title, d.sha256, b) != 0) {
		buf_free(b);
		c->err = 1;
		return;
	}
	audit(c, d.id, "downloaded", "audit.pdf");
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s-audit.pdf\"",
	    d.id);
	c->rs->status = 200;
	c->rs->content_type = "application/pdf";
	c->rs->disposition = disp;
	c->rs->body = b;
}

/* Rejects doc for the caller: only a pending signer of a waiting
 * document, in one statement (two clicks cannot both win). Mails the
 * owner and the other signers. Returns 0, or KYSO_ERR_PERMISSION. */
static int
reject_one(struct ctx *c, const char *doc, const char *reason)
{
	struct q *st = NULL;
	const char *to[CONTRACT_SIGNERS_MAX + 2] = { NULL };
	char *keep[CONTRACT_SIGNERS_MAX + 2] = { NULL };
	size_t k = 0, i;
	int r = KYSO_ERR_PERMISSION;

	if (!doc_my_turn(c, doc))
		return r;
	if (store_begin(c->a->db) != 0)
		return KYSO_ERR_IO;
	if (q_prepare(c->a->db,
		"UPDATE documents SET state = 'rejected' WHERE id = ? AND"
		" state = 'waiting' RETURNING 1",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, doc);
	if (q_step(st) != Q_ROW || q_rows(st) != 1)
		goto fail;
	q_finalize(st);
	if (q_prepare(c->a->db,
		"UPDATE signers SET state = 'rejected', reason = ?, at = ? WHERE"
		" doc_id = ? AND lower(email) = lower(?) AND state = 'waiting'",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, reason);
	q_bind_int(st, 2, store_now());
	q_bind_text(st, 3, doc);
	q_bind_text(st, 4, c->email);
	if (q_step(st) != Q_DONE)
		goto fail;
	q_finalize(st);
	st = NULL;
	if (audit_append(c->a->db, doc, c->email, web_remote(c->rq), "rejected",
		reason) != 0 ||
	    store_commit(c->a->db) != 0)
		goto fail;
	r = 0;
	/* The others: the owner and every other signer. */
	if (q_prepare(c->a->db,
		"SELECT a.email FROM documents d JOIN accounts a ON"
		" a.id = d.owner_id WHERE d.id = ?1 UNION SELECT email FROM"
		" signers WHERE doc_id = ?1",
		&st) == 0) {
		q_bind_text(st, 1, doc);
		while (q_step(st) == Q_ROW && k < CONTRACT_SIGNERS_MAX + 1) {
			const char *e = (const char *)q_col(st, 0);

			if (strcasecmp(e, c->email) != 0 &&
			    (keep[k] = strdup(e)) != NULL) {
				to[k] = keep[k];
				k++;
			}
		}
	}
	q_finalize(st);
	{
		struct buf *body = buf_new(16384);
		char *txt = NULL;

		if (body != NULL &&
		    buf_putf(body,
			"%s đã từ chối ký tài liệu %s.\nLý do: %s\n\n"
			"%s rejected document %s.\nReason: %s\n",
			c->email, doc, reason, c->email, doc, reason) == 0 &&
		    (txt = buf_to_cstr(body)) != NULL)
			notify(c, to, "Tài liệu bị từ chối / Document rejected",
			    txt);
		free(txt);
		buf_free(body);
	}
	for (i = 0; i < k; i++)
		free(keep[i]);
	return r;
fail:
	q_finalize(st);
	store_rollback(c->a->db);
	return r;
}

/* "Từ chối": a reason is required; the others are told by mail. */
void
h_reject(struct ctx *c)
{
	const char *reason = web_field(c->rq, "reason");
	struct doc d;
	static __thread char loc[64];

	if (doc_load(c, &d) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	if (!text_ok(reason, CONTRACT_REASON_MAX, 1)) {
		page_error(c, 400, _("A reason is required to reject."));
		return;
	}
	if (reject_one(c, d.id, reason) != 0) {
		page_error(c, 409,
		    _("This document is not waiting for your signature."));
		return;
	}
	snprintf(loc, sizeof(loc), "/documents/%s", d.id);
	redirect(c, loc);
}

/* "Từ chối nhiều": one reason for every ticked document; each one is
 * rejected or not on its own, and the page says which. */
void
h_reject_many(struct ctx *c)
{
	const char *reason = web_field(c->rq, "reason"), *id;
	struct doc d;
	size_t i;

	if (!text_ok(reason, CONTRACT_REASON_MAX, 1)) {
		page_error(c, 400, _("A reason is required to reject."));
		return;
	}
	if (web_field(c->rq, "id") == NULL) {
		page_error(c, 400, _("Tick the documents to reject."));
		return;
	}
	page_begin(c, _("Reject many"));
	out(c, "<table><tr><th>%s</th><th>%s</th></tr>", _("Document"),
	    _("Result"));
	for (i = 0; i < CONTRACT_SIGNERS_MAX * 5 &&
	     (id = web_field_n(c->rq, "id", i)) != NULL;
	     i++) {
		snprintf(c->part[0], sizeof(c->part[0]), "%s", id);
		out(c, "<tr><td>");
		if (doc_load(c, &d) != 0) {
			out(c, "?</td><td class=\"INVALID\">%s</td></tr>",
			    _("Not found."));
			continue;
		}
		out_esc(c, d.title);
		out(c, "</td><td>%s</td></tr>",
		    reject_one(c, d.id, reason) == 0
			? _("Rejected")
			: _("Not waiting for your signature"));
	}
	out(c, "</table><p><a href=\"/documents\">%s</a></p>", _("Documents"));
	page_end(c);
}
