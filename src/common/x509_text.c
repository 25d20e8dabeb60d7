#include "x509_text.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

/* OpenSSL's styles would write a multibyte letter as \C3\A1; the people
 * reading these names read Vietnamese, so UTF-8 goes out as it is. */
char *
x509_text_name(const X509_NAME *nm, enum x509_text_style style)
{
	unsigned long flags = style == X509_TEXT_ONELINE ? XN_FLAG_ONELINE
							 : XN_FLAG_RFC2253;
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, nm, 0, flags & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(b, &p)) >= 0 &&
	    (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, p, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(b);
	return s;
}

/* Checks and warnings greet a person by name, not by a whole DN. */
char *
x509_text_cn(const X509_NAME *nm)
{
	unsigned char *utf8 = NULL;
	char *cn;
	int i, n;

	i = X509_NAME_get_index_by_NID(nm, NID_commonName, -1);
	if (i < 0 ||
	    (n = ASN1_STRING_to_UTF8(&utf8,
		 X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)))) < 0)
		return NULL;
	cn = strndup((const char *)utf8, (size_t)n);
	OPENSSL_free(utf8);
	return cn;
}

/* ASN1_TIME_print's "Dec  7 01:02:03 2026 GMT" sorts badly and reads
 * badly outside English; these are the forms kyso shows. */
int
x509_text_time(const ASN1_TIME *t, enum x509_time_style style, char *out, size_t n)
{
	char tmp[X509_TEXT_TIME_MAX];
	struct tm tm;
	size_t len;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return KYSO_ERR_INVALID;
	switch (style) {
	case X509_TIME_ISO:
		len = strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		break;
	case X509_TIME_HUMAN:
		len = strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S UTC", &tm);
		break;
	case X509_TIME_DATE:
		len = strftime(tmp, sizeof(tmp), "%Y-%m-%d", &tm);
		break;
	default: return KYSO_ERR_INVALID;
	}
	if (len == 0)
		return KYSO_ERR_INVALID;
	if (len >= n)
		return KYSO_ERR_TOO_LARGE;
	memcpy(out, tmp, len + 1);
	return 0;
}
