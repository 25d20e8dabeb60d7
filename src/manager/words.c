/* What a flow's result means, in the sentences kyso-token prints (the
 * same msgids, so both faces read the same in Vietnamese), without the
 * terminal's line ends and with the window's own verbs where kyso-token
 * names a command. */
#include <string.h>

#include "manager.h"

/* A kyso-token sentence for a dialog: its final newline dropped. */
static char *
line(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	return s;
}

/* The token operation a failure names. */
static const char *
op_words(enum tm_op op)
{
	switch (op) {
	case TM_OP_INFO:
	case TM_OP_OPEN: return _("Opening the token");
	case TM_OP_LOGIN: return _("Logging in to the token");
	case TM_OP_CHANGE_PIN: return _("Changing the PIN");
	case TM_OP_KEYGEN: return _("Making the key pair on the token");
	case TM_OP_RESET_PIN: return _("Resetting the PIN");
	}
	return "?";
}

/* A token's answer, as cli_fail_rv words it. */
static char *
token_words(const struct tm_result *r)
{
	const char *what = op_words(r->op), *tries;
	char *s, *t;

	if (r->op == TM_OP_INFO)
		return line(g_strdup(_("The token cannot be read.\n")));
	switch (r->rv) {
	case CKR_PIN_INCORRECT:
		s = g_strdup_printf(_("%s: the PIN is incorrect.\n"), what);
		if (r->op == TM_OP_LOGIN &&
		    (tries = tm_tries_text(r->tries_left, r->count_low)) != NULL) {
			t = g_strconcat(s, _(tries), "\n", NULL);
			g_free(s);
			s = t;
		}
		return line(s);
	case CKR_PIN_LOCKED:
		return line(
		    g_strdup_printf(_("%s: the PIN is locked after too many wrong tries. Request an unblock on the Forgot PIN page.\n"),
			what));
	case CKR_PIN_LEN_RANGE:
	case CKR_PIN_INVALID:
		return line(
		    g_strdup_printf(_("%s: the new PIN must be 6 to 16 characters.\n"),
			what));
	case CKR_PIN_EXPIRED:
		return line(
		    g_strdup_printf(_("%s: the token still has its factory PIN. Change it first on the Change PIN page.\n"),
			what));
	case CKR_TOKEN_NOT_PRESENT:
	case CKR_DEVICE_REMOVED:
		return line(
		    g_strdup_printf(_("%s: the token was removed.\n"), what));
	case CKR_DEVICE_MEMORY:
		return line(
		    g_strdup_printf(_("%s: the token's memory is full.\n"), what));
	}
	return line(
	    g_strdup_printf(_("%s failed (%s).\n"), what, p11_rv_name(r->rv)));
}

/* The page to use instead of a code of another kind. */
static const char *
kind_page(enum tm_kind k)
{
	return k == TM_KIND_RENEW ? _("Renew certificate")
	    : k == TM_KIND_UPDATE ? _("Change details")
				  : _("Register certificate");
}

char *
words_fail(const struct mgr *m, const struct tm_result *r, const char *verb)
{
	const char *said;

	switch (r->why) {
	case TM_WHY_NONE:
	case TM_WHY_CANCELLED: return NULL;
	case TM_WHY_INTERNAL:
		return g_strdup_printf("%s: %s", verb, kyso_strerror(r->err));
	case TM_WHY_NO_SECRET:
		return line(g_strdup(r->secret == TM_SECRET_CODE
			? _("No activation code was given.\n")
			: r->secret == TM_SECRET_OTP
			? _("No OTP was given; the PIN was not reset.\n")
			: r->secret == TM_SECRET_SO_PIN
			? _("No SO PIN was given.\n")
			: r->secret == TM_SECRET_PIN
			? _("No PIN was given.\n")
			: _("No PIN was given; nothing was changed.\n")));
	case TM_WHY_PIN_MISMATCH:
		return line(g_strdup(_(
		    "The new PIN and its confirmation differ; nothing was changed.\n")));
	case TM_WHY_PIN_LENGTH:
		return line(
		    g_strdup_printf(_("The new PIN must be %lu to %lu characters; nothing was changed.\n"),
			r->pin_min, r->pin_max));
	case TM_WHY_PIN_REUSED:
		return line(g_strdup(_(
		    "Choose a new PIN other than the old one and the factory PIN; nothing was changed.\n")));
	case TM_WHY_TOKEN: return token_words(r);
	case TM_WHY_CERTS_UNREADABLE:
		return line(
		    g_strdup(_("Cannot read the certificates on the token.\n")));
	case TM_WHY_FACTORY_PIN:
		return line(g_strdup(_(
		    "The token still has the factory PIN; change it first.\n")));
	case TM_WHY_RA_UNREACHABLE:
		return line(
		    g_strdup_printf(_("Cannot reach the CA's server %s: %s.\n"),
			m->prefs.ra_url != NULL ? m->prefs.ra_url : "",
			r->ra_message[0] ? r->ra_message : kyso_strerror(r->err)));
	case TM_WHY_RA_REFUSED:
		said = tm_refusal_text(r->ra_error);
		said = said != NULL ? _(said) : NULL;
		return line(
		    g_strdup_printf(_("The CA's server refused the request (%ld %s): %s\n"),
			r->http_status, r->ra_error,
			said != NULL ? said : r->ra_message));
	case TM_WHY_WRONG_KIND:
		return g_strdup_printf(_("This activation code is for another request: use the page '%s'."),
		    kind_page(r->kind));
	case TM_WHY_DECLINED:
		return line(g_strdup(_("Nothing was installed.\n")));
	case TM_WHY_CSR:
		return line(g_strdup(
		    _("The token could not sign the certificate request.\n")));
	case TM_WHY_CERT_MISMATCH:
		return line(g_strdup(_(
		    "The CA's server sent a certificate that does not belong to the key on this token.\n")));
	case TM_WHY_CERT_WRITE:
		return g_strdup_printf("%s: %s", verb,
		    _("the token did not take the change."));
	case TM_WHY_NO_CHALLENGE:
		return line(g_strdup(_(
		    "This token does not support remote PIN reset. Take it to your CA.\n")));
	case TM_WHY_ANSWER_REFUSED:
		return line(g_strdup(_(
		    "The token did not accept the CA's answer; the PIN was not reset.\n")));
	}
	return g_strdup(kyso_strerror(r->err));
}

const char *
words_step(enum tm_step step)
{
	switch (step) {
	case TM_STEP_LOGGING_IN: return _("Logging in to the token…");
	case TM_STEP_LOOKING_UP:
		return _("Asking the CA about the activation code…");
	case TM_STEP_GENERATING_KEY:
		return _("Making the key pair on the token…");
	case TM_STEP_SENDING_REQUEST:
		return _("Sending the request to the CA…");
	case TM_STEP_INSTALLING_CERT: return _("Installing the certificate…");
	case TM_STEP_OTP_SENT: return _("Waiting for the OTP…");
	case TM_STEP_RESETTING_PIN: return _("Resetting the PIN…");
	case TM_STEP_CA_CERT_SKIPPED:
	case TM_STEP_PIN_CHANGED:
	case TM_STEP_PIN_NOT_CHANGED: break;
	}
	return NULL;
}
