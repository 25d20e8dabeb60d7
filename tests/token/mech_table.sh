#!/usr/bin/env bash
# docs/token.md's mechanism table is the token's mechanism list, exactly:
# the CKM_ names of its first column (CKM_SHA1/224/256/384/512_RSA_PKCS
# read as five names; "their `_GENERAL` forms" as the _GENERAL twins),
# turned into numbers by p11-kit's pkcs11.h (the SHA-3 digests and
# CKM_EC_MONTGOMERY_KEY_PAIR_GEN, which it lacks, by PKCS#11 3.0's
# values), are the numbers C_GetMechanismList
# gives (p11_curves mechs) on a ca and on a general token: no mechanism
# the table forgets, none it promises that the token lacks.
. "$(dirname "$0")/../lib.sh"

CURVES=$KYSO_BUILD/tests/p11_curves
DOC=$(dirname "$0")/../../docs/token.md
HDR=/usr/include/p11-kit-1/p11-kit/pkcs11.h
tmp=$KYSO_HOME/work; mkdir -p "$tmp"
[ -f "$HDR" ] || fail "no $HDR (p11-kit's headers)"

# The first column of each row of the table under "## Mechanisms".
rows=$(awk '/^## /{on = ($0 == "## Mechanisms")} on && /^\| `CKM_/' "$DOC" |
  sed -E 's/^\| ((`[^`]*`|[^|`])*) \|.*/\1/')
[ -n "$rows" ] || fail "no mechanism table in $DOC"

# expand NAME: CKM_SHA1/224/256_RSA_PKCS -> CKM_SHA1_RSA_PKCS CKM_SHA224_RSA_PKCS ...
expand() {
  local name=$1
  if [[ $name != */* ]]; then echo "$name"; return; fi
  local first=${name%%/*} rest=${name#*/}
  local stem=${first%"${first##*[!0-9]}"}
  local last=${rest##*/}
  local suffix=${last#"${last%%[!0-9]*}"}
  local alts="${first#"$stem"}/${rest%"$suffix"}"
  local a
  for a in ${alts//\// }; do echo "$stem$a$suffix"; done
}

value() {
  case $1 in   # PKCS#11 3.0 (not in p11-kit's header)
    CKM_SHA3_224) echo $((0x2b5)); return ;;
    CKM_SHA3_256) echo $((0x2b0)); return ;;
    CKM_SHA3_384) echo $((0x2c0)); return ;;
    CKM_SHA3_512) echo $((0x2d0)); return ;;
    CKM_EC_MONTGOMERY_KEY_PAIR_GEN) echo $((0x1056)); return ;;
  esac
  local v
  v=$(sed -nE "s/^#define $1[[:space:]]+\(?(0x[0-9a-fA-F]+|[0-9]+)UL\)?.*/\1/p" "$HDR" | head -1)
  [ -n "$v" ] || fail "docs/token.md names $1, which $HDR does not know"
  echo $((v))
}

: > "$tmp/doc.names"
while IFS= read -r row; do
  names=$(grep -oE '`CKM_[A-Z0-9_/]+`' <<<"$row" | tr -d '`' || true)
  for n in $names; do
    expand "$n" >> "$tmp/doc.names"
    if [[ $row == *'`_GENERAL` forms'* && $n == *_HMAC ]]; then
      expand "$n" | sed 's/$/_GENERAL/' >> "$tmp/doc.names"
    fi
  done
done <<<"$rows"
sort -u "$tmp/doc.names" > "$tmp/doc.sorted"
: > "$tmp/doc.unsorted"
while read -r n; do
  v=$(value "$n") || exit 1
  echo "$v" >> "$tmp/doc.unsorted"
done < "$tmp/doc.sorted"
sort -u "$tmp/doc.unsorted" > "$tmp/doc.values"
[ "$(wc -l < "$tmp/doc.values")" -ge 40 ] || fail "only $(wc -l < "$tmp/doc.values") mechanisms read off the table"

for profile in ca general; do
  note "profile $profile: C_GetMechanismList against the table"
  make_token "MT00${profile:0:2}" --label "mt-$profile" --profile "$profile"
  "$CURVES" mechs "$MOD" "mt-$profile" > "$tmp/out" 2>&1 || fail "p11_curves mechs: $(cat "$tmp/out")"
  grep -E '^0x' "$tmp/out" | while read -r v; do echo $((v)); done | sort > "$tmp/mod.values"
  [ "$(sort -u "$tmp/mod.values" | wc -l)" = "$(wc -l < "$tmp/mod.values")" ] \
    || fail "C_GetMechanismList gives a mechanism twice"
  missing=$(comm -23 "$tmp/doc.values" "$tmp/mod.values" | while read -r v; do printf '0x%x ' "$v"; done)
  extra=$(comm -13 "$tmp/doc.values" "$tmp/mod.values" | while read -r v; do printf '0x%x ' "$v"; done)
  [ -z "$missing" ] || fail "docs/token.md lists mechanisms the $profile token lacks: $missing"
  [ -z "$extra" ] || fail "the $profile token offers mechanisms docs/token.md does not list: $extra"
done
pass
