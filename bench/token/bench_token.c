/* bench_token: signatures per second through PKCS#11 on the kyso token and
 * on SoftHSM2, and with OpenSSL's EVP_DigestSign in this process, for
 * RSA-2048 (CKM_SHA256_RSA_PKCS) and P-256 (CKM_ECDSA_SHA256), in one run;
 * prints the rates and the ratios kyso/SoftHSM2 and kyso/OpenSSL.
 *
 * Each signature is a whole operation as an application makes it
 * (C_SignInit + C_Sign over a 1 KiB message; EVP_DigestSignInit +
 * EVP_DigestSign), after one login. Keys are generated on each token as
 * session objects where the module allows it. Never a pass/fail on time.
 * With --seconds the three peers take turns for each algorithm, in ten
 * slices of the time each (kyso, SoftHSM2, OpenSSL, kyso, ...), so that
 * a change of the machine's load falls on all three alike; with --count
 * each makes its count in one go.
 *
 * A second table: AES-256-GCM encryption of 64 KiB (MB/s), HMAC-SHA256
 * of 1 KiB, ECDH on P-256 (C_DeriveKey of a 32-byte secret, destroyed
 * again) and Ed25519 signatures, per second, on the same three; a peer
 * without the mechanism shows "-". The three take turns in the same way.
 *
 * A third table, on the two tokens: how long the 1st and the Nth P-256
 * key pair on the token take to make (--pairs N, default 1000: the Nth
 * lands on a token already holding N - 1 pairs), and one C_FindObjects
 * of a private key by CKA_ID among those 2N objects. The pairs stay on
 * the tokens (run.sh's are temporary); --pairs 0 skips the table. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/parse.h"
#include "common/secret.h"
#include "p11/p11.h"

#define MSG_LEN	    1024
#define PAIRS_MAX   100000
#define FIND_REPS   20
#define SIG_MAX	    512
#define OPS_MAX	    100000000ULL /* bound for --seconds */
#define SECONDS_MAX 3600

enum { ALG_RSA, ALG_EC, ALG_N };
enum { PEER_KYSO, PEER_SOFTHSM, PEER_OPENSSL, PEER_N };
enum { OP_GCM, OP_HMAC, OP_ECDH, OP_ED25519, OP_N };
enum { MANY_FIRST, MANY_LAST, MANY_FIND, MANY_N };

#define GCM_LEN (64 * 1024)
#define SLICES	10 /* turns of the peers, first and second tables */

static const char *const op_name[OP_N] = { "AES-256-GCM MB/s", "HMAC-SHA256 /s",
	"ECDH P-256 /s", "Ed25519 sign /s" };

static const char *const alg_name[ALG_N] = { "RSA-2048 SHA256-RSA-PKCS",
	"P-256 ECDSA-SHA256" };
static const char *const peer_name[PEER_N] = { "kyso token (PKCS#11)",
	"SoftHSM2 (PKCS#11)", "OpenSSL EVP (in-process)" };

struct budget {
	uint64_t count; /* fixed count, or 0 */
	double seconds; /* fixed time when count is 0 */
};

struct result {
	int done;
	uint64_t ops;
	double secs;
};

/* Adds one slice's count and time to a peer's total. */
static void
result_add(struct result *sum, const struct result *r)
{
	sum->ops += r->ops;
	sum->secs += r->secs;
	sum->done = 1;
}

/* One PKCS#11 peer: module, token, session, the two key pairs. */
struct peer {
	struct p11 *p11;
	CK_FUNCTION_LIST *fn;
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE priv[ALG_N], pub[ALG_N];
	int logged_in;
	/* No CKM_ECDSA_SHA256 (SoftHSM2 2.6): SHA-256 here, then CKM_ECDSA,
	 * as applications do with such modules. */
	int ec_prehash;
	/* The second table's keys; 0 where the module lacks the mechanism. */
	CK_OBJECT_HANDLE aes, hmac, ecdh, ed;
	CK_BYTE peer_point[65]; /* the other side of ECDH */
};

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static CK_RV
gen_pair(struct peer *p, int alg, CK_BBOOL on_token)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
		0x03, 0x01, 0x07 };
	static CK_BYTE e[] = { 0x01, 0x00, 0x01 };
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG bits = 2048;
	CK_MECHANISM rsa_gen = { CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM ec_gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE rsa_pub[] = {
		{ CKA_TOKEN, &on_token, sizeof(on_token) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_MODULUS_BITS, &bits, sizeof(bits) },
		{ CKA_PUBLIC_EXPONENT, e, sizeof(e) },
	};
	CK_ATTRIBUTE ec_pub[] = {
		{ CKA_TOKEN, &on_token, sizeof(on_token) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, p256, sizeof(p256) },
	};
	CK_ATTRIBUTE priv[] = {
		{ CKA_TOKEN, &on_token, sizeof(on_token) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
	};

	if (alg == ALG_RSA)
		return p->fn->C_GenerateKeyPair(p->s, &rsa_gen, rsa_pub, 4,
		    priv, 4, &p->pub[alg], &p->priv[alg]);
	return p->fn->C_GenerateKeyPair(p->s, &ec_gen, ec_pub, 3, priv, 4,
	    &p->pub[alg], &p->priv[alg]);
}

static CK_MECHANISM_TYPE
mech_of(const struct peer *p, int alg)
{
	if (alg == ALG_RSA)
		return CKM_SHA256_RSA_PKCS;
	return p->ec_prehash ? CKM_ECDSA : CKM_ECDSA_SHA256;
}

/* What goes into C_Sign/C_Verify: the message, or its SHA-256 when the
 * module only has CKM_ECDSA. */
static int
p11_input(const struct peer *p, int alg, const CK_BYTE *msg, CK_BYTE *dig,
    const CK_BYTE **in, CK_ULONG *inlen)
{
	unsigned int n = 0;

	if (alg == ALG_EC && p->ec_prehash) {
		if (EVP_Digest(msg, MSG_LEN, dig, &n, EVP_sha256(), NULL) != 1)
			return -1;
		*in = dig;
		*inlen = n;
		return 0;
	}
	*in = msg;
	*inlen = MSG_LEN;
	return 0;
}

static CK_RV
p11_sign_once(struct peer *p, int alg, const CK_BYTE *msg, CK_BYTE *sig,
    CK_ULONG *siglen)
{
	CK_MECHANISM m = { mech_of(p, alg), NULL, 0 };
	CK_BYTE dig[EVP_MAX_MD_SIZE];
	const CK_BYTE *in;
	CK_ULONG inlen;
	CK_RV rv;

	if (p11_input(p, alg, msg, dig, &in, &inlen) != 0)
		return CKR_FUNCTION_FAILED;
	*siglen = SIG_MAX;
	if ((rv = p->fn->C_SignInit(p->s, &m, p->priv[alg])) != CKR_OK)
		return rv;
	return p->fn->C_Sign(p->s, (CK_BYTE_PTR)in, inlen, sig, siglen);
}

static void
peer_close(struct peer *p)
{
	if (p->fn != NULL && p->s != CK_INVALID_HANDLE) {
		if (p->logged_in)
			p->fn->C_Logout(p->s);
		p->fn->C_CloseSession(p->s);
	}
	p11_free(p->p11);
	memset(p, 0, sizeof(*p));
}

/* Loads the module, opens the token with this label, logs in, makes the
 * two key pairs and checks that a signature verifies. */
static int
peer_open(struct peer *p, const char *module, const char *label,
    const char *pin, const CK_BYTE *msg)
{
	CK_TOKEN_INFO ti;
	CK_SLOT_ID slot;
	CK_BYTE sig[SIG_MAX], dig[EVP_MAX_MD_SIZE];
	CK_MECHANISM_INFO mi;
	const CK_BYTE *in;
	CK_ULONG siglen, inlen;
	CK_MECHANISM m;
	CK_RV rv = CKR_OK;
	int alg, r = -1;

	memset(p, 0, sizeof(*p));
	p->s = CK_INVALID_HANDLE;
	if (p11_open(module, &p->p11) != 0) {
		fprintf(stderr, "bench_token: cannot load %s\n", module);
		goto out;
	}
	p->fn = p11_fn(p->p11);
	if (p11_find_token(p->p11, label, &slot, &ti) != 0) {
		fprintf(stderr, "bench_token: no token '%s' on %s\n", label,
		    module);
		goto out;
	}
	p->ec_prehash = p->fn->C_GetMechanismInfo(slot, CKM_ECDSA_SHA256, &mi) !=
	    CKR_OK;
	if ((rv = p->fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
		 NULL, NULL, &p->s)) != CKR_OK)
		goto fail;
	if ((rv = p->fn->C_Login(p->s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
		 strlen(pin))) != CKR_OK)
		goto fail;
	p->logged_in = 1;
	for (alg = 0; alg < ALG_N; alg++) {
		/* Session keys leave nothing behind; fall back to token keys
		 * on modules that only generate those. */
		if ((rv = gen_pair(p, alg, CK_FALSE)) != CKR_OK &&
		    (rv = gen_pair(p, alg, CK_TRUE)) != CKR_OK)
			goto fail;
		if ((rv = p11_sign_once(p, alg, msg, sig, &siglen)) != CKR_OK)
			goto fail;
		m.mechanism = mech_of(p, alg);
		m.pParameter = NULL;
		m.ulParameterLen = 0;
		if (p11_input(p, alg, msg, dig, &in, &inlen) != 0) {
			rv = CKR_FUNCTION_FAILED;
			goto fail;
		}
		if ((rv = p->fn->C_VerifyInit(p->s, &m, p->pub[alg])) != CKR_OK ||
		    (rv = p->fn->C_Verify(p->s, (CK_BYTE_PTR)in, inlen, sig,
			 siglen)) != CKR_OK)
			goto fail;
	}
	r = 0;
	goto out;
fail:
	fprintf(stderr, "bench_token: %s on %s: %s\n", label, module,
	    p11_rv_name(rv));
out:
	if (r != 0)
		peer_close(p);
	return r;
}

/* The second table's keys on a peer; a key the module cannot make is
 * left 0 (its column shows "-"). */
static void
peer_more_keys(struct peer *p)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
		0x03, 0x01, 0x07 };
	static CK_BYTE ed25519[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG l32 = 32;
	CK_MECHANISM aes_gen = { CKM_AES_KEY_GEN, NULL, 0 };
	CK_MECHANISM sec_gen = { CKM_GENERIC_SECRET_KEY_GEN, NULL, 0 };
	CK_MECHANISM ec_gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM ed_gen = { 0x1055, NULL, 0 }; /* EC_EDWARDS_KEY_PAIR_GEN */
	CK_ATTRIBUTE aes[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_ENCRYPT, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &l32, sizeof(l32) } };
	CK_ATTRIBUTE sec[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_VALUE_LEN, &l32, sizeof(l32) } };
	CK_ATTRIBUTE ecpub[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, p256, sizeof(p256) } };
	CK_ATTRIBUTE ecpriv[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_DERIVE, &yes, sizeof(yes) } };
	CK_ATTRIBUTE edpub[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_EC_PARAMS, ed25519, sizeof(ed25519) } };
	CK_ATTRIBUTE edpriv[] = { { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) } };
	CK_OBJECT_HANDLE pub;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t n = 0;

	if (p->fn->C_GenerateKey(p->s, &aes_gen, aes, 3, &p->aes) != CKR_OK)
		p->aes = 0;
	if (p->fn->C_GenerateKey(p->s, &sec_gen, sec, 3, &p->hmac) != CKR_OK)
		p->hmac = 0;
	if (k == NULL ||
	    EVP_PKEY_get_octet_string_param(k, "pub", p->peer_point,
		sizeof(p->peer_point), &n) != 1 ||
	    n != sizeof(p->peer_point) ||
	    p->fn->C_GenerateKeyPair(p->s, &ec_gen, ecpub, 2, ecpriv, 3, &pub,
		&p->ecdh) != CKR_OK)
		p->ecdh = 0;
	if (p->fn->C_GenerateKeyPair(p->s, &ed_gen, edpub, 2, edpriv, 3, &pub,
		&p->ed) != CKR_OK)
		p->ed = 0;
	EVP_PKEY_free(k);
}

/* One operation of the second table through PKCS#11. */
static int
p11_more_once(struct peer *p, int op, const CK_BYTE *msg, CK_BYTE *buf)
{
	static CK_BYTE iv[12];
	CK_GCM_PARAMS gcm = { iv, sizeof(iv), 96, NULL, 0, 128 };
	CK_MECHANISM m_gcm = { CKM_AES_GCM, &gcm, sizeof(gcm) };
	CK_MECHANISM m_hmac = { CKM_SHA256_HMAC, NULL, 0 };
	CK_MECHANISM m_ed = { 0x1057, NULL, 0 }; /* CKM_EDDSA */
	CK_ECDH1_DERIVE_PARAMS dp = { CKD_NULL, 0, NULL, sizeof(p->peer_point),
		p->peer_point };
	CK_MECHANISM m_ecdh = { CKM_ECDH1_DERIVE, &dp, sizeof(dp) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL no = CK_FALSE;
	CK_ULONG l32 = 32, n = GCM_LEN + 64;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) }, { CKA_TOKEN, &no, sizeof(no) },
		{ CKA_VALUE_LEN, &l32, sizeof(l32) } };
	CK_OBJECT_HANDLE h = 0;

	switch (op) {
	case OP_GCM:
		iv[0]++; /* never the same IV twice under the key */
		return p->fn->C_EncryptInit(p->s, &m_gcm, p->aes) == CKR_OK &&
		    p->fn->C_Encrypt(p->s, (CK_BYTE_PTR)msg, GCM_LEN, buf, &n) ==
		    CKR_OK;
	case OP_HMAC:
		return p->fn->C_SignInit(p->s, &m_hmac, p->hmac) == CKR_OK &&
		    p->fn->C_Sign(p->s, (CK_BYTE_PTR)msg, MSG_LEN, buf, &n) ==
		    CKR_OK;
	case OP_ECDH:
		return p->fn->C_DeriveKey(p->s, &m_ecdh, p->ecdh, t, 4, &h) ==
		    CKR_OK &&
		    p->fn->C_DestroyObject(p->s, h) == CKR_OK;
	default:
		return p->fn->C_SignInit(p->s, &m_ed, p->ed) == CKR_OK &&
		    p->fn->C_Sign(p->s, (CK_BYTE_PTR)msg, MSG_LEN, buf, &n) ==
		    CKR_OK;
	}
}

/* The same with OpenSSL in the process. */
struct evp_more {
	EVP_PKEY *ec, *peer, *ed;
	EVP_MAC *mac;
	unsigned char key[32];
};

static int
evp_more_once(struct evp_more *e, int op, const unsigned char *msg,
    unsigned char *buf)
{
	static unsigned char iv[12];
	EVP_CIPHER_CTX *c;
	EVP_MAC_CTX *mc;
	EVP_PKEY_CTX *pc;
	EVP_MD_CTX *md;
	OSSL_PARAM params[2];
	size_t n = GCM_LEN + 64;
	int l = 0, ok = 0;

	switch (op) {
	case OP_GCM:
		iv[0]++;
		ok = (c = EVP_CIPHER_CTX_new()) != NULL &&
		    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, e->key, iv) ==
			1 &&
		    EVP_EncryptUpdate(c, buf, &l, msg, GCM_LEN) == 1 &&
		    EVP_EncryptFinal_ex(c, buf + l, &l) == 1 &&
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
			buf + GCM_LEN) == 1;
		EVP_CIPHER_CTX_free(c);
		return ok;
	case OP_HMAC:
		params[0] = OSSL_PARAM_construct_utf8_string("digest",
		    (char *)"SHA256", 0);
		params[1] = OSSL_PARAM_construct_end();
		ok = (mc = EVP_MAC_CTX_new(e->mac)) != NULL &&
		    EVP_MAC_init(mc, e->key, 32, params) == 1 &&
		    EVP_MAC_update(mc, msg, MSG_LEN) == 1 &&
		    EVP_MAC_final(mc, buf, &n, 64) == 1;
		EVP_MAC_CTX_free(mc);
		return ok;
	case OP_ECDH:
		ok = (pc = EVP_PKEY_CTX_new(e->ec, NULL)) != NULL &&
		    EVP_PKEY_derive_init(pc) == 1 &&
		    EVP_PKEY_derive_set_peer(pc, e->peer) == 1 &&
		    EVP_PKEY_derive(pc, buf, &n) == 1;
		EVP_PKEY_CTX_free(pc);
		return ok;
	default:
		ok = (md = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit(md, NULL, NULL, NULL, e->ed) == 1 &&
		    EVP_DigestSign(md, buf, &n, msg, MSG_LEN) == 1;
		EVP_MD_CTX_free(md);
		return ok;
	}
}

struct more_job {
	struct peer *p; /* NULL: OpenSSL */
	struct evp_more *e;
	int op;
	const CK_BYTE *msg;
	CK_BYTE *buf;
};

static int
more_job_run(void *ctx)
{
	struct more_job *j = ctx;

	return j->p != NULL ? p11_more_once(j->p, j->op, j->msg, j->buf)
			    : evp_more_once(j->e, j->op, j->msg, j->buf);
}

/* A peer's key for op, or 0 when it has none. */
static CK_OBJECT_HANDLE
more_key(const struct peer *p, int op)
{
	return op == OP_GCM ? p->aes
	    : op == OP_HMAC ? p->hmac
	    : op == OP_ECDH ? p->ecdh
			    : p->ed;
}

/* One signature of the peer under test; nonzero on success. */
typedef int (*sign_fn)(void *ctx);

/* Signs until the budget is spent: a fixed count, or a fixed time
 * (bounded by OPS_MAX operations). 0, or -1 when a signature failed. */
static int
run_budget(const struct budget *b, sign_fn fn, void *ctx, struct result *res)
{
	uint64_t n = 0, max = b->count > 0 ? b->count : OPS_MAX;
	double t0 = now_seconds(), t = t0;

	while (n < max) {
		if (!fn(ctx))
			return -1;
		n++;
		t = now_seconds();
		if (b->count == 0 && t - t0 >= b->seconds)
			break;
	}
	res->ops = n;
	res->secs = t - t0;
	res->done = 1;
	return 0;
}

struct p11_job {
	struct peer *p;
	int alg;
	const CK_BYTE *msg;
};

static int
p11_job_sign(void *ctx)
{
	struct p11_job *j = ctx;
	CK_BYTE sig[SIG_MAX];
	CK_ULONG siglen;

	return p11_sign_once(j->p, j->alg, j->msg, sig, &siglen) == CKR_OK;
}

struct evp_job {
	EVP_MD_CTX *md;
	EVP_PKEY *k;
	const unsigned char *msg;
};

static int
evp_job_sign(void *ctx)
{
	struct evp_job *j = ctx;
	unsigned char sig[SIG_MAX];
	size_t siglen = SIG_MAX;
	int ok;

	ok = EVP_DigestSignInit(j->md, NULL, EVP_sha256(), NULL, j->k) == 1 &&
	    EVP_DigestSign(j->md, sig, &siglen, j->msg, MSG_LEN) == 1;
	EVP_MD_CTX_reset(j->md);
	return ok;
}

/* Runs the first table: each algorithm on each peer (peers[1] may be
 * NULL: no SoftHSM2). With a time budget the peers take turns, in SLICES
 * slices each, as in bench_more, so that the shared machine's load
 * weighs on every peer alike; a count is made in one go. */
static int
bench_sign(struct peer *peers[2], EVP_PKEY *evp[ALG_N], const struct budget *b,
    const CK_BYTE *msg, struct result res[PEER_N][ALG_N])
{
	struct evp_job e = { EVP_MD_CTX_new(), NULL, msg };
	struct p11_job j[2];
	struct budget slice = *b;
	struct result r;
	int alg, i, k, rr, slices = b->count > 0 ? 1 : SLICES, ret = -1;

	memset(res, 0, sizeof(struct result) * PEER_N * ALG_N);
	slice.seconds = b->seconds / slices;
	if (e.md == NULL)
		goto out;
	for (alg = 0; alg < ALG_N; alg++) {
		e.k = evp[alg];
		for (i = 0; i < 2; i++)
			j[i] = (struct p11_job){ peers[i], alg, msg };
		for (k = 0; k < slices; k++) {
			for (i = 0; i < PEER_N; i++) {
				if (i == PEER_OPENSSL)
					rr = run_budget(&slice, evp_job_sign,
					    &e, &r);
				else if (peers[i] != NULL)
					rr = run_budget(&slice, p11_job_sign,
					    &j[i], &r);
				else
					continue;
				if (rr != 0) {
					fprintf(stderr,
					    "bench_token: %s signing failed on %s\n",
					    alg_name[alg], peer_name[i]);
					goto out;
				}
				result_add(&res[i][alg], &r);
			}
		}
	}
	ret = 0;
out:
	EVP_MD_CTX_free(e.md);
	return ret;
}

static double
rate(const struct result *r)
{
	return r->done && r->secs > 0 ? (double)r->ops / r->secs : 0;
}

static void
print_report(struct result res[PEER_N][ALG_N], const struct budget *b,
    const struct peer *kyso, const struct peer *hsm)
{
	int alg, peer;

	if (b->count > 0)
		printf("kyso token signing benchmark: %llu signatures each, %d-byte message\n\n",
		    (unsigned long long)b->count, MSG_LEN);
	else
		printf("kyso token signing benchmark: %.1f s each, %d-byte message\n\n",
		    b->seconds, MSG_LEN);
	printf("%-28s", "signatures per second");
	for (alg = 0; alg < ALG_N; alg++)
		printf("  %26s", alg_name[alg]);
	printf("\n");
	for (peer = 0; peer < PEER_N; peer++) {
		printf("%-28s", peer_name[peer]);
		for (alg = 0; alg < ALG_N; alg++) {
			if (res[peer][alg].done)
				printf("  %16.1f (%7llu)", rate(&res[peer][alg]),
				    (unsigned long long)res[peer][alg].ops);
			else
				printf("  %26s", "-");
		}
		printf("\n");
	}
	printf("\n");
	for (peer = PEER_SOFTHSM; peer < PEER_N; peer++) {
		printf("%-28s",
		    peer == PEER_SOFTHSM ? "ratio kyso / SoftHSM2"
					 : "ratio kyso / OpenSSL");
		for (alg = 0; alg < ALG_N; alg++) {
			double d = rate(&res[peer][alg]);

			if (d > 0 && res[PEER_KYSO][alg].done)
				printf("  %26.3f",
				    rate(&res[PEER_KYSO][alg]) / d);
			else
				printf("  %26s", "-");
		}
		printf("\n");
	}
	if (kyso->ec_prehash)
		printf(
		    "\nkyso has no CKM_ECDSA_SHA256: P-256 hashed in the process, then CKM_ECDSA.\n");
	if (hsm->ec_prehash)
		printf(
		    "\nSoftHSM2 has no CKM_ECDSA_SHA256: P-256 hashed in the process, then CKM_ECDSA.\n");
}

/* The second table: GCM in MB/s, the rest in operations per second. */
static void
print_more(struct result res[PEER_N][OP_N])
{
	int op, peer;
	double scale;

	printf("\n%-28s", "other operations");
	for (op = 0; op < OP_N; op++)
		printf("  %18s", op_name[op]);
	printf("\n");
	for (peer = 0; peer < PEER_N; peer++) {
		printf("%-28s", peer_name[peer]);
		for (op = 0; op < OP_N; op++) {
			scale = op == OP_GCM ? GCM_LEN / 1e6 : 1;
			if (res[peer][op].done)
				printf("  %18.1f", rate(&res[peer][op]) * scale);
			else
				printf("  %18s", "-");
		}
		printf("\n");
	}
	for (peer = PEER_SOFTHSM; peer < PEER_N; peer++) {
		printf("%-28s",
		    peer == PEER_SOFTHSM ? "ratio kyso / SoftHSM2"
					 : "ratio kyso / OpenSSL");
		for (op = 0; op < OP_N; op++) {
			double d = rate(&res[peer][op]);

			if (d > 0 && res[PEER_KYSO][op].done)
				printf("  %18.3f", rate(&res[PEER_KYSO][op]) / d);
			else
				printf("  %18s", "-");
		}
		printf("\n");
	}
}

/* Runs the second table: each op on each peer that has it. With a time
 * budget the peers take turns, in SLICES slices each, so that the
 * shared machine's load, which moves by a factor of two within seconds,
 * weighs on every peer alike and the ratios compare like with like. */
static int
bench_more(struct peer *peers[2], const struct budget *b, const CK_BYTE *msg,
    struct result res[PEER_N][OP_N])
{
	struct evp_more e = { NULL, NULL, NULL, NULL, { 0 } };
	struct more_job j[PEER_N];
	struct budget slice = *b;
	struct result r;
	CK_BYTE *buf = malloc(GCM_LEN + 64);
	int have[PEER_N];
	int op, i, k, slices = b->count > 0 ? 1 : SLICES, ret = -1;

	memset(res, 0, sizeof(struct result) * PEER_N * OP_N);
	slice.seconds = b->seconds / slices;
	if (buf == NULL || RAND_bytes(e.key, sizeof(e.key)) != 1 ||
	    (e.ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (e.peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (e.ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL ||
	    (e.mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	for (op = 0; op < OP_N; op++) {
		for (i = 0; i < PEER_N; i++) {
			j[i] = (struct more_job){ i < 2 ? peers[i] : NULL, &e,
				op, msg, buf };
			/* A token without the mechanism shows "-". */
			have[i] = i == PEER_OPENSSL ||
			    (peers[i] != NULL && more_key(peers[i], op) != 0);
		}
		for (k = 0; k < slices; k++) {
			for (i = 0; i < PEER_N; i++) {
				if (!have[i])
					continue;
				if (run_budget(&slice, more_job_run, &j[i],
					&r) != 0) {
					fprintf(stderr,
					    "bench_token: %s failed on %s\n",
					    op_name[op], peer_name[i]);
					goto out;
				}
				result_add(&res[i][op], &r);
			}
		}
	}
	ret = 0;
out:
	free(buf);
	EVP_PKEY_free(e.ec);
	EVP_PKEY_free(e.peer);
	EVP_PKEY_free(e.ed);
	EVP_MAC_free(e.mac);
	return ret;
}

/* Token key pair number i (CKA_ID its 4 bytes), timed. */
static int
many_pair(struct peer *p, uint32_t i, double *secs)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
		0x03, 0x01, 0x07 };
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id[4] = { (CK_BYTE)(i >> 24), (CK_BYTE)(i >> 16),
		(CK_BYTE)(i >> 8), (CK_BYTE)i };
	CK_MECHANISM m = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_ATTRIBUTE pub[] = { { CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_VERIFY, &yes, sizeof(yes) },
		{ CKA_EC_PARAMS, p256, sizeof(p256) },
		{ CKA_ID, id, sizeof(id) } };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &yes, sizeof(yes) },
		{ CKA_SIGN, &yes, sizeof(yes) },
		{ CKA_PRIVATE, &yes, sizeof(yes) },
		{ CKA_SENSITIVE, &yes, sizeof(yes) },
		{ CKA_ID, id, sizeof(id) } };
	CK_OBJECT_HANDLE hpub, hpriv;
	double t0 = now_seconds();
	CK_RV rv;

	rv = p->fn->C_GenerateKeyPair(p->s, &m, pub, 4, priv, 5, &hpub, &hpriv);
	*secs = now_seconds() - t0;
	if (rv != CKR_OK) {
		fprintf(stderr, "bench_token: key pair %u: %s\n", i + 1,
		    p11_rv_name(rv));
		return -1;
	}
	return 0;
}

/* One search of private key i by CKA_ID; 0 when exactly one is found. */
static int
many_find(struct peer *p, uint32_t i)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BYTE id[4] = { (CK_BYTE)(i >> 24), (CK_BYTE)(i >> 16),
		(CK_BYTE)(i >> 8), (CK_BYTE)i };
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, id, sizeof(id) } };
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = p->fn->C_FindObjectsInit(p->s, t, 2)) != CKR_OK)
		return -1;
	rv = p->fn->C_FindObjects(p->s, h, 2, &n);
	if (p->fn->C_FindObjectsFinal(p->s) != CKR_OK || rv != CKR_OK)
		return -1;
	return n == 1 ? 0 : -1;
}

/* The third table on one token: res[MANY_FIRST] and res[MANY_LAST] the
 * 1st and the Nth pair (ops 1), res[MANY_FIND] FIND_REPS searches. */
static int
bench_many(struct peer *p, uint32_t pairs, struct result res[MANY_N])
{
	double secs, t0;
	uint32_t i;
	int k;

	for (i = 0; i < pairs; i++) {
		if (many_pair(p, i, &secs) != 0)
			return -1;
		if (i == 0 || i == pairs - 1) {
			k = i == pairs - 1 ? MANY_LAST : MANY_FIRST;
			res[k] = (struct result){ 1, 1, secs };
		}
	}
	t0 = now_seconds();
	for (k = 0; k < FIND_REPS; k++)
		if (many_find(p, (uint32_t)(k * 7919) % pairs) != 0) {
			fprintf(stderr, "bench_token: key pair not found\n");
			return -1;
		}
	res[MANY_FIND] = (struct result){ 1, FIND_REPS, now_seconds() - t0 };
	return 0;
}

/* Milliseconds per operation. */
static double
ms_per_op(const struct result *r)
{
	return r->done && r->ops > 0 ? r->secs * 1e3 / (double)r->ops : 0;
}

static void
print_many(struct result res[2][MANY_N], uint32_t pairs)
{
	char h[MANY_N][40];
	int k, peer;

	snprintf(h[MANY_FIRST], sizeof(h[0]), "1st key pair ms");
	snprintf(h[MANY_LAST], sizeof(h[0]), "key pair %u ms", pairs);
	snprintf(h[MANY_FIND], sizeof(h[0]), "find among %u ms", 2 * pairs);
	printf("\n%-28s", "objects on the token");
	for (k = 0; k < MANY_N; k++)
		printf("  %18s", h[k]);
	printf("\n");
	for (peer = 0; peer < 2; peer++) {
		printf("%-28s", peer_name[peer]);
		for (k = 0; k < MANY_N; k++) {
			if (res[peer][k].done)
				printf("  %18.3f", ms_per_op(&res[peer][k]));
			else
				printf("  %18s", "-");
		}
		printf("\n");
	}
	/* Times, not rates: below 1 kyso is faster. */
	printf("%-28s", "time kyso / SoftHSM2");
	for (k = 0; k < MANY_N; k++) {
		double d = ms_per_op(&res[PEER_SOFTHSM][k]);

		if (d > 0 && res[PEER_KYSO][k].done)
			printf("  %18.3f", ms_per_op(&res[PEER_KYSO][k]) / d);
		else
			printf("  %18s", "-");
	}
	printf("\n");
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: bench_token [--count N | --seconds S] [--pairs N] --kyso MODULE\n"
	    "                   --kyso-token LABEL [--softhsm MODULE --softhsm-token LABEL]\n"
	    "                   [--pin-fd N]\n"
	    "Signatures per second for RSA-2048 and P-256 on the kyso token, on\n"
	    "SoftHSM2 and with OpenSSL in-process; prints the ratios. Then the time\n"
	    "of the 1st and the Nth P-256 key pair made on each token (--pairs,\n"
	    "default 1000; 0 skips it; the pairs stay on the tokens) and of a\n"
	    "search among those objects. The user PIN (the same on both tokens)\n"
	    "is one line on --pin-fd (default 0).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "kyso", required_argument, NULL, 'k' },
		{ "kyso-token", required_argument, NULL, 'K' },
		{ "softhsm", required_argument, NULL, 's' },
		{ "softhsm-token", required_argument, NULL, 'S' },
		{ "pin-fd", required_argument, NULL, 'p' },
		{ "pairs", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct budget b = { 0, 2.0 };
	struct result res[PEER_N][ALG_N], more[PEER_N][OP_N], many[2][MANY_N];
	struct peer kyso, hsm, *peers[2] = { NULL, NULL };
	const char *kmod = NULL, *ktok = NULL, *smod = NULL, *stok = NULL;
	static unsigned char msg[GCM_LEN];
	char *pin = NULL;
	EVP_PKEY *evp[ALG_N] = { NULL, NULL };
	uint64_t v, pairs = 1000;
	int opt, pin_fd = 0, ex = 2, have_hsm = 0, have_kyso = 0;

	memset(res, 0, sizeof(res));
	memset(more, 0, sizeof(more));
	memset(many, 0, sizeof(many));
	memset(&kyso, 0, sizeof(kyso));
	memset(&hsm, 0, sizeof(hsm));
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_u64(optarg, 1, OPS_MAX, &b.count) != 0)
				goto bad;
			break;
		case 't':
			if (parse_u64(optarg, 1, SECONDS_MAX, &v) != 0)
				goto bad;
			b.seconds = (double)v;
			b.count = 0;
			break;
		case 'k': kmod = optarg; break;
		case 'K': ktok = optarg; break;
		case 's': smod = optarg; break;
		case 'S': stok = optarg; break;
		case 'p':
			if (parse_u64(optarg, 0, 1024, &v) != 0)
				goto bad;
			pin_fd = (int)v;
			break;
		case 'P':
			if (parse_u64(optarg, 0, PAIRS_MAX, &pairs) != 0)
				goto bad;
			break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (optind != argc || kmod == NULL || ktok == NULL ||
	    (smod == NULL) != (stok == NULL))
		goto bad;
	if (secret_read(pin_fd, "PIN: ", &pin) != 0 || *pin == '\0') {
		fprintf(stderr, "bench_token: no PIN on fd %d\n", pin_fd);
		goto out;
	}
	ex = 1;
	if (RAND_bytes(msg, sizeof(msg)) != 1)
		goto out;
	if (peer_open(&kyso, kmod, ktok, pin, msg) != 0)
		goto out;
	have_kyso = 1;
	if (smod != NULL) {
		if (peer_open(&hsm, smod, stok, pin, msg) != 0)
			goto out;
		have_hsm = 1;
	}
	if ((evp[ALG_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) ==
		NULL ||
	    (evp[ALG_EC] = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL) {
		fprintf(stderr, "bench_token: OpenSSL key generation failed\n");
		goto out;
	}
	peers[0] = &kyso;
	if (have_hsm)
		peers[1] = &hsm;
	if (bench_sign(peers, evp, &b, msg, res) != 0)
		goto out;
	peer_more_keys(&kyso);
	if (have_hsm)
		peer_more_keys(&hsm);
	if (bench_more(peers, &b, msg, more) != 0)
		goto out;
	if (pairs > 0 &&
	    (bench_many(&kyso, (uint32_t)pairs, many[PEER_KYSO]) != 0 ||
		(have_hsm &&
		    bench_many(&hsm, (uint32_t)pairs, many[PEER_SOFTHSM]) != 0))) {
		fprintf(stderr, "bench_token: many key pairs failed\n");
		goto out;
	}
	print_report(res, &b, &kyso, &hsm);
	print_more(more);
	if (pairs > 0)
		print_many(many, (uint32_t)pairs);
	ex = 0;
	goto out;
bad:
	usage(stderr);
	ex = 2;
out:
	secret_free(pin);
	if (have_kyso)
		peer_close(&kyso);
	if (have_hsm)
		peer_close(&hsm);
	EVP_PKEY_free(evp[ALG_RSA]);
	EVP_PKEY_free(evp[ALG_EC]);
	return ex;
}
