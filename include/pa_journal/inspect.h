// Read-only looks at a store: summary, verification, record listing. None of
// these take LOCK; all work beside a live writer in another process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pa_journal/damage.h"
#include "pa_journal/options.h"
#include "pa_journal/record.h"
#include "pa_journal/replicas.h"
#include "pa_journal/store.h"

namespace pa_journal {

struct SegmentSummary {
  std::string name;
  uint64_t first_seq = 0;
  uint64_t bytes = 0;
};

// One snapshot in backups/, as `pa-journal backups` shows it.
struct BackupFile {
  std::string collection;
  std::string file;  // name inside backups/
  uint64_t bytes = 0;
};

struct BackupSummary {
  std::string id;  // "20261125_100000"
  uint64_t seq = 0;
  int64_t time_ns = 0;
  uint64_t bytes = 0;  // of the collection files
  std::vector<BackupFile> files;
  std::string manifest;  // name inside backups/
};

// What takes the space in a store, in bytes of its files, a file with several
// names (hard links) counted once.
struct DiskUse {
  uint64_t journal = 0;               // the segments in journal/
  uint64_t snapshots = 0;             // plain JSON collection files in backups/
  uint64_t compressed_snapshots = 0;  // their zstd-compressed form (.json.zst)
  uint64_t manifests = 0;             // the snapshots' manifests
  // The readable state files the newest snapshot lists that are not also a
  // name of a snapshot file (copies, not links).
  uint64_t state_files = 0;
  // The JSON text the snapshots hold, as if every file were plain and
  // unshared: what they would take without links and compression.
  uint64_t snapshots_uncompressed = 0;
  uint64_t total() const {
    return journal + snapshots + compressed_snapshots + manifests + state_files;
  }
};

struct JournalSummary {
  std::vector<SegmentSummary> segments;
  uint64_t bytes = 0;
  uint64_t records = 0;
  uint64_t first_seq = 0, last_seq = 0;  // 0 when empty
  int64_t first_time_ns = 0, last_time_ns = 0;
  std::vector<Damage> damage;                               // as found by a salvage read
  std::vector<std::pair<uint64_t, uint64_t>> known_losses;  // salvage markers
  // Commits per collection (an operation counts once per collection it touches).
  std::vector<std::pair<std::string, uint64_t>> commits_per_collection;
  std::vector<int64_t> commit_times_ns;  // for the tools' histogram
  std::vector<BackupSummary> snapshots;  // newest first
  DiskUse disk;
  // The restorable window: from the first record if the journal still starts
  // at seq 1, else from the oldest snapshot; to the last record. Both 0 when
  // there is none: an empty store, or a journal that starts after seq 1 with
  // no snapshot before it.
  int64_t window_from_ns = 0, window_to_ns = 0;
  // The window starts with the empty state before the first record (the
  // journal still starts at seq 1): every time before window_from_ns is
  // inside it too, as that empty state.
  bool window_from_empty_state = false;
  // The store's id and its replicas' positions (pa_journal/replicas.h).
  ReplicasReport replicas;
};

// Reads the whole journal in salvage mode, so it reports all damage rather
// than stopping at the first. Throws if dir holds no store.
JournalSummary inspect_journal(const std::string& dir, const Options& options = {});

struct VerifyResult {
  uint64_t records = 0;
  uint64_t segments = 0;
  uint64_t snapshots = 0;      // snapshots that verified
  std::vector<Damage> damage;  // every damage found, torn tails included
  // Derived files found damaged (snapshot key indexes, each named at the
  // offset of the damage in it), harmless to data: their collection file
  // verified, and readers read it whole instead. Compaction writes new ones.
  // Not part of ok(): the store's data is intact.
  std::vector<Damage> derived;
  bool ok() const { return damage.empty(); }
};

// Checks every checksum and the sequence chain of the journal, every
// snapshot's manifest and files, and the key index of each file that verified. Damage in
// the newest segment is read again a few times first: beside a live writer it may be a
// record being written.
VerifyResult verify_store(const std::string& dir, const Options& options = {});

// Snapshots whose manifest parses, newest first (damaged ones: verify_store).
std::vector<BackupSummary> list_backups(const std::string& dir,
                                        const Options& options = {});

// The collections of one snapshot, after checking every checksum. Throws
// BackupNotFoundError if there is no snapshot with that id, CorruptedDataError
// if it is damaged.
Collections load_backup(const std::string& dir, const std::string& id,
                        const Options& options = {});

struct ReplayOutcome {
  RecoveryReport report;
  std::vector<std::pair<std::string, size_t>> collections;  // name, documents
  uint64_t last_seq = 0;
  int64_t last_time_ns = 0;
};

// Rebuilds the state read-only (newest verified snapshot + journal) under
// options.recovery, optionally up to records committed at or before until_ns,
// and, if out_dir is not empty, writes it there as readable JSON files (one
// per collection; refuses to overwrite unless overwrite).
ReplayOutcome replay_store(const std::string& dir, const Options& options,
                           std::optional<int64_t> until_ns = std::nullopt,
                           const std::string& out_dir = {}, bool overwrite = false);

// Writes the state (now, or at until_ns) as an export into out_dir, which
// must be new or empty (see Store::export_to). Read-only on the store.
// Returns the sequence number and time the export stands for.
std::pair<uint64_t, int64_t> export_store(const std::string& dir,
                                          const std::string& out_dir,
                                          std::optional<int64_t> until_ns = std::nullopt,
                                          const Options& options = {});

// Reads and checks in_dir as Store::import_from would, without a store:
// throws what import_from would throw for the directory itself (not for the
// store). For a caller that must not create a store for an import that would
// be refused.
void check_import_dir(const std::string& in_dir, bool accept_edits = false,
                      const Options& options = {});

struct RecordFilter {
  std::optional<int64_t> since_ns, until_ns;  // inclusive
  uint64_t from_seq = 0;
  std::optional<std::string> collection, key;
  uint64_t limit = 0;  // 0 = no limit
};

using RecordSinkFn = std::function<void(const Record&)>;

// Calls sink for every record that matches, in sequence order, under mode,
// each once, as it reads it (nothing is collected): one poll of a
// RecordFollower.
void read_records(const std::string& dir, const RecordFilter& filter,
                  const RecordSinkFn& sink, const Options& options = {});

// What one RecordFollower::poll did.
struct RecordPoll {
  uint64_t delivered = 0;  // records given to the sink
  // Records removed by a compaction before a poll could read them (both 0
  // if none): the poll went on at removed_last + 1.
  uint64_t removed_first = 0, removed_last = 0;
  bool store_gone = false;  // the store was removed; no later poll reads more
};

// Follows a store's journal as it grows (`pa-journal inspect --records
// --follow`). Each poll is one read-only pass (docs/readers.md): it calls
// sink, in sequence order, for each record that matches filter among those
// readable now (durable, beside a live writer) that no earlier poll read.
// The first poll reads the whole journal and throws as read_records does
// (no store, damage the recovery mode refuses); a later one reads from the
// segment holding the first record not yet read, and nothing when the
// journal has not grown. Memory does not grow with the journal: a segment
// at a time. filter.limit counts over all polls. Thread-safety: one thread
// at a time.
class RecordFollower {
 public:
  RecordFollower(std::string dir, RecordFilter filter, Options options = {});
  ~RecordFollower();
  RecordFollower(const RecordFollower&) = delete;
  RecordFollower& operator=(const RecordFollower&) = delete;

  RecordPoll poll(const RecordSinkFn& sink);
  // filter.limit records have been delivered: no poll delivers more.
  bool done() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pa_journal
