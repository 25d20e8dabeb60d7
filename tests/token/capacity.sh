#!/usr/bin/env bash
# Token memory: objects count against the capacity made at manufacture;
# past it C_CreateObject and C_GenerateKeyPair return CKR_DEVICE_MEMORY,
# a key pair that does not fit leaves no half behind, free memory in the
# token info stays truthful, and deleting makes room again.
. "$(dirname "$0")/../lib.sh"

p11() { ext pkcs11-tool --module "$MOD" --token-label small "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
free_mem() {
  "$KT" info --token CA0001 --json | grep -o '"free_memory": *[0-9]*' | grep -o '[0-9]*$'
}

make_token CA0001 --label small --capacity 4096
change_default_pin CA0001
assert_eq "$(free_mem)" 4096 "free memory of an empty token"

note "a data object larger than the token: CKR_DEVICE_MEMORY, nothing used"
# (pkcs11-tool 0.23 writes at most 5000 bytes of a file: stay below.)
head -c 4500 /dev/urandom > "$tmp/big"
assert_exit 1 p11 --login --pin "$USER_PIN" --write-object "$tmp/big" --type data --label big
assert_contains "$OUT" "CKR_DEVICE_MEMORY"
assert_eq "$(free_mem)" 4096 "free memory after a refused object"

note "a key pair whose private half fits but not its public half: neither stays"
# Sizes measured on this token: a pair, its public half, a data object's
# overhead; then a filler leaves room for the private half alone.
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 01 >/dev/null 2>&1 \
  || fail "first key pair"
f1=$(free_mem)
p11 --login --pin "$USER_PIN" --delete-object --type pubkey --id 01 >/dev/null 2>&1 \
  || fail "deleting public key 01"
f2=$(free_mem)
p11 --login --pin "$USER_PIN" --delete-object --type privkey --id 01 >/dev/null 2>&1 \
  || fail "deleting private key 01"
assert_eq "$(free_mem)" 4096 "free memory after deleting the pair"
pub=$((f2 - f1)) priv=$((4096 - f2))
(( pub > 0 && priv > 0 )) || fail "sizes: public $pub, private $priv"
printf 'x' > "$tmp/one"
p11 --login --pin "$USER_PIN" --write-object "$tmp/one" --type data --label f >/dev/null 2>&1 \
  || fail "writing a 1-byte object"
ovh=$((4096 - $(free_mem) - 1))
p11 --login --pin "$USER_PIN" --delete-object --type data --label f >/dev/null 2>&1 \
  || fail "deleting the 1-byte object"
fill=$((4096 - ovh - priv - pub / 2))
(( fill > 0 && fill < 5000 )) || fail "filler size $fill"
head -c "$fill" /dev/urandom > "$tmp/fill"
p11 --login --pin "$USER_PIN" --write-object "$tmp/fill" --type data --label f >/dev/null 2>&1 \
  || fail "writing the filler"
room=$(free_mem)
(( room >= priv && room < priv + pub )) || fail "room $room for private $priv + public $pub"
assert_exit 1 p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 02
assert_contains "$OUT" "CKR_DEVICE_MEMORY"
assert_eq "$(free_mem)" "$room" "free memory after the refused pair"
out=$(p11 --login --pin "$USER_PIN" --list-objects 2>&1)
assert_not_contains "$out" "Private Key Object" "a half pair was left"
assert_not_contains "$out" "Public Key Object" "a half pair was left"
p11 --login --pin "$USER_PIN" --delete-object --type data --label f >/dev/null 2>&1 \
  || fail "deleting the filler"
assert_eq "$(free_mem)" 4096 "free memory of the emptied token"

note "key pairs until the token is full"
last=4096 made=0 refused=0
for i in 1 2 3 4 5 6; do
  if p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id "0$i" \
      >"$tmp/gen.out" 2>&1; then
    made=$((made + 1))
    now=$(free_mem)
    (( now < last )) || fail "free memory did not go down after key pair $i ($last -> $now)"
    last=$now
  else
    assert_contains "$(cat "$tmp/gen.out")" "CKR_DEVICE_MEMORY"
    refused=$((refused + 1))
    assert_eq "$(free_mem)" "$last" "free memory after a refused key pair"
  fi
done
(( made >= 1 && refused >= 1 )) || fail "made $made key pairs, refused $refused"
out=$(p11 --login --pin "$USER_PIN" --list-objects 2>&1)
assert_eq "$(grep -c "Private Key Object" <<<"$out" || true)" "$made" "private keys"
assert_eq "$(grep -c "Public Key Object" <<<"$out" || true)" "$made" "public keys"

note "deleting a pair makes room for another"
p11 --login --pin "$USER_PIN" --delete-object --type privkey --id 01 >/dev/null 2>&1 \
  || fail "deleting private key 01"
p11 --login --pin "$USER_PIN" --delete-object --type pubkey --id 01 >/dev/null 2>&1 \
  || fail "deleting public key 01"
(( $(free_mem) > last )) || fail "free memory did not grow after deleting"
p11 --login --pin "$USER_PIN" --keypairgen --key-type EC:prime256v1 --id 09 >/dev/null 2>&1 \
  || fail "no room for a key pair after deleting one"
assert_eq "$(free_mem)" "$last" "free memory after replacing a pair with one of the same kind"
pass
