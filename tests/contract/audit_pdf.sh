#!/usr/bin/env bash
# A contract's audit trail as a PDF beside it (/documents/ID/audit.pdf):
# pdftotext (poppler, not our code) reads every row back: the actions in
# the reader's language, who, the address, a long Vietnamese reason
# wrapped whole, a refused upload and its reason translated, each row's
# hash; the chain's state; another
# organisation gets 404; the download itself is audited.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

kc_init
kc_serve
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
login x x@other.vn "$PW_x"
make_pdf "$W/c.pdf" "Hop dong"
create owner "Hợp đồng thuê nhà" "$W/c.pdf" "a@kyso.vn"
D=$DOC
REASON="Điều khoản thanh toán chưa đúng: số tiền ghi bằng chữ khác số tiền ghi bằng số, đề nghị bên A sửa lại trước ngày ký kết cuối cùng"
upload a "$D" "$W/c.pdf"; expect 422   # the held version itself: refused
as a "$URL/documents/$D/reject" -d "csrf=$(token a)" --data-urlencode "reason=$REASON"; expect 303

note "the PDF, read back by pdftotext"
as owner "$URL/documents/$D/audit.pdf"; expect 200
hdr=$(tr -d '\r' <"$W/hdr")
assert_contains "$hdr" "Content-Type: application/pdf"
assert_contains "$hdr" "filename=\"$D-audit.pdf\""
cp "$W/body" "$W/audit.pdf"
pdfinfo "$W/audit.pdf" >/dev/null || fail "not a PDF pdfinfo reads"
txt=$(pdftotext -enc UTF-8 "$W/audit.pdf" - | tr -s ' \n' '  ')
assert_contains "$txt" "Nhật ký giao dịch"
assert_contains "$txt" "Hợp đồng thuê nhà"
assert_contains "$txt" "$(sql "SELECT sha256 FROM documents WHERE id='$D'")"
assert_contains "$txt" "Nhật ký kiểm tra nguyên vẹn."
assert_contains "$txt" "Đã tạo owner@kyso.vn 127.0.0.1"
assert_contains "$txt" "Đã từ chối a@kyso.vn 127.0.0.1"
assert_contains "$txt" "Chữ ký không được chấp nhận a@kyso.vn 127.0.0.1" "the refused upload, in Vietnamese"
assert_contains "$txt" "các byte trước đó đã bị thay đổi." "its reason, in Vietnamese"
assert_contains "$txt" "$REASON" "the long reason, wrapped, whole"
for h in $(sql "SELECT hash FROM audit WHERE doc_id='$D' AND action <> 'downloaded'"); do
  assert_contains "$txt" "$h"
done
assert_eq "$(sql "SELECT count(*) FROM audit WHERE doc_id='$D' AND action='downloaded' AND detail='audit.pdf'")" 1

note "English when the reader chose it"
as owner "$URL/lang/en"; expect 303
as owner "$URL/documents/$D/audit.pdf"; expect 200
txt=$(pdftotext -enc UTF-8 "$W/body" - | tr -s ' \n' '  ')
assert_contains "$txt" "Audit trail"
assert_contains "$txt" "Rejected a@kyso.vn"
assert_contains "$txt" "Signature refused a@kyso.vn"
assert_contains "$txt" "earlier bytes were changed."

note "another organisation: 404"
as x "$URL/documents/$D/audit.pdf"; expect 404
pass
