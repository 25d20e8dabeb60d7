/* A small DER writer and reader: tag-length-value over bufs, SET OF
 * sorted as DER wants (the CMS kyso-sign builds), and one TLV at a time
 * (the CSRs kyso-ra checks). */
#ifndef KYSO_DER_H
#define KYSO_DER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define DER_SEQUENCE	 0x30
#define DER_SET		 0x31
#define DER_INTEGER	 0x02
#define DER_BIT_STRING	 0x03
#define DER_OCTET_STRING 0x04
#define DER_NULL	 0x05
#define DER_OID		 0x06
#define DER_CTX_CONS(n)	 (0xa0 | (n)) /* [n] constructed */

/* The signature algorithms a token's SHA-256 signature goes out under:
 * sha256WithRSAEncryption (AlgorithmIdentifier with a NULL parameter)
 * and ecdsa-with-SHA256 (none). */
#define DER_OID_RSA_SHA256   "1.2.840.113549.1.1.11"
#define DER_OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"

/* Appends tag, length and n bytes of content to out. */
int der_put(struct buf *out, uint8_t tag, const void *content, size_t n) KYSO_WUR;
/* Appends tag and the length n only: the caller appends the n bytes of
 * content (an element written in place once its length is known). */
int der_put_head(struct buf *out, uint8_t tag, size_t n) KYSO_WUR;
/* The bytes der_put_head writes for a length of n. */
size_t der_head_len(size_t n);
/* Appends tag and length for the whole of inner, then inner. */
int der_wrap(struct buf *out, uint8_t tag, const struct buf *inner) KYSO_WUR;
/* An OBJECT IDENTIFIER from its dotted text ("1.2.840.113549.1.7.2"). */
int der_put_oid(struct buf *out, const char *dotted) KYSO_WUR;
/* AlgorithmIdentifier { oid, [NULL] }. */
int der_put_alg(struct buf *out, const char *oid, int with_null) KYSO_WUR;
/* The AlgorithmIdentifier of a SHA-256 signature by an EC key (ec) or
 * an RSA key. */
int der_put_sig_alg(struct buf *out, int ec) KYSO_WUR;
/* SEQUENCE { tbs, algorithm, BIT STRING signature }: a certificate, a
 * CRL or a PKCS#10 request once its TBS part is signed; alg is the DER
 * AlgorithmIdentifier. */
int der_put_signed(struct buf *out, const uint8_t *tbs, size_t tlen,
    const uint8_t *alg, size_t alen, const uint8_t *sig, size_t slen) KYSO_WUR;
/* A SET OF: the n DER elements sorted by their encodings. */
int der_put_set_of(struct buf *out, struct buf **elems, size_t n) KYSO_WUR;
/* Reads one TLV at *p (of len bytes left): the tag, the content's place
 * and the whole element's length. Definite lengths only. */
int der_read(const uint8_t *p, size_t len, uint8_t *tag,
    const uint8_t **content, size_t *clen, size_t *total) KYSO_WUR;

#endif
