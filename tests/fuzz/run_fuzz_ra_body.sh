#!/usr/bin/env bash
# Runs the kyso-ra request-body fuzz target for a bounded time, seeded with
# the API's own request shapes; fails on any crash, leak or sanitizer report.
set -euo pipefail
bin=$1; secs=${2:-20}
. "$(dirname "$0")/lib.bash"
fuzz_setup ra
printf '%s' '{"type":"personal","name":"Nguyễn Văn An","id_number":"001099012345","province":"Hà Nội","email":"an@example.vn","phone":"0912345678","profile":"sign","key_type":"rsa2048","validity_years":1}' > "$c/person"
printf '%s' '{"type":"organization","name":"Công ty A","tax_code":"0101234567-001","representative":"Trần B","province":"Hà Nội","email":"a@a.vn","phone":"024 3999 9999","key_type":"p256","validity_years":3}' > "$c/org"
printf '%s' '{"province":"Đà Nẵng","email":"x@y.vn","validity_years":2}' > "$c/update"
printf '%s' '{"code":"ABCDE-FGHJK-MNPQR-STVWX"}' > "$c/code"
printf '%s' 'ABCDE-FGHJK-MNPQR-STVWX' > "$c/rawcode"
printf '%s' '{"token_serial":"KT0001","otp":"123456","challenge":"00"}' > "$c/confirm"
if command -v openssl >/dev/null; then
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -subj /CN=x -out "$c/csr" 2>/dev/null || true
fi
fuzz_run fuzz_ra_body 8192
