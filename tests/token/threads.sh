#!/usr/bin/env bash
# Thread safety with CKF_OS_LOCKING_OK: several threads of one process,
# each with its own session, create, find and destroy token objects and
# sign and verify at once (p11_probe threads); then two such processes at
# the same time, with pkcs11-tool writing too. Every call succeeds, every
# object comes and goes exactly once, and the token stays whole. And
# pkcs11-tool --test-threads (threads that initialize, list slots and read
# the token info at once).
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
p11() { ext pkcs11-tool --module "$MOD" --token-label threads "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"

make_token TH0001 --label threads --capacity 1048576
change_default_pin TH0001
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 01 >/dev/null 2>&1 \
  || fail "key generation"

note "four threads in one process"
"$PROBE" threads "$MOD" threads "$USER_PIN" 4 > "$tmp/one.out" 2>&1 \
  || fail "p11_probe threads: $(cat "$tmp/one.out")"

note "two processes of four threads each, and pkcs11-tool writing meanwhile"
"$PROBE" threads "$MOD" threads "$USER_PIN" 4 > "$tmp/a.out" 2>&1 & pa=$!
"$PROBE" threads "$MOD" threads "$USER_PIN" 4 > "$tmp/b.out" 2>&1 & pb=$!
for i in 1 2 3 4 5; do
  printf 'object %d' "$i" > "$tmp/in.$i"
  p11 --login --pin "$USER_PIN" --write-object "$tmp/in.$i" --type data --label "w-$i" \
    >/dev/null 2>&1 || fail "pkcs11-tool write $i"
done
wait $pa || fail "process A: $(cat "$tmp/a.out")"
wait $pb || fail "process B: $(cat "$tmp/b.out")"

note "pkcs11-tool --test-threads: three threads initialize (CKF_OS_LOCKING_OK) at once"
out=$(ext pkcs11-tool --module "$MOD" --test-threads ILGISLT0 --test-threads ILGISLT0 \
  --test-threads ILGISLT0 -L 2>&1) || fail "pkcs11-tool --test-threads: $out"
for t in 0 1 2; do
  assert_contains "$out" "Test thread $t returning rv = 0"
done
assert_contains "$out" "token label        : threads"

note "what stays: the key pair and pkcs11-tool's five objects"
out=$(p11 --login --pin "$USER_PIN" --list-objects 2>&1)
assert_eq "$(grep -c "Data object" <<<"$out" || true)" 5 "data objects left"
assert_eq "$(grep -c "Private Key Object" <<<"$out" || true)" 1 "private keys"
for i in 1 2 3 4 5; do
  rm -f "$tmp/out"
  p11 --read-object --type data --label "w-$i" -o "$tmp/out" >/dev/null 2>&1 \
    || fail "reading w-$i"
  cmp -s "$tmp/in.$i" "$tmp/out" || fail "w-$i holds other bytes"
done
"$KT" info --token TH0001 >/dev/null || fail "kyso-token info"
pass
