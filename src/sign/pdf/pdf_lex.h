/* The PDF tokenizer and object parser over a bounded byte range. It never
 * reads past len; nesting, item counts and string sizes are capped. */
#ifndef KYSO_PDF_LEX_H
#define KYSO_PDF_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "sign/pdf/pdf_obj.h"

struct pdf_lex {
	const uint8_t *p;
	size_t len;
	size_t pos;
};

int pdf_is_space(uint8_t c);
int pdf_is_delim(uint8_t c);
void pdf_lex_skip_space(struct pdf_lex *lx);
/* Reads an unsigned decimal integer (at most 19 digits). */
int pdf_lex_uint(struct pdf_lex *lx, uint64_t *v) KYSO_WUR;
/* Skips blanks and matches a keyword followed by a delimiter or the end. */
int pdf_lex_keyword(struct pdf_lex *lx, const char *kw);
/* Parses one direct object (an indirect reference "n g R" included). */
int pdf_parse_obj(struct pdf_lex *lx, struct pdf_obj **out) KYSO_WUR;
/* Parses "num gen obj" and returns the numbers. */
int pdf_parse_obj_header(struct pdf_lex *lx, uint64_t *num,
    uint64_t *gen) KYSO_WUR;

#endif
