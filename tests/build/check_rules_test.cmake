# check_rules_test.cmake - proves the build's source rules bite: a tree with
# a provider that includes a planner header, a planner file that includes
# curl, and product code that calls sprintf must be rejected, each named;
# the same tree without them must pass.
# Run as: cmake -DSCRIPT=<.ci/check-includes.cmake> -DWORK=<scratch dir> -P check_rules_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/providers/arm" "${WORK}/planner" "${WORK}/cmd")
file(WRITE "${WORK}/providers/arm/ok.c" "#include <azapply/provider.h>\nint ok(void);\n")
file(WRITE "${WORK}/planner/ok.c" "#include <azapply/provider.h>\n#include <azapply/plan.h>\n")
file(WRITE "${WORK}/cmd/ok.c" "#include <stdio.h>\nstatic void f(char *b) { snprintf(b, 4, \"x\"); }\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${SCRIPT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a clean tree was rejected:\n${err}")
endif()

file(WRITE "${WORK}/providers/arm/bad.c" "#include <azapply/plan.h>\n#include \"../../planner/engine.h\"\n")
file(WRITE "${WORK}/planner/bad.c" "#include <curl/curl.h>\n")
file(WRITE "${WORK}/cmd/bad.c" "static void f(char *b) { sprintf(b, \"x\"); }\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${SCRIPT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "forbidden includes and functions were accepted")
endif()
foreach(expected
    "providers/arm/bad.c: providers see only azapply/provider.h, not 'azapply/plan.h'"
    "providers/arm/bad.c: '../../planner/engine.h' reaches outside its folder"
    "planner/bad.c: only providers/http may use libcurl"
    "cmd/bad.c: banned function in")
  string(FIND "${err}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected '${expected}' in:\n${err}")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "source rules: 4 violations rejected, clean tree accepted")
