/* libFuzzer target for kyso-ra's reader of OCSP requests (ocsp_cache.c's
 * ocsp_req_read and ocsp_nonce_ok), which reads untrusted DER in place
 * before any signature: every pointer it returns must lie inside the
 * request, and when OpenSSL's parser (the general path, ocsp.c) reads
 * the same bytes, both must find the same serial and the same nonce. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ocsp.h>

#include "ra/ocsp_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* [p, p + n) within [data, data + size). */
static int
inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

/* The serial OpenSSL reads, in ocsp.c's form (lower-case hex); leading
 * zeros dropped from both to compare (the reader keeps whole octets). */
static void
same_serial(OCSP_REQUEST *req, const char *ours)
{
	OCSP_ONEREQ *one = OCSP_request_onereq_get0(req, 0);
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn;
	char *h;
	size_t i;

	OCSP_id_get0_info(NULL, NULL, NULL, &sn, OCSP_onereq_get0_id(one));
	if ((bn = ASN1_INTEGER_to_BN(sn, NULL)) == NULL)
		abort();
	if ((h = BN_bn2hex(bn)) == NULL)
		abort();
	for (i = 0; h[i]; i++)
		if (h[i] >= 'A' && h[i] <= 'F')
			h[i] = (char)(h[i] - 'A' + 'a');
	while (*ours == '0')
		ours++;
	if (strcmp(h + strspn(h, "0"), ours) != 0)
		abort();
	OPENSSL_free(h);
	BN_free(bn);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ocsp_req_key k;
	const uint8_t *p = data;
	OCSP_REQUEST *req;
	size_t i;

	(void)!ocsp_nonce_ok(data, size);
	if (ocsp_req_read(data, size, &k) != 0)
		return 0;
	if (!inside(data, size, k.certid, k.certid_len) ||
	    !inside(data, size, k.issuer, k.issuer_len) || k.issuer < k.certid ||
	    k.issuer + k.issuer_len > k.certid + k.certid_len ||
	    k.certid_len > OCSP_CACHE_MAX_CERTID ||
	    (k.nonce_ext != NULL &&
		!inside(data, size, k.nonce_ext, k.nonce_ext_len)))
		abort();
	for (i = 0; k.serial[i]; i++)
		if (!((k.serial[i] >= '0' && k.serial[i] <= '9') ||
			(k.serial[i] >= 'a' && k.serial[i] <= 'f')))
			abort();
	if (i == 0 || i > 40)
		abort();
	req = d2i_OCSP_REQUEST(NULL, &p, (long)size);
	if (req != NULL) {
		if (OCSP_request_onereq_count(req) != 1)
			abort();
		same_serial(req, k.serial);
		if ((OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce,
			 -1) >= 0) != (k.nonce_ext != NULL))
			abort();
	}
	OCSP_REQUEST_free(req);
	return 0;
}
