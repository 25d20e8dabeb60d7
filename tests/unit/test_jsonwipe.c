/* The wiping jansson allocator (src/common/jsonwipe.c): installed, it
 * frees through jsonwipe_free; what it wipes is all zero; blocks jansson
 * hands out still go to plain free(). */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/jsonwipe.h"
#include "unit.h"

/* 1 when the n bytes at p are all zero. */
static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

int
main(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_t *o, *back;
	char *s;
	unsigned char *p;
	size_t n;

	jsonwipe_install();
	json_get_alloc_funcs(&m, &f);
	CHECK(m == malloc);
	CHECK(f == jsonwipe_free);

	/* A block from jansson's allocator: wiped whole, past what was asked. */
	p = m(40);
	CHECK(p != NULL);
	memset(p, 'S', 40);
	n = jsonwipe_cleanse(p);
	CHECK(n >= 40);
	CHECK(all_zero(p, n));
	f(p);

	/* Secrets through objects, the parser and json_dumps. */
	o = json_pack("{s:s,s:s}", "otp", "123456", "code",
	    "ABCDE-FGHJK-MNPQR-STVWX");
	CHECK(o != NULL);
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(s != NULL &&
	    strcmp(s,
		"{\"code\":\"ABCDE-FGHJK-MNPQR-STVWX\","
		"\"otp\":\"123456\"}") == 0);
	back = json_loads(s, 0, NULL);
	CHECK(back != NULL && json_equal(o, back));
	n = strlen(s);
	CHECK(jsonwipe_cleanse(s) > n);
	CHECK(all_zero((unsigned char *)s, n + 1));
	jsonwipe_free(s);
	json_decref(back);

	/* json_dumps output freed as jansson documents it: plain free(). */
	s = json_dumps(o, JSON_COMPACT);
	CHECK(s != NULL);
	free(s);
	json_decref(o);

	CHECK(jsonwipe_cleanse(NULL) == 0);
	jsonwipe_free(NULL);
	/* Installing twice changes nothing. */
	jsonwipe_install();
	json_get_alloc_funcs(&m, &f);
	CHECK(f == jsonwipe_free);
	return unit_done();
}
