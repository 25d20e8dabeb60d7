#!/usr/bin/env bash
# A write costs what changed, not the whole token: a key pair made on a
# token holding 60 KB of objects is one record appended to the journal
# beside the token file (both halves in it: never half a pair on disk),
# a few hundred bytes, where the whole file was written twice before.
# pkcs11-tool makes the pair; strace counts the bytes written; pkcs11-tool
# and OpenSSL check the pair.
. "$(dirname "$0")/../lib.sh"

tmp=$KYSO_HOME/work; mkdir -p "$tmp"
command -v strace >/dev/null || fail "strace is missing (scripts/deps.sh)"
make_token SW0001 --label writes
change_default_pin SW0001
TOKFILE=$KYSO_HOME/tokens/SW0001.tok

# written ARGS...: the bytes pkcs11-tool ARGS (logged in) wrote to the
# token's files (the file, its temp files, its journal). A login itself
# writes (the attempt is counted, then reset: the whole file twice), so a
# run that only logs in is the baseline.
written() {
  local pre=()
  [ "${KYSO_SANITIZE:-0}" != 1 ] ||
    pre=(env LD_PRELOAD="$KYSO_ASAN_LIB" ASAN_OPTIONS=detect_leaks=0)
  strace -f -y -e trace=write,pwrite64 -o "$tmp/strace" "${pre[@]}" \
    pkcs11-tool --module "$MOD" --token-label writes --login --pin "$USER_PIN" \
    "$@" > "$tmp/p11" 2>&1 || fail "pkcs11-tool $*: $(cat "$tmp/p11")"
  awk -v f="$TOKFILE" 'index($0, "<" f) && $NF ~ /^[0-9]+$/ { n += $NF }
    END { print n + 0 }' "$tmp/strace"
}

note "a token holding 60 KB of objects"
head -c 3000 /dev/urandom > "$tmp/blob"
for i in $(seq 1 20); do
  ext pkcs11-tool --module "$MOD" --token-label writes --login --pin "$USER_PIN" \
    --write-object "$tmp/blob" --type data --label "blob $i" >/dev/null 2>&1 ||
    fail "writing blob $i"
done
size=$(stat -c %s "$TOKFILE")
[ "$size" -gt 60000 ] || fail "the token file is only $size bytes"

note "a P-256 key pair writes a few hundred bytes, not the file"
base=$(written --list-objects)
n=$(written --keypairgen --key-type EC:prime256v1 --id 5157 --label pair)
[ $((n - base)) -gt 0 ] && [ $((n - base)) -lt 4096 ] ||
  fail "a key pair wrote $((n - base)) bytes to a token file of $size"
[ -s "$TOKFILE.jnl" ] || fail "no journal beside the token file"

note "both halves are there, and they are one pair"
out=$(ext pkcs11-tool --module "$MOD" --token-label writes --login \
  --pin "$USER_PIN" --list-objects 2>&1)
assert_contains "$out" "Private Key Object; EC"
assert_contains "$out" "Public Key Object; EC"
# (p11tool reads the public key: pkcs11-tool's EC public key reading
# uses freed memory under ASan.)
GNUTLS_PIN=$USER_PIN ext p11tool --provider "$MOD" --login --export-pubkey \
  "pkcs11:token=writes;id=%51%57;type=public" --outfile "$tmp/pub.pem" \
  > "$tmp/read" 2>&1 || fail "reading the public key: $(cat "$tmp/read")"
openssl pkey -pubin -in "$tmp/pub.pem" -outform DER -out "$tmp/pub.der" ||
  fail "the public key is not one"
openssl dgst -sha256 -binary "$tmp/pub.der" > "$tmp/msg.dig"
ext pkcs11-tool --module "$MOD" --token-label writes --login \
  --pin "$USER_PIN" --sign --mechanism ECDSA --id 5157 \
  --signature-format openssl -i "$tmp/msg.dig" -o "$tmp/sig" >/dev/null 2>&1 ||
  fail "signing"
v=$(openssl pkeyutl -verify -pubin -keyform DER -inkey "$tmp/pub.der" \
  -in "$tmp/msg.dig" -sigfile "$tmp/sig" 2>&1) || fail "openssl: $v"
assert_contains "$v" "Signature Verified Successfully"

# The journal read back (public keys are listed without a login, which
# would write the whole file and drop the journal).
pubkeys() {
  local out
  out=$(ext pkcs11-tool --module "$MOD" --token-label journal --list-objects 2>&1) || true
  grep -c "Public Key Object" <<<"$out" || true
}
note "three pairs in one process: three records; a last one cut short is not there"
make_token SJ0001 --label journal
change_default_pin SJ0001
J=$KYSO_HOME/tokens/SJ0001.tok.jnl
out=$("$KYSO_BUILD/tests/p11_loop" pairs "$MOD" SJ0001 "$USER_PIN" 3 2>&1) ||
  fail "p11_loop pairs: $out"
assert_eq "$(pubkeys)" 3 "public keys with the whole journal"
cp "$J" "$tmp/jnl"
truncate -s -10 "$J"
assert_eq "$(pubkeys)" 2 "public keys with the last record cut short"

note "a damaged record before the last: the token is not recognized"
cp "$tmp/jnl" "$J"
printf '\xff' | dd of="$J" bs=1 seek=60 conv=notrunc status=none
out=$(ext pkcs11-tool --module "$MOD" -L 2>&1 || true)
assert_contains "$out" "token not recognized"
cp "$tmp/jnl" "$J.new" && mv -f "$J.new" "$J"
assert_eq "$(pubkeys)" 3 "public keys with the journal put right"
pass
