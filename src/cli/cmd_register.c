/* kyso-token register, renew, update: the seed's "Register for
 * certificates" with an activation code, SAFE-CA's TH1 (renewal) and TH2
 * (change of details). Each: log in, send the code, show the registered
 * details, make the key pair on the token, send a request signed on the
 * token, install the certificate next to the key. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli.h"
#include "common/buf.h"
#include "common/crypto.h"
#include "common/parse.h"

#define EXIT_DECLINED 8
#define KEY_ID_LEN 20

struct enroll {
	const char *kind;        /* "new", "renew", "update" */
	struct ra ra;
	int code_fd;
	int yes;
};

static int
enroll_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct enroll *e = ud;
	uint64_t v;
	int ex;

	if ((ex = cli_ra_option(&e->ra, opt, arg)) != -1)
		return ex;
	switch (opt) {
	case 'C':
		if (parse_u64(arg, 0, 1024, &v) != 0)
			return cli_usage_error(c, _("--code-fd needs a file descriptor number"));
		e->code_fd = (int)v;
		return EXIT_OK;
	case 'y':
		e->yes = 1;
		return EXIT_OK;
	}
	return EXIT_USAGE;
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	CLI_RA_OPTIONS,
	{ "code-fd", required_argument, NULL, 'C' },
	{ "yes", no_argument, NULL, 'y' },
	{ NULL, 0, NULL, 0 },
};

static const char *
str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static void
show_details(json_t *r)
{
	json_t *sub = json_object_get(r, "subject");
	const char *kind = str(r, "kind");

	if (strcmp(kind, "renew") == 0)
		printf(_("Certificate renewal (the details stay the same):\n"));
	else if (strcmp(kind, "update") == 0)
		printf(_("Certificate with changed details:\n"));
	else
		printf(_("Registered certificate details:\n"));
	printf(_("  Name:            %s\n"), str(sub, "CN"));
	printf(_("  Identifier:      %s\n"), str(sub, "UID"));
	if (*str(sub, "O") != '\0')
		printf(_("  Organization:    %s\n"), str(sub, "O"));
	printf(_("  Province:        %s\n"), str(sub, "ST"));
	printf(_("  E-mail:          %s\n"), str(sub, "emailAddress"));
	printf(_("  Key:             %s, made on this token\n"), str(r, "key_type"));
	printf(_("  Validity:        %lld year(s)\n"),
	    (long long)json_integer_value(json_object_get(r, "validity_years")));
	printf(_("  Subject:         %s\n"), str(r, "subject_dn"));
}

/* The key pair template for the registered key type. */
static CK_RV
generate(struct cli *c, CK_SESSION_HANDLE s, const char *key_type,
    const uint8_t *id, const char *label, struct p11_key *k,
    CK_OBJECT_HANDLE *pubh)
{
	static const uint8_t p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
		0x03, 0x01, 0x07 };
	static const uint8_t p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0;
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_BYTE e[] = { 1, 0, 1 };
	CK_ATTRIBUTE pub[6] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_VERIFY, &yes, 1 },
		{ CKA_ID, (void *)id, KEY_ID_LEN },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 },
		{ CKA_SENSITIVE, &yes, 1 }, { CKA_EXTRACTABLE, &no, 1 },
		{ CKA_SIGN, &yes, 1 }, { CKA_ID, (void *)id, KEY_ID_LEN },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ULONG npub = 4;

	if (strcmp(key_type, "p256") == 0 || strcmp(key_type, "p384") == 0) {
		m.mechanism = CKM_EC_KEY_PAIR_GEN;
		pub[npub].type = CKA_EC_PARAMS;
		pub[npub].pValue = (void *)(key_type[1] == '2' ? p256 : p384);
		pub[npub++].ulValueLen = key_type[1] == '2' ? sizeof(p256) : sizeof(p384);
		k->type = CKK_EC;
	} else {
		if (strcmp(key_type, "rsa2048") == 0)
			bits = 2048;
		else if (strcmp(key_type, "rsa3072") == 0)
			bits = 3072;
		else if (strcmp(key_type, "rsa4096") == 0)
			bits = 4096;
		else
			return CKR_KEY_SIZE_RANGE;
		pub[npub].type = CKA_MODULUS_BITS;
		pub[npub].pValue = &bits;
		pub[npub++].ulValueLen = sizeof(bits);
		pub[npub].type = CKA_PUBLIC_EXPONENT;
		pub[npub].pValue = e;
		pub[npub++].ulValueLen = sizeof(e);
		k->type = CKK_RSA;
	}
	memcpy(k->id, id, KEY_ID_LEN);
	k->idlen = KEY_ID_LEN;
	k->cert = CK_INVALID_HANDLE;
	return c->fn->C_GenerateKeyPair(s, &m, pub, npub, priv,
	    sizeof(priv) / sizeof(priv[0]), pubh, &k->priv);
}

static X509 *
pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* Writes a certificate object; CA certificates only once. */
static CK_RV
write_cert(struct cli *c, CK_SESSION_HANDLE s, X509 *x, const uint8_t *id,
    size_t idlen, const char *label, int authority)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ULONG cat = authority ? 2 : 1;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	uint8_t *der = NULL, *sub = NULL, *iss = NULL, *ser = NULL;
	int n, ns, ni, nr;
	CK_OBJECT_HANDLE h, found;
	CK_ULONG cnt = 0;
	CK_RV rv = CKR_HOST_MEMORY;

	n = i2d_X509(x, &der);
	ns = i2d_X509_NAME(X509_get_subject_name(x), &sub);
	ni = i2d_X509_NAME(X509_get_issuer_name(x), &iss);
	nr = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ser);
	if (n <= 0 || ns <= 0 || ni <= 0 || nr <= 0)
		goto out;
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &no, 1 },
			{ CKA_VALUE, der, (CK_ULONG)n },
			{ CKA_SUBJECT, sub, (CK_ULONG)ns },
			{ CKA_ISSUER, iss, (CK_ULONG)ni },
			{ CKA_SERIAL_NUMBER, ser, (CK_ULONG)nr },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_ID, (void *)id, idlen },
			{ CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) },
		};

		/* The same certificate already there (a CA shared by renewals). */
		if (c->fn->C_FindObjectsInit(s, t, 5) == CKR_OK) {
			if (c->fn->C_FindObjects(s, &found, 1, &cnt) != CKR_OK)
				cnt = 0;
			c->fn->C_FindObjectsFinal(s);
		}
		if (cnt > 0) {
			rv = CKR_OK;
			goto out;
		}
		rv = c->fn->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]), &h);
	}
out:
	OPENSSL_free(der);
	OPENSSL_free(sub);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return rv;
}

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

static int
enroll(int argc, char **argv, const char *cmd, const char *kind,
    const char *help)
{
	struct cli c;
	struct enroll e;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct p11_key k;
	CK_OBJECT_HANDLE pubh = CK_INVALID_HANDLE;
	json_t *req = NULL, *info = NULL, *done = NULL;
	struct buf *csr = NULL, *spki = NULL;
	X509 *cert = NULL;
	char *code = NULL, *csr_text = NULL, serial[17];
	const char *cn, *got;
	uint8_t id[KEY_ID_LEN];
	int ex, made = 0;
	size_t i;

	memset(&e, 0, sizeof(e));
	memset(&k, 0, sizeof(k));
	e.kind = kind;
	e.code_fd = -1;
	cli_init(&c, cmd);
	ex = cli_parse(&c, argc, argv, opts, help, enroll_opt, &e);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_ra_ready(&c, &e.ra)) != EXIT_OK ||
	    (ex = cli_open_token(&c)) != EXIT_OK)
		goto out;
	p11_str(c.ti.serialNumber, sizeof(c.ti.serialNumber), serial);
	if (c.ti.flags & CKF_USER_PIN_TO_BE_CHANGED) {
		printf(_("The token still has the factory PIN; change it first.\n"));
		if (e.yes || !isatty(STDIN_FILENO) ||
		    !cli_confirm(_("Change the PIN now? [Y/n] ")) ||
		    (ex = cli_change_pin(&c)) != EXIT_OK) {
			ex = EXIT_CHECK_DEFAULT_PIN;
			goto out;
		}
		c.pin_fd = -1;
	}
	/* Step 1: log in to the token. */
	if ((ex = cli_login(&c, &s, 1)) != EXIT_OK) {
		s = CK_INVALID_HANDLE;
		goto out;
	}
	/* Step 2: the activation code from the e-mail. */
	if (cli_read_secret(e.code_fd, _("Activation code (from the CA's e-mail): "), &code) != 0 ||
	    *code == '\0') {
		fprintf(stderr, _("No activation code was given.\n"));
		ex = EXIT_USAGE;
		goto out;
	}
	req = json_pack("{s:s}", "code", code);
	if ((ex = cli_ra_post(&e.ra, "/api/v1/activation/lookup", req, &info, NULL)) != EXIT_OK)
		goto out;
	got = str(info, "kind");
	if (strcmp(got, kind) != 0) {
		fprintf(stderr, _("This activation code is for a %s, not for '%s'. Use 'kyso-token %s'.\n"),
		    strcmp(got, "renew") == 0 ? _("renewal") : strcmp(got, "update") == 0 ?
		    _("change of details") : _("new certificate"), cmd,
		    strcmp(got, "renew") == 0 ? "renew" : strcmp(got, "update") == 0 ?
		    "update" : "register");
		ex = EXIT_USAGE;
		goto out;
	}
	/* Step 3: check the information, then accept. */
	if (!c.json)
		show_details(info);
	if (!e.yes && !cli_confirm(_("Is this information correct? Install the certificate on the token? [Y/n] "))) {
		printf(_("Nothing was installed.\n"));
		ex = EXIT_DECLINED;
		goto out;
	}
	cn = str(json_object_get(info, "subject"), "CN");
	if (crypto_random(id, sizeof(id)) != 0) {
		ex = EXIT_FAIL;
		goto out;
	}
	{
		CK_RV rv = generate(&c, s, str(info, "key_type"), id, cn, &k,
		    &pubh);

		if (rv != CKR_OK) {
			ex = cli_fail_rv(&c, _("Making the key pair on the token"), rv);
			goto out;
		}
	}
	made = 1;
	if ((csr = buf_new(65536)) == NULL || (spki = buf_new(65536)) == NULL ||
	    p11_public_key(c.p11, s, &k, spki) != 0 ||
	    p11_make_csr(c.p11, s, &k, cn, csr) != 0 ||
	    (csr_text = buf_to_cstr(csr)) == NULL) {
		fprintf(stderr, _("The token could not sign the certificate request.\n"));
		ex = EXIT_FAIL;
		goto out;
	}
	json_decref(req);
	req = json_pack("{s:s,s:s,s:s}", "code", code, "csr", csr_text,
	    "token_serial", serial);
	if ((ex = cli_ra_post(&e.ra, "/api/v1/activation/complete", req, &done, NULL)) != EXIT_OK)
		goto out;
	if ((cert = pem_cert(str(done, "certificate"))) == NULL || !same_key(cert, spki)) {
		fprintf(stderr, _("The CA's server sent a certificate that does not belong to the key on this token.\n"));
		ex = EXIT_FAIL;
		goto out;
	}
	if (write_cert(&c, s, cert, id, sizeof(id), cn, 0) != CKR_OK) {
		fprintf(stderr, _("The certificate could not be written to the token.\n"));
		ex = EXIT_FAIL;
		goto out;
	}
	made = 0;
	for (i = 0; i < json_array_size(json_object_get(done, "chain")); i++) {
		X509 *ca = pem_cert(json_string_value(json_array_get(
		    json_object_get(done, "chain"), i)));
		char name[256] = "CA";

		if (ca == NULL)
			continue;
		X509_NAME_get_text_by_NID(X509_get_subject_name(ca), NID_commonName,
		    name, sizeof(name));
		if (write_cert(&c, s, ca, (const uint8_t *)"", 0, name, 1) != CKR_OK)
			fprintf(stderr, _("Note: the CA certificate %s could not be written to the token.\n"), name);
		X509_free(ca);
	}
	if (c.json) {
		json_t *o = json_pack("{s:s,s:s,s:s}", "serial", str(done, "serial"),
		    "subject", str(info, "subject_dn"), "kind", kind);

		cli_json_print(o);
		json_decref(o);
	} else {
		char until[64] = "?";
		struct tm tm;

		if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
			strftime(until, sizeof(until), "%Y-%m-%d", &tm);
		printf(_("The certificate was installed on the token.\n"
		    "  Serial number: %s\n  Valid until:   %s\n"), str(done, "serial"), until);
		if (strcmp(kind, "new") != 0)
			printf(_("The serial number changed: register the new certificate with the agencies\n"
			    "you file electronically with (tax, customs, invoices). The old certificate\n"
			    "stays on the token and valid unless your CA revokes it.\n"));
	}
	ex = EXIT_OK;
out:
	if (made && s != CK_INVALID_HANDLE) {
		/* Leave no key without a certificate behind. */
		c.fn->C_DestroyObject(s, k.priv);
		if (pubh != CK_INVALID_HANDLE)
			c.fn->C_DestroyObject(s, pubh);
	}
	if (s != CK_INVALID_HANDLE) {
		c.fn->C_Logout(s);
		c.fn->C_CloseSession(s);
	}
	OPENSSL_cleanse(id, sizeof(id));
	cli_pin_free(code);
	free(csr_text);
	buf_free(csr);
	buf_free(spki);
	X509_free(cert);
	json_decref(req);
	json_decref(info);
	json_decref(done);
	cli_ra_done(&e.ra);
	cli_done(&c);
	return ex;
}

#define ENROLL_OPTS_HELP N_( \
    "  --ra URL          the CA's server (default: ra_url in kyso.conf)\n" \
    "  --ra-ca FILE      trust this CA file for the server's TLS certificate\n" \
    "  --code-fd N       read the activation code from file descriptor N\n" \
    "  --yes             accept the registered details without asking\n" \
    "Exit codes: 0 installed, 1 failed, 2 usage, 3 no token, 4 wrong PIN,\n" \
    "5 PIN locked, 8 details declined, 10 factory PIN still set.\n\n")

/* The three commands differ only in their words and the code's kind. */
static int
enroll_cmd(int argc, char **argv, const char *cmd, const char *kind,
    const char *intro)
{
	char help[2048];

	snprintf(help, sizeof(help), "%s%s", _(intro), _(ENROLL_OPTS_HELP));
	return enroll(argc, argv, cmd, kind, help);
}

int
cmd_register(int argc, char **argv)
{
	return enroll_cmd(argc, argv, "register", "new", N_(
	    "Usage: kyso-token register [--ra URL] [OPTIONS]\n"
	    "Installs a certificate registered at the CA: logs in to the token, asks\n"
	    "the activation code the CA e-mailed, shows the registered details to\n"
	    "check, makes the key pair on the token, sends a request signed on the\n"
	    "token and installs the certificate and its chain beside the key.\n"));
}

int
cmd_renew(int argc, char **argv)
{
	return enroll_cmd(argc, argv, "renew", "renew", N_(
	    "Usage: kyso-token renew [--ra URL] [OPTIONS]\n"
	    "Renews a certificate (TH1) with the activation code the CA e-mailed\n"
	    "after preparing the renewal: shows the renewal period, makes a new key\n"
	    "pair on the token and installs the new certificate. Its serial number\n"
	    "is new; sign pending invoices and declarations first.\n"));
}

int
cmd_update(int argc, char **argv)
{
	return enroll_cmd(argc, argv, "update", "update", N_(
	    "Usage: kyso-token update [--ra URL] [OPTIONS]\n"
	    "Installs a certificate with changed details (TH2) with the activation\n"
	    "code the CA e-mailed: shows the new details, makes a new key pair on\n"
	    "the token and installs the new certificate (new serial number).\n"));
}
