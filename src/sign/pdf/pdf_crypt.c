#include "sign/pdf/pdf_crypt.h"

#include <string.h>

#include <openssl/evp.h>

/* ISO 32000-1 7.6.3.3: the padding an empty password becomes. */
static const uint8_t PAD[32] = { 0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41,
	0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08, 0x2e, 0x2e, 0x00, 0xb6,
	0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a };

/* RC4 (the PDF revisions 2 to 4 use it; OpenSSL 3 keeps it in its
 * legacy provider only), in place. */
static void
rc4(const uint8_t *key, size_t klen, uint8_t *d, size_t n)
{
	uint8_t s[256], t;
	size_t i, k;
	unsigned j = 0;

	for (i = 0; i < 256; i++)
		s[i] = (uint8_t)i;
	for (i = 0; i < 256; i++) {
		j = (j + s[i] + key[i % klen]) & 0xff;
		t = s[i];
		s[i] = s[j];
		s[j] = t;
	}
	for (i = 0, j = 0, k = 0; k < n; k++) {
		i = (i + 1) & 0xff;
		j = (j + s[i]) & 0xff;
		t = s[i];
		s[i] = s[j];
		s[j] = t;
		d[k] ^= s[(s[i] + s[j]) & 0xff];
	}
}

static int64_t
int_of(const struct pdf_obj *d, const char *key, int64_t def)
{
	const struct pdf_obj *o = pdf_dict_get(d, key);

	return o != NULL && o->type == PDF_INT ? o->i : def;
}

/* Algorithms 2, 4 and 5 with the empty password (revisions 2 to 4):
 * 1 when it is the user password. */
static int
empty_user_rc4(const struct pdf_obj *enc, const struct pdf_obj *id0, int64_t rev)
{
	const struct pdf_obj *o = pdf_dict_get(enc, "O"),
			     *u = pdf_dict_get(enc, "U");
	const struct pdf_obj *em = pdf_dict_get(enc, "EncryptMetadata");
	int64_t len = rev == 2 ? 40 : int_of(enc, "Length", 40);
	uint32_t p = (uint32_t)int_of(enc, "P", 0);
	uint8_t key[16], h[16], x[32], pb[4], k2[16];
	size_t n = (size_t)len / 8, i, j;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	if (md == NULL || o == NULL || o->type != PDF_STRING || o->n < 32 ||
	    u == NULL || u->type != PDF_STRING || u->n < 32 || len < 40 ||
	    len > 128 || len % 8 != 0)
		goto out;
	for (i = 0; i < 4; i++)
		pb[i] = (uint8_t)(p >> (8 * i));
	if (EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(md, PAD, 32) != 1 ||
	    EVP_DigestUpdate(md, o->s, 32) != 1 ||
	    EVP_DigestUpdate(md, pb, 4) != 1 ||
	    (id0 != NULL && EVP_DigestUpdate(md, id0->s, id0->n) != 1) ||
	    (rev >= 4 && em != NULL && em->type == PDF_BOOL && em->i == 0 &&
		EVP_DigestUpdate(md, "\xff\xff\xff\xff", 4) != 1) ||
	    EVP_DigestFinal_ex(md, key, NULL) != 1)
		goto out;
	for (i = 0; rev >= 3 && i < 50; i++)
		if (EVP_Digest(key, n, key, NULL, EVP_md5(), NULL) != 1)
			goto out;
	if (rev == 2) {
		memcpy(x, PAD, 32);
		rc4(key, n, x, 32);
		ok = memcmp(x, u->s, 32) == 0;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(md, PAD, 32) != 1 ||
	    (id0 != NULL && EVP_DigestUpdate(md, id0->s, id0->n) != 1) ||
	    EVP_DigestFinal_ex(md, h, NULL) != 1)
		goto out;
	for (i = 0; i < 20; i++) {
		for (j = 0; j < n; j++)
			k2[j] = key[j] ^ (uint8_t)i;
		rc4(k2, n, h, 16);
	}
	ok = memcmp(h, u->s, 16) == 0;
out:
	EVP_MD_CTX_free(md);
	return ok;
}

/* Algorithm 2.B (revision 6) or plain SHA-256 (revision 5) of the empty
 * password and salt: 1 when it gives U's first 32 bytes. */
static int
empty_user_aes256(const struct pdf_obj *enc, int64_t rev)
{
	const struct pdf_obj *u = pdf_dict_get(enc, "U");
	uint8_t k[64], e[64 * (64 + 64)], k1[64 + 64];
	size_t klen = 32, i, e_len;
	EVP_CIPHER_CTX *c = NULL;
	int round, ok = 0, outl;

	if (u == NULL || u->type != PDF_STRING || u->n < 48 ||
	    EVP_Digest(u->s + 32, 8, k, NULL, EVP_sha256(), NULL) != 1)
		return 0;
	if (rev == 5)
		return memcmp(k, u->s, 32) == 0;
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return 0;
	for (round = 0;; round++) {
		unsigned sum = 0;
		const EVP_MD *next;

		/* K1 = (password ‖ K) 64 times: the password is empty. */
		memcpy(k1, k, klen);
		for (i = 0; i < 64; i++)
			memcpy(e + i * klen, k1, klen);
		e_len = 64 * klen;
		if (EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, k, k + 16) !=
			1 ||
		    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
		    EVP_EncryptUpdate(c, e, &outl, e, (int)e_len) != 1 ||
		    (size_t)outl != e_len)
			goto out;
		for (i = 0; i < 16; i++)
			sum += e[i];
		next = sum % 3 == 0 ? EVP_sha256()
		    : sum % 3 == 1  ? EVP_sha384()
				    : EVP_sha512();
		klen = (size_t)EVP_MD_get_size(next);
		if (EVP_Digest(e, e_len, k, NULL, next, NULL) != 1)
			goto out;
		/* At least 64 rounds, then until E's last byte is at most
		 * the rounds done less 32. */
		if (round + 1 >= 64 && e[e_len - 1] <= round + 1 - 32)
			break;
		if (round > 4096)
			goto out;
	}
	ok = memcmp(k, u->s, 32) == 0;
out:
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* The standard handler only (/Filter /Standard): a refusal that names
 * what the file's author set is worth the few hashes it costs. */
enum pdf_crypt_kind
pdf_crypt_inspect(const struct pdf_obj *enc, const struct pdf_obj *id0,
    int *may_sign)
{
	int64_t rev = int_of(enc, "R", 0), v = int_of(enc, "V", 0);
	uint32_t p = (uint32_t)int_of(enc, "P", 0);
	int empty;

	*may_sign = 0;
	if (enc == NULL || enc->type != PDF_DICT ||
	    !pdf_name_is(pdf_dict_get(enc, "Filter"), "Standard"))
		return PDF_CRYPT_UNKNOWN;
	if (id0 != NULL && id0->type != PDF_STRING)
		id0 = NULL;
	if (rev >= 2 && rev <= 4 && v >= 1 && v <= 4)
		empty = empty_user_rc4(enc, id0, rev);
	else if ((rev == 5 || rev == 6) && v == 5)
		empty = empty_user_aes256(enc, rev);
	else
		return PDF_CRYPT_UNKNOWN;
	if (!empty)
		return PDF_CRYPT_USER_PASSWORD;
	/* Bit 6: annotations and form fields; from revision 3, bit 9 alone
	 * allows filling in form fields (a signature is one). */
	*may_sign = (p >> 5 & 1) || (rev >= 3 && (p >> 8 & 1));
	return PDF_CRYPT_OWNER_ONLY;
}
