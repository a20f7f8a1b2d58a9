# What a Debian user expects beside the tool and the library, and the .deb
# that carries it all (included at the end of the top CMakeLists.txt):
#   - the bash completion of pa-journal, generated from the tool's own --help;
#   - the man page pa-journal(1), generated from the same help by help2man;
#   - pa_journal.pc, for builds that use pkg-config instead of CMake;
#   - docs/cli.md and docs/design.md in share/doc/pa-journal;
#   - CPack's DEB generator: `cpack -G DEB` in the build directory.

# Bash completion: generated, never edited, so that it lists exactly the
# commands and options of the pa-journal built beside it.
set(PA_JOURNAL_COMPLETION ${PROJECT_BINARY_DIR}/completion/pa-journal)
add_custom_command(
  OUTPUT ${PA_JOURNAL_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completion
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gen_completion.sh $<TARGET_FILE:pa-journal>
          ${CMAKE_CURRENT_LIST_DIR}/completion.bash ${PA_JOURNAL_COMPLETION}
  DEPENDS pa-journal ${CMAKE_CURRENT_LIST_DIR}/gen_completion.sh
          ${CMAKE_CURRENT_LIST_DIR}/cli_help.sh ${CMAKE_CURRENT_LIST_DIR}/completion.bash
  COMMENT "Generating the bash completion of pa-journal from its --help"
  VERBATIM)
add_custom_target(pa_journal_completion ALL DEPENDS ${PA_JOURNAL_COMPLETION})
install(FILES ${PA_JOURNAL_COMPLETION}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)

# The man page: pa-journal --help and --version, each command's --help
# (gen_man_commands.sh: the COMMANDS section), and packaging/pa-journal.h2m
# for what the help does not say (exit status, environment, files).
find_program(PA_JOURNAL_HELP2MAN help2man)
if(PA_JOURNAL_HELP2MAN)
  set(PA_JOURNAL_MAN_PAGE ${PROJECT_BINARY_DIR}/man/pa-journal.1.gz)
  add_custom_command(
    OUTPUT ${PA_JOURNAL_MAN_PAGE}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gen_man_commands.sh $<TARGET_FILE:pa-journal>
            ${PROJECT_BINARY_DIR}/man/commands.h2m
    COMMAND ${PA_JOURNAL_HELP2MAN} --no-info
            --include ${PROJECT_BINARY_DIR}/man/commands.h2m
            --include ${CMAKE_CURRENT_LIST_DIR}/pa-journal.h2m
            --output ${PROJECT_BINARY_DIR}/man/pa-journal.1 $<TARGET_FILE:pa-journal>
    COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/man/pa-journal.1
    DEPENDS pa-journal ${CMAKE_CURRENT_LIST_DIR}/pa-journal.h2m
            ${CMAKE_CURRENT_LIST_DIR}/gen_man_commands.sh ${CMAKE_CURRENT_LIST_DIR}/cli_help.sh
    COMMENT "Generating the man page pa-journal(1) with help2man"
    VERBATIM)
  add_custom_target(pa_journal_man ALL DEPENDS ${PA_JOURNAL_MAN_PAGE})
  install(FILES ${PA_JOURNAL_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "pa-journal man page: skipped (no help2man; apt-get install help2man)")
endif()

# pa_journal.pc beside the CMake package: its prefix is relative to the
# file's own directory (${pcfiledir}), so an installed tree can be moved.
file(RELATIVE_PATH PA_JOURNAL_PC_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
     ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" PA_JOURNAL_PC_PREFIX "${PA_JOURNAL_PC_PREFIX}")
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(PA_JOURNAL_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(PA_JOURNAL_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
configure_file(${CMAKE_CURRENT_LIST_DIR}/pa_journal.pc.in ${PROJECT_BINARY_DIR}/pa_journal.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pa_journal.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The reference the man page points to.
install(FILES docs/cli.md docs/design.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/pa-journal)

# The .deb: `cpack -G DEB` in the build directory (or the `package` target)
# writes pa-journal_VERSION_ARCH.deb. One package holds the tool and the
# development files (Debian would split them into pa-journal and
# libpa-journal-dev): it Depends on the shared libraries the tool links
# (found by dpkg-shlibdeps, from dpkg-dev) and Recommends what a program built
# against the static libraries needs (and bash-completion, which loads the
# completion). The Python module (install component "python") is left out:
# its directory is chosen at configure time for /usr/local, and Debian's
# python3 does not look in /usr/lib/python3.X/dist-packages.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pa-journal)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "embedded, event-sourced, append-only journal store, and its command line")
set(CPACK_PACKAGE_DESCRIPTION
    "pa-journal keeps documents in an append-only, checksummed journal with snapshots "
    "that double as backups, replay, and point-in-time restore.\n"
    "This package holds the pa-journal tool (with its man page and bash completion), "
    "and the static libraries, headers, CMake package and pkg-config file of the "
    "C++ library.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_CMAKE_PROJECTS "${PROJECT_BINARY_DIR};pa_journal;Unspecified;/")
# The tool stripped; the static libraries without their debug information.
set(CPACK_STRIP_FILES ON)
set(CPACK_PA_JOURNAL_STRIP ${CMAKE_STRIP})
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_CURRENT_LIST_DIR}/strip_static_libs.cmake)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(PA_JOURNAL_PACKAGE_MAINTAINER "pa-journal maintainers <pa-journal@invalid>"
    CACHE STRING "The Maintainer field of the .deb")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${PA_JOURNAL_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "bash-completion, pkg-config, libcapnp-dev, libxxhash-dev, nlohmann-json3-dev, "
    "libsimdjson-dev, libhowardhinnant-date-dev, libzstd-dev, libsodium-dev, libnats-dev")
string(JOIN "" CPACK_DEBIAN_PACKAGE_RECOMMENDS ${CPACK_DEBIAN_PACKAGE_RECOMMENDS})
string(JOIN "" CPACK_PACKAGE_DESCRIPTION ${CPACK_PACKAGE_DESCRIPTION})
include(CPack)
