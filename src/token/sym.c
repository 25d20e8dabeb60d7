/* Operations with secret keys, the OpenSSL side: AES ECB, CBC, CBC_PAD,
 * CTR, GCM and key wrap (RFC 3394, RFC 5649) and DES3 (legacy) ECB, CBC
 * and CBC_PAD encryption and decryption,
 * the ciphers C_WrapKey and C_UnwrapKey use, and the MACs (SHA-1/2 HMAC and
 * AES-CMAC, with their _GENERAL forms) as signatures. keys.c's struct
 * kop holds one of these for a secret key and hands every call on. A
 * cipher streams: each update returns what it can (sym_update_len says
 * how much, exactly, so the two-call convention holds per call); GCM
 * decryption keeps everything until the tag is checked. The key and
 * every output buffer are wiped. */
#include "sym.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "fetch.h"

#define SYM_DATA_MAX ((size_t)256 * 1024 * 1024) /* one operation's input */
#define GCM_AAD_MAX  ((size_t)1024 * 1024)

struct sym {
	CK_MECHANISM_TYPE mech;
	int enc;	   /* encrypting (or MAC signing) */
	size_t keylen;	   /* the key's length, for sym_fits */
	const void *alg;   /* the cipher, or the MAC's digest or cipher name */
	EVP_CIPHER_CTX *c; /* ciphers */
	EVP_MAC_CTX *mac;  /* MACs */
	size_t maclen;	   /* the MAC's length, truncated by _GENERAL */
	size_t block;	   /* 16 for AES ECB/CBC, 8 for DES3, 1 for streams */
	size_t pending;	   /* bytes the cipher holds back so far */
	int pad;	   /* CBC_PAD */
	size_t taglen;	   /* GCM */
	uint8_t *held;	   /* GCM decryption: the whole input */
	size_t heldlen, heldcap;
	uint8_t *res; /* the result kop_finish makes */
	size_t reslen, rescap;
	int finished;
};

/* Which secret-key mechanism is a MAC, and with what. */
static const char *
hmac_digest(CK_MECHANISM_TYPE m, int *general)
{
	*general = 0;
	switch (m) {
	case CKM_SHA_1_HMAC_GENERAL: *general = 1; /* fall through */
	case CKM_SHA_1_HMAC: return "SHA1";
	case CKM_SHA224_HMAC_GENERAL: *general = 1; /* fall through */
	case CKM_SHA224_HMAC: return "SHA224";
	case CKM_SHA256_HMAC_GENERAL: *general = 1; /* fall through */
	case CKM_SHA256_HMAC: return "SHA256";
	case CKM_SHA384_HMAC_GENERAL: *general = 1; /* fall through */
	case CKM_SHA384_HMAC: return "SHA384";
	case CKM_SHA512_HMAC_GENERAL: *general = 1; /* fall through */
	case CKM_SHA512_HMAC: return "SHA512";
	}
	return NULL;
}

/* Whether m is a DES3 cipher mechanism. */
static int
is_des3(CK_MECHANISM_TYPE m)
{
	return m == CKM_DES3_ECB || m == CKM_DES3_CBC || m == CKM_DES3_CBC_PAD;
}

/* The OpenSSL cipher of an AES or DES3 mechanism for a key of keylen
 * bytes (three DES keys for DES3, in OpenSSL's default provider). */
static const EVP_CIPHER *
sym_cipher(CK_MECHANISM_TYPE m, size_t keylen)
{
	const char *mode;
	char name[24];

	if (is_des3(m))
		return keylen != 24	? NULL
		    : m == CKM_DES3_ECB ? fetch_cipher("DES-EDE3-ECB")
					: fetch_cipher("DES-EDE3-CBC");
	if (keylen != 16 && keylen != 24 && keylen != 32)
		return NULL;
	switch (m) {
	case CKM_AES_ECB: mode = "ECB"; break;
	case CKM_AES_CBC:
	case CKM_AES_CBC_PAD: mode = "CBC"; break;
	case CKM_AES_CTR: mode = "CTR"; break;
	case CKM_AES_GCM: mode = "GCM"; break;
	case CKM_AES_KEY_WRAP: mode = "WRAP"; break;
	case CKM_AES_KEY_WRAP_PAD: mode = "WRAP-PAD"; break;
	default: return NULL;
	}
	snprintf(name, sizeof(name), "AES-%zu-%s", keylen * 8, mode);
	return fetch_cipher(name);
}

/* What a MAC mechanism runs with a key of keylen bytes: HMAC's digest
 * name (*hmac set) or CMAC's cipher name; NULL for a key CMAC cannot
 * take. */
static const char *
mac_alg(CK_MECHANISM_TYPE m, size_t keylen, int *hmac, int *general)
{
	const char *md = hmac_digest(m, general);

	*hmac = md != NULL;
	if (md != NULL)
		return md;
	*general = m == CKM_AES_CMAC_GENERAL;
	return keylen == 16 ? "AES-128-CBC"
	    : keylen == 24  ? "AES-192-CBC"
	    : keylen == 32  ? "AES-256-CBC"
			    : NULL;
}

/* The MAC context: HMAC with a digest or CMAC with AES-CBC; a _GENERAL
 * mechanism's parameter is the length to keep. key NULL: k's context
 * already holds the key (a kept one, sym_restart) and starts over with
 * it, without fetching the digest and setting up the key again. */
static CK_RV
mac_init(struct sym *k, const CK_MECHANISM *m, const uint8_t *key, size_t keylen)
{
	int general = 0, hmac = 0;
	const char *alg = mac_alg(m->mechanism, keylen, &hmac, &general);
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	size_t full;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (alg == NULL)
		return CKR_KEY_SIZE_RANGE;
	k->alg = alg;
	if (key == NULL) {
		if (k->mac == NULL || EVP_MAC_init(k->mac, NULL, 0, NULL) != 1)
			goto out;
	} else {
		if ((mac = fetch_mac(hmac ? "HMAC" : "CMAC")) == NULL ||
		    (k->mac = EVP_MAC_CTX_new(mac)) == NULL)
			goto out;
		params[0] = OSSL_PARAM_construct_utf8_string(hmac
			? OSSL_MAC_PARAM_DIGEST
			: OSSL_MAC_PARAM_CIPHER,
		    (char *)alg, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_MAC_init(k->mac, key, keylen, params) != 1)
			goto out;
	}
	full = EVP_MAC_CTX_get_mac_size(k->mac);
	k->maclen = full;
	rv = CKR_MECHANISM_PARAM_INVALID;
	if (general) {
		const CK_ULONG *len = m->pParameter;

		if (len == NULL || m->ulParameterLen != sizeof(*len) ||
		    *len == 0 || *len > full)
			goto out;
		k->maclen = *len;
	} else if (m->ulParameterLen != 0) {
		goto out;
	}
	rv = CKR_OK;
out:
	return rv;
}

/* The GCM parameters as PKCS#11 2.40's headers laid them out, without
 * ulIvBits; applications built with those headers still pass them. */
struct gcm_params_240 {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
};

/* CK_GCM_PARAMS in either layout, told apart by its length, into the
 * 3.0 one. ulIvBits is not read: the specification makes ulIvLen the
 * IV's length (an application may leave ulIvBits 0). */
static CK_RV
gcm_params(const CK_MECHANISM *m, CK_GCM_PARAMS *g)
{
	const struct gcm_params_240 *old = m->pParameter;

	if (m->pParameter == NULL)
		return CKR_MECHANISM_PARAM_INVALID;
	if (m->ulParameterLen == sizeof(*g)) {
		memcpy(g, m->pParameter, sizeof(*g));
	} else if (m->ulParameterLen == sizeof(*old)) {
		memset(g, 0, sizeof(*g));
		g->pIv = old->pIv;
		g->ulIvLen = old->ulIvLen;
		g->pAAD = old->pAAD;
		g->ulAADLen = old->ulAADLen;
		g->ulTagBits = old->ulTagBits;
	} else {
		return CKR_MECHANISM_PARAM_INVALID;
	}
	if (g->pIv == NULL || g->ulIvLen == 0 || g->ulIvLen > 256 ||
	    g->ulTagBits < 64 || g->ulTagBits > 128 || g->ulTagBits % 8 != 0 ||
	    g->ulAADLen > GCM_AAD_MAX || (g->ulAADLen > 0 && g->pAAD == NULL))
		return CKR_MECHANISM_PARAM_INVALID;
	return CKR_OK;
}

/* The cipher context, with the mechanism's IV, counter or GCM
 * parameters. key NULL: k's context already holds the key for this
 * cipher and direction (a kept one, sym_restart); the new IV, AAD and
 * padding start a new operation on it. */
static CK_RV
cipher_init(struct sym *k, const CK_MECHANISM *m, const uint8_t *key,
    size_t keylen)
{
	const EVP_CIPHER *ci = sym_cipher(m->mechanism, keylen);
	const uint8_t *iv = NULL;
	const CK_GCM_PARAMS *g = NULL;
	CK_GCM_PARAMS gp;
	int outl;

	if (ci == NULL)
		return CKR_KEY_SIZE_RANGE;
	k->block = m->mechanism == CKM_AES_ECB || m->mechanism == CKM_AES_CBC ||
		m->mechanism == CKM_AES_CBC_PAD
	    ? 16
	    : is_des3(m->mechanism) ? 8
				    : 1;
	k->pad = m->mechanism == CKM_AES_CBC_PAD ||
	    m->mechanism == CKM_DES3_CBC_PAD;
	switch (m->mechanism) {
	case CKM_AES_ECB:
	case CKM_DES3_ECB:
		if (m->ulParameterLen != 0)
			return CKR_MECHANISM_PARAM_INVALID;
		break;
	case CKM_DES3_CBC:
	case CKM_DES3_CBC_PAD:
		if (m->pParameter == NULL || m->ulParameterLen != 8)
			return CKR_MECHANISM_PARAM_INVALID;
		iv = m->pParameter;
		break;
	case CKM_AES_CBC:
	case CKM_AES_CBC_PAD:
		if (m->pParameter == NULL || m->ulParameterLen != 16)
			return CKR_MECHANISM_PARAM_INVALID;
		iv = m->pParameter;
		break;
	case CKM_AES_CTR: {
		const CK_AES_CTR_PARAMS *p = m->pParameter;

		if (p == NULL || m->ulParameterLen != sizeof(*p) ||
		    p->ulCounterBits == 0 || p->ulCounterBits > 128)
			return CKR_MECHANISM_PARAM_INVALID;
		iv = p->cb;
		break;
	}
	case CKM_AES_KEY_WRAP:
	case CKM_AES_KEY_WRAP_PAD:
		/* The default IV, or the caller's (8 or 4 bytes). */
		if (m->ulParameterLen != 0 &&
		    (m->pParameter == NULL ||
			m->ulParameterLen !=
			    (m->mechanism == CKM_AES_KEY_WRAP ? 8U : 4U)))
			return CKR_MECHANISM_PARAM_INVALID;
		iv = m->pParameter;
		break;
	case CKM_AES_GCM:
		if (gcm_params(m, &gp) != CKR_OK)
			return CKR_MECHANISM_PARAM_INVALID;
		g = &gp;
		k->taglen = g->ulTagBits / 8;
		break;
	}
	k->alg = ci;
	if (key == NULL) {
		if (k->c == NULL)
			return CKR_DEVICE_ERROR;
	} else {
		if ((k->c = EVP_CIPHER_CTX_new()) == NULL)
			return CKR_HOST_MEMORY;
		EVP_CIPHER_CTX_set_flags(k->c, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
		if (EVP_CipherInit_ex(k->c, ci, NULL, NULL, NULL, k->enc) != 1)
			return CKR_DEVICE_ERROR;
	}
	if (g != NULL &&
	    EVP_CIPHER_CTX_ctrl(k->c, EVP_CTRL_GCM_SET_IVLEN, (int)g->ulIvLen,
		NULL) != 1)
		return CKR_MECHANISM_PARAM_INVALID;
	if (EVP_CipherInit_ex(k->c, NULL, NULL, key, g != NULL ? g->pIv : iv,
		k->enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(k->c, k->pad) != 1)
		return CKR_DEVICE_ERROR;
	if (g != NULL && g->ulAADLen > 0 &&
	    EVP_CipherUpdate(k->c, NULL, &outl, g->pAAD, (int)g->ulAADLen) != 1)
		return CKR_DEVICE_ERROR;
	return CKR_OK;
}

int
sym_mechanism(CK_MECHANISM_TYPE m)
{
	int general;

	return hmac_digest(m, &general) != NULL || m == CKM_AES_CMAC ||
	    m == CKM_AES_CMAC_GENERAL || m == CKM_AES_ECB || m == CKM_AES_CBC ||
	    m == CKM_AES_CBC_PAD || m == CKM_AES_CTR || m == CKM_AES_GCM ||
	    m == CKM_AES_KEY_WRAP || m == CKM_AES_KEY_WRAP_PAD || is_des3(m);
}

CK_RV
sym_new(enum kop_kind kind, const CK_MECHANISM *m, const uint8_t *key,
    size_t keylen, struct sym **out)
{
	int general;
	int mac = hmac_digest(m->mechanism, &general) != NULL ||
	    m->mechanism == CKM_AES_CMAC || m->mechanism == CKM_AES_CMAC_GENERAL;
	struct sym *k;
	CK_RV rv;

	if (mac != (kind == KOP_SIGN || kind == KOP_VERIFY) ||
	    (!mac && kind != KOP_ENCRYPT && kind != KOP_DECRYPT))
		return CKR_MECHANISM_INVALID;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return CKR_HOST_MEMORY;
	k->mech = m->mechanism;
	k->enc = kind == KOP_ENCRYPT || kind == KOP_SIGN;
	k->keylen = keylen;
	rv = mac ? mac_init(k, m, key, keylen) : cipher_init(k, m, key, keylen);
	if (rv != CKR_OK) {
		sym_free(k);
		return rv;
	}
	*out = k;
	return CKR_OK;
}

int
sym_fits(const struct sym *k, enum kop_kind kind, CK_MECHANISM_TYPE m)
{
	int general, hmac;
	const char *alg;

	if (k->mac != NULL) {
		alg = mac_alg(m, k->keylen, &hmac, &general);
		return (kind == KOP_SIGN || kind == KOP_VERIFY) &&
		    (hmac || m == CKM_AES_CMAC || m == CKM_AES_CMAC_GENERAL) &&
		    alg != NULL && (alg == k->alg || strcmp(alg, k->alg) == 0);
	}
	/* Key wrap is not kept: its context is made for one call. */
	if (m == CKM_AES_KEY_WRAP || m == CKM_AES_KEY_WRAP_PAD ||
	    (kind != KOP_ENCRYPT && kind != KOP_DECRYPT))
		return 0;
	return (kind == KOP_ENCRYPT) == k->enc &&
	    sym_cipher(m, k->keylen) == k->alg;
}

CK_RV
sym_restart(struct sym *k, enum kop_kind kind, const CK_MECHANISM *m)
{
	if (!sym_fits(k, kind, m->mechanism))
		return CKR_MECHANISM_INVALID;
	sym_park(k);
	k->mech = m->mechanism;
	k->enc = kind == KOP_ENCRYPT || kind == KOP_SIGN;
	return k->mac != NULL ? mac_init(k, m, NULL, k->keylen)
			      : cipher_init(k, m, NULL, k->keylen);
}

void
sym_park(struct sym *k)
{
	if (k->held != NULL)
		OPENSSL_cleanse(k->held, k->heldlen);
	if (k->res != NULL)
		OPENSSL_cleanse(k->res, k->reslen);
	k->heldlen = k->reslen = k->pending = k->taglen = 0;
	k->finished = 0;
}

/* GCM decryption keeps its input until the tag is checked; key wrap
 * works on the whole input at once. */
static int
holds_all(const struct sym *k)
{
	return (k->mech == CKM_AES_GCM && !k->enc) ||
	    k->mech == CKM_AES_KEY_WRAP || k->mech == CKM_AES_KEY_WRAP_PAD;
}

size_t
sym_update_len(const struct sym *k, size_t n)
{
	size_t total;

	if (k->mac != NULL || holds_all(k))
		return 0;
	if (k->block == 1)
		return n;
	total = k->pending + n;
	/* CBC_PAD decryption keeps a whole last block for the padding. */
	if (k->pad && !k->enc && total > 0 && total % k->block == 0)
		return total - k->block;
	return total - total % k->block;
}

size_t
sym_single_len(const struct sym *k, size_t n)
{
	if (k->finished)
		return k->reslen;
	if (k->mac != NULL)
		return k->maclen;
	if (k->mech == CKM_AES_GCM)
		return k->enc	    ? n + k->taglen
		    : n > k->taglen ? n - k->taglen
				    : 0;
	if (k->mech == CKM_AES_KEY_WRAP || k->mech == CKM_AES_KEY_WRAP_PAD)
		return k->enc ? (n + 7) / 8 * 8 + 8 : n;
	if (k->pad && k->enc)
		return (n / k->block + 1) * k->block;
	return n;
}

/* Makes room for n more result bytes. */
static CK_RV
res_grow(struct sym *k, size_t n)
{
	uint8_t *nr;
	size_t cap;

	if (n > SYM_DATA_MAX || k->reslen > SYM_DATA_MAX - n)
		return CKR_DATA_LEN_RANGE;
	if (k->reslen + n <= k->rescap)
		return CKR_OK;
	cap = k->reslen + n + 64;
	if ((nr = malloc(cap)) == NULL)
		return CKR_HOST_MEMORY;
	if (k->reslen > 0)
		memcpy(nr, k->res, k->reslen);
	if (k->res != NULL) {
		OPENSSL_cleanse(k->res, k->rescap);
		free(k->res);
	}
	k->res = nr;
	k->rescap = cap;
	return CKR_OK;
}

/* GCM decryption's input, kept. */
static CK_RV
hold(struct sym *k, const uint8_t *in, size_t n)
{
	uint8_t *nh;
	size_t cap;

	if (n > SYM_DATA_MAX || k->heldlen > SYM_DATA_MAX - n)
		return CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (k->heldlen + n > k->heldcap) {
		cap = (k->heldlen + n) * 2;
		if ((nh = malloc(cap)) == NULL)
			return CKR_HOST_MEMORY;
		if (k->heldlen > 0)
			memcpy(nh, k->held, k->heldlen);
		free(k->held);
		k->held = nh;
		k->heldcap = cap;
	}
	if (n > 0)
		memcpy(k->held + k->heldlen, in, n);
	k->heldlen += n;
	return CKR_OK;
}

CK_RV
sym_update(struct sym *k, const uint8_t *in, size_t n, uint8_t *out,
    size_t *outlen)
{
	size_t want = sym_update_len(k, n);
	int got = 0, to_res = out == NULL;
	CK_RV rv;

	if (k->finished)
		return CKR_OPERATION_ACTIVE;
	if (n > INT32_MAX)
		return CKR_DATA_LEN_RANGE;
	if (k->mac != NULL)
		return EVP_MAC_update(k->mac, in, n) == 1 ? CKR_OK
							  : CKR_DEVICE_ERROR;
	if (holds_all(k))
		return hold(k, in, n);
	if (to_res) {
		/* A single-part call: the output goes to the result. */
		if ((rv = res_grow(k, want + 16)) != CKR_OK)
			return rv;
		out = k->res + k->reslen;
	}
	if (n > 0 && EVP_CipherUpdate(k->c, out, &got, in, (int)n) != 1)
		return CKR_DEVICE_ERROR;
	k->pending = k->pending + n - (size_t)got;
	if (to_res)
		k->reslen += (size_t)got;
	if (outlen != NULL)
		*outlen = (size_t)got;
	return CKR_OK;
}

/* The end of a cipher: the last block, padding checked, or the GCM tag
 * appended (encryption) or checked (decryption). */
static CK_RV
cipher_finish(struct sym *k)
{
	int got = 0;
	CK_RV rv;

	if (k->block > 1 && !k->pad && k->pending != 0)
		return k->enc ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (holds_all(k) && k->mech != CKM_AES_GCM) {
		/* Key wrap: one call, its own integrity check. */
		if ((rv = res_grow(k, k->heldlen + 16)) != CKR_OK)
			return rv;
		if (k->heldlen > INT32_MAX ||
		    EVP_CipherUpdate(k->c, k->res, &got, k->held,
			(int)k->heldlen) != 1 ||
		    got < 0) {
			if (k->enc)
				return CKR_DATA_LEN_RANGE;
			return k->heldlen % 8 != 0 || k->heldlen < 16
			    ? CKR_ENCRYPTED_DATA_LEN_RANGE
			    : CKR_ENCRYPTED_DATA_INVALID;
		}
		k->reslen = (size_t)got;
		return CKR_OK;
	}
	if (holds_all(k)) {
		if (k->heldlen < k->taglen)
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		if (EVP_CIPHER_CTX_ctrl(k->c, EVP_CTRL_GCM_SET_TAG,
			(int)k->taglen, k->held + k->heldlen - k->taglen) != 1)
			return CKR_DEVICE_ERROR;
		if ((rv = res_grow(k, k->heldlen)) != CKR_OK)
			return rv;
		if (k->heldlen > k->taglen &&
		    EVP_CipherUpdate(k->c, k->res, &got, k->held,
			(int)(k->heldlen - k->taglen)) != 1)
			return CKR_DEVICE_ERROR;
		k->reslen = (size_t)got;
		if (EVP_CipherFinal_ex(k->c, k->res + k->reslen, &got) != 1) {
			OPENSSL_cleanse(k->res, k->rescap);
			k->reslen = 0;
			return CKR_ENCRYPTED_DATA_INVALID;
		}
		k->reslen += (size_t)got;
		return CKR_OK;
	}
	if ((rv = res_grow(k, 16 + k->taglen)) != CKR_OK)
		return rv;
	if (EVP_CipherFinal_ex(k->c, k->res + k->reslen, &got) != 1)
		return k->enc ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_INVALID;
	k->reslen += (size_t)got;
	if (k->taglen > 0 &&
	    EVP_CIPHER_CTX_ctrl(k->c, EVP_CTRL_GCM_GET_TAG, (int)k->taglen,
		k->res + k->reslen) != 1)
		return CKR_DEVICE_ERROR;
	k->reslen += k->taglen;
	return CKR_OK;
}

/* Whether sym_once can do k's operation: a cipher other than key wrap,
 * nothing fed yet. */
int
sym_once_ok(const struct sym *k)
{
	return k->c != NULL && !k->finished && k->reslen == 0 &&
	    k->heldlen == 0 && k->pending == 0 && k->mech != CKM_AES_KEY_WRAP &&
	    k->mech != CKM_AES_KEY_WRAP_PAD;
}

CK_RV
sym_once(struct sym *k, const uint8_t *in, size_t n, uint8_t *out, size_t *outlen)
{
	int got = 0, last = 0, gcm_dec = k->mech == CKM_AES_GCM && !k->enc;
	size_t body = n;
	CK_RV rv = CKR_DEVICE_ERROR;

	if (!sym_once_ok(k))
		return CKR_FUNCTION_FAILED;
	if (n > SYM_DATA_MAX || n > INT32_MAX)
		return k->enc ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
	if (gcm_dec) {
		if (n < k->taglen)
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		body = n - k->taglen;
		if (EVP_CIPHER_CTX_ctrl(k->c, EVP_CTRL_GCM_SET_TAG,
			(int)k->taglen, (void *)(in + body)) != 1)
			return CKR_DEVICE_ERROR;
	}
	if (body > 0 && EVP_CipherUpdate(k->c, out, &got, in, (int)body) != 1)
		goto out;
	k->pending = body - (size_t)got;
	if (k->block > 1 && !k->pad && k->pending != 0) {
		rv = k->enc ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_LEN_RANGE;
		goto out;
	}
	if (EVP_CipherFinal_ex(k->c, out + got, &last) != 1) {
		rv = k->enc ? CKR_DATA_LEN_RANGE : CKR_ENCRYPTED_DATA_INVALID;
		goto out;
	}
	got += last;
	if (k->taglen > 0 && k->enc) {
		if (EVP_CIPHER_CTX_ctrl(k->c, EVP_CTRL_GCM_GET_TAG,
			(int)k->taglen, out + got) != 1)
			goto out;
		got += (int)k->taglen;
	}
	k->pending = 0;
	k->finished = 1;
	*outlen = (size_t)got;
	rv = CKR_OK;
out:
	/* A decryption that failed leaves no plaintext behind. */
	if (rv != CKR_OK && !k->enc)
		OPENSSL_cleanse(out, body);
	return rv;
}

CK_RV
sym_finish(struct sym *k)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t n = 0;
	CK_RV rv;

	if (k->finished)
		return CKR_OK;
	if (k->mac != NULL) {
		if (EVP_MAC_final(k->mac, mac, &n, sizeof(mac)) != 1 ||
		    n < k->maclen)
			return CKR_DEVICE_ERROR;
		if ((rv = res_grow(k, k->maclen)) != CKR_OK)
			return rv;
		memcpy(k->res, mac, k->maclen);
		k->reslen = k->maclen;
		OPENSSL_cleanse(mac, sizeof(mac));
	} else if ((rv = cipher_finish(k)) != CKR_OK) {
		return rv;
	}
	k->finished = 1;
	return CKR_OK;
}

CK_RV
sym_verify(struct sym *k, const uint8_t *sig, size_t n)
{
	CK_RV rv;

	if (k->mac == NULL)
		return CKR_FUNCTION_FAILED;
	if (n != k->maclen)
		return CKR_SIGNATURE_LEN_RANGE;
	if ((rv = sym_finish(k)) != CKR_OK)
		return rv;
	return CRYPTO_memcmp(k->res, sig, n) == 0 ? CKR_OK
						  : CKR_SIGNATURE_INVALID;
}

int
sym_finished(const struct sym *k)
{
	return k->finished;
}

size_t
sym_out_len(const struct sym *k)
{
	if (k->finished)
		return k->reslen;
	if (k->mac != NULL)
		return k->maclen;
	if (holds_all(k))
		return k->heldlen;
	return k->pending + 16 + k->taglen;
}

const uint8_t *
sym_result(const struct sym *k)
{
	return k->res;
}

void
sym_free(struct sym *k)
{
	if (k == NULL)
		return;
	EVP_CIPHER_CTX_free(k->c);
	EVP_MAC_CTX_free(k->mac);
	if (k->held != NULL) {
		OPENSSL_cleanse(k->held, k->heldcap);
		free(k->held);
	}
	if (k->res != NULL) {
		OPENSSL_cleanse(k->res, k->rescap);
		free(k->res);
	}
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

/* DES's parity: each byte's low bit makes its count of ones odd. */
static int
odd_parity(uint8_t b)
{
	b ^= (uint8_t)(b >> 4);
	b ^= (uint8_t)(b >> 2);
	b ^= (uint8_t)(b >> 1);
	return b & 1;
}

void
keys_des_parity(uint8_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!odd_parity(v[i]))
			v[i] ^= 1;
}

int
keys_secret_len_ok(CK_KEY_TYPE kt, size_t n)
{
	switch (kt) {
	case CKK_AES: return n == 16 || n == 24 || n == 32;
	case CKK_DES3: return n == 24;
	case CKK_GENERIC_SECRET: return n > 0 && n <= 64;
	}
	return 0;
}

int
keys_secret_value_ok(CK_KEY_TYPE kt, const uint8_t *v, size_t n)
{
	size_t i;

	if (!keys_secret_len_ok(kt, n))
		return 0;
	for (i = 0; kt == CKK_DES3 && i < n; i++)
		if (!odd_parity(v[i]))
			return 0;
	return 1;
}
