#include "common/i18n.h"
#include "sign/formats/pdf_lta.h"

#include <string.h>

#include "sign/formats/pdf_sign_int.h"

int
pdf_lta_rev(const char *tsa_url, const uint8_t *data, size_t len,
    struct mapfile *m, struct buf **rev_out, const char **why)
{
	struct pdf_sign_opts d;

	memset(&d, 0, sizeof(d));
	d.tsa_url = tsa_url;
	return pdf_sign_rev(NULL, data, len, m, &d, rev_out, NULL, NULL, why);
}

int
pdf_lta_file(const char *tsa_url, const char *in_path, const char *out_path,
    const char **why)
{
	struct mapfile *m = NULL;
	struct buf *rev = NULL;
	int r;

	if ((r = mapfile_open(in_path, &m)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND ? N_("the file does not exist")
					       : N_("the file cannot be read");
		return r;
	}
	if ((r = pdf_lta_rev(tsa_url, mapfile_data(m), mapfile_len(m), m, &rev,
		 why)) == 0)
		r = pdf_write_two(out_path, m, rev, why);
	buf_free(rev);
	mapfile_free(m);
	return r;
}
