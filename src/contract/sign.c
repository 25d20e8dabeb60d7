/* A signer's upload (POST /documents/ID/signed): the browser had the
 * held version signed by kyso-agent and sends the result. It is taken
 * only when every check below holds, else refused with the reason and
 * nothing changes:
 *   - it is the caller's turn on a waiting document;
 *   - it starts with exactly the bytes of the held version and adds one
 *     incremental revision (its /Prev is the held version's startxref,
 *     one %%EOF after the held bytes) with one new signature;
 *   - that signature covers the whole file, verifies, chains to the
 *     configured trust anchors, carries a valid RFC 3161 time-stamp
 *     (B-T or better), and its certificate names the identity the
 *     caller's account registered (UID=CCCD:/MST: or emailAddress);
 *   - when the server requires B-LT (contract_level): the signature's
 *     revision is followed by one more, validation data only (the DSS
 *     kyso-agent adds), and that data shows the signer's certificate
 *     good. */
#include "pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mail.h"
#include "sign/kyso_sign.h"
#include "sign/pdf/pdf.h"

/* Counts occurrences of "%%EOF" in p. */
static size_t
count_eof(const uint8_t *p, size_t n)
{
	size_t k = 0, i;

	for (i = 0; n >= 5 && i <= n - 5; i++)
		if (memcmp(p + i, "%%EOF", 5) == 0)
			k++;
	return k;
}

/* Where the first revision after the held bytes ends: past its %%EOF
 * and the end of line after it. */
static size_t
first_revision_end(const uint8_t *p, size_t hn, size_t un)
{
	const uint8_t *e = memmem(p + hn, un - hn, "%%EOF", 5);
	size_t end;

	if (e == NULL)
		return un;
	end = (size_t)(e - p) + 5;
	if (end < un && p[end] == '\r')
		end++;
	if (end < un && p[end] == '\n')
		end++;
	return end;
}

/* 1 when the upload is the held bytes plus one incremental revision (lt:
 * plus one more, the validation data, judged by the verifier). */
static int
one_revision(const struct buf *held, const struct buf *up, int lt,
    const char **why)
{
	struct pdf *ph = NULL, *pu = NULL;
	const struct pdf_obj *prev;
	size_t hn = buf_len(held), un = buf_len(up);
	int ok = 0;

	*why = N_("The upload does not start with the document's current "
		  "version: earlier bytes were changed.");
	if (un <= hn || memcmp(buf_ptr(up), buf_ptr(held), hn) != 0)
		goto out;
	*why = lt ? N_("This server requires B-LT: the signature must be "
		       "followed by one revision of validation data (DSS).")
		  : N_("The upload must add exactly one revision to the "
		       "document.");
	if (count_eof(buf_ptr(up) + hn, un - hn) != (lt ? 2u : 1u))
		goto out;
	if (lt)
		un = first_revision_end(buf_ptr(up), hn, un);
	*why = N_("The uploaded file is not a readable PDF.");
	if (pdf_open(buf_ptr(held), hn, &ph, NULL) != 0 ||
	    pdf_open(buf_ptr(up), un, &pu, NULL) != 0)
		goto out;
	*why = N_("The upload must add exactly one revision to the document.");
	prev = pdf_dict_get(pdf_trailer(pu), "Prev");
	if (prev == NULL || prev->type != PDF_INT ||
	    (uint64_t)prev->i != pdf_startxref(ph))
		goto out;
	ok = 1;
out:
	pdf_free(ph);
	pdf_free(pu);
	return ok;
}

/* Does the one-line subject ("C = VN, CN = ..., UID = CCCD:0010...")
 * carry the identity ("CCCD:0010..." or "EMAIL:a@b")? RDNs are split on
 * unescaped ", ", so a common name holding ", UID = ..." (escaped by the
 * printer as "\,") never matches. */
static int
names_identity(const char *subject, const char *identity)
{
	char want[96];
	const char *p = subject, *e;
	size_t n;

	if (strncmp(identity, "EMAIL:", 6) == 0)
		snprintf(want, sizeof(want), "emailAddress = %s", identity + 6);
	else
		snprintf(want, sizeof(want), "UID = %s", identity);
	n = strlen(want);
	while (p != NULL && *p != '\0') {
		for (e = p; *e != '\0'; e++) {
			if (*e == '\\' && e[1] != '\0') {
				e++;
				continue;
			}
			if (e[0] == ',' && e[1] == ' ')
				break;
		}
		if ((size_t)(e - p) == n && strncasecmp(p, want, n) == 0)
			return 1;
		p = *e != '\0' ? e + 2 : NULL;
	}
	return 0;
}

/* Checks the new signature of up; *subject gets the signer's subject and
 * *when the time-stamp's time (both freed by the caller). */
static int
check_signature(struct ctx *c, const struct buf *up, size_t held_sigs,
    char **subject, char **when, const char **why)
{
	struct sig_report *rep = NULL;
	const struct sig_report *s = NULL;
	enum verify_changes want = c->a->require_lt ? CHANGES_DSS : CHANGES_NONE;
	size_t n = 0, i;
	int ok = 0;

	*why = N_("The uploaded file is not a readable PDF.");
	if (verify_bytes(c->a, up, c->a->revocation_online, &rep, &n, why) != 0)
		goto out;
	*why = N_("The upload must add exactly one new signature.");
	if (n != held_sigs + 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (rep[i].changes == want)
			s = &rep[i];
		else if (rep[i].changes == CHANGES_OTHER || !rep[i].intact)
			goto out;
	}
	if (s == NULL)
		goto out;
	*why = N_("The signature does not verify.");
	if (!s->intact || s->docmdp_broken)
		goto out;
	*why = N_("The signer's certificate does not chain to a trusted CA.");
	if (s->trusted != 1)
		goto out;
	*why = N_("The signature has no valid time-stamp (B-T is required).");
	if (s->ts_time == NULL || !s->ts_valid)
		goto out;
	*why = N_("The signer's certificate is revoked.");
	if ((s->revocation != NULL && strcmp(s->revocation, "revoked") == 0) ||
	    (s->doc_revocation != NULL &&
		strcmp(s->doc_revocation, "revoked") == 0))
		goto out;
	*why = N_("The signer's certificate status could not be established "
		  "(its CA's OCSP responder or CRL did not answer): nothing "
		  "was changed; try again later.");
	if (c->a->revocation_online &&
	    (s->revocation == NULL || strcmp(s->revocation, "good") != 0))
		goto out;
	*why = N_("This server requires B-LT: the validation data in the "
		  "document does not show the signer's certificate as good.");
	if (c->a->require_lt &&
	    (s->doc_revocation == NULL || strcmp(s->doc_revocation, "good") != 0))
		goto out;
	*why = N_("The certificate does not name the identity registered for "
		  "your account.");
	if (c->identity[0] == '\0' || s->signer == NULL ||
	    !names_identity(s->signer, c->identity))
		goto out;
	if ((*subject = strdup(s->signer)) == NULL ||
	    (*when = strdup(s->ts_time)) == NULL) {
		free(*subject);
		*subject = NULL;
		*why = N_("Out of memory.");
		goto out;
	}
	ok = 1;
out:
	sig_reports_free(rep, n);
	return ok;
}

/* The number of signatures in the held version. */
static int
held_signatures(struct ctx *c, const struct buf *held, size_t *n)
{
	struct sig_report *rep = NULL;
	const char *why;

	if (verify_bytes(c->a, held, 0, &rep, n, &why) != 0)
		return KYSO_ERR_INVALID;
	sig_reports_free(rep, *n);
	return 0;
}

/* Records the new version in one transaction; the document moves on only
 * if it is still waiting and still the caller's turn (the UPDATE of the
 * signer's row is the race's decision). */
static int
record(struct ctx *c, const char *doc, const char *old_sha, const char *hex,
    size_t size, const char *detail, int *completed)
{
	struct store *db = c->a->db;
	struct q *st = NULL;
	int r = KYSO_ERR_IO;

	if (store_begin(db) != 0)
		return r;
	if (q_prepare(db,
		"UPDATE documents SET sha256 = ?1 WHERE id = ?2 AND sha256 = ?3"
		" AND state = 'waiting' RETURNING 1",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, hex);
	q_bind_text(st, 2, doc);
	q_bind_text(st, 3, old_sha);
	if (q_step(st) != Q_ROW || q_rows(st) != 1) {
		r = KYSO_ERR_BUSY;
		goto fail;
	}
	q_finalize(st);
	st = NULL;
	if (q_prepare(db,
		"UPDATE signers SET state = 'signed', at = ?3 WHERE doc_id = ?1"
		" AND lower(email) = lower(?2) AND state = 'waiting' RETURNING 1",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, doc);
	q_bind_text(st, 2, c->email);
	q_bind_int(st, 3, store_now());
	if (q_step(st) != Q_ROW || q_rows(st) != 1)
		goto fail;
	q_finalize(st);
	st = NULL;
	if (q_prepare(db,
		"INSERT INTO versions(doc_id, n, sha256, size, created_at)"
		" SELECT ?1, max(n) + 1, ?2, CAST(?3 AS BIGINT),"
		" CAST(?4 AS BIGINT) FROM versions WHERE"
		" doc_id = ?1",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, doc);
	q_bind_text(st, 2, hex);
	q_bind_int(st, 3, (int64_t)size);
	q_bind_int(st, 4, store_now());
	if (q_step(st) != Q_DONE)
		goto fail;
	q_finalize(st);
	st = NULL;
	if (q_prepare(db,
		"UPDATE documents SET state = 'completed' WHERE id = ? AND"
		" state = 'waiting' AND NOT EXISTS (SELECT 1 FROM signers s"
		" WHERE s.doc_id = documents.id AND s.state != 'signed')"
		" RETURNING 1",
		&st) != 0)
		goto fail;
	q_bind_text(st, 1, doc);
	if (q_step(st) == Q_ERROR)
		goto fail;
	*completed = q_rows(st) == 1;
	q_finalize(st);
	st = NULL;
	if (audit_append(db, doc, c->email, web_remote(c->rq), "signed",
		detail) != 0 ||
	    (*completed &&
		audit_append(db, doc, "kyso-contract", "local", "completed",
		    hex) != 0) ||
	    store_commit(db) != 0)
		goto fail;
	return 0;
fail:
	q_finalize(st);
	store_rollback(db);
	return r;
}

/* Who is told next: everyone when completed, else the next signer of an
 * ordered contract. */
static void
tell_next(struct ctx *c, const char *doc, int completed)
{
	struct q *st = NULL;
	const char *subject, *body, *e;

	if (c->a->mail == NULL)
		return;
	if (completed) {
		subject = "Tài liệu đã ký xong / Document completed";
		body = "Mọi người đã ký tài liệu; bản cuối có thể tải xuống.\n\n"
		       "Everyone has signed; the final PDF can be downloaded.\n";
		if (q_prepare(c->a->db,
			"SELECT a.email FROM documents d JOIN accounts a ON"
			" a.id = d.owner_id WHERE d.id = ?1 UNION SELECT email"
			" FROM signers WHERE doc_id = ?1",
			&st) != 0)
			return;
	} else {
		subject = "Tài liệu chờ ký / A document waits for your signature";
		body = "Một tài liệu đang chờ bạn ký trên kyso-contract.\n\n"
		       "A document waits for your signature on kyso-contract.\n";
		if (q_prepare(c->a->db,
			"SELECT s.email FROM signers s JOIN documents d ON"
			" d.id = s.doc_id WHERE s.doc_id = ?1 AND d.ordered = 1"
			" AND s.state = 'waiting' ORDER BY s.pos LIMIT 1",
			&st) != 0)
			return;
	}
	q_bind_text(st, 1, doc);
	while (q_step(st) == Q_ROW) {
		e = (const char *)q_col(st, 0);
		if (mail_send(c->a->mail, e, subject, body) != 0)
			fprintf(stderr, "kyso-contract: mail not sent\n");
	}
	q_finalize(st);
}

/* POST /documents/ID/signed (see the top of this file). */
void
h_signed(struct ctx *c)
{
	const struct buf *up = web_file(c->rq, "pdf");
	struct buf *held = NULL;
	char sha[65], hex[65], *subject = NULL, *when = NULL, *detail = NULL;
	const char *why = NULL;
	size_t nsig = 0;
	int completed = 0, r;

	if (doc_visible(c, sha) != 0) {
		page_error(c, 404, _("Not found."));
		return;
	}
	if (!doc_my_turn(c, c->part[0])) {
		page_error(c, 409,
		    _("This document is not waiting for your signature."));
		return;
	}
	if (up == NULL || buf_len(up) == 0) {
		page_error(c, 400, _("Choose a PDF file."));
		return;
	}
	if (blob_get(c->a->blobs, sha, c->a->max_upload * 2, &held) != 0 ||
	    held_signatures(c, held, &nsig) != 0) {
		c->err = 1;
		goto out;
	}
	if (!one_revision(held, up, c->a->require_lt, &why) ||
	    !check_signature(c, up, nsig, &subject, &when, &why)) {
		page_error(c, 422, _(why));
		if (audit_append(c->a->db, c->part[0], c->email,
			web_remote(c->rq), "sign-refused", why) != 0)
			c->err = 1;
		goto out;
	}
	if (asprintf(&detail, "%s; time-stamp %s", subject, when) < 0) {
		detail = NULL;
		c->err = 1;
		goto out;
	}
	if (blob_put(c->a->blobs, buf_ptr(up), buf_len(up), hex) != 0) {
		c->err = 1;
		goto out;
	}
	if ((r = record(c, c->part[0], sha, hex, buf_len(up), detail,
		 &completed)) != 0) {
		if (r == KYSO_ERR_BUSY)
			page_error(c, 409,
			    _("The document changed meanwhile: open it "
			      "again."));
		else
			c->err = 1;
		goto out;
	}
	tell_next(c, c->part[0], completed);
	c->rs->status = 200;
	c->rs->content_type = "application/json";
	/* state for programs; state_text, the document's state now in the
	 * signer's language, for the page's result line. */
	out(c, "{\"state\":\"%s\",\"sha256\":\"%s\",\"state_text\":\"%s\"}\n",
	    completed ? "completed" : "signed", hex,
	    state_text(c, c->part[0], completed ? "completed" : "waiting"));
out:
	free(detail);
	free(subject);
	free(when);
	buf_free(held);
}
