/* kyso-token watch: the middleware's behaviour "when plugging the token
 * into the PC": wait for insert and remove events and check each token
 * that comes in. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/parse.h"

#define POLL_SECONDS 1

struct watch_opts {
	struct cli_check_opts check; /* for each token that comes in */
	uint64_t count;		     /* stop after this many events; 0: never */
};

static int
watch_opt(struct cli *c, int opt, const char *arg, void *ud)
{
	struct watch_opts *o = ud;

	if (opt == 'c') {
		if (parse_u64(arg, 1, 1000000, &o->count) != 0)
			return cli_usage_error(c,
			    _("--count needs a number of events"));
		return EXIT_OK;
	}
	return cli_check_opt(c, opt, arg, &o->check);
}

static const struct option opts[] = {
	CLI_COMMON_OPTIONS,
	{ "warn-days", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "batch", no_argument, NULL, 'b' },
	{ NULL, 0, NULL, 0 },
};

/* For modules without C_WaitForSlotEvent: compare the present slots
 * once a second. */
static int
poll_event(struct cli *c, unsigned char *present, size_t nmax, CK_SLOT_ID *slot)
{
	for (;;) {
		unsigned char now[64] = { 0 };
		CK_SLOT_ID *ids = NULL;
		size_t n = 0, i;
		int r;

		if ((r = p11_slot_list(c->p11, 1, &ids, &n)) != 0)
			return r;
		for (i = 0; i < n; i++)
			if (ids[i] < nmax && ids[i] < sizeof(now))
				now[ids[i]] = 1;
		free(ids);
		for (i = 0; i < nmax && i < sizeof(now); i++) {
			if (now[i] != present[i]) {
				present[i] = now[i];
				*slot = i;
				return 0;
			}
		}
		sleep(POLL_SECONDS);
	}
}

/* What is plugged in when polling starts, so the first event is a
 * change. */
static void
poll_start(struct cli *c, unsigned char *present, size_t nmax)
{
	CK_SLOT_ID *ids = NULL;
	size_t n = 0, i;

	if (p11_slot_list(c->p11, 1, &ids, &n) != 0)
		return;
	for (i = 0; i < n; i++)
		if (ids[i] < nmax)
			present[ids[i]] = 1;
	free(ids);
}

int
cmd_watch(int argc, char **argv)
{
	struct cli c;
	struct watch_opts o = { { cli_warn_days_default(), 0 }, 0 };
	unsigned char present[64] = { 0 };
	uint64_t seen = 0;
	int ex, polling = 0;

	cli_init(&c, "watch");
	ex = cli_parse(&c, argc, argv, opts,
	    _("Usage: kyso-token watch [--count N] [--warn-days N] [--batch] [OPTIONS]\n"
	      "Waits for tokens to be plugged in or removed. Each token plugged in is\n"
	      "checked as 'kyso-token check' does (factory PIN, certificate expiry,\n"
	      "PIN lock). Runs until interrupted.\n"
	      "  --count N       stop after N plug-in or removal events\n"
	      "  --warn-days N   warn this many days before a certificate expires\n"
	      "  --batch         never ask; just report\n\n"),
	    watch_opt, &o);
	if (ex != EXIT_OK)
		return ex == CLI_DONE ? EXIT_OK : ex;
	if (optind != argc)
		return cli_usage_error(&c, _("unexpected argument"));
	if ((ex = cli_open_module(&c)) != EXIT_OK)
		return ex;
	if (!c.json)
		printf(_(
		    "Waiting for tokens. Plug in a token, or press Ctrl+C to stop.\n"));
	fflush(stdout);
	while (o.count == 0 || seen < o.count) {
		CK_SLOT_ID slot = 0;
		CK_SLOT_INFO si;
		int r = KYSO_ERR_UNSUPPORTED;

		if (!polling) {
			r = p11_wait_slot_event(c.p11, &slot);
			if (r == KYSO_ERR_UNSUPPORTED) {
				polling = 1;
				poll_start(&c, present, sizeof(present));
			}
		}
		if (polling)
			r = poll_event(&c, present, sizeof(present), &slot);
		if (r != 0) {
			ex = cli_fail_rv(&c, _("Waiting for tokens"),
			    p11_last_rv(c.p11));
			break;
		}
		seen++;
		if (p11_slot_info(c.p11, slot, &si) != 0)
			continue;
		if (si.flags & CKF_TOKEN_PRESENT) {
			if (c.json)
				printf("{\"event\": \"inserted\", \"slot\": %lu}\n",
				    slot);
			else
				printf(_("A token was plugged into slot %lu.\n"),
				    slot);
			c.slot = slot;
			(void)cli_check_slot(&c,
			    !o.check.batch && !c.json && isatty(STDIN_FILENO),
			    o.check.warn_days);
		} else if (c.json) {
			printf("{\"event\": \"removed\", \"slot\": %lu}\n", slot);
		} else {
			printf(_("The token was removed from slot %lu.\n"), slot);
		}
		fflush(stdout);
	}
	cli_done(&c);
	return ex;
}
