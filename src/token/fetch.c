/* OpenSSL algorithms fetched once. OpenSSL 3 looks an algorithm up by
 * name again at every init given a legacy EVP_sha256() or EVP_aes_*(), or
 * a fetch per call: on the token's hot paths (a signature, an HMAC, an
 * AES-GCM call) that lookup cost as much as the work. The objects are
 * kept until C_Finalize (fetch_stop). Callers hold the module mutex. */
#include "fetch.h"

#include <string.h>

#include <openssl/evp.h>

#define FETCH_MAX 32

struct fetched {
	char name[24];
	void *obj;
};

static struct fetched mds[FETCH_MAX], ciphers[FETCH_MAX], macs[4];

/* The cached object of this name in tab, fetched by fn the first time. */
static void *
lookup(struct fetched *tab, size_t n, const char *name, void *(*fn)(const char *))
{
	size_t i;

	for (i = 0; i < n && tab[i].obj != NULL; i++)
		if (strcmp(tab[i].name, name) == 0)
			return tab[i].obj;
	if (i == n || strlen(name) >= sizeof(tab[i].name))
		return NULL;
	if ((tab[i].obj = fn(name)) == NULL)
		return NULL;
	memcpy(tab[i].name, name, strlen(name) + 1);
	return tab[i].obj;
}

static void *
md_fn(const char *name)
{
	return EVP_MD_fetch(NULL, name, NULL);
}

static void *
cipher_fn(const char *name)
{
	return EVP_CIPHER_fetch(NULL, name, NULL);
}

static void *
mac_fn(const char *name)
{
	return EVP_MAC_fetch(NULL, name, NULL);
}

const EVP_MD *
fetch_md(const char *name)
{
	return lookup(mds, FETCH_MAX, name, md_fn);
}

const EVP_CIPHER *
fetch_cipher(const char *name)
{
	return lookup(ciphers, FETCH_MAX, name, cipher_fn);
}

EVP_MAC *
fetch_mac(const char *name)
{
	return lookup(macs, sizeof(macs) / sizeof(macs[0]), name, mac_fn);
}

void
fetch_stop(void)
{
	size_t i;

	for (i = 0; i < FETCH_MAX; i++) {
		EVP_MD_free(mds[i].obj);
		EVP_CIPHER_free(ciphers[i].obj);
	}
	for (i = 0; i < sizeof(macs) / sizeof(macs[0]); i++)
		EVP_MAC_free(macs[i].obj);
	memset(mds, 0, sizeof(mds));
	memset(ciphers, 0, sizeof(ciphers));
	memset(macs, 0, sizeof(macs));
}
