/* kyso-sign verify: every signature of each file, reported in the
 * reader's language or as JSON (English, for scripts). */
#include "sign/verify/cmd_verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "common/i18n.h"
#include "common/x509_text.h"
#include "sign/formats/xmldsig.h"
#include "sign/verify/token_anchors.h"
#include "sign/verify/verify.h"

#include "common/config.h"

/* The exit status: the worst verdict of all the signatures (docs/man). */
enum {
	EXIT_VALID = 0,		/* every signature VALID */
	EXIT_INVALID = 1,	/* one INVALID, or a file not verified */
	EXIT_INDETERMINATE = 4, /* none INVALID, one INDETERMINATE */
};

static const char *
changes_word(enum verify_changes c)
{
	switch (c) {
	case CHANGES_NONE: return "none";
	case CHANGES_SIGNATURES: return "later-signatures-only";
	case CHANGES_DSS: return "validation-data-only";
	case CHANGES_OTHER: return "content-changed";
	case CHANGES_METADATA: return "metadata-only";
	case CHANGES_PERMITTED: return "permitted-by-certification";
	case CHANGES_FORM_FILLED: return "form-filled";
	}
	return "unknown";
}

/* A report's UTC time on the reader's clock (local time with its
 * offset); a time whose zone the document does not say stays as it is. */
static const char *
shown_time(const char *iso, char *buf, size_t n)
{
	return x509_text_iso_local(iso, buf, n) == 0 ? buf : iso;
}

/* The report a person reads, in their language (JSON stays English and
 * UTC). */
static void
print_report(const char *file, const struct sig_report *rep, size_t n, int anchors)
{
	char claimed[X509_TEXT_TIME_MAX], ts[X509_TEXT_TIME_MAX];
	size_t i;

	printf(n == 1 ? _("%s: %zu signature\n") : _("%s: %zu signatures\n"),
	    file, n);
	for (i = 0; i < n; i++) {
		const struct sig_report *r = &rep[i];

		printf("  [%zu] %s\n", i + 1, r->field ? r->field : "");
		printf(_("      signer:    %s\n"), r->signer ? r->signer : "?");
		if (r->signer_legal_name != NULL)
			printf(_("      legal name: %s\n"), r->signer_legal_name);
		if (r->signed_part != NULL)
			printf(_("      signed:    the element %s only\n"),
			    r->signed_part);
		if (r->reason != NULL)
			printf(_("      reason:    %s\n"), r->reason);
		if (r->location != NULL)
			printf(_("      location:  %s\n"), r->location);
		/* The signer's own word (a PDF's /M, a CMS signing-time):
		 * only a verified time-stamp proves when it signed. */
		if (r->claimed_time == NULL || *r->claimed_time == '\0')
			printf(_("      claimed:   %s\n"), _("(none)"));
		else if (r->ts_time != NULL && r->ts_valid)
			printf(_("      claimed:   %s\n"),
			    shown_time(r->claimed_time, claimed, sizeof(claimed)));
		else
			printf(_("      claimed:   %s (claimed by the signer, "
				 "not proven by a time-stamp)\n"),
			    shown_time(r->claimed_time, claimed, sizeof(claimed)));
		if (r->ts_time != NULL)
			printf(_("      timestamp: %s (%s)\n"),
			    shown_time(r->ts_time, ts, sizeof(ts)),
			    r->ts_valid		  ? _("valid")
				: r->ts_untrusted ? _("TSA not trusted")
						  : _("INVALID"));
		printf(_("      integrity: %s\n"),
		    r->intact		 ? _("intact")
			: r->unsupported ? _("not checked (not supported)")
					 : _("BROKEN"));
		printf(_("      after it:  %s\n"),
		    r->changes == CHANGES_NONE ? _("no changes")
			: r->changes == CHANGES_SIGNATURES
			? _("only later signatures")
			: r->changes == CHANGES_PERMITTED
			? _("only what the certification permits (form "
			    "filling, annotations)")
			: r->changes == CHANGES_FORM_FILLED
			? _("form filled after signing (field values and their "
			    "appearance, as a signature permits)")
			: r->changes == CHANGES_METADATA
			? _("only metadata (document information, XMP)")
			: r->changes == CHANGES_DSS
			? _("only validation data (DSS)")
			: _("CONTENT CHANGED after signing"));
		printf(_("      chain:     %s\n"),
		    r->trusted < 0 && anchors ? _("not checked")
			: r->trusted < 0 ? _("not checked (no trust anchor)")
			: r->trusted	 ? _("trusted")
					 : _("NOT TRUSTED"));
		if (r->anchor != NULL)
			printf(_("      anchor:    %s (from %s)\n"), r->anchor,
			    _(r->anchor_from));
		printf(_("      level:     %s\n"), r->level ? _(r->level) : "?");
		if (r->archive_time != NULL)
			printf(_("      archived:  %s (a document time-stamp "
				 "over the validation data)\n"),
			    shown_time(r->archive_time, ts, sizeof(ts)));
		if (r->digest != NULL)
			printf(_("      digest:    %s\n"), r->digest);
		if (r->revocation != NULL)
			printf(_("      revocation: %s\n"), _(r->revocation));
		if (r->doc_revocation != NULL)
			printf(_("      revocation in the document: %s\n"),
			    strcmp(r->doc_revocation, "none") == 0
				? _("none for this signer")
				: _(r->doc_revocation));
		if (r->docmdp > 0)
			printf(_("      type:      certification (DocMDP P=%d)\n"),
			    r->docmdp);
		if (r->problem != NULL)
			printf(_("      problem:   %s\n"), _(r->problem));
		if (r->verdict_why != NULL && r->verdict_why != r->problem)
			printf(_("      why:       %s\n"), _(r->verdict_why));
		printf(_("      result:    %s\n"),
		    _(sig_verdict_word(r->verdict)));
	}
}

static json_t *
json_report(const char *file, const struct sig_report *rep, size_t n,
    const char *error)
{
	json_t *j = json_object(), *a = json_array();
	size_t i;

	json_object_set_new(j, "file", json_string(file));
	if (error != NULL)
		json_object_set_new(j, "error", json_string(error));
	for (i = 0; i < n; i++) {
		const struct sig_report *r = &rep[i];
		json_t *s = json_object();

		json_object_set_new(s, "field",
		    json_string(r->field ? r->field : ""));
		json_object_set_new(s, "signer",
		    r->signer ? json_string(r->signer) : json_null());
		json_object_set_new(s, "signer_legal_name",
		    r->signer_legal_name ? json_string(r->signer_legal_name)
					 : json_null());
		json_object_set_new(s, "signed_part",
		    r->signed_part ? json_string(r->signed_part) : json_null());
		json_object_set_new(s, "reason",
		    r->reason ? json_string(r->reason) : json_null());
		json_object_set_new(s, "location",
		    r->location ? json_string(r->location) : json_null());
		json_object_set_new(s, "claimed_time",
		    json_string(r->claimed_time ? r->claimed_time : ""));
		json_object_set_new(s, "timestamp",
		    r->ts_time ? json_string(r->ts_time) : json_null());
		if (r->ts_time != NULL) {
			json_object_set_new(s, "timestamp_valid",
			    json_boolean(r->ts_valid));
			/* intact, but its TSA reaches no trust anchor */
			json_object_set_new(s, "timestamp_tsa_untrusted",
			    json_boolean(r->ts_untrusted));
		}
		json_object_set_new(s, "intact", json_boolean(r->intact));
		json_object_set_new(s, "changes_after",
		    json_string(changes_word(r->changes)));
		json_object_set_new(s, "trusted",
		    r->trusted < 0 ? json_null() : json_boolean(r->trusted));
		json_object_set_new(s, "level",
		    json_string(r->level ? r->level : ""));
		/* B-LTA: the archive (document) time-stamp's time */
		json_object_set_new(s, "archive_timestamp",
		    r->archive_time ? json_string(r->archive_time) : json_null());
		json_object_set_new(s, "certification_p",
		    json_integer(r->docmdp));
		if (r->docmdp > 0)
			json_object_set_new(s, "certification_kept",
			    json_boolean(!r->docmdp_broken &&
				r->changes != CHANGES_OTHER));
		json_object_set_new(s, "revocation",
		    r->revocation ? json_string(r->revocation) : json_null());
		json_object_set_new(s, "document_revocation",
		    r->doc_revocation ? json_string(r->doc_revocation)
				      : json_null());
		if (r->problem != NULL)
			json_object_set_new(s, "problem",
			    json_string(r->problem));
		json_object_set_new(s, "digest",
		    r->digest ? json_string(r->digest) : json_null());
		json_object_set_new(s, "signed_attributes",
		    json_boolean(r->signed_attrs));
		json_object_set_new(s, "signing_certificate_v2",
		    json_boolean(r->scv2));
		json_object_set_new(s, "anchor",
		    r->anchor ? json_string(r->anchor) : json_null());
		json_object_set_new(s, "anchor_from",
		    r->anchor ? json_string(r->anchor_from) : json_null());
		if (r->revocation_why != NULL)
			json_object_set_new(s, "revocation_reason",
			    json_string(r->revocation_why));
		json_object_set_new(s, "verdict",
		    json_string(sig_verdict_word(r->verdict)));
		json_object_set_new(s, "verdict_reason",
		    r->verdict_why ? json_string(r->verdict_why) : json_null());
		json_object_set_new(s, "valid",
		    json_boolean(r->verdict == VERDICT_VALID));
		json_array_append_new(a, s);
	}
	json_object_set_new(j, "signatures", a);
	return j;
}

static int
is_ext(const char *f, const char *ext)
{
	size_t n = strlen(f), e = strlen(ext);

	return n > e && strcasecmp(f + n - e, ext) == 0;
}

static int
is_p7s(const char *f)
{
	return is_ext(f, ".p7s");
}

int
cmd_verify(const struct verify_cli *o, int nfiles, char **files)
{
	json_t *all = o->json ? json_array() : NULL;
	struct verify_opts vo = { o->trust, o->revocation };
	const char *from = "--trust";
	struct config *cfg = NULL;
	char *tokens = NULL;
	int i, bad = 0, open = 0;

	/* Without --trust, the anchors kyso.conf names ("system": the
	 * system's CA folder, $SSL_CERT_DIR when set, as OpenSSL reads it). */
	if (vo.trust == NULL && config_load_home(&cfg) == 0 &&
	    (vo.trust = config_get(cfg, "trust")) != NULL) {
		from = "kyso.conf";
		if (strcmp(vo.trust, "system") == 0) {
			const char *env = getenv(X509_get_default_cert_dir_env());

			vo.trust = env != NULL && *env != '\0'
			    ? env
			    : X509_get_default_cert_dir();
			from = N_("the system trust store");
		}
	}
	/* Else the CA certificates on the user's tokens. */
	if (vo.trust == NULL && token_anchors_file(NULL, &tokens) == 0) {
		vo.trust = tokens;
		from = N_("the CA certificates on the token");
	}

	for (i = 0; i < nfiles; i++) {
		struct sig_report *rep = NULL;
		const char *why = NULL;
		size_t n = 0, k;
		int r;

		if (is_p7s(files[i])) {
			char *content = NULL;

			if (o->content == NULL &&
			    (content = strndup(files[i], strlen(files[i]) - 4)) ==
				NULL) {
				bad++;
				continue;
			}
			r = verify_cms_file(files[i],
			    o->content ? o->content : content, &vo, &rep, &n,
			    &why);
			free(content);
		} else if (is_ext(files[i], ".xml")) {
			r = xmldsig_verify_file(files[i], &vo, &rep, &n, &why);
		} else {
			r = verify_pdf_file(files[i], &vo, &rep, &n, &why);
		}
		if (r != 0) {
			bad++;
			if (all != NULL)
				json_array_append_new(all,
				    json_report(files[i], NULL, 0, why));
			else
				fprintf(stderr,
				    _("kyso-sign: %s: cannot verify: %s\n"),
				    files[i], _(why));
			continue;
		}
		if (n == 0)
			bad++;
		for (k = 0; k < n; k++) {
			rep[k].anchor_from = from;
			if (rep[k].verdict == VERDICT_INVALID)
				bad++;
			else if (rep[k].verdict == VERDICT_INDETERMINATE)
				open++;
		}
		if (all != NULL)
			json_array_append_new(all,
			    json_report(files[i], rep, n,
				n == 0 ? "no signatures" : NULL));
		else
			print_report(files[i], rep, n, vo.trust != NULL);
		sig_reports_free(rep, n);
	}
	if (all != NULL) {
		char *s = json_dumps(all, JSON_INDENT(2));

		if (s != NULL)
			puts(s);
		free(s);
		json_decref(all);
	}
	config_free(cfg);
	token_anchors_remove(tokens);
	return bad ? EXIT_INVALID : open ? EXIT_INDETERMINATE : EXIT_VALID;
}
