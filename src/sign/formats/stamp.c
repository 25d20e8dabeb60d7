#include "common/i18n.h"
#include "sign/formats/stamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "common/x509_text.h"
#include "sign/formats/ttf.h"

#define MAX_LINES 8
#define PAD	  4

static char *
name_entry(X509_NAME *nm, int nid)
{
	int i = X509_NAME_get_index_by_NID(nm, nid, -1);
	unsigned char *u = NULL;
	char *s;
	int n;

	if (i < 0 ||
	    (n = ASN1_STRING_to_UTF8(&u,
		 X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i)))) < 0)
		return NULL;
	s = strndup((char *)u, (size_t)n);
	OPENSSL_free(u);
	return s;
}

char *
stamp_default_text(const struct buf *cert, time_t when)
{
	const unsigned char *p = buf_ptr(cert);
	X509 *x = d2i_X509(NULL, &p, (long)buf_len(cert));
	char *cn = NULL, *o = NULL, *res = NULL, date[64];
	size_t n;

	if (x == NULL)
		return NULL;
	cn = name_entry(X509_get_subject_name(x), NID_commonName);
	o = name_entry(X509_get_subject_name(x), NID_organizationName);
	if (x509_text_local((int64_t)when, 0, date, sizeof(date)) != 0)
		snprintf(date, sizeof(date), "?");
	n = (cn ? strlen(cn) : 0) + (o ? strlen(o) : 0) + 128;
	if ((res = malloc(n)) != NULL)
		snprintf(res, n, "Ký bởi / Signed by: %s\n%s%sNgày ký / Date: %s",
		    cn ? cn : "?", o ? o : "", o ? "\n" : "", date);
	free(cn);
	free(o);
	X509_free(x);
	return res;
}

/* Decodes UTF-8; bad bytes become U+FFFD. */
static size_t
utf8_next(const char *s, size_t n, size_t i, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[i];
	size_t k, len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	len = c >= 0xf0 && c < 0xf8 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
	if (len == 0 || len > n - i) {
		*cp = 0xfffd;
		return 1;
	}
	c &= 0xff >> (len + 1);
	for (k = 1; k < len; k++) {
		if ((u[i + k] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		c = c << 6 | (u[i + k] & 0x3f);
	}
	*cp = c;
	return len;
}

/* Hundredths as a PDF number ("12.34"), locale-free. */
static int
put_fixed(struct buf *b, long v)
{
	return buf_putf(b, "%s%ld.%02ld", v < 0 ? "-" : "", labs(v) / 100,
	    labs(v) % 100);
}

struct glyphs {
	uint16_t gid[STAMP_MAX_TEXT];
	uint32_t cp[STAMP_MAX_TEXT];
	size_t n;
};

static int
used_add(struct glyphs *u, uint16_t gid, uint32_t cp)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (u->gid[i] == gid)
			return 0;
	if (u->n == STAMP_MAX_TEXT)
		return KYSO_ERR_TOO_LARGE;
	u->gid[u->n] = gid;
	u->cp[u->n++] = cp;
	return 0;
}

static struct buf *
deflate_buf(const struct buf *in)
{
	uLongf n = compressBound((uLong)buf_len(in));
	struct buf *out = buf_new(n + 1);
	uint8_t *d;

	if (out == NULL || buf_reserve(out, n, &d) != 0)
		goto fail;
	if (compress2(d, &n, buf_ptr(in), (uLong)buf_len(in), 9) != Z_OK)
		goto fail;
	{
		/* Keep only the n bytes written. */
		struct buf *exact = buf_new(n + 1);

		if (exact == NULL || buf_put(exact, d, n) != 0) {
			buf_free(exact);
			goto fail;
		}
		buf_free(out);
		return exact;
	}
fail:
	buf_free(out);
	return NULL;
}

static int
put_tounicode(struct buf *b, const struct glyphs *u)
{
	size_t i;
	int r;

	if ((r = buf_putf(b,
		 "/CIDInit /ProcSet findresource begin\n12 dict begin\n"
		 "begincmap\n/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) "
		 "/Supplement 0>> def\n/CMapName /Adobe-Identity-UCS def\n"
		 "/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\n"
		 "endcodespacerange\n")) != 0)
		return r;
	for (i = 0; i < u->n; i += 100) {
		size_t k, m = u->n - i < 100 ? u->n - i : 100;

		if ((r = buf_putf(b, "%zu beginbfchar\n", m)) != 0)
			return r;
		for (k = i; k < i + m; k++) {
			uint32_t c = u->cp[k];

			if (c > 0xffff) {
				c -= 0x10000;
				r = buf_putf(b, "<%04X> <%04X%04X>\n", u->gid[k],
				    0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
			} else {
				r = buf_putf(b, "<%04X> <%04X>\n", u->gid[k], c);
			}
			if (r != 0)
				return r;
		}
		if ((r = buf_putf(b, "endbfchar\n")) != 0)
			return r;
	}
	return buf_putf(b,
	    "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
}

static int
set(struct pdf_obj *d, const char *k, struct pdf_obj *v)
{
	return pdf_dict_set(d, k, v);
}

static struct pdf_obj *
int_array(const int *v, size_t n)
{
	struct pdf_obj *a = pdf_obj_new(PDF_ARRAY);
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if (pdf_array_push(a, pdf_int_new(v[i])) != 0) {
			pdf_obj_free(a);
			return NULL;
		}
	}
	return a;
}

/* The font's PDF name from its file name: "DejaVuSans.ttf" -> DejaVuSans. */
static void
font_name(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/');
	size_t k = 0;

	for (b = b ? b + 1 : path; *b != '\0' && *b != '.' && k + 1 < n; b++)
		if ((*b >= 'A' && *b <= 'Z') || (*b >= 'a' && *b <= 'z') ||
		    (*b >= '0' && *b <= '9') || *b == '-')
			out[k++] = *b;
	if (k == 0)
		k = (size_t)snprintf(out, n, "KysoStampFont");
	out[k] = '\0';
}

/* "ABCDEF+Name": six capitals from the glyph set, as subsets are named. */
static void
subset_tag(const struct glyphs *u, char *name, size_t n)
{
	uint8_t h[32];
	char tagged[80];
	int i;

	if (EVP_Digest(u->gid, u->n * sizeof(u->gid[0]), h, NULL, EVP_sha256(),
		NULL) != 1)
		memset(h, 0, sizeof(h));
	for (i = 0; i < 6; i++)
		tagged[i] = (char)('A' + h[i] % 26);
	tagged[6] = '+';
	snprintf(tagged + 7, sizeof(tagged) - 7, "%.60s", name);
	snprintf(name, n, "%s", tagged);
}

int
stamp_build(struct rev *v, const char *text, int w, int h,
    const char *font_path, int64_t *ap_num, const char **why)
{
	struct ttf *t = NULL;
	struct glyphs *u = NULL;
	struct buf *content = NULL, *tu = NULL, *ff = NULL, *tmp = NULL;
	struct buf *sub = NULL;
	struct pdf_obj *d = NULL, *a = NULL, *wa = NULL;
	size_t lines_start[MAX_LINES], lines_len[MAX_LINES], nl = 0, i, k;
	long maxw = 1, size, lead, y;
	int asc, desc, bbox[4], r;
	int64_t n_ap, n_t0, n_cid, n_fd, n_ff, n_tu;
	const char *fp = font_path ? font_path : STAMP_DEFAULT_FONT;
	size_t tl = strlen(text);
	char fname[80];

	font_name(fp, fname, sizeof(fname));

	*why = N_("out of memory");
	if (tl > STAMP_MAX_TEXT) {
		*why = N_("the stamp text is too long");
		return KYSO_ERR_TOO_LARGE;
	}
	if (w < 20 || h < 10 || w > 2000 || h > 2000) {
		*why = N_("the stamp rectangle is too small or too large");
		return KYSO_ERR_INVALID;
	}
	if ((r = ttf_open(fp, &t)) != 0) {
		*why = N_("cannot read the stamp's TrueType font");
		return r;
	}
	ttf_metrics(t, &asc, &desc, bbox);
	r = KYSO_ERR_NOMEM;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (content = buf_new(0)) == NULL || (tu = buf_new(0)) == NULL)
		goto out;
	/* Lines, their widths (in 1/1000 em) and the glyphs used. */
	for (i = 0; i <= tl && nl < MAX_LINES;) {
		size_t e = i;
		long lw = 0;

		while (e < tl && text[e] != '\n')
			e++;
		lines_start[nl] = i;
		lines_len[nl] = e - i;
		for (k = i; k < e;) {
			uint32_t cp;
			uint16_t g;

			k += utf8_next(text, e, k, &cp);
			g = ttf_glyph(t, cp);
			lw += ttf_advance(t, g);
			if ((r = used_add(u, g, cp)) != 0)
				goto out;
		}
		if (lw > maxw)
			maxw = lw;
		nl++;
		i = e + 1;
	}
	/* Font size in hundredths of a point: fit width and height. */
	size = (long)(w - 2 * PAD) * 100 * 1000 / maxw;
	if (size > (long)(h - 2 * PAD) * 100 * 10 / (12 * (long)nl))
		size = (long)(h - 2 * PAD) * 100 * 10 / (12 * (long)nl);
	if (size > 1200)
		size = 1200;
	lead = size * 12 / 10;
	y = (long)(h - PAD) * 100 - size * asc / 1000;
	if ((r = buf_putf(content,
		 "q 0.94 0.97 1 rg 0 0 %d %d re f 0.1 0.3 0.6 RG 1 w "
		 "0.5 0.5 %d %d re S Q\nBT 0.05 0.15 0.4 rg /F1 ",
		 w, h, w - 1, h - 1)) != 0 ||
	    (r = put_fixed(content, size)) != 0 ||
	    (r = buf_putf(content, " Tf ")) != 0 ||
	    (r = put_fixed(content, lead)) != 0 ||
	    (r = buf_putf(content, " TL %d ", PAD)) != 0 ||
	    (r = put_fixed(content, y)) != 0 ||
	    (r = buf_putf(content, " Td\n")) != 0)
		goto out;
	for (i = 0; i < nl; i++) {
		if ((r = buf_put_u8(content, '<')) != 0)
			goto out;
		for (k = lines_start[i]; k < lines_start[i] + lines_len[i];) {
			uint32_t cp;

			k += utf8_next(text, lines_start[i] + lines_len[i], k,
			    &cp);
			if ((r = buf_putf(content, "%04X", ttf_glyph(t, cp))) != 0)
				goto out;
		}
		if ((r = buf_putf(content, "> Tj T*\n")) != 0)
			goto out;
	}
	if ((r = buf_putf(content, "ET\n")) != 0 ||
	    (r = put_tounicode(tu, u)) != 0)
		goto out;
	/* Only the glyphs used (numbers kept), tagged as a subset. */
	if ((r = ttf_subset(t, u->gid, u->n, &sub)) != 0) {
		*why = N_("the stamp's font cannot be subset");
		goto out;
	}
	r = KYSO_ERR_NOMEM;
	if ((ff = deflate_buf(sub)) == NULL)
		goto out;
	subset_tag(u, fname, sizeof(fname));
	n_ap = v->next++;
	n_t0 = v->next++;
	n_cid = v->next++;
	n_fd = v->next++;
	n_ff = v->next++;
	n_tu = v->next++;
	/* The embedded font file. */
	if ((d = pdf_obj_new(PDF_DICT)) == NULL ||
	    (r = set(d, "Filter", pdf_name_new("FlateDecode"))) != 0 ||
	    (r = set(d, "Length1", pdf_int_new((int64_t)buf_len(sub)))) != 0)
		goto out;
	r = rev_put_stream(v, n_ff, d, ff);
	d = NULL;
	ff = NULL;
	if (r != 0)
		goto out;
	/* ToUnicode */
	if ((d = pdf_obj_new(PDF_DICT)) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	r = rev_put_stream(v, n_tu, d, tu);
	d = NULL;
	tu = NULL;
	if (r != 0)
		goto out;
	/* FontDescriptor */
	r = KYSO_ERR_NOMEM;
	if ((d = pdf_obj_new(PDF_DICT)) == NULL ||
	    (a = int_array(bbox, 4)) == NULL)
		goto out;
	r = set(d, "FontBBox", a); /* takes a, even on failure */
	a = NULL;
	if (r != 0 || (r = set(d, "Type", pdf_name_new("FontDescriptor"))) != 0 ||
	    (r = set(d, "FontName", pdf_name_new(fname))) != 0 ||
	    (r = set(d, "Flags", pdf_int_new(32))) != 0 ||
	    (r = set(d, "ItalicAngle", pdf_int_new(0))) != 0 ||
	    (r = set(d, "Ascent", pdf_int_new(asc))) != 0 ||
	    (r = set(d, "Descent", pdf_int_new(desc))) != 0 ||
	    (r = set(d, "CapHeight", pdf_int_new(asc))) != 0 ||
	    (r = set(d, "StemV", pdf_int_new(80))) != 0 ||
	    (r = set(d, "FontFile2", pdf_ref_new(n_ff, 0))) != 0)
		goto out;
	r = rev_put(v, n_fd, d);
	d = NULL;
	if (r != 0)
		goto out;
	/* CIDFontType2 with the widths of the glyphs used. */
	r = KYSO_ERR_NOMEM;
	if ((d = pdf_obj_new(PDF_DICT)) == NULL ||
	    (wa = pdf_obj_new(PDF_ARRAY)) == NULL || (tmp = buf_new(0)) == NULL)
		goto out;
	for (i = 0; i < u->n; i++) {
		struct pdf_obj *one = pdf_obj_new(PDF_ARRAY);

		if (one == NULL)
			goto out;
		if (pdf_array_push(one,
			pdf_int_new(ttf_advance(t, u->gid[i]))) != 0 ||
		    pdf_array_push(wa, pdf_int_new(u->gid[i])) != 0) {
			pdf_obj_free(one);
			goto out;
		}
		if (pdf_array_push(wa, one) != 0) /* frees one on failure */
			goto out;
	}
	{
		struct pdf_obj *csi = pdf_obj_new(PDF_DICT);

		if (csi == NULL)
			goto out;
		if ((r = set(csi, "Registry",
			 pdf_bytes_new(PDF_STRING, "Adobe", 5))) != 0 ||
		    (r = set(csi, "Ordering",
			 pdf_bytes_new(PDF_STRING, "Identity", 8))) != 0 ||
		    (r = set(csi, "Supplement", pdf_int_new(0))) != 0) {
			pdf_obj_free(csi);
			goto out;
		}
		if ((r = set(d, "CIDSystemInfo", csi)) != 0)
			goto out;
	}
	if ((r = set(d, "Type", pdf_name_new("Font"))) != 0 ||
	    (r = set(d, "Subtype", pdf_name_new("CIDFontType2"))) != 0 ||
	    (r = set(d, "BaseFont", pdf_name_new(fname))) != 0 ||
	    (r = set(d, "FontDescriptor", pdf_ref_new(n_fd, 0))) != 0 ||
	    (r = set(d, "DW", pdf_int_new(1000))) != 0 ||
	    (r = set(d, "CIDToGIDMap", pdf_name_new("Identity"))) != 0)
		goto out;
	r = set(d, "W", wa);
	wa = NULL;
	if (r != 0)
		goto out;
	r = rev_put(v, n_cid, d);
	d = NULL;
	if (r != 0)
		goto out;
	/* Type0 */
	r = KYSO_ERR_NOMEM;
	if ((d = pdf_obj_new(PDF_DICT)) == NULL ||
	    (a = pdf_obj_new(PDF_ARRAY)) == NULL)
		goto out;
	if ((r = pdf_array_push(a, pdf_ref_new(n_cid, 0))) != 0)
		goto out;
	r = set(d, "DescendantFonts", a);
	a = NULL;
	if (r != 0 || (r = set(d, "Type", pdf_name_new("Font"))) != 0 ||
	    (r = set(d, "Subtype", pdf_name_new("Type0"))) != 0 ||
	    (r = set(d, "BaseFont", pdf_name_new(fname))) != 0 ||
	    (r = set(d, "Encoding", pdf_name_new("Identity-H"))) != 0 ||
	    (r = set(d, "ToUnicode", pdf_ref_new(n_tu, 0))) != 0)
		goto out;
	r = rev_put(v, n_t0, d);
	d = NULL;
	if (r != 0)
		goto out;
	/* The appearance: a Form XObject. */
	{
		struct pdf_obj *res = pdf_obj_new(PDF_DICT),
			       *fonts = pdf_obj_new(PDF_DICT);
		int bb[4] = { 0, 0, w, h };

		r = KYSO_ERR_NOMEM;
		if (res == NULL || fonts == NULL ||
		    (d = pdf_obj_new(PDF_DICT)) == NULL ||
		    (a = int_array(bb, 4)) == NULL) {
			pdf_obj_free(res);
			pdf_obj_free(fonts);
			goto out;
		}
		if ((r = set(fonts, "F1", pdf_ref_new(n_t0, 0))) != 0 ||
		    (r = set(res, "Font", fonts)) != 0) {
			pdf_obj_free(res);
			goto out;
		}
		if ((r = set(d, "Resources", res)) != 0 ||
		    (r = set(d, "Type", pdf_name_new("XObject"))) != 0 ||
		    (r = set(d, "Subtype", pdf_name_new("Form"))) != 0)
			goto out;
		r = set(d, "BBox", a);
		a = NULL;
		if (r != 0)
			goto out;
	}
	r = rev_put_stream(v, n_ap, d, content);
	d = NULL;
	content = NULL;
	if (r != 0)
		goto out;
	*ap_num = n_ap;
	r = 0;
out:
	pdf_obj_free(d);
	pdf_obj_free(a);
	pdf_obj_free(wa);
	buf_free(content);
	buf_free(tu);
	buf_free(ff);
	buf_free(sub);
	buf_free(tmp);
	free(u);
	ttf_free(t);
	return r;
}
