# Included by tests/CMakeLists.txt after its loop registered every
# tests/package/*.sh as package/NAME: the Debian packages built and
# installed into a clean Debian 12 root, and make install's p11-kit file
# (docs/install.md). Label package: the normal build only (scripts/check.sh
# leaves it out of the ASan build); skipped (77) without root or the
# network, except under CI=true. The first run of a day makes the
# debootstrap root and builds the packages from scratch.
set_tests_properties(package/install package/make_install PROPERTIES
    LABELS package SKIP_RETURN_CODE 77 TIMEOUT 1800)
