/* kyso-sign's checks before the PIN: files, token, certificate. */
#include "sign/precheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/i18n.h"
#include "common/x509_text.h"
#include "p11/select.h"

/* Enough of a file to find "%PDF-" where the PDF reader looks for it. */
#define HEAD_MAX 1024

/* The PDF reader looks for its header in the first KB; an XML document
 * starts with '<' after an optional byte order mark and blanks. */
const char *
precheck_file(const char *path, enum precheck_kind kind)
{
	unsigned char head[HEAD_MAX];
	size_t n, i = 0;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return errno == ENOENT ? N_("the file does not exist")
				       : N_("the file cannot be read");
	n = fread(head, 1, sizeof(head), f);
	if (ferror(f)) {
		fclose(f);
		return N_("the file cannot be read");
	}
	fclose(f);
	switch (kind) {
	case PRECHECK_PDF:
		if (n < 8 || memmem(head, n, "%PDF-", 5) == NULL)
			return N_("not a PDF file (no %PDF- header)");
		break;
	case PRECHECK_XML:
		if (n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
			i = 3;
		while (i < n &&
		    (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' ||
			head[i] == '\n'))
			i++;
		if (i == n || head[i] != '<')
			return N_("not an XML file");
		break;
	case PRECHECK_ANY: break;
	}
	return NULL;
}

/* The certificates a person chooses from, numbered as --cert-id takes
 * them: subject, serial, valid until. */
static void
list_cands(const struct p11_cand *v, size_t n, int64_t now)
{
	char until[X509_TEXT_TIME_MAX], id[2 * 64 + 1];
	size_t i;

	fprintf(stderr, _("Certificates on the token:\n"));
	for (i = 0; i < n; i++) {
		if (x509_text_local(v[i].not_after, 0, until, sizeof(until)) != 0)
			snprintf(until, sizeof(until), "?");
		p11_cand_id_hex(&v[i], id, sizeof(id));
		fprintf(stderr,
		    _("  %zu) %s\n     serial %s, ID %s, valid until %s%s\n"),
		    i + 1, v[i].subject, v[i].serial, id, until,
		    v[i].not_after <= now	? _(" (EXPIRED)")
			: v[i].not_before > now ? _(" (not valid yet)")
						: "");
	}
	fprintf(stderr,
	    _("Choose one with --cert-id: its number, its serial or the start of its ID.\n"));
}

/* Why the chosen certificate cannot sign now, in the user's words. */
static void
say_not_valid(const struct p11_cand *c, int64_t now)
{
	char when[X509_TEXT_TIME_MAX];
	int late = c->not_after <= now;

	if (x509_text_local(late ? c->not_after : c->not_before, 0, when,
		sizeof(when)) != 0)
		snprintf(when, sizeof(when), "?");
	if (late)
		fprintf(stderr,
		    _("kyso-sign: the certificate of %s (serial %s) expired on %s: a signature made with it now would not be valid.\n"
		      "  Signatures made while it was valid stay valid. Sign with a renewed certificate.\n"),
		    c->cn, c->serial, when);
	else
		fprintf(stderr,
		    _("kyso-sign: the certificate of %s (serial %s) is not valid before %s.\n"),
		    c->cn, c->serial, when);
}

/* The choice, said: 0 with the key, else the error after the words. */
static int
choose(const struct p11_cand *v, size_t n, const char *want,
    struct precheck_key *out)
{
	int64_t now = (int64_t)time(NULL);
	size_t k = 0;
	int r = KYSO_ERR_NOT_FOUND;

	switch (p11_cand_pick(v, n, want, now, &k)) {
	case P11_PICK_OK:
		memcpy(out->id, v[k].id, v[k].idlen);
		out->idlen = v[k].idlen;
		return 0;
	case P11_PICK_NONE:
		fprintf(stderr,
		    _("kyso-sign: the token holds no signing key with a certificate.\n"));
		return KYSO_ERR_NOT_FOUND;
	case P11_PICK_NO_MATCH:
		fprintf(stderr,
		    _("kyso-sign: no certificate on the token matches --cert-id %s.\n"),
		    want);
		break;
	case P11_PICK_SEVERAL:
		fprintf(stderr,
		    _("kyso-sign: --cert-id %s matches several certificates on the token; give more of it.\n"),
		    want);
		r = KYSO_ERR_BUSY;
		break;
	case P11_PICK_AMBIGUOUS:
		fprintf(stderr,
		    _("kyso-sign: the token holds valid certificates of different holders; choose the one to sign with.\n"));
		r = KYSO_ERR_BUSY;
		break;
	case P11_PICK_NOT_VALID:
		say_not_valid(&v[k], now);
		r = KYSO_ERR_INVALID;
		if (n == 1)
			return r;
		break;
	}
	list_cands(v, n, now);
	return r;
}

/* Everything here is public on the token: no PIN yet. */
int
precheck_key(const char *module, const char *token, const char *want,
    struct precheck_key *out)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct p11_cand *v = NULL;
	struct p11 *p = NULL;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	size_t n = 0;
	int r;

	if ((r = p11_open(module, &p)) != 0) {
		fprintf(stderr, "kyso-sign: %s\n",
		    _("cannot load the PKCS#11 module"));
		goto out;
	}
	if ((r = p11_find_token(p, token, &slot, &ti)) != 0) {
		fprintf(stderr, "kyso-sign: %s\n",
		    r == KYSO_ERR_BUSY
			? _("several tokens are present: choose one with --token")
			: _("the token was not found (is it plugged in?)"));
		goto out;
	}
	if ((r = p11_session_open(p, slot, 0, &s)) != 0 ||
	    (r = p11_cands_read(p, s, &v, &n)) != 0) {
		fprintf(stderr, "kyso-sign: %s\n",
		    _("the token's certificate cannot be read"));
		goto out;
	}
	r = choose(v, n, want, out);
out:
	free(v);
	p11_session_close(p, s);
	p11_free(p);
	return r;
}
