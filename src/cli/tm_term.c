/* kyso-token as the terminal face of libkysotm: the flows ask through
 * these callbacks (no-echo prompts or --*-fd lines, yes/no on the
 * terminal) and their results are put in kyso-token's words and exit
 * codes here. Every sentence a subscriber reads is in this file or in
 * the cmd_*.c that runs the flow. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/secret.h"

/* Reads one secret the way kyso-token reads PINs: from the flow's file
 * descriptor when a script gave one, else a no-echo prompt. */
static int
term_secret(void *ud, enum tm_secret what, char **out)
{
	struct tm_term *tt = ud;
	int r;

	switch (what) {
	case TM_SECRET_PIN:
		return secret_read(tt->pin_fd, _("Token PIN: "), out);
	case TM_SECRET_OLD_PIN:
		return secret_read(tt->pin_fd, _("Old PIN: "), out);
	case TM_SECRET_NEW_PIN:
		return secret_read(tt->new_pin_fd, _("New PIN: "), out);
	case TM_SECRET_NEW_PIN_AGAIN:
		/* A second line on --new-pin-fd, or asked; a script may give
		 * the new PIN once. */
		r = secret_read(tt->new_pin_fd, _("Confirm the new PIN: "), out);
		if (r != 0 && tt->new_pin_fd >= 0) {
			*out = NULL;
			return 0;
		}
		return r;
	case TM_SECRET_SO_PIN:
		return secret_read(tt->so_pin_fd, _("SO PIN: "), out);
	case TM_SECRET_CODE:
		return secret_read(tt->code_fd,
		    _("Activation code (from the CA's e-mail): "), out);
	case TM_SECRET_OTP:
		return secret_read(tt->otp_fd, _("OTP from the e-mail: "), out);
	}
	return KYSO_ERR_INVALID;
}

/* The factory-PIN offer reads as the command that makes it: register
 * insists, the plug-in checks only suggest. */
static int
term_choice(void *ud, enum tm_question q, const struct tm_result *r)
{
	struct tm_term *tt = ud;

	switch (q) {
	case TM_ASK_CHANGE_FACTORY_PIN:
		if (tt->enrolling) {
			printf(_(
			    "The token still has the factory PIN; change it first.\n"));
			return !tt->yes && isatty(STDIN_FILENO) &&
			    cli_confirm(_("Change the PIN now? [Y/n] "));
		}
		if (!tt->c->json)
			printf(_("Token %s still has the factory PIN. Change it before you sign.\n"),
			    r->token_serial);
		return tt->interactive &&
		    cli_confirm(_("Change the PIN now? [Y/n] "));
	case TM_ASK_DETAILS_RIGHT:
		return tt->yes ||
		    cli_confirm(_(
			"Is this information correct? Install the certificate on the token? [Y/n] "));
	}
	return 0;
}

/* The registered details, for the subscriber to check. */
static void
term_details(void *ud, const struct tm_details *d)
{
	struct tm_term *tt = ud;

	if (tt->c->json)
		return;
	if (d->kind == TM_KIND_RENEW)
		printf(_("Certificate renewal (the details stay the same):\n"));
	else if (d->kind == TM_KIND_UPDATE)
		printf(_("Certificate with changed details:\n"));
	else
		printf(_("Registered certificate details:\n"));
	printf(_("  Name:            %s\n"), d->cn);
	printf(_("  Identifier:      %s\n"), d->uid);
	if (*d->o != '\0')
		printf(_("  Organization:    %s\n"), d->o);
	printf(_("  Province:        %s\n"), d->st);
	printf(_("  E-mail:          %s\n"), d->email);
	printf(_("  Key:             %s, made on this token\n"),
	    _(tm_key_text(d->key_type)));
	printf(_("  Validity:        %lld year(s)\n"), d->validity_years);
	printf(_("  Subject:         %s\n"), d->subject_dn);
}

/* change-PIN's own words, also when another flow changed the PIN. */
static void
pin_changed(const struct tm_term *tt)
{
	if (tt->c->json)
		printf("{\"changed\": true}\n");
	else
		printf(_("The token PIN was changed.\n"));
}

/* Only the steps that kyso-token always said something about. */
static void
term_progress(void *ud, enum tm_step step, const struct tm_result *r)
{
	struct tm_term *tt = ud;

	switch (step) {
	case TM_STEP_PIN_CHANGED:
		pin_changed(tt);
		/* The PIN on --pin-fd was the old one. */
		tt->pin_fd = -1;
		break;
	case TM_STEP_PIN_NOT_CHANGED: (void)tm_term_fail(tt, r); break;
	case TM_STEP_CA_CERT_SKIPPED:
		fprintf(stderr,
		    _("Note: the CA certificate %s could not be written to the token.\n"),
		    r->ca_name);
		break;
	case TM_STEP_OTP_SENT:
		printf(_("Request sent. If the details match the CA's records, a one-time code (OTP)\n"
			 "was sent to %s. It is valid for 5 minutes.\n"),
		    tt->email);
		fflush(stdout);
		break;
	default: break;
	}
}

void
tm_term_init(struct tm_term *tt, struct cli *c)
{
	memset(tt, 0, sizeof(*tt));
	tt->c = c;
	tt->pin_fd = c->pin_fd;
	tt->new_pin_fd = c->new_pin_fd;
	tt->so_pin_fd = c->so_pin_fd;
	tt->code_fd = tt->otp_fd = -1;
	tt->ui.ud = tt;
	tt->ui.ask_secret = term_secret;
	tt->ui.ask_choice = term_choice;
	tt->ui.show_details = term_details;
	tt->ui.progress = term_progress;
}

/* A session on the token cli_open_token chose. */
int
tm_term_session(struct tm_term *tt, struct tm_session **out)
{
	int r;

	if ((r = tm_new(tt->c->p11, tt->c->slot, out)) != 0) {
		fprintf(stderr, "%s\n", kyso_strerror(r));
		return EXIT_FAIL;
	}
	if (tt->ra != NULL &&
	    (r = tm_set_ra(*out, tt->ra->url, tt->ra->ca_file)) != 0) {
		tm_free(*out);
		*out = NULL;
		fprintf(stderr, "%s\n", kyso_strerror(r));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* What a secret that was not given means to each flow. */
static int
no_secret(enum tm_secret s)
{
	switch (s) {
	case TM_SECRET_PIN: fprintf(stderr, _("No PIN was given.\n")); break;
	case TM_SECRET_OLD_PIN:
	case TM_SECRET_NEW_PIN:
		fprintf(stderr, _("No PIN was given; nothing was changed.\n"));
		break;
	case TM_SECRET_NEW_PIN_AGAIN:
		fprintf(stderr,
		    _("The new PIN was not confirmed; nothing was changed.\n"));
		break;
	case TM_SECRET_SO_PIN:
		fprintf(stderr, _("No SO PIN was given.\n"));
		break;
	case TM_SECRET_CODE:
		fprintf(stderr, _("No activation code was given.\n"));
		break;
	case TM_SECRET_OTP:
		fprintf(stderr, _("No OTP was given; the PIN was not reset.\n"));
		break;
	}
	return EXIT_USAGE;
}

/* The words of the token operation a flow names. */
static const char *
op_words(enum tm_op op)
{
	switch (op) {
	case TM_OP_INFO: /* worded whole by tm_term_fail */
	case TM_OP_OPEN: return _("Opening the token");
	case TM_OP_LOGIN: return _("Logging in to the token");
	case TM_OP_CHANGE_PIN: return _("Changing the PIN");
	case TM_OP_KEYGEN: return _("Making the key pair on the token");
	case TM_OP_RESET_PIN: return _("Resetting the PIN");
	}
	return "?";
}

/* A token refusal in cli_login's words, the try left included. */
static int
token_fail(const struct tm_term *tt, const struct tm_result *r)
{
	int ex = cli_fail_rv(tt->c, op_words(r->op), r->rv);

	if (r->op == TM_OP_LOGIN && r->err == KYSO_ERR_PIN_INCORRECT &&
	    r->tries_left == 1)
		fprintf(stderr, _("One try is left before the PIN locks.\n"));
	return ex;
}

/* The RA server's part of a failure. */
static int
ra_fail(const struct tm_term *tt, const struct tm_result *r)
{
	const char *said;

	if (r->why == TM_WHY_RA_UNREACHABLE) {
		fprintf(stderr, _("Cannot reach the CA's server %s: %s.\n"),
		    tt->ra != NULL ? tt->ra->url : "",
		    r->ra_message[0] ? r->ra_message : kyso_strerror(r->err));
		return EXIT_FAIL;
	}
	/* The server's words are English; the ones a subscriber meets are
	 * said here in their language. */
	said = tm_refusal_text(r->ra_error);
	said = said != NULL ? _(said) : NULL;
	fprintf(stderr, _("The CA's server refused the request (%ld %s): %s\n"),
	    r->http_status, r->ra_error, said != NULL ? said : r->ra_message);
	return EXIT_FAIL;
}

/* An activation code for another verb: which one to use. */
static int
wrong_kind(const struct tm_term *tt, enum tm_kind got)
{
	fprintf(stderr,
	    _("This activation code is for a %s, not for '%s'. Use 'kyso-token %s'.\n"),
	    got == TM_KIND_RENEW	? _("renewal")
		: got == TM_KIND_UPDATE ? _("change of details")
					: _("new certificate"),
	    tt->c->cmd,
	    got == TM_KIND_RENEW	? "renew"
		: got == TM_KIND_UPDATE ? "update"
					: "register");
	return EXIT_USAGE;
}

int
tm_term_fail(const struct tm_term *tt, const struct tm_result *r)
{
	switch (r->why) {
	case TM_WHY_NONE: return EXIT_OK;
	case TM_WHY_NO_SECRET: return no_secret(r->secret);
	case TM_WHY_PIN_MISMATCH:
		fprintf(stderr,
		    _("The new PIN and its confirmation differ; nothing was changed.\n"));
		return EXIT_PIN_MISMATCH;
	case TM_WHY_PIN_LENGTH:
		fprintf(stderr,
		    _("The new PIN must be %lu to %lu characters; nothing was changed.\n"),
		    r->pin_min, r->pin_max);
		return EXIT_PIN_INVALID;
	case TM_WHY_PIN_REUSED:
		fprintf(stderr,
		    _("Choose a new PIN other than the old one and the factory PIN; nothing was changed.\n"));
		return EXIT_PIN_INVALID;
	case TM_WHY_TOKEN:
		if (r->op == TM_OP_INFO) {
			fprintf(stderr, _("The token cannot be read.\n"));
			return EXIT_NO_TOKEN;
		}
		return token_fail(tt, r);
	case TM_WHY_CERTS_UNREADABLE:
		fprintf(stderr,
		    _("Cannot read the certificates on the token.\n"));
		return EXIT_FAIL;
	case TM_WHY_FACTORY_PIN: return EXIT_CHECK_DEFAULT_PIN;
	case TM_WHY_RA_UNREACHABLE:
	case TM_WHY_RA_REFUSED: return ra_fail(tt, r);
	case TM_WHY_WRONG_KIND: return wrong_kind(tt, r->kind);
	case TM_WHY_DECLINED:
		printf(_("Nothing was installed.\n"));
		return EXIT_DECLINED;
	case TM_WHY_CSR:
		fprintf(stderr,
		    _("The token could not sign the certificate request.\n"));
		return EXIT_FAIL;
	case TM_WHY_CERT_MISMATCH:
		fprintf(stderr,
		    _("The CA's server sent a certificate that does not belong to the key on this token.\n"));
		return EXIT_FAIL;
	case TM_WHY_CERT_WRITE:
		fprintf(stderr,
		    _("The certificate could not be written to the token.\n"));
		return EXIT_FAIL;
	case TM_WHY_NO_CHALLENGE:
		fprintf(stderr,
		    _("This token does not support remote PIN reset. Take it to your CA.\n"));
		return EXIT_FAIL;
	case TM_WHY_ANSWER_REFUSED:
		fprintf(stderr,
		    _("The token did not accept the CA's answer; the PIN was not reset.\n"));
		return EXIT_FAIL;
	case TM_WHY_INTERNAL:
	case TM_WHY_CANCELLED: break;
	}
	return EXIT_FAIL;
}

/* change-pin's work, also what check offers for the factory PIN. */
int
cli_change_pin(struct cli *c)
{
	struct tm_term tt;
	struct tm_session *t = NULL;
	struct tm_result *r = NULL;
	int ex;

	tm_term_init(&tt, c);
	if ((ex = tm_term_session(&tt, &t)) != EXIT_OK)
		return ex;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ex = EXIT_FAIL;
		goto out;
	}
	if (tm_change_pin(t, &tt.ui, r) != 0) {
		ex = tm_term_fail(&tt, r);
		goto out;
	}
	pin_changed(&tt);
	ex = EXIT_OK;
out:
	free(r);
	tm_free(t);
	return ex;
}
