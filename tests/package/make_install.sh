#!/usr/bin/env bash
# `make install` registers the module with p11-kit: it installs
# share/p11-kit/modules/kyso.module naming the installed module, and p11-kit
# reads that file (pointed at the copy installed into a temporary prefix)
# and finds the token.
. "$(dirname "$0")/../lib.sh"
[ "${KYSO_SANITIZE:-0}" = 0 ] || { echo "SKIP [$TEST_NAME]: normal build only"; exit 77; }
command -v p11-kit >/dev/null || fail "p11-kit is missing (scripts/deps.sh installs it)"
dest=$KYSO_HOME/prefix
cmake --install "$KYSO_BUILD" --prefix "$dest" >/dev/null
file=$dest/share/p11-kit/modules/kyso.module
[ -f "$file" ] || fail "make install put no share/p11-kit/modules/kyso.module"

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$KYSO_BUILD/CMakeCache.txt")
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$KYSO_BUILD/CMakeCache.txt")
assert_eq "$(sed -n 's/^module: *//p' "$file")" "$prefix/$libdir/kyso/libkyso-pkcs11.so" \
  "the module kyso.module names"
[ -f "$dest/$libdir/kyso/libkyso-pkcs11.so" ] || fail "the module is not installed in $libdir/kyso"

note "p11-kit reads the file and loads the module"
make_token PKG00002 --label "p11-kit reads me"
mods=$KYSO_HOME/modules
mkdir -p "$mods"
sed "s|^module: .*|module: $dest/$libdir/kyso/libkyso-pkcs11.so|" "$file" >"$mods/kyso.module"
# p11-kit reads a user's ~/.config/pkcs11/modules, except as root: there
# the folder is mounted over the system's in a private mount namespace.
if [ "$(id -u)" = 0 ]; then
  out=$(unshare -m sh -c 'mount --bind "$1" /usr/share/p11-kit/modules && p11-kit list-modules' \
    sh "$mods" 2>&1)
else
  mkdir -p "$KYSO_HOME/home/.config/pkcs11"
  ln -s "$mods" "$KYSO_HOME/home/.config/pkcs11/modules"
  out=$(HOME=$KYSO_HOME/home XDG_CONFIG_HOME=$KYSO_HOME/home/.config p11-kit list-modules 2>&1)
fi
assert_contains "$out" "kyso:"
assert_contains "$out" "p11-kit reads me"
pass
