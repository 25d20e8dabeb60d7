#!/usr/bin/env bash
# Vietnamese messages (LANG=vi_VN.UTF-8): info, check and its findings,
# errors and help speak Vietnamese with the Token Manager's words; the
# exit codes and the --json output do not change with the language.
. "$(dirname "$0")/helpers.bash"

PO=$(dirname "$0")/../../po/vi.po
msgfmt --check -o /dev/null "$PO" || fail "msgfmt --check fails on po/vi.po"
vi() { LANG=vi_VN.UTF-8 "$@"; }

make_token VN0001 --label "Nguyễn Văn A" --user-retries 3

note "info"
assert_exit 0 vi "$KT" info
assert_contains "$OUT" "Thông tin phần cứng USB Token"
assert_contains "$OUT" "Nhãn:                Nguyễn Văn A"
assert_contains "$OUT" "Số sê-ri:            VN0001"
assert_contains "$OUT" "Nhà sản xuất:        kyso"
assert_contains "$OUT" "Tổng bộ nhớ:         65536 byte"
assert_contains "$OUT" "Độ dài mã PIN:       từ 6 đến 16 ký tự"
assert_contains "$OUT" "Trạng thái mã PIN:   mã PIN mặc định, phải đổi trước khi ký số"
assert_not_contains "$OUT" "Serial number"
# Other ways to ask for Vietnamese.
assert_exit 0 env LANGUAGE=vi "$KT" info
assert_contains "$OUT" "Thông tin phần cứng USB Token"
assert_exit 0 env LC_ALL=vi_VN.UTF-8 "$KT" info
assert_contains "$OUT" "Thông tin phần cứng USB Token"
# English stays English.
assert_exit 0 "$KT" info
assert_contains "$OUT" "Token hardware information"
# JSON is for programs: the same in every language.
en_json=$("$KT" info --json)
vi_json=$(vi "$KT" info --json)
assert_eq "$vi_json" "$en_json" "info --json differs in Vietnamese"

note "check: factory PIN"
assert_exit 10 vi "$KT" check --batch
assert_contains "$OUT" "Token VN0001 vẫn dùng mã PIN mặc định. Hãy đổi mã PIN trước khi ký số."
assert_contains "$OUT" "Chạy 'kyso-token change-pin' để đổi mã PIN."
assert_exit 10 vi "$KT" check --json
jq_ok '.findings == ["default-pin"]'

note "check: certificates expiring and expired"
change_default_pin VN0001
ca_init
issue_cert soon "/CN=Trần Thị Bình" "$(utc_in -300)" "$(utc_in 10)"
put_cert "$MOD" "Nguyễn Văn A" "$WORK/soon.der" 01 soon
assert_exit 11 vi "$KT" check --batch
assert_contains "$OUT" "Chứng thư số của Trần Thị Bình sẽ hết hạn sau"
assert_contains "$OUT" "Hãy gia hạn ngay: đề nghị nhà cung"
issue_cert old "/CN=Lê Văn Cường" 20240101000000Z 20250101000000Z
put_cert "$MOD" "Nguyễn Văn A" "$WORK/old.der" 02 old
assert_exit 12 vi "$KT" check --batch
assert_contains "$OUT" "Chứng thư số của Lê Văn Cường đã HẾT HẠN: không thể tạo chữ ký số mới"
assert_contains "$OUT" "vẫn có giá trị nếu có dấu thời"
assert_not_contains "$OUT" "không còn hiệu lực"
assert_contains "$OUT" "đề nghị nhà cung cấp dịch vụ chứng thực (CA) gia hạn: CA gửi mã kích hoạt"
assert_exit 0 vi "$KT" certs
assert_contains "$OUT" "Chủ thể:         CN=Lê Văn Cường"
assert_contains "$OUT" "Trạng thái:      ĐÃ HẾT HẠN"
assert_contains "$OUT" "Số ngày còn lại:"

note "check: a name in a BMPString is shown as text"
bmp_cert bmp "Phạm Thị Dung" 5
put_cert "$MOD" "Nguyễn Văn A" "$WORK/bmp.der" 03 bmp
assert_exit 12 vi "$KT" check --batch
assert_contains "$OUT" "Chứng thư số của Phạm Thị Dung sẽ hết hạn sau"
assert_exit 12 "$KT" check --json
jq_ok '[.findings[] | select(.finding == "certificate-expiring") | .subject] | sort == ["Phạm Thị Dung", "Trần Thị Bình"]'

note "check: locked PIN, wrong PIN"
cp_() { vi "$KT" change-pin --pin-fd 3 --new-pin-fd 4 3<<<"$1" 4<<<"$2"; }
assert_exit 4 cp_ 00000000 $'99887766\n99887766'
assert_contains "$OUT" "Đổi mã PIN: mã PIN không đúng."
assert_exit 6 cp_ "$USER_PIN" $'99887766\n99887767'
assert_contains "$OUT" "Mã PIN mới và mã xác nhận không khớp nhau; không có gì thay đổi."
assert_exit 4 cp_ 00000000 $'99887766\n99887766'
assert_exit 4 cp_ 00000000 $'99887766\n99887766'
assert_exit 13 vi "$KT" check --batch
assert_contains "$OUT" "Token VN0001: mã PIN đã bị khóa do nhập sai quá nhiều lần."
assert_contains "$OUT" "kyso-token forgot-pin"
assert_exit 0 vi "$KT" info
assert_contains "$OUT" "đã bị khóa: hãy yêu cầu mở khóa bằng 'kyso-token forgot-pin'"

note "errors and help"
assert_exit 2 vi "$KT" info stray
assert_contains "$OUT" "kyso-token info: đối số thừa"
assert_contains "$OUT" "Hãy xem 'kyso-token info --help'."
assert_exit 2 vi "$KT" certs --bad
assert_contains "$OUT" "kyso-token certs: tùy chọn không hợp lệ '--bad'"
assert_exit 2 vi "$KT" check --warn-days
assert_contains "$OUT" "kyso-token check: tùy chọn '--warn-days' cần một giá trị"
assert_exit 1 vi "$KT" info --module /nonexistent.so
assert_contains "$OUT" "Không nạp được trình điều khiển token (mô-đun PKCS#11) /nonexistent.so: không tìm thấy."
assert_exit 0 vi "$KT" --help
assert_contains "$OUT" "Cách dùng: kyso-token LỆNH [TÙY_CHỌN]"
assert_contains "$OUT" "hiện thông tin phần cứng của token"
assert_exit 0 vi "$KT" check --help
assert_contains "$OUT" "Mã thoát: 0 bình thường, 10 mã PIN mặc định"
vi "$KT" vtoken unplug VN0001 >/dev/null
assert_exit 3 vi "$KT" check
assert_contains "$OUT" "Chưa cắm thiết bị USB Token. Hãy cắm USB Token vào máy rồi thử lại."

# Strings added to the sources since po/vi.po was last updated are shown,
# not failed on (they fall back to English).
pot=$WORK/kyso.pot
root=$(dirname "$0")/../..
if xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -o "$pot" \
    "$root"/src/cli/*.c "$root"/src/common/*.c 2>/dev/null; then
  untranslated=$(msgcmp --use-untranslated "$PO" "$pot" 2>&1 | grep -c "this message is used but not defined" || true)
  note "strings of src/cli and src/common without a Vietnamese translation: $untranslated"
fi
pass
