// Compaction: write a snapshot of every collection at one sequence number,
// refresh the readable state files, apply retention, and delete the journal
// segments that lie wholly before the oldest kept snapshot.
//
// Crash-safety argument
// ---------------------
// 0. Before the state is captured, the journal writer starts a new segment
//    if the newest holds at least roll_after_bytes() (JournalWriter::roll,
//    whose crash argument covers it), so that the
//    segment holding the first record after the snapshot starts at most the
//    few commits made between the roll and the capture (or roll_after_bytes())
//    before it, and a reader of the snapshot's tail (a lazy read-only open,
//    docs/readers.md) reads those, not a nearly full segment. Each roll made
//    is logged (INFO, "compaction: rolled the journal"). Nothing below relies on it:
//    a crash after the roll leaves a newest segment holding only its header, which the
//    next open appends to, and a failed roll fails the compaction as a failed sync of
//    step 1 would.
// 1. The state is captured at sequence number S and the journal is synced up
//    to S before any snapshot file is written, so a snapshot never covers a
//    record the journal could lose.
// 2. write_snapshot (snapshot/catalogue.h) makes the manifest visible only
//    after every file it names is durable.
// 3. The readable state files are each replaced atomically by a second name
//    (hard link) of the now durable snapshot file, or a copy of it when
//    backup_count is 1; they are for people and are never read back by
//    recovery. Only those the store owns (the manifest written in step 2
//    lists them): a DIR/<collection>.json someone else wrote stays as it is
//    and storage.log says where that collection's readable state is instead.
//    A crash before all are replaced leaves some from the older snapshot:
//    the next compaction, even one with nothing new, replaces them.
// 4. Retention turns old manifests into tombstones before it removes their
//    files (snapshot/catalogue.h), removes nothing else, and counts only
//    snapshots whose files verify: a damaged one is no backup. Journal
//    segments are deleted only after the new snapshot is durable, only once
//    two kept snapshots verify (one if backup_count is 1), and only those
//    whose every record is at or before the oldest of those, never the newest
//    segment, and none holding a record after the smallest acked_seq of the
//    replicas' positions (journal/replica_position.h; a position that does
//    not read holds the whole journal): so a crash at any step opens to exactly the state
//    it had, every moment from the oldest kept intact snapshot on stays restorable, and
//    an in-place edit of a readable file (which edits the newest snapshot) leaves an
//    older snapshot and the journal after it to open from.
// 4a. Under the same lock as retention, the kept snapshots but the newest are
//    compressed (snapshot/compression.h): each step leaves a snapshot that
//    loads, and clean-up finishes or undoes an interrupted one. A collection
//    unchanged since the newest snapshot (which verified just before) is a
//    hard link of its file in the new snapshot; its older name is compressed
//    away in the same compaction, so a readable state file shares its inode
//    with the newest snapshot alone once the compaction is done.
// 5. Readers (journal/read_view.h, docs/readers.md) hold journal/READERS
//    shared while they list and read; retention and segment deletion hold it
//    exclusive, so they never remove a file a reader listed and has not read.
//    They wait for such readers; nothing on the commit path waits for them.
//
// Thread-safety: compact() may be called from any thread; compactions are
// serialised. Commits go on while the state is captured and the snapshot is
// written: the capture (Store::Impl::capture) is a frozen version of the
// state, which no commit changes, and the snapshot is read from it in place
// (state_views).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "journal/journal_writer.h"
#include "journal/mutex.h"
#include "pa_journal/options.h"
#include "pa_journal/store.h"
#include "replay/state.h"
#include "snapshot/snapshot.h"
#include "store/storage_log.h"

namespace pa_journal {

// Views of every collection of version, read in place: each holds a copy of
// the version (a handle), whose trees stay as they are for as long as it
// exists (replay/doc_tree.h, invariant 1). A snapshot written from them is
// the one written from version.materialize(), byte for byte, without the copy.
CollectionViews state_views(const StateVersion& version);

class Compactor {
 public:
  // What compaction needs from the store: the state at one sequence number,
  // as views (snapshot/snapshot.h) that keep the frozen version they read
  // alive and unchanged for as long as they exist: no copy of the state.
  struct Capture {
    CollectionViews collections;
    uint64_t seq = 0;
    int64_t time_ns = 0;
    size_t backup_count = 0;  // from config/backup_count, 0 if unset
  };
  using CaptureFn = std::function<Capture()>;
  // What the background thread reads each time it wakes: cheap, no copy,
  // and no freeze of the state (the next commit would copy the tree nodes on
  // its path again): the store reads them from its head.
  struct Settings {
    uint64_t last_seq = 0;
    bool automatic = true;     // config: backup_enabled and auto_save
    uint64_t interval_ms = 0;  // config: auto_save_interval, 0 if unset
  };
  using SettingsFn = std::function<Settings()>;

  Compactor(std::shared_ptr<FileSystem> fs, std::string store_dir, const Options& options,
            JournalWriter* writer, StorageLog* log, CaptureFn capture,
            SettingsFn settings, uint64_t last_snapshot_seq);
  ~Compactor();  // stops the background thread, waiting for a compaction in flight

  // progress (the caller's thread; background compaction passes none) gets
  // the task "compact" (pa_journal/progress.h).
  CompactionResult compact(const ProgressFn& progress = nullptr)
      EXCLUDES(compaction_mu_, mu_);
  // Holds off compaction and retention, which remove snapshots and segments,
  // for as long as the lock is held: for readers of the store's files (the
  // state at a past time) in the same process. The lock is on
  // compaction_mu_'s std::mutex, outside the analysis: its holder touches
  // nothing compaction_mu_ guards.
  std::unique_lock<std::mutex> pause() EXCLUDES(compaction_mu_) {
    return std::unique_lock<std::mutex>(compaction_mu_.native());
  }
  // Retention with keep_count, then segment deletion; returns what compaction
  // would report as removed.
  CompactionResult retain(size_t keep_count) EXCLUDES(compaction_mu_);
  // Called after each commit with its approximate size (and at open with what
  // was replayed since the snapshot); wakes the background thread when a
  // threshold is crossed, unless the settings it last read switched automatic
  // compaction off. config: the commit wrote the config collection, so the
  // settings may have changed: the thread reads them again if a threshold is
  // crossed (and at its next tick in any case).
  void note_commit(uint64_t bytes, uint64_t records = 1, bool config = false)
      EXCLUDES(mu_);
  // The journal bytes and records since the last snapshot that make a
  // background compaction due: compact_after_percent of that snapshot, and at
  // least the floors (Options).
  uint64_t bytes_threshold() const;
  uint64_t records_threshold() const;

 private:
  CompactionResult compact_locked(const ProgressFn& progress) REQUIRES(compaction_mu_);
  // state_files_copied: the state files were just written as copies of the
  // newest snapshot.
  CompactionResult retain_locked(size_t keep_count, bool state_files_copied = false)
      REQUIRES(compaction_mu_);
  bool state_files_want_copies(size_t keep) REQUIRES(compaction_mu_);
  // The newest snapshot, if its files verify: unchanged collections link to it.
  std::optional<SnapshotInfo> intact_newest() REQUIRES(compaction_mu_);
  void rebuild_indexes(const Capture& capture) REQUIRES(compaction_mu_);
  void note_snapshot(const SnapshotInfo& info);
  bool verified_intact(const SnapshotInfo& info) REQUIRES(compaction_mu_);
  void refresh_state_files(size_t keep) REQUIRES(compaction_mu_);
  void unshare_state_files() REQUIRES(compaction_mu_);
  void copy_state_files_of(uint64_t snapshot_seq);
  std::vector<SnapshotInfo> snapshots_in(const std::string& backups);
  // One WARN line in storage.log per state file of info left alone.
  void warn_foreign(const SnapshotInfo& info, const std::vector<std::string>& foreign);
  std::vector<std::string> delete_old_segments(uint64_t oldest_kept_seq);
  // needed_after, or less: the smallest acked_seq of the replicas' positions.
  uint64_t held_for_replicas(uint64_t needed_after);
  void background_loop() EXCLUDES(mu_);
  bool due(const Settings& settings, std::chrono::steady_clock::time_point last) const
      REQUIRES(mu_);
  bool over_thresholds() const REQUIRES(mu_);
  bool journal_failed() const;

  // Step 0 rolls only a segment at least this large: kRollAfterBytes, or a
  // quarter of Options::segment_bytes if that is less. Reading less than
  // kRollAfterBytes costs a lazy open about a millisecond, and a smaller
  // journal keeps its one segment, and with it the history before the oldest
  // kept snapshot. With small segments a quarter segment is the bound instead:
  // a segment that ends at a roll is then at least a quarter full, so a
  // journal of N bytes spans at most about 4N / segment_bytes segments, and the stores
  // the crash, kill and power-loss campaigns run (4 KiB segments) reach step 0 as a large
  // store does, instead of never.
  static constexpr uint64_t kRollAfterBytes = 1 << 20;
  uint64_t roll_after_bytes() const;

  std::shared_ptr<FileSystem> fs_;
  const std::string dir_;
  const Options options_;
  JournalWriter* writer_;
  StorageLog* log_;
  CaptureFn capture_;
  SettingsFn settings_;

  Mutex compaction_mu_ ACQUIRED_BEFORE(mu_);                   // one compaction at a time
  std::set<std::string> verified_ GUARDED_BY(compaction_mu_);  // ids whose files verified
  std::atomic<uint64_t> last_snapshot_seq_;
  // The newest snapshot's JSON bytes and documents: the state's size.
  std::atomic<uint64_t> snapshot_bytes_{0};
  std::atomic<uint64_t> snapshot_documents_{0};

  Mutex mu_;
  CondVar cv_;  // wanted_ or stopping_ set
  uint64_t bytes_since_ GUARDED_BY(mu_) = 0;
  uint64_t records_since_ GUARDED_BY(mu_) = 0;
  bool wanted_ GUARDED_BY(mu_) = false;
  // The settings the thread read last said automatic compaction is off: a
  // commit does not wake it (each wake-up would read the settings again).
  bool off_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace pa_journal
