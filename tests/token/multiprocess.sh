#!/usr/bin/env bash
# Several processes use one token at once: two pkcs11-tool loops create
# data objects and sign at the same time while a third lists objects;
# afterwards every object is there with its value and every signature
# verifies. And a process that keeps one session open sees an object
# another process creates, and its removal, without re-plugging.
. "$(dirname "$0")/../lib.sh"

PROBE=$KYSO_BUILD/tests/p11_probe
p11() { ext pkcs11-tool --module "$MOD" --token-label multi "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
N=12

make_token MP0001 --label multi
change_default_pin MP0001
p11 --login --pin "$USER_PIN" --keypairgen --key-type rsa:2048 --id 01 >/dev/null 2>&1 \
  || fail "RSA key generation"
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02 >/dev/null 2>&1 \
  || fail "EC key generation"
p11 --read-object --type pubkey --id 01 -o "$tmp/rsa.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$tmp/rsa.der" -out "$tmp/rsa.pem"
GNUTLS_PIN=$USER_PIN ext p11tool --provider "$(realpath "$MOD")" --login \
  --export-pubkey "pkcs11:serial=MP0001;id=%02;type=public" --outfile "$tmp/ec.pem" \
  >/dev/null 2>&1 || fail "exporting the EC public key"
head -c 2000 /dev/urandom > "$tmp/data"

# worker NAME KEYID MECH: N rounds of (create a data object, sign).
worker() {
  local name=$1 id=$2 mech=$3 i
  for ((i = 1; i <= N; i++)); do
    printf 'value of %s number %d' "$name" "$i" > "$tmp/$name.$i.in"
    p11 --login --pin "$USER_PIN" --write-object "$tmp/$name.$i.in" --type data \
      --label "$name-$i" >"$tmp/$name.log" 2>&1 || { echo "write $i" >> "$tmp/$name.err"; return 1; }
    p11 --login --pin "$USER_PIN" --sign --id "$id" -m "$mech" --signature-format openssl \
      -i "$tmp/data" -o "$tmp/$name.$i.sig" >"$tmp/$name.log" 2>&1 \
      || { echo "sign $i" >> "$tmp/$name.err"; return 1; }
  done
}
# reader: lists the token until told to stop (bounded).
reader() {
  local i
  for ((i = 0; i < 400; i++)); do
    [ -e "$tmp/stop" ] && return 0
    p11 --list-objects >/dev/null 2>&1 || { echo "list $i" >> "$tmp/reader.err"; return 1; }
  done
}

note "two writers and a reader at once"
worker A 01 SHA256-RSA-PKCS & pa=$!
worker B 02 ECDSA-SHA256 & pb=$!
reader & pr=$!
wa=0; wait $pa || wa=$?
wb=0; wait $pb || wb=$?
touch "$tmp/stop"
wr=0; wait $pr || wr=$?
[ $wa = 0 ] || fail "worker A failed: $(cat "$tmp/A.err" "$tmp/A.log" 2>/dev/null)"
[ $wb = 0 ] || fail "worker B failed: $(cat "$tmp/B.err" "$tmp/B.log" 2>/dev/null)"
[ $wr = 0 ] || fail "the reader failed: $(cat "$tmp/reader.err" 2>/dev/null)"

note "every object is there once, with its value; every signature verifies"
listing=$(p11 --list-objects --type data 2>&1)
count=$(grep -c "Data object" <<<"$listing" || true)
assert_eq "$count" $((2 * N)) "data objects on the token"
for name in A B; do
  for ((i = 1; i <= N; i++)); do
    n=$(grep -c "label: *'$name-$i'" <<<"$listing" || true)
    assert_eq "$n" 1 "objects labelled $name-$i"
    rm -f "$tmp/out"
    p11 --read-object --type data --label "$name-$i" -o "$tmp/out" >/dev/null 2>&1 \
      || fail "reading $name-$i"
    cmp -s "$tmp/$name.$i.in" "$tmp/out" || fail "$name-$i holds other bytes"
  done
done
for ((i = 1; i <= N; i++)); do
  openssl dgst -sha256 -verify "$tmp/rsa.pem" -signature "$tmp/A.$i.sig" "$tmp/data" \
    >/dev/null || fail "RSA signature $i does not verify"
  openssl dgst -sha256 -verify "$tmp/ec.pem" -signature "$tmp/B.$i.sig" "$tmp/data" \
    >/dev/null || fail "ECDSA signature $i does not verify"
done
json=$("$KT" info --token MP0001 --json)
free=$(grep -o '"free_memory": *[0-9]*' <<<"$json" | grep -o '[0-9]*$')
total=$(grep -o '"total_memory": *[0-9]*' <<<"$json" | grep -o '[0-9]*$')
(( free < total )) || fail "free memory $free of $total after writing objects"

note "two writers deleting at once: each object goes exactly once"
delete_half() {
  local name=$1 i
  for ((i = 1; i <= N; i += 2)); do
    p11 --login --pin "$USER_PIN" --delete-object --type data --label "$name-$i" \
      >/dev/null 2>&1 || return 1
  done
}
delete_half A & pa=$!
delete_half B & pb=$!
wait $pa || fail "deleting A objects"
wait $pb || fail "deleting B objects"
listing=$(p11 --list-objects --type data 2>&1)
assert_eq "$(grep -c "Data object" <<<"$listing" || true)" $((N)) "data objects after deleting half"
for name in A B; do
  for ((i = 1; i <= N; i++)); do
    n=$(grep -c "label: *'$name-$i'" <<<"$listing" || true)
    assert_eq "$n" $((i % 2 == 0 ? 1 : 0)) "objects labelled $name-$i after deleting"
  done
done
json2=$("$KT" info --token MP0001 --json)
free2=$(grep -o '"free_memory": *[0-9]*' <<<"$json2" | grep -o '[0-9]*$')
(( free2 > free )) || fail "free memory did not grow after deleting ($free -> $free2)"

note "a running process sees another's new object without re-plugging"
"$PROBE" seeobj "$MOD" multi seen-me > "$tmp/probe.out" 2>&1 & pp=$!
for ((i = 0; i < 200; i++)); do
  grep -q '^ready' "$tmp/probe.out" && break
  kill -0 $pp 2>/dev/null || break
  sleep 0.05
done
grep -q '^ready' "$tmp/probe.out" || fail "the probe did not start: $(cat "$tmp/probe.out")"
printf 'hello from another process' > "$tmp/seen.in"
p11 --login --pin "$USER_PIN" --write-object "$tmp/seen.in" --type data --label seen-me \
  >/dev/null 2>&1 || fail "writing seen-me"
for ((i = 0; i < 200; i++)); do
  grep -q '^seen' "$tmp/probe.out" && break
  sleep 0.05
done
p11 --login --pin "$USER_PIN" --delete-object --type data --label seen-me >/dev/null 2>&1 \
  || fail "deleting seen-me"
wait $pp || fail "the probe failed: $(cat "$tmp/probe.out")"
out=$(cat "$tmp/probe.out")
assert_contains "$out" "seen hello from another process"
assert_contains "$out" "gone"
pass
