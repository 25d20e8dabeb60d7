#!/usr/bin/env bash
# Runs the PDF fuzz target for a bounded time, seeded with the generated
# PDF set (the build tree's pdf-gen/, beside tests/ where the target is
# built), the shared corpus when it is there and our own seeds; fails on
# any crash, leak or sanitizer report.
set -euo pipefail
bin=$1; secs=${2:-25}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kyso-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
for d in "${KYSO_PDF_GEN:-$(dirname "$bin")/../pdf-gen}" \
         "${KYSO_PDF_CORPUS:-$here/../../../shared/pdf-corpus}" "$here/seeds_pdf"; do
  [ -d "$d" ] && cp "$d"/*.pdf "$work/corpus/" 2>/dev/null || true
done
cd "$work"
"$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 "$work/corpus" 2>&1 | tail -n 15
echo "fuzz_pdf: no crash in ${secs}s"
