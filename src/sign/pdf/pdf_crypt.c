#include "sign/pdf/pdf_crypt.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

enum method { M_NONE, M_RC4, M_AES128, M_AES256 };

struct pdf_crypt {
	uint8_t key[32]; /* the file key */
	size_t klen;
	int64_t rev;
	uint32_t p;
	enum method str, stm; /* for strings, for streams */
	int meta;	      /* /EncryptMetadata */
};

/* Algorithm 2 with the empty password (revisions 2 to 4): the file key
 * in key (*n bytes), and 1 when algorithms 4/5 say the empty password is
 * the user password. */
static int
empty_user_rc4(const struct pdf_obj *enc, const struct pdf_obj *id0,
    int64_t rev, int64_t v, uint8_t key[16], size_t *n)
{
	const struct pdf_obj *o = pdf_dict_get(enc, "O"),
			     *u = pdf_dict_get(enc, "U");
	const struct pdf_obj *em = pdf_dict_get(enc, "EncryptMetadata");
	int64_t len = rev == 2 ? 40 : int_of(enc, "Length", v == 4 ? 128 : 40);
	uint32_t p = (uint32_t)int_of(enc, "P", 0);
	uint8_t h[16], x[32], pb[4], k2[16];
	size_t i, j;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = 0;

	*n = (size_t)len / 8;
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
		if (EVP_Digest(key, *n, key, NULL, EVP_md5(), NULL) != 1)
			goto out;
	if (rev == 2) {
		memcpy(x, PAD, 32);
		rc4(key, *n, x, 32);
		ok = memcmp(x, u->s, 32) == 0;
		goto out;
	}
	if (EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(md, PAD, 32) != 1 ||
	    (id0 != NULL && EVP_DigestUpdate(md, id0->s, id0->n) != 1) ||
	    EVP_DigestFinal_ex(md, h, NULL) != 1)
		goto out;
	for (i = 0; i < 20; i++) {
		for (j = 0; j < *n; j++)
			k2[j] = key[j] ^ (uint8_t)i;
		rc4(k2, *n, h, 16);
	}
	ok = memcmp(h, u->s, 16) == 0;
out:
	EVP_MD_CTX_free(md);
	return ok;
}

/* Algorithm 2.B (revision 6) or plain SHA-256 (revision 5) of the empty
 * password and an 8-byte salt (no user key: it is the user password's). */
static int
hash_2b(int64_t rev, const uint8_t *salt, uint8_t out[32])
{
	uint8_t k[64], e[64 * (64 + 64)], k1[64 + 64];
	size_t klen = 32, i, e_len;
	EVP_CIPHER_CTX *c = NULL;
	int round, ok = 0, outl;

	if (EVP_Digest(salt, 8, k, NULL, EVP_sha256(), NULL) != 1)
		return 0;
	if (rev == 5) {
		memcpy(out, k, 32);
		return 1;
	}
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
	memcpy(out, k, 32);
	ok = 1;
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(k1, sizeof(k1));
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* Revisions 5 and 6: 1 when the empty password is the user password
 * (U's validation salt), the file key then from /UE (its key salt). */
static int
empty_user_aes256(const struct pdf_obj *enc, int64_t rev, uint8_t key[32])
{
	const struct pdf_obj *u = pdf_dict_get(enc, "U"),
			     *ue = pdf_dict_get(enc, "UE");
	uint8_t h[32], iv[16] = { 0 };
	EVP_CIPHER_CTX *c = NULL;
	int ok = 0, outl;

	if (u == NULL || u->type != PDF_STRING || u->n < 48 ||
	    !hash_2b(rev, u->s + 32, h) || memcmp(h, u->s, 32) != 0)
		return 0;
	if (ue == NULL || ue->type != PDF_STRING || ue->n < 32 ||
	    !hash_2b(rev, u->s + 40, h) || (c = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, h, iv) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c, 0) == 1 &&
	    EVP_DecryptUpdate(c, key, &outl, ue->s, 32) == 1 && outl == 32)
		ok = 1;
out:
	OPENSSL_cleanse(h, sizeof(h));
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* The method a crypt filter (/StmF or /StrF, version 4 and 5) names;
 * -1 for one not understood. */
static int
cf_method(const struct pdf_obj *enc, const char *which, int64_t v, enum method *m)
{
	const struct pdf_obj *name = pdf_dict_get(enc, which), *cf, *f, *cfm;

	*m = M_RC4;
	if (v < 4)
		return 0;
	*m = M_NONE;
	if (name == NULL || pdf_name_is(name, "Identity"))
		return 0;
	if (name->type != PDF_NAME)
		return -1;
	cf = pdf_dict_get(enc, "CF");
	f = cf != NULL && cf->type == PDF_DICT
	    ? pdf_dict_get(cf, (const char *)name->s)
	    : NULL;
	if (f == NULL || f->type != PDF_DICT)
		return -1;
	cfm = pdf_dict_get(f, "CFM");
	if (cfm == NULL || pdf_name_is(cfm, "None"))
		*m = M_NONE;
	else if (pdf_name_is(cfm, "V2") && v == 4)
		*m = M_RC4;
	else if (pdf_name_is(cfm, "AESV2") && v == 4)
		*m = M_AES128;
	else if (pdf_name_is(cfm, "AESV3") && v == 5)
		*m = M_AES256;
	else
		return -1;
	return 0;
}

/* The standard handler only (/Filter /Standard): a refusal that names
 * what the file's author set is worth the few hashes it costs. */
enum pdf_crypt_kind
pdf_crypt_open(const struct pdf_obj *enc, const struct pdf_obj *id0,
    struct pdf_crypt **out)
{
	int64_t rev = int_of(enc, "R", 0), v = int_of(enc, "V", 0);
	const struct pdf_obj *em = pdf_dict_get(enc, "EncryptMetadata");
	struct pdf_crypt c;
	int empty;

	if (out != NULL)
		*out = NULL;
	if (enc == NULL || enc->type != PDF_DICT ||
	    !pdf_name_is(pdf_dict_get(enc, "Filter"), "Standard"))
		return PDF_CRYPT_UNKNOWN;
	memset(&c, 0, sizeof(c));
	if (id0 != NULL && id0->type != PDF_STRING)
		id0 = NULL;
	if (cf_method(enc, "StrF", v, &c.str) != 0 ||
	    cf_method(enc, "StmF", v, &c.stm) != 0)
		return PDF_CRYPT_UNKNOWN;
	if (rev >= 2 && rev <= 4 && v >= 1 && v <= 4)
		empty = empty_user_rc4(enc, id0, rev, v, c.key, &c.klen);
	else if ((rev == 5 || rev == 6) && v == 5)
		empty = empty_user_aes256(enc, rev, c.key), c.klen = 32;
	else
		return PDF_CRYPT_UNKNOWN;
	if (!empty) {
		OPENSSL_cleanse(&c, sizeof(c));
		return PDF_CRYPT_USER_PASSWORD;
	}
	c.rev = rev;
	c.p = (uint32_t)int_of(enc, "P", 0);
	c.meta = !(v >= 4 && em != NULL && em->type == PDF_BOOL && em->i == 0);
	if (out != NULL) {
		if ((*out = malloc(sizeof(**out))) != NULL)
			memcpy(*out, &c, sizeof(c));
	}
	OPENSSL_cleanse(&c, sizeof(c));
	return PDF_CRYPT_OWNER_ONLY;
}

void
pdf_crypt_free(struct pdf_crypt *c)
{
	if (c == NULL)
		return;
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int
pdf_crypt_may_fill(const struct pdf_crypt *c)
{
	return (c->p >> 5 & 1) || (c->rev >= 3 && (c->p >> 8 & 1));
}

int
pdf_crypt_may_create(const struct pdf_crypt *c)
{
	return (c->p >> 3 & 1) && (c->p >> 5 & 1);
}

/* Algorithm 1: the key of object num, gen (revisions 2 to 4); the file
 * key itself for AES-256. */
static size_t
obj_key(const struct pdf_crypt *c, enum method m, int64_t num, uint32_t gen,
    uint8_t k[32])
{
	uint8_t in[32 + 5 + 4], h[16];
	size_t n = c->klen;

	if (m == M_AES256) {
		memcpy(k, c->key, 32);
		return 32;
	}
	memcpy(in, c->key, n);
	in[n++] = (uint8_t)num;
	in[n++] = (uint8_t)(num >> 8);
	in[n++] = (uint8_t)(num >> 16);
	in[n++] = (uint8_t)gen;
	in[n++] = (uint8_t)(gen >> 8);
	if (m == M_AES128) {
		memcpy(in + n, "sAlT", 4);
		n += 4;
	}
	if (EVP_Digest(in, n, h, NULL, EVP_md5(), NULL) != 1)
		return 0;
	n = c->klen + 5 < 16 ? c->klen + 5 : 16;
	memcpy(k, h, n);
	OPENSSL_cleanse(in, sizeof(in));
	OPENSSL_cleanse(h, sizeof(h));
	return n;
}

/* AES-CBC: encrypting puts a random IV first and pads (PKCS#5);
 * decrypting takes the IV from the first 16 bytes and drops the padding
 * when it is well formed. */
static int
aes(const uint8_t *k, size_t klen, int enc, const uint8_t *p, size_t n,
    struct buf *o)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	const EVP_CIPHER *ci = klen == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
	uint8_t iv[16], *t = NULL;
	size_t tn = 0;
	int r = KYSO_ERR_CRYPTO, l1 = 0, l2 = 0;

	if (c == NULL || n > INT32_MAX - 32 || (t = malloc(n + 32)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if (enc) {
		if (RAND_bytes(iv, 16) != 1 ||
		    EVP_EncryptInit_ex(c, ci, NULL, k, iv) != 1 ||
		    EVP_EncryptUpdate(c, t, &l1, p, (int)n) != 1 ||
		    EVP_EncryptFinal_ex(c, t + l1, &l2) != 1)
			goto out;
		tn = (size_t)(l1 + l2);
		if ((r = buf_put(o, iv, 16)) == 0)
			r = buf_put(o, t, tn);
		goto out;
	}
	r = 0;
	if (n < 32) /* nothing but an IV (or less): an empty string */
		goto out;
	r = KYSO_ERR_CORRUPT;
	tn = (n - 16) - (n - 16) % 16; /* a truncated last block is dropped */
	if (EVP_DecryptInit_ex(c, ci, NULL, k, p) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_DecryptUpdate(c, t, &l1, p + 16, (int)tn) != 1 ||
	    (size_t)l1 != tn)
		goto out;
	if (t[tn - 1] >= 1 && t[tn - 1] <= 16)
		tn -= t[tn - 1];
	r = buf_put(o, t, tn);
out:
	if (t != NULL) {
		OPENSSL_cleanse(t, n + 32);
		free(t);
	}
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
pdf_crypt_bytes(const struct pdf_crypt *c, int64_t num, uint32_t gen, int enc,
    int stream, int metadata, const uint8_t *p, size_t n, struct buf **out)
{
	enum method m = stream ? c->stm : c->str;
	struct buf *o = buf_new(n + 32);
	uint8_t k[32];
	size_t klen;
	int r = 0;

	if (o == NULL)
		return KYSO_ERR_NOMEM;
	if (stream && metadata && !c->meta)
		m = M_NONE;
	if (m == M_NONE || m == M_RC4) {
		if ((r = buf_put(o, p, n)) != 0)
			goto out;
	}
	if (m == M_NONE)
		goto out;
	if ((klen = obj_key(c, m, num, gen, k)) == 0) {
		r = KYSO_ERR_CRYPTO;
		goto out;
	}
	if (m == M_RC4)
		rc4(k, klen, buf_mutable_ptr(o), buf_len(o));
	else
		r = aes(k, klen, enc, p, n, o);
	OPENSSL_cleanse(k, sizeof(k));
out:
	if (r != 0) {
		buf_free(o);
		return r;
	}
	*out = o;
	return 0;
}

int
pdf_crypt_obj(const struct pdf_crypt *c, int64_t num, uint32_t gen, int enc,
    struct pdf_obj *o)
{
	struct buf *b = NULL;
	size_t i;
	int r, sig;

	if (o->type == PDF_STRING) {
		uint8_t *s;

		if ((r = pdf_crypt_bytes(c, num, gen, enc, 0, 0, o->s, o->n,
			 &b)) != 0)
			return r;
		if ((s = malloc(buf_len(b) + 1)) == NULL) {
			buf_free(b);
			return KYSO_ERR_NOMEM;
		}
		memcpy(s, buf_ptr(b), buf_len(b));
		s[buf_len(b)] = 0;
		OPENSSL_cleanse(o->s, o->n);
		free(o->s);
		o->s = s;
		o->n = buf_len(b);
		/* How the producer wrote it (literal or hex) says nothing once
		 * decrypted: hex both ways, so that an object read before and
		 * after an update compares by its bytes (pdf_changes.c). */
		o->hex = 1;
		buf_free(b);
		return 0;
	}
	if (o->type != PDF_ARRAY && o->type != PDF_DICT && o->type != PDF_STREAM)
		return 0;
	sig = o->type != PDF_ARRAY && pdf_dict_get(o, "ByteRange") != NULL;
	for (i = 0; i < o->count; i++) {
		if (o->type != PDF_ARRAY && i % 2 == 0)
			continue; /* a key */
		if (sig && pdf_name_is(o->items[i - 1], "Contents"))
			continue;
		if ((r = pdf_crypt_obj(c, num, gen, enc, o->items[i])) != 0)
			return r;
	}
	return 0;
}
