#include "common/i18n.h"
#include "sign/formats/cades.h"

#include <time.h>

#include <openssl/evp.h>

#include "sign/formats/cms.h"
#include "sign/mapfile.h"

static int
md_update(void *ud, const uint8_t *p, size_t n)
{
	return EVP_DigestUpdate(ud, p, n) == 1 ? 0 : KYSO_ERR_CRYPTO;
}

int
cades_sign_file(struct p11_signer *s, const char *in_path, const char *out_path,
    const char *tsa_url, const char **why)
{
	struct mapfile *m = NULL;
	struct buf *cms = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t digest[32];
	int r;

	*why = N_("out of memory");
	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		goto out;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    mapfile_each(m, 0, mapfile_len(m), md_update, md) != 0 ||
	    EVP_DigestFinal_ex(md, digest, NULL) != 1) {
		r = KYSO_ERR_CRYPTO;
		*why = N_("hashing failed");
		goto out;
	}
	if ((cms = buf_new(0)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	if ((r = cms_sign_cades(s, digest, time(NULL), tsa_url, cms, why)) != 0)
		goto out;
	r = outfile_save(out_path, buf_ptr(cms), buf_len(cms), why);
out:
	EVP_MD_CTX_free(md);
	buf_free(cms);
	mapfile_free(m);
	return r;
}

int
cades_sign_mem(struct p11_signer *s, const uint8_t *data, size_t len,
    const char *tsa_url, struct buf *out, const char **why)
{
	uint8_t digest[32];

	if (EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL) != 1) {
		*why = N_("hashing failed");
		return KYSO_ERR_CRYPTO;
	}
	return cms_sign_cades(s, digest, time(NULL), tsa_url, out, why);
}
