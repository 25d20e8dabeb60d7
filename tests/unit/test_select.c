/* The certificate choice (p11/select.c) and the local clock
 * (x509_text_local): the newest valid certificate by default, several
 * holders ambiguous, a whole ID or serial before an index, an ID prefix
 * that fits one, several or none, an expired choice; Vietnam's time
 * without TZ, TZ's with it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/x509_text.h"
#include "p11/select.h"
#include "unit.h"

#define DAY 86400
#define NOW ((int64_t)1796601600) /* 2026-12-07 00:00:00 UTC */

/* One candidate: id bytes (hex string), serial, validity in days from
 * NOW, holder. */
static void
cand(struct p11_cand *c, const char *id, const char *serial, int from, int to,
    const char *holder)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; id[2 * i] != '\0'; i++) {
		char b[3] = { id[2 * i], id[2 * i + 1], '\0' };

		c->id[i] = (uint8_t)strtoul(b, NULL, 16);
	}
	c->idlen = i;
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	c->not_before = NOW + (int64_t)from * DAY;
	c->not_after = NOW + (int64_t)to * DAY;
	snprintf(c->holder, sizeof(c->holder), "%s", holder);
	c->sha256[0] = (uint8_t)(from + 100);
}

int
main(void)
{
	struct p11_cand v[4];
	char out[X509_TEXT_TIME_MAX];
	size_t k = 99;

	/* A renewal: the old one still valid, the new one newer. */
	cand(&v[0], "a1b2c301", "0A01", -360, 5, "UID=1");
	cand(&v[1], "a1b2c302", "0B02", -1, 730, "UID=1");
	p11_cands_sort(v, 2);
	CHECK(strcmp(v[0].serial, "0B02") == 0);
	CHECK(p11_cand_pick(v, 2, NULL, NOW, &k) == P11_PICK_OK && k == 0);
	CHECK(p11_cand_pick(v, 2, "", NOW, &k) == P11_PICK_OK && k == 0);
	CHECK(p11_cand_pick(v, 0, NULL, NOW, &k) == P11_PICK_NONE);

	/* By number, serial (case, colons), whole ID, prefix. */
	CHECK(p11_cand_pick(v, 2, "2", NOW, &k) == P11_PICK_OK && k == 1);
	CHECK(p11_cand_pick(v, 2, "0a:01", NOW, &k) == P11_PICK_OK && k == 1);
	CHECK(p11_cand_pick(v, 2, "A1B2C302", NOW, &k) == P11_PICK_OK && k == 0);
	CHECK(p11_cand_pick(v, 2, "a1b2c3", NOW, &k) == P11_PICK_SEVERAL);
	CHECK(p11_cand_pick(v, 2, "a1b2c30", NOW, &k) == P11_PICK_SEVERAL);
	CHECK(p11_cand_pick(v, 2, "ffee", NOW, &k) == P11_PICK_NO_MATCH);
	CHECK(p11_cand_pick(v, 2, "3", NOW, &k) == P11_PICK_NO_MATCH);
	CHECK(p11_cand_pick(v, 2, "x1", NOW, &k) == P11_PICK_NO_MATCH);

	/* A whole ID that looks like a number wins over the index. */
	cand(&v[2], "01", "0C03", -2, 700, "UID=1");
	p11_cands_sort(v, 3);
	CHECK(strcmp(v[1].serial, "0C03") == 0);
	CHECK(p11_cand_pick(v, 3, "01", NOW, &k) == P11_PICK_OK && k == 1);
	CHECK(p11_cand_pick(v, 3, "1", NOW, &k) == P11_PICK_OK && k == 0);

	/* Another holder valid now: ambiguous, the newest still named. */
	cand(&v[3], "ffee04", "0D04", -3, 300, "UID=2");
	p11_cands_sort(v, 4);
	CHECK(p11_cand_pick(v, 4, NULL, NOW, &k) == P11_PICK_AMBIGUOUS && k == 0);
	CHECK(p11_cand_pick(v, 4, "ffee", NOW, &k) == P11_PICK_OK &&
	    strcmp(v[k].serial, "0D04") == 0);

	/* Expired or not yet valid. */
	cand(&v[0], "01", "0E05", -400, -30, "UID=1");
	cand(&v[1], "02", "0F06", 10, 400, "UID=1");
	p11_cands_sort(v, 2);
	CHECK(p11_cand_pick(v, 2, NULL, NOW, &k) == P11_PICK_NOT_VALID &&
	    k == 0 && strcmp(v[k].serial, "0F06") == 0);
	CHECK(p11_cand_pick(v, 2, "0E05", NOW, &k) == P11_PICK_NOT_VALID &&
	    strcmp(v[k].serial, "0E05") == 0);
	CHECK(p11_cand_pick(v, 1, "2", NOW, &k) == P11_PICK_NO_MATCH);

	/* The clock people read. */
	unsetenv("TZ");
	CHECK_ERR(x509_text_local(NOW, 0, out, sizeof(out)), 0);
	CHECK(strcmp(out, "2026-12-07 07:00:00 +0700") == 0);
	CHECK_ERR(x509_text_local(NOW - 3600, 1, out, sizeof(out)), 0);
	CHECK(strcmp(out, "2026-12-07") == 0);
	CHECK_ERR(x509_text_local(NOW, 0, out, 10), KYSO_ERR_TOO_LARGE);
	setenv("TZ", "UTC", 1);
	CHECK_ERR(x509_text_local(NOW, 0, out, sizeof(out)), 0);
	CHECK(strcmp(out, "2026-12-07 00:00:00 +0000") == 0);
	setenv("TZ", "Asia/Tokyo", 1);
	CHECK_ERR(x509_text_iso_local("2026-12-06T23:30:00Z", out, sizeof(out)),
	    0);
	CHECK(strcmp(out, "2026-12-07 08:30:00 +0900") == 0);
	CHECK_ERR(x509_text_iso_local("2026-12-06T23:30:00", out, sizeof(out)),
	    KYSO_ERR_INVALID);
	CHECK_ERR(x509_text_iso_local("2026-13-06T23:30:00Z", out, sizeof(out)),
	    KYSO_ERR_INVALID);
	CHECK_ERR(x509_text_iso_local("2026-12-06T23:30:0xZ", out, sizeof(out)),
	    KYSO_ERR_INVALID);
	return unit_done();
}
