#!/usr/bin/env bash
# Crash injection: a writer creates data objects one after another with
# pkcs11-tool and is killed with SIGKILL at a random moment, many rounds.
# After every kill the token opens and holds exactly the committed
# objects: every write whose command returned success, plus at most the
# one in flight when the kill came. Bounded to about 40 s of rounds. Then
# PIN changes are killed the same way: one of the two PINs always works.
. "$(dirname "$0")/../lib.sh"

p11() { ext pkcs11-tool --module "$MOD" --token-label crash "$@"; }
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
MAX_ROUNDS=40
BUDGET=40

make_token CI0001 --label crash --capacity 4194304
change_default_pin CI0001
TOKFILE=$KYSO_HOME/tokens/CI0001.tok

# The writer runs in its own session so that one kill -9 on its process
# group takes the loop and the pkcs11-tool in flight together. It logs a
# number only after pkcs11-tool has returned success for it.
cat > "$tmp/writer.sh" <<'WRITER'
#!/usr/bin/env bash
k=$1
if [ "${KYSO_SANITIZE:-0}" = 1 ]; then
  export LD_PRELOAD=$KYSO_ASAN_LIB ASAN_OPTIONS=detect_leaks=0
fi
for ((n = 0; n < 1000; n++, k++)); do
  echo "$k" > "$TMPW/inflight.new" && mv -f "$TMPW/inflight.new" "$TMPW/inflight"
  printf 'v-%d' "$k" > "$TMPW/val.$k"
  pkcs11-tool --module "$MOD" --token-label crash --login --pin "$USER_PIN" \
    --write-object "$TMPW/val.$k" --type data --label "obj-$k" >"$TMPW/write.log" 2>&1 || exit 1
  echo "$k" >> "$TMPW/committed"
done
WRITER
export MOD USER_PIN TMPW=$tmp KYSO_SANITIZE KYSO_ASAN_LIB
: > "$tmp/committed"

# present: the numbers of the obj-N data objects on the token, one a line
# (none at all after a round killed before its first write).
present() {
  local out
  out=$(p11 --list-objects --type data 2>&1) || fail "listing the token: $out"
  { grep -o "label: *'obj-[0-9]*'" <<<"$out" || true; } | grep -o '[0-9]*' | sort || true
}

next=1 rounds=0 kills_mid=0
start=$SECONDS
for ((round = 1; round <= MAX_ROUNDS; round++)); do
  (( SECONDS - start < BUDGET )) || break
  rm -f "$tmp/inflight" "$tmp/inflight.new"
  setsid bash "$tmp/writer.sh" "$next" &
  pid=$!
  # 0.02 .. 0.5 s: a few writes, then a kill somewhere inside one.
  sleep "0.$(printf '%02d' $((RANDOM % 49 + 2)))"
  kill -9 -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
  wc=0; wait "$pid" 2>/dev/null || wc=$?
  [ "$wc" = 1 ] && fail "round $round: a write failed before the kill: $(cat "$tmp/write.log")"
  rounds=$round

  # The token opens, and the objects are exactly the committed ones
  # (and perhaps the one in flight).
  "$KT" info --token CI0001 >/dev/null 2>"$tmp/info.err" \
    || fail "round $round: the token does not open: $(cat "$tmp/info.err")"
  inflight=$(cat "$tmp/inflight" 2>/dev/null || echo none)
  sort "$tmp/committed" > "$tmp/want"
  present > "$tmp/have" || fail "round $round: listing the objects failed"
  dups=$(uniq -d "$tmp/have")
  [ -z "$dups" ] || fail "round $round: objects twice: $dups"
  missing=$(comm -23 "$tmp/want" "$tmp/have")
  [ -z "$missing" ] || fail "round $round: committed objects lost: $missing"
  extra=$(comm -13 "$tmp/want" "$tmp/have")
  if [ -n "$extra" ]; then
    [ "$extra" = "$inflight" ] \
      || fail "round $round: objects never written: $extra (in flight: $inflight)"
    # The write landed but its success was not heard: it is committed now.
    echo "$extra" >> "$tmp/committed"
    kills_mid=$((kills_mid + 1))
  fi
  # Go on after the number in flight, whether or not it landed.
  if [ "$inflight" != none ]; then next=$((inflight + 1)); fi
done

total=$(wc -l < "$tmp/committed")
note "$rounds rounds, $total objects committed, $kills_mid kills after a write landed"
(( rounds >= 5 )) || fail "only $rounds rounds"
(( total >= 10 )) || fail "only $total objects written: the writer barely ran"

note "every surviving object holds its own value"
for k in $(sort -n "$tmp/committed"); do
  rm -f "$tmp/out"
  p11 --read-object --type data --label "obj-$k" -o "$tmp/out" >/dev/null 2>&1 \
    || fail "reading obj-$k"
  [ "$(cat "$tmp/out")" = "v-$k" ] || fail "obj-$k holds '$(cat "$tmp/out")'"
done

note "the PIN still works and the count is clean after a good login"
p11 --login --pin "$USER_PIN" --list-objects >/dev/null 2>&1 || fail "login after the crashes"
json=$("$KT" info --token CI0001 --json)
assert_contains "$json" '"pin_state": "ok"'

note "the next commit sweeps the temp files the killed writes left"
left=$(cd "$KYSO_HOME/tokens" && ls -A | grep -v -x -e CI0001.tok -e CI0001.tok.lock || true)
[ -z "$left" ] || fail "files left beside the token after a commit: $left"

# --- PIN changes killed at random points -----------------------------
# C_SetPIN counts the attempt, unwraps the token key with the old PIN and
# wraps it under the new one (a slower KDF here, so kills land inside).
# After each kill exactly one of the two PINs opens the token, and the
# objects stay readable with it.
"$KT" vtoken create --serial CI0002 --label crashpin --kdf-cost 14 --plug \
  --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null
"$KT" change-pin --token CI0002 --pin-fd 3 --new-pin-fd 4 \
  3<<<"12345678" 4<<<"11112222"$'\n'"11112222" >/dev/null
printf 'kept across PIN changes' > "$tmp/keep"
ext pkcs11-tool --module "$MOD" --token-label crashpin --login --pin 11112222 \
  --write-object "$tmp/keep" --type data --label keep --private >/dev/null 2>&1 \
  || fail "writing a private object"
pq() { ext pkcs11-tool --module "$MOD" --token-label crashpin "$@"; }
cur=11112222 other=33334444 changed=0 kept=0
# One change left alone gives the window to aim the kills at (so that some
# land before, some inside and some after the commit, on a slow machine
# too); then the PINs swap roles.
t0=${EPOCHREALTIME/./}
pq --login --pin "$cur" --change-pin --new-pin "$other" >/dev/null 2>&1 \
  || fail "an unkilled PIN change failed"
window=$(( (${EPOCHREALTIME/./} - t0) * 13 / 10 / 1000 ))   # ms
(( window >= 20 )) || window=20
t=$cur; cur=$other; other=$t
start=$SECONDS
for ((round = 1; round <= 30; round++)); do
  (( SECONDS - start < 20 )) || break
  (
    if [ "${KYSO_SANITIZE:-0}" = 1 ]; then
      export LD_PRELOAD=$KYSO_ASAN_LIB ASAN_OPTIONS=detect_leaks=0
    fi
    exec pkcs11-tool --module "$MOD" --token-label crashpin --login --pin "$cur" \
      --change-pin --new-pin "$other" >/dev/null 2>&1
  ) &
  pid=$!
  ms=$((RANDOM % window))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "$KT" info --token CI0002 >/dev/null 2>&1 || fail "PIN round $round: the token does not open"
  rm -f "$tmp/back"
  if pq --login --pin "$cur" --read-object --type data --label keep -o "$tmp/back" \
      >/dev/null 2>&1; then
    kept=$((kept + 1))
  elif pq --login --pin "$other" --read-object --type data --label keep -o "$tmp/back" \
      >/dev/null 2>&1; then
    changed=$((changed + 1))
    t=$cur; cur=$other; other=$t
  else
    fail "PIN round $round: neither the old nor the new PIN opens the token"
  fi
  cmp -s "$tmp/keep" "$tmp/back" || fail "PIN round $round: the private object reads wrong"
done
note "PIN changes: $changed took effect, $kept were killed before they did"
(( changed + kept >= 5 )) || fail "only $((changed + kept)) PIN rounds"
pass
