/* Finding, writing and deleting token objects. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "p11.h"
#include "p11_int.h"

#define FIND_CHUNK 64

/* One FindObjectsInit/FindObjects/Final triple for every caller, so none
 * can leave a search open on the session (the next search would fail
 * with CKR_OPERATION_ACTIVE). */
int
p11_find_all(struct p11 *p, CK_SESSION_HANDLE s, const CK_ATTRIBUTE *tmpl,
    CK_ULONG n, CK_OBJECT_HANDLE **out, size_t *count)
{
	CK_FUNCTION_LIST *fn = p11_fn(p);
	CK_OBJECT_HANDLE *hs = NULL, *bigger;
	size_t have = 0, room = 0;
	CK_ULONG got;
	CK_RV rv;
	int r = KYSO_ERR_INTERNAL;

	if ((rv = fn->C_FindObjectsInit(s, (CK_ATTRIBUTE *)tmpl, n)) != CKR_OK)
		return p11_fail(p, rv);
	for (;;) {
		if (room - have < FIND_CHUNK) {
			if (room >= P11_FIND_MAX) {
				r = KYSO_ERR_TOO_LARGE;
				goto out;
			}
			room += FIND_CHUNK;
			if ((bigger = realloc(hs, room * sizeof(*hs))) == NULL) {
				r = KYSO_ERR_NOMEM;
				goto out;
			}
			hs = bigger;
		}
		got = 0;
		if ((rv = fn->C_FindObjects(s, hs + have, FIND_CHUNK, &got)) !=
		    CKR_OK) {
			r = p11_fail(p, rv);
			goto out;
		}
		if (got > FIND_CHUNK) {
			r = KYSO_ERR_INVALID;
			goto out;
		}
		have += got;
		if (got < FIND_CHUNK)
			break;
	}
	if (have == 0) {
		free(hs);
		hs = NULL;
	}
	*out = hs;
	*count = have;
	hs = NULL;
	r = 0;
out:
	fn->C_FindObjectsFinal(s);
	free(hs);
	return r;
}

/* Most lookups want exactly one object: an ambiguous answer is an
 * error, not the first match. */
int
p11_find_one(struct p11 *p, CK_SESSION_HANDLE s, const CK_ATTRIBUTE *tmpl,
    CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_HANDLE *hs = NULL;
	size_t count = 0;
	int r;

	if ((r = p11_find_all(p, s, tmpl, n, &hs, &count)) != 0)
		return r;
	if (count == 1)
		*out = hs[0];
	r = count == 0 ? KYSO_ERR_NOT_FOUND : count > 1 ? KYSO_ERR_BUSY : 0;
	free(hs);
	return r;
}

int
p11_destroy(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h)
{
	CK_RV rv;

	if ((rv = p11_fn(p)->C_DestroyObject(s, h)) != CKR_OK)
		return p11_fail(p, rv);
	return 0;
}

/* The attributes other programs look a certificate up by (subject,
 * issuer and serial, as OpenSC and browsers do) come from the DER
 * itself, so they cannot disagree with it. */
int
p11_cert_write(struct p11 *p, CK_SESSION_HANDLE s, const uint8_t *der,
    size_t len, const uint8_t *id, size_t idlen, const char *label, int authority)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_ULONG cat = authority ? 2 : 1;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	uint8_t *sub = NULL, *iss = NULL, *ser = NULL;
	const uint8_t *q = der;
	CK_OBJECT_HANDLE *found = NULL, h;
	size_t nfound = 0;
	X509 *x = NULL;
	int ns, ni, nr, r = KYSO_ERR_INVALID;
	CK_RV rv;

	if (len == 0 || len > 1024 * 1024 ||
	    (x = d2i_X509(NULL, &q, (long)len)) == NULL || q != der + len)
		goto out;
	r = KYSO_ERR_NOMEM;
	ns = i2d_X509_NAME(X509_get_subject_name(x), &sub);
	ni = i2d_X509_NAME(X509_get_issuer_name(x), &iss);
	nr = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ser);
	if (ns <= 0 || ni <= 0 || nr <= 0)
		goto out;
	{
		CK_ATTRIBUTE t[] = {
			{ CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) },
			{ CKA_TOKEN, &yes, 1 },
			{ CKA_PRIVATE, &no, 1 },
			{ CKA_VALUE, (void *)der, (CK_ULONG)len },
			{ CKA_SUBJECT, sub, (CK_ULONG)ns },
			{ CKA_ISSUER, iss, (CK_ULONG)ni },
			{ CKA_SERIAL_NUMBER, ser, (CK_ULONG)nr },
			{ CKA_LABEL, (void *)label, strlen(label) },
			{ CKA_ID, (void *)id, idlen },
			{ CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) },
		};

		/* The same certificate already there (a CA shared by
		 * renewals): a failed search only means writing it. */
		if (p11_find_all(p, s, t, 5, &found, &nfound) != 0)
			nfound = 0;
		if (nfound > 0) {
			r = 0;
			goto out;
		}
		rv = p11_fn(p)->C_CreateObject(s, t, sizeof(t) / sizeof(t[0]),
		    &h);
		r = rv == CKR_OK ? 0 : p11_fail(p, rv);
	}
out:
	free(found);
	X509_free(x);
	OPENSSL_free(sub);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return r;
}
