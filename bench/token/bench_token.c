/* bench_token: signatures per second through PKCS#11 on the kyso token and
 * on SoftHSM2, and with OpenSSL's EVP_DigestSign in this process, for
 * RSA-2048 (CKM_SHA256_RSA_PKCS) and P-256 (CKM_ECDSA_SHA256), in one run;
 * prints the rates and the ratios kyso/SoftHSM2 and kyso/OpenSSL.
 *
 * Each signature is a whole operation as an application makes it
 * (C_SignInit + C_Sign over a 1 KiB message; EVP_DigestSignInit +
 * EVP_DigestSign), after one login. Keys are generated on each token as
 * session objects where the module allows it. Never a pass/fail on time. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/parse.h"
#include "common/secret.h"
#include "p11/p11.h"

#define MSG_LEN	    1024
#define SIG_MAX	    512
#define OPS_MAX	    100000000ULL /* bound for --seconds */
#define SECONDS_MAX 3600

enum { ALG_RSA, ALG_EC, ALG_N };
enum { PEER_KYSO, PEER_SOFTHSM, PEER_OPENSSL, PEER_N };

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

static int
bench_p11(struct peer *p, int alg, const struct budget *b, const CK_BYTE *msg,
    struct result *res)
{
	struct p11_job j = { p, alg, msg };

	return run_budget(b, p11_job_sign, &j, res);
}

static int
bench_evp(EVP_PKEY *k, const struct budget *b, const unsigned char *msg,
    struct result *res)
{
	struct evp_job j = { EVP_MD_CTX_new(), k, msg };
	int r;

	if (j.md == NULL)
		return -1;
	r = run_budget(b, evp_job_sign, &j, res);
	EVP_MD_CTX_free(j.md);
	return r;
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

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: bench_token [--count N | --seconds S] --kyso MODULE --kyso-token LABEL\n"
	    "                   [--softhsm MODULE --softhsm-token LABEL] [--pin-fd N]\n"
	    "Signatures per second for RSA-2048 and P-256 on the kyso token, on\n"
	    "SoftHSM2 and with OpenSSL in-process; prints the ratios. The user PIN\n"
	    "(the same on both tokens) is one line on --pin-fd (default 0).\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct budget b = { 0, 2.0 };
	struct result res[PEER_N][ALG_N];
	struct peer kyso, hsm;
	const char *kmod = NULL, *ktok = NULL, *smod = NULL, *stok = NULL;
	unsigned char msg[MSG_LEN];
	char *pin = NULL;
	EVP_PKEY *evp[ALG_N] = { NULL, NULL };
	uint64_t v;
	int opt, alg, pin_fd = 0, ex = 2, have_hsm = 0, have_kyso = 0;

	memset(res, 0, sizeof(res));
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
	/* Interleaved per algorithm, so that a slow phase of the machine
	 * touches all three peers alike. */
	for (alg = 0; alg < ALG_N; alg++) {
		if (bench_p11(&kyso, alg, &b, msg, &res[PEER_KYSO][alg]) != 0) {
			fprintf(stderr, "bench_token: kyso signing failed\n");
			goto out;
		}
		if (have_hsm &&
		    bench_p11(&hsm, alg, &b, msg, &res[PEER_SOFTHSM][alg]) != 0) {
			fprintf(stderr, "bench_token: SoftHSM2 signing failed\n");
			goto out;
		}
		if (bench_evp(evp[alg], &b, msg, &res[PEER_OPENSSL][alg]) != 0) {
			fprintf(stderr, "bench_token: OpenSSL signing failed\n");
			goto out;
		}
	}
	print_report(res, &b, &kyso, &hsm);
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
