/* x509_text: names keep their UTF-8 (no \XX escapes), the common name
 * comes out whatever string type holds it, times in the three forms. */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "common/x509_text.h"
#include "unit.h"

int
main(void)
{
	static const char cn[] = "Nguy\xe1\xbb\x85n V\xc4\x83n A"; /* Nguyễn Văn A */
	X509_NAME *nm = X509_NAME_new(), *bmp = X509_NAME_new(), *none;
	ASN1_TIME *t = ASN1_TIME_new(), *bad = ASN1_TIME_new();
	char out[X509_TEXT_TIME_MAX], small[8], *s;

	CHECK(nm != NULL && bmp != NULL && t != NULL && bad != NULL);
	CHECK(X509_NAME_add_entry_by_txt(nm, "C", MBSTRING_ASC,
		  (const unsigned char *)"VN", -1, -1, 0) == 1);
	CHECK(X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8,
		  (const unsigned char *)cn, -1, -1, 0) == 1);

	s = x509_text_name(nm, X509_TEXT_RFC2253);
	CHECK(s != NULL &&
	    strcmp(s, "CN=Nguy\xe1\xbb\x85n V\xc4\x83n A,C=VN") == 0);
	free(s);
	s = x509_text_name(nm, X509_TEXT_ONELINE);
	CHECK(s != NULL &&
	    strcmp(s, "C = VN, CN = Nguy\xe1\xbb\x85n V\xc4\x83n A") == 0);
	free(s);
	s = x509_text_cn(nm);
	CHECK(s != NULL && strcmp(s, cn) == 0);
	free(s);

	/* A BMPString common name still comes out as UTF-8. */
	CHECK(X509_NAME_add_entry_by_txt(bmp, "CN", V_ASN1_BMPSTRING,
		  (const unsigned char *)"\x00"
					 "A\x00"
					 "B",
		  4, -1, 0) == 1);
	s = x509_text_cn(bmp);
	CHECK(s != NULL && strcmp(s, "AB") == 0);
	free(s);
	none = X509_NAME_new();
	CHECK(none != NULL && x509_text_cn(none) == NULL);

	CHECK(ASN1_TIME_set_string(t, "20261207010203Z") == 1);
	CHECK_ERR(x509_text_time(t, X509_TIME_ISO, out, sizeof(out)), 0);
	CHECK(strcmp(out, "2026-12-07T01:02:03Z") == 0);
	CHECK_ERR(x509_text_time(t, X509_TIME_HUMAN, out, sizeof(out)), 0);
	CHECK(strcmp(out, "2026-12-07 01:02:03 UTC") == 0);
	CHECK_ERR(x509_text_time(t, X509_TIME_DATE, out, sizeof(out)), 0);
	CHECK(strcmp(out, "2026-12-07") == 0);
	/* Too small a buffer and a time that is none leave out alone. */
	memcpy(small, "?", 2);
	CHECK_ERR(x509_text_time(t, X509_TIME_ISO, small, sizeof(small)),
	    KYSO_ERR_TOO_LARGE);
	CHECK(strcmp(small, "?") == 0);
	CHECK_ERR(x509_text_time(bad, X509_TIME_ISO, small, sizeof(small)),
	    KYSO_ERR_INVALID);
	CHECK_ERR(x509_text_time(NULL, X509_TIME_ISO, small, sizeof(small)),
	    KYSO_ERR_INVALID);
	CHECK(strcmp(small, "?") == 0);

	X509_NAME_free(nm);
	X509_NAME_free(bmp);
	X509_NAME_free(none);
	ASN1_TIME_free(t);
	ASN1_TIME_free(bad);
	return unit_done();
}
