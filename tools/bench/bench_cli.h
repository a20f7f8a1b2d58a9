// The cli phase's shared pieces (bench_cli.cc, bench_cli_disk.cc): where the
// two programs are, the files both get, and how each is run. Internal to
// tools/bench/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/bench/child.h"

namespace pa_journal::bench {

// Every document of the phase is a contact document of this size, under the
// key cli_key(d) of collection "contacts" (table contacts for SQLite).
inline constexpr size_t kCliDocumentBytes = 205;

std::string cli_key(uint64_t doc);

// `count` NDJSON lines putting documents first..first+count-1, in key order.
void write_put_lines(const std::string& path, uint64_t first, uint64_t count);
// The same rows as a script for the sqlite3 shell: WAL mode, `synchronous`
// (FULL or NORMAL), the table, and INSERT OR REPLACE statements in
// transactions of rows_per_txn (1: each in its own, autocommit).
void write_sql_script(const std::string& path, uint64_t count, const char* synchronous,
                      int rows_per_txn);

struct CliSetup {
  std::string tool;      // the pa-journal tool
  std::string sqlite;    // the sqlite3 shell
  std::string dir;       // the phase's scratch directory
  std::string launcher;  // Config::launcher if it is there, else empty

  std::string path(const std::string& name) const { return dir + "/" + name; }
  // tool --dir store --no-progress args...
  std::vector<std::string> tool_args(const std::string& store,
                                     std::vector<std::string> args) const;
  // What every run gets unless it says otherwise: nothing in, nothing read
  // out, its standard error kept for a failure's message.
  ChildIo io() const;
  // Runs argv (after a sync(2), untimed, if `sync_first`, so that what the
  // run before left dirty is not written back during this one); throws
  // unless it exits 0.
  ChildRun run(const std::vector<std::string>& argv, const ChildIo& io,
               const std::string& what, bool sync_first = true) const;
};

}  // namespace pa_journal::bench
