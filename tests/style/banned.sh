#!/usr/bin/env bash
# The C functions kyso does not use (after curl's banned list): unbounded
# copies and formats, and integer parsers without error checks. Bounded
# replacements: snprintf/asprintf, the buf type, parse_u64.
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
hits=$(grep -rnE '(^|[^_[:alnum:]])(strcpy|strcat|strncat|sprintf|vsprintf|sscanf|atoi|atol|atoll|strtok|gets)[[:space:]]*\(' \
  "$root/src" "$root/tests" "$root/bench" --include='*.c' --include='*.h' || true)
[ -z "$hits" ] || fail "banned functions in use:
$hits"
pass
