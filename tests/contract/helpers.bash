# Shared by the kyso-contract tests (sourced after lib.sh): a database
# with accounts in two organisations, the real server on the loopback,
# and a curl per person (each with its own cookie jar).
KC=$BIN/kyso-contract
W=$KYSO_HOME/work
mkdir -p "$W"

# kc_init: the database, the admin of org "kyso", two more accounts there
# and one in another organisation; their passwords in PW_<name>.
kc_init() {
  local out
  out=$("$KC" init --admin-email owner@kyso.vn)
  PW_owner=$(sed -n 's/^admin .* (shown once): //p' <<<"$out")
  PW_a=$("$KC" account kyso a@kyso.vn | sed -n 's/.*(shown once): //p')
  PW_b=$("$KC" account kyso b@kyso.vn | sed -n 's/.*(shown once): //p')
  PW_x=$("$KC" account other x@other.vn | sed -n 's/.*(shown once): //p')
  [ -n "$PW_owner" ] && [ -n "$PW_a" ] && [ -n "$PW_x" ] || fail "init: $out"
}

# kc_serve [ARGS]: starts the server on a free port; sets URL.
kc_serve() {
  : >"$W/serve.out"
  "$KC" serve --port 0 "$@" >"$W/serve.out" 2>"$W/serve.err" &
  KC_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    URL=$(sed -n 's|^kyso-contract: listening on \(http://[^ ]*\)/$|\1|p' "$W/serve.out")
    [ -n "$URL" ] && return 0
    sleep 0.1
  done
  fail "the server did not start: $(cat "$W/serve.err")"
}

# as WHO ARGS...: curl as WHO (their jar); the status in $CODE, the body
# in $W/body, the headers in $W/hdr.
as() {
  local who=$1; shift
  CODE=$(curl -s -o "$W/body" -D "$W/hdr" -w '%{http_code}' \
    -c "$W/jar.$who" -b "$W/jar.$who" "$@")
}
body() { cat "$W/body"; }
expect() { [ "$CODE" = "$1" ] || fail "want HTTP $1, got $CODE: $(head -c 600 "$W/body")"; }
# csrf_of: the CSRF token on the page just fetched.
csrf_of() { grep -o 'name="csrf" value="[0-9a-f]*"' "$W/body" | head -1 | sed 's/.*value="//; s/"$//'; }

# login WHO EMAIL PASSWORD
login() {
  as "$1" "$URL/login"; expect 200
  local t; t=$(csrf_of)
  as "$1" "$URL/login" --data-urlencode "csrf=$t" --data-urlencode "email=$2" \
    --data-urlencode "password=$3"
  expect 303
}

# token WHO: the session's CSRF token (from the document list).
token() { as "$1" "$URL/documents"; expect 200; csrf_of; }

# create WHO TITLE PDF SIGNERS [ORDERED]: creates a contract; DOC its id.
create() {
  local t; t=$(token "$1")
  as "$1" "$URL/documents" -F "csrf=$t" --form-string "title=$2" -F "pdf=@$3;type=application/pdf" \
    --form-string "signers=$4" ${5:+-F "ordered=1"}
  DOC=$(tr -d '\r' <"$W/hdr" | sed -n 's|^Location: /documents/||p')
}

# make_pdf FILE TEXT: a one-page PDF.
make_pdf() {
  gs -q -dNOPAUSE -dBATCH -sDEVICE=pdfwrite -o "$1" \
    -c "/Helvetica findfont 20 scalefont setfont 72 700 moveto ($2) show showpage" \
    >/dev/null 2>&1
}
sql() { sqlite3 "$KYSO_HOME/contract/contract.db" "$@"; }

# identity WHO CCCD: the account's signing method and CCCD.
identity() {
  local t; t=$(token "$1")
  as "$1" "$URL/account" --data-urlencode "csrf=$t" -d "method=usb_token" \
    -d "id_kind=CCCD" -d "id_value=$2"
  expect 303
}
# fetch WHO DOC FILE: the held version.
fetch() { as "$1" "$URL/documents/$2/pdf"; expect 200; cp "$W/body" "$3"; }
# upload WHO DOC FILE: a signed version, as the page's script sends it.
upload() {
  local t; t=$(token "$1")
  as "$1" "$URL/documents/$2/signed" -F "csrf=$t" -F "pdf=@$3;type=application/pdf"
}
# ksign SERIAL IN OUT: PAdES B-T on the virtual token SERIAL.
ksign() {
  ks pdf "$2" -o "$3" --token "$1" --pin-fd 3 --chain "$W/int.pem" --tsa "$TSA" \
    3<<<"$USER_PIN" >/dev/null || fail "kyso-sign failed on $2"
}
# kc_tsa: an RFC 3161 TSA (openssl ts behind tests/sign/tsa_server.py)
# with a certificate from the test intermediate (after make_pki, with
# tests/sign/helpers.bash sourced); sets TSA.
kc_tsa() {
  tsa_conf # tests/sign/helpers.bash: the certificate and openssl ts config
  python3 "$(dirname "${BASH_SOURCE[0]}")/../sign/tsa_server.py" "$W/tsa.cnf" "$W/port" &
  local i
  for ((i = 0; i < 100; i++)); do [ -s "$W/port" ] && break; sleep 0.1; done
  [ -s "$W/port" ] || fail "the TSA did not start"
  TSA=http://127.0.0.1:$(cat "$W/port")/tsa
}
# kc_agent PORT: kyso-agent as tests/agent/browser_helpers.bash's
# start_agent starts it, with the TSA in kyso.conf (tsa_url: B-T).
kc_agent() {
  printf 'module = %s\nagent_port = %s\ntsa_url = %s\n' "$MOD" "$1" "$TSA" >"$KYSO_HOME/kyso.conf"
  export KYSO_PINENTRY=$AGENT_SRC/tests/agent/pinentry_script
  export KYSO_PINENTRY_SCRIPT=$W/pinentry.script KYSO_PINENTRY_LOG=$W/pinentry.log
  : >"$KYSO_PINENTRY_SCRIPT"
  : >"$KYSO_PINENTRY_LOG"
  "$BIN/kyso-agent" --foreground >"$W/agent.log" 2>&1 &
  AGENT_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    curl -sf -H "Origin: http://127.0.0.1:1" "http://127.0.0.1:$1/v1/hello" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  fail "kyso-agent did not answer on port $1: $(cat "$W/agent.log")"
}
# kc_token SERIAL ID SUBJECT: a signing token (tests/sign/helpers.bash)
# with the test CA's certificates on it, as the RA installs them: the
# agent takes the chain from there.
kc_token() {
  signing_token "$1" "$2" rsa:2048 "$3"
  local ca
  for ca in int root; do
    openssl x509 -in "$W/$ca.pem" -outform DER -out "$W/$ca.der"
    p11 --token-label "sign-$1" --login --pin "$USER_PIN" --write-object "$W/$ca.der" \
      --type cert --id "ca$([ $ca = int ] && echo 01 || echo 02)" --label "$ca" >/dev/null 2>&1
  done
}
