/* The module's slots: "plugging in" a virtual token is a symlink
 * $KYSO_HOME/slots/N -> the token file; the module reads the folder and
 * watches it with inotify for C_WaitForSlotEvent. */
#ifndef KYSO_SLOTS_H
#define KYSO_SLOTS_H

#include <stdint.h>

#include "../common/err.h"

#define SLOTS_MAX 64

struct slots;

int slots_new(const char *home, unsigned n, struct slots **out) KYSO_WUR;
void slots_free(struct slots *s);
unsigned slots_count(const struct slots *s);
/* Re-reads the folder; a slot whose token changed gets a new generation. */
void slots_scan(struct slots *s);
/* Whether the folder may have changed since the last call (one read of a
 * non-blocking inotify watch): cheap enough for every PKCS#11 call. */
int slots_changed(struct slots *s);
/* Whether slot i's token file may have been replaced since the last
 * call (an event on the watch of its folder, read by slots_changed, or
 * no watch): only then need the token be stat'ed and reloaded. Clears
 * the mark; slots_token_recheck sets it again (a reload that failed). */
int slots_token_changed(struct slots *s, unsigned i);
void slots_token_recheck(struct slots *s, unsigned i);
/* The token file attached to slot i, or NULL. */
const char *slots_path(const struct slots *s, unsigned i);
uint64_t slots_gen(const struct slots *s, unsigned i);
/* Waits until the folder may have changed: 0, or KYSO_ERR_BUSY when
 * cancelled. Call without the module lock held. */
int slots_wait(struct slots *s) KYSO_WUR;
void slots_cancel(struct slots *s);

#endif
