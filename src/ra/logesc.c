#include "logesc.h"

#include <string.h>

/* An attacker chooses what a path or a header says; what the operator
 * reads in the log or the audit must still be what happened (issue 15:
 * a decoded CR LF planted a revocation line). One escaping rule for both,
 * with a bound, so a long path costs a bounded row. */
void
log_escape(const char *s, size_t max, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	if (outlen == 0)
		return;
	for (i = 0; s != NULL && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		int plain = c > 0x20 && c < 0x7f && c != '\\';

		/* room for this byte and for "..." with the NUL after it */
		if (i == max || outlen - o < (plain ? 1u : 4u) + 4) {
			if (outlen - o >= 4) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}
