/* A signing batch (P_SIGN): the certificate chosen and checked, the
 * user's confirmation and PIN in one pinentry dialog, one login, then the
 * items in order over libkysosign's in-memory calls. Nothing is signed
 * before both answers; the PIN is wiped right after the login; the
 * session ends with the batch. Every P_SIGN gets exactly one P_DONE
 * (unless the network side is gone), after a P_ITEM for every item once
 * signing has begun. */
#include "agent/tok_int.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/i18n.h"
#include "common/parse.h"
#include "common/secret.h"
#include "p11/p11.h"
#include "p11/select.h"
#include "sign/kyso_sign.h"
#include "sign/pdf/pdf.h"
#include "tm/tm.h"

/* The contract's limits, checked again here: net is not trusted. */
#define TOK_MAX_ITEMS  100
#define TOK_MAX_TITLE  200
#define TOK_MAX_OPTION 200
/* Items the confirmation lists by name, and the bytes of a title shown. */
#define TOK_LIST_ITEMS 10
#define TOK_SHOW_TITLE 48
/* Room left in a P_ITEM frame for everything but the result. */
#define TOK_ITEM_SLACK ((size_t)64 * 1024)

struct item {
	uint8_t kind; /* enum proto_item_kind */
	char *title, *options;
	const uint8_t *data; /* in the request's buffer */
	size_t len;
	uint8_t sha256[32];
	/* The options, parsed (pointers into options). */
	struct pdf_sign_opts pdf;
	int last_page; /* pdf page=0 with a visible stamp */
	struct xmldsig_opts xml;
};

struct batch {
	char *origin, *cert_id;
	struct item *items;
	uint32_t n;
	const struct tok_cert *cert;
};

static void
batch_free(struct batch *b)
{
	uint32_t i;

	for (i = 0; b->items != NULL && i < b->n; i++) {
		free(b->items[i].title);
		free(b->items[i].options);
	}
	free(b->items);
	free(b->origin);
	free(b->cert_id);
}

/* "x1,y1,x2,y2" in points. */
static int
parse_rect(const char *s, int rect[4])
{
	char part[16];
	uint64_t v;
	size_t k, len;
	int i;

	for (i = 0; i < 4; i++) {
		len = strcspn(s, ",");
		if (len == 0 || len >= sizeof(part) || (i < 3) != (s[len] == ','))
			return KYSO_ERR_INVALID;
		memcpy(part, s, len);
		part[len] = '\0';
		if (parse_u64(part, 0, 100000, &v) != 0)
			return KYSO_ERR_INVALID;
		rect[i] = (int)v;
		k = len + (i < 3);
		s += k;
	}
	return 0;
}

/* One item's `key=value` lines into its options; *why names what is
 * wrong. The keys are the contract's, per kind. */
static int
parse_options(struct tok *t, struct item *it, const char **why)
{
	char *line = it->options, *next, *eq;
	const char *tsa = config_get(t->conf, "tsa_url");
	uint64_t v;
	int visible = 0, page = 1, have_rect = 0;

	memset(&it->pdf, 0, sizeof(it->pdf));
	memset(&it->xml, 0, sizeof(it->xml));
	*why = "bad item options";
	for (; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(line, '=')) == NULL ||
		    strlen(eq + 1) > TOK_MAX_OPTION)
			return KYSO_ERR_INVALID;
		*eq++ = '\0';
		if (it->kind == ITEM_XML && strcmp(line, "id") == 0) {
			it->xml.ref_id = *eq != '\0' ? eq : NULL;
			continue;
		}
		if (it->kind != ITEM_PDF)
			return KYSO_ERR_INVALID;
		if (strcmp(line, "level") == 0) {
			if (strcmp(eq, "B-B") == 0)
				continue;
			if (strcmp(eq, "B-T") != 0 && strcmp(eq, "B-LT") != 0)
				return KYSO_ERR_INVALID;
			if (tsa == NULL || *tsa == '\0') {
				*why = "B-T and B-LT need a TSA (tsa_url in kyso.conf)";
				return KYSO_ERR_INVALID;
			}
			it->pdf.tsa_url = tsa;
			it->pdf.lt = strcmp(eq, "B-LT") == 0;
		} else if (strcmp(line, "visible") == 0) {
			if (strcmp(eq, "true") != 0 && strcmp(eq, "false") != 0)
				return KYSO_ERR_INVALID;
			visible = strcmp(eq, "true") == 0;
		} else if (strcmp(line, "page") == 0) {
			if (parse_u64(eq, 0, 1000000, &v) != 0)
				return KYSO_ERR_INVALID;
			page = (int)v;
		} else if (strcmp(line, "rect") == 0) {
			if (parse_rect(eq, it->pdf.rect) != 0)
				return KYSO_ERR_INVALID;
			have_rect = 1;
		} else if (strcmp(line, "field") == 0) {
			it->pdf.field_name = *eq != '\0' ? eq : NULL;
		} else if (strcmp(line, "reason") == 0 ||
		    strcmp(line, "location") == 0) {
			/* Refused here, before any dialog, as the library
			 * would refuse it. */
			if (pdf_sign_text_check(eq, why) != 0)
				return KYSO_ERR_INVALID;
			if (strcmp(line, "reason") == 0)
				it->pdf.reason = *eq != '\0' ? eq : NULL;
			else
				it->pdf.location = *eq != '\0' ? eq : NULL;
		} else
			return KYSO_ERR_INVALID;
	}
	if (visible) {
		if (!have_rect) {
			*why = "a visible signature needs rect";
			return KYSO_ERR_INVALID;
		}
		it->pdf.page = page;
		it->last_page = page == 0;
	}
	return 0;
}

/* The request's fields; KYSO_ERR_INVALID for a frame that is not
 * well-formed (the peer is dropped), KYSO_ERR_TOO_LARGE or
 * KYSO_ERR_UNSUPPORTED with *why for values the page must change. */
static int
parse(struct tok *t, struct buf *req, struct batch *b, const char **why)
{
	struct item *it;
	uint32_t i;
	int r;

	*why = "malformed request";
	if ((r = buf_get_cstring(req, &b->origin)) != 0 ||
	    (r = buf_get_cstring(req, &b->cert_id)) != 0 ||
	    (r = buf_get_u32(req, &b->n)) != 0)
		return KYSO_ERR_INVALID;
	if (!tok_origin_ok(b->origin)) {
		*why = "not an origin";
		return KYSO_ERR_UNSUPPORTED;
	}
	if (b->n == 0 || b->n > TOK_MAX_ITEMS) {
		*why = "a batch has 1 to 100 items";
		b->n = 0;
		return KYSO_ERR_TOO_LARGE;
	}
	if ((b->items = calloc(b->n, sizeof(*b->items))) == NULL)
		return KYSO_ERR_NOMEM;
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (buf_get_u8(req, &it->kind) != 0 ||
		    buf_get_cstring(req, &it->title) != 0 ||
		    buf_get_cstring(req, &it->options) != 0 ||
		    buf_get_string_direct(req, &it->data, &it->len) != 0)
			return KYSO_ERR_INVALID;
	}
	if (buf_len(req) != 0)
		return KYSO_ERR_INVALID;
	for (i = 0; i < b->n; i++) {
		it = &b->items[i];
		if (it->kind < ITEM_PDF || it->kind > ITEM_CMS) {
			*why = "unknown item type";
			return KYSO_ERR_UNSUPPORTED;
		}
		if (strlen(it->title) > TOK_MAX_TITLE) {
			*why = "a title is longer than 200 bytes";
			return KYSO_ERR_UNSUPPORTED;
		}
		if ((r = parse_options(t, it, why)) != 0)
			return r == KYSO_ERR_INVALID ? KYSO_ERR_UNSUPPORTED : r;
		if (EVP_Digest(it->data, it->len, it->sha256, NULL,
			EVP_sha256(), NULL) != 1)
			return KYSO_ERR_CRYPTO;
	}
	return 0;
}

/* The certificate the batch signs with, by the rule kyso-sign keeps
 * (p11/select.h): the one whose SHA-256 is cert_id, or ("") the newest
 * valid one. Certificates of several holders are no question here: the
 * confirmation dialog names the signer before the PIN. */
static enum agent_err
choose_cert(const struct tok_cert *c, size_t n, const char *cert_id,
    const struct tok_cert **out, const char **why)
{
	struct p11_cand *v = NULL;
	enum agent_err e = AGENT_NOT_FOUND;
	size_t i, k = 0;

	*why = "no such certificate on a plugged token";
	if (*cert_id != '\0' && strlen(cert_id) != 64)
		return e;
	if (n == 0) {
		if (*cert_id == '\0')
			*why = "no signing certificate on a plugged token";
		return e;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL) {
		*why = "out of memory";
		return AGENT_INTERNAL;
	}
	for (i = 0; i < n; i++) {
		memcpy(v[i].sha256, c[i].sha256, sizeof(v[i].sha256));
		v[i].not_before = c[i].not_before;
		v[i].not_after = c[i].not_after;
	}
	p11_cands_sort(v, n);
	switch (p11_cand_pick(v, n, cert_id, (int64_t)time(NULL), &k)) {
	case P11_PICK_OK:
	case P11_PICK_AMBIGUOUS:
		/* Back from the sorted copy by the certificate's hash. */
		for (i = 0; i < n; i++)
			if (memcmp(c[i].sha256, v[k].sha256, 32) == 0)
				*out = &c[i];
		e = AGENT_OK;
		break;
	case P11_PICK_NOT_VALID:
		*why = "the certificate has expired or is not valid yet";
		e = AGENT_CERT_EXPIRED;
		break;
	case P11_PICK_NONE:
	case P11_PICK_NO_MATCH:
	case P11_PICK_SEVERAL: break;
	}
	free(v);
	return e;
}

/* Appends s to d with what could fake a line of the dialog or reorder
 * its text (control characters, Unicode bidirectional controls) dropped,
 * cut at a character boundary after max bytes ("…" then). */
static int
put_shown(struct buf *d, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, seq, used = 0;
	int r;

	for (i = 0; p[i] != '\0'; i += seq) {
		if ((seq = pinentry_char_len(s + i)) == 0)
			return 0;
		if (p[i] < 0x20 || p[i] == 0x7f)
			continue;
		if (seq == 3 && p[i] == 0xe2 &&
		    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||
			(p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9)))
			continue;
		if (seq > max - used)
			return buf_put(d, "…", strlen("…"));
		if ((r = buf_put(d, p + i, seq)) != 0)
			return r;
		used += seq;
	}
	return 0;
}

/* The confirmation's text: who asks, who signs, how many items, and
 * each one's title and the start of its SHA-256. */
static int
confirm_text(const struct batch *b, char **out)
{
	const struct tok_cert *c = b->cert;
	struct buf *d = NULL;
	uint32_t i;
	int r = KYSO_ERR_NOMEM;

	if ((d = buf_new(16384)) == NULL)
		goto out;
	if ((r = buf_putf(d,
		 ngettext("%s asks you to sign %u document.",
		     "%s asks you to sign %u documents.", b->n),
		 b->origin, b->n)) != 0 ||
	    (r = buf_putf(d, "\n%s ", _("Signer:"))) != 0 ||
	    (r = put_shown(d, c->cn != NULL ? c->cn : "?", 128)) != 0 ||
	    (r = buf_putf(d, _(" (certificate serial %s)"), c->serial_hex)) != 0 ||
	    (r = buf_putf(d, "\n")) != 0)
		goto out;
	for (i = 0; i < b->n && i < TOK_LIST_ITEMS; i++) {
		if ((r = buf_putf(d, "\n%u. ", i + 1)) != 0 ||
		    (r = put_shown(d, b->items[i].title, TOK_SHOW_TITLE)) != 0 ||
		    (r = buf_putf(d, "  [SHA-256 ")) != 0 ||
		    (r = hex_encode(d, b->items[i].sha256, 8)) != 0 ||
		    (r = buf_putf(d, "]")) != 0)
			goto out;
	}
	if (b->n > TOK_LIST_ITEMS &&
	    ((r = buf_putf(d, "\n")) != 0 ||
		(r = buf_putf(d,
		     ngettext("and %u more", "and %u more", b->n - TOK_LIST_ITEMS),
		     b->n - TOK_LIST_ITEMS)) != 0))
		goto out;
	r = KYSO_ERR_NOMEM;
	if ((*out = buf_to_cstr(d)) == NULL)
		goto out;
	r = 0;
out:
	buf_free(d);
	return r;
}

/* A dialog that ended other than by OK: the batch's answer. */
static enum agent_err
dialog_err(enum pinentry_answer ans, const char **why)
{
	if (ans == PINENTRY_TIMEOUT) {
		*why = "the dialog was left open too long";
		return AGENT_TIMEOUT;
	}
	*why = "the user cancelled";
	return AGENT_USER_CANCELLED;
}

/* What the token says of its user PIN now, without a login (tries_left
 * 0 locked, 1 the final try, else P11_TRIES_UNKNOWN, also when it cannot
 * be asked). Asked before the dialog (a locked PIN is told at once, a
 * wrong PIN given before is said in the dialog) and after a wrong PIN. */
static struct p11_pin_info
pin_state(struct tok *t, const char *serial)
{
	struct p11_pin_info pi;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	struct p11 *p;

	if (tok_p11(t, &p) != 0 || p11_find_token(p, serial, &slot, &ti) != 0 ||
	    p11_pin_info(p, slot, CKU_USER, &pi) != 0) {
		memset(&pi, 0, sizeof(pi));
		pi.tries_left = P11_TRIES_UNKNOWN;
	}
	return pi;
}

static int
pin_tries(struct tok *t, const char *serial)
{
	return pin_state(t, serial).tries_left;
}

/* The confirmation then the PIN, in one pinentry. *pin is set only when
 * the user confirmed and gave one; else the batch's error. */
static enum agent_err
ask_user(struct tok *t, const struct batch *b, char **pin, const char **why)
{
	struct pinentry *pe = NULL;
	enum pinentry_answer ans = PINENTRY_CANCEL;
	enum agent_err e = AGENT_INTERNAL;
	struct p11_pin_info pi;
	const char *tries;
	char *text = NULL, *pdesc = NULL;

	*why = "the dialog program (pinentry) failed";
	if (confirm_text(b, &text) != 0 ||
	    asprintf(&pdesc, _("Enter the PIN of the token \"%s\" to sign."),
		b->cert->label) < 0) {
		pdesc = NULL;
		goto out;
	}
	if (tok_dialog_start(t, &pe) != 0 ||
	    pinentry_set(pe, "SETDESC", text) != 0 ||
	    pinentry_set(pe, "SETOK", _("Sign")) != 0 ||
	    pinentry_set(pe, "SETCANCEL", _("Cancel")) != 0 ||
	    pinentry_confirm(pe, &ans) != 0)
		goto out;
	if (ans != PINENTRY_OK) {
		e = dialog_err(ans, why);
		goto out;
	}
	/* The tries left in the words kyso-token and kyso-manager use. */
	pi = pin_state(t, b->cert->serial);
	tries = tm_tries_text(pi.tries_left, pi.count_low);
	if (pinentry_set(pe, "SETDESC", pdesc) != 0 ||
	    (tries != NULL && pinentry_set(pe, "SETERROR", _(tries)) != 0) ||
	    pinentry_set(pe, "SETPROMPT", "PIN") != 0 ||
	    pinentry_getpin(pe, &ans, pin) != 0)
		goto out;
	e = ans == PINENTRY_OK ? AGENT_OK : dialog_err(ans, why);
out:
	pinentry_free(pe);
	free(text);
	free(pdesc);
	return e;
}

/* The number of pages, for a stamp on the last one (page=0). */
static int
page_count(const struct item *it, int *out)
{
	struct pdf *pdf = NULL;
	struct pdf_obj *root = NULL, *pages = NULL, *count;
	const struct pdf_obj *ref;
	int r = KYSO_ERR_INVALID;

	if ((r = pdf_open(it->data, it->len, &pdf, NULL)) != 0)
		goto out;
	r = KYSO_ERR_INVALID;
	if ((ref = pdf_dict_get(pdf_trailer(pdf), "Root")) == NULL ||
	    pdf_resolve(pdf, ref, &root) != 0 ||
	    (ref = pdf_dict_get(root, "Pages")) == NULL ||
	    pdf_resolve(pdf, ref, &pages) != 0 ||
	    (count = pdf_dict_get(pages, "Count")) == NULL ||
	    count->type != PDF_INT || count->i < 1 || count->i > 1000000)
		goto out;
	*out = (int)count->i;
	r = 0;
out:
	pdf_obj_free(pages);
	pdf_obj_free(root);
	pdf_free(pdf);
	return r;
}

/* One item through libkysosign into out. */
static int
sign_item(struct p11_signer *s, struct item *it, struct buf *out, const char **why)
{
	int r;

	switch (it->kind) {
	case ITEM_PDF:
		if (it->last_page && (r = page_count(it, &it->pdf.page)) != 0) {
			*why = "the document's page tree cannot be read";
			return r;
		}
		return pdf_sign_mem(s, it->data, it->len, &it->pdf, out, why);
	case ITEM_XML:
		return xmldsig_sign_mem(s, it->data, it->len, &it->xml, out, why);
	case ITEM_CMS:
		return cades_sign_mem(s, it->data, it->len, NULL, out, why);
	}
	*why = "unknown item type";
	return KYSO_ERR_INVALID;
}

/* Tests only (tok_set_test_step): waits for DIR/step.<index>. */
static void
test_step(struct tok *t, uint32_t index)
{
	char path[4096];
	struct stat st;
	int i;

	if (t->test_step == NULL)
		return;
	snprintf(path, sizeof(path), "%s/step.%u", t->test_step, index);
	for (i = 0; i < 1000 && stat(path, &st) != 0; i++)
		usleep(10000);
}

/* Items from index on get code (the batch stopped), then P_DONE. */
static int
finish_rest(struct tok *t, const struct batch *b, uint32_t from,
    enum agent_err code, const char *why)
{
	uint32_t i;
	int r;

	for (i = from; i < b->n; i++)
		if ((r = tok_send_item(t, i, code, why, NULL, 0)) != 0)
			return r;
	return tok_send_done(t, code, 0, why);
}

/* The items, in order, on an open signer. */
static int
sign_all(struct tok *t, struct batch *b, struct p11_signer *s)
{
	struct buf *out = NULL;
	const char *why;
	uint32_t i;
	int r = 0;

	for (i = 0; i < b->n; i++) {
		if (tok_batch_interrupted(t)) {
			if (t->dead)
				return KYSO_ERR_IO;
			return finish_rest(t, b, i, AGENT_USER_CANCELLED,
			    "the page cancelled the batch");
		}
		if ((r = tok_send_progress(t, i, STAGE_SIGNING)) != 0)
			return r;
		if ((out = buf_new(PROTO_MAX_FRAME - TOK_ITEM_SLACK)) == NULL)
			return finish_rest(t, b, i, AGENT_INTERNAL,
			    "out of memory");
		why = "signing failed";
		r = sign_item(s, &b->items[i], out, &why);
		if (r != 0 && !tok_token_present(t, b->cert->serial)) {
			buf_free(out);
			return finish_rest(t, b, i, AGENT_TOKEN_ABSENT,
			    "the token was unplugged");
		}
		r = r != 0 ? tok_send_item(t, i, AGENT_SIGN_FAILED, why, NULL, 0)
			   : tok_send_item(t, i, AGENT_OK, "", buf_ptr(out),
				 buf_len(out));
		buf_free(out);
		out = NULL;
		if (r != 0 || (r = tok_send_progress(t, i, STAGE_ITEM_DONE)) != 0)
			return r;
		test_step(t, i);
	}
	return tok_send_done(t, AGENT_OK, 0, "");
}

/* Logs in with pin (wiped by the call) on the chosen certificate's
 * token and key; on failure the batch's error. */
static enum agent_err
open_signer(struct tok *t, const struct batch *b, char *pin,
    struct p11_signer **s, uint32_t *tries, const char **why)
{
	struct p11_signer_opts so;
	int r, k;

	memset(&so, 0, sizeof(so));
	so.module = t->module;
	so.token = b->cert->serial;
	so.key_id = b->cert->id;
	so.key_id_len = b->cert->idlen;
	r = p11_signer_open(&so, pin, s, why);
	if (r == 0)
		return AGENT_OK;
	switch (r) {
	case KYSO_ERR_PIN_INCORRECT:
		/* contract: 0xffffffff when the token does not say */
		k = pin_tries(t, b->cert->serial);
		*tries = k < 0 ? UINT32_MAX : (uint32_t)k;
		*why = "the PIN is incorrect";
		return AGENT_PIN_INCORRECT;
	case KYSO_ERR_PIN_LOCKED:
		*why = "the PIN is locked";
		return AGENT_PIN_LOCKED;
	case KYSO_ERR_PIN_EXPIRED: return AGENT_SIGN_FAILED;
	}
	if (!tok_token_present(t, b->cert->serial)) {
		*why = "the token was unplugged";
		return AGENT_TOKEN_ABSENT;
	}
	return AGENT_INTERNAL;
}

int
tok_do_sign(struct tok *t, struct buf *req)
{
	struct batch b;
	struct tok_cert *certs = NULL;
	struct p11_signer *s = NULL;
	enum agent_err e = AGENT_INTERNAL;
	const char *why = "internal error";
	uint32_t tries = 0;
	size_t nc = 0;
	char *pin = NULL;
	int r;

	memset(&b, 0, sizeof(b));
	t->in_batch = 1;
	t->cancelled = 0;
	if ((r = parse(t, req, &b, &why)) != 0) {
		if (r == KYSO_ERR_INVALID)
			goto out; /* not well-formed: drop the peer */
		e = r == KYSO_ERR_TOO_LARGE ? AGENT_TOO_LARGE
		    : r == KYSO_ERR_NOMEM || r == KYSO_ERR_CRYPTO
		    ? AGENT_INTERNAL
		    : AGENT_BAD_REQUEST;
		goto done;
	}
	if (tok_certs(t, &certs, &nc) != 0) {
		why = "cannot read the tokens";
		goto done;
	}
	if (nc == 0 && !tok_any_token(t)) {
		e = AGENT_TOKEN_ABSENT;
		why = "no token is plugged in";
		goto done;
	}
	if ((e = choose_cert(certs, nc, b.cert_id, &b.cert, &why)) != AGENT_OK)
		goto done;
	if (pin_tries(t, b.cert->serial) == 0) {
		e = AGENT_PIN_LOCKED;
		why = "the PIN is locked";
		goto done;
	}
	if ((r = tok_send_progress(t, 0, STAGE_WAITING_USER)) != 0)
		goto out;
	e = ask_user(t, &b, &pin, &why);
	/* A cancel that came while the dialog was closing still counts:
	 * nothing is signed after it. */
	if (tok_batch_interrupted(t) && t->dead)
		goto out;
	if (t->cancelled) {
		e = AGENT_USER_CANCELLED;
		why = "the page cancelled the batch";
	}
	if (e != AGENT_OK)
		goto done;
	e = open_signer(t, &b, pin, &s, &tries, &why);
	secret_free(pin);
	pin = NULL;
	if (e != AGENT_OK)
		goto done;
	r = sign_all(t, &b, s);
	goto out;
done:
	r = tok_send_done(t, e, tries, why);
out:
	secret_free(pin);
	p11_signer_free(s);
	tok_certs_free(certs, nc);
	batch_free(&b);
	t->in_batch = 0;
	t->cancelled = 0;
	return r;
}
