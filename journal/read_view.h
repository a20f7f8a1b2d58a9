// The reader's side of reading a store beside a live writer (docs/readers.md).
//
// A read-only pass (a read-only open, verify, inspect, a backup, the state at
// a past time) makes one ReadView first and keeps it until it has read the
// last file it listed. In this order it:
//  1. holds journal/READERS shared, so that no compaction removes a snapshot
//     or segment it lists (the compaction's removal step takes it exclusive,
//     Compactor::retain_locked); a removal in progress is waited out;
//  2. asks whether a writer holds LOCK (FileSystem::lock_held);
//  3. lists and loads snapshots (only those whose manifest exists: it is
//     written last, by rename; a snapshot without one is not a fallback to
//     report while a writer is live, it may be a compaction in progress);
//  4. reads journal/DURABLE (journal_limit) and only then lists segments, and
//     scans within that limit. A writer in this process gives its end from
//     memory instead (durable_end.h: written_end_in_process). DURABLE is read after the
//     snapshots so that it covers every snapshot listed: a compaction syncs the journal,
//     which publishes, before it writes a snapshot.
// With no writer, or no DURABLE that verifies (a store written before it
// existed, or by a writer that never synced), the scan has no limit and reads
// as before: every segment to its end, a torn tail reported as such.
//
// Thread-safety: one ReadView per pass; several may exist at once.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "journal/journal_reader.h"
#include "pa_journal/file_system.h"

namespace pa_journal {

class ReadView {
 public:
  // Steps 1 and 2 for the store in store_dir.
  ReadView(FileSystem& fs, std::string store_dir);
  ReadView(const ReadView&) = delete;
  ReadView& operator=(const ReadView&) = delete;

  // Whether a writer held LOCK when the view was made.
  bool writer_live() const { return writer_live_; }
  // Step 4: the limit for a scan of the journal that starts now; unset
  // without a live writer or without a DURABLE that verifies.
  std::optional<ScanLimit> journal_limit() const;

 private:
  FileSystem& fs_;
  const std::string dir_;
  std::unique_ptr<FileLock> readers_;
  bool writer_live_ = false;
  bool in_process_ = false;  // the writer is in this process: its end is in memory
};

}  // namespace pa_journal
