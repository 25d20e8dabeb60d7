#!/usr/bin/env bash
# Owner-password-only PDFs (the user password empty: they open without
# one) are signed as ISO 32000 allows: the /Encrypt dictionary and the
# trailer's /ID stay, every string and stream of the new revisions is
# encrypted with the document's key (RC4 40/128 revisions 2-4, AES-128,
# AES-256 revisions 5 and 6, metadata in clear, object streams), the
# signature's /Contents and /ByteRange are not. Checked by others: pdfsig
# (valid, trusted), qpdf --check, qpdf --show-object (it decrypts /M),
# qpdf --decrypt (the stamp's text is there), pdftotext and pdftoppm (the
# stamp is drawn), openssl over the CMS, the DSS's OCSP response decrypted
# by qpdf. Then B-T, B-LT and a second signature; a file written by hand
# with literal encrypted strings signed in its two prepared fields.
# Refused, each with its reason: a user password, permissions that forbid
# it, a new field where only filling in existing ones is allowed, an
# unknown handler or revision.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

note "a PKI (the intermediate names the root's CRL, the signer an OCSP responder), a TSA"
crl_pki "" "$W/ee-ocsp.ext"
ocsp_signer ES0001 01 "Nguyen Van A" 2001 "$W/ee-ocsp.ext"
exp=$(date -u -d '+1 year' +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t2001\tunknown\t/C=VN/CN=Nguyen Van A\n' "$exp" > "$W/ocsp-index.txt"
ocsp_responder
tsa_conf
python3 "$(dirname "$0")/tsa_server.py" "$W/tsa.cnf" "$W/port" &
crl_pki_wait "$W/port"
[ -s "$W/port" ] || fail "the TSA did not start"
TSA=http://127.0.0.1:$(cat "$W/port")/tsa
nss_db
cat "$W/int.pem" "$W/root.pem" > "$W/chain.pem"

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/base.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong mua ban) show showpage" \
  >/dev/null 2>&1
enc() {
  local out=$1 user=$2; shift 2
  qpdf --allow-weak-crypto --encrypt "$user" owner-pw "$@" -- "$W/base.pdf" "$W/$out" \
    || fail "qpdf could not make $out"
}
sign() { # IN OUT [options]: kyso-sign with the test token
  local in=$1 out=$2; shift 2
  ks pdf "$W/$in" -o "$W/$out" --token ES0001 --pin-fd 3 --chain "$W/chain.pem" "$@" \
    3<<<"$USER_PIN" >/dev/null || fail "signing $in failed"
}
# kept FILE SIGNED: the encryption is the same, the trailer names the same
# /Encrypt and /ID, and nothing the new revisions wrote is in clear but
# /Contents (the DER qpdf shows as it is) and /ByteRange.
kept() {
  local f=$1 s=$2 sig
  assert_eq "$(qpdf --show-encryption "$W/$s" | grep -v '^Supplied')" \
    "$(qpdf --show-encryption "$W/$f" | grep -v '^Supplied')" "encryption of $s"
  python3 - "$W/$f" "$W/$s" <<'PY' || fail "$s: the new revision is not encrypted as it should be"
import re, sys
old, new = open(sys.argv[1], 'rb').read(), open(sys.argv[2], 'rb').read()
def trailer_keys(d):
    t = d[d.rfind(b'startxref') - 2048 if len(d) > 2048 else 0:]
    enc = re.findall(rb'/Encrypt\s*(\d+\s+\d+\s+R)', d)[-1]
    ids = re.findall(rb'/ID\s*\[\s*<([0-9A-Fa-f]+)>', d)[-1]
    return enc, ids.lower()
assert trailer_keys(old) == trailer_keys(new), (trailer_keys(old), trailer_keys(new))
tail = new[len(old):]
assert b'/Encrypt' in tail, "the update's trailer has no /Encrypt"
assert b'/M(D:' not in tail and b'Signature1' not in tail, "a string in clear"
assert b'/Type/Sig' in tail  # names stay names
PY
  sig=$(python3 -c 'import re, sys
d = open(sys.argv[1], "rb").read()
print(re.findall(rb"(?<![0-9])(\d+) 0 obj\s*<</Type/Sig", d)[-1].decode())' "$W/$s")
  sig=$(qpdf --show-object="$sig" "$W/$s")
  [[ $sig == *"/M (D:20"* ]] || fail "qpdf does not decrypt $s's /M: $sig"
  [[ $sig == *"/Contents <3082"* ]] || fail "$s's /Contents is not the CMS in clear"
}
# drawn SIGNED: poppler renders ink in the stamp's box (300,50)-(560,130)
# of page 1 where the unsigned page has none, and the text is the stamp's.
drawn() {
  local s=$1 txt
  txt=$(pdftotext -f 1 -l 1 "$W/$s" -)
  [[ $txt == *"Signed by:"*"Nguyen Van A"* ]] || fail "$s: the stamp's text is not there: $txt"
  pdftoppm -r 72 -gray -f 1 -l 1 -singlefile "$W/$s" "$W/page" 2>"$W/render.err"
  [ ! -s "$W/render.err" ] || fail "poppler complains rendering $s: $(cat "$W/render.err")"
  python3 - "$W/page.pgm" <<'PY' || fail "$s: the stamp is not drawn"
import sys
d = open(sys.argv[1], 'rb').read().split(b'\n', 3)
w, h = map(int, d[1].split()); px = d[3]
dark = sum(1 for y in range(h - 130, h - 50) for x in range(300, 560) if px[y * w + x] < 128)
assert dark > 300, dark
PY
}

VARIANTS="rc4-40.pdf:40 rc4-128.pdf:128,--use-aes=n rc4-128-r4.pdf:128,--use-aes=n,--force-V4
aes-128.pdf:128,--use-aes=y aes-128-meta.pdf:128,--use-aes=y,--cleartext-metadata
aes-256-r5.pdf:256,--force-R5 aes-256.pdf:256 aes-256-meta.pdf:256,--cleartext-metadata
aes-256-objstm.pdf:256,--,--object-streams=generate"
for v in $VARIANTS; do
  f=${v%%:*}
  IFS=, read -r -a args <<<"${v#*:}"
  if [[ " ${args[*]} " == *" -- "* ]]; then # qpdf options after the encryption's
    qpdf --allow-weak-crypto --encrypt "" owner-pw "${args[@]}" "$W/base.pdf" "$W/$f" \
      || fail "qpdf could not make $f"
  else
    enc "$f" "" "${args[@]}"
  fi
  [[ $(qpdf --show-encryption "$W/$f") == *"User password = "$'\n'* ]] || fail "$f needs a password"
  note "$f: $(qpdf --show-encryption "$W/$f" | grep -E '^R = |stream encryption method' | tr '\n' ' ')"
  sign "$f" "s-$f" --visible 1,300,50,560,130
  pdfsig_ok "$W/s-$f" 1
  qpdf_ok "$W/s-$f"
  cms_of "$W/s-$f" 1
  openssl_verify_ok
  kept "$f" "s-$f"
  drawn "s-$f"
  assert_exit 0 ks verify "$W/s-$f" --trust "$W/root.pem"
  assert_contains "$OUT" "result:    VALID"
  case $f in rc4-40.pdf | aes-128.pdf | aes-256-objstm.pdf)
    qpdf --decrypt "$W/s-$f" "$W/d-$f" || fail "qpdf --decrypt $f"
    qpdf_ok "$W/d-$f"
    drawn "d-$f" ;;
  esac
done

note "B-T, then B-LT (the DSS streams encrypted), then a second signature"
for f in aes-256.pdf rc4-128.pdf; do
  if [ $f = aes-256.pdf ]; then
    sign "$f" "bt-$f" --tsa "$TSA"
    pdfsig_ok "$W/bt-$f" 1
    assert_exit 0 ks verify "$W/bt-$f" --trust "$W/root.pem"
    assert_contains "$OUT" "level:     B-T"
  fi
  sign "$f" "lt-$f" --lt --tsa "$TSA"
  pdfsig_ok "$W/lt-$f" 1
  qpdf_ok "$W/lt-$f"
  kept "$f" "lt-$f"
  assert_exit 0 ks verify "$W/lt-$f" --trust "$W/root.pem"
  assert_contains "$OUT" "level:     B-LT"
  assert_contains "$OUT" "revocation in the document: good"
  # The OCSP response as qpdf decrypts it is good; the file's bytes are
  # not the DER in clear.
  ocsp=$(python3 - "$W/lt-$f" "$W/ocsp.raw" <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
n = int(re.search(rb'/OCSPs\s*\[\s*(\d+) 0 R', d).group(1))
m = list(re.finditer(rb'(?<![0-9])%d 0 obj\s*<<(.*?)>>\s*stream\n' % n, d, re.S))[-1]
ln = int(re.search(rb'/Length (\d+)', m.group(1)).group(1))
open(sys.argv[2], 'wb').write(d[m.end():m.end() + ln])
print(n)
PY
  )
  qpdf --show-object="$ocsp" --filtered-stream-data "$W/lt-$f" >"$W/ocsp.der"
  cmp -s "$W/ocsp.der" "$W/ocsp.raw" && fail "the DSS's OCSP response is in clear"
  out=$(openssl ocsp -respin "$W/ocsp.der" -resp_text -noverify 2>&1)
  assert_contains "$out" "Cert Status: good"
  sign "lt-$f" "two-$f" --visible 1,300,150,560,230
  pdfsig_ok "$W/two-$f" 2
  qpdf_ok "$W/two-$f"
  kept "$f" "two-$f"
  assert_exit 0 ks verify "$W/two-$f" --trust "$W/root.pem"
  [ "$(grep -c 'result:    VALID' <<<"$OUT")" = 2 ] || fail "two-$f: both signatures VALID: $OUT"
done

note "literal encrypted strings (not qpdf's hex): two parties sign its two prepared fields"
python3 "$(dirname "$0")/rc4_literal_pdf.py" "$W/literal.pdf"
assert_exit 0 ks fields "$W/literal.pdf"
assert_contains "$OUT" "BenB             empty"
sign literal.pdf literal-a.pdf --field BenA
sign literal-a.pdf literal-ab.pdf --field BenB
pdfsig_ok "$W/literal-ab.pdf" 2
qpdf_ok "$W/literal-ab.pdf"
kept literal.pdf literal-ab.pdf
# The field BenB, rewritten by the second signature, keeps its name: the
# first signature is not "changed after" for how a string was written.
assert_exit 0 ks verify "$W/literal-ab.pdf" --trust "$W/root.pem"
[ "$(grep -c 'result:    VALID' <<<"$OUT")" = 2 ] || fail "literal-ab: both signatures VALID: $OUT"

refused() {
  local f=$1 want=$2; shift 2
  assert_exit 1 ks pdf "$W/$f" -o "$W/out.pdf" --token ES0001 --pin-fd 3 "$@" 3<<<"$USER_PIN"
  assert_contains "$OUT" "$f: not signed: $want"
  [ ! -e "$W/out.pdf" ] || fail "an output for $f"
}
note "refused: a password to open it"
enc user-aes256.pdf user-pw 256
enc user-rc4-128.pdf user-pw 128 --use-aes=n
for f in user-aes256.pdf user-rc4-128.pdf; do
  refused $f "the file is encrypted with a password to open it"
done

note "refused: forms and annotations forbidden"
enc noform-aes256.pdf "" 256 --form=n --annotate=n --modify=none
enc noform-rc4-40.pdf "" 40 --annotate=n
for f in noform-aes256.pdf noform-rc4-40.pdf; do
  refused $f "the file is encrypted with an owner password whose permissions forbid filling in forms and signing"
done

note "filling in forms only (P bit 9, not 4 and 6): an empty field is signed, a new one refused"
python3 "$(dirname "$0")/prepared_pdf.py" "$W/prep.pdf" two
qpdf --encrypt "" owner-pw 256 --modify=form -- "$W/prep.pdf" "$W/fill-only.pdf"
[[ $(qpdf --show-encryption "$W/fill-only.pdf") == *"modify other: not allowed"* ]] || fail "fill-only allows changes"
refused fill-only.pdf "the file is encrypted with an owner password whose permissions allow signing an existing empty signature field only"
sign fill-only.pdf s-fill-only.pdf --field BenA
pdfsig_ok "$W/s-fill-only.pdf" 1
kept fill-only.pdf s-fill-only.pdf
assert_exit 0 ks verify "$W/s-fill-only.pdf" --trust "$W/root.pem"
assert_contains "$OUT" "result:    VALID"

note "refused: an unknown security handler, an unknown revision"
sed 's|/Filter /Standard|/Filter /FooBarX1|' "$W/aes-256.pdf" >"$W/handler.pdf"
sed 's|/R 6|/R 7|' "$W/aes-256.pdf" >"$W/rev7.pdf"
for f in handler.pdf rev7.pdf; do
  refused $f "the file is encrypted with a security handler or revision kyso-sign does not know"
done
pass
