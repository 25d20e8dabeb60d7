#!/usr/bin/env bash
# Encrypted PDFs are refused, each with the reason its author set: a
# password to open it (RC4 and AES-256), or an owner password only whose
# permissions forbid filling in forms (RC4 40-bit, AES-128, AES-256), or
# an owner password only that allows it (still refused: kyso-sign cannot
# write an encrypted revision yet; it says so and how to go on). The
# files are made by qpdf; qpdf --show-encryption confirms what each is.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token EN0001 01 rsa:2048 "Nguyen Van A"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/base.pdf" -c showpage >/dev/null 2>&1
enc() {
  local out=$1 user=$2; shift 2
  qpdf --allow-weak-crypto --encrypt "$user" owner-pw "$@" -- "$W/base.pdf" "$W/$out" \
    || fail "qpdf could not make $out"
}
refused() {
  local f=$1 want=$2
  assert_exit 1 ks pdf "$W/$f" -o "$W/out.pdf" --token EN0001 --pin-fd 3 3<<<"$USER_PIN"
  assert_contains "$OUT" "$f: not signed: $want"
  [ ! -e "$W/out.pdf" ] || fail "an output for $f"
}

note "a password to open it"
enc user-aes256.pdf user-pw 256
enc user-rc4-128.pdf user-pw 128 --use-aes=n
for f in user-aes256.pdf user-rc4-128.pdf; do
  refused $f "the file is encrypted with a password to open it"
done

note "an owner password only, forms and annotations forbidden"
enc owner-noform-aes256.pdf "" 256 --form=n --annotate=n
enc owner-noform-aes128.pdf "" 128 --use-aes=y --form=n --annotate=n
enc owner-noform-rc4-40.pdf "" 40 --annotate=n
for f in owner-noform-aes256.pdf owner-noform-aes128.pdf owner-noform-rc4-40.pdf; do
  [[ $(qpdf --show-encryption "$W/$f") == *"modify forms: not allowed"* ]] || fail "$f allows forms"
  refused $f "the file is encrypted with an owner password whose permissions forbid filling in forms and signing"
done

note "an owner password only, forms allowed: refused, saying what to do"
enc owner-aes256.pdf "" 256
enc owner-rc4-128.pdf "" 128 --use-aes=n
for f in owner-aes256.pdf owner-rc4-128.pdf; do
  [[ $(qpdf --show-encryption "$W/$f") == *"modify forms: allowed"* ]] || fail "$f forbids forms"
  refused $f "the file is encrypted with an owner password only"
  assert_contains "$OUT" "qpdf --decrypt"
done
pass
