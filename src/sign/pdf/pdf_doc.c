/* Reading a PDF: the cross-reference chain and the objects it points to. */
#include "common/i18n.h"
#include "sign/pdf/pdf.h"

#include <stdlib.h>
#include <string.h>

#include "sign/pdf/pdf_crypt.h"
#include "sign/pdf/pdf_filter.h"
#include "sign/pdf/pdf_lex.h"

enum { X_UNSET, X_FREE, X_OFFSET, X_COMPRESSED };

struct xent {
	uint8_t type;
	uint16_t gen;
	uint32_t idx; /* X_COMPRESSED: index in the object stream */
	uint64_t off; /* X_OFFSET: byte offset; X_COMPRESSED: stream num */
};

/* A decoded object stream, kept while the document is open. */
struct objstm {
	int64_t num;
	struct buf *data;
	size_t first;
	size_t n;
	uint64_t *nums; /* n object numbers */
	uint64_t *offs; /* n offsets after first */
};

#define OBJSTM_CACHE 16
#define MAX_DEPTH    8 /* nested lookups (a /Length in an ObjStm...) */

struct pdf {
	const uint8_t *d;
	size_t len;
	struct xent *x;
	size_t nx;   /* room in x */
	size_t used; /* 1 + the highest number any section names */
	size_t max_obj;
	struct pdf_obj *trailer;
	uint64_t startxref;
	int xref_stream;
	struct objstm cache[OBJSTM_CACHE];
	size_t cache_next;
	int depth;
	const char *why;
	uint64_t xref_nums[64]; /* object numbers of xref streams read */
	size_t nxref_nums;
	int64_t *newest; /* objects the newest section defines */
	size_t nnewest;
	int64_t *freed; /* numbers (not 0) it marks free */
	size_t nfreed;
	struct pdf_crypt *crypt; /* an owner-password-only file's handler */
	int64_t enc_num; /* its /Encrypt object (not encrypted), or -1 */
};

/* Entries of one section, applied after it is read: in-use entries win
 * over older sections, free entries mask older ones. */
struct section {
	struct xent *e;
	uint64_t *num;
	size_t n, alloc;
};

static int get_obj(struct pdf *pdf, int64_t num, struct pdf_obj **out);

const uint8_t *
pdf_data(const struct pdf *pdf)
{
	return pdf->d;
}
size_t
pdf_len(const struct pdf *pdf)
{
	return pdf->len;
}
const struct pdf_obj *
pdf_trailer(const struct pdf *pdf)
{
	return pdf->trailer;
}
uint64_t
pdf_startxref(const struct pdf *pdf)
{
	return pdf->startxref;
}
int
pdf_xref_is_stream(const struct pdf *pdf)
{
	return pdf->xref_stream;
}

int64_t
pdf_next_num(const struct pdf *pdf)
{
	const struct pdf_obj *size = pdf_dict_get(pdf->trailer, "Size");
	int64_t n = (int64_t)pdf->used;

	if (size != NULL && size->type == PDF_INT && size->i > n)
		n = size->i;
	return n < 1 ? 1 : n;
}

uint32_t
pdf_gen(const struct pdf *pdf, int64_t num)
{
	if (num < 0 || (uint64_t)num >= pdf->nx || pdf->x[num].type != X_OFFSET)
		return 0;
	return pdf->x[num].gen;
}

static void
section_clear(struct section *s)
{
	free(s->e);
	free(s->num);
	memset(s, 0, sizeof(*s));
}

static int
section_add(struct pdf *pdf, struct section *s, uint64_t num,
    const struct xent *e)
{
	if (num >= pdf->max_obj)
		return KYSO_ERR_TOO_LARGE;
	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 64;
		struct xent *ne;
		uint64_t *nn;

		if ((ne = realloc(s->e, na * sizeof(*ne))) == NULL)
			return KYSO_ERR_NOMEM;
		s->e = ne;
		if ((nn = realloc(s->num, na * sizeof(*nn))) == NULL)
			return KYSO_ERR_NOMEM;
		s->num = nn;
		s->alloc = na;
	}
	s->e[s->n] = *e;
	s->num[s->n++] = num;
	return 0;
}

static int
grow_xref(struct pdf *pdf, uint64_t num)
{
	size_t nn;
	struct xent *nx;

	if (num < pdf->nx)
		return 0;
	nn = pdf->nx ? pdf->nx : 64;
	while (nn <= num)
		nn *= 2;
	if (nn > pdf->max_obj)
		nn = pdf->max_obj;
	if ((nx = realloc(pdf->x, nn * sizeof(*nx))) == NULL)
		return KYSO_ERR_NOMEM;
	memset(nx + pdf->nx, 0, (nn - pdf->nx) * sizeof(*nx));
	pdf->x = nx;
	pdf->nx = nn;
	return 0;
}

/* pass 0: in-use entries; pass 1: free entries. */
static int
section_apply(struct pdf *pdf, const struct section *s, int pass)
{
	size_t i;
	int r;

	for (i = 0; i < s->n; i++) {
		int is_free = s->e[i].type == X_FREE;

		if (is_free != pass)
			continue;
		if ((r = grow_xref(pdf, s->num[i])) != 0)
			return r;
		if (s->num[i] >= pdf->used)
			pdf->used = (size_t)s->num[i] + 1;
		if (pdf->x[s->num[i]].type == X_UNSET)
			pdf->x[s->num[i]] = s->e[i];
	}
	return 0;
}

/* A classic table: "xref" then subsections "start count" of 20-byte
 * entries, read leniently token by token, then "trailer" and a dict. */
static int
read_table(struct pdf *pdf, struct pdf_lex *lx, struct section *s,
    struct pdf_obj **trailer)
{
	uint64_t start, count, i, off, gen;
	struct xent e;
	int r;

	for (;;) {
		if (pdf_lex_keyword(lx, "trailer"))
			break;
		if (pdf_lex_uint(lx, &start) != 0 ||
		    pdf_lex_uint(lx, &count) != 0) {
			pdf->why = N_("a cross-reference table is damaged");
			return KYSO_ERR_CORRUPT;
		}
		if (count > (lx->len - lx->pos) / 18 + 1 ||
		    start > pdf->max_obj || count > pdf->max_obj - start) {
			pdf->why = N_(
			    "a cross-reference table claims more entries than the file holds");
			return KYSO_ERR_CORRUPT;
		}
		for (i = 0; i < count; i++) {
			memset(&e, 0, sizeof(e));
			if (pdf_lex_uint(lx, &off) != 0 ||
			    pdf_lex_uint(lx, &gen) != 0 || gen > 65535) {
				pdf->why = N_(
				    "a cross-reference entry is damaged");
				return KYSO_ERR_CORRUPT;
			}
			if (pdf_lex_keyword(lx, "n")) {
				e.type = off == 0 ? X_FREE : X_OFFSET;
			} else if (pdf_lex_keyword(lx, "f")) {
				e.type = X_FREE;
			} else {
				pdf->why = N_(
				    "a cross-reference entry is damaged");
				return KYSO_ERR_CORRUPT;
			}
			if (e.type == X_OFFSET && off >= pdf->len) {
				pdf->why = N_(
				    "a cross-reference entry points past the end of the file");
				return KYSO_ERR_CORRUPT;
			}
			/* Entries are 20 bytes; some writers add junk
			 * before the end of the line. */
			while (lx->pos < lx->len && lx->p[lx->pos] != '\n' &&
			    lx->p[lx->pos] != '\r')
				lx->pos++;
			e.gen = (uint16_t)gen;
			e.off = off;
			if ((r = section_add(pdf, s, start + i, &e)) != 0)
				return r;
		}
	}
	if ((r = pdf_parse_obj(lx, trailer)) != 0 ||
	    (*trailer)->type != PDF_DICT) {
		if (r == 0)
			pdf_obj_free(*trailer);
		*trailer = NULL;
		pdf->why = N_("the trailer dictionary is damaged");
		return KYSO_ERR_CORRUPT;
	}
	return 0;
}

/* Parses "num gen obj <value> [stream ... endstream]" at off. */
static int
parse_indirect(struct pdf *pdf, uint64_t off, int64_t want, struct pdf_obj **out)
{
	struct pdf_lex lx = { pdf->d, pdf->len, (size_t)off };
	struct pdf_obj *o = NULL, *len_obj = NULL;
	uint64_t num, gen, dlen = 0;
	const struct pdf_obj *l;
	int r = KYSO_ERR_CORRUPT;

	if (off >= pdf->len || pdf_parse_obj_header(&lx, &num, &gen) != 0 ||
	    (want >= 0 && num != (uint64_t)want)) {
		pdf->why = N_("an object is not where the cross-reference says");
		return KYSO_ERR_CORRUPT;
	}
	if ((r = pdf_parse_obj(&lx, &o)) != 0) {
		pdf->why = N_("an object is damaged");
		return r == KYSO_ERR_NOMEM ? r : KYSO_ERR_CORRUPT;
	}
	if (o->type == PDF_DICT && pdf_lex_keyword(&lx, "stream")) {
		size_t dstart;

		/* The keyword ends with CRLF or LF (a lone CR is tolerated). */
		if (lx.pos < lx.len && lx.p[lx.pos] == '\r')
			lx.pos++;
		if (lx.pos < lx.len && lx.p[lx.pos] == '\n')
			lx.pos++;
		dstart = lx.pos;
		l = pdf_dict_get(o, "Length");
		if (l != NULL && l->type == PDF_REF) {
			if (pdf->depth >= MAX_DEPTH || (int64_t)num == l->i) {
				r = KYSO_ERR_CORRUPT;
				pdf->why = N_(
				    "a stream length cannot be resolved");
				goto out;
			}
			if ((r = get_obj(pdf, l->i, &len_obj)) != 0)
				goto out;
			l = len_obj;
		}
		if (l != NULL && l->type == PDF_INT && l->i >= 0 &&
		    (uint64_t)l->i <= pdf->len - dstart) {
			struct pdf_lex e = { pdf->d, pdf->len,
				dstart + (size_t)l->i };

			dlen = (uint64_t)l->i;
			if (!pdf_lex_keyword(&e, "endstream"))
				l = NULL;
		} else {
			l = NULL;
		}
		if (l == NULL) {
			/* A wrong /Length: the data ends before "endstream". */
			const uint8_t *p = memmem(pdf->d + dstart,
			    pdf->len - dstart, "endstream", 9);

			if (p == NULL) {
				r = KYSO_ERR_CORRUPT;
				pdf->why = N_("a stream has no end");
				goto out;
			}
			dlen = (uint64_t)(p - (pdf->d + dstart));
			while (dlen > 0 &&
			    (pdf->d[dstart + dlen - 1] == '\n' ||
				pdf->d[dstart + dlen - 1] == '\r'))
				dlen--;
		}
		o->type = PDF_STREAM;
		o->i = (int64_t)num; /* the key of its data when encrypted */
		o->gen = (uint32_t)gen;
		o->data_off = dstart;
		o->data_len = dlen;
	}
	*out = o;
	o = NULL;
	r = 0;
out:
	pdf_obj_free(o);
	pdf_obj_free(len_obj);
	return r;
}

static int64_t
int_or(const struct pdf_obj *o, int64_t def)
{
	return o != NULL && o->type == PDF_INT ? o->i : def;
}

/* A cross-reference stream's entries; its dictionary is the trailer. */
static int
read_xref_stream(struct pdf *pdf, uint64_t off, struct section *s,
    struct pdf_obj **trailer)
{
	struct pdf_obj *o = NULL;
	struct buf *data = NULL;
	const struct pdf_obj *w, *index;
	uint64_t wv[3], size;
	size_t i, k, pos, rowlen;
	int r;

	if ((r = parse_indirect(pdf, off, -1, &o)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	{
		struct pdf_lex hl = { pdf->d, pdf->len, (size_t)off };
		uint64_t hn, hg;

		if (pdf_parse_obj_header(&hl, &hn, &hg) == 0 &&
		    pdf->nxref_nums <
			sizeof(pdf->xref_nums) / sizeof(pdf->xref_nums[0]))
			pdf->xref_nums[pdf->nxref_nums++] = hn;
	}
	if (o->type != PDF_STREAM ||
	    !pdf_name_is(pdf_dict_get(o, "Type"), "XRef")) {
		pdf->why = N_(
		    "no cross-reference where startxref or /Prev points");
		goto out;
	}
	w = pdf_dict_get(o, "W");
	if (w == NULL || w->type != PDF_ARRAY || w->count != 3) {
		pdf->why = N_("a cross-reference stream has no valid /W");
		goto out;
	}
	rowlen = 0;
	for (i = 0; i < 3; i++) {
		int64_t v = int_or(w->items[i], -1);

		if (v < 0 || v > 8) {
			pdf->why = N_("a cross-reference stream has no valid /W");
			goto out;
		}
		wv[i] = (uint64_t)v;
		rowlen += (size_t)v;
	}
	if (rowlen == 0) {
		pdf->why = N_("a cross-reference stream has no valid /W");
		goto out;
	}
	size = (uint64_t)int_or(pdf_dict_get(o, "Size"), 0);
	if ((r = pdf_filter_decode(o, pdf->d + o->data_off, (size_t)o->data_len,
		 PDF_MAX_DECODED, &data)) != 0) {
		pdf->why = N_("a cross-reference stream cannot be decoded");
		r = r == KYSO_ERR_NOMEM ? r : KYSO_ERR_CORRUPT;
		goto out;
	}
	r = KYSO_ERR_CORRUPT;
	index = pdf_dict_get(o, "Index");
	if (index != NULL && (index->type != PDF_ARRAY || index->count % 2)) {
		pdf->why = N_("a cross-reference stream has a bad /Index");
		goto out;
	}
	pos = 0;
	for (k = 0; k < (index ? index->count : 2); k += 2) {
		int64_t start = index ? int_or(index->items[k], -1) : 0;
		int64_t count = index ? int_or(index->items[k + 1], -1)
				      : (int64_t)size;
		int64_t j;

		if (start < 0 || count < 0 || (uint64_t)start > pdf->max_obj ||
		    (uint64_t)count > pdf->max_obj - (uint64_t)start) {
			pdf->why = N_(
			    "a cross-reference stream has a bad /Index");
			goto out;
		}
		for (j = 0; j < count; j++) {
			const uint8_t *row = buf_ptr(data) + pos;
			uint64_t f[3] = { 1, 0, 0 };
			struct xent e;
			size_t c = 0;

			if (buf_len(data) - pos < rowlen)
				break; /* fewer rows than /Index: tolerated */
			for (i = 0; i < 3; i++) {
				uint64_t v = 0, b;

				if (wv[i] == 0)
					continue;
				for (b = 0; b < wv[i]; b++)
					v = v << 8 | row[c++];
				f[i] = v;
			}
			pos += rowlen;
			memset(&e, 0, sizeof(e));
			if (f[0] == 0) {
				e.type = X_FREE;
			} else if (f[0] == 1) {
				if (f[1] == 0 || f[1] >= pdf->len)
					e.type = X_FREE;
				else
					e.type = X_OFFSET;
				e.off = f[1];
				e.gen = f[2] > 65535 ? 65535 : (uint16_t)f[2];
			} else if (f[0] == 2) {
				e.type = X_COMPRESSED;
				e.off = f[1];
				if (f[2] > UINT32_MAX) {
					pdf->why = N_(
					    "a cross-reference stream entry is damaged");
					goto out;
				}
				e.idx = (uint32_t)f[2];
			} else {
				continue; /* unknown types are null objects */
			}
			if ((r = section_add(pdf, s, (uint64_t)(start + j), &e)) !=
			    0)
				goto out;
			r = KYSO_ERR_CORRUPT;
		}
	}
	pdf_dict_del(o, "Filter");
	pdf_dict_del(o, "DecodeParms");
	o->type = PDF_DICT;
	*trailer = o;
	o = NULL;
	r = 0;
out:
	pdf_obj_free(o);
	buf_free(data);
	return r;
}

/* Reads the section at off; *prev gets /Prev or -1. */
static int
read_section(struct pdf *pdf, uint64_t off, int newest, int64_t *prev)
{
	struct pdf_lex lx = { pdf->d, pdf->len, (size_t)off };
	struct section s = { 0 }, hs = { 0 };
	struct pdf_obj *trailer = NULL, *htrailer = NULL;
	const struct pdf_obj *p, *xs;
	int r, is_stream = 0;

	if (off >= pdf->len) {
		pdf->why = N_(
		    "a cross-reference offset points past the end of the file");
		return KYSO_ERR_CORRUPT;
	}
	if (pdf_lex_keyword(&lx, "xref")) {
		if ((r = read_table(pdf, &lx, &s, &trailer)) != 0)
			goto out;
		xs = pdf_dict_get(trailer, "XRefStm");
		if (xs != NULL && xs->type == PDF_INT && xs->i > 0) {
			/* A hybrid file: the stream's entries come after
			 * the table's. */
			if ((r = read_xref_stream(pdf, (uint64_t)xs->i, &hs,
				 &htrailer)) != 0)
				goto out;
		}
	} else {
		if ((r = read_xref_stream(pdf, off, &s, &trailer)) != 0)
			goto out;
		is_stream = 1;
	}
	if ((r = section_apply(pdf, &s, 0)) != 0 ||
	    (r = section_apply(pdf, &hs, 0)) != 0 ||
	    (r = section_apply(pdf, &s, 1)) != 0 ||
	    (r = section_apply(pdf, &hs, 1)) != 0)
		goto out;
	p = pdf_dict_get(trailer, "Prev");
	*prev = p != NULL && p->type == PDF_INT && p->i >= 0 ? p->i : -1;
	if (p != NULL && *prev < 0 && p->type != PDF_NULL) {
		r = KYSO_ERR_CORRUPT;
		pdf->why = N_("a trailer has a bad /Prev");
		goto out;
	}
	if (newest) {
		size_t k, total = s.n + hs.n;

		if ((pdf->newest = calloc(total + 1, sizeof(*pdf->newest))) ==
			NULL ||
		    (pdf->freed = calloc(total + 1, sizeof(*pdf->freed))) ==
			NULL) {
			r = KYSO_ERR_NOMEM;
			goto out;
		}
		for (k = 0; k < total; k++) {
			const struct section *from = k < s.n ? &s : &hs;
			size_t j = k < s.n ? k : k - s.n;

			if (from->e[j].type != X_FREE)
				pdf->newest[pdf->nnewest++] = (int64_t)from->num[j];
			else if (from->num[j] != 0)
				pdf->freed[pdf->nfreed++] = (int64_t)from->num[j];
		}
		pdf->trailer = trailer;
		pdf->xref_stream = is_stream;
		trailer = NULL;
	}
	r = 0;
out:
	if (r == KYSO_ERR_TOO_LARGE) {
		r = KYSO_ERR_CORRUPT;
		pdf->why = N_(
		    "a cross-reference section names impossible object numbers");
	}
	section_clear(&s);
	section_clear(&hs);
	pdf_obj_free(trailer);
	pdf_obj_free(htrailer);
	return r;
}

static int
find_startxref(struct pdf *pdf, uint64_t *off)
{
	size_t from = pdf->len > 4096 ? pdf->len - 4096 : 0, i;
	struct pdf_lex lx;

	for (i = pdf->len >= 9 ? pdf->len - 9 + 1 : 0; i-- > from;) {
		if (memcmp(pdf->d + i, "startxref", 9) == 0) {
			lx.p = pdf->d;
			lx.len = pdf->len;
			lx.pos = i + 9;
			if (pdf_lex_uint(&lx, off) != 0)
				break;
			return 0;
		}
	}
	pdf->why = N_("the file has no valid startxref at its end");
	return KYSO_ERR_CORRUPT;
}

/* An encrypted file opens when it has an owner password only: its
 * handler is kept, to decrypt what is read and encrypt what an update
 * writes. Else why it is refused, in the words of what its author set. */
static const char *
open_encrypted(struct pdf *pdf)
{
	const struct pdf_obj *id = pdf_dict_get(pdf->trailer, "ID"),
			     *ref = pdf_dict_get(pdf->trailer, "Encrypt");
	struct pdf_obj *enc = NULL;
	enum pdf_crypt_kind k = PDF_CRYPT_UNKNOWN;

	if (ref->type == PDF_REF)
		pdf->enc_num = ref->i;
	if (pdf_resolve(pdf, ref, &enc) == 0)
		k = pdf_crypt_open(enc,
		    id != NULL && id->type == PDF_ARRAY && id->count > 0
			? id->items[0]
			: NULL,
		    &pdf->crypt);
	pdf_obj_free(enc);
	if (k == PDF_CRYPT_OWNER_ONLY && pdf->crypt != NULL)
		return NULL;
	if (k == PDF_CRYPT_USER_PASSWORD)
		return N_("the file is encrypted with a password to open it; "
			  "kyso-sign does not sign password-protected PDFs");
	if (k == PDF_CRYPT_OWNER_ONLY)
		return N_("out of memory");
	return N_("the file is encrypted with a security handler or "
		  "revision kyso-sign does not know (only the standard "
		  "handler, RC4 and AES, revisions 2 to 6)");
}

const struct pdf_crypt *
pdf_crypt_of(const struct pdf *pdf)
{
	return pdf->crypt;
}

int
pdf_open(const uint8_t *data, size_t len, struct pdf **out, const char **why)
{
	struct pdf *pdf = NULL;
	struct pdf_obj *root = NULL;
	uint64_t *seen = NULL, off;
	size_t nseen = 0, k;
	int64_t prev = -1;
	int r = KYSO_ERR_INTERNAL;
	const char *msg = "out of memory";

	if ((pdf = calloc(1, sizeof(*pdf))) == NULL ||
	    (seen = calloc(PDF_MAX_SECTIONS, sizeof(*seen))) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	pdf->d = data;
	pdf->len = len;
	pdf->enc_num = -1;
	pdf->why = N_("the file is damaged");
	/* Object numbers are bounded by what the file could hold. */
	pdf->max_obj = len + 1024 < (size_t)1 << 23 ? len + 1024
						    : (size_t)1 << 23;
	if (len < 8 || memmem(data, len < 1024 ? len : 1024, "%PDF-", 5) == NULL) {
		r = KYSO_ERR_INVALID;
		pdf->why = N_("not a PDF file (no %PDF- header)");
		goto fail;
	}
	if ((r = find_startxref(pdf, &off)) != 0)
		goto fail;
	for (;;) {
		for (k = 0; k < nseen; k++) {
			if (seen[k] == off) {
				r = KYSO_ERR_CORRUPT;
				pdf->why = N_(
				    "the cross-reference sections form a loop");
				goto fail;
			}
		}
		if (nseen == PDF_MAX_SECTIONS) {
			r = KYSO_ERR_CORRUPT;
			pdf->why = N_("too many cross-reference sections");
			goto fail;
		}
		seen[nseen++] = off;
		if ((r = read_section(pdf, off, nseen == 1, &prev)) != 0)
			goto fail;
		if (nseen == 1)
			pdf->startxref = off;
		if (prev < 0)
			break;
		off = (uint64_t)prev;
	}
	if (pdf_dict_get(pdf->trailer, "Encrypt") != NULL &&
	    pdf_dict_get(pdf->trailer, "Encrypt")->type != PDF_NULL) {
		if ((pdf->why = open_encrypted(pdf)) != NULL) {
			r = KYSO_ERR_UNSUPPORTED;
			goto fail;
		}
	}
	if (pdf_dict_get(pdf->trailer, "Root") == NULL ||
	    pdf_dict_get(pdf->trailer, "Root")->type != PDF_REF ||
	    get_obj(pdf, pdf_dict_get(pdf->trailer, "Root")->i, &root) != 0 ||
	    root->type != PDF_DICT) {
		r = KYSO_ERR_CORRUPT;
		pdf->why = N_(
		    "the document catalog (/Root) is missing or damaged");
		goto fail;
	}
	*out = pdf;
	pdf = NULL;
	r = 0;
	goto out;
fail:
	msg = pdf->why;
out:
	if (r != 0 && why != NULL)
		*why = msg;
	pdf_obj_free(root);
	free(seen);
	pdf_free(pdf);
	return r;
}

void
pdf_free(struct pdf *pdf)
{
	size_t i;

	if (pdf == NULL)
		return;
	for (i = 0; i < OBJSTM_CACHE; i++) {
		buf_free(pdf->cache[i].data);
		free(pdf->cache[i].nums);
		free(pdf->cache[i].offs);
	}
	pdf_obj_free(pdf->trailer);
	pdf_crypt_free(pdf->crypt);
	free(pdf->newest);
	free(pdf->freed);
	free(pdf->x);
	free(pdf);
}

int
pdf_stream_decode(struct pdf *pdf, const struct pdf_obj *stream, size_t cap,
    struct buf **out)
{
	struct buf *plain = NULL;
	int r;

	if (stream == NULL || stream->type != PDF_STREAM ||
	    stream->data_off > pdf->len ||
	    stream->data_len > pdf->len - stream->data_off)
		return KYSO_ERR_INVALID;
	if (pdf->crypt == NULL)
		return pdf_filter_decode(stream, pdf->d + stream->data_off,
		    (size_t)stream->data_len, cap, out);
	if ((r = pdf_crypt_bytes(pdf->crypt, stream->i, stream->gen, 0, 1,
		 pdf_name_is(pdf_dict_get(stream, "Type"), "Metadata"),
		 pdf->d + stream->data_off, (size_t)stream->data_len, &plain)) !=
	    0)
		return r;
	r = pdf_filter_decode(stream, buf_ptr(plain), buf_len(plain), cap, out);
	buf_free(plain);
	return r;
}

static int
load_objstm(struct pdf *pdf, int64_t num, struct objstm **out)
{
	struct objstm *c;
	struct pdf_obj *o = NULL;
	struct buf *data = NULL;
	uint64_t *nums = NULL, *offs = NULL;
	int64_t n, first;
	size_t i;
	int r;

	for (i = 0; i < OBJSTM_CACHE; i++) {
		if (pdf->cache[i].data != NULL && pdf->cache[i].num == num) {
			*out = &pdf->cache[i];
			return 0;
		}
	}
	if (num < 0 || (uint64_t)num >= pdf->nx || pdf->x[num].type != X_OFFSET) {
		pdf->why = N_("an object stream is missing");
		return KYSO_ERR_CORRUPT;
	}
	if ((r = parse_indirect(pdf, pdf->x[num].off, num, &o)) != 0)
		goto out;
	r = KYSO_ERR_CORRUPT;
	n = int_or(pdf_dict_get(o, "N"), -1);
	first = int_or(pdf_dict_get(o, "First"), -1);
	if (o->type != PDF_STREAM || n < 0 || first < 0 || n > 1000000) {
		pdf->why = N_("an object stream is damaged");
		goto out;
	}
	if ((r = pdf_stream_decode(pdf, o, PDF_MAX_DECODED, &data)) != 0) {
		pdf->why = N_("an object stream cannot be decoded");
		r = r == KYSO_ERR_NOMEM ? r : KYSO_ERR_CORRUPT;
		goto out;
	}
	r = KYSO_ERR_CORRUPT;
	if ((uint64_t)first > buf_len(data) ||
	    (uint64_t)n > buf_len(data) / 2 + 1) {
		pdf->why = N_("an object stream is damaged");
		goto out;
	}
	if ((nums = calloc((size_t)n + 1, sizeof(*nums))) == NULL ||
	    (offs = calloc((size_t)n + 1, sizeof(*offs))) == NULL) {
		r = KYSO_ERR_NOMEM;
		goto out;
	}
	{
		struct pdf_lex lx = { buf_ptr(data), (size_t)first, 0 };

		for (i = 0; i < (size_t)n; i++) {
			if (pdf_lex_uint(&lx, &nums[i]) != 0 ||
			    pdf_lex_uint(&lx, &offs[i]) != 0) {
				pdf->why = N_(
				    "an object stream's header is damaged");
				goto out;
			}
		}
	}
	c = &pdf->cache[pdf->cache_next];
	pdf->cache_next = (pdf->cache_next + 1) % OBJSTM_CACHE;
	buf_free(c->data);
	free(c->nums);
	free(c->offs);
	c->num = num;
	c->data = data;
	c->first = (size_t)first;
	c->n = (size_t)n;
	c->nums = nums;
	c->offs = offs;
	data = NULL;
	nums = offs = NULL;
	*out = c;
	r = 0;
out:
	pdf_obj_free(o);
	buf_free(data);
	free(nums);
	free(offs);
	return r;
}

static int
get_compressed(struct pdf *pdf, int64_t num, const struct xent *e,
    struct pdf_obj **out)
{
	struct objstm *c;
	struct pdf_lex lx;
	size_t i;
	int r;

	if (e->off > INT64_MAX || (int64_t)e->off == num) {
		pdf->why = N_("an object stream contains itself");
		return KYSO_ERR_CORRUPT;
	}
	if ((r = load_objstm(pdf, (int64_t)e->off, &c)) != 0)
		return r;
	i = e->idx;
	/* Writers agree on the index; fall back to a search by number. */
	if (i >= c->n || c->nums[i] != (uint64_t)num)
		for (i = 0; i < c->n && c->nums[i] != (uint64_t)num; i++)
			;
	if (i >= c->n || c->offs[i] > buf_len(c->data) - c->first) {
		pdf->why = N_("an object is missing from its object stream");
		return KYSO_ERR_CORRUPT;
	}
	lx.p = buf_ptr(c->data);
	lx.len = buf_len(c->data);
	lx.pos = c->first + (size_t)c->offs[i];
	if ((r = pdf_parse_obj(&lx, out)) != 0) {
		pdf->why = N_("an object in an object stream is damaged");
		return r == KYSO_ERR_NOMEM ? r : KYSO_ERR_CORRUPT;
	}
	return 0;
}

static int
is_xref_stream(const struct pdf *pdf, int64_t num)
{
	size_t k;

	for (k = 0; k < pdf->nxref_nums; k++)
		if ((int64_t)pdf->xref_nums[k] == num)
			return 1;
	return 0;
}

static int
get_obj(struct pdf *pdf, int64_t num, struct pdf_obj **out)
{
	struct xent e;
	int r;

	if (num < 0 || (uint64_t)num >= pdf->nx ||
	    pdf->x[num].type == X_UNSET || pdf->x[num].type == X_FREE) {
		*out = pdf_obj_new(PDF_NULL);
		return *out == NULL ? KYSO_ERR_NOMEM : 0;
	}
	if (pdf->depth >= MAX_DEPTH) {
		pdf->why = N_("objects refer to each other too deeply");
		return KYSO_ERR_CORRUPT;
	}
	e = pdf->x[num];
	pdf->depth++;
	if (e.type == X_OFFSET)
		r = parse_indirect(pdf, e.off, num, out);
	else
		r = get_compressed(pdf, num, &e, out);
	pdf->depth--;
	/* Strings are encrypted with their object's key; an object stream's
	 * objects were decrypted with the stream; /Encrypt is not. */
	if (r == 0 && pdf->crypt != NULL && e.type == X_OFFSET &&
	    num != pdf->enc_num && !is_xref_stream(pdf, num) &&
	    (r = pdf_crypt_obj(pdf->crypt, num, e.gen, 0, *out)) != 0) {
		pdf_obj_free(*out);
		*out = NULL;
		pdf->why = N_("an encrypted object cannot be decrypted");
	}
	return r;
}

int
pdf_get(struct pdf *pdf, int64_t num, struct pdf_obj **out)
{
	return get_obj(pdf, num, out);
}

int
pdf_resolve(struct pdf *pdf, const struct pdf_obj *o, struct pdf_obj **out)
{
	if (o == NULL) {
		*out = pdf_obj_new(PDF_NULL);
		return *out == NULL ? KYSO_ERR_NOMEM : 0;
	}
	if (o->type == PDF_REF)
		return get_obj(pdf, o->i, out);
	*out = pdf_obj_dup(o);
	return *out == NULL ? KYSO_ERR_NOMEM : 0;
}

const int64_t *
pdf_newest_freed(const struct pdf *pdf, size_t *n)
{
	*n = pdf->nfreed;
	return pdf->freed;
}

const int64_t *
pdf_newest_nums(const struct pdf *pdf, size_t *n)
{
	*n = pdf->nnewest;
	return pdf->newest;
}

int
pdf_check_xref(const struct pdf *pdf, int64_t *bad)
{
	size_t i, k;

	for (i = 0; i < pdf->nx; i++) {
		struct pdf_lex lx = { pdf->d, pdf->len, 0 };
		uint64_t num, gen;
		int skip = 0;

		if (pdf->x[i].type != X_OFFSET)
			continue;
		/* Writers often get their own xref stream's entry wrong; no
		 * one refers to it. */
		for (k = 0; k < pdf->nxref_nums; k++)
			if (pdf->xref_nums[k] == i)
				skip = 1;
		if (skip)
			continue;
		lx.pos = (size_t)pdf->x[i].off;
		if (pdf_parse_obj_header(&lx, &num, &gen) != 0 || num != i) {
			*bad = (int64_t)i;
			return KYSO_ERR_CORRUPT;
		}
	}
	return 0;
}
