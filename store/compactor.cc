#include "store/compactor.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/replica_position.h"
#include "pa_journal/errors.h"
#include "snapshot/catalogue.h"
#include "snapshot/compression.h"

namespace pa_journal {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out.empty() ? "none" : out;
}

}  // namespace

CollectionViews state_views(const StateVersion& version) {
  CollectionViews out;
  for (const auto& entry : version.trees()) {
    const DocTree* tree = &entry.second;
    out.emplace_hint(
        out.end(), entry.first,
        CollectionView{tree->size(), [version, tree](const DocumentVisitor& visit) {
                         tree->for_each(visit);
                       }});
  }
  return out;
}

Compactor::Compactor(std::shared_ptr<FileSystem> fs, std::string store_dir,
                     const Options& options, JournalWriter* writer, StorageLog* log,
                     CaptureFn capture, SettingsFn settings, uint64_t last_snapshot_seq)
    : fs_(std::move(fs)),
      dir_(std::move(store_dir)),
      options_(options),
      writer_(writer),
      log_(log),
      capture_(std::move(capture)),
      settings_(std::move(settings)),
      last_snapshot_seq_(last_snapshot_seq) {
  // Made before any removal, so that every reader finds it (step 5).
  try {
    if (fs_->exists(journal_dir(dir_)))
      fs_->write_at(readers_lock_file_name(journal_dir(dir_)), 0, {});
  } catch (const StorageError&) {
    // Removal steps create it when they take it.
  }
  try {
    std::vector<SnapshotInfo> snapshots = snapshots_in(backups_dir(dir_));
    if (!snapshots.empty()) note_snapshot(snapshots.front());
  } catch (const StorageError&) {
    // The floors alone decide until the next snapshot.
  }
  if (options_.auto_compact) thread_ = std::thread([this] { background_loop(); });
}

Compactor::~Compactor() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CompactionResult Compactor::compact(const ProgressFn& progress) {
  MutexLock lock(&compaction_mu_);
  {
    MutexLock counters(&mu_);
    bytes_since_ = records_since_ = 0;
    wanted_ = false;
  }
  return compact_locked(progress);
}

CompactionResult Compactor::compact_locked(const ProgressFn& progress) {
  auto started = std::chrono::steady_clock::now();
  // Step 0: the records after the snapshot start a segment of their own.
  if (writer_ != nullptr && writer_->last_seq() != last_snapshot_seq_ &&
      writer_->roll(roll_after_bytes())) {
    log_->write("INFO",
                "compaction: rolled the journal (its newest segment held at least " +
                    std::to_string(roll_after_bytes()) +
                    " bytes): the records after the snapshot start a new segment");
  }
  Capture capture = capture_();
  CompactionResult result;
  if (capture.seq == 0) return result;
  size_t keep = capture.backup_count > 0 ? capture.backup_count : options_.backup_count;
  // Nothing new to snapshot; retention still applies (a lowered backup_count,
  // files left by an interrupted compaction).
  if (capture.seq == last_snapshot_seq_) {
    rebuild_indexes(capture);
    refresh_state_files(keep);
    return retain_locked(keep);
  }
  writer_->wait_durable(capture.seq);  // step 1
  writer_->sync();
  const std::string backups = backups_dir(dir_);
  bool copies = state_files_want_copies(keep);
  std::optional<SnapshotInfo> previous = intact_newest();
  // Progress: the snapshot's documents (the state files are links to it, or copies).
  ProgressTick tick;
  if (progress) {
    tick = [&progress](uint64_t done, uint64_t total) {
      progress({"compact", "documents", done, total});
    };
  }
  std::vector<std::string> owned =
      claim_state_files(*fs_, dir_, snapshots_in(backups), capture.collections);
  SnapshotInfo info =
      write_snapshot(*fs_, backups, capture.collections, capture.seq, capture.time_ns,
                     tick, owned, previous ? &*previous : nullptr);
  last_snapshot_seq_ = capture.seq;
  note_snapshot(info);
  capture.collections.clear();  // the state's copy is written; free it now
  warn_foreign(info, link_state_files(*fs_, dir_, backups, info, copies));  // step 3
  verified_.insert(info.id);  // just written and synced
  CompactionResult removed = retain_locked(keep, copies);
  result.removed_snapshots = std::move(removed.removed_snapshots);
  result.removed_segments = std::move(removed.removed_segments);
  result.snapshot_id = info.id;
  result.seq = info.seq;
  result.time_ns = info.time_ns;
  result.bytes = info.bytes();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - started)
                .count();
  log_->write("INFO",
              "compaction: snapshot " + info.id + " at seq " + std::to_string(info.seq) +
                  " (" + std::to_string(info.files.size()) + " files, " +
                  std::to_string(result.bytes) + " bytes) in " + std::to_string(ms) +
                  " ms; removed snapshots: " + join(result.removed_snapshots) +
                  "; removed journal segments: " + join(result.removed_segments));
  return result;
}

uint64_t Compactor::roll_after_bytes() const {
  return std::min<uint64_t>(kRollAfterBytes, options_.segment_bytes / 4);
}

std::vector<SnapshotInfo> Compactor::snapshots_in(const std::string& backups) {
  return fs_->exists(backups) ? list_snapshots(*fs_, backups)
                              : std::vector<SnapshotInfo>{};
}

void Compactor::warn_foreign(const SnapshotInfo& info,
                             const std::vector<std::string>& foreign) {
  for (const std::string& name : foreign) {
    std::optional<FileName> parsed = parse_file_name(name);
    std::string collection = parsed ? parsed->collection : name;
    log_->write("WARN", "compaction: " + join_path(dir_, name) +
                            " was not written by pa-journal and is left as it is; the "
                            "readable state of " +
                            collection + " is " +
                            in_backups(snapshot_file_name(collection, info.id)));
  }
}

// Links let an in-place edit of a readable file reach the newest snapshot.
// That costs only that backup while an older one can be fallen back to, but
// with one backup kept there is none; and a newest snapshot found damaged
// says that someone edits the readable files, which would otherwise damage
// every snapshot in turn and stop retention from trimming the journal.
bool Compactor::state_files_want_copies(size_t keep) {
  if (keep <= 1) return true;
  const std::string backups = backups_dir(dir_);
  if (!fs_->exists(backups)) return false;
  auto snapshots = list_snapshots(*fs_, backups);
  if (snapshots.empty()) return false;
  verified_.erase(snapshots.front().id);  // the one edits reach: read it again
  return !verified_intact(snapshots.front());
}

// The newest snapshot holds capture's state: its damaged key indexes are
// written again, so that `pa-journal compact` is the remedy verify names
// whether or not anything was committed since.
void Compactor::rebuild_indexes(const Capture& capture) {
  // The manifest alone says which indexes to check: the text comes from
  // capture and must hash to the manifest's, so no snapshot file is read.
  std::vector<SnapshotInfo> snapshots = snapshots_in(backups_dir(dir_));
  if (snapshots.empty() || snapshots.front().seq != capture.seq) return;
  std::vector<std::string> rebuilt = rebuild_damaged_indexes(
      *fs_, backups_dir(dir_), snapshots.front(), capture.collections);
  if (!rebuilt.empty())
    log_->write("WARN", "compaction: rebuilt damaged key indexes: " + join(rebuilt));
}

std::optional<SnapshotInfo> Compactor::intact_newest() {
  std::vector<SnapshotInfo> snapshots = snapshots_in(backups_dir(dir_));
  if (snapshots.empty() || !verified_intact(snapshots.front())) return std::nullopt;
  return snapshots.front();
}

void Compactor::note_snapshot(const SnapshotInfo& info) {
  snapshot_bytes_ = info.bytes();
  uint64_t documents = 0;
  for (const auto& f : info.files) documents += f.documents;
  snapshot_documents_ = documents;
}

uint64_t Compactor::bytes_threshold() const {
  return std::max(options_.compact_after_bytes,
                  snapshot_bytes_ / 100 * options_.compact_after_percent);
}

uint64_t Compactor::records_threshold() const {
  return std::max(options_.compact_after_records,
                  snapshot_documents_ / 100 * options_.compact_after_percent);
}

// Each snapshot's files are read once per process; the newest again before
// each compaction (state_files_want_copies), as edits reach only that one.
bool Compactor::verified_intact(const SnapshotInfo& info) {
  if (verified_.count(info.id)) return true;
  if (!snapshot_files_intact(*fs_, backups_dir(dir_), info)) return false;
  verified_.insert(info.id);
  return true;
}

// Step 3 again, for the files a crash after the manifest left stale.
void Compactor::refresh_state_files(size_t keep) {
  const std::string backups = backups_dir(dir_);
  if (!fs_->exists(backups)) return;
  auto snapshots = list_snapshots(*fs_, backups);
  if (snapshots.empty() || snapshots.front().seq != last_snapshot_seq_) return;
  link_state_files(*fs_, dir_, backups, snapshots.front(), /*copy=*/keep <= 1,
                   /*only_stale=*/true);
}

// The newest snapshot's files are the readable files' second names; one that
// an older snapshot still holds plain (its compression did not happen: a
// file of that name was there, or its check failed) would let an in-place
// edit reach that snapshot too. Then the readable files become copies.
void Compactor::unshare_state_files() {
  const std::string backups = backups_dir(dir_);
  std::vector<SnapshotInfo> snapshots = list_snapshots(*fs_, backups);
  std::set<std::string> older;  // identities of older snapshots' plain files
  for (size_t i = 1; i < snapshots.size(); ++i) {
    for (const auto& f : snapshots[i].files) {
      std::string path = join_path(backups, f.file);
      if (!f.compressed() && fs_->exists(path)) older.insert(fs_->file_identity(path));
    }
  }
  older.erase("");
  if (older.empty()) return;
  for (const auto& f : snapshots.front().files) {
    std::string path = join_path(backups, f.file);
    if (fs_->exists(path) && older.count(fs_->file_identity(path))) {
      link_state_files(*fs_, dir_, backups, snapshots.front(), /*copy=*/true);
      return;
    }
  }
}

CompactionResult Compactor::retain(size_t keep_count) {
  MutexLock lock(&compaction_mu_);
  CompactionResult result = retain_locked(keep_count);
  log_->write("INFO", "retention (keep " + std::to_string(keep_count) +
                          "): removed snapshots: " + join(result.removed_snapshots) +
                          "; removed journal segments: " + join(result.removed_segments));
  return result;
}

CompactionResult Compactor::retain_locked(size_t keep_count, bool state_files_copied) {
  const std::string backups = backups_dir(dir_);
  CompactionResult result;
  if (!fs_->exists(backups)) return result;
  // Step 5: off the commit path, so waiting for readers holds up no commit.
  std::unique_ptr<FileLock> readers;
  if (fs_->exists(journal_dir(dir_)))
    readers =
        fs_->lock_shared(readers_lock_file_name(journal_dir(dir_)), /*exclusive=*/true);
  Retention retention =
      apply_retention(*fs_, backups, keep_count, [this](const SnapshotInfo& s) {
        compaction_mu_.assert_held();  // called within this call
        return verified_intact(s);
      });
  result.removed_snapshots = std::move(retention.removed);
  if (!retention.damaged.empty()) {
    log_->write("WARN", "retention: damaged snapshots kept but not counted as backups: " +
                            join(retention.damaged) +
                            " (a verification of the store says why)");
  }
  // Off the commit path, under the readers' lock: the plain files go.
  std::vector<std::string> compressed;
  if (options_.compress_snapshots) {
    compressed = compress_older_snapshots(*fs_, backups, [this](const SnapshotInfo& s) {
      compaction_mu_.assert_held();  // called within this call
      return verified_intact(s);
    });
  }
  if (!compressed.empty())
    log_->write("INFO", "compaction: compressed older snapshots: " + join(compressed));
  unshare_state_files();
  uint64_t needed_after = retention.journal_needed_after;
  if (needed_after == 0) return result;
  // One backup and no journal behind it: the state files must not be links.
  if (keep_count <= 1 && !state_files_copied) copy_state_files_of(needed_after);
  result.removed_segments = delete_old_segments(held_for_replicas(needed_after));
  return result;
}

// Step 4: the replicas' positions hold back what their streams have not
// acknowledged. A position that does not read holds everything.
uint64_t Compactor::held_for_replicas(uint64_t needed_after) {
  ReplicaListing listing;
  try {
    listing = list_replica_positions(*fs_, dir_);
  } catch (const StorageError& e) {
    log_->write("WARN", std::string("retention: replicas/ does not read, so the "
                                    "journal is kept whole: ") +
                            e.what());
    return 0;
  }
  std::optional<uint64_t> held = listing.held_after();
  if (!held || *held >= needed_after) return needed_after;
  std::string why;
  for (const auto& p : listing.positions)
    why += (why.empty() ? "" : ", ") + p.stream + " (acked seq " +
           std::to_string(p.acked_seq) + ")";
  for (const auto& d : listing.damaged) why += (why.empty() ? "" : ", ") + d;
  log_->write("INFO", "retention: journal after seq " + std::to_string(*held) +
                          " kept for replicas: " + why);
  return *held;
}

void Compactor::copy_state_files_of(uint64_t snapshot_seq) {
  const std::string backups = backups_dir(dir_);
  for (const SnapshotInfo& s : list_snapshots(*fs_, backups)) {
    if (s.seq == snapshot_seq) link_state_files(*fs_, dir_, backups, s, /*copy=*/true);
  }
}

// Step 4: segments whose successor starts at or before oldest_kept_seq + 1.
std::vector<std::string> Compactor::delete_old_segments(uint64_t oldest_kept_seq) {
  const std::string journal = journal_dir(dir_);
  auto segments = list_segments(*fs_, journal);
  std::vector<std::string> removed;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i + 1].first_seq > oldest_kept_seq + 1) break;
    fs_->remove(join_path(journal, segments[i].name));
    removed.push_back(segments[i].name);
  }
  if (!removed.empty()) fs_->sync_dir(journal);
  return removed;
}

void Compactor::note_commit(uint64_t bytes, uint64_t records, bool config) {
  MutexLock lock(&mu_);
  bytes_since_ += bytes;
  records_since_ += records;
  if (config) off_ = false;
  if (!wanted_ && !off_ && over_thresholds()) {
    wanted_ = true;
    cv_.notify_all();
  }
}

bool Compactor::over_thresholds() const {
  return bytes_since_ >= bytes_threshold() || records_since_ >= records_threshold();
}

// Wakes when a threshold is crossed (note_commit) and at every tick, to honour
// the interval settings; config can switch automatic compaction off, and
// then only a tick or a commit to the config collection wakes it: the counts
// since the last snapshot stay, so that a threshold they crossed meanwhile
// compacts at the first look that finds automatic compaction on again.
void Compactor::background_loop() {
  MutexLock lock(&mu_);
  auto tick = std::chrono::milliseconds(
      options_.compact_interval_ms > 0
          ? std::min<uint32_t>(options_.compact_interval_ms, 1000)
          : 1000);
  auto last = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (!stopping_ && !wanted_) cv_.wait_for(&mu_, tick);
    if (stopping_) return;
    Settings settings = settings_();
    off_ = !settings.automatic;
    // Nothing to do: wanted_ is dropped (a threshold crossed by commits the
    // newest snapshot already covers), else the wait above would return at
    // once, without letting go of mu_, for as long as nothing is committed.
    // The counts stay, so the next commit asks again. A failed journal fails
    // every compaction until the store is reopened: no use trying each tick.
    if (off_ || settings.last_seq == last_snapshot_seq_ || journal_failed()) {
      wanted_ = false;
      continue;
    }
    if (!due(settings, last)) continue;
    lock.unlock();
    try {
      compact();
    } catch (const std::exception& e) {
      log_->write("ERROR", std::string("background compaction failed: ") + e.what());
    }
    last = std::chrono::steady_clock::now();
    lock.lock();
  }
}

bool Compactor::journal_failed() const {
  return writer_ != nullptr && !writer_->failure().empty();
}

bool Compactor::due(const Settings& settings,
                    std::chrono::steady_clock::time_point last) const {
  if (wanted_ || over_thresholds()) return true;
  uint64_t interval =
      settings.interval_ms > 0 ? settings.interval_ms : options_.compact_interval_ms;
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - last);
  return interval > 0 && static_cast<uint64_t>(elapsed.count()) >= interval;
}

}  // namespace pa_journal
