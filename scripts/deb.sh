#!/usr/bin/env bash
# `make deb`: kyso's Debian packages from this tree (debian/, dh with the
# CMake build system; docs/install.md says why not CPack).
#
#   scripts/deb.sh [OUTDIR] [--bump SUFFIX] [--no-lintian]
#
# The tree's files (tracked, and new ones git does not ignore) are staged in
# OUTDIR/stage/kyso-VERSION and built there by dpkg-buildpackage; the .deb
# files, .buildinfo and .changes land in OUTDIR (default build/deb). The
# stage keeps its CMake build folder between runs, so a second run only
# rebuilds what changed. --bump SUFFIX first adds a changelog entry with
# version VERSION+SUFFIX (tests/package/install.sh upgrades to it).
# DEB_BUILD_OPTIONS from the environment is added to nocheck and
# parallel=N (noautodbgsym: no -dbgsym packages).
# Exit: 0 built (lintian's warnings printed), 1 failed, 2 usage.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$src/build/deb bump="" lintian=1
usage() { sed -n '5p' "$0" | sed 's/^# *//; s/^/usage: /' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --bump) [ $# -ge 2 ] || usage; bump=$2; shift 2 ;;
    --no-lintian) lintian=0; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) usage ;;
    *) out=$1; shift ;;
  esac
done
die() { echo "deb.sh: $*" >&2; exit 1; }
for t in dpkg-buildpackage dh dpkg-parsechangelog; do
  command -v "$t" >/dev/null || die "$t is missing: run scripts/deps.sh (debhelper, dpkg-dev)"
done

# The packages' version is the project's (CMakeLists.txt project VERSION);
# debian/changelog must have an entry for it.
version=$(sed -n 's/^project(kyso VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
deb_version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
[ -n "$version" ] || die "no project VERSION in CMakeLists.txt"
[ "$deb_version" = "$version" ] \
  || die "debian/changelog's version is $deb_version, CMakeLists.txt's $version: add a changelog entry for $version"

# A fresh copy of the tree; only the CMake build folder (obj-*) is kept.
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$out/stage/kyso-$version
keep=$out/stage/obj.keep
rm -rf "$keep"
if [ -d "$stage" ]; then
  for d in "$stage"/obj-*; do [ -d "$d" ] && mv "$d" "$keep"; done
  rm -rf "$stage"
fi
mkdir -p "$stage"
(cd "$src" && git ls-files -z -co --exclude-standard -- . ':!:debian/files' \
   | xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh \
   | tar --null -T - -cf -) | tar -xf - -C "$stage"
triplet=$(dpkg-architecture -q DEB_HOST_MULTIARCH)
[ ! -d "$keep" ] || mv "$keep" "$stage/obj-$triplet"

if [ -n "$bump" ]; then
  new=$version+$bump
  { printf 'kyso (%s) bookworm; urgency=medium\n\n  * Rebuilt as %s.\n\n' "$new" "$new"
    printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$stage/debian/changelog" -S Maintainer)" \
      "$(date -R)"
    cat "$stage/debian/changelog"; } >"$stage/debian/changelog.new"
  mv "$stage/debian/changelog.new" "$stage/debian/changelog"
fi
full=$(dpkg-parsechangelog -l "$stage/debian/changelog" -S Version)

# -nc: the kept build folder is reused (debian/rules clean would delete it).
jobs=$(nproc 2>/dev/null || echo 2)
rm -f "$out/stage"/*.deb "$out/stage"/*.buildinfo "$out/stage"/*.changes
(cd "$stage" && DEB_BUILD_OPTIONS="nocheck parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
   dpkg-buildpackage -b -nc -us -uc --no-sign) >"$out/build.log" 2>&1 \
  || { tail -n 40 "$out/build.log" >&2; die "dpkg-buildpackage failed (whole log: $out/build.log)"; }
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mv "$out/stage"/*.deb "$out/stage"/*.buildinfo "$out/stage"/*.changes "$out/"
changes=$out/kyso_${full}_$(dpkg-architecture -q DEB_HOST_ARCH).changes

if [ "$lintian" = 1 ]; then
  if command -v lintian >/dev/null; then
    # Errors fail the build; warnings are printed (docs/install.md explains
    # the ones left, debian/*.lintian-overrides the ones overridden).
    lintian --fail-on error \
      "$changes" || die "lintian found errors"
  else
    echo "deb.sh: lintian is not installed (scripts/deps.sh): not checked" >&2
  fi
fi
echo "deb.sh: kyso $full:"
ls -1 "$out"/*.deb
