#!/usr/bin/env bash
# The Debian packages installed into a clean Debian 12 root (debootstrap
# from deb.debian.org, then chroot) work from their installed paths only:
# kyso-ra init and serve as its system user, a virtual token made and
# registered with the activation code from the outbox, a PDF signed and
# verified (kyso-sign, and poppler's pdfsig outside), pkcs11-tool finding
# the module through p11-kit's proxy. Then the packages rebuilt with a
# higher version are installed over them: the RA database, the token, the
# contract store and a changed conffile are still there; removal keeps the
# state and purge deletes it. The services' sandbox is measured with
# `systemd-analyze security` (exposure at most 2.0).
#
# Needs root and the network (CI=true: both must be there, else it fails);
# otherwise it says why and is skipped (exit 77). The debootstrap root is
# cached in $KYSO_BUILD/package/cache, one tarball a day, with the .deb
# files apt fetched.
. "$(dirname "$0")/../lib.sh"
note() { echo "-- $(date -u +%T) $*"; }
src=$(cd "$(dirname "$0")/../.." && pwd)
MIRROR=http://deb.debian.org/debian

skip() {
  if [ "${CI:-}" = true ]; then fail "cannot run under CI: $*"; fi
  echo "SKIP [$TEST_NAME]: $*"
  exit 77
}
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mount)"
[ "${KYSO_SANITIZE:-0}" = 0 ] || skip "the packages are built without sanitizers: normal build only"
for t in debootstrap dpkg-buildpackage dh chroot mount gs pdfsig certutil curl jq systemd-analyze; do
  command -v "$t" >/dev/null || skip "$t is missing (scripts/deps.sh installs it)"
done
curl -fsS -o /dev/null --max-time 20 "$MIRROR/dists/bookworm/Release" \
  || skip "$MIRROR cannot be reached"

work=$KYSO_BUILD/package
cache=$work/cache
mkdir -p "$cache/archives/partial"
root=$(mktemp -d "$work/root.XXXXXX")
chmod 0755 "$root"   # the root's "/": every user of the root walks it
mounts=()
cleanup_root() {
  local i
  [ -z "${RA_PID:-}" ] || kill "$RA_PID" 2>/dev/null || true
  [ -z "${RA_PID:-}" ] || wait "$RA_PID" 2>/dev/null || true
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
  # Nothing is mounted under the root any more before it is deleted.
  if ! grep -q " $root/" /proc/self/mounts; then rm -rf "$root"; fi
  _cleanup
}
trap cleanup_root EXIT

# KYSO_PACKAGE_REUSE=1 (while working on this test): the packages of the
# last run, when they are there.
if [ "${KYSO_PACKAGE_REUSE:-0}" = 1 ] && ls "$work"/v2/kyso-ra_*.deb >/dev/null 2>&1; then
  note "reusing the packages of the last run (KYSO_PACKAGE_REUSE=1)"
else
  note "building the packages (scripts/deb.sh), then again as the upgrade"
  # No debug symbol packages: they are not installed here.
  export DEB_BUILD_OPTIONS=noautodbgsym
  bash "$src/scripts/deb.sh" "$work/deb" --no-lintian >/dev/null \
    || fail "the packages did not build"
  rm -rf "$work/v1" "$work/v2" && mkdir -p "$work/v1" "$work/v2"
  cp "$work/deb"/*.deb "$work/v1/"
  bash "$src/scripts/deb.sh" "$work/deb" --no-lintian --bump up1 >/dev/null \
    || fail "the upgrade packages did not build"
  cp "$work/deb"/*.deb "$work/v2/"
fi
v1=$(dpkg-deb -f "$work"/v1/kyso-ra_*.deb Version)
v2=$(dpkg-deb -f "$work"/v2/kyso-ra_*.deb Version)
dpkg --compare-versions "$v2" gt "$v1" || fail "the rebuilt version $v2 is not above $v1"

note "a clean Debian 12 root"
base=$cache/bookworm-$(date -u +%Y%m%d).tar
if [ ! -f "$base" ]; then
  rm -f "$cache"/bookworm-*.tar
  fresh=$(mktemp -d "$work/debootstrap.XXXXXX")
  debootstrap --variant=minbase bookworm "$fresh" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { rm -rf "$fresh"; fail "debootstrap failed: $(tail -n 5 "$work/debootstrap.log")"; }
  chmod 0755 "$fresh"
  cp /etc/resolv.conf "$fresh/etc/resolv.conf"
  chroot "$fresh" apt-get update -q >>"$work/debootstrap.log" 2>&1 \
    || { rm -rf "$fresh"; fail "apt-get update failed in the new root"; }
  tar -C "$fresh" -cf "$base.part" . && mv "$base.part" "$base"
  rm -rf "$fresh"
fi
tar -C "$root" -xf "$base"
chmod 0755 "$root"
cp /etc/resolv.conf "$root/etc/resolv.conf"
for m in proc dev; do
  if [ $m = proc ]; then mount -t proc proc "$root/proc"; else mount --bind /dev "$root/dev"; fi
  mounts+=("$root/$m")
done
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
mounts+=("$root/var/cache/apt/archives")
mkdir -p "$root/tmp/v1" "$root/tmp/v2"
cp "$work"/v1/*.deb "$root/tmp/v1/"
cp "$work"/v2/*.deb "$root/tmp/v2/"

PATH_IN=/usr/sbin:/usr/bin:/sbin:/bin
in_root() { chroot "$root" /usr/bin/env -i PATH=$PATH_IN LANG=C.UTF-8 HOME=/root "$@"; }
# as USER HOME CMD...: a command in the root as USER. With AS_EXEC=1 (in
# a background subshell) the subshell becomes the command, whose process
# id $! then is: chroot, setpriv and env each exec the next.
as() {
  local user=$1 home=$2; shift 2
  ${AS_EXEC:+exec} chroot "$root" /usr/bin/setpriv --reuid="$user" --regid="$user" --init-groups \
    /usr/bin/env -i PATH=$PATH_IN LANG=C.UTF-8 HOME="$home" "$@"
}
as_ra() { as kyso-ra /var/lib/kyso-ra env KYSO_HOME=/var/lib/kyso-ra "$@"; }
as_ct() { as kyso-contract /var/lib/kyso-contract env KYSO_HOME=/var/lib/kyso-contract "$@"; }
as_an() { as an /home/an "$@"; }
# debs_in DIR: the .deb files of $root/DIR, as paths inside the root.
debs_in() { (cd "$root" && ls "$1"/*.deb) | sed 's|^|/|'; }
apt_in() {
  in_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-unsafe-io "$@" \
    >>"$work/apt.log" 2>&1 || fail "apt-get $* failed in the root: $(tail -n 15 "$work/apt.log")"
}

note "installing every package, p11-kit's proxy and pkcs11-tool"
: >"$work/apt.log"
apt_in install $(debs_in tmp/v1) p11-kit p11-kit-modules opensc
for p in libkyso-pkcs11 kyso-common kyso-token kyso-sign kyso-agent kyso-manager kyso-ra kyso-contract; do
  assert_eq "$(in_root dpkg-query -W -f '${Status} ${Version}' "$p")" "install ok installed $v1" "$p"
done
in_root getent passwd kyso-ra >/dev/null || fail "no kyso-ra system user"
assert_eq "$(in_root stat -c '%U %a' /var/lib/kyso-ra)" "kyso-ra 700" "/var/lib/kyso-ra"
assert_eq "$(in_root stat -c '%U %a' /var/lib/kyso-contract)" "kyso-contract 700" "/var/lib/kyso-contract"
[ -L "$root/etc/systemd/user/graphical-session.target.wants/kyso-agent.service" ] \
  || fail "kyso-agent's user unit is not enabled for users' sessions"
for f in etc/xdg/autostart/kyso-agent.desktop etc/xdg/autostart/kyso-manager-monitor.desktop \
         usr/share/applications/vn.kyso.Manager.desktop usr/share/man/man1/kyso-token.1.gz; do
  [ -f "$root/$f" ] || fail "/$f is not installed"
done
for u in kyso-ra kyso-contract; do
  systemd-analyze security --offline=true --threshold=20 "$root/lib/systemd/system/$u.service" \
    >"$work/$u.security" 2>&1 || fail "$u.service: $(tail -n 1 "$work/$u.security")"
done
in_root useradd -m an
AN=$(in_root id -u an)   # the root's user, by number for the host's install(1)

note "kyso-ra init and serve as the kyso-ra user"
PORT=$(shuf -i 20000-32767 -n 1)
RA=http://127.0.0.1:$PORT
as_ra kyso-ra init --ca-key-type p256 --name "kyso Package Test CA" --public-url "$RA" >/dev/null
OP=$(as_ra kyso-ra operator add clerk | tail -n 1 | awk '{print $NF}')
start_ra() {
  (AS_EXEC=1 as_ra kyso-ra serve --listen "127.0.0.1:$PORT" --insecure-http \
    --public-url "$RA" >>"$KYSO_HOME/ra.log" 2>&1) &
  RA_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fs "$RA/ca.pem" -o "$KYSO_HOME/ca.pem" && return 0
    sleep 0.1
  done
  fail "kyso-ra did not serve: $(cat "$KYSO_HOME/ra.log")"
}
stop_ra() {
  kill "$RA_PID" 2>/dev/null || fail "kyso-ra had stopped: $(tail -n 5 "$KYSO_HOME/ra.log")"
  wait "$RA_PID" || true
  RA_PID=
}
start_ra

note "a virtual token, registered with the activation code from the outbox"
install -o "$AN" -g "$AN" -m 0600 "$root/var/lib/kyso-ra/ra/admin-master.key" "$root/home/an/admin.key"
as_an kyso-token vtoken create --label "Nguyen Van A" --serial PKG00001 --kdf-cost 10 \
  --plug --admin-master /home/an/admin.key --so-pin-fd 3 3<<<"$SO_PIN" >/dev/null
rm -f "$root/home/an/admin.key"
as_an kyso-token change-pin --pin-fd 3 --new-pin-fd 4 3<<<12345678 \
  4<<<"$USER_PIN"$'\n'"$USER_PIN" >/dev/null
reg=$(curl -fsS -X POST -H "Authorization: Bearer $OP" -H "Content-Type: application/json" \
  --data '{"type":"personal","name":"Nguyễn Văn A","id_number":"001099012345","province":"Hà Nội","email":"an@example.vn","phone":"0912345678","profile":"sign","key_type":"p256","validity_years":1}' \
  "$RA/api/v1/registrations")
REG_ID=$(jq -r .id <<<"$reg")
mail=$(ls "$root"/var/lib/kyso-ra/ra/outbox/*.eml | sort | tail -n 1)
CODE=$(grep -m1 '^Activation code:' "$mail" | sed 's/^Activation code:[[:space:]]*//' | tr -d '\r')
[ -n "$CODE" ] || fail "no activation code in $mail"
as_an kyso-token register --ra "$RA" --yes --pin-fd 3 --code-fd 4 3<<<"$USER_PIN" 4<<<"$CODE" \
  >"$KYSO_HOME/register.out" 2>&1 || fail "register failed: $(cat "$KYSO_HOME/register.out")"
certs=$(as_an kyso-token certs)
assert_contains "$certs" "Nguyễn Văn A"

note "a PDF signed on the token and verified"
printf '%%!PS\n/Helvetica findfont 20 scalefont setfont 72 720 moveto (Contract 2026/12) show showpage\n' \
  >"$KYSO_HOME/c.ps"
gs -q -dBATCH -dNOPAUSE -dSAFER -sDEVICE=pdfwrite -sOutputFile="$KYSO_HOME/c.pdf" "$KYSO_HOME/c.ps"
install -o "$AN" -g "$AN" "$KYSO_HOME/c.pdf" "$root/home/an/c.pdf"
install -o "$AN" -g "$AN" "$KYSO_HOME/ca.pem" "$root/home/an/ca.pem"
as_an kyso-sign pdf /home/an/c.pdf -o /home/an/c.signed.pdf --token PKG00001 --lt \
  --tsa "$RA/tsa" --pin-fd 3 3<<<"$USER_PIN" >/dev/null
as_an kyso-sign verify /home/an/c.signed.pdf --trust /home/an/ca.pem >"$KYSO_HOME/verify.out" 2>&1 \
  || fail "kyso-sign verify: $(cat "$KYSO_HOME/verify.out")"
awk '/BEGIN CERT/{n++} n==2' "$KYSO_HOME/ca.pem" >"$KYSO_HOME/root.pem"
mkdir "$KYSO_HOME/nss"
certutil -N -d "sql:$KYSO_HOME/nss" --empty-password
certutil -A -d "sql:$KYSO_HOME/nss" -n "kyso test root" -t "CT,C,C" -i "$KYSO_HOME/root.pem"
v=$(pdfsig -nssdir "sql:$KYSO_HOME/nss" "$root/home/an/c.signed.pdf" 2>&1) || true
assert_contains "$v" "Signature is Valid."
assert_contains "$v" "Certificate is Trusted."

note "pkcs11-tool and p11-kit find the module through p11-kit"
assert_contains "$(as_an p11-kit list-modules)" "kyso"
proxy=$(in_root sh -c 'ls /usr/lib/*/p11-kit-proxy.so')
slots=$(as_an pkcs11-tool --module "$proxy" -L 2>&1)
assert_contains "$slots" "PKG00001"
objs=$(as_an pkcs11-tool --module "$proxy" --token-label "Nguyen Van A" -O 2>&1)
assert_contains "$objs" "Certificate Object"

note "kyso-contract's store, and a changed conffile"
as_ct kyso-contract init --org "Công ty Thử" --admin-email admin@example.vn >/dev/null
echo 'KYSO_RA_OPTS="--quiet"   # changed here' >>"$root/etc/default/kyso-ra"
stop_ra
ra_sum=$(sha256sum <"$root/var/lib/kyso-ra/ra/ca-key.pem")

note "upgrade to $v2"
apt_in install $(debs_in tmp/v2)
for p in libkyso-pkcs11 kyso-common kyso-token kyso-sign kyso-agent kyso-manager kyso-ra kyso-contract; do
  assert_eq "$(in_root dpkg-query -W -f '${Status} ${Version}' "$p")" "install ok installed $v2" "$p"
done
grep -q 'changed here' "$root/etc/default/kyso-ra" || fail "the upgrade lost the change to /etc/default/kyso-ra"
assert_eq "$(sha256sum <"$root/var/lib/kyso-ra/ra/ca-key.pem")" "$ra_sum" "the CA key after the upgrade"
assert_contains "$(as_ra kyso-ra operator list)" "clerk"
start_ra
got=$(curl -fsS -H "Authorization: Bearer $OP" "$RA/api/v1/registrations/$REG_ID")
assert_eq "$(jq -r '.certificates | length' <<<"$got")" 1 "certificates of registration $REG_ID"
stop_ra
assert_contains "$(as_an kyso-token certs)" "Nguyễn Văn A"
as_an kyso-sign verify /home/an/c.signed.pdf --trust /home/an/ca.pem >"$KYSO_HOME/verify.out" 2>&1 \
  || fail "kyso-sign verify after the upgrade: $(cat "$KYSO_HOME/verify.out")"
as_ct kyso-contract audit-check >/dev/null || fail "the contract store after the upgrade"

note "removal keeps the state, purge deletes it"
apt_in remove kyso-ra kyso-contract
[ -f "$root/var/lib/kyso-ra/ra/ra.db" ] || fail "removing kyso-ra deleted its database"
[ -f "$root/var/lib/kyso-contract/contract/contract.db" ] || fail "removing kyso-contract deleted its store"
[ -f "$root/etc/default/kyso-ra" ] || fail "removing kyso-ra deleted its conffile"
apt_in purge kyso-ra kyso-contract
[ ! -e "$root/var/lib/kyso-ra" ] || fail "purging kyso-ra left /var/lib/kyso-ra"
[ ! -e "$root/var/lib/kyso-contract" ] || fail "purging kyso-contract left /var/lib/kyso-contract"
[ ! -e "$root/etc/default/kyso-ra" ] || fail "purging kyso-ra left /etc/default/kyso-ra"
[ -d "$root/home/an/.local/share/kyso/tokens" ] || fail "purging the servers touched the subscriber's token"
pass
