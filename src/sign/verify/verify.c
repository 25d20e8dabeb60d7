#include "common/i18n.h"
#include "sign/verify/verify.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "sign/formats/pdf_dss.h"
#include "sign/mapfile.h"
#include "sign/pdf/pdf.h"
#include "sign/pdf/pdf_form.h"
#include "sign/verify/pdf_changes.h"
#include "sign/verify/verify_cms.h"

#define MAX_SIGS 256

void
sig_reports_free(struct sig_report *r, size_t n)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(r[i].field);
		free(r[i].signer);
		free(r[i].signer_legal_name);
		free(r[i].claimed_time);
		free(r[i].ts_time);
		free(r[i].archive_time);
		free(r[i].signed_part);
		free(r[i].reason);
		free(r[i].location);
		free(r[i].anchor);
	}
	free(r);
}

const char *
sig_verdict_word(enum sig_verdict v)
{
	switch (v) {
	case VERDICT_VALID: return N_("VALID");
	case VERDICT_INDETERMINATE: return N_("INDETERMINATE");
	case VERDICT_INVALID: return N_("INVALID");
	}
	return "?";
}

/* ETSI EN 319 102-1: INVALID for what proves the signature wrong (broken,
 * revoked, changed after, a time-stamp that does not verify), else
 * INDETERMINATE for what could not be established (an unsupported part,
 * no anchor or a chain that does not reach one, revocation unknown),
 * else VALID. The reason is the report's problem, or says what is open. */
void
sig_report_judge(struct sig_report *r)
{
	r->verdict = VERDICT_INVALID;
	r->verdict_why = r->problem;
	if (!r->intact && !r->unsupported)
		return;
	if (r->changes == CHANGES_OTHER) {
		r->verdict_why = N_(
		    "the document was changed after this signature");
		return;
	}
	if (r->docmdp_broken ||
	    (r->ts_time != NULL && !r->ts_valid && !r->ts_untrusted) ||
	    (r->revocation != NULL && strcmp(r->revocation, "revoked") == 0) ||
	    (r->doc_revocation != NULL &&
		strcmp(r->doc_revocation, "revoked") == 0))
		return;
	r->verdict = VERDICT_INDETERMINATE;
	if (r->unsupported)
		return;
	if (r->trusted < 0) {
		r->verdict_why = N_(
		    "no trust anchor was given (--trust, or trust = in "
		    "kyso.conf): who the signer is, is not established");
		return;
	}
	if (r->trusted == 0) {
		r->verdict_why = N_(
		    "the certificate does not chain to a trust anchor");
		return;
	}
	if (r->ts_untrusted) {
		r->verdict_why = N_("the time-stamp's authority (TSA) does not "
				    "chain to a trust anchor");
		return;
	}
	if (r->revocation != NULL && strcmp(r->revocation, "good") != 0) {
		r->verdict_why = r->revocation_why != NULL
		    ? r->revocation_why
		    : N_("whether the certificate is revoked could not be "
			 "established");
		return;
	}
	r->verdict = VERDICT_VALID;
	r->verdict_why = NULL;
}

struct found {
	char *field;
	struct pdf_obj *sig;  /* the signature dictionary */
	struct pdf_obj *lock; /* the field's /Lock (FieldMDP), or NULL */
};

struct sigs {
	struct found f[MAX_SIGS];
	uint64_t end[MAX_SIGS]; /* where each one's byte range ends */
	size_t n;
};

static int
md_update(void *ud, const uint8_t *p, size_t n)
{
	return EVP_DigestUpdate(ud, p, n) == 1 ? 0 : KYSO_ERR_CRYPTO;
}

/* The signed bytes of a file: [a, a + an) and [b, b + bn). */
struct ranges {
	struct mapfile *m;
	size_t a, an, b, bn;
};

/* verify_digest_fn over the ranges, by the signature's algorithm. */
static int
digest_ranges(void *ud, const EVP_MD *mdt, uint8_t *out, unsigned *len)
{
	const struct ranges *rg = ud;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = KYSO_ERR_CRYPTO;

	if (md != NULL && EVP_DigestInit_ex(md, mdt, NULL) == 1 &&
	    mapfile_each(rg->m, rg->a, rg->an, md_update, md) == 0 &&
	    (rg->bn == 0 ||
		mapfile_each(rg->m, rg->b, rg->bn, md_update, md) == 0) &&
	    EVP_DigestFinal_ex(md, out, len) == 1)
		r = 0;
	EVP_MD_CTX_free(md);
	return r;
}

static char *
str_dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* cp as UTF-8 at o; control characters (a hostile file's escapes or
 * newlines would reach the terminal) become U+FFFD. */
static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A PDF text string (/Reason, /Location; ISO 32000-1 7.9.2.2) as UTF-8:
 * UTF-16BE after FE FF, else PDFDocEncoding (read as Latin-1 above
 * 0xA0, where the two agree); NULL when t is no string. */
static char *
pdf_text_utf8(const struct pdf_obj *t)
{
	const uint8_t *s;
	size_t n, i, k = 0;
	uint32_t cp, lo;
	char *o;

	if (t == NULL || t->type != PDF_STRING)
		return NULL;
	s = t->s;
	n = t->n;
	/* Each byte or pair of bytes gives at most three bytes out. */
	if (n > SIZE_MAX / 3 - 1 || (o = malloc(n * 3 + 1)) == NULL)
		return NULL;
	if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
		for (i = 2; n - i >= 2; i += 2) {
			cp = (uint32_t)s[i] << 8 | s[i + 1];
			if (cp >= 0xd800 && cp < 0xdc00 && n - i >= 4) {
				lo = (uint32_t)s[i + 2] << 8 | s[i + 3];
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					i += 2;
				}
			}
			k += put_utf8(o + k, cp);
		}
	} else {
		for (i = 0; i < n; i++)
			k += put_utf8(o + k,
			    s[i] > 0xa0 || s[i] < 0x7f ? s[i] : 0xfffd);
	}
	o[k] = '\0';
	return o;
}

/* Visitor: keeps each signature field with a value (its /V dictionary);
 * stops when MAX_SIGS are held. */
static enum pdf_form_next
add_sig(void *ud, struct pdf *pdf, const struct pdf_obj *f)
{
	struct sigs *out = ud;
	struct pdf_obj *v = NULL;
	const struct pdf_obj *t;

	if (f->type != PDF_DICT)
		return PDF_FORM_SKIP_KIDS;
	if (pdf_name_is(pdf_dict_get(f, "FT"), "Sig") &&
	    pdf_dict_get(f, "V") != NULL &&
	    pdf_resolve(pdf, pdf_dict_get(f, "V"), &v) == 0 &&
	    v->type == PDF_DICT) {
		t = pdf_dict_get(f, "T");
		out->f[out->n].field = t != NULL && t->type == PDF_STRING
		    ? str_dup_n(t->s, t->n)
		    : strdup("");
		out->f[out->n].sig = v;
		if (pdf_dict_get(f, "Lock") != NULL &&
		    pdf_resolve(pdf, pdf_dict_get(f, "Lock"),
			&out->f[out->n].lock) != 0)
			out->f[out->n].lock = NULL;
		out->n++;
		v = NULL;
	}
	pdf_obj_free(v);
	return out->n < MAX_SIGS ? PDF_FORM_NEXT : PDF_FORM_STOP;
}

/* n decimal digits at s. */
static int
digits_ok(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Their value (digits_ok first). */
static int
num(const uint8_t *s, size_t n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

static char *
pdf_date_text(const struct pdf_obj *m)
{
	const uint8_t *s;
	char *o;

	if (m == NULL || m->type != PDF_STRING)
		return strdup("");
	s = m->s;
	/* D:YYYYMMDDHHmmSS, then Z or +HH'mm' / -HH'mm': the instant in UTC,
	 * YYYY-MM-DDTHH:mm:SSZ (shown on the reader's clock); without a
	 * zone, the time as written. */
	if (m->n >= 16 && memcmp(s, "D:", 2) == 0 && digits_ok(s + 2, 14) &&
	    (o = malloc(40)) != NULL) {
		long off = 0;
		int zoned = m->n > 16 && s[16] == 'Z';

		if (m->n >= 19 && (s[16] == '+' || s[16] == '-') &&
		    digits_ok(s + 17, 2)) {
			off = num(s + 17, 2) * 3600L;
			if (m->n >= 22 && s[19] == '\'' && digits_ok(s + 20, 2))
				off += num(s + 20, 2) * 60L;
			if (s[16] == '-')
				off = -off;
			zoned = 1;
		}
		if (zoned) {
			struct tm tm = { 0 };
			time_t t;

			tm.tm_year = num(s + 2, 4) - 1900;
			tm.tm_mon = num(s + 6, 2) - 1;
			tm.tm_mday = num(s + 8, 2);
			tm.tm_hour = num(s + 10, 2);
			tm.tm_min = num(s + 12, 2);
			tm.tm_sec = num(s + 14, 2);
			t = timegm(&tm) - off;
			if (gmtime_r(&t, &tm) != NULL &&
			    strftime(o, 40, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0)
				return o;
		}
		snprintf(o, 40, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", s + 2, s + 6,
		    s + 8, s + 10, s + 12, s + 14);
		return o;
	}
	return str_dup_n(m->s, m->n);
}

/* The /TransformParams of the signature dictionary's FieldMDP reference
 * (the fields it locks), or NULL. */
static const struct pdf_obj *
fieldmdp_params(const struct pdf_obj *sig)
{
	const struct pdf_obj *ref = pdf_dict_get(sig, "Reference");
	size_t i;

	for (i = 0; ref != NULL && ref->type == PDF_ARRAY && i < ref->count; i++)
		if (pdf_name_is(pdf_dict_get(ref->items[i], "TransformMethod"),
			"FieldMDP"))
			return pdf_dict_get(ref->items[i], "TransformParams");
	return NULL;
}

/* Checks one signature: the /ByteRange layout, the digest over it, the CMS. */
static int
check_sig(struct pdf *pdf, struct mapfile *m, const struct found *f,
    const struct verify_opts *vo, const struct revoc *vd, struct sig_report *rep)
{
	const struct pdf_obj *br = pdf_dict_get(f->sig, "ByteRange");
	const struct pdf_obj *ct = pdf_dict_get(f->sig, "Contents");
	const struct pdf_obj *sf = pdf_dict_get(f->sig, "SubFilter");
	const uint8_t *d = pdf_data(pdf);
	size_t len = pdf_len(pdf), i;
	int64_t v[4];
	struct ranges rg;
	int r = 0;

	rep->claimed_time = pdf_date_text(pdf_dict_get(f->sig, "M"));
	rep->reason = pdf_text_utf8(pdf_dict_get(f->sig, "Reason"));
	rep->location = pdf_text_utf8(pdf_dict_get(f->sig, "Location"));
	{
		const struct pdf_obj *ref = pdf_dict_get(f->sig, "Reference");

		for (i = 0;
		     ref != NULL && ref->type == PDF_ARRAY && i < ref->count;
		     i++) {
			const struct pdf_obj *it = ref->items[i], *tp, *p;

			if (!pdf_name_is(pdf_dict_get(it, "TransformMethod"),
				"DocMDP"))
				continue;
			tp = pdf_dict_get(it, "TransformParams");
			p = pdf_dict_get(tp, "P");
			rep->docmdp = p != NULL && p->type == PDF_INT ? (int)p->i
								      : 2;
		}
	}
	rep->trusted = -1;
	if (pdf_name_is(sf, "adbe.pkcs7.detached"))
		rep->level = "PKCS#7";
	else if (pdf_name_is(sf, "ETSI.CAdES.detached"))
		rep->level = "CAdES";
	else if (pdf_name_is(sf, "ETSI.RFC3161"))
		rep->level = "document time-stamp";
	else {
		rep->level = "unknown";
		rep->unsupported = 1;
		rep->problem = N_("the signature's /SubFilter is not supported");
		return 0;
	}
	if (br == NULL || br->type != PDF_ARRAY || br->count != 4 ||
	    ct == NULL || ct->type != PDF_STRING) {
		rep->problem = N_("the signature dictionary is damaged");
		return 0;
	}
	for (i = 0; i < 4; i++) {
		if (br->items[i]->type != PDF_INT || br->items[i]->i < 0) {
			rep->problem = N_("the /ByteRange is damaged");
			return 0;
		}
		v[i] = br->items[i]->i;
	}
	/* One hole, exactly the /Contents hex string. */
	if (v[0] != 0 || v[1] > v[2] || (uint64_t)v[2] > len ||
	    (uint64_t)v[3] > len - (uint64_t)v[2] || v[2] - v[1] < 2 ||
	    d[v[1]] != '<' || d[v[2] - 1] != '>' ||
	    (size_t)(v[2] - v[1] - 2) / 2 < ct->n) {
		rep->problem = N_(
		    "the /ByteRange does not cover the file around /Contents");
		return 0;
	}
	rg.m = m;
	rg.a = 0;
	rg.an = (size_t)v[1];
	rg.b = (size_t)v[2];
	rg.bn = (size_t)v[3];
	if (strcmp(rep->level, "document time-stamp") == 0)
		return verify_doc_ts(ct->s, ct->n, digest_ranges, &rg, vo, rep);
	{
		const char *keep = rep->level;

		rep->level = NULL;
		r = verify_cms_der(ct->s, ct->n, digest_ranges, &rg, vo, vd, rep);
		if (r == 0 && rep->intact && !rep->signed_attrs)
			rep->level = N_("PKCS#7 without signed attributes "
					"(not PAdES baseline)");
		else if (strcmp(keep, "PKCS#7") == 0)
			rep->level = N_("PKCS#7 (not PAdES baseline)");
		else if (strcmp(rep->level, "CMS") == 0)
			rep->level = "CAdES (no signing-certificate-v2)";
	}
	return r;
}

/* Whether the revision ending at end (a document time-stamp's) holds the
 * document's validation data as verify read it (now): a DSS with as many
 * certificates, OCSP responses and CRLs, none added after. */
static int
dss_covered(const uint8_t *d, size_t len, uint64_t end, const struct revoc *now)
{
	struct pdf *p = NULL;
	struct pdf_obj *root = NULL;
	struct revoc then;
	const char *why;
	int ok = 0;

	memset(&then, 0, sizeof(then));
	if (end > len || pdf_open(d, (size_t)end, &p, &why) != 0)
		return 0;
	if (pdf_resolve(p, pdf_dict_get(pdf_trailer(p), "Root"), &root) == 0 &&
	    pdf_dss_read(p, root, &then) == 0)
		ok = then.ncerts + then.nocsps + then.ncrls > 0 &&
		    then.ncerts == now->ncerts && then.nocsps == now->nocsps &&
		    then.ncrls == now->ncrls;
	revoc_clear(&then);
	pdf_obj_free(root);
	pdf_free(p);
	return ok;
}

/* B-LTA (ETSI EN 319 142-1): a B-LT signature under an intact document
 * time-stamp (whose TSA is not known to be untrusted) that covers the
 * validation data; the newest such time-stamp's time is the report's. */
static int
find_lta(struct pdf *pdf, const struct sigs *s, struct sig_report *rep,
    size_t i, const struct revoc *vd)
{
	size_t j, best = SIZE_MAX;

	for (j = 0; j < s->n; j++)
		if (rep[j].level != NULL &&
		    strcmp(rep[j].level, "document time-stamp") == 0 &&
		    rep[j].intact && rep[j].trusted != 0 &&
		    rep[j].ts_time != NULL && s->end[j] > s->end[i] &&
		    (best == SIZE_MAX || s->end[j] > s->end[best]) &&
		    dss_covered(pdf_data(pdf), pdf_len(pdf), s->end[j], vd))
			best = j;
	if (best == SIZE_MAX)
		return 0;
	if ((rep[i].archive_time = strdup(rep[best].ts_time)) == NULL)
		return KYSO_ERR_NOMEM;
	rep[i].level = "B-LTA";
	return 0;
}

int
verify_pdf_file(const char *path, const struct verify_opts *vo,
    struct sig_report **out, size_t *n, const char **why)
{
	struct mapfile *m = NULL;
	struct pdf *pdf = NULL;
	struct pdf_obj *root = NULL, *acro = NULL, *fields = NULL;
	struct sigs *s = NULL;
	struct sig_report *rep = NULL;
	struct revoc vd;
	size_t i;
	int r, have_vd = 0, mdp = 0;

	memset(&vd, 0, sizeof(vd));
	*why = N_("out of memory");
	if ((r = mapfile_open(path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		goto out;
	}
	if ((r = pdf_open(mapfile_data(m), mapfile_len(m), &pdf, why)) != 0)
		goto out;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	*why = N_("the document's form is damaged");
	if ((r = pdf_resolve(pdf, pdf_dict_get(pdf_trailer(pdf), "Root"),
		 &root)) != 0 ||
	    (r = pdf_resolve(pdf, pdf_dict_get(root, "AcroForm"), &acro)) != 0 ||
	    (r = pdf_resolve(pdf, pdf_dict_get(acro, "Fields"), &fields)) != 0)
		goto out;
	{
		/* Past the budget, the signatures found so far. */
		struct pdf_form_walk w = { .visit = add_sig,
			.ud = s,
			.budget = 100000,
			.width = SIZE_MAX };

		pdf_form_walk(pdf, fields, &w);
	}
	*why = N_("out of memory");
	if ((r = pdf_dss_read(pdf, root, &vd)) != 0)
		goto out;
	have_vd = vd.ncerts + vd.nocsps + vd.ncrls > 0;
	if ((rep = calloc(s->n + 1, sizeof(*rep))) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < s->n; i++) {
		const struct pdf_obj *br = pdf_dict_get(s->f[i].sig, "ByteRange");

		s->end[i] = 0;
		if (br != NULL && br->type == PDF_ARRAY && br->count == 4 &&
		    br->items[2]->type == PDF_INT &&
		    br->items[3]->type == PDF_INT && br->items[2]->i >= 0 &&
		    br->items[3]->i >= 0)
			s->end[i] = (uint64_t)br->items[2]->i +
			    (uint64_t)br->items[3]->i;
	}
	for (i = 0; i < s->n; i++) {
		rep[i].field = s->f[i].field;
		s->f[i].field = NULL;
		if ((r = check_sig(pdf, m, &s->f[i], vo, have_vd ? &vd : NULL,
			 &rep[i])) != 0)
			goto out;
		/* What an intact certification permits after it. */
		if (mdp == 0 && rep[i].docmdp > 0 && rep[i].intact)
			mdp = rep[i].docmdp;
	}
	for (i = 0; i < s->n; i++) {
		struct field_locks locks = { { s->f[i].lock,
		    fieldmdp_params(s->f[i].sig) } };

		rep[i].changes = pdf_changes_after(pdf_data(pdf), pdf_len(pdf),
		    s->end, s->n, s->end[i], mdp, &locks);
		/* P=1 lets nothing in after the certification but validation
		 * data (a DSS, as PDF 2.0 allows); 2 and 3 also signatures.
		 * Other changes are content changes for every signature. */
		if (rep[i].docmdp == 1 && rep[i].changes == CHANGES_SIGNATURES) {
			rep[i].docmdp_broken = 1;
			rep[i].problem = N_(
			    "the certification allows no "
			    "changes (DocMDP P=1), yet a later signature was "
			    "added");
		} else if (rep[i].docmdp == 1 &&
		    (rep[i].changes == CHANGES_METADATA ||
			rep[i].changes == CHANGES_PERMITTED ||
			rep[i].changes == CHANGES_FORM_FILLED)) {
			rep[i].docmdp_broken = 1;
			rep[i].problem = N_("the certification allows no changes "
					    "(DocMDP P=1), yet the document was "
					    "updated after it");
		}
		/* B-LT: a time-stamped signature whose signer the document's
		 * own validation data covers. */
		if (rep[i].level != NULL && strcmp(rep[i].level, "B-T") == 0 &&
		    rep[i].doc_revocation != NULL &&
		    strcmp(rep[i].doc_revocation, "good") == 0)
			rep[i].level = "B-LT";
		if (rep[i].level != NULL && strcmp(rep[i].level, "B-LT") == 0 &&
		    (r = find_lta(pdf, s, rep, i, &vd)) != 0)
			goto out;
		sig_report_judge(&rep[i]);
	}
	*out = rep;
	*n = s->n;
	rep = NULL;
	r = 0;
out:
	if (s != NULL) {
		for (i = 0; i < s->n; i++) {
			free(s->f[i].field);
			pdf_obj_free(s->f[i].sig);
			pdf_obj_free(s->f[i].lock);
		}
		if (rep != NULL)
			sig_reports_free(rep, s->n);
		free(s);
	}
	revoc_clear(&vd);
	pdf_obj_free(root);
	pdf_obj_free(acro);
	pdf_obj_free(fields);
	pdf_free(pdf);
	mapfile_free(m);
	return r;
}

int
verify_cms_file(const char *p7s, const char *content,
    const struct verify_opts *vo, struct sig_report **out, size_t *n,
    const char **why)
{
	struct mapfile *sig = NULL, *data = NULL;
	struct sig_report *rep = NULL;
	struct ranges rg;
	int r;

	*why = N_("out of memory");
	if ((r = mapfile_open(p7s, &sig)) != 0 ||
	    (r = mapfile_open(content, &data)) != 0) {
		*why = N_("the signature or the signed file cannot be read");
		goto out;
	}
	memset(&rg, 0, sizeof(rg));
	rg.m = data;
	rg.an = mapfile_len(data);
	if ((rep = calloc(1, sizeof(*rep))) == NULL ||
	    (rep->field = strdup(p7s)) == NULL ||
	    (rep->claimed_time = strdup("")) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = verify_cms_der(mapfile_data(sig), mapfile_len(sig),
		 digest_ranges, &rg, vo, NULL, rep)) != 0)
		goto out;
	rep->changes = CHANGES_NONE;
	if (rep->intact && !rep->signed_attrs)
		rep->level = N_("PKCS#7 without signed attributes (not CAdES)");
	sig_report_judge(rep);
	*out = rep;
	*n = 1;
	rep = NULL;
	r = 0;
out:
	sig_reports_free(rep, 1);
	mapfile_free(sig);
	mapfile_free(data);
	return r;
}
