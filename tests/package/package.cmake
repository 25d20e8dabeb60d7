# Included by tests/CMakeLists.txt after its loop registered every
# tests/package/*.sh as package/NAME: the Debian packages built and
# installed into a clean Debian 12 root (docs/install.md). Label package:
# the normal build only (scripts/check.sh leaves it out of the ASan build);
# skipped (77) without root or the network, except under CI=true. The
# first run of a day makes the debootstrap root and builds from scratch.
file(GLOB KYSO_PACKAGE_TESTS ${CMAKE_CURRENT_LIST_DIR}/*.sh)
foreach(script ${KYSO_PACKAGE_TESTS})
  get_filename_component(name ${script} NAME_WE)
  set_tests_properties(package/${name} PROPERTIES LABELS package
      SKIP_RETURN_CODE 77 TIMEOUT 1800)
endforeach()
