/* libFuzzer target for the PDF reader: open the bytes, then read every
 * object the cross-reference names, decode streams, print objects back. */
#include <stddef.h>
#include <stdint.h>

#include "sign/pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf *pdf = NULL;
	struct pdf_obj *o = NULL;
	struct buf *b = NULL;
	const char *why = NULL;
	int64_t i, n;

	if (pdf_open(data, size, &pdf, &why) != 0)
		return 0;
	{
		int64_t bad;
		size_t k;

		(void)pdf_check_xref(pdf, &bad);
		(void)pdf_newest_nums(pdf, &k);
	}
	n = pdf_next_num(pdf);
	if (n > 4096)
		n = 4096;
	for (i = 0; i < n; i++) {
		if (pdf_get(pdf, i, &o) != 0)
			continue;
		if ((b = buf_new(1 << 20)) != NULL && pdf_obj_write(b, o) == 0)
			(void)buf_len(b);
		buf_free(b);
		b = NULL;
		if (o->type == PDF_STREAM &&
		    pdf_stream_decode(pdf, o, 1 << 20, &b) == 0)
			(void)buf_len(b);
		buf_free(b);
		b = NULL;
		pdf_obj_free(o);
		o = NULL;
	}
	pdf_free(pdf);
	return 0;
}
