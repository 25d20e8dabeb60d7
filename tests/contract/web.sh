#!/usr/bin/env bash
# kyso-contract on the loopback, driven by curl: sign-in (wrong password,
# throttling), cookies and headers, CSRF refusal, 405 with Allow, another
# organisation's document by id is 404, hostile titles and reasons
# escaped, upload limits, broken and encrypted PDFs refused (an owner
# password only: when its permissions forbid signing), reject one and
# many (reason required, order enforced, mail to the others in the
# outbox), the audit trail as JSON and its chain catching an edited row,
# the language switch, the public verification page.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/helpers.bash"

kc_init
kc_serve --max-upload 1
OUTBOX=$KYSO_HOME/contract/outbox

note "pages need a session; headers on every answer"
as anon "$URL/documents"; expect 303
assert_contains "$(tr -d '\r' <"$W/hdr")" "Location: /login"
as anon "$URL/login"; expect 200
hdr=$(tr -d '\r' <"$W/hdr")
assert_contains "$hdr" "Content-Security-Policy: default-src 'none'; script-src 'self'"
assert_contains "$hdr" "X-Frame-Options: DENY"
# common/mhd.c's headers, on every answer of every kyso server.
assert_contains "$hdr" "Cache-Control: no-store"
assert_contains "$hdr" "X-Content-Type-Options: nosniff"
assert_contains "$hdr" "HttpOnly; SameSite=Strict"
assert_not_contains "$(body)" "<script>" "no inline script"
as anon "$URL/static/contract.js"; expect 200
as anon "$URL/static/..%2fcontract.h"; expect 404
as anon "$URL/nothing"; expect 404

note "405 with Allow on a known path"
as anon -X DELETE "$URL/login"; expect 405
assert_contains "$(tr -d '\r' <"$W/hdr")" "Allow: GET, POST"
as anon -X PUT "$URL/documents/new"; expect 405

note "Vietnamese by default, English by the switch"
as anon "$URL/login"; expect 200
assert_contains "$(body)" "Đăng nhập"
as en "$URL/lang/en"; expect 303
as en "$URL/login"; expect 200
assert_contains "$(body)" "Sign in"

note "sign-in: CSRF of the form, wrong password, throttling"
as anon "$URL/login" --data-urlencode "email=owner@kyso.vn" --data-urlencode "password=$PW_owner"
expect 403
as t "$URL/login"; t=$(csrf_of)
for i in 1 2 3 4 5; do
  as t "$URL/login" --data-urlencode "csrf=$t" --data-urlencode "email=a@kyso.vn" \
    --data-urlencode "password=wrong-password-$i"
  expect 401
  t=$(csrf_of)
done
as t "$URL/login" --data-urlencode "csrf=$t" --data-urlencode "email=a@kyso.vn" \
  --data-urlencode "password=$PW_a"
expect 429
assert_eq "$(sql "SELECT count(*) FROM audit WHERE action = 'login-failed'")" 5
# The throttle counts by e-mail and by address: forget it for the rest.
sql "DELETE FROM login_fails"
as t "$URL/login"; t=$(csrf_of)
as t "$URL/login" --data-urlencode "csrf=$t" --data-urlencode "email=nobody@kyso.vn" \
  --data-urlencode "password=whatever-it-is"
expect 401
assert_contains "$(body)" "Sai e-mail hoặc mật khẩu"
sql "DELETE FROM login_fails"
login owner owner@kyso.vn "$PW_owner"
assert_contains "$(tr -d '\r' <"$W/hdr")" "Set-Cookie: kc_session="
assert_contains "$(tr -d '\r' <"$W/hdr")" "HttpOnly; SameSite=Strict"
login a a@kyso.vn "$PW_a"
login b b@kyso.vn "$PW_b"
login x x@other.vn "$PW_x"

note "a POST without the session's CSRF token is refused"
make_pdf "$W/one.pdf" "Hop dong so 1"
as owner "$URL/documents" -F "title=t" -F "pdf=@$W/one.pdf" -F "signers=a@kyso.vn"
expect 403
as owner "$URL/documents" -F "csrf=$(printf '0%.0s' {1..64})" -F "title=t" \
  -F "pdf=@$W/one.pdf" -F "signers=a@kyso.vn"
expect 403
assert_eq "$(sql "SELECT count(*) FROM documents")" 0

note "create: hostile title, ordered signers, blob by hash"
HOSTILE='<script>alert(1)</script>"'"'"'&'
create owner "$HOSTILE" "$W/one.pdf" $'a@kyso.vn 1 40 40 180 50\nb@kyso.vn' 1
expect 303
[ -n "$DOC" ] || fail "no document id"
D1=$DOC
sha=$(sha256sum "$W/one.pdf" | cut -d' ' -f1)
assert_eq "$(sql "SELECT sha256 FROM documents WHERE id = '$D1'")" "$sha"
cmp "$KYSO_HOME/contract/blobs/$sha" "$W/one.pdf"
as owner "$URL/documents/$D1"; expect 200
assert_not_contains "$(body)" "<script>alert" "the title is escaped"
assert_contains "$(body)" "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"
as owner "$URL/documents"; expect 200
assert_not_contains "$(body)" "<script>alert" "the title is escaped in the list"
ls "$OUTBOX"/*.eml >/dev/null 2>&1 || fail "no mail to the first signer"
grep -l 'To: <a@kyso.vn>' "$OUTBOX"/*.eml >/dev/null || fail "the first signer was not told"

note "another organisation's document by id: 404, not in its list"
as x "$URL/documents/$D1"; expect 404
as x "$URL/documents/$D1/pdf"; expect 404
as x "$URL/documents/$D1/audit.json"; expect 404
tx=$(token x)
as x "$URL/documents/$D1/reject" --data-urlencode "csrf=$tx" --data-urlencode "reason=no"
expect 404
as x "$URL/documents"; expect 200
assert_not_contains "$(body)" "$D1"
as a "$URL/documents/$D1/pdf"; expect 200
cmp "$W/body" "$W/one.pdf"

note "uploads: over the cap, broken, encrypted, no title, no signers"
head -c $((1536 * 1024)) /dev/urandom >"$W/big.bin"
t=$(token owner)
as owner "$URL/documents" -F "csrf=$t" -F "title=big" -F "pdf=@$W/big.bin" -F "signers=a@kyso.vn"
expect 413
printf '%%PDF-1.4\nthis is not a pdf\n' >"$W/broken.pdf"
as owner "$URL/documents" -F "csrf=$t" -F "title=broken" -F "pdf=@$W/broken.pdf" -F "signers=a@kyso.vn"
expect 422
assert_contains "$(body)" "PDF"
qpdf --encrypt user owner 256 -- "$W/one.pdf" "$W/locked.pdf"
as owner "$URL/documents" -F "csrf=$t" -F "title=locked" -F "pdf=@$W/locked.pdf" -F "signers=a@kyso.vn"
expect 422
assert_contains "$(body)" "mã hoá"
qpdf --encrypt "" owner 256 --modify=none --form=n --annotate=n -- "$W/one.pdf" "$W/noperm.pdf"
as owner "$URL/documents" -F "csrf=$t" -F "title=noperm" -F "pdf=@$W/noperm.pdf" -F "signers=a@kyso.vn"
expect 422
assert_contains "$(body)" "Mật khẩu chủ sở hữu"
as owner "$URL/documents" -F "csrf=$t" -F "title=" -F "pdf=@$W/one.pdf" -F "signers=a@kyso.vn"
expect 400
as owner "$URL/documents" -F "csrf=$t" -F "title=t" -F "pdf=@$W/one.pdf" -F "signers=nobody"
expect 400
assert_eq "$(sql "SELECT count(*) FROM documents")" 1

note "reject: the order is kept, a reason is required"
tb=$(token b)
as b "$URL/documents/$D1/reject" --data-urlencode "csrf=$tb" --data-urlencode "reason=not yet"
expect 409
ta=$(token a)
as a "$URL/documents/$D1/reject" --data-urlencode "csrf=$ta" --data-urlencode "reason="
expect 400
rm -f "$OUTBOX"/*.eml
REASON='Sai điều khoản <b>3</b> & "phí"'
as a "$URL/documents/$D1/reject" --data-urlencode "csrf=$ta" --data-urlencode "reason=$REASON"
expect 303
assert_eq "$(sql "SELECT state FROM documents WHERE id = '$D1'")" rejected
as a "$URL/documents/$D1"; expect 200
assert_contains "$(body)" "Sai điều khoản &lt;b&gt;3&lt;/b&gt; &amp; &quot;phí&quot;"
as a "$URL/documents/$D1/reject" --data-urlencode "csrf=$ta" --data-urlencode "reason=again"
expect 409
n=$(grep -l 'Subject:' "$OUTBOX"/*.eml | wc -l)
assert_eq "$n" 2 "the owner and the other signer are told"
grep -l 'To: <owner@kyso.vn>' "$OUTBOX"/*.eml >/dev/null || fail "no mail to the owner"
grep -l 'To: <b@kyso.vn>' "$OUTBOX"/*.eml >/dev/null || fail "no mail to signer b"

note "reject many: each one on its own"
make_pdf "$W/two.pdf" "Hop dong so 2"
make_pdf "$W/three.pdf" "Hop dong so 3"
create owner "Hợp đồng 2" "$W/two.pdf" "a@kyso.vn"; D2=$DOC
create owner "Hợp đồng 3" "$W/three.pdf" $'b@kyso.vn\na@kyso.vn'; D3=$DOC
create owner "Hợp đồng 4" "$W/three.pdf" $'b@kyso.vn\na@kyso.vn' 1; D4=$DOC
ta=$(token a)
as a "$URL/documents/reject" --data-urlencode "csrf=$ta" -d "id=$D2" -d "id=$D3" -d "id=$D4" \
  -d "id=$D1" --data-urlencode "reason=Không đồng ý"
expect 200
assert_eq "$(sql "SELECT state FROM documents WHERE id IN ('$D2','$D3') GROUP BY state")" rejected
assert_eq "$(sql "SELECT state FROM documents WHERE id = '$D4'")" waiting "not a's turn in D4"
as a "$URL/documents/reject" --data-urlencode "csrf=$ta" -d "id=$D4" --data-urlencode "reason="
expect 400

note "the audit trail: JSON, and an edited row is caught"
as owner "$URL/documents/$D1/audit.json"; expect 200
assert_eq "$(jq -r .chain_intact "$W/body")" true
assert_eq "$(jq -r '[.audit[].action] | index("created") != null' "$W/body")" true
assert_eq "$(jq -r '[.audit[].action] | index("rejected") != null' "$W/body")" true
# The page's history says the actions in the reader's language.
as owner "$URL/documents/$D1"; expect 200
assert_contains "$(body)" "<td>Đã tạo</td>"
assert_contains "$(body)" "<td>Đã từ chối</td>"
if grep -q "<td>created</td>" "$W/body"; then fail "an action shown as its stored word"; fi
assert_exit 0 "$KC" audit-check
assert_contains "$OUT" "intact"
if sql "UPDATE audit SET detail = 'x' WHERE action = 'rejected'" 2>/dev/null; then
  fail "the audit table took an UPDATE"
fi
sql "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'changed' WHERE action = 'rejected' AND doc_id = '$D1'"
assert_exit 1 "$KC" audit-check
assert_contains "$OUT" "BROKEN at row"
as owner "$URL/documents/$D1/audit.json"; expect 200
assert_eq "$(jq -r .chain_intact "$W/body")" false

note "account: the signing method and the identity"
tb=$(token b)
as b "$URL/account" --data-urlencode "csrf=$tb" -d "method=usb_token" -d "id_kind=CCCD" -d "id_value=12345"
expect 400
as b "$URL/account" --data-urlencode "csrf=$tb" -d "method=usb_token" -d "id_kind=CCCD" -d "id_value=001099012345"
expect 303
assert_eq "$(sql "SELECT sign_method || ' ' || identity FROM accounts WHERE email = 'b@kyso.vn'")" \
  "usb_token CCCD:001099012345"

note "the public verification page"
as v "$URL/verify"; expect 200
tv=$(csrf_of)
as v "$URL/verify" -F "csrf=$tv" -F "pdf=@$W/one.pdf"; expect 200
assert_contains "$(body)" "không có chữ ký"
as v "$URL/verify" -F "csrf=$tv" -F "pdf=@$W/broken.pdf"; expect 422
as v "$URL/verify" -F "pdf=@$W/one.pdf"; expect 403

note "sign out ends the session"
t=$(token owner)
as owner "$URL/logout" --data-urlencode "csrf=$t"; expect 303
as owner "$URL/documents"; expect 303
pass
