/* What pdf_sign.c shares with pdf_lta.c: one signed revision (or a
 * document time-stamp's) and an output written from a mapping and the
 * revision after it. */
#ifndef KYSO_PDF_SIGN_INT_H
#define KYSO_PDF_SIGN_INT_H

#include "sign/formats/pdf_sign.h"
#include "sign/mapfile.h"

/* The revision that signs data (len bytes; m: its mapping, hashed window
 * by window, or NULL for memory), in *rev_out; the CMS in *cms_out and
 * the DSS's /VRI key (41 bytes) in vri_key when not NULL. s NULL: a
 * document time-stamp (ETSI.RFC3161) from o->tsa_url in a new invisible
 * field, o's other members unused. */
int pdf_sign_rev(struct p11_signer *s, const uint8_t *data, size_t len,
    struct mapfile *m, const struct pdf_sign_opts *o, struct buf **rev_out,
    struct buf **cms_out, char *vri_key, const char **why) KYSO_WUR;

/* m's bytes then tail into path (temp + fsync + rename). */
int pdf_write_two(const char *path, struct mapfile *m, const struct buf *tail,
    const char **why) KYSO_WUR;

#endif
