/* log_escape: what an attacker puts in a path reaches the log and the
 * audit as one line of printable ASCII, bounded. */
#include <string.h>

#include "logesc.h"
#include "unit.h"

int
main(void)
{
	char out[LOG_ESCAPE_SIZE(16)], small[8];

	log_escape("/api/v1/certificates/ab01/revoke", 16, out, sizeof(out));
	CHECK(strcmp(out, "/api/v1/certific...") == 0);
	log_escape("/healthz", 16, out, sizeof(out));
	CHECK(strcmp(out, "/healthz") == 0);
	log_escape("/x\r\nkyso-ra: 1", 16, out, sizeof(out));
	CHECK(strcmp(out, "/x\\x0d\\x0akyso-ra:\\x201") == 0);
	log_escape("\x1b[2J\\", 16, out, sizeof(out));
	CHECK(strcmp(out, "\\x1b[2J\\x5c") == 0);
	/* U+202E (bidi override) and U+0085 (C1 NEL) as their bytes */
	log_escape("a\xe2\x80\xae"
		   "b\xc2\x85",
	    16, out, sizeof(out));
	CHECK(strcmp(out, "a\\xe2\\x80\\xaeb\\xc2\\x85") == 0);
	log_escape("\x7f", 16, out, sizeof(out));
	CHECK(strcmp(out, "\\x7f") == 0);
	/* bounded: max input bytes, then "..." */
	log_escape("0123456789abcdefXYZ", 16, out, sizeof(out));
	CHECK(strcmp(out, "0123456789abcdef...") == 0);
	memset(out, 'z', sizeof(out));
	log_escape("\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n", 16, out, sizeof(out));
	CHECK(strlen(out) == 16 * 4 + 3);
	/* a short buffer is never overrun and always ends */
	log_escape("\n\n\n\n", 16, small, sizeof(small));
	CHECK(strcmp(small, "\\x0a...") == 0);
	log_escape("ab", 16, small, sizeof(small));
	CHECK(strcmp(small, "ab") == 0);
	log_escape(NULL, 16, small, sizeof(small));
	CHECK(small[0] == '\0');
	return unit_done();
}
