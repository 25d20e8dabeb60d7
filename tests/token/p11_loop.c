/* p11_loop: the same PKCS#11 call many times in one process, for
 * tests/token/hot_path.sh, which counts its system calls with strace: two
 * runs that differ only in the number of signatures must differ only by
 * what each signature costs.
 *
 *   p11_loop sign MODULE SERIAL PIN N DIR [TYPE]
 *     logs in, makes a key pair of TYPE (p256 by default, or rsa2048) on
 *     the token, writes its public key to DIR/pub.der
 *     (SubjectPublicKeyInfo), then signs the 32 bytes of DIR/digest N
 *     times (C_SignInit + C_Sign, CKM_ECDSA or CKM_RSA_PKCS) and writes
 *     the last signature to DIR/sig.der (DER ECDSA-Sig-Value, or the RSA
 *     signature); prints "signed N".
 *   p11_loop pairs MODULE SERIAL PIN N
 *     logs in once and makes N P-256 key pairs on the token (CKA_ID the
 *     pair's number, 1 to N, on one byte), in one process: N records of
 *     the token's journal; prints "made N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "common/parse.h"
#include "p11/p11.h"

static int
write_to(const char *dir, const char *name, const struct buf *b)
{
	char *path = path_join(dir, name);
	int r;

	if (path == NULL)
		return KYSO_ERR_NOMEM;
	r = file_write_atomic(path, buf_ptr(b), buf_len(b), 0600);
	free(path);
	return r;
}

static int
sign_loop(struct p11 *p, CK_SESSION_HANDLE s, uint64_t n, const char *dir,
    const char *type)
{
	static const uint8_t id[] = { 0x6c, 0x70 };
	struct p11_key k;
	struct buf *spki = buf_new(65536), *sig = buf_new(1024), *dig = NULL;
	char *dpath = NULL;
	uint64_t i;
	int r = KYSO_ERR_NOMEM;

	if (spki == NULL || sig == NULL ||
	    (dpath = path_join(dir, "digest")) == NULL)
		goto out;
	if ((r = file_read(dpath, 64, &dig)) != 0)
		goto out;
	if (buf_len(dig) != 32) {
		r = KYSO_ERR_INVALID;
		goto out;
	}
	if ((r = p11_generate_keypair(p, s, type, id, sizeof(id), "p11_loop",
		 &k, NULL)) != 0 ||
	    (r = p11_public_key(p, s, &k, spki)) != 0 ||
	    (r = write_to(dir, "pub.der", spki)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		buf_reset(sig);
		if ((r = p11_sign_digest(p, s, &k, buf_ptr(dig), buf_len(dig),
			 sig)) != 0)
			goto out;
	}
	if ((r = write_to(dir, "sig.der", sig)) != 0)
		goto out;
	printf("signed %llu\n", (unsigned long long)n);
	r = 0;
out:
	free(dpath);
	buf_free(dig);
	buf_free(spki);
	buf_free(sig);
	return r;
}

static int
pairs_loop(struct p11 *p, CK_SESSION_HANDLE s, uint64_t n)
{
	struct p11_key k;
	uint8_t id;
	uint64_t i;
	int r;

	for (i = 0; i < n; i++) {
		id = (uint8_t)(i + 1);
		if ((r = p11_generate_keypair(p, s, "p256", &id, 1, "p11_loop",
			 &k, NULL)) != 0)
			return r;
	}
	printf("made %llu\n", (unsigned long long)n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct p11 *p = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	CK_SLOT_ID slot;
	uint64_t n;
	char *pin = NULL;
	int r = 2;

	if (!(((argc == 7 || argc == 8) && strcmp(argv[1], "sign") == 0) ||
		(argc == 6 && strcmp(argv[1], "pairs") == 0)) ||
	    parse_u64(argv[5], 1, 1000000, &n) != 0) {
		fprintf(stderr,
		    "usage: p11_loop sign MODULE SERIAL PIN N DIR [TYPE]\n"
		    "       p11_loop pairs MODULE SERIAL PIN N\n");
		return 2;
	}
	if ((pin = strdup(argv[4])) == NULL)
		return 1;
	if ((r = p11_open(argv[2], &p)) != 0 ||
	    (r = p11_find_token(p, argv[3], &slot, NULL)) != 0 ||
	    (r = p11_login(p, slot, 1, CKU_USER, pin, &s, NULL)) != 0 ||
	    (r = argv[1][0] == 'p' ? pairs_loop(p, s, n)
				   : sign_loop(p, s, n, argv[6],
					 argc == 8 ? argv[7] : "p256")) != 0)
		fprintf(stderr, "p11_loop: error %d\n", r);
	if (s != CK_INVALID_HANDLE) {
		p11_logout(p, s);
		p11_session_close(p, s);
	}
	p11_free(p);
	free(pin);
	return r == 0 ? 0 : 1;
}
