#!/usr/bin/env bash
# Runs the kyso-ra request-body fuzz target for a bounded time, seeded with
# the API's own request shapes; fails on any crash, leak or sanitizer report.
set -euo pipefail
bin=$1; secs=${2:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-fuzz-ra.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
c=$work/corpus
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
cd "$work"
"$bin" -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 "$c" 2>&1 | tail -n 15
echo "fuzz_ra_body: no crash in ${secs}s"
