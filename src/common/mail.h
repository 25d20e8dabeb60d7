/* Mail to people (kyso-ra's subscribers, kyso-contract's signers): RFC 5322
 * messages, UTF-8, Vietnamese then English. Sent over SMTP (libcurl, STARTTLS
 * when offered; smtps:// for implicit TLS) by a worker thread, or, by default,
 * written as .eml files into an outbox folder before the call returns. */
#ifndef KYSO_COMMON_MAIL_H
#define KYSO_COMMON_MAIL_H

#include <stdint.h>

#include "common/err.h"

struct mailer;

/* smtp_url NULL: write into outbox. */
int mailer_new(const char *outbox, const char *smtp_url, const char *from,
    struct mailer **out) KYSO_WUR;
void mailer_free(struct mailer *m);

/* One message, subject and body UTF-8 (the body's lines end in \n). */
int mail_send(struct mailer *m, const char *to, const char *subject,
    const char *body) KYSO_WUR;

/* kind: "new", "renew" or "update". */
int mail_activation(struct mailer *m, const char *to, const char *name,
    const char *kind, const char *code, int64_t expires_at) KYSO_WUR;
int mail_otp(struct mailer *m, const char *to, const char *name,
    const char *otp, int ttl_minutes) KYSO_WUR;

/* The outbox is a delivery queue, not an archive: removes its .eml files
 * written before `before` (seconds since 1970), only those with a line
 * starting with `marker` when marker is not NULL. Gives how many went.
 * Nothing to do when the mailer sends over SMTP. */
int mailer_outbox_prune(struct mailer *m, const char *marker, int64_t before,
    unsigned *removed) KYSO_WUR;

/* A used code or OTP (secret, as mail_activation or mail_otp had it)
 * leaves its outbox mail: in the file this mailer wrote it to (found by a
 * keyed tag, not by reading the folder), needle (the code, or "OTP: " and
 * the OTP) is replaced by `with`, the file's time kept (so pruning is
 * unchanged). Mail another process wrote, or one of more than MAIL_NOTES
 * ago, is left to the expiry sweep. Nothing to do over SMTP. */
int mailer_outbox_redact(struct mailer *m, const char *secret,
    const char *needle, const char *with, unsigned *redacted) KYSO_WUR;

#endif
