/* kyso-token as the terminal face of libkysotm: the flows ask through
 * these callbacks (no-echo prompts or --*-fd lines, yes/no on the
 * terminal) and their results are put in kyso-token's words and exit
 * codes here. Every sentence a subscriber reads is in this file or in
 * the cmd_*.c that runs the flow. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "common/actcode.h"
#include "common/http.h"
#include "common/secret.h"

/* An activation code is a one-time code, not a PIN: echoed, so that a
 * person sees what was typed. */
int
cli_ask_line(int fd, const char *prompt, char **out)
{
	char line[SECRET_MAX + 2];
	FILE *tty;
	size_t n;
	int tfd, r = KYSO_ERR_NOT_FOUND;

	if (fd >= 0)
		return secret_read(fd, prompt, out);
	if ((tfd = open("/dev/tty", O_RDWR | O_CLOEXEC)) < 0)
		return secret_read(-1, prompt, out); /* stdin, no terminal */
	if (!isatty(tfd) || (tty = fdopen(tfd, "r+")) == NULL) {
		close(tfd);
		return secret_read(-1, prompt, out);
	}
	fputs(prompt, tty);
	fflush(tty);
	if (fgets(line, sizeof(line), tty) != NULL) {
		n = strcspn(line, "\r\n");
		r = line[n] == '\0' && n == sizeof(line) - 1 ? KYSO_ERR_TOO_LARGE
							     : 0;
		line[n] = '\0';
		if (r == 0 && (*out = strdup(line)) == NULL)
			r = KYSO_ERR_NOMEM;
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(tty);
	return r;
}

/* The code is checked here, before anything is sent: its length and its
 * check character catch a typo, which is explained and, at a terminal,
 * asked again. */
static int
term_code(struct tm_term *tt, char **out)
{
	char *s = NULL;
	int tries, r, cr;

	for (tries = 0; tries < 3; tries++) {
		if ((r = cli_ask_line(tt->code_fd,
			 _("Activation code (from the CA's e-mail): "), &s)) != 0)
			return r;
		if (*s == '\0') {
			secret_free(s);
			return KYSO_ERR_NOT_FOUND;
		}
		if ((cr = actcode_check(s)) == 0) {
			*out = s;
			return 0;
		}
		secret_free(s);
		s = NULL;
		if (cr == KYSO_ERR_CORRUPT)
			fprintf(stderr,
			    _("This activation code has a typo: its last character does not match\n"
			      "the others. Compare it with the e-mail, character by character.\n"));
		else
			fprintf(stderr,
			    _("An activation code has 20 letters and digits in four groups of five,\n"
			      "like ABCDE-FGHJK-MNPQR-STVWX. Compare it with the e-mail.\n"));
		if (tt->code_fd >= 0 || !isatty(STDIN_FILENO))
			break;
	}
	tt->code_refused = 1;
	return KYSO_ERR_INVALID;
}

/* After a refused OTP the flow asks again, up to the CA's limit; the
 * person is told why before the prompt. */
static int
term_otp(struct tm_term *tt, char **out)
{
	if (tt->otp_asks++ > 0)
		fprintf(stderr,
		    _("The CA's server did not accept that OTP (wrong or expired). Type it\n"
		      "again: %d tries left. Press Enter alone to stop.\n"),
		    TM_OTP_TRIES - tt->otp_asks + 1);
	return cli_ask_line(tt->otp_fd, _("OTP from the e-mail: "), out);
}

/* Reads one secret the way kyso-token reads PINs: from the flow's file
 * descriptor when a script gave one, else a no-echo prompt; the one-time
 * codes are echoed. */
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
	case TM_SECRET_CODE: return term_code(tt, out);
	case TM_SECRET_OTP: return term_otp(tt, out);
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

/* A field of an update as "old -> new" when it changes; buf holds it. */
static const char *
changed(const struct tm_details *d, const char *old, const char *now, char *buf,
    size_t n)
{
	if (d->kind != TM_KIND_UPDATE || d->cur_until == NULL || old == NULL ||
	    strcmp(old, now) == 0)
		return now;
	snprintf(buf, n, "%s \xe2\x86\x92 %s", *old ? old : "-", now);
	return buf;
}

/* The registered details, for the subscriber to check; a renewal or an
 * update also shows the dates and what changes, and the notice that
 * matters before accepting. */
static void
term_details(void *ud, const struct tm_details *d)
{
	struct tm_term *tt = ud;
	char b[600];

	if (tt->c->json)
		return;
	if (d->kind == TM_KIND_RENEW)
		printf(_("Certificate renewal (the details stay the same):\n"));
	else if (d->kind == TM_KIND_UPDATE)
		printf(_("Certificate with changed details:\n"));
	else
		printf(_("Registered certificate details:\n"));
	printf(_("  Name:            %s\n"),
	    changed(d, d->cur_cn, d->cn, b, sizeof(b)));
	printf(_("  Identifier:      %s\n"), d->uid);
	if (*d->o != '\0')
		printf(_("  Organization:    %s\n"),
		    changed(d, d->cur_o, d->o, b, sizeof(b)));
	printf(_("  Province:        %s\n"),
	    changed(d, d->cur_st, d->st, b, sizeof(b)));
	printf(_("  E-mail:          %s\n"),
	    changed(d, d->cur_email, d->email, b, sizeof(b)));
	printf(_("  Key:             %s, made on this token\n"),
	    _(tm_key_text(d->key_type)));
	printf(_("  Validity:        %lld year(s)\n"), d->validity_years);
	if (d->new_from != NULL)
		printf(_("  New validity:    %s to %s\n"), d->new_from,
		    d->new_until);
	if (d->cur_until != NULL)
		printf(_("  Current certificate valid until: %s\n"),
		    d->cur_until);
	printf(_("  Subject:         %s\n"), d->subject_dn);
	if (d->kind != TM_KIND_NEW)
		printf(_(
		    "Before you accept: sign the invoices and declarations still pending with\n"
		    "the current certificate. Tax, customs and e-invoice systems accept the new\n"
		    "certificate only 24 hours after you register it with them (its serial\n"
		    "number is new).\n"));
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
			 "was sent to %s.\n"),
		    tt->email);
		/* The server's own lifetime; none told by an older one. */
		if (r->otp_ttl > 0)
			printf(ngettext("It is valid for %ld minute.\n",
				   "It is valid for %ld minutes.\n",
				   (unsigned long)tm_otp_minutes(r->otp_ttl)),
			    tm_otp_minutes(r->otp_ttl));
		printf(_(
		    "If no e-mail comes within a few minutes, the CA does not know this token\n"
		    "with these details: ask your CA, or use 'kyso-token unblock' if you have\n"
		    "the token's SO PIN.\n"));
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

/* What a secret that was not given means to each flow; a code refused
 * by its local check was explained already. */
static int
no_secret(const struct tm_term *tt, enum tm_secret s)
{
	if (s == TM_SECRET_CODE && tt->code_refused)
		return EXIT_USAGE;
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

/* What a subscriber can do once the PIN is locked, said once for every
 * flow: the CA's OTP, or the SO PIN; a locked SO PIN leaves the CA. */
static void
say_unblock(int so)
{
	if (so)
		fprintf(stderr,
		    _("The SO PIN is locked too. Take the token to your CA.\n"));
	else
		fprintf(stderr,
		    _("To unblock it, run 'kyso-token forgot-pin' (the CA e-mails you a one-time code)\n"
		      "or 'kyso-token unblock' if you have the token's SO PIN.\n"));
}

/* The certificate was issued but not written: why, and, when it was
 * kept, that the same command installs it once there is room. */
static int
cert_write_fail(const struct tm_term *tt, const struct tm_result *r)
{
	if (r->err == KYSO_ERR_CAPACITY)
		fprintf(stderr,
		    _("The CA issued the certificate, but the token's memory is full and it\n"
		      "could not be written to the token.\n"));
	else
		fprintf(stderr,
		    _("The certificate could not be written to the token.\n"));
	if (r->cert_kept)
		fprintf(stderr,
		    _("It was kept on this computer with its key on the token. Make room on the\n"
		      "token (delete an old certificate with 'kyso-token certs delete'), then run\n"
		      "'kyso-token %s' again: it installs it without a new activation code.\n"),
		    tt->c->cmd);
	return EXIT_FAIL;
}

/* A token refusal in cli_login's words, with what the tries left mean:
 * a lock is said plainly with the way out, a locked PIN is not asked. */
static int
token_fail(const struct tm_term *tt, const struct tm_result *r)
{
	int so = r->secret == TM_SECRET_SO_PIN, ex;

	if (r->op == TM_OP_LOGIN && r->rv == CKR_PIN_LOCKED) {
		fprintf(stderr,
		    so ? _("Token %s: the SO PIN is locked after too many wrong tries; it was not asked.\n")
		       : _("Token %s: the PIN is locked after too many wrong tries; it was not asked.\n"),
		    r->token_serial);
		say_unblock(so);
		return EXIT_PIN_LOCKED;
	}
	ex = cli_fail_rv(tt->c, op_words(r->op), r->rv);
	if (r->op == TM_OP_KEYGEN && r->err == KYSO_ERR_CAPACITY)
		fprintf(stderr,
		    _("Nothing was sent to the CA: your activation code is still valid. Make\n"
		      "room on the token (delete an old certificate with 'kyso-token certs\n"
		      "delete'), then run 'kyso-token %s' again.\n"),
		    tt->c->cmd);
	if (r->err != KYSO_ERR_PIN_INCORRECT)
		return ex;
	if (r->tries_left == 0) {
		fprintf(stderr,
		    so ? _("That was the last try: the SO PIN is now locked.\n")
		       : _("That was the last try: the PIN is now locked.\n"));
		say_unblock(so);
		return ex; /* the PIN was wrong: exit 4 as always */
	}
	if (r->tries_left == 1)
		fprintf(stderr,
		    _("One try is left before the PIN locks. If you are not sure of the PIN,\n"
		      "do not guess: run 'kyso-token forgot-pin' instead.\n"));
	else if (r->count_low)
		fprintf(stderr, "%s\n", _(tm_tries_text(-1, 1)));
	return ex;
}

/* A transport failure in the user's language with what to do: curl's
 * English text only for the kinds nobody can act on. */
static void
say_unreachable(const struct tm_term *tt, const struct tm_result *r)
{
	const char *url = tt->ra != NULL ? tt->ra->url : "";

	switch ((enum http_fail)r->net_fail) {
	case HTTP_FAIL_UNREACHABLE:
		fprintf(stderr,
		    _("Cannot reach the CA's server %s: nothing answers at that address.\n"
		      "Check the Internet connection and the server's address (--ra, or ra_url\n"
		      "in kyso.conf), then try again.\n"),
		    url);
		return;
	case HTTP_FAIL_UNTRUSTED:
		fprintf(stderr,
		    _("The CA's server %s could not prove who it is: its TLS certificate is\n"
		      "not trusted on this computer. If your CA gave you its certificate file,\n"
		      "give it with --ra-ca FILE (or ra_ca in kyso.conf); otherwise do not go on,\n"
		      "and call your CA.\n"),
		    url);
		return;
	case HTTP_FAIL_TLS:
		fprintf(stderr,
		    _("A secure (TLS) connection to the CA's server %s could not be set up.\n"
		      "Check the address (https://...) and try again; if it keeps failing, call\n"
		      "your CA.\n"),
		    url);
		return;
	case HTTP_FAIL_TIMEOUT:
		fprintf(stderr,
		    _("The CA's server %s did not answer in time. Check the Internet\n"
		      "connection and try again in a few minutes.\n"),
		    url);
		return;
	case HTTP_FAIL_NONE:
	case HTTP_FAIL_OTHER: break;
	}
	fprintf(stderr, _("Cannot reach the CA's server %s: %s.\n"), url,
	    r->ra_message[0] ? r->ra_message : kyso_strerror(r->err));
}

/* The RA server's part of a failure. */
static int
ra_fail(const struct tm_term *tt, const struct tm_result *r)
{
	const char *said;

	if (r->why == TM_WHY_RA_UNREACHABLE) {
		say_unreachable(tt, r);
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
	case TM_WHY_NO_SECRET: return no_secret(tt, r->secret);
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
	case TM_WHY_CERT_WRITE: return cert_write_fail(tt, r);
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

/* A PIN reset (forgot-pin's OTP, unblock's SO PIN) said the same way:
 * what happened and the change that must come next; key names it in
 * JSON. */
void
tm_term_pin_reset(const struct tm_term *tt, const struct tm_result *r,
    const char *key)
{
	if (tt->c->json)
		printf("{\"%s\": true, \"serial\": \"%s\"}\n", key,
		    r->token_serial);
	else
		printf(_("The PIN of token %s was reset to the factory PIN 12345678.\n"
			 "Change it now with 'kyso-token change-pin' before you sign.\n"),
		    r->token_serial);
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
