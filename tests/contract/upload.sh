#!/usr/bin/env bash
# The signer's upload, with PDFs signed by kyso-sign on virtual tokens
# (certificates from a test CA, an RFC 3161 TSA): not the signer's turn,
# a certificate naming another person, no time-stamp, a CA nobody
# trusts, a version that changes earlier bytes, a signature over an
# older version, two revisions: each refused with its reason and nothing
# changes; in order, A then B: accepted, the document completed, the
# final PDF verified by pdfsig and kyso-sign, everyone told by mail.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token CA0001 01 rsa:2048 "Nguyen Van A/UID=CCCD:001099000001"
signing_token CB0002 02 rsa:2048 "Tran Thi B/UID=CCCD:001099000002"
signing_token CC0003 03 rsa:2048 "Le Van C/UID=CCCD:001099000003"
nss_db
kc_tsa

kc_init
kc_serve --trust "$W/root.pem"
OUTBOX=$KYSO_HOME/contract/outbox
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
login b b@kyso.vn "$PW_b"
identity a 001099000001
identity b 001099000002

make_pdf "$W/c.pdf" "Hop dong mua ban"
create owner "Hợp đồng mua bán" "$W/c.pdf" $'a@kyso.vn\nb@kyso.vn' 1
expect 303
D=$DOC
v1=$(sql "SELECT sha256 FROM documents WHERE id = '$D'")

note "B before A: not B's turn"
fetch b "$D" "$W/v1.pdf"
ksign CB0002 "$W/v1.pdf" "$W/v1-b.pdf"
upload b "$D" "$W/v1-b.pdf"; expect 409

note "A with C's certificate: another person"
fetch a "$D" "$W/v1.pdf"
ksign CC0003 "$W/v1.pdf" "$W/v1-c.pdf"
upload a "$D" "$W/v1-c.pdf"; expect 422
assert_contains "$(body)" "định danh"

note "A without a time-stamp"
ks pdf "$W/v1.pdf" -o "$W/v1-bb.pdf" --token CA0001 --pin-fd 3 --chain "$W/int.pem" \
  3<<<"$USER_PIN" >/dev/null
upload a "$D" "$W/v1-bb.pdf"; expect 422
assert_contains "$(body)" "dấu thời gian"

note "A with earlier bytes changed"
ksign CA0001 "$W/v1.pdf" "$W/v1-a.pdf"
python3 - "$W/v1-a.pdf" "$W/v1-a-bad.pdf" <<'PY'
import sys
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.index(b'\n') + 2  # the binary comment of the header
d[i] ^= 1
open(sys.argv[2], 'wb').write(d)
PY
upload a "$D" "$W/v1-a-bad.pdf"; expect 422
assert_contains "$(body)" "byte"

note "A with two revisions"
ksign CA0001 "$W/v1-a.pdf" "$W/v1-aa.pdf"
upload a "$D" "$W/v1-aa.pdf"; expect 422
assert_eq "$(sql "SELECT sha256 || state FROM documents WHERE id = '$D'")" "${v1}waiting" \
  "nothing changed"
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action = 'sign-refused'")" 4
as a "$URL/documents/$D"; expect 200
assert_contains "$(body)" "<td>Chữ ký không được chấp nhận</td>" "the refusals in the history, in Vietnamese"
assert_contains "$(body)" "<td>Chữ ký không có dấu thời gian hợp lệ" "the refusal's reason, in Vietnamese"

note "A signs: accepted, B is told"
rm -f "$OUTBOX"/*.eml
upload a "$D" "$W/v1-a.pdf"; expect 200
assert_eq "$(jq -r .state "$W/body")" signed
assert_eq "$(jq -r .state_text "$W/body")" "Chờ người khác ký" "the state for the page, in the signer's language"
v2=$(sha256sum "$W/v1-a.pdf" | cut -d' ' -f1)
assert_eq "$(sql "SELECT sha256 FROM documents WHERE id = '$D'")" "$v2"
assert_eq "$(sql "SELECT group_concat(sha256) FROM versions WHERE doc_id = '$D' ORDER BY n")" "$v1,$v2"
cmp "$KYSO_HOME/contract/blobs/$v1" "$W/c.pdf"
grep -l 'To: <b@kyso.vn>' "$OUTBOX"/*.eml >/dev/null || fail "B was not told"
upload a "$D" "$W/v1-a.pdf"; expect 409

note "B over the old version (not the held one): refused"
upload b "$D" "$W/v1-b.pdf"; expect 422

note "B signs: completed"
fetch b "$D" "$W/v2.pdf"
cmp "$W/v2.pdf" "$W/v1-a.pdf"
ksign CB0002 "$W/v2.pdf" "$W/v2-b.pdf"
rm -f "$OUTBOX"/*.eml
upload b "$D" "$W/v2-b.pdf"; expect 200
assert_eq "$(jq -r .state "$W/body")" completed
assert_eq "$(jq -r .state_text "$W/body")" "Đã hoàn thành"
assert_eq "$(sql "SELECT state FROM documents WHERE id = '$D'")" completed
assert_eq "$(ls "$OUTBOX"/*.eml | wc -l)" 3 "the owner and both signers are told"
fetch owner "$D" "$W/final.pdf"
cmp "$W/final.pdf" "$W/v2-b.pdf"
pdfsig_ok "$W/final.pdf" 2
assert_exit 0 ks verify "$W/final.pdf" --trust "$W/root.pem"
as owner "$URL/documents/$D/audit.json"; expect 200
assert_eq "$(jq -r '[.audit[] | select(.action == "signed")] | length' "$W/body")" 2
assert_contains "$(jq -r '.audit[] | select(.action == "signed") | .detail' "$W/body")" \
  "UID = CCCD:001099000002"

note "the verification page on the final PDF"
as v "$URL/verify"; tv=$(csrf_of)
as v "$URL/verify" -F "csrf=$tv" -F "pdf=@$W/final.pdf"; expect 200
assert_eq "$(grep -o '<td class="VALID">HỢP LỆ</td>' "$W/body" | wc -l)" 2 "the verdicts in Vietnamese"
as v "$URL/verify" -F "csrf=$tv" -F "pdf=@$W/v1-a-bad.pdf"; expect 200
assert_contains "$(body)" '<td class="INVALID">KHÔNG HỢP LỆ</td>'

note "in English: the verdicts and the history's words"
as v "$URL/lang/en"; expect 303
as v "$URL/verify"; tv=$(csrf_of)
as v "$URL/verify" -F "csrf=$tv" -F "pdf=@$W/final.pdf"; expect 200
assert_eq "$(grep -o '<td class="VALID">VALID</td>' "$W/body" | wc -l)" 2
as a "$URL/lang/en"; expect 303
as a "$URL/documents/$D"; expect 200
assert_contains "$(body)" "<td>Signature refused</td>"
assert_contains "$(body)" "<strong>Completed</strong>"
pass
