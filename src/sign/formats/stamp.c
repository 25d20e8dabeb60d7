#include "common/i18n.h"
#include "sign/formats/stamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "common/x509_text.h"
#include "sign/formats/stamp_image.h"
#include "sign/formats/ttf.h"

#define MAX_LINES 24 /* lines of the stamp, wrapped */

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

/* The organisation is printed once: not when it is the signer's name
 * (an organisation's own certificate) or already part of it. */
static int
org_shown(const char *cn, const char *o)
{
	return o != NULL && *o != '\0' &&
	    (cn == NULL || (strcasecmp(cn, o) != 0 && strstr(cn, o) == NULL));
}

char *
stamp_default_text(const struct buf *cert, time_t when)
{
	const unsigned char *p = buf_ptr(cert);
	X509 *x = d2i_X509(NULL, &p, (long)buf_len(cert));
	char *cn = NULL, *o = NULL, *res = NULL, date[64];
	size_t n;
	int show_o;

	if (x == NULL)
		return NULL;
	cn = name_entry(X509_get_subject_name(x), NID_commonName);
	o = name_entry(X509_get_subject_name(x), NID_organizationName);
	show_o = org_shown(cn, o);
	if (x509_text_local((int64_t)when, 0, date, sizeof(date)) != 0)
		snprintf(date, sizeof(date), "?");
	n = (cn ? strlen(cn) : 0) + (o ? strlen(o) : 0) + 128;
	if ((res = malloc(n)) != NULL)
		snprintf(res, n,
		    "Ký bởi / Signed by:\n%s\n%s%sNgày ký / Date:\n%s",
		    cn ? cn : (o ? o : "?"), show_o ? o : "",
		    show_o ? "\n" : "", date);
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

/* The lines of the stamp: where each starts in the text, its length. */
struct layout {
	size_t start[MAX_LINES], len[MAX_LINES];
	size_t n;
};

/* Wraps each paragraph of text (split by \n) into lines at most maxw
 * (thousandths of the em) wide, at a space where there is one, else
 * inside the word; 0, or -1 when it takes more than MAX_LINES lines (or,
 * unless may_break, more than one line for a paragraph). */
static int
wrap(const struct ttf *t, const char *text, size_t tl, long maxw, int may_break,
    struct layout *L)
{
	size_t i = 0;

	L->n = 0;
	while (i <= tl) {
		size_t e = i, k, brk = 0, end, next;
		long lw = 0;
		int has_brk = 0;

		while (e < tl && text[e] != '\n')
			e++;
		/* One paragraph [i, e): lines until it is used up. */
		do {
			end = e;
			next = e + 1;
			for (k = i; k < e;) {
				uint32_t cp;
				size_t cl = utf8_next(text, e, k, &cp);
				long adv = ttf_advance(t, ttf_glyph(t, cp));

				if (cp == ' ') {
					brk = k;
					has_brk = brk > i;
				}
				if (lw + adv > maxw && !may_break)
					return -1;
				if (lw + adv > maxw && k > i) {
					end = has_brk ? brk : k;
					next = has_brk ? brk + 1 : k;
					break;
				}
				lw += adv;
				k += cl;
			}
			if (L->n == MAX_LINES)
				return -1;
			L->start[L->n] = i;
			L->len[L->n++] = end - i;
			i = next;
			lw = 0;
			has_brk = 0;
		} while (i <= e && end != e);
		i = e + 1;
	}
	return 0;
}

/* A point of the drawing, in hundredths, with its operator. */
static int
put_pt(struct buf *b, long x, long y, const char *op)
{
	int r;

	if ((r = put_fixed(b, x)) != 0 || (r = buf_put_u8(b, ' ')) != 0 ||
	    (r = put_fixed(b, y)) != 0)
		return r;
	return buf_putf(b, " %s\n", op);
}

/* The mark that says "signed": a green check mark in a ring, in the
 * square at (x, y) of side s (hundredths of a point). */
static int
put_check(struct buf *b, long x, long y, long s)
{
	long cx = x + s / 2, cy = y + s / 2, rr = s * 44 / 100;
	long k = rr * 5523 / 10000;
	int r;

	if ((r = buf_putf(b, "q 0.13 0.55 0.25 RG 1 J 1 j ")) != 0 ||
	    (r = put_fixed(b, s * 5 / 100)) != 0 ||
	    (r = buf_putf(b, " w\n")) != 0 ||
	    (r = put_pt(b, cx + rr, cy, "m")) != 0)
		return r;
	{
		/* The ring: four Bézier quarters. */
		const long q[4][6] = {
			{ cx + rr, cy + k, cx + k, cy + rr, cx, cy + rr },
			{ cx - k, cy + rr, cx - rr, cy + k, cx - rr, cy },
			{ cx - rr, cy - k, cx - k, cy - rr, cx, cy - rr },
			{ cx + k, cy - rr, cx + rr, cy - k, cx + rr, cy },
		};
		int i, j;

		for (i = 0; i < 4; i++) {
			for (j = 0; j < 6; j += 2) {
				if ((r = put_fixed(b, q[i][j])) != 0 ||
				    (r = buf_put_u8(b, ' ')) != 0 ||
				    (r = put_fixed(b, q[i][j + 1])) != 0 ||
				    (r = buf_put_u8(b, ' ')) != 0)
					return r;
			}
			if ((r = buf_putf(b, "c\n")) != 0)
				return r;
		}
	}
	if ((r = buf_putf(b, "S ")) != 0 || (r = put_fixed(b, s * 9 / 100)) != 0 ||
	    (r = buf_putf(b, " w\n")) != 0 ||
	    (r = put_pt(b, x + s * 27 / 100, y + s * 52 / 100, "m")) != 0 ||
	    (r = put_pt(b, x + s * 44 / 100, y + s * 33 / 100, "l")) != 0 ||
	    (r = put_pt(b, x + s * 75 / 100, y + s * 69 / 100, "l")) != 0)
		return r;
	return buf_putf(b, "S Q\n");
}

/* The user's picture fitted (aspect kept) and centred in the square at
 * (x, y) of side s, hundredths of a point. */
static int
put_image(struct buf *b, long x, long y, long s, int iw, int ih)
{
	long dw = s, dh = s;
	int r;

	if ((long)iw * s / ih > s)
		dh = s * ih / iw;
	else
		dw = s * iw / ih;
	if ((r = buf_putf(b, "q ")) != 0 || (r = put_fixed(b, dw)) != 0 ||
	    (r = buf_putf(b, " 0 0 ")) != 0 || (r = put_fixed(b, dh)) != 0 ||
	    (r = buf_put_u8(b, ' ')) != 0 ||
	    (r = put_pt(b, x + (s - dw) / 2, y + (s - dh) / 2, "cm")) != 0)
		return r;
	return buf_putf(b, "/Im1 Do Q\n");
}

/* Where the parts go in a W x H box (points): the mark (or picture) left
 * of the text in a wide box, above it in a narrow one; none in a box too
 * small for it. Out: the mark's square and the text's zone, hundredths. */
struct zones {
	long mx, my, ms;     /* mark; ms 0: none */
	long tx, ty, tw, th; /* text */
};

static void
place(int W, int H, struct zones *z)
{
	long pad = (W < H ? W : H) * 100 / 16;

	if (pad < 300)
		pad = 300;
	memset(z, 0, sizeof(*z));
	if ((long)W * 2 >= (long)H * 3) {
		z->ms = H * 100L - 2 * pad;
		if (z->ms > W * 100L * 30 / 100)
			z->ms = W * 100L * 30 / 100;
		z->mx = pad;
		z->my = (H * 100L - z->ms) / 2;
		z->tx = z->ms >= 1200 ? 2 * pad + z->ms : pad;
		z->ty = pad;
		z->tw = W * 100L - z->tx - pad;
		z->th = H * 100L - 2 * pad;
	} else {
		z->ms = (H * 100L - 3 * pad) * 35 / 100;
		if (z->ms > W * 100L - 2 * pad)
			z->ms = W * 100L - 2 * pad;
		z->mx = (W * 100L - z->ms) / 2;
		z->my = H * 100L - pad - z->ms;
		z->tx = pad;
		z->ty = pad;
		z->tw = W * 100L - 2 * pad;
		z->th = H * 100L - (z->ms >= 1200 ? 3 * pad + z->ms : 2 * pad);
	}
	if (z->ms < 1200)
		z->ms = 0;
}

/* The largest size (hundredths of a point, 24 pt down) at which the
 * text fills the zone: its lines as they are down to 8 pt, else wrapped
 * down to 4 pt; 0 when even that does not fit. */
static long
fit(const struct ttf *t, const char *text, size_t tl, const struct zones *z,
    struct layout *L)
{
	long size;
	int may_break;

	for (may_break = 0; may_break < 2; may_break++)
		for (size = 2400; size >= (may_break ? 400 : 800); size -= 25) {
			long lead = size * 12 / 10;

			if (wrap(t, text, tl, z->tw * 1000 / size, may_break,
				L) == 0 &&
			    (long)L->n * lead <= z->th)
				return size;
		}
	return 0;
}

int
stamp_build(struct rev *v, const struct stamp_spec *sp, int64_t *ap_num,
    const char **why)
{
	struct ttf *t = NULL;
	struct glyphs *u = NULL;
	struct buf *content = NULL, *tu = NULL, *ff = NULL, *tmp = NULL;
	struct buf *sub = NULL;
	struct pdf_obj *d = NULL, *a = NULL, *wa = NULL;
	struct layout *L = NULL;
	struct zones z;
	size_t i, k;
	long size, lead, y;
	int asc, desc, bbox[4], r, W, H, iw = 0, ih = 0;
	int64_t n_ap, n_t0, n_cid, n_fd, n_ff, n_tu, n_im = -1;
	const char *fp = sp->font ? sp->font : STAMP_DEFAULT_FONT;
	const char *text = sp->text;
	size_t tl = strlen(text);
	char fname[80];

	font_name(fp, fname, sizeof(fname));

	*why = N_("out of memory");
	if (tl > STAMP_MAX_TEXT) {
		*why = N_("the stamp text is too long");
		return KYSO_ERR_TOO_LARGE;
	}
	if (sp->w < 20 || sp->h < 10 || sp->w > 2000 || sp->h > 2000) {
		*why = N_("the stamp rectangle is too small or too large");
		return KYSO_ERR_INVALID;
	}
	/* On a page turned by /Rotate the box is laid out as the reader
	 * sees it, and the /Matrix below turns it back. */
	W = sp->rotate == 90 || sp->rotate == 270 ? sp->h : sp->w;
	H = sp->rotate == 90 || sp->rotate == 270 ? sp->w : sp->h;
	if ((r = ttf_open(fp, &t)) != 0) {
		*why = N_("cannot read the stamp's TrueType font");
		return r;
	}
	ttf_metrics(t, &asc, &desc, bbox);
	r = KYSO_ERR_NOMEM;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (L = calloc(1, sizeof(*L))) == NULL ||
	    (content = buf_new(0)) == NULL || (tu = buf_new(0)) == NULL)
		goto out;
	/* The glyphs used. */
	for (k = 0; k < tl;) {
		uint32_t cp;

		k += utf8_next(text, tl, k, &cp);
		if (cp != '\n' && (r = used_add(u, ttf_glyph(t, cp), cp)) != 0)
			goto out;
	}
	place(W, H, &z);
	if ((size = fit(t, text, tl, &z, L)) == 0) {
		r = KYSO_ERR_INVALID;
		*why = N_("the stamp text does not fit in the rectangle");
		goto out;
	}
	if (sp->image != NULL &&
	    (r = stamp_image_add(v, sp->image, &n_im, &iw, &ih, why)) != 0)
		goto out;
	lead = size * 12 / 10;
	/* The block of lines centred in the text zone. */
	y = z.ty + z.th - (z.th - (long)L->n * lead) / 2 - (lead - size) / 2 -
	    size * asc / 1000;
	if ((r = buf_putf(content,
		 "q 0.97 0.99 0.97 rg 0 0 %d %d re f 0.13 0.55 0.25 RG 1 w "
		 "0.5 0.5 %d %d re S Q\n",
		 W, H, W - 1, H - 1)) != 0)
		goto out;
	if (z.ms > 0 && n_im >= 0)
		r = put_image(content, z.mx, z.my, z.ms, iw, ih);
	else if (z.ms > 0)
		r = put_check(content, z.mx, z.my, z.ms);
	if (r != 0 || (r = buf_putf(content, "BT 0.05 0.15 0.4 rg /F1 ")) != 0 ||
	    (r = put_fixed(content, size)) != 0 ||
	    (r = buf_putf(content, " Tf ")) != 0 ||
	    (r = put_fixed(content, lead)) != 0 ||
	    (r = buf_putf(content, " TL ")) != 0 ||
	    (r = put_pt(content, z.tx, y, "Td")) != 0)
		goto out;
	for (i = 0; i < L->n; i++) {
		if ((r = buf_put_u8(content, '<')) != 0)
			goto out;
		for (k = L->start[i]; k < L->start[i] + L->len[i];) {
			uint32_t cp;

			k += utf8_next(text, L->start[i] + L->len[i], k, &cp);
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
		int bb[4] = { 0, 0, W, H };
		/* The page's /Rotate turned back: [cos sin -sin cos 0 0]. */
		static const int turn[4][6] = { { 1, 0, 0, 1, 0, 0 },
			{ 0, 1, -1, 0, 0, 0 }, { -1, 0, 0, -1, 0, 0 },
			{ 0, -1, 1, 0, 0, 0 } };

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
		if (n_im >= 0) {
			struct pdf_obj *xo = pdf_obj_new(PDF_DICT);

			if (xo == NULL ||
			    (r = set(xo, "Im1", pdf_ref_new(n_im, 0))) != 0 ||
			    (r = set(res, "XObject", xo)) != 0) {
				if (xo == NULL)
					r = KYSO_ERR_NOMEM;
				pdf_obj_free(res);
				goto out;
			}
		}
		if (sp->rotate % 90 == 0 && sp->rotate > 0 && sp->rotate < 360) {
			struct pdf_obj *mx = int_array(turn[sp->rotate / 90], 6);

			if (mx == NULL || (r = set(d, "Matrix", mx)) != 0) {
				if (mx == NULL)
					r = KYSO_ERR_NOMEM;
				pdf_obj_free(res);
				goto out;
			}
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
	free(L);
	ttf_free(t);
	return r;
}
