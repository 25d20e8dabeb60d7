#!/usr/bin/env bash
# Issue 15, "tests that would not have noticed": a signer kyso-ra revoked.
# A subscriber's certificate from kyso-ra goes onto a token (kyso-token
# register); she signs a PDF (B-B) and a file (CAdES). `kyso-sign verify
# --revocation` asks kyso-ra's OCSP responder (the certificate's AIA) on
# its own, without any signing step: before the revocation it does not
# mention one; after it, the report says "revoked" and the exit status is
# not 0. (The verdict's wording belongs to kyso-sign; only the mention of
# the revocation and the status are asserted.)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../ra_lib.sh"

W=$KYSO_HOME/work; mkdir -p "$W"
# The CA is made for the address it is served at, so that its own
# certificate names the root's CRL: every link of the chain has its
# revocation established, and the verdict can be VALID.
RA_PORT=$(free_port)
RA_INIT_ARGS=(--public-url "http://127.0.0.1:$RA_PORT")
ra_start
make_token RS0001 --label "Le Thi Thu" --admin-master "$RA_HOME/admin-master.key"
change_default_pin RS0001
op_post /api/v1/registrations '{"type":"personal","name":"Lê Thị Thu","id_number":"001099077777","province":"Hà Nội","email":"thu@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}' >/dev/null
code=$(last_mail_value "Activation code")
assert_exit 0 "$KT" register --ra "$RA_URL" --token RS0001 --yes --pin-fd 3 --code-fd 4 \
  3<<<"$USER_PIN" 4<<<"$code"
serial=$("$KT" certs --token RS0001 --json | jq -r '[.[] | select(.ca == false)][0].serial')
[ -n "$serial" ] && [ "$serial" != null ] || fail "no certificate on the token"
anchors=$RA_HOME/root.pem

gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$W/doc.pdf" \
  -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto (Hop dong) show showpage" >/dev/null 2>&1 ||
  fail "ghostscript"
printf 'to khai thue\n' > "$W/decl.txt"
"$BIN/kyso-sign" pdf "$W/doc.pdf" -o "$W/signed.pdf" --token RS0001 --pin-fd 3 \
  3<<<"$USER_PIN" >/dev/null || fail "signing the PDF"
"$BIN/kyso-sign" cms "$W/decl.txt" --token RS0001 --pin-fd 3 3<<<"$USER_PIN" >/dev/null ||
  fail "signing the file"

note "before the revocation: verified online, no revocation mentioned"
for f in "$W/signed.pdf" "$W/decl.txt.p7s"; do
  assert_exit 0 "$BIN/kyso-sign" verify "$f" --trust "$anchors" --revocation
  assert_not_contains "$(tr A-Z a-z <<<"$OUT")" "revoked"
done

note "kyso-ra revokes her certificate: verify --revocation says so and fails"
op_post "/api/v1/certificates/$serial/revoke" '{"reason":"keyCompromise"}' >/dev/null
for f in "$W/signed.pdf" "$W/decl.txt.p7s"; do
  set +e
  OUT=$("$BIN/kyso-sign" verify "$f" --trust "$anchors" --revocation 2>&1)
  rc=$?
  set -e
  [ "$rc" != 0 ] || fail "verify --revocation passed a revoked signer: $OUT"
  assert_contains "$(tr A-Z a-z <<<"$OUT")" "revoked" "the report does not mention the revocation"
  set +e
  OUT=$("$BIN/kyso-sign" verify "$f" --trust "$anchors" --revocation --json 2>&1)
  rc=$?
  set -e
  [ "$rc" != 0 ] || fail "verify --revocation --json passed a revoked signer"
  assert_contains "$OUT" "revoked" "the JSON report does not mention the revocation"
done
pass
