#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/periodic.h"

struct outbox_sweeper {
	struct mailer *m;
	int64_t otp_ttl, any_ttl; /* any: the longer of the two lifetimes */
	struct periodic *job;
};

/* The outbox is a delivery queue: an OTP mail is of no use after the OTP
 * expired, an activation mail after its code did, so neither stays
 * readable for long. A mail is told apart only by its "OTP:" line: the
 * rest goes after the longer lifetime, never before an OTP's. */
static void
sweep_once(void *arg)
{
	struct outbox_sweeper *s = arg;
	/* a sweep's grace after the expiry: a mail is never taken from under
	 * someone reading it as it is written */
	int64_t now = (int64_t)time(NULL) - OUTBOX_SWEEP_SECS;
	unsigned n;

	if (mailer_outbox_prune(s->m, "OTP:", now - s->otp_ttl, &n) != 0 ||
	    mailer_outbox_prune(s->m, NULL, now - s->any_ttl, &n) != 0)
		fprintf(stderr, "kyso-ra: cannot clean the outbox\n");
}

int
outbox_sweeper_start(struct mailer *m, int64_t code_ttl, int64_t otp_ttl,
    struct outbox_sweeper **out)
{
	struct outbox_sweeper *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return KYSO_ERR_NOMEM;
	s->m = m;
	s->otp_ttl = otp_ttl;
	s->any_ttl = code_ttl > otp_ttl ? code_ttl : otp_ttl;
	if ((r = periodic_start(OUTBOX_SWEEP_SECS, sweep_once, s, &s->job)) != 0) {
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void
outbox_sweeper_stop(struct outbox_sweeper *s)
{
	if (s == NULL)
		return;
	periodic_stop(s->job);
	free(s);
}
