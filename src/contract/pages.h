/* The handlers of kyso-contract's pages and what they share: the
 * request's context (who calls, in which language) and the HTML writer
 * that escapes every value it is given. */
#ifndef KYSO_CONTRACT_PAGES_H
#define KYSO_CONTRACT_PAGES_H

#include "contract.h"
#include "web.h"

struct ctx {
	struct app *a;
	struct web_req *rq;
	struct web_resp *rs;
	struct buf *out; /* the page being written */
	int err;	 /* a write to out failed: answer 500 */
	/* The caller, when signed in (account 0: anonymous). */
	int64_t account, org;
	int admin;
	char email[256];
	char csrf[65];
	char identity[64];
	char sign_method[32];
	/* The path's '*' segments (document ids). */
	char part[2][80];
};

typedef void (*page_handler)(struct ctx *c);

/* Writes fmt (no user text in it: values go through out_esc). */
void out(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes s with & < > " ' escaped. */
void out_esc(struct ctx *c, const char *s);
void page_begin(struct ctx *c, const char *title);
void page_end(struct ctx *c);
void page_error(struct ctx *c, int status, const char *msg);
void redirect(struct ctx *c, const char *to);
void out_csrf(struct ctx *c);

void h_root(struct ctx *c);
void h_login_form(struct ctx *c);
void h_login(struct ctx *c);
void h_logout(struct ctx *c);
void h_lang(struct ctx *c);
void h_static(struct ctx *c);
void h_docs(struct ctx *c);
void h_new(struct ctx *c);
void h_create(struct ctx *c);
void h_doc(struct ctx *c);
void h_pdf(struct ctx *c);
void h_audit_json(struct ctx *c);
void h_reject(struct ctx *c);
void h_reject_many(struct ctx *c);
void h_account(struct ctx *c);
void h_account_save(struct ctx *c);
void h_plugin(struct ctx *c);
void h_verify_form(struct ctx *c);
void h_verify(struct ctx *c);
void h_healthz(struct ctx *c);
void h_signed(struct ctx *c);
void h_page(struct ctx *c);
void h_audit_pdf(struct ctx *c);

/* An audit row's action in the reader's language (docs.c). */
const char *audit_action_text(const char *action);
/* An audit row's detail in the reader's language where it is one of the
 * server's sentences (a refusal's reason), else as stored (docs.c). */
const char *audit_detail_text(const char *action, const char *detail);
/* audit_pdf.c: doc's audit trail as a PDF (cairo), appended to b. */
int audit_pdf(struct store *db, const char *doc, const char *title,
    const char *sha256, struct buf *b) KYSO_WUR;
void h_stamp(struct ctx *c);

/* view.c: the held version page by page, each signer's stamp box on it;
 * place 1 lets the caller click to move the boxes (h_stamp). */
void view_pages(struct ctx *c, const char *doc, const char *sha256, int place);
/* 1 when the caller may still place doc's stamps: its owner, waiting,
 * nobody has signed yet. */
int view_can_place(struct ctx *c, const char *doc);

/* The document c->part[0] when the caller may see it (their
 * organisation's, or one they sign): its held version's hash. Else
 * KYSO_ERR_NOT_FOUND, whether it exists or not. */
int doc_visible(struct ctx *c, char sha256[65]) KYSO_WUR;
/* doc's state as the caller reads it, in their language: waiting for
 * me / for others, completed, rejected (docs.c). */
const char *state_text(struct ctx *c, const char *doc, const char *state);
/* 1 when doc waits for the caller's signature now. */
int doc_my_turn(struct ctx *c, const char *doc);

/* The one web handler (routes.c). */
void dispatch(void *ud, struct web_req *rq, struct web_resp *rs);

/* Runs libkysosign's verifier over an upload (a private temp file);
 * online: each signer's revocation asked of its CA now. */
struct sig_report;
int verify_bytes(struct app *a, const struct buf *pdf, int online,
    struct sig_report **rep, size_t *n, const char **why) KYSO_WUR;

/* A pre-session CSRF token (double-submit cookie) for the public forms
 * (login, verify): set on the form's page, checked on its POST. */
int pre_csrf_set(struct ctx *c);
int pre_csrf_ok(struct ctx *c);

#endif
