// Whole processes as contenders: the cli phase runs the pa-journal tool and
// the sqlite3 shell as a user would, and takes from each run its wall time,
// the time to its first byte of output and its peak resident size (wait4's
// ru_maxrss, through a small launcher program). Internal to tools/bench/.
//
// Not thread-safe: one child at a time per process (the pipes are made
// close-on-exec, so a child spawned meanwhile by another thread would not
// hold them, but nothing else here is shared).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pa_journal::bench {

// Where a child's standard streams come from and go to.
struct ChildIo {
  // Standard input: the file at stdin_path, or else the file at feed_path
  // streamed by this process through a pipe (as `cat FILE | tool` would), or
  // else /dev/null.
  std::string stdin_path;
  std::string feed_path;
  // Standard output: read through a pipe by this process (counted, and its
  // first keep_stdout bytes kept) if read_stdout, else /dev/null.
  bool read_stdout = false;
  size_t keep_stdout = 0;
  // Standard error goes to this file (truncated), kept for a failure's message;
  // empty: /dev/null.
  std::string stderr_path;
};

struct ChildRun {
  int exit_code = -1;  // -1 if killed by a signal
  double seconds = 0;  // from the spawn to the exit
  // From the spawn to the first byte read from its standard output; negative
  // if it printed nothing (or its output was not read).
  double first_byte_seconds = -1;
  uint64_t stdout_bytes = 0;
  std::string out;  // the first ChildIo::keep_stdout bytes of its output
  uint64_t max_rss_bytes = 0;
};

// Runs argv[0] (a path; no PATH search) with argv and waits for it. Throws
// std::runtime_error if it cannot be spawned; a child that fails is reported
// through ChildRun::exit_code, not thrown.
//
// launcher: the path of pa-journal-bench-launch (launch.c), which spawns the
// child in its place; empty: this process spawns it. Linux counts the
// resident size of the process that spawns a child into the child's
// ru_maxrss, so without the launcher max_rss_bytes is at least this
// process's own resident size.
ChildRun run_child(const std::vector<std::string>& argv, const ChildIo& io,
                   const std::string& launcher = {});

// Throws std::runtime_error naming `what` and the end of its standard error
// (ChildIo::stderr_path) unless the child exited 0.
void expect_success(const ChildRun& run, const std::string& what, const ChildIo& io);

// The first executable file named `name` in a directory of $PATH; empty if
// there is none.
std::string find_on_path(const std::string& name);

// What the files under path (or the file at path) take on the disk, as du(1)
// counts it: allocated blocks, each file once however many hard links name
// it. A file deleted while the tree is walked is left out.
uint64_t disk_usage(const std::string& path);

}  // namespace pa_journal::bench
