# Included by tests/CMakeLists.txt after its loop registered every
# tests/manager/*.sh as manager/NAME: they run in a private desktop
# session (Xvfb, session D-Bus, AT-SPI; see lib.bash), labelled desktop
# (`ctest -L desktop`; scripts/check.sh leaves them out of the ASan
# build), and skip (77) while kyso-manager is not built.
file(GLOB KYSO_DESKTOP_TESTS ${CMAKE_CURRENT_LIST_DIR}/*.sh)
foreach(script ${KYSO_DESKTOP_TESTS})
  get_filename_component(name ${script} NAME_WE)
  set_tests_properties(manager/${name} PROPERTIES LABELS desktop
      SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()
