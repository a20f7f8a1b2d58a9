// Recovery on open: take the newest snapshot whose checksums verify, load it,
// replay the journal after its sequence number under the recovery mode, and,
// for a writable open, repair the journal so that appending can resume (cut a
// torn tail, quarantine what point-in-time drops, mark what salvage lost; see
// journal/repair.h for the crash argument of each repair).
//
// A damaged, missing or half-written snapshot is never loaded: the open falls
// back to the next older one and a longer stretch of journal, down to
// replaying from sequence 1 if the journal still holds it, and reports every
// fallback. Snapshot damage does not make any mode refuse: the journal is the
// source of truth and snapshots are derived from it.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "journal/journal_writer.h"
#include "journal/read_view.h"
#include "pa_journal/file_system.h"
#include "pa_journal/options.h"
#include "pa_journal/recovery_report.h"
#include "replay/state.h"
#include "snapshot/snapshot.h"

namespace pa_journal {

struct Recovered {
  State state;
  RecoveryReport report;
  JournalWriter::Tail tail;  // where a writer resumes (after any repair)
};

struct RecoverOptions {
  RecoveryMode mode = RecoveryMode::kTolerateTail;
  bool writable = false;  // repair the journal so that appending can resume
  // Replay only up to records committed at or before this time (read-only).
  std::optional<int64_t> until_ns;
  // Ignore snapshots newer than this sequence number (0: use any), and use no
  // snapshot at all when use_snapshots is false.
  bool use_snapshots = true;
  uint64_t max_snapshot_seq = 0;
  // Reports "load snapshot" per snapshot tried and "replay" (progress.h).
  ProgressFn progress;
};

// Records from_seq..snapshot_seq, missing from a journal that ends at
// last_seq (0: it holds none) although a snapshot covers snapshot_seq: the journal once
// held them (compaction syncs it before it writes a snapshot), the snapshot holds their
// state, their history is gone. segment: the newest segment's path relative to the store,
// "journal/" if there is none.
Damage journal_ends_before_snapshot(const std::string& segment, uint64_t from_seq,
                                    uint64_t last_seq, uint64_t snapshot_seq);

// store_dir holds journal/ and backups/. Throws CorruptedDataError when the
// mode refuses the journal's damage. A journal that ends before the loaded
// snapshot's seq is reported as missing records, fatal only under strict: the
// state is whole; so is a journal with no segment at all. The writer
// resumes after the snapshot, so only the first open after the loss sees it;
// verify_store finds it while the journal shows the gap (a journal emptied
// and then written to again looks like one that retention trimmed). A read-only recovery
// reads once, beside a live writer too, as docs/readers.md says (journal/read_view.h):
// only what the writer has published as durable, and no file a compaction removes.
Recovered recover(FileSystem& fs, const std::string& store_dir,
                  const RecoverOptions& options);

// The two halves of a read-only recovery, for a reader that keeps the
// snapshot on disk instead of loading it (replay/lazy_state.h), within a
// ReadView the caller made first (docs/readers.md). snapshot_to_open: the
// snapshot recover() would try first, if recover() would report none passed
// over before it (no manifest that does not parse, no unfinished snapshot
// newer than it with no writer live); else nullopt, and the caller recovers
// in full. replay_tail: the journal after that snapshot, to on_record, with
// report filled as recover() fills it (the same scan and recovery mode, the
// same damage, a journal that ends before the snapshot) but for what loading
// the snapshot's files would find. Throws as recover() does.
std::optional<SnapshotInfo> snapshot_to_open(FileSystem& fs, const std::string& store_dir,
                                             const RecoverOptions& options,
                                             const ReadView& view);
void replay_tail(FileSystem& fs, const std::string& store_dir,
                 const RecoverOptions& options, const ReadView& view,
                 const SnapshotInfo& snapshot,
                 const std::function<void(const Record&)>& on_record,
                 RecoveryReport& report);

}  // namespace pa_journal
