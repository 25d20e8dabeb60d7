/* A user's picture for the visible stamp (a scanned handwritten signature
 * or a company seal): PNG of any kind libpng reads, transparency kept as
 * a soft mask, or JPEG embedded as it is (DCTDecode). */
#ifndef KYSO_STAMP_IMAGE_H
#define KYSO_STAMP_IMAGE_H

#include <stdint.h>

#include "sign/pdf/pdf_rev.h"

#define STAMP_IMAGE_MAX	 ((size_t)8 * 1024 * 1024) /* bytes of the file */
#define STAMP_IMAGE_SIDE 4000			   /* pixels, each side */

/* Queues the image XObject (and its soft mask) read from path in v;
 * *num gets its object number, *w and *h its size in pixels. */
int stamp_image_add(struct rev *v, const char *path, int64_t *num, int *w,
    int *h, const char **why) KYSO_WUR;

#endif
