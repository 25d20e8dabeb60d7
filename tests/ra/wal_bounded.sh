#!/usr/bin/env bash
# Issue 15: under a steady stream of writes the SQLite WAL grew without
# end (35 MB for 600 issuances): the checkpointer's PASSIVE pass never
# caught up with the writers, so no writer could start the WAL over. The
# checkpointer now runs a RESTART pass past 1,024 frames. A flood of
# refused calls (each one a write: the per-address counter) on two
# connections; the WAL's size, read every 50 ms, stays bounded.
. "$(dirname "$0")/helpers.bash"
FLOOD=$(dirname "$0")/flood.py

ra_init --ca-key-type p256
ra_serve main
N=${WAL_FLOOD:-6000}
python3 "$FLOOD" "$URL" "/api/v1/registrations/x{i}" "$N" >"$W/f1" &
f1=$!
python3 "$FLOOD" "$URL" "/api/v1/registrations/y{i}" "$N" >"$W/f2" &
f2=$!
max=0
while kill -0 "$f1" 2>/dev/null || kill -0 "$f2" 2>/dev/null; do
  s=$(stat -c %s "$RA_HOME/ra.db-wal" 2>/dev/null || echo 0)
  [ "$s" -gt "$max" ] && max=$s
  sleep 0.05
done
wait "$f1" "$f2"
assert_eq "$(cat "$W/f1")" "401 $N"
assert_eq "$(cat "$W/f2")" "401 $N"
note "largest WAL during $((2 * N)) writes: $max bytes"
[ "$max" -le $((24 * 1024 * 1024)) ] || fail "the WAL grew to $max bytes"
kill "$PID"; wait "$PID" || fail "kyso-ra did not stop cleanly"
pass
