/* register, renew, update: the seed's "Register for certificates" with an
 * activation code, SAFE-CA's TH1 (renewal) and TH2 (change of details).
 * Each: log in, send the code, show the registered details, make the key
 * pair on the token, send a request signed on the token, install the
 * certificate next to the key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "common/crypto.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "common/secret.h"
#include "common/x509_text.h"
#include "tm_int.h"

#define KEY_ID_LEN 20

static const char *const kind_word[] = { "new", "renew", "update" };

/* A member of a JSON object as a string, "" when absent. */
static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* The kind an activation code is for, as the RA words it. */
static enum tm_kind
kind_of(const char *w)
{
	if (strcmp(w, "renew") == 0)
		return TM_KIND_RENEW;
	if (strcmp(w, "update") == 0)
		return TM_KIND_UPDATE;
	return TM_KIND_NEW;
}

/* One field of a subject as UTF-8 into out ("" when absent). */
static void
name_field(X509_NAME *nm, int nid, char *out, size_t n)
{
	int i = X509_NAME_get_index_by_NID(nm, nid, -1);
	unsigned char *u = NULL;
	int len;

	out[0] = '\0';
	if (i < 0 ||
	    (len = ASN1_STRING_to_UTF8(&u,
		 X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)))) < 0)
		return;
	snprintf(out, n, "%.*s", len, (const char *)u);
	OPENSSL_free(u);
}

/* What the renewal or update follows: the newest subscriber certificate
 * on the token (read without a login). */
struct current {
	char until[32], cn[256], o[256], st[128], email[256];
	int found;
};

static void
current_cert(struct tm_session *t, struct current *cur)
{
	struct tm_result *tmp = calloc(1, sizeof(*tmp));
	struct tm_cert *v = NULL, *best = NULL;
	const unsigned char *p;
	size_t n = 0, i;
	X509 *x = NULL;

	memset(cur, 0, sizeof(*cur));
	if (tmp == NULL || tm_certs(t, &v, &n, tmp) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!v[i].is_ca &&
		    (best == NULL || strcmp(v[i].not_after, best->not_after) > 0))
			best = &v[i];
	if (best == NULL)
		goto out;
	p = best->der;
	if ((x = d2i_X509(NULL, &p, (long)best->der_len)) == NULL)
		goto out;
	snprintf(cur->until, sizeof(cur->until), "%s", best->not_after);
	name_field(X509_get_subject_name(x), NID_commonName, cur->cn,
	    sizeof(cur->cn));
	name_field(X509_get_subject_name(x), NID_organizationName, cur->o,
	    sizeof(cur->o));
	name_field(X509_get_subject_name(x), NID_stateOrProvinceName, cur->st,
	    sizeof(cur->st));
	name_field(X509_get_subject_name(x), NID_pkcs9_emailAddress, cur->email,
	    sizeof(cur->email));
	cur->found = 1;
out:
	X509_free(x);
	tm_certs_free(v, n);
	free(tmp);
}

/* Today and today plus the years the CA issues for, as the subscriber
 * reads them before accepting: local days (x509_text_local), as every
 * other date kyso shows a person (the CA dates the certificate when it
 * issues it, moments later). A 29 February ends on 28 February. */
static void
new_validity(long long years, char from[32], char until[32])
{
	int y, mo, d;

	if (x509_text_local((int64_t)time(NULL), 1, from, 32) != 0 ||
	    strlen(from) != 10) {
		snprintf(from, 32, "?");
		snprintf(until, 32, "?");
		return;
	}
	/* "YYYY-MM-DD" */
	y = (from[0] - '0') * 1000 + (from[1] - '0') * 100 +
	    (from[2] - '0') * 10 + (from[3] - '0');
	mo = (from[5] - '0') * 10 + (from[6] - '0');
	d = (from[8] - '0') * 10 + (from[9] - '0');
	if (years > 0 && years < 100)
		y += (int)years;
	if (mo == 2 && d == 29)
		d = 28;
	snprintf(until, 32, "%04d-%02d-%02d", y, mo, d);
}

/* The RA's lookup answer, as the face shows it, with what a renewal or an
 * update changes. */
static void
show_details(struct tm_session *t, const struct tm_ui *ui, json_t *info)
{
	json_t *sub = json_object_get(info, "subject");
	char from[32], until[32];
	struct current cur;
	struct tm_details d = {
		kind_of(str(info, "kind")),
		str(sub, "CN"),
		str(sub, "UID"),
		str(sub, "O"),
		str(sub, "ST"),
		str(sub, "emailAddress"),
		str(info, "key_type"),
		str(info, "subject_dn"),
		(long long)json_integer_value(
		    json_object_get(info, "validity_years")),
		from,
		until,
		NULL,
		NULL,
		NULL,
		NULL,
		NULL,
	};

	if (ui->show_details == NULL)
		return;
	new_validity(d.validity_years, from, until);
	if (d.kind != TM_KIND_NEW) {
		current_cert(t, &cur);
		if (cur.found) {
			d.cur_until = cur.until;
			d.cur_cn = cur.cn;
			d.cur_o = cur.o;
			d.cur_st = cur.st;
			d.cur_email = cur.email;
		}
	}
	ui->show_details(ui->ud, &d);
}

/* A certificate the RA sent as PEM. */
static X509 *
pem_cert(const char *pem)
{
	BIO *b = pem != NULL ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The certificate must be for the key this token just made. */
static int
same_key(X509 *x, const struct buf *spki)
{
	uint8_t *der = NULL;
	int n = i2d_PUBKEY(X509_get0_pubkey(x), &der), ok;

	ok = n > 0 && (size_t)n == buf_len(spki) &&
	    memcmp(der, buf_ptr(spki), (size_t)n) == 0;
	OPENSSL_free(der);
	return ok;
}

/* A certificate object from what the RA sent. */
static int
write_cert(struct tm_session *t, CK_SESSION_HANDLE s, X509 *x,
    const uint8_t *id, size_t idlen, const char *label, int authority)
{
	uint8_t *der = NULL;
	int n = i2d_X509(x, &der), r;

	if (n <= 0)
		return KYSO_ERR_INVALID;
	r = p11_cert_write(t->p11, s, der, (size_t)n, id, idlen, label,
	    authority);
	OPENSSL_free(der);
	return r;
}

/* The chain beside the certificate; a CA certificate that does not fit is
 * a note, not a failure (the subscriber's own certificate is in). */
static void
install_chain(struct tm_session *t, CK_SESSION_HANDLE s, json_t *chain,
    const struct tm_ui *ui, struct tm_result *res)
{
	size_t i;

	for (i = 0; i < json_array_size(chain); i++) {
		X509 *ca = pem_cert(json_string_value(json_array_get(chain, i)));
		char *cn;

		if (ca == NULL)
			continue;
		cn = x509_text_cn(X509_get_subject_name(ca));
		snprintf(res->ca_name, sizeof(res->ca_name), "%s",
		    cn != NULL ? cn : "CA");
		free(cn);
		if (write_cert(t, s, ca, (const uint8_t *)"", 0, res->ca_name,
			1) != 0)
			tm_progress(ui, TM_STEP_CA_CERT_SKIPPED, res);
		X509_free(ca);
	}
	res->ca_name[0] = '\0';
}

/* What the face reports once the certificate is in. */
static void
note_installed(struct tm_result *res, json_t *info, json_t *done, X509 *cert)
{
	snprintf(res->cert_serial, sizeof(res->cert_serial), "%s",
	    str(done, "serial"));
	snprintf(res->subject_dn, sizeof(res->subject_dn), "%s",
	    str(info, "subject_dn"));
	if (x509_text_time(X509_get0_notAfter(cert), X509_TIME_DATE,
		res->valid_until, sizeof(res->valid_until)) != 0)
		snprintf(res->valid_until, sizeof(res->valid_until), "?");
}

/* What a key pair of this type and its certificate take on a kyso token,
 * measured, with room to spare (the chain's certificates are optional). */
static unsigned long
need_bytes(const char *key_type)
{
	static const struct {
		const char *type;
		unsigned long bytes;
	} t[] = { { "p256", 3000 }, { "p384", 3300 }, { "rsa2048", 5200 },
		{ "rsa3072", 6500 }, { "rsa4096", 7800 } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(key_type, t[i].type) == 0)
			return t[i].bytes;
	return 8000;
}

/* A token too full for the key pair and certificate is said before the
 * CA is asked to issue (the code stays unspent); a token that does not
 * tell its free memory is not judged. */
static int
room_for(struct tm_session *t, const char *key_type, struct tm_result *res)
{
	CK_TOKEN_INFO ti;
	int r;

	if ((r = tm_token_info(t, &ti, res)) != 0)
		return r;
	if (ti.ulFreePublicMemory == CK_UNAVAILABLE_INFORMATION ||
	    ti.ulTotalPublicMemory == CK_UNAVAILABLE_INFORMATION ||
	    ti.ulTotalPublicMemory == CK_EFFECTIVELY_INFINITE ||
	    ti.ulFreePublicMemory >= need_bytes(key_type))
		return 0;
	res->op = TM_OP_KEYGEN;
	res->rv = CKR_DEVICE_MEMORY;
	return tm_fail(res, TM_WHY_TOKEN, KYSO_ERR_CAPACITY);
}

/* Where a certificate issued for this token waits for room on it:
 * $KYSO_HOME/pending/SERIAL.json, the serial reduced to a file name. */
static char *
pending_path(const char *serial, int make_dir)
{
	char *home = kyso_home(), *dir = NULL, *p = NULL, name[40];
	size_t i;

	for (i = 0; serial[i] != '\0' && i < 20; i++)
		name[i] = (serial[i] >= '0' && serial[i] <= '9') ||
			(serial[i] >= 'A' && serial[i] <= 'Z') ||
			(serial[i] >= 'a' && serial[i] <= 'z') || serial[i] == '-'
		    ? serial[i]
		    : '_';
	snprintf(name + i, sizeof(name) - i, ".json");
	if (home == NULL || (dir = path_join(home, "pending")) == NULL ||
	    (make_dir && mkdir_p(dir, 0700) != 0))
		goto out;
	p = path_join(dir, name);
out:
	free(home);
	free(dir);
	return p;
}

/* The CA has issued and spent the code: a certificate that does not fit
 * on the token is kept with its key's ID, for the next run. */
static int
keep_pending(const char *serial, const uint8_t *id, size_t idlen,
    const char *label, json_t *info, json_t *done)
{
	struct buf *hex = buf_new(256);
	char *path = NULL, *text = NULL, *idhex = NULL;
	json_t *j = NULL;
	int r = KYSO_ERR_NOMEM;

	if (hex == NULL || hex_encode(hex, id, idlen) != 0 ||
	    (idhex = buf_to_cstr(hex)) == NULL)
		goto out;
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O}", "key_id", idhex, "label",
	    label, "certificate", str(done, "certificate"), "serial",
	    str(done, "serial"), "subject_dn", str(info, "subject_dn"), "chain",
	    json_object_get(done, "chain") != NULL
		? json_object_get(done, "chain")
		: json_array());
	if (j == NULL || (text = json_dumps(j, JSON_COMPACT)) == NULL ||
	    (path = pending_path(serial, 1)) == NULL)
		goto out;
	r = file_write_atomic(path, text, strlen(text), 0600);
out:
	free(path);
	free(text);
	free(idhex);
	json_decref(j);
	buf_free(hex);
	return r;
}

/* The key pair, the request signed on the token and the RA's answer: the
 * certificate, checked against the key, installed beside it. */
static int
make_and_install(struct tm_session *t, CK_SESSION_HANDLE s, const char *code,
    json_t *info, const struct tm_ui *ui, struct tm_result *res, int *made,
    struct p11_key *k, CK_OBJECT_HANDLE *pubh)
{
	const char *cn = str(json_object_get(info, "subject"), "CN");
	struct buf *csr = NULL, *spki = NULL;
	json_t *req = NULL, *done = NULL;
	char *csr_text = NULL;
	X509 *cert = NULL;
	uint8_t id[KEY_ID_LEN];
	int r;

	if (crypto_random(id, sizeof(id)) != 0) {
		r = tm_fail(res, TM_WHY_INTERNAL, KYSO_ERR_CRYPTO);
		goto out;
	}
	tm_progress(ui, TM_STEP_GENERATING_KEY, res);
	r = p11_generate_keypair(t->p11, s, str(info, "key_type"), id,
	    sizeof(id), cn, k, pubh);
	if (r != 0) {
		tm_fail_token(t, res, TM_OP_KEYGEN, r);
		goto out;
	}
	*made = 1;
	if ((csr = buf_new(65536)) == NULL || (spki = buf_new(65536)) == NULL ||
	    p11_public_key(t->p11, s, k, spki) != 0 ||
	    p11_make_csr(t->p11, s, k, cn, csr) != 0 ||
	    (csr_text = buf_to_cstr(csr)) == NULL) {
		r = tm_fail(res, TM_WHY_CSR, KYSO_ERR_CRYPTO);
		goto out;
	}
	if ((r = tm_check_cancel(ui, res)) != 0)
		goto out;
	tm_progress(ui, TM_STEP_SENDING_REQUEST, res);
	req = json_pack("{s:s,s:s,s:s}", "code", code, "csr", csr_text,
	    "token_serial", res->token_serial);
	if ((r = tm_ra_post(t, "/api/v1/activation/complete", req, &done, res)) !=
	    0)
		goto out;
	if ((cert = pem_cert(json_string_value(
		 json_object_get(done, "certificate")))) == NULL ||
	    !same_key(cert, spki)) {
		r = tm_fail(res, TM_WHY_CERT_MISMATCH, KYSO_ERR_INVALID);
		goto out;
	}
	tm_progress(ui, TM_STEP_INSTALLING_CERT, res);
	if ((r = write_cert(t, s, cert, id, sizeof(id), cn, 0)) != 0) {
		tm_fail(res, TM_WHY_CERT_WRITE, r);
		/* Issued and the code spent: keep it and the key. */
		if (keep_pending(res->token_serial, id, sizeof(id), cn, info,
			done) == 0) {
			res->cert_kept = 1;
			*made = 0;
		}
		goto out;
	}
	*made = 0;
	install_chain(t, s, json_object_get(done, "chain"), ui, res);
	note_installed(res, info, done, cert);
	r = 0;
out:
	OPENSSL_cleanse(id, sizeof(id));
	free(csr_text);
	buf_free(csr);
	buf_free(spki);
	X509_free(cert);
	json_decref(req);
	json_decref(done);
	return r;
}

/* Leaves no key without a certificate behind; a key that will not go
 * leaves nothing more to do than the failure already reported. */
static void
drop_key(struct tm_session *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE priv,
    CK_OBJECT_HANDLE pub)
{
	int r1 = p11_destroy(t->p11, s, priv), r2 = 0;

	if (pub != CK_INVALID_HANDLE)
		r2 = p11_destroy(t->p11, s, pub);
	(void)r1;
	(void)r2;
}

/* A certificate kept by an earlier run whose key is on this token goes
 * in now, before any code is asked; one whose key is gone is forgotten.
 * KYSO_ERR_NOT_FOUND when there is none. */
static int
resume_pending(struct tm_session *t, CK_SESSION_HANDLE s,
    const struct tm_ui *ui, struct tm_result *res)
{
	char *path = pending_path(res->token_serial, 0);
	struct buf *b = NULL, *id = NULL, *spki = NULL;
	const char *idhex;
	json_t *j = NULL;
	X509 *cert = NULL;
	struct p11_key k;
	int r = KYSO_ERR_NOT_FOUND;

	if (path == NULL || file_read(path, 256 * 1024, &b) != 0)
		goto out;
	j = json_loadb((const char *)buf_ptr(b), buf_len(b), 0, NULL);
	idhex = str(j, "key_id");
	if (j == NULL || (id = buf_new(64)) == NULL ||
	    hex_decode(id, idhex, strlen(idhex)) != 0 ||
	    (cert = pem_cert(str(j, "certificate"))) == NULL ||
	    p11_find_key(t->p11, s, buf_ptr(id), buf_len(id), &k) != 0 ||
	    (spki = buf_new(65536)) == NULL ||
	    p11_public_key(t->p11, s, &k, spki) != 0 || !same_key(cert, spki)) {
		(void)unlink(path);
		goto out;
	}
	tm_progress(ui, TM_STEP_INSTALLING_CERT, res);
	if ((r = write_cert(t, s, cert, buf_ptr(id), buf_len(id),
		 str(j, "label"), 0)) != 0) {
		res->cert_kept = 1;
		tm_fail(res, TM_WHY_CERT_WRITE, r);
		goto out;
	}
	install_chain(t, s, json_object_get(j, "chain"), ui, res);
	note_installed(res, j, j, cert);
	res->resumed = 1;
	(void)unlink(path);
	r = 0;
out:
	X509_free(cert);
	json_decref(j);
	buf_free(b);
	buf_free(id);
	buf_free(spki);
	free(path);
	return r;
}

/* The three verbs differ only in the kind the activation code must be
 * for; a code for another kind stops before anything is made. */
int
tm_enroll(struct tm_session *t, enum tm_kind kind, const struct tm_ui *ui,
    struct tm_result *res)
{
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_OBJECT_HANDLE pubh = CK_INVALID_HANDLE;
	CK_TOKEN_INFO ti;
	struct p11_key k;
	json_t *req = NULL, *info = NULL;
	char *code = NULL;
	int r, made = 0;

	memset(res, 0, sizeof(*res));
	memset(&k, 0, sizeof(k));
	res->tries_left = -1;
	if ((r = tm_token_info(t, &ti, res)) != 0)
		goto out;
	if ((ti.flags & CKF_USER_PIN_TO_BE_CHANGED) &&
	    !tm_offer_pin_change(t, ui, res)) {
		r = tm_fail(res, TM_WHY_FACTORY_PIN, KYSO_ERR_PERMISSION);
		goto out;
	}
	/* Step 1: log in to the token; a certificate kept by an earlier run
	 * (the token was full) goes in first, without a code. */
	if ((r = tm_login(t, CKU_USER, ui, res, &s)) != 0 ||
	    (r = resume_pending(t, s, ui, res)) != KYSO_ERR_NOT_FOUND)
		goto out;
	/* Step 2: the activation code from the e-mail. */
	if ((r = tm_ask_secret(ui, TM_SECRET_CODE, res, &code)) != 0)
		goto out;
	tm_progress(ui, TM_STEP_LOOKING_UP, res);
	req = json_pack("{s:s}", "code", code);
	if ((r = tm_ra_post(t, "/api/v1/activation/lookup", req, &info, res)) != 0)
		goto out;
	if (strcmp(str(info, "kind"), kind_word[kind]) != 0) {
		res->kind = kind_of(str(info, "kind"));
		r = tm_fail(res, TM_WHY_WRONG_KIND, KYSO_ERR_INVALID);
		goto out;
	}
	/* Room on the token before the CA is asked to issue. */
	if ((r = room_for(t, str(info, "key_type"), res)) != 0)
		goto out;
	/* Step 3: check the information, then accept. */
	show_details(t, ui, info);
	if (ui->ask_choice == NULL ||
	    !ui->ask_choice(ui->ud, TM_ASK_DETAILS_RIGHT, res)) {
		r = tm_fail(res, TM_WHY_DECLINED, KYSO_ERR_PERMISSION);
		goto out;
	}
	if ((r = tm_check_cancel(ui, res)) != 0)
		goto out;
	r = make_and_install(t, s, code, info, ui, res, &made, &k, &pubh);
out:
	if (made && s != CK_INVALID_HANDLE)
		drop_key(t, s, k.priv, pubh);
	tm_close(t, s);
	secret_free(code);
	json_decref(req);
	json_decref(info);
	res->err = r;
	return r;
}
