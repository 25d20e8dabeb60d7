#include "common/i18n.h"
#include "sign/formats/stamp_image.h"

#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "sign/mapfile.h"

/* Deflated copy of n bytes (an image's samples). */
static struct buf *
deflated(const uint8_t *p, size_t n)
{
	uLongf cap = compressBound((uLong)n);
	struct buf *tmp = buf_new(cap + 1), *out = NULL;
	uint8_t *d;

	if (tmp == NULL || buf_reserve(tmp, cap, &d) != 0 ||
	    compress2(d, &cap, p, (uLong)n, 6) != Z_OK ||
	    (out = buf_new(cap + 1)) == NULL || buf_put(out, d, cap) != 0) {
		buf_free(out);
		out = NULL;
	}
	buf_free(tmp);
	return out;
}

/* An image XObject dictionary of w x h, 8 bits, in space cs. */
static struct pdf_obj *
image_dict(int w, int h, const char *cs, const char *filter)
{
	struct pdf_obj *d = pdf_obj_new(PDF_DICT);

	if (d == NULL)
		return NULL;
	if (pdf_dict_set(d, "Type", pdf_name_new("XObject")) != 0 ||
	    pdf_dict_set(d, "Subtype", pdf_name_new("Image")) != 0 ||
	    pdf_dict_set(d, "Width", pdf_int_new(w)) != 0 ||
	    pdf_dict_set(d, "Height", pdf_int_new(h)) != 0 ||
	    pdf_dict_set(d, "ColorSpace", pdf_name_new(cs)) != 0 ||
	    pdf_dict_set(d, "BitsPerComponent", pdf_int_new(8)) != 0 ||
	    pdf_dict_set(d, "Filter", pdf_name_new(filter)) != 0) {
		pdf_obj_free(d);
		return NULL;
	}
	return d;
}

/* A JPEG's size and components from its first SOF marker. */
static int
jpeg_info(const uint8_t *p, size_t n, int *w, int *h, int *comps)
{
	size_t i = 2;

	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return KYSO_ERR_INVALID;
	while (i <= n - 4) {
		uint8_t m = p[i + 1];
		size_t len = (size_t)p[i + 2] << 8 | p[i + 3];

		if (p[i] != 0xff || len < 2)
			return KYSO_ERR_INVALID;
		/* SOF0..SOF15 but DHT (c4), JPG (c8) and DAC (cc). */
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (len < 8 || n - i - 2 < len)
				return KYSO_ERR_INVALID;
			*h = p[i + 5] << 8 | p[i + 6];
			*w = p[i + 7] << 8 | p[i + 8];
			*comps = p[i + 9];
			return 0;
		}
		if (n - i - 2 < len)
			break;
		i += 2 + len;
	}
	return KYSO_ERR_INVALID;
}

/* A JPEG goes in as it is: PDF viewers decode DCT themselves. */
static int
add_jpeg(struct rev *v, const uint8_t *p, size_t n, int64_t *num, int *w,
    int *h, const char **why)
{
	struct pdf_obj *d;
	struct buf *data;
	int comps, r;

	if (jpeg_info(p, n, w, h, &comps) != 0 || (comps != 1 && comps != 3) ||
	    *w < 1 || *h < 1 || *w > STAMP_IMAGE_SIDE || *h > STAMP_IMAGE_SIDE) {
		*why = N_("the stamp image is not a JPEG in grey or colour "
			  "(RGB) of at most 4000 x 4000 pixels");
		return KYSO_ERR_INVALID;
	}
	if ((d = image_dict(*w, *h, comps == 1 ? "DeviceGray" : "DeviceRGB",
		 "DCTDecode")) == NULL ||
	    (data = buf_new(n + 1)) == NULL || buf_put(data, p, n) != 0) {
		pdf_obj_free(d);
		*why = N_("out of memory");
		return KYSO_ERR_NOMEM;
	}
	*num = v->next++;
	if ((r = rev_put_stream(v, *num, d, data)) != 0)
		*why = N_("out of memory");
	return r;
}

/* A PNG through libpng's simplified reader, as RGBA: colour in one
 * stream, alpha (when any pixel is not opaque) in a soft mask. */
static int
add_png(struct rev *v, const uint8_t *p, size_t n, int64_t *num, int *w, int *h,
    const char **why)
{
	png_image im;
	uint8_t *px = NULL, *rgb = NULL, *alpha = NULL;
	struct buf *c = NULL, *a = NULL;
	struct pdf_obj *d = NULL, *m = NULL;
	size_t np, i;
	int opaque = 1, r = KYSO_ERR_INVALID;
	int64_t mask = -1;

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	*why = N_("the stamp image cannot be read as PNG");
	if (!png_image_begin_read_from_memory(&im, p, n))
		goto out;
	if (im.width < 1 || im.height < 1 || im.width > STAMP_IMAGE_SIDE ||
	    im.height > STAMP_IMAGE_SIDE) {
		*why = N_("the stamp image is larger than 4000 x 4000 pixels");
		goto out;
	}
	im.format = PNG_FORMAT_RGBA;
	np = (size_t)im.width * im.height;
	r = KYSO_ERR_NOMEM;
	*why = N_("out of memory");
	if ((px = malloc(np * 4)) == NULL || (rgb = malloc(np * 3)) == NULL ||
	    (alpha = malloc(np)) == NULL)
		goto out;
	if (!png_image_finish_read(&im, NULL, px, 0, NULL)) {
		r = KYSO_ERR_INVALID;
		*why = N_("the stamp image cannot be read as PNG");
		goto out;
	}
	for (i = 0; i < np; i++) {
		memcpy(rgb + 3 * i, px + 4 * i, 3);
		alpha[i] = px[4 * i + 3];
		opaque &= alpha[i] == 255;
	}
	*w = (int)im.width;
	*h = (int)im.height;
	if ((c = deflated(rgb, np * 3)) == NULL ||
	    (d = image_dict(*w, *h, "DeviceRGB", "FlateDecode")) == NULL)
		goto out;
	if (!opaque) {
		if ((a = deflated(alpha, np)) == NULL ||
		    (m = image_dict(*w, *h, "DeviceGray", "FlateDecode")) == NULL)
			goto out;
		mask = v->next++;
		r = rev_put_stream(v, mask, m, a);
		m = NULL;
		a = NULL;
		if (r != 0 ||
		    (r = pdf_dict_set(d, "SMask", pdf_ref_new(mask, 0))) != 0)
			goto out;
	}
	*num = v->next++;
	r = rev_put_stream(v, *num, d, c);
	d = NULL;
	c = NULL;
out:
	png_image_free(&im);
	free(px);
	free(rgb);
	free(alpha);
	buf_free(c);
	buf_free(a);
	pdf_obj_free(d);
	pdf_obj_free(m);
	return r;
}

/* The picture by its first bytes, not its name: a scan saved as .jpg
 * that is a PNG is still read. */
int
stamp_image_add(struct rev *v, const char *path, int64_t *num, int *w, int *h,
    const char **why)
{
	static const uint8_t png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
		0x1a, '\n' };
	struct mapfile *mf = NULL;
	const uint8_t *p;
	size_t n;
	int r;

	if ((r = mapfile_open(path, &mf)) != 0) {
		*why = r == KYSO_ERR_NOT_FOUND
		    ? N_("the stamp image does not exist")
		    : N_("the stamp image cannot be read");
		return r;
	}
	p = mapfile_data(mf);
	n = mapfile_len(mf);
	if (n > STAMP_IMAGE_MAX) {
		*why = N_("the stamp image is larger than 8 MB");
		r = KYSO_ERR_TOO_LARGE;
	} else if (n >= 8 && memcmp(p, png_sig, 8) == 0) {
		r = add_png(v, p, n, num, w, h, why);
	} else if (n >= 2 && p[0] == 0xff && p[1] == 0xd8) {
		r = add_jpeg(v, p, n, num, w, h, why);
	} else {
		*why = N_("the stamp image is neither PNG nor JPEG");
		r = KYSO_ERR_INVALID;
	}
	mapfile_free(mf);
	return r;
}
