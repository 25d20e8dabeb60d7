/* jansson's memory wiped before it is freed. Activation codes, OTPs and
 * unblock answers pass through JSON objects, the parser's buffers and the
 * strings json_dumps makes; the programs install this once, first thing in
 * main, before any thread or JSON value exists. */
#ifndef KYSO_JSONWIPE_H
#define KYSO_JSONWIPE_H

#include <stddef.h>

/* Has jansson allocate with malloc and free through jsonwipe_free
 * (json_set_alloc_funcs). Blocks it hands out (json_dumps) may still be
 * freed with plain free(): they are malloc blocks, only not wiped then. */
void jsonwipe_install(void);
/* Wipes a block from malloc or jansson, all of it, in place; returns the
 * number of bytes wiped (0 for NULL). */
size_t jsonwipe_cleanse(void *p);
/* Wipes and frees a block from malloc or jansson; accepts NULL. For
 * json_dumps output that held a secret. */
void jsonwipe_free(void *p);

#endif
