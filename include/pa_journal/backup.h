// Online backup: a copy of the whole store, history included, consistent at
// one sequence number, taken beside a live writer without stopping it (as
// SQLite's backup API). The copy opens as a store, verifies, and holds the
// same history: every snapshot of backups/ that verifies, and the journal
// from the record after the oldest of them (from seq 1 if there is none) to
// the last complete record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pa_journal/options.h"

namespace pa_journal {

struct BackupResult {
  std::string out_dir;
  uint64_t seq = 0;     // the last record the copy holds, 0 if none
  int64_t time_ns = 0;  // its commit time, 0 if none
  uint64_t snapshots = 0;
  uint64_t segments = 0;
  uint64_t bytes = 0;  // of the snapshots' files and the journal copied
  // Snapshots of the store passed over because their files do not verify.
  std::vector<std::string> damaged_snapshots;
  // The temporary directory of an interrupted backup into out_dir, removed
  // before this one began; empty if there was none.
  std::string removed_leftover;
};

// Copies the store in store_dir into out_dir, which must not exist or be
// empty (missing parents are created). Read-only on the store: never takes
// LOCK, so it runs beside a writer in another process; a compaction there
// that removes files mid-copy makes it copy again, a few times at most.
// The copy is built in the sibling directory out_dir + kBackupTempSuffix and
// renamed to out_dir once complete and verified, so out_dir never holds a
// partial copy, whatever happens; a temporary directory left by a killed
// backup is removed first (removed_leftover).
// Refuses with InvalidInputError, writing nothing, if out_dir is not empty,
// or is the store or inside it (symlinks resolved). Throws NotFoundError if
// there is no store at store_dir, CorruptedDataError if the store's journal
// is damaged, StorageError if no stable copy could be taken.
// options.progress gets the task "backup" (bytes copied), then "verify" (the
// copy checked).
BackupResult backup_store(const std::string& store_dir, const std::string& out_dir,
                          const Options& options = {});

inline constexpr const char* kBackupTempSuffix = ".pa-journal-backup-tmp";

}  // namespace pa_journal
