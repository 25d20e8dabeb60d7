/* Stream filters the reader needs for cross-reference and object streams:
 * FlateDecode (zlib) with PNG and TIFF predictors, and no filter. */
#ifndef KYSO_PDF_FILTER_H
#define KYSO_PDF_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "sign/pdf/pdf_obj.h"

/* Decodes data by the stream dictionary's /Filter and /DecodeParms into a
 * new buffer of at most cap bytes. KYSO_ERR_UNSUPPORTED for other filters. */
int pdf_filter_decode(const struct pdf_obj *dict, const uint8_t *data, size_t n,
    size_t cap, struct buf **out) KYSO_WUR;

#endif
