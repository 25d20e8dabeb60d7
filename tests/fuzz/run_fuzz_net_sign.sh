#!/usr/bin/env bash
# Runs kyso-agent's request fuzz target (tests/fuzz/fuzz_net_sign.c) for
# a bounded time, seeded with the sign requests pages send; fails on any
# crash, leak or sanitizer report.
set -euo pipefail
bin=$1; secs=${2:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-fuzz-net.XXXXXX")
trap 'rm -rf "$work"' EXIT
c=$work/corpus
mkdir -p "$c"
printf '%s' '{"items":[{"type":"pdf","title":"Hợp đồng","data":"JVBERi0xLjQK","options":{"level":"B-B","visible":true,"page":0,"rect":"10,10.5,200,80","reason":"Đồng ý","location":"Hà Nội","field":"Sig1"}}]}' > "$c/pdf"
printf '%s' '{"certificate":"4e3775e0a04dd5d2ffafd05515185f47d077084e7bf9630291de06340406c045","items":[{"type":"xml","title":"HĐ","data":"PGEvPg==","options":{"id":"data"}},{"type":"cms","data":"aGVsbG8="}]}' > "$c/xml"
printf '%s' '{"items":[{"type":"pdf","data":"aGk=","options":{"level":"B-LT"}}]}' > "$c/blt"
printf '%s' 'https://econtract.example.vn:8443' > "$c/origin"
printf '%s' 'http://[::1]:3000' > "$c/origin6"
cd "$work"
"$bin" -max_total_time="$secs" -max_len=8192 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 "$c" 2>&1 | tail -n 15
echo "fuzz_net_sign: no crash in ${secs}s"
