#include "x509_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
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

/* The first entry nid of nm as UTF-8 after prefix, in a new string;
 * NULL when there is none (or memory ran out). Whatever string type the
 * CA used (UTF8String, PrintableString, BMPString...). */
static char *
entry_text(const X509_NAME *nm, int nid, const char *prefix)
{
	unsigned char *utf8 = NULL;
	size_t len;
	char *s;
	int i, n;

	i = X509_NAME_get_index_by_NID(nm, nid, -1);
	if (i < 0 ||
	    (n = ASN1_STRING_to_UTF8(&utf8,
		 X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)))) < 0)
		return NULL;
	len = strlen(prefix) + (size_t)n + 1;
	if ((s = malloc(len)) != NULL)
		snprintf(s, len, "%s%.*s", prefix, n, (const char *)utf8);
	OPENSSL_free(utf8);
	return s;
}

/* Checks and warnings greet a person by name, not by a whole DN. */
char *
x509_text_cn(const X509_NAME *nm)
{
	return entry_text(nm, NID_commonName, "");
}

/* A renewal keeps the subject; a change of details (a new address, a
 * new company name) keeps only the UID, the ID card number or tax code. */
char *
x509_text_holder(const X509_NAME *nm)
{
	char *h = entry_text(nm, NID_userId, "UID=");

	return h != NULL ? h : x509_text_name(nm, X509_TEXT_RFC2253);
}

char *
x509_text_legal_name(const X509 *x)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(X509_TEXT_OID_LEGAL_NAME, 1);
	ASN1_UTF8STRING *s = NULL;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	unsigned char *u = NULL;
	char *out = NULL;
	int i;

	if (oid == NULL)
		return NULL;
	if ((i = X509_get_ext_by_OBJ(x, oid, -1)) >= 0 &&
	    (v = X509_EXTENSION_get_data(X509_get_ext(x, i))) != NULL) {
		p = ASN1_STRING_get0_data(v);
		s = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(v));
	}
	/* One UTF8String, nothing after it, valid UTF-8 (checked by the
	 * conversion) and no control characters: it is shown to people. */
	if (s != NULL && p == ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) &&
	    ASN1_STRING_to_UTF8(&u, s) >= 0) {
		for (i = 0; u[i] != 0 && u[i] >= 0x20 && u[i] != 0x7f; i++)
			;
		if (u[i] == 0 && i == ASN1_STRING_length(s))
			out = strdup((const char *)u);
		OPENSSL_free(u);
	}
	ASN1_UTF8STRING_free(s);
	ASN1_OBJECT_free(oid);
	return out;
}

/* Lists sort and compare certificates by their times; 0 stands for an
 * unreadable time (the epoch: older than anything real). */
int64_t
x509_text_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

/* Vietnam keeps UTC+7 all year (no summer time since 1975). */
#define VN_OFFSET (7 * 3600)

/* Subscribers read times against their own clock: a deadline in UTC is
 * seven hours off in Vietnam, and the machine's zone (often UTC on a
 * server or in a container) is not the subscriber's. */
int
x509_text_local(int64_t t, int date_only, char *out, size_t n)
{
	const char *tz = getenv("TZ");
	char tmp[X509_TEXT_TIME_MAX], zone[16];
	time_t when = (time_t)t;
	struct tm tm;
	size_t len;

	if (tz == NULL || *tz == '\0') {
		when += VN_OFFSET;
		if (gmtime_r(&when, &tm) == NULL)
			return KYSO_ERR_INVALID;
		snprintf(zone, sizeof(zone), "+0700");
	} else {
		tzset();
		if (localtime_r(&when, &tm) == NULL ||
		    strftime(zone, sizeof(zone), "%z", &tm) == 0)
			return KYSO_ERR_INVALID;
	}
	len = strftime(tmp, sizeof(tmp),
	    date_only ? "%Y-%m-%d" : "%Y-%m-%d %H:%M:%S ", &tm);
	if (len == 0)
		return KYSO_ERR_INVALID;
	if (!date_only &&
	    snprintf(tmp + len, sizeof(tmp) - len, "%s", zone) >=
		(int)(sizeof(tmp) - len))
		return KYSO_ERR_TOO_LARGE;
	len = strlen(tmp);
	if (len >= n)
		return KYSO_ERR_TOO_LARGE;
	memcpy(out, tmp, len + 1);
	return 0;
}

/* n decimal digits at s as a number; -1 when one is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Reports keep ISO UTC for scripts; the person reading them gets the
 * same instant on their own clock. */
int
x509_text_iso_local(const char *iso, char *out, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	struct tm tm;
	size_t i;

	if (iso == NULL || strlen(iso) != sizeof(shape) - 1)
		return KYSO_ERR_INVALID;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] != 'd' && iso[i] != shape[i])
			return KYSO_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(iso, 4) - 1900;
	tm.tm_mon = digits(iso + 5, 2) - 1;
	tm.tm_mday = digits(iso + 8, 2);
	tm.tm_hour = digits(iso + 11, 2);
	tm.tm_min = digits(iso + 14, 2);
	tm.tm_sec = digits(iso + 17, 2);
	if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 ||
	    tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return KYSO_ERR_INVALID;
	return x509_text_local((int64_t)timegm(&tm), 0, out, n);
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
	if (style == X509_TIME_LOCAL || style == X509_TIME_LOCAL_DATE)
		return x509_text_local((int64_t)timegm(&tm),
		    style == X509_TIME_LOCAL_DATE, out, n);
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
