/* Which certificate on a token signs: one rule for every program that
 * picks a signing key (kyso-sign, kyso-agent's token side), applied to
 * what the token shows without a PIN, so that a wrong or ambiguous
 * choice is said before the PIN is asked. */
#ifndef KYSO_P11_SELECT_H
#define KYSO_P11_SELECT_H

#include <stddef.h>
#include <stdint.h>

#include "p11/p11.h"

/* A signing certificate on a token (an end-entity certificate with a
 * CKA_ID, which its private key shares). */
struct p11_cand {
	uint8_t id[64]; /* CKA_ID */
	size_t idlen;
	char serial[80];    /* the certificate's serial, upper-case hex */
	uint8_t sha256[32]; /* of the certificate's DER */
	int64_t not_before, not_after; /* seconds since the epoch */
	char subject[512];	       /* RFC 2253, UTF-8 */
	char cn[256];		       /* "?" when none */
	char holder[512]; /* who it is for: its UID (ID card number, tax
			   * code) when it has one, else the subject */
};

/* What p11_cand_pick found. */
enum p11_pick {
	P11_PICK_OK = 0,
	P11_PICK_NONE,	    /* the token has no signing certificate */
	P11_PICK_NO_MATCH,  /* the choice matches none */
	P11_PICK_SEVERAL,   /* the choice matches several */
	P11_PICK_AMBIGUOUS, /* no choice, and certificates valid now are for
			     * different holders; *out is the newest */
	P11_PICK_NOT_VALID, /* the one chosen (or, with no choice, every
			     * one) is expired or not valid yet; *out is it
			     * (the newest) */
};

/* The signing certificates on the token s is open on (no login needed),
 * newest first (by notBefore, then notAfter), in a new array (free);
 * *n may be 0. */
int p11_cands_read(struct p11 *p, CK_SESSION_HANDLE s, struct p11_cand **out,
    size_t *n) KYSO_WUR;

/* Sorts v newest first, the order p11_cands_read gives. */
void p11_cands_sort(struct p11_cand *v, size_t n);

/* Picks from v (newest first) at time now. want NULL or "": the newest
 * certificate valid now (of one holder: a renewal or change of details
 * left the older ones). Else want is an index in v from 1 (up to 3
 * digits), a certificate serial (hex, ':' allowed, any case), a prefix
 * of a CKA_ID in hex, or a certificate's SHA-256 in hex. *out is set for
 * P11_PICK_OK, P11_PICK_AMBIGUOUS and P11_PICK_NOT_VALID. */
enum p11_pick p11_cand_pick(const struct p11_cand *v, size_t n,
    const char *want, int64_t now, size_t *out);

/* The CKA_ID in hex, lower case (as kyso-token certs shows it). */
void p11_cand_id_hex(const struct p11_cand *c, char *out, size_t n);

#endif
