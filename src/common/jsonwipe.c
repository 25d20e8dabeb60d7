/* jansson's free function gets no size. A header in front of each block
 * would carry it, but then a block jansson hands out (json_dumps) could no
 * longer go to plain free(), as jansson's documentation tells callers and
 * as kyso's callers do. So the size comes from the allocator itself:
 * malloc_usable_size, the whole block. */
#include "jsonwipe.h"

#include <malloc.h>
#include <stdlib.h>

#include <jansson.h>
#include <openssl/crypto.h>

/* The usable size is at least what was asked for, and all of it is the
 * block's. */
size_t
jsonwipe_cleanse(void *p)
{
	size_t n;

	if (p == NULL)
		return 0;
	n = malloc_usable_size(p);
	OPENSSL_cleanse(p, n);
	return n;
}

/* jansson's free function, and the one for json_dumps output. */
void
jsonwipe_free(void *p)
{
	if (p == NULL)
		return;
	jsonwipe_cleanse(p);
	free(p);
}

/* Plain malloc: every block stays a malloc block (see the top). */
void
jsonwipe_install(void)
{
	json_set_alloc_funcs(malloc, jsonwipe_free);
}
