/* Certificate fields as text for people: names and times. One printer
 * for kyso-token's listings, its checks and kyso-sign's reports, so a
 * subject reads the same everywhere. Nothing here prints. */
#ifndef KYSO_X509_TEXT_H
#define KYSO_X509_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "common/err.h"

/* How a distinguished name is written. Both keep UTF-8 as it is (no
 * \XX escapes for Vietnamese letters). */
enum x509_text_style {
	X509_TEXT_RFC2253, /* "CN=Nguyễn Văn A,O=Công ty,C=VN" */
	X509_TEXT_ONELINE, /* "C = VN, O = Công ty, CN = Nguyễn Văn A" */
};

/* The name as text in a new string (the caller frees it); NULL when out
 * of memory. */
char *x509_text_name(const X509_NAME *nm, enum x509_text_style style);
/* The first common name as UTF-8 (whatever string type the CA used:
 * UTF8String, PrintableString, BMPString...) in a new string; NULL when
 * the name has none or memory ran out. */
char *x509_text_cn(const X509_NAME *nm);

/* Who a certificate is for, as a new string (the caller frees it): the
 * subject's UID (the ID card number or tax code a Vietnamese CA puts
 * there), which a change of details keeps, else the whole subject in RFC
 * 2253 form. NULL when out of memory. */
char *x509_text_holder(const X509_NAME *nm);

/* kyso's legal-name extension: a subscriber's full legal name when the
 * subject cannot hold it (a company name longer than CN's and O's 64
 * characters, RFC 5280 upper bounds), as a UTF8String in a non-critical
 * extension. An OID under 2.25 (a UUID as an integer, ITU-T X.667), like
 * kyso's time-stamp policy: no registration needed, no clash. */
#define X509_TEXT_OID_LEGAL_NAME "2.25.132565008011904647417962619961560147753"

/* The legal name from that extension, UTF-8, in a new string; NULL when
 * the certificate has none (or it is not a UTF8String), or out of memory. */
char *x509_text_legal_name(const X509 *x);

/* t as seconds since the epoch; 0 when it is not a valid time. */
int64_t x509_text_epoch(const ASN1_TIME *t);

/* How a time is written: UTC for machines, local time for people. */
enum x509_time_style {
	X509_TIME_ISO,	 /* "2026-12-07T01:02:03Z" (reports, JSON) */
	X509_TIME_HUMAN, /* "2026-12-07 01:02:03 UTC" */
	X509_TIME_DATE,	 /* "2026-12-07" */
	X509_TIME_LOCAL, /* "2026-12-07 08:02:03 +0700": what a person reads
			  * (x509_text_local) */
	X509_TIME_LOCAL_DATE, /* "2026-12-07", the local day */
};

/* Room for any of the styles above, with the terminating NUL. */
#define X509_TEXT_TIME_MAX 32

/* Writes t into out (n bytes, at least X509_TEXT_TIME_MAX).
 * KYSO_ERR_INVALID when t is not a valid time, and out is then left
 * alone: the caller chooses what to show instead. */
int x509_text_time(const ASN1_TIME *t, enum x509_time_style style, char *out,
    size_t n) KYSO_WUR;

/* Seconds since the epoch as a person reads them: local time with its
 * offset ("2026-12-07 08:02:03 +0700"), or the local day alone with
 * date_only. Local is $TZ's zone; with TZ unset or empty it is Vietnam's
 * (Asia/Ho_Chi_Minh, UTC+7 all year), not the machine's, so that every
 * kyso program shows a subscriber the same clock. KYSO_ERR_TOO_LARGE
 * when out (n bytes) is too small; out is then left alone. */
int x509_text_local(int64_t t, int date_only, char *out, size_t n) KYSO_WUR;
/* The same for a time written "YYYY-MM-DDTHH:MM:SSZ" (a verification
 * report's); KYSO_ERR_INVALID for any other text (a zone not known). */
int x509_text_iso_local(const char *iso, char *out, size_t n) KYSO_WUR;

#endif
