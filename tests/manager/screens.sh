#!/usr/bin/env bash
# Every main screen in English (LANG=C.UTF-8) and Vietnamese
# (LANG=vi_VN.UTF-8), screenshot into $KYSO_BUILD/screenshots/manager/
# (en-*.png, vi-*.png); in Vietnamese the seed's terms are shown.
. "$(dirname "$0")/lib.bash"
need_manager
ca_init
make_token MGR0030 --label "Token Screens"
change_default_pin MGR0030
issue_cert screens "/CN=Nguyen Thi Screens" "$(utc_in -30)" "$(utc_in 200)"
put_cert "$MOD" "Token Screens" "$WORK/screens.der" 01 "Nguyen Thi Screens"

# screens LANG PREFIX TITLE PAGES...: the window in LANG, each page shown
# and taken as PREFIX-<n>.png; the window closed after.
screens() {
  local lang=$1 prefix=$2 title=$3 page i=0
  shift 3
  LANG=$lang manager_start
  drive wait "$title" frame
  drive select "Token Screens (MGR0030)"
  shot "$prefix-main"
  for page in "$@"; do
    i=$((i + 1))
    drive click "$page"
    shot "$prefix-$i"
  done
  kill "$MGR_PID"
  wait "$MGR_PID" 2>/dev/null || true
  drive gone "$title" frame
}

note "English"
screens C.UTF-8 en "kyso Token Manager" "Hardware information" Certificates "Change PIN" \
  "Forgot PIN" "Register certificate" "Renew certificate" "Change details" \
  "Unblock with SO PIN" Preferences
LANG=C.UTF-8 manager_start
drive wait "kyso Token Manager" frame
drive select "Token Screens (MGR0030)"
drive click "Hardware information"
drive wait "Serial number: MGR0030"
drive wait "Label: Token Screens"
drive wait-text "PIN tries left" >/dev/null
drive click Certificates
drive wait-text "Nguyen Thi Screens" >/dev/null
kill "$MGR_PID"; wait "$MGR_PID" 2>/dev/null || true
drive gone "kyso Token Manager" frame

note "the dark theme: the main screen and the certificates"
GTK_THEME=Adwaita:dark LANG=C.UTF-8 manager_start
drive wait "kyso Token Manager" frame
drive select "Token Screens (MGR0030)"
drive click Certificates
drive wait-text "Nguyen Thi Screens" >/dev/null
shot en-dark-certs
kill "$MGR_PID"; wait "$MGR_PID" 2>/dev/null || true
drive gone "kyso Token Manager" frame

note "Vietnamese: the seed's terms"
screens vi_VN.UTF-8 vi "Quản lý Token kyso" "Thông tin phần cứng" "Chứng thư số" "Đổi mã PIN" \
  "Quên mã PIN" "Đăng ký chứng thư số" "Gia hạn chứng thư số" "Thay đổi thông tin" \
  "Mở khóa bằng SO PIN" "Tùy chọn"
LANG=vi_VN.UTF-8 manager_start
drive wait "Quản lý Token kyso" frame
drive select "Token Screens (MGR0030)"
drive click "Đổi mã PIN"
for term in "Mã PIN cũ" "Mã PIN mới" "Xác nhận mã PIN mới" "Chấp nhận" "Hủy"; do
  drive wait "$term"
done
drive click "Quên mã PIN"
for term in "Cá nhân" "Tổ chức" "Email liên hệ" "Gửi yêu cầu"; do
  drive wait "$term"
done
drive wait-text "Sẵn sàng" >/dev/null
drive click "Đăng ký chứng thư số"
drive wait "Mã kích hoạt"
drive wait "Tiếp tục"
pass
