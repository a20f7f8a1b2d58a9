# The installed Python package (cmake -P, from the python_install test):
# installs the build tree BUILD_DIR into a scratch prefix, then imports
# pa_journal from where it was installed and saves and loads through it.
#   -DBUILD_DIR= -DWORK_DIR= -DPYTHON= -DPYTHON_DIR=  the build, a scratch
#       directory (emptied first), the interpreter, PA_JOURNAL_PYTHON_DIR
foreach(var BUILD_DIR WORK_DIR PYTHON PYTHON_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "install_test.cmake: -D${var}= is required")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "install failed (${status}):\n${out}")
endif()
if(IS_ABSOLUTE ${PYTHON_DIR})
  message(STATUS "PA_JOURNAL_PYTHON_DIR is absolute (${PYTHON_DIR}): nothing to check "
                 "in a scratch prefix")
  return()
endif()
set(site ${prefix}/${PYTHON_DIR})
foreach(file __init__.py __init__.pyi py.typed)
  if(NOT EXISTS ${site}/pa_journal/${file})
    message(FATAL_ERROR "not installed: ${site}/pa_journal/${file}")
  endif()
endforeach()
set(script [=[
import sys, tempfile, pa_journal
assert pa_journal.__file__.startswith(sys.argv[1]), pa_journal.__file__
with pa_journal.FileStorage(tempfile.mkdtemp(dir=sys.argv[2])) as s:
    assert s.save("contacts.json", [{"id": "a"}])
    assert s.load("contacts.json") == [{"id": "a"}]
print("imported", pa_journal.__file__)
]=])
execute_process(COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${site} PYTHONDONTWRITEBYTECODE=1
                        ${PYTHON} -c "${script}" ${site} ${WORK_DIR}
                WORKING_DIRECTORY ${WORK_DIR}  # not the build's python/: '' is on sys.path
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "the installed package does not work (${status}):\n${out}")
endif()
message(STATUS "${out}")
