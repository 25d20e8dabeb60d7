/* A few macros the C unit tests share: each check counts a pass or a
 * failure, and main ends with unit_done(), which prints
 * "N passed, M failed" and gives the exit status. */
#ifndef KYSO_UNIT_H
#define KYSO_UNIT_H

#include <stdio.h>

static int unit_pass, unit_fail;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			unit_pass++;                                           \
		} else {                                                       \
			unit_fail++;                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			    __LINE__, #cond);                                  \
		}                                                              \
	} while (0)

/* An exact kyso error code (or 0). */
#define CHECK_ERR(expr, want)                                             \
	do {                                                              \
		int got_ = (expr);                                        \
		if (got_ == (want)) {                                     \
			unit_pass++;                                      \
		} else {                                                  \
			unit_fail++;                                      \
			fprintf(stderr,                                   \
			    "%s:%d: %s returned %d, want %d "             \
			    "(%s)\n",                                     \
			    __FILE__, __LINE__, #expr, got_, (int)(want), \
			    #want);                                       \
		}                                                         \
	} while (0)

static inline int
unit_done(void)
{
	printf("%d passed, %d failed\n", unit_pass, unit_fail);
	return unit_fail == 0 && unit_pass > 0 ? 0 : 1;
}

#endif
