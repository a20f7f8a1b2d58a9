// The embedded journal API: open a store, commit, read. This header and the
// others in include/pa_journal/ are the whole public surface; the pa-journal
// tool uses nothing else.
//
// A store is a directory (docs/design.md 4): LOCK, journal/ (segments),
// storage.log. Opening replays the journal under a recovery mode and returns a
// RecoveryReport; every commit is one atomic, numbered, timed journal record.
//
// Thread-safety: a Store may be shared by any number of threads. Commits from
// several threads are serialised into the journal in sequence order and, under
// Durability::kAlways, share syncs. Reads (get, list, collections, state,
// last_seq) each read one version of the state, consistent at one sequence
// number, and never a part of a commit. Under kAlways a commit becomes visible
// only once it is durable, so no read ever reports a commit that a crash or
// a failed sync takes away; commit() returns after that, so the thread that
// committed reads its own commit. Under kInterval and kNone a commit is
// visible once applied in memory, before it is durable, as those modes allow
// (docs/design.md 10). Under kAlways reads never wait for commits, nor
// commits for reads; under the other modes a read may wait for one commit to
// be applied in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pa_journal/backup.h"
#include "pa_journal/damage.h"
#include "pa_journal/errors.h"
#include "pa_journal/options.h"
#include "pa_journal/record.h"
#include "pa_journal/recovery_report.h"
#include "pa_journal/time_travel.h"

namespace pa_journal {

struct CommitResult {
  uint64_t seq = 0;
  int64_t time_ns = 0;
};

// What one compaction did.
struct CompactionResult {
  std::string snapshot_id;  // empty if nothing changed since the last snapshot
  uint64_t seq = 0;         // the sequence number the snapshot covers
  int64_t time_ns = 0;      // that record's commit time
  uint64_t bytes = 0;       // size of the snapshot's files
  std::vector<std::string> removed_snapshots;
  std::vector<std::string> removed_segments;
};

// How Store::import_from takes a directory.
struct ImportOptions {
  bool merge = false;         // upsert the imported documents, keep the others
  bool dry_run = false;       // count what would change, append nothing
  bool accept_edits = false;  // an export edited by hand: check the JSON of
                              // files whose checksum fails, instead of refusing
};

struct ImportCounts {
  uint64_t added = 0, changed = 0, removed = 0;
  bool operator==(const ImportCounts&) const = default;
};

struct ImportResult {
  CommitResult commit;  // seq 0: a dry run, or nothing to change
  std::string form;     // "export", "edited export", "JSON files", "the app's files"
  // Documents each imported collection gains, changes and loses.
  std::map<std::string, ImportCounts> collections;
  std::vector<std::string> edited;  // export files taken though edited
  std::vector<std::pair<std::string, std::string>> not_imported;  // entry, why
};

// Which documents of a collection a listing reads, in key order (keys compared
// as bytes): keys that start with prefix, not before from and not after to
// (both bounds inclusive, either may be absent), at most limit of them (0:
// no limit). Default options read the whole collection.
struct ListOptions {
  std::string prefix;
  std::optional<std::string> from;
  std::optional<std::string> to;
  uint64_t limit = 0;
};

// A document with the seq of the commit that last changed it (for a document
// loaded from a snapshot and unchanged since, that snapshot's seq: at or
// after its last change). Passed back as an if_seq, it lets the commit
// through only if nobody changed the document meanwhile.
struct VersionedDocument {
  std::string json;
  uint64_t seq = 0;
  bool operator==(const VersionedDocument&) const = default;
};

// Called with each document a listing reads, in key order; the views are valid
// only during the call. Return false to stop the scan there.
using ListVisitor = std::function<bool(std::string_view key, std::string_view doc)>;

// Keeps the freeing of large states off the commit path in this process, by
// turning glibc's fastbins off (mallopt(M_MXFAST, 0); nothing with another C
// library). Freeing a materialised state of a million documents (a
// compaction's copy, an import's comparison, a restore's target) parks every
// map node in a fastbin, and the next large allocation consolidates them all
// under an allocator lock, for tens of milliseconds; a committer freeing the
// document its commit replaces waits for it (docs/design.md 10). It changes
// an allocator setting of the whole process, so the library never calls it
// by itself: a process that runs restores, imports or compactions of large
// states beside commits that must not stall calls it once, early (the
// pa-journal tool and its bench do). Small allocations keep the per-thread
// cache. Thread-safe; a second call does nothing.
void keep_frees_off_the_commit_path();

class Store {
 public:
  // Opens the store in dir; a writable open creates it if there is none,
  // unless options.create_if_missing is false (then NotFoundError, and nothing
  // is created). Throws StoreLockedError if another process writes to it (after
  // waiting options.lock_wait_ms for it to finish), CorruptedDataError if the
  // recovery mode refuses the damage it found, IoError on I/O failure.
  // A writable open refuses (StorageError whose Remedy is to adopt dir,
  // pa_journal/adopt.h) a directory that holds the personal-assistant app's
  // files and no store yet, or an adoption that did not finish: writing there
  // would leave the app's data out of the store.
  static std::unique_ptr<Store> open(const std::string& dir, Options options = {});
  // A read-only open of the state at t_ns (records committed at or before
  // it; pa_journal/time_travel.h): reads take the newest snapshot at or
  // before t_ns through its key indexes and the records after it up to t_ns,
  // as a read-only open does now (docs/readers.md). Throws InvalidInputError
  // with the restorable window if t_ns lies outside it, and what open throws.
  static std::unique_ptr<Store> open_at(const std::string& dir, int64_t t_ns,
                                        Options options = {});
  // Syncs and releases LOCK.
  ~Store();

  // One commit each. JSON text is validated and stored compact. Throws
  // InvalidInputError / NotFoundError for refused input, ConflictError for an
  // operation's if_seq that the document contradicts (nothing appended either
  // way), JournalFailedError once an I/O failure has stopped the journal.
  CommitResult put(std::string_view collection, std::string_view key,
                   std::string_view json);
  CommitResult patch(std::string_view collection, std::string_view key,
                     std::string_view json_merge_patch);
  CommitResult remove(std::string_view collection, std::string_view key);
  // Compare-and-set (docs/design.md, "Compare-and-set"): the same, refused
  // with ConflictError, nothing appended, if the document changed after seq
  // if_seq (if_seq 0: if it exists). Operation::if_seq does this in commit().
  CommitResult put(std::string_view collection, std::string_view key,
                   std::string_view json, uint64_t if_seq);
  CommitResult patch(std::string_view collection, std::string_view key,
                     std::string_view json_merge_patch, uint64_t if_seq);
  CommitResult remove(std::string_view collection, std::string_view key, uint64_t if_seq);
  // Several operations as one atomic commit, with an optional origin note.
  CommitResult commit(std::vector<Operation> ops, std::string origin = {});

  // Pipelined commits (what `pa-journal apply` uses): enqueue() numbers and
  // stages a commit and returns at once; it is acknowledged only when
  // wait_durable(seq) has returned, and under kAlways reads see it only then.
  // Commits enqueued meanwhile share one sync.
  CommitResult enqueue(std::vector<Operation> ops, std::string origin = {});
  // Throws JournalFailedError if the journal failed before seq was durable,
  // and InvalidInputError for a seq no commit has been given yet.
  void wait_durable(uint64_t seq);

  // Reads: get, list, collections, state and last_seq. Once the journal has
  // failed they throw JournalFailedError, as commits do: the state in memory
  // may hold commits that were never acknowledged (the failed one included),
  // so none of it is reported; reopen the store to read what is durable.
  //
  // The document as compact JSON, or nullopt. get and list throw
  // InvalidInputError for a name or key that no document could have.
  std::optional<std::string> get(std::string_view collection, std::string_view key) const;
  // The same with the seq of the document's last change, for an if_seq.
  std::optional<VersionedDocument> get_versioned(std::string_view collection,
                                                 std::string_view key) const;
  // Every (key, document) of a collection, in key order.
  std::vector<std::pair<std::string, std::string>> list(
      std::string_view collection) const;
  // The documents of a collection that options select (a scan), one version of the
  // state throughout, each passed to visit in key order without a copy of
  // the collection; returns how many were visited. It seeks to the first
  // key of the range: O(log n + k) for k documents visited. A missing collection
  // reads as empty. Throws InvalidInputError for a bad collection name.
  uint64_t list(std::string_view collection, const ListOptions& options,
                const ListVisitor& visit) const;
  // Those documents as a list.
  std::vector<std::pair<std::string, std::string>> list(std::string_view collection,
                                                        const ListOptions& options) const;
  // How many documents list(collection, options) would visit: O(log n),
  // without reading them.
  uint64_t count(std::string_view collection, const ListOptions& options = {}) const;
  std::vector<std::string> collections() const;
  // The size of the file a snapshot would write for the collection now: its
  // keys, documents and layout (docs/snapshot-format.md), 0 for a collection
  // that does not exist. Open read-only, it is the snapshot file's size and
  // the journal's changes since, read without the snapshot's documents.
  uint64_t snapshot_bytes(std::string_view collection) const;
  // A copy of every collection, consistent at one sequence number (the
  // version reads see; copying it holds up no commit).
  Collections state() const;

  // Point-in-time restore (docs/design.md 5): appends one commit, with the origin
  // note "restore to T", that turns the current state into the state at t_ns
  // (records committed at or before t_ns). History is never rewritten, so a
  // restore is undone by restoring to just before it. Returns seq 0 and
  // appends nothing if the state at t_ns equals the current one. Throws
  // InvalidInputError with the restorable window if t_ns lies outside it.
  CommitResult restore_to(int64_t t_ns);
  // What restore_to(t_ns) would change now, without changing anything.
  std::vector<DocumentChange> plan_restore(int64_t t_ns) const;

  // Writes a snapshot of every collection now (backups/ and the readable
  // state files), applies retention and deletes journal segments that no kept
  // snapshot needs. Also runs automatically in the background (Options).
  CompactionResult compact();

  // Keeps the newest keep_count snapshots (at least one: keep_count 0 keeps
  // the newest, where replay starts), removes the rest, and deletes the
  // journal segments that no kept snapshot needs (as compaction does).
  void retain_backups(size_t keep_count);

  // The seed's export and import (docs/snapshot-format.md). export_to writes
  // the current state into a new or empty directory (created with any
  // missing parent) with a manifest.
  CommitResult export_to(const std::string& out_dir) const;
  // Imports in_dir, in any of the forms of snapshot/import_dir.h (an export,
  // an export edited by hand with accept_edits, plain NAME.json files, the
  // app's files), checked completely first. Each imported collection
  // replaces the store's collection of that name, or with merge takes the
  // imported documents over the ones it has and keeps the others;
  // collections not in in_dir are left alone. A list file's order is kept
  // (pa_journal/file_storage.h). The store is snapshotted first and the
  // import is one commit with the origin "import from DIR", undone by a
  // point-in-time restore; a dry run counts and appends nothing, and works on
  // a store opened read-only. in_dir must
  // not be the store or inside it (InvalidInputError). Throws
  // InvalidInputError for content the store must not import, CorruptedDataError
  // for an export whose files do not match their manifest.
  ImportResult import_from(const std::string& in_dir, const ImportOptions& options);
  // import_from(in_dir, {}).commit: seq 0 if the import changes nothing.
  CommitResult import_from(const std::string& in_dir);

  // An online backup of the whole store into out_dir, as backup_store
  // (pa_journal/backup.h) makes one, for a store open in this process: its
  // compaction waits while the copy is taken, and its commits up to the
  // copy's seq are durable before the copy appears at out_dir.
  BackupResult backup_to(const std::string& out_dir);

  // Appends one line to storage.log: its time, level and message. level is
  // "INFO", "WARN" or "ERROR", else InvalidInputError; the message's control
  // characters are written escaped (a newline as \n, others as \xNN), so a
  // message cannot start a line of its own.
  void log_event(std::string_view level, std::string_view message) const;

  // The sequence number of the newest commit reads see (0 if none): under
  // kAlways the newest durable one, under the other modes the newest
  // written. A read: throws JournalFailedError once the journal has failed.
  uint64_t last_seq() const;
  const RecoveryReport& recovery() const;
  // Whether this open created the store: dir held no journal/ when the open
  // had taken LOCK (so of two writers racing to create a store, exactly one
  // sees true). Always false for a read-only open.
  bool created() const;
  const std::string& dir() const;
  // The store's id (docs/replication.md): 32 lowercase hex digits, made when
  // the store was created or, for an older store, at its first writable
  // open. "" for a read-only open of a store that has none yet.
  const std::string& store_id() const;
  // Makes every commit so far durable whatever the durability mode.
  void sync();
  // The background shipper's last status (Options::replication): what the
  // stream acknowledged, the lag, and in error what it waits for (running)
  // or what stopped it (!running). nullopt when it was not asked for or the
  // store is open read-only.
  std::optional<ReplicationStatus> replication_status() const;

  struct Impl;

 private:
  friend struct AdoptionAccess;    // store/adopt.cc opens the app's directory
  friend struct CanonicalCommits;  // store/canonical_commit.h, for pa-journal apply
  // until_ns: a read-only open of the state at that time (open_at).
  static std::unique_ptr<Store> open_unchecked(
      const std::string& dir, Options options,
      std::optional<int64_t> until_ns = std::nullopt);
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pa_journal
