# What a Debian user expects beside the tool and the library (included at
# the end of the top CMakeLists.txt):
#   - the bash completion of pa-journal, generated from the tool's own --help.

# Bash completion: generated, never edited, so that it lists exactly the
# commands and options of the pa-journal built beside it.
set(PA_JOURNAL_COMPLETION ${PROJECT_BINARY_DIR}/completion/pa-journal)
add_custom_command(
  OUTPUT ${PA_JOURNAL_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completion
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/gen_completion.sh $<TARGET_FILE:pa-journal>
          ${CMAKE_CURRENT_LIST_DIR}/completion.bash ${PA_JOURNAL_COMPLETION}
  DEPENDS pa-journal ${CMAKE_CURRENT_LIST_DIR}/gen_completion.sh
          ${CMAKE_CURRENT_LIST_DIR}/completion.bash
  COMMENT "Generating the bash completion of pa-journal from its --help"
  VERBATIM)
add_custom_target(pa_journal_completion ALL DEPENDS ${PA_JOURNAL_COMPLETION})
install(FILES ${PA_JOURNAL_COMPLETION}
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
