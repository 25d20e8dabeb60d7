/* Key pairs made on the token: the private half never leaves it. */
#include <string.h>

#include "p11.h"
#include "p11_int.h"
#include "../common/pubkey.h"

/* The key types kyso registers and issues for, by the names ra.conf,
 * the RA's API and kyso-token use. */
static const struct {
	const char *name;
	const char *curve; /* EC: pubkey_curve_oid's name */
	CK_ULONG bits;	   /* RSA */
} key_types[] = {
	{ "p256", "P-256", 0 },
	{ "p384", "P-384", 0 },
	{ "rsa2048", NULL, 2048 },
	{ "rsa3072", NULL, 3072 },
	{ "rsa4096", NULL, 4096 },
};

/* One template for kyso-token's user keys and kyso-ra's CA key: what
 * differs is the type, the id and the label. */
int
p11_generate_keypair(struct p11 *p, CK_SESSION_HANDLE s, const char *key_type,
    const uint8_t *id, size_t idlen, const char *label, struct p11_key *out,
    CK_OBJECT_HANDLE *pub)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_MECHANISM m = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_BYTE e[] = { 1, 0, 1 };
	CK_ULONG bits = 0, npub = 4;
	CK_ATTRIBUTE pt[6] = {
		{ CKA_TOKEN, &yes, 1 },
		{ CKA_VERIFY, &yes, 1 },
		{ CKA_ID, (void *)id, idlen },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_ATTRIBUTE kt[] = {
		{ CKA_TOKEN, &yes, 1 },
		{ CKA_PRIVATE, &yes, 1 },
		{ CKA_SENSITIVE, &yes, 1 },
		{ CKA_EXTRACTABLE, &no, 1 },
		{ CKA_SIGN, &yes, 1 },
		{ CKA_ID, (void *)id, idlen },
		{ CKA_LABEL, (void *)label, strlen(label) },
	};
	CK_OBJECT_HANDLE hpub, hpriv;
	struct p11_key k;
	const uint8_t *oid;
	size_t i, oidlen = 0;
	CK_RV rv;

	for (i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (strcmp(key_type, key_types[i].name) == 0)
			break;
	if (i == sizeof(key_types) / sizeof(key_types[0]) ||
	    idlen > sizeof(k.id)) {
		/* What a module says to a size it does not make. */
		(void)p11_fail(p, CKR_KEY_SIZE_RANGE);
		return KYSO_ERR_INVALID;
	}
	memset(&k, 0, sizeof(k));
	if (key_types[i].curve != NULL) {
		if ((oid = pubkey_curve_oid(key_types[i].curve, &oidlen)) == NULL)
			return KYSO_ERR_INTERNAL;
		m.mechanism = CKM_EC_KEY_PAIR_GEN;
		pt[npub].type = CKA_EC_PARAMS;
		pt[npub].pValue = (void *)oid;
		pt[npub++].ulValueLen = oidlen;
		k.type = CKK_EC;
	} else {
		bits = key_types[i].bits;
		pt[npub].type = CKA_MODULUS_BITS;
		pt[npub].pValue = &bits;
		pt[npub++].ulValueLen = sizeof(bits);
		pt[npub].type = CKA_PUBLIC_EXPONENT;
		pt[npub].pValue = e;
		pt[npub++].ulValueLen = sizeof(e);
		k.type = CKK_RSA;
	}
	rv = p11_fn(p)->C_GenerateKeyPair(s, &m, pt, npub, kt,
	    sizeof(kt) / sizeof(kt[0]), &hpub, &hpriv);
	if (rv != CKR_OK)
		return p11_fail(p, rv);
	k.priv = hpriv;
	k.cert = CK_INVALID_HANDLE;
	memcpy(k.id, id, idlen);
	k.idlen = idlen;
	*out = k;
	if (pub != NULL)
		*pub = hpub;
	return 0;
}
