/* GET /v1/certificates: the token side sends the certificates' DER; the
 * network side reads them (untrusted bytes are parsed here, not there)
 * and writes what a page needs to choose one. */
#include "agent/net_api.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "agent/proto.h"
#include "common/crypto.h"
#include "common/parse.h"
#include "common/x509_text.h"

/* Certificates a listing may hold: more is a confused token side. */
#define NET_MAX_CERTS 256

/* "EC P-256", "RSA 2048", "Ed25519"…, or "unknown". */
static void
key_type(X509 *x, char *out, size_t n)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	char group[64];
	size_t gl = 0;

	snprintf(out, n, "unknown");
	if (k == NULL)
		return;
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		snprintf(out, n, "RSA %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), &gl) != 1)
			break;
		if (strcmp(group, "prime256v1") == 0)
			snprintf(out, n, "EC P-256");
		else if (strcmp(group, "secp384r1") == 0)
			snprintf(out, n, "EC P-384");
		else if (strcmp(group, "secp521r1") == 0)
			snprintf(out, n, "EC P-521");
		else
			snprintf(out, n, "EC %s", group);
		break;
	case EVP_PKEY_ED25519: snprintf(out, n, "Ed25519"); break;
	default: break;
	}
}

/* One certificate as JSON; NULL for DER that is not a certificate (it is
 * left out of the listing). */
static json_t *
cert_json(const uint8_t *der, size_t n, const char *label, const char *serial)
{
	const unsigned char *p = der;
	X509 *x = NULL;
	json_t *o = NULL;
	struct buf *id = NULL;
	ASN1_INTEGER *ai;
	BIGNUM *bn = NULL;
	char *subject = NULL, *issuer = NULL, *cn = NULL, *hexsn = NULL, *lc;
	char nb[X509_TEXT_TIME_MAX] = "", na[X509_TEXT_TIME_MAX] = "";
	char kt[80];
	uint8_t md[32];
	int valid;

	if (n > LONG_MAX || (x = d2i_X509(NULL, &p, (long)n)) == NULL ||
	    p != der + n)
		goto out;
	if ((id = buf_new(65)) == NULL || crypto_sha256(der, n, md) != 0 ||
	    hex_encode(id, md, sizeof(md)) != 0 || buf_put_u8(id, 0) != 0)
		goto out;
	subject = x509_text_name(X509_get_subject_name(x), X509_TEXT_RFC2253);
	issuer = x509_text_name(X509_get_issuer_name(x), X509_TEXT_RFC2253);
	cn = x509_text_cn(X509_get_subject_name(x));
	ai = X509_get_serialNumber(x);
	if (subject == NULL || issuer == NULL || ai == NULL ||
	    (bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL ||
	    (hexsn = BN_bn2hex(bn)) == NULL)
		goto out;
	if (x509_text_time(X509_get0_notBefore(x), X509_TIME_ISO, nb,
		sizeof(nb)) != 0 ||
	    x509_text_time(X509_get0_notAfter(x), X509_TIME_ISO, na,
		sizeof(na)) != 0)
		goto out;
	/* Lower-case hex, as every other id the agent writes. */
	for (lc = hexsn; *lc != '\0'; lc++)
		if (*lc >= 'A' && *lc <= 'F')
			*lc = (char)(*lc - 'A' + 'a');
	key_type(x, kt, sizeof(kt));
	valid = X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
	    X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "id",
	    (const char *)buf_ptr(id), "subject", subject, "common_name",
	    cn != NULL ? cn : "", "issuer", issuer, "serial", hexsn,
	    "not_before", nb, "not_after", na, "key_type", kt, "token_label",
	    label, "token_serial", serial, "valid_now", valid);
out:
	OPENSSL_free(hexsn);
	BN_free(bn);
	free(subject);
	free(issuer);
	free(cn);
	buf_free(id);
	X509_free(x);
	return o;
}

/* P_CERTS_OK: u32 n, then n × (string der, cstring label, cstring
 * serial), into a JSON array. */
static int
listing(struct buf *ans, json_t **out)
{
	json_t *a = json_array(), *o;
	const uint8_t *der;
	char *label = NULL, *serial = NULL;
	size_t dn;
	uint32_t i, n;
	int r = KYSO_ERR_NOMEM;

	if (a == NULL)
		goto out;
	if ((r = buf_get_u32(ans, &n)) != 0)
		goto out;
	r = KYSO_ERR_INVALID;
	if (n > NET_MAX_CERTS)
		goto out;
	for (i = 0; i < n; i++) {
		if ((r = buf_get_string_direct(ans, &der, &dn)) != 0 ||
		    (r = buf_get_cstring(ans, &label)) != 0 ||
		    (r = buf_get_cstring(ans, &serial)) != 0)
			goto out;
		if ((o = cert_json(der, dn, label, serial)) != NULL &&
		    json_array_append_new(a, o) != 0) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		free(label);
		free(serial);
		label = serial = NULL;
	}
	r = KYSO_ERR_INVALID;
	if (buf_len(ans) != 0)
		goto out;
	*out = a;
	a = NULL;
	r = 0;
out:
	free(label);
	free(serial);
	json_decref(a);
	return r;
}

void
net_certificates(struct net_call *c)
{
	struct buf *req = NULL, *ans = NULL;
	json_t *a = NULL;
	uint8_t type;
	int r;

	if (proto_begin(P_CERTS, &req) != 0) {
		net_reply_error(c, AGENT_INTERNAL, "out of memory");
		goto out;
	}
	r = link_call(c->n->link, req, &ans);
	if (r == KYSO_ERR_BUSY) {
		net_reply_error(c, AGENT_BUSY, "a signing batch is running");
		goto out;
	}
	if (r != 0 || buf_get_u8(ans, &type) != 0) {
		net_reply_error(c, AGENT_INTERNAL,
		    "the token side is restarting");
		c->rs->status = 503;
		goto out;
	}
	if (type == P_ERROR) {
		net_reply_token_error(c, ans);
		goto out;
	}
	if (type != P_CERTS_OK || listing(ans, &a) != 0) {
		net_reply_error(c, AGENT_INTERNAL,
		    "the token side sent a malformed answer");
		goto out;
	}
	net_reply(c, 200, json_pack("{s:o}", "certificates", a));
out:
	buf_free(req);
	buf_free(ans);
}
