#!/usr/bin/env bash
# kyso-sign on a token that holds several certificates (a renewal or a
# change of details left the old one beside the new): the newest valid
# one by default; several holders listed (subject, serial, valid until)
# before any PIN is asked (tmux); --cert-id by number, serial or ID
# prefix, and a prefix that matches nothing or several says so; an
# expired certificate, missing or non-PDF input, --lt without --tsa and
# an absent token are refused before the PIN; one PIN for a batch. The
# signer each signature names is read back with openssl cms.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../tmux_lib.sh"

make_pki
signing_token CS0001 a1b2c3d401 rsa:2048 "Nguyen Van A"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c showpage >/dev/null 2>&1
cp "$W/in.pdf" "$W/in2.pdf"

# new_key ID: a second key pair on the token; its public key in pubID.pem.
new_key() {
  p11 --token-label sign-CS0001 --login --pin "$USER_PIN" --keypairgen \
    --key-type rsa:2048 --id "$1" --label "key$1" >/dev/null 2>&1
  p11 --token-label sign-CS0001 --read-object --type pubkey --id "$1" \
    -o "$W/pub$1.der" >/dev/null 2>&1
  openssl pkey -pubin -inform DER -in "$W/pub$1.der" -out "$W/pub$1.pem"
}
# put_ee ID SERIAL FROM TO CN [UID]: the certificate for key ID, replacing
# the one there.
put_ee() {
  local id=$1; shift
  python3 "$(dirname "$0")/issue_cert.py" "$W" "$W/pub$id.pem" "$W/ee$id.der" "$@"
  p11 --token-label sign-CS0001 --login --pin "$USER_PIN" --delete-object \
    --type cert --id "$id" >/dev/null 2>&1 || true
  p11 --token-label sign-CS0001 --login --pin "$USER_PIN" --write-object "$W/ee$id.der" \
    --type cert --id "$id" --label "cert$id" >/dev/null 2>&1 || fail "cannot write cert $id"
}
# signer_serial PDF: the serial of the certificate that signed PDF.
signer_serial() {
  cms_of "$1" 1
  cat "$W/root.pem" "$W/int.pem" > "$W/cas.pem"
  openssl cms -verify -binary -inform DER -in "$W/sig.der" -content "$W/signed.bin" \
    -CAfile "$W/cas.pem" -purpose any -signer "$W/signer.pem" \
    -out /dev/null 2>/dev/null \
    || fail "openssl cms -verify failed on $1"
  openssl x509 -in "$W/signer.pem" -noout -serial | cut -d= -f2
}

note "a renewal: the old certificate (valid 5 more days) and the new one"
new_key a1b2c3d402
put_ee a1b2c3d401 0A01 -360 5 "Nguyen Van A" "CCCD:001090000001"
put_ee a1b2c3d402 0B02 -1 730 "Nguyen Van A" "CCCD:001090000001"
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/default.pdf" --token CS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_eq "$(signer_serial "$W/default.pdf")" 0B02 "the default signer"
nss_db; pdfsig_ok "$W/default.pdf" 1

note "a change of details (new CN, same UID) is the same holder: the newest"
new_key ffee0003
put_ee ffee0003 0C03 -2 700 "Nguyen Van A (moi)" "CCCD:001090000001"
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/details.pdf" --token CS0001 --pin-fd 3 3<<<"$USER_PIN"
assert_eq "$(signer_serial "$W/details.pdf")" 0B02 "still the newest"

note "two holders on one token: the list, before any PIN (tmux)"
put_ee ffee0003 0C03 -2 700 "Tran Thi B" "MST:0101234567"
run_in_tmux "$KS" pdf "$W/in.pdf" -o "$W/amb.pdf" --token CS0001
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "valid certificates of different holders"
assert_contains "$s" "1) CN=Nguyen Van A,UID=CCCD:001090000001,O=Cong ty Kyso,C=VN"
assert_contains "$s" "serial 0B02, ID a1b2c3d402, valid until"
assert_contains "$s" "2) CN=Tran Thi B,UID=MST:0101234567,O=Cong ty Kyso,C=VN"
assert_contains "$s" "3) CN=Nguyen Van A,UID=CCCD:001090000001,O=Cong ty Kyso,C=VN"
assert_contains "$s" "serial 0A01, ID a1b2c3d401"
assert_contains "$s" "Choose one with --cert-id"
assert_contains "$s" "EXIT=3"
assert_not_contains "$s" "PIN" "a PIN was asked before the choice"
[ ! -e "$W/amb.pdf" ] || fail "signed although the choice was ambiguous"
assert_exit 3 env LANG=vi_VN.UTF-8 "$KS" pdf "$W/in.pdf" -o "$W/amb.pdf" --token CS0001 </dev/null
assert_contains "$OUT" "token có chứng thư số còn hiệu lực của nhiều chủ thể khác nhau"
assert_contains "$OUT" "số sê-ri 0B02, ID a1b2c3d402, hiệu lực đến"
assert_contains "$OUT" "Hãy chọn một chứng thư bằng --cert-id"

note "--cert-id by serial (any case) at the terminal: one PIN for two files"
mkdir -p "$W/out2"
run_in_tmux "$KS" pdf "$W/in.pdf" "$W/in2.pdf" --outdir "$W/out2" --token CS0001 --cert-id 0c:03
wait_screen "Token PIN: "
type_line "$USER_PIN"
wait_screen "EXIT="
s=$(screen)
assert_contains "$s" "EXIT=0"
assert_eq "$(printf '%s\n' "$s" | grep -c "Token PIN:")" 1 "PIN prompts for the batch"
assert_not_contains "$s" "$USER_PIN" "the PIN showed on the screen"
assert_eq "$(signer_serial "$W/out2/in.pdf")" 0C03
assert_eq "$(signer_serial "$W/out2/in2.pdf")" 0C03

note "--cert-id by number in the list, by ID prefix, and whole IDs"
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/n3.pdf" --token CS0001 --cert-id 3 --pin-fd 3 3<<<"$USER_PIN"
assert_eq "$(signer_serial "$W/n3.pdf")" 0A01
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/pfx.pdf" --token CS0001 --cert-id FFEE --pin-fd 3 3<<<"$USER_PIN"
assert_eq "$(signer_serial "$W/pfx.pdf")" 0C03
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/whole.pdf" --token CS0001 --cert-id a1b2c3d402 --pin-fd 3 3<<<"$USER_PIN"
assert_eq "$(signer_serial "$W/whole.pdf")" 0B02

note "a prefix that fits several, one that fits none: said, no PIN asked"
assert_exit 3 ks pdf "$W/in.pdf" -o "$W/x.pdf" --token CS0001 --cert-id a1b2 </dev/null
assert_contains "$OUT" "--cert-id a1b2 matches several certificates on the token"
assert_contains "$OUT" "serial 0A01"
assert_not_contains "$OUT" "PIN"
assert_exit 3 ks pdf "$W/in.pdf" -o "$W/x.pdf" --token CS0001 --cert-id a1b2c3d49 </dev/null
assert_contains "$OUT" "no certificate on the token matches --cert-id a1b2c3d49"
assert_contains "$OUT" "Certificates on the token:"
assert_not_contains "$OUT" "PIN"
assert_not_contains "$OUT" "no signing key with a certificate"
assert_exit 2 ks pdf "$W/in.pdf" --cert-id "01 02"
assert_contains "$OUT" "--cert-id wants a number from the list"

note "an expired certificate: refused before the PIN, signatures it made stay valid"
put_ee a1b2c3d401 0A01 -400 -30 "Nguyen Van A" "CCCD:001090000001"
assert_exit 3 ks pdf "$W/in.pdf" -o "$W/x.pdf" --token CS0001 --cert-id 0A01 </dev/null
assert_contains "$OUT" "the certificate of Nguyen Van A (serial 0A01) expired on"
assert_contains "$OUT" "Signatures made while it was valid stay valid."
assert_not_contains "$OUT" "PIN"
[ ! -e "$W/x.pdf" ] || fail "signed with an expired certificate"
# ... and the default passes over it.
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/d2.pdf" --token CS0001 --cert-id 1 --pin-fd 3 3<<<"$USER_PIN"

note "inputs, options and the token are checked before the PIN"
assert_exit 1 ks pdf "$W/missing.pdf" --token CS0001 </dev/null
assert_contains "$OUT" "missing.pdf: not signed: the file does not exist"
assert_not_contains "$OUT" "PIN"
printf 'just text\n' > "$W/note.pdf"
assert_exit 1 ks pdf "$W/note.pdf" "$W/missing.pdf" --token CS0001 </dev/null
assert_contains "$OUT" "note.pdf: not signed: not a PDF file"
assert_contains "$OUT" "2 of 2 files failed"
assert_not_contains "$OUT" "PIN"
assert_exit 1 ks xml "$W/in.pdf" --token CS0001 </dev/null
assert_contains "$OUT" "in.pdf: not signed: not an XML file"
assert_exit 2 ks pdf "$W/in.pdf" --lt --token CS0001 </dev/null
assert_contains "$OUT" "--lt needs a time-stamp server (--tsa)"
assert_exit 3 ks pdf "$W/in.pdf" --token NOSUCH </dev/null
assert_contains "$OUT" "the token was not found (is it plugged in?)"
assert_not_contains "$OUT" "PIN"
# A good file beside a missing one: the bad one named first, the PIN once.
assert_exit 1 ks pdf "$W/missing.pdf" "$W/in2.pdf" --outdir "$W/out2" --token CS0001 \
  --cert-id 1 --pin-fd 3 3<<<"$USER_PIN"
assert_contains "$OUT" "1 of 2 files failed"
first=$(printf '%s\n' "$OUT" | head -n1)
assert_contains "$first" "missing.pdf: not signed"

pass
