#!/usr/bin/env bash
# kyso-contract on PostgreSQL (kyso.conf's contract_database): a private
# server (tests/ra/setup_pg.bash), init making the schema there, two
# kyso-contract instances on the one database and one document store. A
# contract created on one is signed through the other (kyso-sign on
# virtual tokens, the final PDF checked by pdfsig); another is rejected
# across them; both instances writing at once keep every audit row and
# the hash chain whole; a row changed behind the server's back is found.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../sign/helpers.bash"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../ra/setup_pg.bash"

as_pg "$PGBIN/createdb" -h "$PGD" -U kyso kyso_contract || fail "createdb"
DB_URL="postgresql://kyso@/kyso_contract?host=$PGD"
echo "contract_database = $DB_URL" >>"$KYSO_HOME/kyso.conf"
sql() { psql -X -q -At -d "$DB_URL" -c "$1"; }

make_pki
signing_token CA0001 01 rsa:2048 "Nguyen Van A/UID=CCCD:001099000001"
signing_token CB0002 02 rsa:2048 "Tran Thi B/UID=CCCD:001099000002"
nss_db
kc_tsa

note "before init: serve says to run it"
assert_exit 1 timeout 20 "$KC" serve --port 0
assert_contains "$OUT" "run init"

note "init makes the schema in PostgreSQL, no SQLite file"
kc_init
[ ! -e "$KYSO_HOME/contract/contract.db" ] || fail "init made contract.db"
assert_eq "$(sql "SELECT count(*) FROM accounts")" 4
assert_eq "$(sql "SELECT count(*) FROM audit")" 4

# serve2 N: instance N on a free port; sets URL<N>.
serve2() {
  : >"$W/serve$1.out"
  "$KC" serve --port 0 --trust "$W/root.pem" >"$W/serve$1.out" 2>"$W/serve$1.err" &
  local i u
  for ((i = 0; i < 100; i++)); do
    u=$(sed -n 's|^kyso-contract: listening on \(http://[^ ]*\)/$|\1|p' "$W/serve$1.out")
    if [ -n "$u" ]; then
      printf -v "URL$1" '%s' "$u"
      return 0
    fi
    sleep 0.1
  done
  fail "instance $1 did not start: $(cat "$W/serve$1.err")"
}
serve2 1
serve2 2
[ "$URL1" != "$URL2" ] || fail "one port for two instances"

note "sessions made on one instance hold on the other"
URL=$URL1
login owner owner@kyso.vn "$PW_owner"
login a a@kyso.vn "$PW_a"
URL=$URL2
login b b@kyso.vn "$PW_b"
identity a 001099000001
URL=$URL1
identity b 001099000002

note "created on instance 1, signed in order through instance 2 then 1"
make_pdf "$W/c.pdf" "Hop dong mua ban"
create owner "Hợp đồng mua bán" "$W/c.pdf" $'a@kyso.vn\nb@kyso.vn' 1
expect 303
D=$DOC
v1=$(sql "SELECT sha256 FROM documents WHERE id = '$D'")
cmp "$KYSO_HOME/contract/blobs/$v1" "$W/c.pdf"
URL=$URL2
fetch a "$D" "$W/v1.pdf"
ksign CB0002 "$W/v1.pdf" "$W/v1-b.pdf"
upload b "$D" "$W/v1-b.pdf"; expect 409
ksign CA0001 "$W/v1.pdf" "$W/v1-a.pdf"
upload a "$D" "$W/v1-a.pdf"; expect 200
assert_eq "$(jq -r .state "$W/body")" signed
upload a "$D" "$W/v1-a.pdf"; expect 409
URL=$URL1
fetch b "$D" "$W/v2.pdf"
cmp "$W/v2.pdf" "$W/v1-a.pdf"
ksign CB0002 "$W/v2.pdf" "$W/v2-b.pdf"
upload b "$D" "$W/v2-b.pdf"; expect 200
assert_eq "$(jq -r .state "$W/body")" completed
assert_eq "$(sql "SELECT state FROM documents WHERE id = '$D'")" completed
assert_eq "$(sql "SELECT string_agg(sha256, ',' ORDER BY n) FROM versions WHERE doc_id = '$D'")" \
  "$v1,$(sha256sum "$W/v1-a.pdf" | cut -d' ' -f1),$(sha256sum "$W/v2-b.pdf" | cut -d' ' -f1)"
URL=$URL2
fetch owner "$D" "$W/final.pdf"
cmp "$W/final.pdf" "$W/v2-b.pdf"
pdfsig_ok "$W/final.pdf" 2
as owner "$URL/documents/$D/audit.json"; expect 200
assert_eq "$(jq -r '[.audit[] | .action] | map(select(. == "signed" or . == "completed")) | join(",")' "$W/body")" \
  signed,signed,completed
assert_eq "$(jq -r .chain_intact "$W/body")" true

note "created on instance 2, rejected through instance 1"
make_pdf "$W/r.pdf" "Hop dong thue nha"
create owner "Hợp đồng thuê nhà" "$W/r.pdf" $'a@kyso.vn\nb@kyso.vn'
expect 303
R=$DOC
URL=$URL1
t=$(token b)
as b "$URL/documents/$R/reject" --data-urlencode "csrf=$t" --data-urlencode "reason=Sai giá thuê"
[ "$CODE" = 303 ] || [ "$CODE" = 200 ] || fail "reject: HTTP $CODE"
assert_eq "$(sql "SELECT state FROM documents WHERE id = '$R'")" rejected
assert_eq "$(sql "SELECT reason FROM signers WHERE doc_id = '$R' AND state = 'rejected'")" "Sai giá thuê"
URL=$URL2
fetch a "$R" "$W/r1.pdf"
ksign CA0001 "$W/r1.pdf" "$W/r1-a.pdf"
upload a "$R" "$W/r1-a.pdf"; expect 409

note "both instances writing at once: every audit row kept, the chain whole"
before=$(sql "SELECT count(*) FROM audit")
N=25
views() { # views URL WHO OUT: N document pages, each audited as viewed
  local i c
  for ((i = 0; i < N; i++)); do
    c=$(curl -s -o /dev/null -w '%{http_code}' -b "$W/jar.$2" "$1/documents/$D")
    echo "$c" >>"$3"
  done
}
views "$URL1" owner "$W/codes1" &
p1=$!
views "$URL2" a "$W/codes2" &
p2=$!
views "$URL1" b "$W/codes3" &
p3=$!
views "$URL2" owner "$W/codes4" &
p4=$!
wait $p1 $p2 $p3 $p4
assert_eq "$(cat "$W"/codes[1-4] | sort | uniq -c | tr -s ' ')" " $((4 * N)) 200" "every view answered"
assert_eq "$(sql "SELECT count(*) FROM audit")" "$((before + 4 * N))" "every view audited"
assert_eq "$(sql "SELECT max(id) - min(id) + 1 = count(*) FROM audit")" t "ids without gaps"
out=$("$KC" audit-check) || fail "audit-check: $out"
assert_contains "$out" "intact"

note "the audit is append-only in PostgreSQL too; a changed row is found"
if sql "UPDATE audit SET detail = 'x' WHERE id = 2" 2>/dev/null; then
  fail "an audit row was changed"
fi
sql "ALTER TABLE audit DISABLE TRIGGER audit_append_only"
sql "UPDATE audit SET remote = '10.0.0.1' WHERE id = 7"
assert_exit 1 "$KC" audit-check
assert_contains "$("$KC" audit-check || true)" "row 7"
pass
