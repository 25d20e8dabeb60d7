#!/usr/bin/env bash
# Installs every Debian package kyso's build, tests and demo need.
# Idempotent and quick when everything is there. Run as root (or with sudo).
set -euo pipefail

PKGS=(
  # build
  build-essential cmake pkg-config gettext
  libssl-dev libp11-kit-dev libjansson-dev
  # kyso-ra: HTTP server, databases, mail
  libmicrohttpd-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev
  # kyso-ra: names in subjects (NFC, character classes)
  libicu-dev
  # kyso-contract: passwords (Argon2id)
  libargon2-dev
  # kyso-contract: the pages as images, the audit trail as PDF
  libpoppler-glib-dev libcairo2-dev
  # tests and demo: independent PKCS#11 clients and peers
  openssl opensc softhsm2 gnutls-bin libengine-pkcs11-openssl
  locales procps iproute2 tmux jq groff-base
  # tests/token/hot_path.sh: system calls per PKCS#11 call
  strace
  # kyso-ra tests: HTTP client, a private PostgreSQL server
  curl postgresql sqlite3 xxd python3
  # bench/ra: the peer it is measured against; tests/ra/proxy.sh and the
  # bench's cluster run: the reverse proxy in front of kyso-ra
  golang-cfssl haproxy
  # kyso-sign: libraries, independent verifiers, PDF producers, fuzzing
  libxml2-dev zlib1g-dev libcurl4-openssl-dev libpng-dev
  poppler-utils qpdf libnss3-tools xmlsec1 ghostscript fonts-dejavu-core clang clang-format
  libreoffice-writer-nogui time
  # kyso-agent's browser tests: Debian's chromium driven by playwright-core
  # (npm below: a nodejs from elsewhere may carry its own)
  nodejs chromium
  # kyso-manager (GTK 4) and its desktop tests: an X server, a session bus,
  # the accessibility bus and its Python client, screenshots
  libgtk-4-dev gir1.2-gtk-4.0 xvfb xauth dbus-x11 at-spi2-core libglib2.0-bin
  python3-gi python3-dogtail python3-pyatspi gir1.2-atspi-2.0 imagemagick xdotool
  # make deb (debian/, dpkg-buildpackage, lintian) and its install test
  # (tests/package: a Debian 12 root by debootstrap, the units measured by
  # systemd-analyze)
  debhelper dpkg-dev lintian debootstrap systemd
)

missing=()
command -v npm >/dev/null 2>&1 || missing+=(npm)
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else echo "deps.sh: need root to run: $*" >&2; exit 1; fi
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -q
  as_root apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Vietnamese messages need the vi_VN.UTF-8 locale.
if ! locale -a 2>/dev/null | grep -qi '^vi_VN\.utf-\?8$'; then
  if [ -f /etc/locale.gen ]; then
    as_root sed -i 's/^# *\(vi_VN.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^vi_VN.UTF-8 UTF-8' /etc/locale.gen || echo 'vi_VN.UTF-8 UTF-8' | as_root tee -a /etc/locale.gen >/dev/null
    as_root locale-gen >/dev/null
  fi
fi

# playwright-core for the browser tests (package-lock.json pins it), into
# node_modules beside package.json, as the user who ran this script (not
# root under sudo); --ignore-scripts: no browser download, Debian's
# chromium is the one the tests launch.
src=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$src/node_modules/playwright-core/package.json" ] \
   || ! cmp -s "$src/package-lock.json" "$src/node_modules/.package-lock.json.kyso"; then
  echo "deps.sh: npm ci (playwright-core for the browser tests)"
  npm_ci() {
    (cd "$src" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
      && cp package-lock.json node_modules/.package-lock.json.kyso)
  }
  if [ "$(id -u)" -eq 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
    sudo -u "$SUDO_USER" -H bash -c "$(declare -f npm_ci); src='$src'; npm_ci"
  else
    npm_ci
  fi
fi
exit 0
