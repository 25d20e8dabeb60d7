#!/usr/bin/env bash
# Runs kyso-agent's request fuzz target (tests/fuzz/fuzz_net_sign.c) for
# a bounded time, seeded with the sign requests pages send; fails on any
# crash, leak or sanitizer report.
set -euo pipefail
bin=$1; secs=${2:-20}
. "$(dirname "$0")/lib.bash"
fuzz_setup net
printf '%s' '{"items":[{"type":"pdf","title":"Hợp đồng","data":"JVBERi0xLjQK","options":{"level":"B-B","visible":true,"page":0,"rect":"10,10.5,200,80","reason":"Đồng ý","location":"Hà Nội","field":"Sig1"}}]}' > "$c/pdf"
printf '%s' '{"certificate":"4e3775e0a04dd5d2ffafd05515185f47d077084e7bf9630291de06340406c045","items":[{"type":"xml","title":"HĐ","data":"PGEvPg==","options":{"id":"data"}},{"type":"cms","data":"aGVsbG8="}]}' > "$c/xml"
printf '%s' '{"items":[{"type":"pdf","data":"aGk=","options":{"level":"B-LT"}}]}' > "$c/blt"
printf '%s' 'https://econtract.example.vn:8443' > "$c/origin"
printf '%s' 'http://[::1]:3000' > "$c/origin6"
fuzz_run fuzz_net_sign 8192
