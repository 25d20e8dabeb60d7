#include "sign/verify/anchors.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "common/x509_text.h"

/* A folder of anchors is read whole; more files than this is not a list
 * of CAs someone keeps by hand. */
#define ANCHORS_MAX_FILES 1024

/* Appends the certificates of one PEM file to *sk (made on first use);
 * a file without any is skipped. */
static void
read_file(const char *path, STACK_OF(X509_INFO) * *sk)
{
	BIO *b = BIO_new_file(path, "r");
	STACK_OF(X509_INFO) * got;
	X509_INFO *xi;

	if (b == NULL)
		return;
	got = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	if (got == NULL)
		return;
	if (*sk == NULL)
		*sk = sk_X509_INFO_new_null();
	while (*sk != NULL && (xi = sk_X509_INFO_shift(got)) != NULL) {
		if (xi->x509 == NULL || !sk_X509_INFO_push(*sk, xi))
			X509_INFO_free(xi);
	}
	sk_X509_INFO_pop_free(got, X509_INFO_free);
}

/* A file, or each regular file of a folder (hashed links of a CA folder
 * too: a certificate read twice is harmless). */
STACK_OF(X509_INFO) * anchors_read(const char *path)
{
	STACK_OF(X509_INFO) *sk = NULL;
	struct stat st;
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (path == NULL || stat(path, &st) != 0)
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		read_file(path, &sk);
		return sk;
	}
	if ((d = opendir(path)) == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL && n < ANCHORS_MAX_FILES) {
		size_t len = strlen(path) + strlen(e->d_name) + 2;
		char *f;

		if (e->d_name[0] == '.' || (f = malloc(len)) == NULL)
			continue;
		snprintf(f, len, "%s/%s", path, e->d_name);
		if (stat(f, &st) == 0 && S_ISREG(st.st_mode)) {
			read_file(f, &sk);
			n++;
		}
		free(f);
	}
	closedir(d);
	return sk;
}

/* The anchors of path in a store for X509_verify_cert. */
X509_STORE *
anchors_store(const char *path)
{
	STACK_OF(X509_INFO) *sk = anchors_read(path);
	X509_STORE *st = NULL;
	int i, added = 0;

	if (sk == NULL || (st = X509_STORE_new()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_INFO_num(sk); i++)
		if (X509_STORE_add_cert(st, sk_X509_INFO_value(sk, i)->x509) == 1)
			added++;
	ERR_clear_error();
	if (added == 0) {
		X509_STORE_free(st);
		st = NULL;
	}
out:
	sk_X509_INFO_pop_free(sk, X509_INFO_free);
	return st;
}

/* X509_verify_cert to path's anchors; the chain's last certificate is
 * the anchor reached, named in the report. */
int
anchors_verify(X509 *cert, STACK_OF(X509) * extra, const char *path, char **anchor)
{
	X509_STORE *st = anchors_store(path);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) * chain;
	char *name = NULL;
	int ok = 0;

	if (st != NULL && ctx != NULL &&
	    X509_STORE_CTX_init(ctx, st, cert, extra) == 1 &&
	    X509_verify_cert(ctx) == 1 &&
	    (chain = X509_STORE_CTX_get0_chain(ctx)) != NULL &&
	    sk_X509_num(chain) > 0 &&
	    (name = x509_text_name(X509_get_subject_name(sk_X509_value(chain,
				       sk_X509_num(chain) - 1)),
		 X509_TEXT_ONELINE)) != NULL) {
		*anchor = name;
		ok = 1;
	}
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}
