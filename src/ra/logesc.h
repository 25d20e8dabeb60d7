/* Text from a request made safe for a log line or an audit row. */
#ifndef KYSO_RA_LOGESC_H
#define KYSO_RA_LOGESC_H

#include <stddef.h>

/* The size out needs for max input bytes: each may become \xNN, then
 * "..." and the NUL. */
#define LOG_ESCAPE_SIZE(max) (4 * (size_t)(max) + 4)

/* Writes s into out (outlen bytes, always NUL-ended): printable ASCII but
 * the space and the backslash as they are, every other byte (C0 controls
 * with CR, LF and ESC, space, DEL, every byte >= 0x80) as \xNN, so a
 * request is one line, its fields stay apart, and no terminal escape or
 * look-alike character reaches the reader. At most max bytes of s are
 * shown; a longer s ends in "...". */
void log_escape(const char *s, size_t max, char *out, size_t outlen);

#endif
