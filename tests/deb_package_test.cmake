# The .deb, as a Debian user gets it (cmake -P, from the deb_package test):
# makes it with CPack from the build tree BUILD_DIR, checks its fields and its
# file list, unpacks it with dpkg-deb -x into a scratch root (never dpkg -i:
# CI runs as root on the real system), runs the tool, its completion and its
# man page from there, and builds and runs tests/package_consumer/main.cc with
# only `pkg-config --cflags --libs pa_journal` of the unpacked tree.
#   -DBUILD_DIR= -DSOURCE_DIR= -DWORK_DIR= -DVERSION=  the build, the sources, a
#       scratch directory (emptied first), the project's version
#   -DCXX_COMPILER=  the compiler the project was built with
#   -DHELP2MAN=  the help2man the build found (empty: none, so no man page)
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR VERSION CXX_COMPILER)
  if(NOT ${var})
    message(FATAL_ERROR "deb_package_test.cmake: -D${var}= is required")
  endif()
endforeach()

if(NOT HELP2MAN)
  message(FATAL_ERROR "the build found no help2man, so the .deb would have no man page "
                      "(apt-get install help2man, then configure again)")
endif()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/run)

# run(WHAT command...): runs it, fails the test with its output if it fails.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}${err}")
  endif()
  message(STATUS "${what}: ok")
  set(output "${out}" PARENT_SCOPE)
endfunction()

# expect_in(TEXT WHAT parts...): fails unless each part is in TEXT.
function(expect_in text what)
  foreach(part IN LISTS ARGN)
    string(FIND "${text}" "${part}" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "${what} lacks '${part}':\n${text}")
    endif()
  endforeach()
endfunction()

# CPack first builds what is out of date (its preinstall step): after a full
# build, as in CI, that is a check of a few seconds.
run("cpack -G DEB" cpack -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${WORK_DIR}/cpack)
file(GLOB deb ${WORK_DIR}/cpack/*.deb)
list(LENGTH deb count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "cpack made ${count} .deb files: ${deb}")
endif()

# The fields: the project's version, the runtime libraries the tool links.
run("dpkg-deb --field" dpkg-deb --field ${deb} Package Version Depends Recommends)
expect_in("${output}" "the .deb's fields" "Package: pa-journal\n" "Version: ${VERSION}\n"
          "libc6" "libcapnp-0" "libxxhash0" "libsimdjson" "libcapnp-dev" "bash-completion")

# The files a Debian user expects, at the places Debian tools look.
run("dpkg-deb --contents" dpkg-deb --contents ${deb})
expect_in("${output}" "the .deb's file list"
          " ./usr/bin/pa-journal\n"
          " ./usr/include/pa_journal/store.h\n"
          " ./usr/lib/libpa_journal.a\n"
          " ./usr/lib/libpa_schemas.a\n"
          " ./usr/lib/pkgconfig/pa_journal.pc\n"
          " ./usr/lib/cmake/pa_journal/pa_journalConfig.cmake\n"
          " ./usr/share/bash-completion/completions/pa-journal\n"
          " ./usr/share/man/man1/pa-journal.1.gz\n"
          " ./usr/share/doc/pa-journal/cli.md\n")

set(root ${WORK_DIR}/root)
run("dpkg-deb --extract" dpkg-deb --extract ${deb} ${root})
run("the unpacked pa-journal --version" ${root}/usr/bin/pa-journal --version)
expect_in("${output}" "pa-journal --version" "pa-journal ${VERSION}")

# The completion and the man page as installed: bash completes a command,
# man -l renders the commands.
set(completion ${root}/usr/share/bash-completion/completions/pa-journal)
run("the unpacked completion" bash --norc --noprofile -c
    "source '${completion}' && COMP_WORDS=(pa-journal li) COMP_CWORD=1 && _pa_journal && echo \"\${COMPREPLY[*]}\"")
if(NOT output STREQUAL "list\n")
  message(FATAL_ERROR "the unpacked completion of 'pa-journal li' gives: ${output}")
endif()
run("man -l the unpacked man page" man -l ${root}/usr/share/man/man1/pa-journal.1.gz)
expect_in("${output}" "the unpacked man page" "EXIT STATUS" "pa-journal put" "pa-journal verify")

# Only the unpacked tree's .pc: its prefix resolves inside the scratch root.
set(ENV{PKG_CONFIG_PATH} ${root}/usr/lib/pkgconfig)
run("pkg-config --cflags --libs pa_journal" pkg-config --cflags --libs pa_journal)
string(STRIP "${output}" flags)
expect_in("${flags}" "pkg-config's flags" "-I${root}/usr/lib/pkgconfig/"
          "-L${root}/usr/lib/pkgconfig/" "-lpa_journal")
message(STATUS "flags: ${flags}")
separate_arguments(flags UNIX_COMMAND "${flags}")
run("build the consumer with pkg-config" ${CXX_COMPILER}
    ${SOURCE_DIR}/tests/package_consumer/main.cc ${flags} -o ${WORK_DIR}/consumer)
run("run the consumer" ${WORK_DIR}/consumer ${WORK_DIR}/run)
message(STATUS "${output}")
