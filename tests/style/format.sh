#!/usr/bin/env bash
# Every C file of the tree is laid out as .clang-format says (the KNF the
# code is written in): `clang-format -i FILE` fixes what this finds. The
# layout is clang-format 14's (Debian 12's): other versions break lines a
# little differently, so they are not asked to agree.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v clang-format >/dev/null || fail "clang-format is not installed (scripts/deps.sh installs it)"
ver=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
if [ "$ver" != 14 ]; then
  echo "clang-format $ver is not 14: the layout is not checked here"
  pass
fi
cd "$root"
if [ -d .git ] || [ -f .git ]; then
  mapfile -t files < <(git ls-files -- 'src/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]')
else
  mapfile -t files < <(find src tests bench -name '*.[ch]')
fi
[ ${#files[@]} -gt 100 ] || fail "only ${#files[@]} C files found under $root"
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
[ ${#bad[@]} -eq 0 ] || fail "not laid out as .clang-format says (run clang-format -i on them):
${bad[*]}"
pass
