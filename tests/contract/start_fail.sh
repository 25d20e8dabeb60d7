#!/usr/bin/env bash
# kyso-contract serve when libmicrohttpd cannot start its daemon: with a
# stack limit too large to map, its listening thread cannot be made. The
# documented failure (exit 1, "cannot listen"), no crash (ASan in the
# sanitizer build), and the listening socket, handed to MHD (which closes
# it on this path), never closed a second time: strace sees no close() of
# it answered EBADF, which in a threaded process could have closed a
# descriptor opened meanwhile under the same number.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

kc_init
# glibc sizes a new thread's stack by this limit: 200 TiB (in KiB), more
# than a process's whole address space (128 TiB on x86-64), so no
# overcommit setting can grant it.
BIG_STACK=214748364800

# start_fail [TRACER...]: serve under the limit; its status in RC.
start_fail() {
  set +e
  (ulimit -s "$BIG_STACK" && exec timeout 30 "$@" "$KC" serve --port 0) \
    >"$W/serve.out" 2>"$W/serve.err"
  RC=$?
  set -e
  [[ $(<"$W/serve.err") == *"Failed to create a new thread"* ]] ||
    fail "MHD did not fail on its thread (status $RC): $(<"$W/serve.err")"
}

note "exit 1 and the documented message, no sanitizer report"
start_fail
assert_eq "$RC" 1 "exit status"
assert_contains "$(<"$W/serve.err")" "kyso-contract: cannot listen on port 0"
assert_not_contains "$(<"$W/serve.err")" "Sanitizer"
assert_not_contains "$(<"$W/serve.out")" "listening on"

note "the listening socket closed once"
# LeakSanitizer cannot run under ptrace: leaks were checked above.
ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-} \
  start_fail strace -f -qq -o "$W/trace" -e trace=socket,close
assert_eq "$RC" 1 "exit status under strace"
trace=$(<"$W/trace")
fd=$(sed -n 's/.*socket(AF_INET, SOCK_STREAM.*) = \([0-9][0-9]*\)$/\1/p' "$W/trace")
[ -n "$fd" ] || fail "no listening socket in the trace: $trace"
assert_contains "$trace" "close($fd)" \
  "MHD left the socket open on this path: the test no longer reaches a second close"
[[ ! $trace =~ close\($fd\)\ +=\ -1\ EBADF ]] ||
  fail "the listening socket (fd $fd) was closed twice: $trace"

pass
