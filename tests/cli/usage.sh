#!/usr/bin/env bash
# Every subcommand's --help exits 0 and says how to use it; bad arguments
# exit 2 (EXIT_USAGE) with a message that names the problem.
. "$(dirname "$0")/helpers.bash"

CMDS="list info change-pin check watch certs export vtoken"

note "top-level help, version, unknown and missing command"
assert_exit 0 "$KT" --help
assert_contains "$OUT" "Usage: kyso-token COMMAND"
for c in $CMDS; do assert_contains "$OUT" "  $c"; done
assert_exit 0 "$KT" help
assert_exit 0 "$KT" --version
assert_contains "$OUT" "kyso-token 0."
assert_exit 2 "$KT"
assert_contains "$OUT" "Usage: kyso-token"
assert_exit 2 "$KT" frobnicate
assert_contains "$OUT" "unknown command 'frobnicate'"

note "--help and -h for each subcommand"
for c in $CMDS; do
  assert_exit 0 "$KT" "$c" --help
  assert_contains "$OUT" "Usage: kyso-token $c"
  assert_contains "$OUT" "--module PATH"
  assert_exit 0 "$KT" "$c" -h
  assert_contains "$OUT" "Usage: kyso-token $c"
done
assert_exit 0 "$KT" check --help
assert_contains "$OUT" "--warn-days N"
assert_exit 0 "$KT" export --help
assert_contains "$OUT" "--output FILE"
assert_exit 0 "$KT" vtoken --help
assert_contains "$OUT" "vtoken create"

note "unknown options and stray arguments"
for c in $CMDS; do
  assert_exit 2 "$KT" "$c" --no-such-option
  assert_contains "$OUT" "kyso-token $c: unknown option '--no-such-option'"
  assert_contains "$OUT" "Try 'kyso-token $c --help'."
  assert_exit 2 "$KT" "$c" -x
  assert_contains "$OUT" "kyso-token $c: unknown option '-x'"
  assert_exit 2 "$KT" "$c" --module
  assert_contains "$OUT" "kyso-token $c: option '--module' needs a value"
done
assert_exit 2 "$KT" export -o
assert_contains "$OUT" "kyso-token export: option '-o' needs a value"
for c in list info change-pin check watch certs export; do
  assert_exit 2 "$KT" "$c" stray
  assert_contains "$OUT" "unexpected argument"
  assert_contains "$OUT" "kyso-token $c --help"
done

note "option values are checked"
for opt in --pin-fd --new-pin-fd --so-pin-fd; do
  assert_exit 2 "$KT" info "$opt" abc
  assert_contains "$OUT" "$opt needs a file descriptor number"
  assert_exit 2 "$KT" info "$opt" 99999
  assert_exit 2 "$KT" info "$opt" -1
done
assert_exit 2 "$KT" check --warn-days soon
assert_contains "$OUT" "--warn-days needs a number of days"
assert_exit 2 "$KT" check --warn-days 4000
assert_exit 2 "$KT" watch --warn-days -3
assert_exit 2 "$KT" watch --count 0
assert_contains "$OUT" "--count needs a number of events"
assert_exit 2 "$KT" check --warn-days
assert_contains "$OUT" "option '--warn-days' needs a value"

note "vtoken verbs and their arguments"
assert_exit 2 "$KT" vtoken
assert_contains "$OUT" "say create, plug, unplug or list"
assert_exit 2 "$KT" vtoken melt
assert_contains "$OUT" "say create, plug SERIAL, unplug SERIAL or list"
assert_exit 2 "$KT" vtoken plug
assert_exit 2 "$KT" vtoken unplug A B
assert_exit 2 "$KT" vtoken list extra
assert_exit 2 "$KT" vtoken plug '../../etc/passwd'
assert_contains "$OUT" "not a token serial number"
assert_exit 2 "$KT" vtoken create --serial 'bad serial!' --so-pin-fd 3 3<<<"$SO_PIN"
assert_contains "$OUT" "a serial number is 1 to 16"
assert_exit 2 "$KT" vtoken create --serial ABCDEFGHIJKLMNOPQ --so-pin-fd 3 3<<<"$SO_PIN"
assert_exit 2 "$KT" vtoken create --label "$(printf 'L%.0s' $(seq 33))" --so-pin-fd 3 3<<<"$SO_PIN"
assert_contains "$OUT" "a label has at most 32 bytes"
assert_exit 2 "$KT" vtoken create --slot 999
assert_contains "$OUT" "--slot needs a slot number"
assert_exit 2 "$KT" vtoken create --user-retries 0
assert_contains "$OUT" "--user-retries needs a number from 1 to 100"
assert_exit 2 "$KT" vtoken create --so-retries 101
assert_contains "$OUT" "--so-retries needs a number from 1 to 100"
assert_exit 2 "$KT" vtoken create --capacity 100
assert_contains "$OUT" "--capacity needs a size in bytes"
assert_exit 2 "$KT" vtoken create --kdf-cost 9
assert_contains "$OUT" "--kdf-cost needs a number from 10 to 20"
# None of the refused commands made a token.
[ -z "$(ls "$KYSO_HOME/tokens" 2>/dev/null)" ] || fail "a refused create left a token: $(ls "$KYSO_HOME/tokens")"

note "usage errors come before any module is loaded"
assert_exit 2 "$KT" info --module /nonexistent/module.so stray
assert_exit 1 "$KT" info --module /nonexistent/module.so
assert_contains "$OUT" "Cannot load the token driver (PKCS#11 module) /nonexistent/module.so"
pass
