# The libFuzzer targets: each built with clang (KYSO_FUZZ_CLANG; set it to
# OFF for a build without them, as debian/rules does) and run for a bounded
# time by tests/fuzz/run_NAME.sh as a test.
find_program(KYSO_FUZZ_CLANG NAMES clang clang-16 clang-15 clang-14)

# kyso_fuzz(NAME WHAT TEST GROUP SOURCES src... [FLAGS flag...] [LIBS lib...]
#           [SCRIPT run.sh] [ARGS arg...] [ENVIRONMENT var=value...])
# builds ${CMAKE_BINARY_DIR}/tests/NAME from SOURCES (a relative source is in
# the calling folder, which is also on the include path) with the
# definitions libkyso is built with, FLAGS before the sources and LIBS after
# them, as the target NAME; and registers the test GROUP/NAME:
# `bash SCRIPT BINARY ARGS` (SCRIPT tests/fuzz/run_NAME.sh, ARGS 20 unless
# given), with a 300 s timeout and ENVIRONMENT. Nothing without clang.
function(kyso_fuzz name what)
  if(NOT KYSO_FUZZ_CLANG)
    return()
  endif()
  cmake_parse_arguments(F "" "TEST;SCRIPT"
      "SOURCES;FLAGS;LIBS;ARGS;ENVIRONMENT" ${ARGN})
  if(NOT F_TEST OR NOT F_SOURCES)
    message(FATAL_ERROR "kyso_fuzz(${name}): TEST and SOURCES are required")
  endif()
  if(NOT F_SCRIPT)
    set(F_SCRIPT ${CMAKE_SOURCE_DIR}/tests/fuzz/run_${name}.sh)
  endif()
  if(NOT F_ARGS)
    set(F_ARGS 20)
  endif()
  set(bin ${CMAKE_BINARY_DIR}/tests/${name})
  set(srcs "")
  foreach(f ${F_SOURCES})
    get_filename_component(f ${f} ABSOLUTE)
    list(APPEND srcs ${f})
  endforeach()
  add_custom_command(OUTPUT ${bin}
      COMMAND ${KYSO_FUZZ_CLANG} -g -O1 -std=c11 -D_GNU_SOURCE
          -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
          "-D$<JOIN:$<TARGET_PROPERTY:kyso,INTERFACE_COMPILE_DEFINITIONS>,;-D>"
          -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
          -I${CMAKE_SOURCE_DIR}/src -I${CMAKE_CURRENT_SOURCE_DIR} ${F_FLAGS}
          ${srcs} ${F_LIBS} -o ${bin}
      DEPENDS ${srcs}
      COMMAND_EXPAND_LISTS VERBATIM
      COMMENT "Building the libFuzzer ${what} target with clang")
  add_custom_target(${name} ALL DEPENDS ${bin})
  add_test(NAME ${F_TEST}/${name} COMMAND bash ${F_SCRIPT} ${bin} ${F_ARGS})
  set_tests_properties(${F_TEST}/${name} PROPERTIES TIMEOUT 300)
  if(F_ENVIRONMENT)
    set_tests_properties(${F_TEST}/${name} PROPERTIES
        ENVIRONMENT "${F_ENVIRONMENT}")
  endif()
endfunction()
