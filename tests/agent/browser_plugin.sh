#!/usr/bin/env bash
# js/kyso-plugin.js in Debian's chromium against a stand-in agent
# (browser_plugin.mjs): its error codes, progress, cancel, limits and Local
# Network Access messages, apart from the real agent. Not run under ASan
# (label browser).
. "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${KYSO_SANITIZE:-0}" = 1 ]; then
  note "the browser tests run in the normal build only"
  pass
fi
[ -x /usr/bin/chromium ] || fail "no /usr/bin/chromium: run scripts/deps.sh"
[ -f "$SRC/node_modules/playwright-core/package.json" ] \
  || fail "no playwright-core in $SRC/node_modules: run scripts/deps.sh"
node "$SRC/tests/agent/browser_plugin.mjs" || fail "the module's cases failed"
pass
