# Shared by tests/fuzz/run_fuzz_*.sh (not a test itself): each script sets
# bin and secs, calls fuzz_setup, writes its seeds into $c, then fuzz_run.

# fuzz_setup NAME: $work, a scratch folder removed at exit, with the
# corpus folder $c in it.
fuzz_setup() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-fuzz-$1.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  c=$work/corpus
  mkdir -p "$c"
}

# fuzz_run NAME MAX_LEN: runs the target $bin on $c for $secs seconds;
# fails on any crash, leak or sanitizer report (the target's status).
fuzz_run() {
  cd "$work"
  "$bin" -max_total_time="$secs" -max_len="$2" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 "$c" 2>&1 | tail -n 15
  echo "$1: no crash in ${secs}s"
}
