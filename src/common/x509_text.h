/* Certificate fields as text for people: names and times. One printer
 * for kyso-token's listings, its checks and kyso-sign's reports, so a
 * subject reads the same everywhere. Nothing here prints. */
#ifndef KYSO_X509_TEXT_H
#define KYSO_X509_TEXT_H

#include <stddef.h>

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

/* How a time is written; always in UTC. */
enum x509_time_style {
	X509_TIME_ISO,	 /* "2026-12-07T01:02:03Z" (reports, JSON) */
	X509_TIME_HUMAN, /* "2026-12-07 01:02:03 UTC" */
	X509_TIME_DATE,	 /* "2026-12-07" */
};

/* Room for any of the styles above, with the terminating NUL. */
#define X509_TEXT_TIME_MAX 32

/* Writes t into out (n bytes, at least X509_TEXT_TIME_MAX).
 * KYSO_ERR_INVALID when t is not a valid time, and out is then left
 * alone: the caller chooses what to show instead. */
int x509_text_time(const ASN1_TIME *t, enum x509_time_style style, char *out,
    size_t n) KYSO_WUR;

#endif
