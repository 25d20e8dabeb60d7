#include "sign/verify/token_anchors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/buf.h"
#include "p11/p11.h"

/* Writes each authority certificate of the token in slot to f; the
 * number written is added to *n. */
static void
slot_anchors(struct p11 *p, CK_SLOT_ID slot, FILE *f, size_t *n)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ULONG cat = 2; /* authority */
	CK_ATTRIBUTE tmpl[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat) },
	};
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE *h = NULL;
	size_t count = 0, i;

	if (p11_session_open(p, slot, 0, &s) != 0)
		return;
	if (p11_find_all(p, s, tmpl, 2, &h, &count) != 0)
		count = 0;
	for (i = 0; i < count; i++) {
		struct buf *der = NULL;
		const unsigned char *q;
		X509 *x = NULL;

		if (p11_get_attr(p, s, h[i], CKA_VALUE, &der) == 0) {
			q = buf_ptr(der);
			x = d2i_X509(NULL, &q, (long)buf_len(der));
		}
		if (x != NULL && PEM_write_X509(f, x) == 1)
			(*n)++;
		X509_free(x);
		buf_free(der);
	}
	free(h);
	p11_session_close(p, s);
}

/* Every present token's CA certificates into one PEM file, so that the
 * anchors are read the way --trust's are. */
int
token_anchors_file(const char *module, char **path)
{
	const char *tmp = getenv("TMPDIR");
	struct p11 *p = NULL;
	CK_SLOT_ID *slots = NULL;
	size_t nslots = 0, n = 0, i, len;
	char *name = NULL;
	FILE *f = NULL;
	int fd = -1, r = KYSO_ERR_NOT_FOUND;

	if (p11_open(module, &p) != 0 ||
	    p11_slot_list(p, 1, &slots, &nslots) != 0 || nslots == 0)
		goto out;
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	len = strlen(tmp) + 32;
	r = KYSO_ERR_NOMEM;
	if ((name = malloc(len)) == NULL)
		goto out;
	snprintf(name, len, "%s/kyso-anchors.XXXXXX", tmp);
	r = KYSO_ERR_IO;
	if ((fd = mkstemp(name)) < 0)
		goto out;
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		goto out;
	}
	for (i = 0; i < nslots; i++)
		slot_anchors(p, slots[i], f, &n);
	r = fclose(f) == 0 ? 0 : KYSO_ERR_IO;
	f = NULL;
	if (r == 0 && n == 0)
		r = KYSO_ERR_NOT_FOUND;
	if (r == 0) {
		*path = name;
		name = NULL;
	}
out:
	if (name != NULL && fd >= 0)
		unlink(name);
	free(name);
	free(slots);
	p11_free(p);
	return r;
}

void
token_anchors_remove(char *path)
{
	if (path == NULL)
		return;
	unlink(path);
	free(path);
}
