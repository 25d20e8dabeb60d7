/* p11_check: what the C programs under tests/token share: the EXPECT and
 * RV_IS checks and their failure counter, opening the module and logging
 * in, and the round trip of a cipher mechanism against OpenSSL. Linked
 * into every p11_*.c program (tests/CMakeLists.txt). */
#ifndef KYSO_TESTS_P11_CHECK_H
#define KYSO_TESTS_P11_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "p11/p11.h"

/* Checks failed so far; each program exits 1 when it is not 0. */
extern int failures;
/* The module's function list, set by p11c_open_token. */
extern CK_FUNCTION_LIST *f;

/* Counts and prints "FAIL: <message> (line N)" when cond is false. */
#define EXPECT(cond, ...)                                 \
	do {                                              \
		if (!(cond)) {                            \
			failures++;                       \
			printf("FAIL: " __VA_ARGS__);     \
			printf(" (line %d)\n", __LINE__); \
		}                                         \
	} while (0)

/* EXPECT that a PKCS#11 call returned want. */
#define RV_IS(expr, want)                                                    \
	do {                                                                 \
		CK_RV got_ = (expr);                                         \
		EXPECT(got_ == (want), "%s gave %s (0x%lx), want %s", #expr, \
		    p11_rv_name(got_), got_, p11_rv_name(want));             \
	} while (0)

/* Opens the module, finds the token labelled label and sets f; NULL
 * after printing why. */
struct p11 *p11c_open_token(const char *module, const char *label,
    CK_SLOT_ID *slot);

/* p11c_open_token, then a R/W session logged in as the user with pin;
 * NULL after printing why. */
struct p11 *p11c_open_login(const char *module, const char *label,
    const char *pin, CK_SLOT_ID *slot, CK_SESSION_HANDLE *s);

/* Frees p, prints "<cmd>: ok" when no check failed; the exit status. */
int p11c_done(struct p11 *p, const char *cmd);

/* How p11c_cipher_round_trip cuts the data: encryption in three parts
 * at enc[0] and enc[1], decryption in two at dec; exact: the length
 * query must give the ciphertext's length (else at least it). */
struct p11c_cuts {
	size_t enc[2];
	size_t dec;
	int exact;
};

/* Mechanism m with key h on the n bytes in: single- and multi-part
 * encryption equal want (OpenSSL's wn bytes); single- and multi-part
 * decryption of want give in back. */
void p11c_cipher_round_trip(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h,
    CK_MECHANISM *m, const CK_BYTE *in, size_t n, const CK_BYTE *want,
    size_t wn, const struct p11c_cuts *c);

#endif
