# check-includes.cmake - fails the build when a source file includes across
# a boundary (ARCHITECTURE.md, "Rooms and doors"):
#   - no relative escapes ("../") or absolute paths in #include;
#   - providers/ includes no planner or cmd header, and of the azapply/
#     headers only the provider interface;
#   - one owner per outside library: libcurl only in providers/http,
#     libyaml only in planner/manifest, libgit2 only in planner/git,
#     libmicrohttpd only in tests/emulator.
#   - and functions that invite overflows or hide errors are banned in the
#     product code: sprintf, vsprintf, strcpy, strcat, strtok, gets, atoi
#     (use snprintf, az_xasprintf, az_buf, strtol).
# Run as: cmake -DROOT=<source dir> -P check-includes.cmake
file(GLOB_RECURSE _sources RELATIVE "${ROOT}"
     "${ROOT}/cmd/*.[ch]" "${ROOT}/planner/*.[ch]" "${ROOT}/providers/*.[ch]"
     "${ROOT}/tests/*.[ch]")
set(_errors "")
foreach(_rel IN LISTS _sources)
  file(STRINGS "${ROOT}/${_rel}" _lines REGEX "^[ \t]*#[ \t]*include")
  foreach(_line IN LISTS _lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]*)[>\"].*" "\\1" _inc "${_line}")
    if(_inc MATCHES "\\.\\./" OR _inc MATCHES "^/")
      string(APPEND _errors "  ${_rel}: '${_inc}' reaches outside its folder\n")
    endif()
    if(_inc STREQUAL "curl/curl.h" AND NOT _rel MATCHES "^(providers/http/|tests/)")
      string(APPEND _errors "  ${_rel}: only providers/http may use libcurl\n")
    endif()
    if(_inc STREQUAL "yaml.h" AND NOT _rel MATCHES "^planner/manifest/")
      string(APPEND _errors "  ${_rel}: only planner/manifest may use libyaml\n")
    endif()
    if(_inc STREQUAL "git2.h" AND NOT _rel MATCHES "^(planner/git/|tests/)")
      string(APPEND _errors "  ${_rel}: only planner/git may use libgit2\n")
    endif()
    if(_inc STREQUAL "microhttpd.h" AND NOT _rel MATCHES "^tests/emulator/")
      string(APPEND _errors "  ${_rel}: only tests/emulator may use libmicrohttpd\n")
    endif()
    if(_rel MATCHES "^providers/" AND _inc MATCHES "^azapply/"
       AND NOT _inc STREQUAL "azapply/provider.h")
      string(APPEND _errors "  ${_rel}: providers see only azapply/provider.h, not '${_inc}'\n")
    endif()
    if(_rel MATCHES "^(providers|planner)/" AND _inc MATCHES "^(cmd|planner)/")
      string(APPEND _errors "  ${_rel}: '${_inc}' includes a layer above\n")
    endif()
  endforeach()
endforeach()

file(GLOB_RECURSE _product RELATIVE "${ROOT}"
     "${ROOT}/cmd/*.[ch]" "${ROOT}/planner/*.[ch]" "${ROOT}/providers/*.[ch]")
foreach(_rel IN LISTS _product)
  file(STRINGS "${ROOT}/${_rel}" _calls
       REGEX "(^|[^A-Za-z0-9_])(sprintf|vsprintf|strcpy|strcat|strtok|gets|atoi)[ \t]*\\(")
  foreach(_line IN LISTS _calls)
    string(STRIP "${_line}" _line)
    string(APPEND _errors "  ${_rel}: banned function in: ${_line}\n")
  endforeach()
endforeach()

if(_errors)
  message(FATAL_ERROR "Forbidden includes or functions (see ARCHITECTURE.md):\n${_errors}")
endif()
