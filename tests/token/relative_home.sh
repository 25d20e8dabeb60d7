#!/usr/bin/env bash
# A relative KYSO_HOME means the same folder to every later process,
# whatever its working directory (kyso_home() makes it absolute, so the
# slot links are absolute); and a slot link made by hand with a relative
# target is read from the slots folder, as the kernel reads it, not from
# the module's working directory.
. "$(dirname "$0")/../lib.sh"

ABS=$KYSO_HOME/rel
mkdir -p "$ABS"

note "a token made and plugged with KYSO_HOME=rel"
(cd "$KYSO_HOME" && KYSO_HOME=rel "$KT" vtoken create --serial RH0001 --label relative \
  --kdf-cost 10 --plug --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null) || fail "vtoken create"
target=$(readlink "$ABS/slots/0") || fail "no slot link in $ABS/slots"
case "$target" in
  /*) ;;
  *) fail "the slot link is relative: $target" ;;
esac
[ -e "$ABS/slots/0" ] || fail "the slot link dangles: $target"

note "seen from another working directory"
out=$(cd / && KYSO_HOME=$ABS "$KT" list 2>&1)
assert_contains "$out" "serial RH0001"
assert_not_contains "$out" "cannot be read"
out=$(cd / && KYSO_HOME=$ABS ext pkcs11-tool --module "$MOD" -L 2>&1)
assert_contains "$out" "RH0001"
out=$(cd "$KYSO_HOME" && KYSO_HOME=rel "$KT" list 2>&1)
assert_contains "$out" "serial RH0001"

note "a slot link made by hand with a relative target"
KYSO_HOME=$ABS "$KT" vtoken create --serial RH0002 --label byhand --kdf-cost 10 \
  --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null || fail "vtoken create RH0002"
ln -s ../tokens/RH0002.tok "$ABS/slots/2"
[ -e "$ABS/slots/2" ] || fail "the hand-made link dangles"
out=$(cd / && KYSO_HOME=$ABS ext pkcs11-tool --module "$MOD" -L 2>&1)
assert_contains "$out" "RH0002"
assert_not_contains "$out" "not recognized"
out=$(cd / && KYSO_HOME=$ABS "$KT" info --token RH0002 --json 2>&1) || fail "info RH0002: $out"
assert_contains "$out" '"slot": 2'
pass
