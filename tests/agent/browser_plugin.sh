#!/usr/bin/env bash
# js/kyso-plugin.js in Debian's chromium against a stand-in agent
# (browser_plugin.mjs): its error codes, progress, cancel, limits and Local
# Network Access messages, apart from the real agent. Not run under ASan
# (label browser).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/browser_helpers.bash"
browser_prereqs
node "$AGENT_SRC/tests/agent/browser_plugin.mjs" || fail "the module's cases failed"
pass
