# check-includes.cmake - fails the build when a source file includes across
# a boundary (ARCHITECTURE.md, "Rooms and doors"):
#   - no relative escapes ("../") or absolute paths in #include;
#   - providers/ includes no planner or cmd header, and of the azapply/
#     headers only the provider interface;
#   - one owner per outside library: libcurl only in providers/http,
#     libyaml only in planner/manifest, libgit2 only in planner/git,
#     libmicrohttpd only in tests/emulator.
#   - inside planner/, no two files include each other, directly or round a
#     loop: a file (x.c, x.h or azapply/x.h) is the room "x", and the rooms
#     must form a graph without cycles; and every room has its place in
#     the stage order below and includes only rooms before it, so the
#     include order is the order of the stages a manifest passes through
#     (ARCHITECTURE.md, "The planner's rooms");
#   - and functions that invite overflows or hide errors are banned in the
#     product code: sprintf, vsprintf, strcpy, strcat, strtok, gets, atoi
#     (use snprintf, az_xasprintf, az_buf, strtol), json_dumps, whose
#     text comes from jansson's allocator, the JSON pool in azapply, and
#     not from malloc (use az_json_dumps), and jansson's readers (use
#     az_json_loadb and az_json_load_file: one reader, the one the fuzz
#     target holds to jansson's).
# Run as: cmake -DROOT=<source dir> -P check-includes.cmake
cmake_policy(VERSION 3.25)
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

# The rooms of planner/ and what each includes of the others: a file at
# the top (x.c, x.h) or a public header (azapply/x.h) is the room "x"; a
# folder below planner/ (manifest/, schema/, git/) is one room.
file(GLOB_RECURSE _planner RELATIVE "${ROOT}" "${ROOT}/planner/*.[ch]")
set(_rooms "")
foreach(_rel IN LISTS _planner)
  get_filename_component(_room "${_rel}" NAME_WE)
  set(_folder "")
  if(NOT _rel MATCHES "^planner/include/" AND _rel MATCHES "^planner/([^/]+)/")
    set(_folder "${CMAKE_MATCH_1}")
    set(_room "${_folder}")
  endif()
  list(APPEND _rooms "${_room}")
  file(STRINGS "${ROOT}/${_rel}" _lines REGEX "^[ \t]*#[ \t]*include[ \t]*(\"|<azapply/)")
  foreach(_line IN LISTS _lines)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"](azapply/)?([^>\"/]*)\\.h[>\"].*" "\\2"
           _inc "${_line}")
    if(_folder AND _line MATCHES "\"")
      set(_inc "${_folder}")
    endif()
    if(NOT _inc STREQUAL _room AND NOT _inc MATCHES "[<>\"]")
      list(APPEND _uses_${_room} "${_inc}")
      list(APPEND _users_${_inc} "${_room}")
      set(_via_${_room}_${_inc} "${_rel}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES _rooms)
# Peel off the rooms that include none of the rooms left, and those none of
# the rooms left includes, until nothing more comes off: what stays lies on
# a cycle.
# Sets `result` to whether any room of `rooms` is still in _left.
function(_any_left result rooms)
  set(_found FALSE)
  foreach(_r IN LISTS rooms)
    if("${_r}" IN_LIST _left)
      set(_found TRUE)
    endif()
  endforeach()
  set(${result} ${_found} PARENT_SCOPE)
endfunction()
set(_left ${_rooms})
set(_peeled TRUE)
while(_peeled)
  set(_peeled FALSE)
  set(_next "")
  foreach(_room IN LISTS _left)
    _any_left(_out "${_uses_${_room}}")
    _any_left(_in "${_users_${_room}}")
    if(_out AND _in)
      list(APPEND _next "${_room}")
    else()
      set(_peeled TRUE)
    endif()
  endforeach()
  set(_left ${_next})
endwhile()
foreach(_room IN LISTS _left)
  foreach(_inc IN LISTS _uses_${_room})
    if("${_inc}" IN_LIST _left)
      string(APPEND _errors
             "  ${_via_${_room}_${_inc}}: includes ${_inc}.h, and ${_inc} leads back to ${_room}"
             " (an include cycle: move what both need into a room before them)\n")
    endif()
  endforeach()
endforeach()

# The stages a manifest passes through, in order: loading and the stack's
# public header; the words every stage uses; the stack; diff, ownership,
# the instance and the plan; resolution to plan building; rendering; apply.
set(_stage_order
  manifest git planner schema
  suggest names roles roles_builtin paths arm_resource
  graph stack select
  diff marker instance plan plan_marker
  resolve identity desired lock refresh export plan_build outputs
  markdown render plan_file
  delete_order apply_step apply)
foreach(_room IN LISTS _rooms)
  list(FIND _stage_order "${_room}" _rank)
  if(_rank EQUAL -1)
    string(APPEND _errors "  planner: room '${_room}' has no place in the stage order"
           " (add it to _stage_order in .ci/check-includes.cmake, after what it includes)\n")
    continue()
  endif()
  foreach(_inc IN LISTS _uses_${_room})
    list(FIND _stage_order "${_inc}" _inc_rank)
    if(_inc_rank GREATER _rank)
      string(APPEND _errors "  ${_via_${_room}_${_inc}}: includes ${_inc}.h, a later stage than"
             " ${_room} (stage order in .ci/check-includes.cmake)\n")
    endif()
  endforeach()
endforeach()

file(GLOB_RECURSE _product RELATIVE "${ROOT}"
     "${ROOT}/cmd/*.[ch]" "${ROOT}/planner/*.[ch]" "${ROOT}/providers/*.[ch]")
foreach(_rel IN LISTS _product)
  file(STRINGS "${ROOT}/${_rel}" _calls
       REGEX "(^|[^A-Za-z0-9_])(sprintf|vsprintf|strcpy|strcat|strtok|gets|atoi|json_dumps|json_loadb|json_loads|json_loadf|json_load_file|json_loadfd|json_load_callback)[ \t]*\\(")
  foreach(_line IN LISTS _calls)
    string(STRIP "${_line}" _line)
    string(APPEND _errors "  ${_rel}: banned function in: ${_line}\n")
  endforeach()
endforeach()

if(_errors)
  message(FATAL_ERROR "Forbidden includes or functions (see ARCHITECTURE.md):\n${_errors}")
endif()
