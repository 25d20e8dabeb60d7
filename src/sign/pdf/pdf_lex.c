#include "sign/pdf/pdf_lex.h"

#include "common/parse.h"

#include <stdlib.h>
#include <string.h>

int
pdf_is_space(uint8_t c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' ||
	    c == ' ';
}

int
pdf_is_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
	    c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

void
pdf_lex_skip_space(struct pdf_lex *lx)
{
	while (lx->pos < lx->len) {
		uint8_t c = lx->p[lx->pos];

		if (pdf_is_space(c)) {
			lx->pos++;
		} else if (c == '%') {
			while (lx->pos < lx->len && lx->p[lx->pos] != '\n' &&
			    lx->p[lx->pos] != '\r')
				lx->pos++;
		} else {
			break;
		}
	}
}

static int
at_boundary(const struct pdf_lex *lx, size_t pos)
{
	return pos >= lx->len || pdf_is_space(lx->p[pos]) ||
	    pdf_is_delim(lx->p[pos]);
}

int
pdf_lex_uint(struct pdf_lex *lx, uint64_t *v)
{
	uint64_t x = 0;
	size_t start;

	pdf_lex_skip_space(lx);
	start = lx->pos;
	while (lx->pos < lx->len && lx->p[lx->pos] >= '0' &&
	    lx->p[lx->pos] <= '9') {
		if (lx->pos - start >= 19)
			return KYSO_ERR_INVALID;
		x = x * 10 + (uint64_t)(lx->p[lx->pos] - '0');
		lx->pos++;
	}
	if (lx->pos == start || !at_boundary(lx, lx->pos)) {
		lx->pos = start;
		return KYSO_ERR_INVALID;
	}
	*v = x;
	return 0;
}

int
pdf_lex_keyword(struct pdf_lex *lx, const char *kw)
{
	size_t n = strlen(kw);

	pdf_lex_skip_space(lx);
	if (lx->pos > lx->len || n > lx->len - lx->pos ||
	    memcmp(lx->p + lx->pos, kw, n) != 0 || !at_boundary(lx, lx->pos + n))
		return 0;
	lx->pos += n;
	return 1;
}

/* Strings decode into at most as many bytes as they take in the file. */
static int
parse_hex_string(struct pdf_lex *lx, struct pdf_obj **out)
{
	struct pdf_obj *o = NULL;
	uint8_t *d;
	size_t n = 0, cap;
	int hi = -1, v;

	lx->pos++; /* '<' */
	for (cap = lx->pos; cap < lx->len && lx->p[cap] != '>'; cap++)
		;
	cap -= lx->pos;
	if ((d = malloc(cap / 2 + 2)) == NULL)
		return KYSO_ERR_NOMEM;
	for (;;) {
		uint8_t c;

		if (lx->pos >= lx->len) {
			free(d);
			return KYSO_ERR_TRUNCATED;
		}
		c = lx->p[lx->pos++];
		if (c == '>')
			break;
		if (pdf_is_space(c))
			continue;
		if ((v = hex_digit(c)) < 0) {
			free(d);
			return KYSO_ERR_INVALID;
		}
		if (hi < 0) {
			hi = v;
		} else {
			d[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		d[n++] = (uint8_t)(hi << 4);
	o = pdf_bytes_new(PDF_STRING, d, n);
	free(d);
	if (o == NULL)
		return KYSO_ERR_NOMEM;
	o->hex = 1;
	*out = o;
	return 0;
}

static int
parse_literal_string(struct pdf_lex *lx, struct pdf_obj **out)
{
	struct pdf_obj *o;
	uint8_t *d;
	size_t n = 0, depth = 1, end;

	lx->pos++; /* '(' */
	/* Find the end first: the decoded string is never longer. */
	for (end = lx->pos; end < lx->len; end++) {
		if (lx->p[end] == '\\')
			end++;
		else if (lx->p[end] == '(')
			depth++;
		else if (lx->p[end] == ')' && --depth == 0)
			break;
	}
	depth = 1;
	if ((d = malloc(end - lx->pos + 2)) == NULL)
		return KYSO_ERR_NOMEM;
	for (;;) {
		uint8_t c;

		if (lx->pos >= lx->len) {
			free(d);
			return KYSO_ERR_TRUNCATED;
		}
		c = lx->p[lx->pos++];
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0)
				break;
		} else if (c == '\\') {
			if (lx->pos >= lx->len)
				continue;
			c = lx->p[lx->pos++];
			switch (c) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '\r':
				if (lx->pos < lx->len && lx->p[lx->pos] == '\n')
					lx->pos++;
				continue;
			case '\n': continue;
			default:
				if (c >= '0' && c <= '7') {
					unsigned v = (unsigned)(c - '0'), k;

					for (k = 0; k < 2 && lx->pos < lx->len &&
					     lx->p[lx->pos] >= '0' &&
					     lx->p[lx->pos] <= '7';
					     k++)
						v = v * 8 +
						    (unsigned)(lx->p[lx->pos++] -
							'0');
					c = (uint8_t)v;
				}
				break;
			}
		}
		d[n++] = c;
	}
	o = pdf_bytes_new(PDF_STRING, d, n);
	free(d);
	if (o == NULL)
		return KYSO_ERR_NOMEM;
	*out = o;
	return 0;
}

static int
parse_name(struct pdf_lex *lx, struct pdf_obj **out)
{
	struct pdf_obj *o;
	uint8_t *d;
	size_t n = 0;

	size_t end;

	lx->pos++; /* '/' */
	for (end = lx->pos; end < lx->len && !pdf_is_space(lx->p[end]) &&
	     !pdf_is_delim(lx->p[end]);
	     end++)
		;
	if ((d = malloc(end - lx->pos + 1)) == NULL)
		return KYSO_ERR_NOMEM;
	while (lx->pos < lx->len && !pdf_is_space(lx->p[lx->pos]) &&
	    !pdf_is_delim(lx->p[lx->pos])) {
		uint8_t c = lx->p[lx->pos++];

		if (c == '#' && lx->len - lx->pos >= 2 &&
		    hex_digit(lx->p[lx->pos]) >= 0 &&
		    hex_digit(lx->p[lx->pos + 1]) >= 0) {
			c = (uint8_t)(hex_digit(lx->p[lx->pos]) << 4 |
			    hex_digit(lx->p[lx->pos + 1]));
			lx->pos += 2;
		}
		d[n++] = c;
	}
	o = pdf_bytes_new(PDF_NAME, d, n);
	free(d);
	if (o == NULL)
		return KYSO_ERR_NOMEM;
	*out = o;
	return 0;
}

/* A number: an integer that fits int64, else a real kept as text. */
static int
parse_number(struct pdf_lex *lx, struct pdf_obj **out)
{
	size_t start = lx->pos, digits = 0;
	int neg = 0, dot = 0;
	uint64_t v = 0;
	struct pdf_obj *o;

	if (lx->p[lx->pos] == '+' || lx->p[lx->pos] == '-')
		neg = lx->p[lx->pos++] == '-';
	while (lx->pos < lx->len) {
		uint8_t c = lx->p[lx->pos];

		if (c == '.' && !dot) {
			dot = 1;
		} else if (c >= '0' && c <= '9') {
			digits++;
			if (!dot && digits <= 18)
				v = v * 10 + (uint64_t)(c - '0');
		} else {
			break;
		}
		lx->pos++;
	}
	if (digits == 0 || !at_boundary(lx, lx->pos))
		return KYSO_ERR_INVALID;
	if (!dot && digits <= 18) {
		if ((o = pdf_int_new(neg ? -(int64_t)v : (int64_t)v)) == NULL)
			return KYSO_ERR_NOMEM;
	} else if (dot) {
		if (lx->pos - start > 64)
			return KYSO_ERR_INVALID;
		if ((o = pdf_bytes_new(PDF_REAL, lx->p + start,
			 lx->pos - start)) == NULL)
			return KYSO_ERR_NOMEM;
	} else {
		return KYSO_ERR_INVALID; /* an integer out of range */
	}
	*out = o;
	return 0;
}

static int parse_value(struct pdf_lex *lx, int depth, struct pdf_obj **out);

static int
parse_container(struct pdf_lex *lx, int depth, int dict, struct pdf_obj **out)
{
	struct pdf_obj *o, *v = NULL;
	int r;

	if (depth >= PDF_MAX_DEPTH)
		return KYSO_ERR_INVALID;
	if ((o = pdf_obj_new(dict ? PDF_DICT : PDF_ARRAY)) == NULL)
		return KYSO_ERR_NOMEM;
	lx->pos += dict ? 2 : 1;
	for (;;) {
		pdf_lex_skip_space(lx);
		if (lx->pos >= lx->len) {
			r = KYSO_ERR_TRUNCATED;
			goto fail;
		}
		if (!dict && lx->p[lx->pos] == ']') {
			lx->pos++;
			break;
		}
		if (dict && lx->p[lx->pos] == '>') {
			if (lx->len - lx->pos < 2 || lx->p[lx->pos + 1] != '>') {
				r = KYSO_ERR_INVALID;
				goto fail;
			}
			lx->pos += 2;
			break;
		}
		if (dict && o->count % 2 == 0 && lx->p[lx->pos] != '/') {
			r = KYSO_ERR_INVALID; /* a key must be a name */
			goto fail;
		}
		if ((r = parse_value(lx, depth + 1, &v)) != 0)
			goto fail;
		/* Both kinds share the item list; a dictionary's pairs. */
		o->type = PDF_ARRAY;
		r = pdf_array_push(o, v);
		o->type = dict ? PDF_DICT : PDF_ARRAY;
		v = NULL;
		if (r != 0)
			goto fail;
	}
	if (dict && o->count % 2 != 0) {
		r = KYSO_ERR_INVALID;
		goto fail;
	}
	*out = o;
	return 0;
fail:
	pdf_obj_free(o);
	return r;
}

static int
parse_value(struct pdf_lex *lx, int depth, struct pdf_obj **out)
{
	struct pdf_obj *o;
	uint8_t c;

	pdf_lex_skip_space(lx);
	if (lx->pos >= lx->len)
		return KYSO_ERR_TRUNCATED;
	c = lx->p[lx->pos];
	switch (c) {
	case '[': return parse_container(lx, depth, 0, out);
	case '<':
		if (lx->len - lx->pos >= 2 && lx->p[lx->pos + 1] == '<')
			return parse_container(lx, depth, 1, out);
		return parse_hex_string(lx, out);
	case '(': return parse_literal_string(lx, out);
	case '/': return parse_name(lx, out);
	}
	if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
		struct pdf_lex save;
		uint64_t gen;
		int r;

		if ((r = parse_number(lx, &o)) != 0)
			return r;
		/* "num gen R" */
		save = *lx;
		if (o->type == PDF_INT && o->i >= 0 &&
		    pdf_lex_uint(lx, &gen) == 0 && gen <= 65535 &&
		    pdf_lex_keyword(lx, "R")) {
			o->type = PDF_REF;
			o->gen = (uint32_t)gen;
		} else {
			*lx = save;
		}
		*out = o;
		return 0;
	}
	if (pdf_lex_keyword(lx, "true") || pdf_lex_keyword(lx, "false")) {
		if ((o = pdf_obj_new(PDF_BOOL)) == NULL)
			return KYSO_ERR_NOMEM;
		o->i = lx->p[lx->pos - 1] == 'e' && lx->p[lx->pos - 2] == 'u';
		*out = o;
		return 0;
	}
	if (pdf_lex_keyword(lx, "null")) {
		if ((o = pdf_obj_new(PDF_NULL)) == NULL)
			return KYSO_ERR_NOMEM;
		*out = o;
		return 0;
	}
	return KYSO_ERR_INVALID;
}

int
pdf_parse_obj(struct pdf_lex *lx, struct pdf_obj **out)
{
	return parse_value(lx, 0, out);
}

int
pdf_parse_obj_header(struct pdf_lex *lx, uint64_t *num, uint64_t *gen)
{
	uint64_t a, b;

	if (pdf_lex_uint(lx, &a) != 0 || pdf_lex_uint(lx, &b) != 0 ||
	    !pdf_lex_keyword(lx, "obj"))
		return KYSO_ERR_INVALID;
	*num = a;
	*gen = b;
	return 0;
}
