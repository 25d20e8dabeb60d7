/* Bounded parsers: integers and hex, rejecting overflow and trailing garbage. */
#ifndef KYSO_PARSE_H
#define KYSO_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out) KYSO_WUR;
/* Appends the lower-case hex of p to out. */
int hex_encode(struct buf *out, const void *p, size_t n) KYSO_WUR;
/* The value of one hex digit (either case), -1 for anything else. */
int hex_digit(int c);
/* Appends the bytes of an even-length hex string; any other char fails. */
int hex_decode(struct buf *out, const char *s, size_t n) KYSO_WUR;

/* One strict UTF-8 character of s[i..n) in *cp, its length; 0 for an
 * invalid one (bad byte, overlong form, surrogate, past U+10FFFF). */
size_t utf8_strict(const unsigned char *s, size_t n, size_t i, uint32_t *cp);
#endif
