#!/usr/bin/env bash
# --reason and --location: written in the signature dictionary as PDF text
# strings (ASCII as a literal string with ( ) \ escaped; anything else
# UTF-16BE with its byte order mark, as a hex string), read back by qpdf
# (its JSON and --show-object), by a plain Python reading of the
# dictionary and by kyso-sign verify, the signature still valid for
# pdfsig (poppler 22.12's pdfsig does not print them); too long, control characters or bad UTF-8 are refused
# with no output file. A visible stamp with the default text gets a line
# with the reason.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

make_pki
signing_token RS0001 01 rsa:2048 "Nguyễn Văn Ánh"
nss_db
gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/in.pdf" -c "showpage" >/dev/null 2>&1

sign() { ks pdf "$W/in.pdf" --token RS0001 --pin-fd 3 --chain "$W/int.pem" "$@" 3<<<"$USER_PIN"; }

# sigdict FILE KEY: the raw value of /KEY in the last signature dictionary.
sigdict() {
  python3 - "$1" "$2" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
sig = d[d.rindex(b'/Type/Sig/'):]
sig = sig[:sig.index(b'/Contents<')] + sig[sig.index(b'>', sig.index(b'/Contents<')) + 1:]
m = re.search(rb'/' + sys.argv[2].encode() + rb'(\((?:\\.|[^\\)])*\)|<[0-9A-Fa-f]*>)', sig)
sys.stdout.write(m.group(1).decode('latin-1') if m else '-')
PY
}
# text FILE KEY: that value decoded (ISO 32000-1 7.9.2.2), as UTF-8.
text() {
  python3 - "$(sigdict "$1" "$2")" <<'PY'
import re, sys
v = sys.argv[1]
if v.startswith('<'):
    b = bytes.fromhex(v[1:-1])
    assert b[:2] == b'\xfe\xff', v
    s = b[2:].decode('utf-16-be')
else:
    s = re.sub(r'\\(.)', r'\1', v[1:-1])
sys.stdout.write(s)
PY
}
# qpdf_text FILE KEY WANT: qpdf's own reading of /KEY in the last
# signature dictionary is WANT.
qpdf_text() {
  local got
  got=$(qpdf --json=2 --json-key=qpdf "$1" | python3 -c '
import json, sys
objs = json.load(sys.stdin)["qpdf"][1]
sigs = [o["value"] for k, o in objs.items() if k.startswith("obj:")
        and isinstance(o.get("value"), dict) and o["value"].get("/Type") == "/Sig"]
v = sigs[-1].get("/" + sys.argv[1], "-")
sys.stdout.write(v[2:] if v.startswith("u:") else v)' "$2")
  assert_eq "$got" "$3" "qpdf reads /$2"
}

# signed_with FILE REASON LOCATION RAW_REASON RAW_LOCATION: signs FILE
# with them; the signature is valid, the dictionary holds them as RAW_*,
# and both readings (ours in Python, qpdf's) give them back.
signed_with() {
  local f=$1 reason=$2 location=$3
  # poppler 22.12's pdfsig does not print /Reason or /Location: qpdf
  # decodes them (its JSON gives a text string as "u:" and UTF-8).
  assert_exit 0 sign -o "$f" --reason "$reason" --location "$location"
  pdfsig_ok "$f" 1
  qpdf_ok "$f"
  assert_eq "$(sigdict "$f" Reason)" "$4"
  assert_eq "$(sigdict "$f" Location)" "$5"
  assert_eq "$(text "$f" Reason)" "$reason"
  assert_eq "$(text "$f" Location)" "$location"
  qpdf_text "$f" Reason "$reason"
  qpdf_text "$f" Location "$location"
}

note "ASCII: a literal string, ( ) \\ escaped"
signed_with "$W/a.pdf" 'I agree (fully) \ ok' 'Hanoi, VN' '(I agree \(fully\) \\ ok)' '(Hanoi, VN)'

note "Vietnamese: UTF-16BE with FE FF, as a hex string"
signed_with "$W/v.pdf" 'Đồng ý ký hợp đồng' 'Hà Nội 𝄞' \
  '<FEFF01101ED3006E0067002000FD0020006B00FD002000681EE30070002001111ED3006E0067>' \
  '<FEFF004800E00020004E1ED900690020D834DD1E>'
num=$(python3 -c 'import re,sys; d=open(sys.argv[1],"rb").read(); i=d.rindex(b"/Type/Sig/"); print(re.findall(rb"(\d+) 0 obj", d[:i])[-1].decode())' "$W/v.pdf")
qobj=$(qpdf --show-object="$num" "$W/v.pdf" 2>&1)
assert_contains "$qobj" "/Reason <feff01101ed3006e0067"

note "kyso-sign verify reports them (text and JSON)"
assert_exit 0 ks verify "$W/v.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "reason:    Đồng ý ký hợp đồng"
assert_contains "$OUT" "location:  Hà Nội 𝄞"
assert_exit 0 ks verify "$W/a.pdf" --trust "$W/root.pem" --json
assert_contains "$OUT" '"reason": "I agree (fully) \\ ok"'
assert_contains "$OUT" '"location": "Hanoi, VN"'

note "a visible stamp with the default text shows the reason on a line of its own"
# stamp_lines FILE: the text lines (Tj/TJ) of the last signature's stamp.
stamp_lines() {
  qpdf --json=2 --json-key=qpdf --json-stream-data=inline "$1" | python3 -c '
import base64, json, re, sys
objs = json.load(sys.stdin)["qpdf"][1]
w = [o["value"] for k, o in objs.items() if k.startswith("obj:")
     and isinstance(o.get("value"), dict) and o["value"].get("/FT") == "/Sig"][-1]
ap = objs["obj:" + w["/AP"]["/N"]]["stream"]
print(len(re.findall(rb"T[jJ]\b", base64.b64decode(ap["data"]))))'
}
assert_exit 0 sign -o "$W/s0.pdf" --visible 1,50,50,350,150
assert_exit 0 sign -o "$W/s1.pdf" --visible 1,50,50,350,150 --reason 'Đồng ý ký hợp đồng'
pdfsig_ok "$W/s1.pdf" 1
[ "$(stamp_lines "$W/s0.pdf")" -ge 3 ] || fail "the default stamp has $(stamp_lines "$W/s0.pdf") lines"
assert_eq "$(stamp_lines "$W/s1.pdf")" "$(( $(stamp_lines "$W/s0.pdf") + 1 ))" "the stamp's lines"
assert_exit 0 sign -o "$W/s2.pdf" --visible 1,50,50,350,150 --reason 'Đồng ý' --stamp-text 'Own text'
assert_eq "$(stamp_lines "$W/s2.pdf")" 1 "a stamp text of one line"

note "none given: no /Reason, no /Location"
assert_exit 0 sign -o "$W/n.pdf"
assert_eq "$(sigdict "$W/n.pdf" Reason)" '-'
assert_eq "$(sigdict "$W/n.pdf" Location)" '-'

note "refused, no output: too long, control characters, bad UTF-8"
long=$(printf 'x%.0s' $(seq 201))
assert_exit 1 sign -o "$W/r1.pdf" --reason "$long"
assert_contains "$OUT" "longer than 200 bytes"
[ ! -e "$W/r1.pdf" ] || fail "an over-long reason left an output file"
assert_exit 0 sign -o "$W/r200.pdf" --reason "${long:1}"
assert_exit 1 sign -o "$W/r2.pdf" --reason $'line one\nline two'
assert_contains "$OUT" "control character"
[ ! -e "$W/r2.pdf" ] || fail "a reason with a newline left an output file"
assert_exit 1 sign -o "$W/r3.pdf" --location $'\e[31mred'
assert_contains "$OUT" "control character"
[ ! -e "$W/r3.pdf" ] || fail "a location with an escape left an output file"
assert_exit 1 sign -o "$W/r4.pdf" --reason $'caf\xe9'
assert_contains "$OUT" "not valid UTF-8"
[ ! -e "$W/r4.pdf" ] || fail "a reason in Latin-1 left an output file"

pass
