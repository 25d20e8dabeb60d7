#!/usr/bin/env bash
# Brings po/vi.po up to date with the sources: extracts every _() and N_()
# string of every program's sources (src/*) into
# po/kyso.pot and merges it into po/vi.po (new strings come in
# untranslated, changed ones fuzzy).
# Then translate the new entries and check with: msgfmt --check po/vi.po
set -euo pipefail
cd "$(dirname "$0")/.."
xgettext --keyword=_ --keyword=N_ --keyword=NC_:1c,2 --keyword=C_:1c,2 --from-code=UTF-8 --no-wrap \
  --no-location --package-name=kyso --msgid-bugs-address="kyso developers" -o po/kyso.pot \
  src/cli/*.c src/common/*.c src/p11/*.c src/ra/*.c src/sign/*.c \
  src/sign/*/*.c src/manager/*.c src/tm/*.c src/agent/*.c src/contract/*.c
msgmerge --quiet --update --backup=none --no-wrap --no-location "${PO:-po/vi.po}" po/kyso.pot
rm -f po/kyso.pot
msgfmt --check --statistics -o /dev/null "${PO:-po/vi.po}"
