#!/usr/bin/env bash
# kyso-token(1) documents every subcommand, option and exit code, renders
# without groff warnings, and `cmake --install` puts it (with the program,
# the module and the Vietnamese catalog) where they find each other.
. "$(dirname "$0")/helpers.bash"

root=$(cd "$(dirname "$0")/../.." && pwd)
MAN=$root/docs/man/kyso-token.1
[ -s "$MAN" ] || fail "docs/man/kyso-token.1 is missing or empty"

note "groff renders it without warnings"
warn=$(groff -man -ww -z "$MAN" 2>&1) || fail "groff failed: $warn"
[ -z "$warn" ] || fail "groff warnings: $warn"
text=$(groff -man -Tutf8 "$MAN" 2>/dev/null | sed 's/.\x08//g' | tr -s ' ')
assert_contains "$text" "kyso-token - manage a USB token"
assert_contains "$text" '{"event": "inserted", "slot": N}'

note "every subcommand kyso-token offers has a section"
cmds=$("$KT" --help | awk '/^Commands:/ {f=1; next} f && /^  [a-z]/ {print $1} f && /^$/ {exit}')
[ -n "$cmds" ] || fail "no commands in kyso-token --help"
for c in $cmds; do
  grep -q "^\.SS \"kyso-token $c[ \"]" "$MAN" || fail "the man page has no section for '$c'"
done

note "every option in each command's --help is documented"
for c in $cmds; do
  opts=$("$KT" "$c" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
  for o in $opts; do
    man_o=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    grep -q -e "$man_o" -e "$o" "$MAN" || fail "option $o of '$c' is not in the man page"
  done
done

note "every exit code in cli.h is documented"
codes=$(sed -n 's/^[[:space:]]*EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$root/src/cli/cli.h")
[ -n "$codes" ] || fail "no exit codes found in cli.h"
exit_section=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$MAN")
for n in $codes 8; do
  printf '%s\n' "$exit_section" | grep -qx "\.B $n" || fail "exit code $n is not in EXIT STATUS"
done

note "cmake --install puts the man page, the program, module and catalog in place"
prefix=$WORK/prefix
cmake --install "$KYSO_BUILD" --prefix "$prefix" >/dev/null || fail "cmake --install failed"
cmp -s "$MAN" "$prefix/share/man/man1/kyso-token.1" || fail "the installed man page differs or is missing"
[ -x "$prefix/bin/kyso-token" ] || fail "kyso-token was not installed"
[ -f "$prefix/lib/kyso/libkyso-pkcs11.so" ] || fail "the module was not installed in lib/kyso"
make_token MP0001 --label "installed"
# The installed program finds the installed module and catalog by itself.
assert_exit 0 env -u KYSO_MODULE "$prefix/bin/kyso-token" info --json
jq_ok '.serial == "MP0001"'
assert_exit 0 env LANG=vi_VN.UTF-8 "$prefix/bin/kyso-token" info
assert_contains "$OUT" "Thông tin phần cứng USB Token"
pass
