/* The outbox's retention under serve: a thread removes mail whose code or
 * OTP has expired (issue 15: codes stayed readable in .eml files). */
#ifndef KYSO_RA_OUTBOX_H
#define KYSO_RA_OUTBOX_H

#include <stdint.h>

#include "common/err.h"
#include "common/mail.h"

/* How often the outbox is looked at, in seconds. */
#define OUTBOX_SWEEP_SECS 5

struct outbox_sweeper;

/* Every OUTBOX_SWEEP_SECS: removes OTP mail older than otp_ttl and any
 * mail older than the longer of code_ttl and otp_ttl (seconds), each plus
 * OUTBOX_SWEEP_SECS of grace. */
int outbox_sweeper_start(struct mailer *m, int64_t code_ttl, int64_t otp_ttl,
    struct outbox_sweeper **out) KYSO_WUR;
/* Stops and frees it (NULL is fine). */
void outbox_sweeper_stop(struct outbox_sweeper *s);

#endif
