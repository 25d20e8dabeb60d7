#!/usr/bin/env bash
# Runs the PDF fuzz target for a bounded time, seeded with the generated
# PDF set (the build tree's pdf-gen/, beside tests/ where the target is
# built), the shared corpus when it is there and our own seeds; fails on
# any crash, leak or sanitizer report.
set -euo pipefail
bin=$1; secs=${2:-25}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
fuzz_setup pdf
for d in "${KYSO_PDF_GEN:-$(dirname "$bin")/../pdf-gen}" \
         "${KYSO_PDF_CORPUS:-$here/../../../shared/pdf-corpus}" "$here/seeds_pdf"; do
  [ -d "$d" ] && cp "$d"/*.pdf "$c/" 2>/dev/null || true
done
fuzz_run fuzz_pdf 65536
