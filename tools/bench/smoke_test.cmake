# The bench_smoke test: `pa-journal-bench --quick --json` with tiny sizes must
# exit 0 and print one JSON object with every figure and target in it (the
# commit latency beside a restore and an import among them), and the
# disk's fastest durable write loop with its ratio to SQLite WAL FULL, the
# restore phase's ceiling (a bare durable write loop idle and beside hogs, each
# with its ratio to idle) and, with --latency-trace, a CSV of its commits, and the
# cli phase's targets, measured when the sqlite3 shell is on PATH (the
# pa-journal tool is found beside the bench) and named as skipped otherwise. A --dir
# that does not exist is a usage error (exit 2) and is not created; so is a
# count that is not a whole number of at least 1. The replication phase's
# figures are there where nats-server is installed, else a note that it was
# skipped.
# Run as: cmake -DBENCH=<pa-journal-bench> -DWORK_DIR=<dir> -P smoke_test.cmake
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(
  COMMAND ${BENCH} --quick --json --quiet --dir ${WORK_DIR} --seconds 0.1 --rounds 1
          --docs 200 --cost-docs 100,1000 --seed-docs 1000 --replay-records 1000,5000
          --compaction-docs 5000 --latency-trace ${WORK_DIR}/latency.csv
          --cli-docs 3000 --cli-durable-lines 50 --cli-rounds 2
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pa-journal-bench exited ${rc}\n${err}\n${out}")
endif()
string(JSON figures ERROR_VARIABLE json_error LENGTH "${out}" figures)
if(json_error)
  message(FATAL_ERROR "not valid JSON: ${json_error}\n${out}")
endif()
string(JSON targets LENGTH "${out}" targets)
# 14 targets of the library and 9 of the command line.
if(figures LESS 20 OR NOT targets EQUAL 23)
  message(FATAL_ERROR "expected at least 20 figures and 23 targets, got ${figures} and "
                      "${targets}\n${out}")
endif()
find_program(SQLITE3_SHELL sqlite3)
set(judged "")
foreach(i RANGE 0 22)
  string(JSON id GET "${out}" targets ${i} id)
  string(JSON pass GET "${out}" targets ${i} pass)
  string(JSON ratio GET "${out}" targets ${i} ratio)
  string(JSON note GET "${out}" targets ${i} note)
  message(STATUS "target ${id}: pass=${pass}")
  list(APPEND judged "${id}")
  if(id MATCHES "restore|import" AND NOT ratio GREATER 0)
    message(FATAL_ERROR "target ${id} has no ratio\n${out}")
  endif()
  if(id MATCHES "^cli-" AND SQLITE3_SHELL AND NOT ratio GREATER 0)
    message(FATAL_ERROR "cli target ${id} has no ratio with sqlite3 on PATH\n${out}")
  endif()
  if(id MATCHES "^cli-apply-none-(file|pipe)$" AND NOT SQLITE3_SHELL
     AND NOT note MATCHES "sqlite3")
    message(FATAL_ERROR "cli target ${id} does not say that sqlite3 is missing\n${out}")
  endif()
endforeach()
list(FIND judged "cli-disk" disk_at)
if(disk_at LESS 0)
  message(FATAL_ERROR "no cli-disk target\n${out}")
endif()
list(FIND judged "restore-p99" restore_at)
list(FIND judged "import-p99" import_at)
if(restore_at LESS 0 OR import_at LESS 0)
  message(FATAL_ERROR "no restore-p99 or import-p99 target\n${out}")
endif()
set(ceiling_ratio "")
math(EXPR last "${figures} - 1")
foreach(i RANGE 0 ${last})
  string(JSON id GET "${out}" figures ${i} id)
  if(id STREQUAL "commit.disk-overwrite")
    string(JSON ceiling_ratio GET "${out}" figures ${i} ratios 0 ratio)
    string(JSON versus GET "${out}" figures ${i} ratios 0 versus)
  endif()
endforeach()
if(NOT ceiling_ratio GREATER 0 OR NOT versus MATCHES "^SQLite WAL full")
  message(FATAL_ERROR "no ratio of the durable overwrite loop to SQLite WAL full\n${out}")
endif()
message(STATUS "durable overwrite loop: ${ceiling_ratio}x SQLite WAL full")
foreach(hog restore_hog import_hog)
  set(hog_ratio "")
  foreach(i RANGE 0 ${last})
    string(JSON id GET "${out}" figures ${i} id)
    if(id STREQUAL "ceiling.p99_${hog}")
      string(JSON hog_ratio GET "${out}" figures ${i} ratios 0 ratio)
      string(JSON versus GET "${out}" figures ${i} ratios 0 versus)
    endif()
  endforeach()
  if(NOT hog_ratio GREATER 0 OR NOT versus STREQUAL "bare durable write, idle")
    message(FATAL_ERROR "no ceiling.p99_${hog} with its ratio to the idle loop\n${out}")
  endif()
  message(STATUS "bare durable write beside the ${hog}: ${hog_ratio}x idle")
endforeach()
# The replication phase: its six figures (ship and clone, sealed or not, each
# above 0 records/s; the lag in seconds and in records) where nats-server is
# installed, else a note that it was skipped.
find_program(NATS_SERVER nats-server PATHS /usr/sbin)
set(replication_figures 0)
foreach(i RANGE 0 ${last})
  string(JSON id GET "${out}" figures ${i} id)
  if(id MATCHES "^replication\\.")
    string(JSON value GET "${out}" figures ${i} value)
    if(id MATCHES "(ship|clone)" AND NOT value GREATER 0)
      message(FATAL_ERROR "figure ${id} is ${value}\n${out}")
    endif()
    math(EXPR replication_figures "${replication_figures} + 1")
  endif()
endforeach()
if(NATS_SERVER AND NOT replication_figures EQUAL 6)
  message(FATAL_ERROR "expected 6 replication figures, got ${replication_figures}\n${out}")
endif()
if(NOT NATS_SERVER AND NOT out MATCHES "replication: skipped: nats-server")
  message(FATAL_ERROR "no note that the replication phase was skipped\n${out}")
endif()
message(STATUS "replication figures: ${replication_figures}")
file(STRINGS ${WORK_DIR}/latency.csv trace_lines)
list(LENGTH trace_lines trace_count)
list(GET trace_lines 0 trace_header)
if(trace_count LESS 20 OR NOT trace_header MATCHES "^committer,window,due_ms")
  message(FATAL_ERROR "--latency-trace wrote ${trace_count} lines: ${trace_header}")
endif()

execute_process(
  COMMAND ${BENCH} --quick --quiet --dir ${WORK_DIR}/missing/deeper
  OUTPUT_QUIET
  ERROR_VARIABLE missing_err
  RESULT_VARIABLE missing_rc)
if(NOT missing_rc EQUAL 2 OR NOT missing_err MATCHES "missing/deeper"
   OR EXISTS ${WORK_DIR}/missing)
  message(FATAL_ERROR "--dir of a missing directory must exit 2, name it and create "
                      "nothing; exit ${missing_rc}\n${missing_err}")
endif()

foreach(bad "--threads;1,0" "--rounds;1.5" "--docs;-3" "--seconds;0")
  execute_process(
    COMMAND ${BENCH} --quick --quiet ${bad}
    OUTPUT_QUIET
    ERROR_VARIABLE bad_err
    RESULT_VARIABLE bad_rc)
  list(GET bad 0 option)
  if(NOT bad_rc EQUAL 2 OR NOT bad_err MATCHES "${option}: must be")
    message(FATAL_ERROR "${bad}: must exit 2 saying what is expected; exit ${bad_rc}\n"
                        "${bad_err}")
  endif()
endforeach()
