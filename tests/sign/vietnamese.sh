#!/usr/bin/env bash
# Vietnamese messages (LANG=vi_VN.UTF-8) of kyso-sign and kyso-ra: their
# help and errors come from po/vi.po (strings of src/sign and src/ra);
# without LANG=vi they stay English.
. "$(dirname "$0")/../lib.sh"

KS=$BIN/kyso-sign
RA=$BIN/kyso-ra
vi() { LANG=vi_VN.UTF-8 "$@"; }

note "kyso-sign --help"
assert_exit 0 vi "$KS" --help
assert_contains "$OUT" "Cách dùng: kyso-sign pdf|cms|xml TỆP..."
assert_contains "$OUT" "ký số tệp PDF (PAdES B-B, hoặc B-T với --tsa)"
assert_contains "$OUT" "--pin-fd N          đọc mã PIN từ mô tả tệp N"
assert_contains "$OUT" "Mã thoát: 0 xong mọi tệp"
assert_not_contains "$OUT" "Exit status"
assert_exit 0 "$KS" --help
assert_contains "$OUT" "Exit status: 0 all files done"

note "kyso-sign errors"
assert_exit 1 vi "$KS" verify "$KYSO_HOME/missing.pdf"
assert_contains "$OUT" "kyso-sign: $KYSO_HOME/missing.pdf: không kiểm tra được:"
assert_contains "$OUT" "không kiểm tra được: tệp không tồn tại"
assert_exit 2 vi "$KS" pdf
assert_contains "$OUT" "kyso-sign: chưa có tệp đầu vào"
assert_contains "$OUT" "Hãy xem 'kyso-sign --help'."
assert_exit 2 vi "$KS" bogus
assert_contains "$OUT" "lệnh không hợp lệ (pdf, cms, xml, verify, fields hoặc extend)"

note "each command's --help is its own, in both languages"
for c in pdf cms xml verify fields extend; do
  assert_exit 0 "$KS" $c --help
  assert_contains "$OUT" "Usage: kyso-sign $c "
  eval "help_$c=\$OUT"
  assert_exit 0 vi "$KS" $c --help
  assert_contains "$OUT" "Cách dùng: kyso-sign $c "
done
assert_contains "$help_pdf" "--image FILE"
assert_not_contains "$help_pdf" "--c14n"
assert_contains "$help_xml" "--c14n"
assert_not_contains "$help_xml" "--visible"
assert_not_contains "$help_cms" "--visible"
assert_contains "$help_verify" "--trust FILE"
assert_not_contains "$help_verify" "--pin-fd"
assert_contains "$help_fields" "--field NAME"
assert_contains "$help_extend" "--tsa URL"
assert_contains "$help_extend" "B-LTA"
assert_not_contains "$help_extend" "--pin-fd"

note "kyso-ra --help"
assert_exit 0 vi "$RA" --help
assert_contains "$OUT" "Cách dùng: kyso-ra LỆNH [TÙY_CHỌN]"
assert_contains "$OUT" "Máy chủ RA và CA của kyso."
assert_contains "$OUT" "tạo CA, khóa chủ quản trị và cơ sở dữ liệu"
assert_exit 0 vi "$RA" serve --help
assert_contains "$OUT" "Chạy máy chủ RA/CA"
assert_contains "$OUT" "Mã thoát: 0 dừng do nhận tín hiệu"

note "kyso-ra errors"
assert_exit 2 vi "$RA" operator
assert_contains "$OUT" "kyso-ra operator: hãy dùng: operator add NAME"
assert_contains "$OUT" "Hãy xem 'kyso-ra operator --help'."
assert_exit 3 vi "$RA" operator list --home "$KYSO_HOME/nowhere"
assert_contains "$OUT" "chưa có CA trong"
assert_contains "$OUT" "hãy chạy kyso-ra init"
pass
