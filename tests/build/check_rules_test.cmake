# check_rules_test.cmake - proves the build's source rules bite: a tree with
# a provider that includes a planner header, a planner file that includes
# curl, and product code that calls sprintf must be rejected, each named;
# the same tree without them must pass; and planner rooms that include each
# other, directly or round a loop of three, must be rejected with the files
# that close the loop (a room that only leads into a loop is not named), as
# must a room that includes a later stage and a room with no stage.
# Run as: cmake -DSCRIPT=<.ci/check-includes.cmake> -DWORK=<scratch dir> -P check_rules_test.cmake
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}/providers/arm" "${WORK}/planner" "${WORK}/cmd")
file(WRITE "${WORK}/providers/arm/ok.c" "#include <azapply/provider.h>\nint ok(void);\n")
file(WRITE "${WORK}/planner/plan.c" "#include <azapply/provider.h>\n#include <azapply/plan.h>\n")
file(WRITE "${WORK}/cmd/ok.c" "#include <stdio.h>\nstatic void f(char *b) { snprintf(b, 4, \"x\"); }\n")
# A chain of rooms in stage order, a folder room and a header its own
# folder includes.
file(MAKE_DIRECTORY "${WORK}/planner/manifest")
file(WRITE "${WORK}/planner/resolve.h" "#include <azapply/planner.h>\n")
file(WRITE "${WORK}/planner/resolve.c" "#include \"resolve.h\"\n")
file(WRITE "${WORK}/planner/identity.h" "#include \"resolve.h\"\n")
file(WRITE "${WORK}/planner/identity.c" "#include \"identity.h\"\n#include \"resolve.h\"\n")
file(WRITE "${WORK}/planner/plan_build.c" "#include \"identity.h\"\n")
file(WRITE "${WORK}/planner/manifest/load.c" "#include <azapply/manifest.h>\n#include \"load_int.h\"\n")
file(WRITE "${WORK}/planner/manifest/load_int.h" "#include <azapply/manifest.h>\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${SCRIPT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a clean tree was rejected:\n${err}")
endif()

file(WRITE "${WORK}/providers/arm/bad.c" "#include <azapply/plan.h>\n#include \"../../planner/engine.h\"\n")
file(WRITE "${WORK}/planner/bad.c" "#include <curl/curl.h>\n")
file(WRITE "${WORK}/cmd/bad.c" "static void f(char *b) { sprintf(b, \"x\"); }\n")
file(WRITE "${WORK}/cmd/dump.c" "static char *f(json_t *j) { return json_dumps(j, 0); }\n")
# plan_build -> desired -> lock -> refresh -> desired, render <-> plan_file,
# paths -> apply_step (a later stage), and a room with no stage.
file(WRITE "${WORK}/planner/plan_build.c" "#include \"identity.h\"\n#include \"desired.h\"\n")
file(WRITE "${WORK}/planner/desired.c" "#include \"lock.h\"\n")
file(WRITE "${WORK}/planner/lock.c" "#include \"refresh.h\"\n")
file(WRITE "${WORK}/planner/refresh.h" "#include \"desired.h\"\n")
file(WRITE "${WORK}/planner/render.c" "#include \"plan_file.h\"\n")
file(WRITE "${WORK}/planner/plan_file.c" "#include \"render.h\"\n")
file(WRITE "${WORK}/planner/paths.c" "#include \"apply_step.h\"\n")
file(WRITE "${WORK}/planner/helpers.c" "#include <azapply/planner.h>\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${WORK} -P ${SCRIPT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "forbidden includes and functions were accepted")
endif()
foreach(expected
    "providers/arm/bad.c: providers see only azapply/provider.h, not 'azapply/plan.h'"
    "providers/arm/bad.c: '../../planner/engine.h' reaches outside its folder"
    "planner/bad.c: only providers/http may use libcurl"
    "cmd/bad.c: banned function in"
    "cmd/dump.c: banned function in"
    "planner/desired.c: includes lock.h, and lock leads back to desired"
    "planner/lock.c: includes refresh.h, and refresh leads back to lock"
    "planner/refresh.h: includes desired.h, and desired leads back to refresh"
    "planner/render.c: includes plan_file.h, and plan_file leads back to render"
    "planner/plan_file.c: includes render.h, and render leads back to plan_file"
    "planner/desired.c: includes lock.h, a later stage than desired"
    "planner/paths.c: includes apply_step.h, a later stage than paths"
    "planner: room 'helpers' has no place in the stage order")
  string(FIND "${err}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "expected '${expected}' in:\n${err}")
  endif()
endforeach()
foreach(innocent "planner/plan_build.c" "planner/identity" "planner/resolve" "manifest")
  string(FIND "${err}" "${innocent}" at)
  if(NOT at EQUAL -1)
    message(FATAL_ERROR "'${innocent}' is on no include cycle but was named in:\n${err}")
  endif()
endforeach()
file(REMOVE_RECURSE "${WORK}")
message(STATUS "source rules: 13 violations rejected, clean tree accepted")
