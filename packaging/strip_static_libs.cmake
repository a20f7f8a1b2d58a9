# Run by CPack on the files staged for the .deb (CPACK_PRE_BUILD_SCRIPTS, see
# packaging.cmake): removes the debug information from the static libraries,
# as Debian's dh_strip does. Their symbols stay, so programs still link them;
# the .deb of a RelWithDebInfo build shrinks from about 19 MB to 2 MB.
file(GLOB_RECURSE libraries "${CPACK_TEMPORARY_DIRECTORY}/*.a")
foreach(library IN LISTS libraries)
  execute_process(COMMAND "${CPACK_PA_JOURNAL_STRIP}" --strip-debug "${library}"
                  RESULT_VARIABLE status ERROR_VARIABLE error)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "strip --strip-debug ${library} failed (${status}): ${error}")
  endif()
endforeach()
