# Shared by the shell tests: a fresh $KYSO_HOME, the built programs, and
# assertions. Source it; every test ends with `pass`.
set -euo pipefail
# A command of the test script that fails outside an assertion ends the
# test: say which (not inherited by functions and subshells, and silent
# where a helper turned errexit off to look at a status itself).
trap 'rc=$?; [[ $- == *e* ]] && echo "FAIL [${TEST_NAME:-?}]: line $LINENO: \"$BASH_COMMAND\" exited $rc" >&2' ERR

: "${KYSO_BUILD:?KYSO_BUILD must name the build folder}"
BIN=$KYSO_BUILD/bin
MOD=$KYSO_BUILD/lib/libkyso-pkcs11.so
KT=$BIN/kyso-token
SOFTHSM=/usr/lib/softhsm/libsofthsm2.so
TEST_NAME=$(basename "${0%.sh}")

KYSO_HOME=$(mktemp -d "${TMPDIR:-/tmp}/kyso-test.XXXXXX")
export KYSO_HOME
unset KYSO_MODULE KYSO_SLOTS LANGUAGE LC_ALL LC_MESSAGES || true
export LANG=C.UTF-8
_cleanup() {
  local pids
  pids=$(jobs -p 2>/dev/null || true)
  [ -n "$pids" ] && kill $pids 2>/dev/null || true
  rm -rf "$KYSO_HOME"
}
trap _cleanup EXIT

# External programs (pkcs11-tool, p11tool, openssl) that load our module
# need the sanitizer runtime first when the module is built with it.
ext() {
  if [ "${KYSO_SANITIZE:-0}" = 1 ]; then
    LD_PRELOAD="${KYSO_ASAN_LIB}" ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-} "$@"
  else
    "$@"
  fi
}

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
pass() { echo "ok [$TEST_NAME]"; exit 0; }
note() { echo "-- $*"; }
# wait_line FILE LINE: up to 10 s for a line exactly LINE in FILE (a
# helper process's progress).
wait_line() {
  local i
  for ((i = 0; i < 200; i++)); do
    grep -qx -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "'$2' never appeared: $(cat "$1")"
}

assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', want '$2'"; }
assert_contains() {
  case "$1" in *"$2"*) ;; *) fail "${3:-output lacks '$2'}: $1" ;; esac
}
assert_not_contains() {
  case "$1" in *"$2"*) fail "${3:-output has '$2'}: $1" ;; *) ;; esac
}
# assert_exit CODE CMD...: runs CMD, fails unless it exits with CODE.
# Its output is left in $OUT.
assert_exit() {
  local want=$1; shift
  set +e
  OUT=$("$@" 2>&1)
  local got=$?
  set -e
  [ "$got" = "$want" ] || fail "'$*' exited $got, want $want; output: $OUT"
}

SO_PIN=87654321
USER_PIN=24681357

# make_token SERIAL [vtoken create options...]: a plugged-in token with
# a cheap KDF (the tests log in often).
make_token() {
  local serial=$1; shift
  "$KT" vtoken create --serial "$serial" --kdf-cost 10 --plug \
    --so-pin-fd 3 "$@" 3<<<"$SO_PIN" >/dev/null
}

# change_default_pin SERIAL: the first-use PIN change to $USER_PIN.
change_default_pin() {
  "$KT" change-pin --token "$1" --pin-fd 3 --new-pin-fd 4 \
    3<<<"12345678" 4<<<"$USER_PIN"$'\n'"$USER_PIN" >/dev/null
}
