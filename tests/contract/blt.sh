#!/usr/bin/env bash
# kyso-contract requiring B-LT (serve --level B-LT, kyso.conf
# contract_level): the pages ask the agent for B-LT; an upload is taken
# only when the signature's revision is followed by one of validation
# data (the DSS) that shows the signer good. A B-T upload and a second
# signature in place of the DSS are refused with the reason and change
# nothing; a B-LT one completes the contract and verifies in pdfsig and
# kyso-sign. The PKI is tests/sign/pades_blt.sh's: the signer's OCSP
# responder (openssl ocsp), the root's CRL over HTTP.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/helpers.bash"

crl_pki LT "$W/lt.ext"
issue() { ocsp_signer "$@" "$W/lt.ext"; } # SERIAL ID SUBJECT HEXSERIAL
issue LT0001 01 "Nguyen Van A/UID=CCCD:001099000001" 2001
issue LT0002 02 "Tran Thi B/UID=CCCD:001099000002" 2002
exp=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
revoked_at=$(date -u -d '-1 day' +%y%m%d%H%M%SZ)
{
  printf 'V\t%s\t\t2001\tunknown\t/C=VN/CN=Nguyen Van A/UID=CCCD:001099000001\n' "$exp"
  printf 'R\t%s\t%s\t2002\tunknown\t/C=VN/CN=Tran Thi B/UID=CCCD:001099000002\n' "$exp" "$revoked_at"
} >"$W/ocsp-index.txt"
ocsp_responder
kc_tsa
crl_pki_wait
nss_db
cat "$W/int.pem" "$W/root.pem" >"$W/chain.pem"

assert_exit 2 "$KC" serve --level B-X
kc_init
kc_serve --trust "$W/root.pem" --level B-LT
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
identity a 001099000001
make_pdf "$W/c.pdf" "Hop dong dai han"
create owner "Hợp đồng dài hạn" "$W/c.pdf" 'a@kyso.vn'
expect 303
D=$DOC
v1=$(sql "SELECT sha256 FROM documents WHERE id = '$D'")

note "the pages ask the agent for B-LT"
as a "$URL/documents/$D"; expect 200
assert_contains "$(body)" 'data-level="B-LT"'

note "B-T only: refused, nothing changes"
fetch a "$D" "$W/v1.pdf"
ksign LT0001 "$W/v1.pdf" "$W/bt.pdf"
upload a "$D" "$W/bt.pdf"; expect 422
assert_contains "$(body)" "B-LT"

note "a second signature where the DSS should be: refused"
ks pdf "$W/bt.pdf" -o "$W/bt2.pdf" --token LT0001 --pin-fd 3 --chain "$W/int.pem" \
  --tsa "$TSA" 3<<<"$USER_PIN" >/dev/null
upload a "$D" "$W/bt2.pdf"; expect 422
assert_eq "$(sql "SELECT sha256 || state FROM documents WHERE id = '$D'")" "${v1}waiting" "nothing changed"

note "B-LT: taken, completed, verified"
ks pdf "$W/v1.pdf" -o "$W/lt.pdf" --lt --tsa "$TSA" --token LT0001 --pin-fd 3 --chain "$W/chain.pem" \
  3<<<"$USER_PIN" >/dev/null || fail "B-LT signing failed"
upload a "$D" "$W/lt.pdf"; expect 200
assert_eq "$(jq -r .state "$W/body")" completed
fetch owner "$D" "$W/final.pdf"
cmp "$W/final.pdf" "$W/lt.pdf"
pdfsig_ok "$W/final.pdf" 1
assert_exit 0 ks verify "$W/final.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "level:     B-LT"

note "a server at B-T takes one revision only, as before"
kill "$KC_PID"; wait "$KC_PID" 2>/dev/null || true
kc_serve --trust "$W/root.pem"
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
create owner "Hợp đồng ngắn hạn" "$W/c.pdf" 'a@kyso.vn'
expect 303
as a "$URL/documents/$DOC"; expect 200
assert_contains "$(body)" 'data-level="B-T"'
upload a "$DOC" "$W/lt.pdf"; expect 422
upload a "$DOC" "$W/bt.pdf"; expect 200

note "revocation online (--revocation online): a good signer taken, a revoked one refused"
assert_exit 2 "$KC" serve --revocation sometimes
kill "$KC_PID"; wait "$KC_PID" 2>/dev/null || true
kc_serve --trust "$W/root.pem" --revocation online
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
login b b@kyso.vn "$PW_b"
identity b 001099000002
create owner "Hợp đồng A" "$W/c.pdf" 'a@kyso.vn'
expect 303
DA=$DOC
fetch a "$DA" "$W/ra.pdf"
ksign LT0001 "$W/ra.pdf" "$W/ra-signed.pdf"
upload a "$DA" "$W/ra-signed.pdf"; expect 200
create owner "Hợp đồng B" "$W/c.pdf" 'b@kyso.vn'
expect 303
DB=$DOC
vb=$(sql "SELECT sha256 FROM documents WHERE id = '$DB'")
fetch b "$DB" "$W/rb.pdf"
ksign LT0002 "$W/rb.pdf" "$W/rb-signed.pdf"
# Offline (B-T, no DSS) the revoked signer's upload would pass: only the
# online check sees the revocation.
upload b "$DB" "$W/rb-signed.pdf"; expect 422
assert_contains "$(body)" "đã bị thu hồi"
assert_eq "$(sql "SELECT sha256 || state FROM documents WHERE id = '$DB'")" "${vb}waiting" "nothing changed"

note "the CA's responder down: refused as not established, nothing changes"
kill "$OCSP_PID"; wait "$OCSP_PID" 2>/dev/null || true
create owner "Hợp đồng C" "$W/c.pdf" 'a@kyso.vn'
expect 303
DC=$DOC
vc=$(sql "SELECT sha256 FROM documents WHERE id = '$DC'")
fetch a "$DC" "$W/rc.pdf"
ksign LT0001 "$W/rc.pdf" "$W/rc-signed.pdf"
upload a "$DC" "$W/rc-signed.pdf"; expect 422
assert_contains "$(body)" "Không xác định được tình trạng chứng thư số"
assert_eq "$(sql "SELECT sha256 || state FROM documents WHERE id = '$DC'")" "${vc}waiting" "nothing changed"
pass
