#!/usr/bin/env bash
# Times a person reads are local time with the offset, the same in every
# command: Vietnam's (+0700) when TZ is unset, else TZ's. Checked in
# kyso-token certs, kyso-sign's certificate list, kyso-sign verify's
# report (the signing time, another program's /M in its own zone too) and
# the visible stamp's date; --json keeps UTC for scripts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token LT0001 01 rsa:2048 "Vo Thi Gio"
unset TZ
# local EPOCH [ZONE]: the local time a person should read.
local_of() { TZ=${2:-Asia/Ho_Chi_Minh} date -d "@$1" '+%Y-%m-%d %H:%M:%S %z'; }
end=$(date -d "$(openssl x509 -in "$W/cert01.pem" -noout -enddate | cut -d= -f2)" +%s)

note "kyso-token certs: Vietnam's time without TZ, TZ's with it"
assert_exit 0 "$KT" certs --token LT0001
assert_contains "$OUT" "Valid to:   $(local_of "$end")"
assert_contains "$OUT" "+0700"
TZ=Asia/Tokyo assert_exit 0 "$KT" certs --token LT0001
assert_contains "$OUT" "Valid to:   $(local_of "$end" Asia/Tokyo)"
assert_contains "$OUT" "+0900"
TZ=UTC assert_exit 0 "$KT" certs --token LT0001
assert_contains "$OUT" "Valid to:   $(local_of "$end" UTC)"
assert_exit 0 "$KT" certs --token LT0001 --json
printf '%s' "$OUT" | jq -e ".[0].not_after == \"$(date -u -d "@$end" '+%Y-%m-%d %H:%M:%S UTC')\"" >/dev/null ||
  fail "--json not_after is not UTC: $OUT"

note "kyso-sign's certificate list"
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c showpage >/dev/null 2>&1
assert_exit 3 ks pdf "$W/in.pdf" --token LT0001 --cert-id 99 </dev/null
assert_contains "$OUT" "valid until $(local_of "$end")"

note "the stamp's date and verify's signing time"
before=$(date +%s)
assert_exit 0 ks pdf "$W/in.pdf" -o "$W/stamp.pdf" --token LT0001 --visible 1,50,50,400,150 --chain "$W/int.pem" \
  --pin-fd 3 3<<<"$USER_PIN"
after=$(date +%s)
text=$(pdftotext -layout "$W/stamp.pdf" - 2>/dev/null | tr -s ' ')
# The second may tick between the clock readings and the signature.
ok=0
for t in $(seq "$before" "$after"); do
  case "$text" in *"$(local_of "$t")"*) ok=1 ;; esac
done
[ "$ok" = 1 ] || fail "the stamp lacks a +0700 local time between $(local_of "$before") and $(local_of "$after"): $text"
assert_exit 0 ks verify "$W/stamp.pdf" --trust "$W/root.pem"
ok=0
for t in $(seq "$before" "$after"); do
  case "$OUT" in *"claimed:   $(local_of "$t")"*) ok=1 ;; esac
done
[ "$ok" = 1 ] || fail "verify does not show the signing time in local time: $OUT"
TZ=Asia/Tokyo assert_exit 0 ks verify "$W/stamp.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "+0900"
assert_exit 0 ks verify "$W/stamp.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" "Z\""

note "another program's /M in its own zone (pdfsig in +0900): the same instant on the reader's clock"
nss_db
pdfsig_signer
TZ=Asia/Tokyo pdfsig -nssdir "sql:$W/nss" -add-signature -nick popsigner "$W/in.pdf" "$W/jp.pdf" >/dev/null 2>&1 || true
[ -s "$W/jp.pdf" ] || fail "pdfsig -add-signature wrote nothing"
m=$(grep -a -o -m1 "/M *(D:[0-9]*[-+Z][^)]*)" "$W/jp.pdf")
[[ $m == *"+09'00"* ]] || fail "pdfsig did not write a +09'00' /M: $m"
t=$(python3 -c '
import calendar, re, sys
d = re.search(r"D:(\d{14})([-+])(\d\d).(\d\d)", sys.argv[1])
v = [int(d.group(1)[i:j]) for i, j in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14))]
off = (int(d.group(3)) * 3600 + int(d.group(4)) * 60) * (1 if d.group(2) == "+" else -1)
print(calendar.timegm(tuple(v)) - off)' "$m")
assert_exit 0 ks verify "$W/jp.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "claimed:   $(local_of "$t")"
assert_exit 0 ks verify "$W/jp.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" "\"claimed_time\": \"$(date -u -d "@$t" '+%Y-%m-%dT%H:%M:%SZ')\""
pass
