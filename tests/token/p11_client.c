/* p11_client: drives the PKCS#11 client API of src/p11 against a module,
 * for tests/cli/p11_client.sh (what the flows of kyso-token, kyso-ra
 * and kyso-sign rely on, asserted one call at a time).
 *
 *   p11_client login MODULE SERIAL PIN
 *     p11_login as the user; prints "r=ERR rv=CKR_... tries=N low=0|1
 *     change=0|1" (ERR the kyso error, tries -1 when PKCS#11 does not
 *     say).
 *   p11_client keygen MODULE SERIAL PIN TYPE
 *     logs in, p11_generate_keypair (CKA_ID 0x4b 0x59), counts the
 *     objects with that id, reads the public key, destroys both halves
 *     and counts again: "r=ERR objects=N spki=0|1 left=N".
 *   p11_client certwrite MODULE SERIAL PIN DERFILE
 *     logs in and writes the certificate twice with p11_cert_write:
 *     "r=ERR r2=ERR certs=N" (N the certificates with that value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/fsutil.h"
#include "p11/p11.h"

static int
open_login(const char *module, const char *serial, const char *pin,
    struct p11 **p, CK_SESSION_HANDLE *s, struct p11_pin_info *pi)
{
	CK_SLOT_ID slot;
	char *copy;
	int r;

	if ((r = p11_open(module, p)) != 0 ||
	    (r = p11_find_token(*p, serial, &slot, NULL)) != 0)
		return r;
	if ((copy = strdup(pin)) == NULL)
		return KYSO_ERR_NOMEM;
	r = p11_login(*p, slot, 1, CKU_USER, copy, s, pi);
	/* The PIN must be wiped by the time p11_login returns. */
	if (copy[0] != '\0') {
		fprintf(stderr, "p11_client: the PIN was not wiped\n");
		exit(3);
	}
	free(copy);
	return r;
}

static size_t
count_id(struct p11 *p, CK_SESSION_HANDLE s, const uint8_t *id, size_t n)
{
	CK_ATTRIBUTE t = { CKA_ID, (void *)id, n };
	CK_OBJECT_HANDLE *hs = NULL;
	size_t count = 0;

	if (p11_find_all(p, s, &t, 1, &hs, &count) != 0)
		count = 0;
	free(hs);
	return count;
}

static int
keygen(struct p11 *p, CK_SESSION_HANDLE s, const char *type)
{
	static const uint8_t id[] = { 0x4b, 0x59 };
	struct p11_key k;
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE;
	struct buf *spki = buf_new(65536);
	size_t objects = 0;
	int r, have = 0;

	r = p11_generate_keypair(p, s, type, id, sizeof(id), "p11_client", &k,
	    &pub);
	if (r == 0) {
		objects = count_id(p, s, id, sizeof(id));
		have = spki != NULL && p11_public_key(p, s, &k, spki) == 0 &&
		    buf_len(spki) > 0;
		if (p11_destroy(p, s, k.priv) != 0 || p11_destroy(p, s, pub) != 0)
			r = KYSO_ERR_IO;
	}
	printf("r=%d objects=%zu spki=%d left=%zu\n", r, objects, have,
	    count_id(p, s, id, sizeof(id)));
	buf_free(spki);
	return 0;
}

static int
certwrite(struct p11 *p, CK_SESSION_HANDLE s, const char *path)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	struct buf *der = NULL;
	CK_OBJECT_HANDLE *hs = NULL;
	size_t count = 0;
	int r, r2 = 0;

	if ((r = file_read(path, 1 << 20, &der)) != 0)
		return r;
	r = p11_cert_write(p, s, buf_ptr(der), buf_len(der),
	    (const uint8_t *)"", 0, "p11_client CA", 1);
	if (r == 0)
		r2 = p11_cert_write(p, s, buf_ptr(der), buf_len(der),
		    (const uint8_t *)"", 0, "p11_client CA", 1);
	{
		CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
			{ CKA_VALUE, (void *)buf_ptr(der), buf_len(der) } };

		if (p11_find_all(p, s, t, 2, &hs, &count) != 0)
			count = 0;
	}
	printf("r=%d r2=%d certs=%zu\n", r, r2, count);
	free(hs);
	buf_free(der);
	return 0;
}

int
main(int argc, char **argv)
{
	struct p11 *p = NULL;
	CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
	struct p11_pin_info pi;
	int r;

	if (argc < 5)
		return 2;
	memset(&pi, 0, sizeof(pi));
	r = open_login(argv[2], argv[3], argv[4], &p, &s, &pi);
	if (strcmp(argv[1], "login") == 0) {
		printf("r=%d rv=%s tries=%d low=%d change=%d\n", r,
		    p11_rv_name(pi.rv), pi.tries_left, pi.count_low,
		    pi.to_be_changed);
	} else if (r != 0) {
		printf("login r=%d\n", r);
	} else if (strcmp(argv[1], "keygen") == 0 && argc == 6) {
		r = keygen(p, s, argv[5]);
	} else if (strcmp(argv[1], "certwrite") == 0 && argc == 6) {
		r = certwrite(p, s, argv[5]);
	} else {
		r = 2;
	}
	if (s != CK_INVALID_HANDLE) {
		p11_logout(p, s);
		p11_session_close(p, s);
	}
	p11_free(p);
	return r == 0 ? 0 : 1;
}
