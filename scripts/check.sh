#!/usr/bin/env bash
# The whole suite, from scratch: a normal build and an ASan+UBSan build.
# `scripts/check.sh --bare-clone`: instead, the PDF tests (CTest label
# pdfset) from a `git clone` of HEAD into a temporary folder with no
# ../shared beside it, as a new user has it: they must pass on the PDF set
# generated at test time alone.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
ctest_args=()

run() {
  local dir=$1; shift
  rm -rf "$dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKYSO_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${ctest_args[@]}")
}

if [ "${1:-}" = --bare-clone ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/kyso-bare.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  git clone -q . "$tmp/kyso"
  [ ! -e "$tmp/shared" ] || { echo "check.sh: $tmp/shared exists" >&2; exit 1; }
  echo "== the PDF tests from a clone of HEAD with no ../shared ($tmp/kyso)"
  cd "$tmp/kyso"
  unset KYSO_PDF_CORPUS KYSO_PDF_CORPUS_REQUIRED
  ctest_args=(-L pdfset)
  run build
  exit 0
fi

echo "== normal build"
run build
echo "== ASan+UBSan build"
# The desktop tests (kyso-manager under Xvfb) and the browser tests run in
# the normal build only: GTK and a browser under ASan test them, not us;
# the package test (Debian packages in a clean root) builds its own.
ctest_args=(-LE 'desktop|browser|package')
run build-asan -DKYSO_SANITIZE=ON
