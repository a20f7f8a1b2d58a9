// Online backup: a copy of the whole store, consistent at one sequence
// number, taken beside a live writer (include/pa_journal/backup.h).
//
// Crash-safety argument
// ---------------------
// The copy is built where no one looks for a store and appears at DIR in one
// rename. T is DIR + kBackupTempSuffix, a sibling of DIR (same file system).
// 1. T is created (0700) and DIR's parent synced; the marker T/kMarker is
//    written and synced, and T synced. From here on T is recognisably a
//    backup's; before the marker, T is empty.
// 2. The copy is written into T/store: every file is synced as it is written
//    (snapshot files and manifests, journal segments cut after their last
//    complete record, the readable state files), then every directory of the
//    copy, and T.
// 3. The copy is checked as a reader would (verify_store); a copy that fails
//    is removed with T.
// 4. T/store is renamed to DIR (absent, or an empty directory, which
//    rename(2) replaces), then DIR's parent and T are synced. Before the
//    rename DIR is absent or empty; after it, DIR is the whole copy, whose
//    every file and directory was durable before the rename, so the rename
//    moves a durable tree and a power loss cannot leave a part of it.
// 5. The marker is removed, then T, and DIR's parent synced.
// So a crash (kill -9, power loss) at any moment leaves DIR absent or empty,
// or a complete backup; and perhaps T, empty (steps 1 and 5) or holding the
// marker. The next backup into DIR removes such a T, the copy first and the
// marker last, so that a crash during the removal leaves T recognisable, and
// says so (BackupResult::removed_leftover). A T that is neither empty nor
// marked is not a backup's and is refused, never removed.
//
// Consistency beside a live writer
// --------------------------------
// One pass lists the snapshots, then the journal segments, then copies them.
// A snapshot's manifest appears only after the journal holds its records
// (compactor.h step 1), so the segments listed after it reach its seq. Each
// snapshot file is checked against the manifest's size and XXH3 as it is
// copied; one that fails is passed over (a damaged snapshot is no backup).
// Each segment is cut after its last valid frame: reserved space and a record
// being written are left out, and damage is allowed only there, at the end of
// the newest segment. Beside a live writer the pass reads within a ReadView
// (journal/read_view.h, docs/readers.md): no compaction removes a file it
// listed while it runs, and the journal is read only up to the end the writer
// published as durable, so nothing is read twice. The copy holds the journal
// from the segment holding the record after the oldest copied snapshot (seq 1
// without one) to S, the last complete record read: a prefix of the writer's
// durable commits.
#include "store/backup.h"

#include <algorithm>
#include <optional>
#include <set>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/read_view.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "model/progress_ticker.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/time.h"
#include "snapshot/catalogue.h"
#include "snapshot/compression.h"
#include "snapshot/seed_layout.h"
#include "store/storage_log.h"
#include "store/store_dir.h"

namespace pa_journal {
namespace {

// In T: says that T is a backup's temporary directory.
constexpr const char* kMarker = "PA-JOURNAL-BACKUP-IN-PROGRESS";
constexpr const char* kCopyName = "store";  // the copy, inside T
constexpr int kTreeDepth = 4;               // T/store/journal/quarantine

struct Paths {
  std::string out, parent, temp, copy, marker;
};

std::string without_trailing_slashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Paths paths_of(const std::string& out_dir) {
  Paths p;
  p.out = without_trailing_slashes(out_dir);
  size_t slash = p.out.find_last_of('/');
  p.parent = slash == std::string::npos ? "." : slash == 0 ? "/" : p.out.substr(0, slash);
  p.temp = p.out + kBackupTempSuffix;
  p.copy = join_path(p.temp, kCopyName);
  p.marker = join_path(p.temp, kMarker);
  return p;
}

// The refusals that write nothing: DIR (or T) the store or inside it, DIR
// not an empty directory.
void check_target(FileSystem& fs, const std::string& store_dir, const Paths& p) {
  for (const std::string& path : {p.out, p.temp}) {
    if (!path_within(fs, path, store_dir)) continue;
    bool itself = path_within(fs, store_dir, path);
    throw InvalidInputError(
        "backup: " + path +
        (itself ? " is the store itself" : " lies inside the store " + store_dir) +
        "; back up into a directory outside it");
  }
  if (!fs.exists(p.out)) return;
  std::vector<std::string> names;
  try {
    names = fs.list_dir(p.out);
  } catch (const IoError&) {
    throw InvalidInputError("backup: " + p.out + " exists and is not a directory");
  }
  if (!names.empty()) {
    throw InvalidInputError("backup: " + p.out +
                            " is not empty; a backup goes into a new or empty directory");
  }
}

// Whether T is there, left by an interrupted backup (empty or marked).
// Throws InvalidInputError for a T that is not a backup's.
bool leftover_present(FileSystem& fs, const Paths& p) {
  if (!fs.exists(p.temp)) return false;
  std::vector<std::string> names;
  try {
    names = fs.list_dir(p.temp);
  } catch (const IoError&) {
    names = {"?"};  // a file: not ours
  }
  if (names.empty() || std::find(names.begin(), names.end(), kMarker) != names.end()) {
    return true;
  }
  throw InvalidInputError("backup: " + p.temp +
                          " exists and is not the temporary directory of a pa-journal "
                          "backup (it has no " +
                          kMarker + "); remove it or choose another directory");
}

// Removes a file, or a directory and what it holds; never follows a symlink
// (remove unlinks it).
void remove_tree(FileSystem& fs, const std::string& path, int depth = kTreeDepth) {
  try {
    fs.remove(path);
    return;
  } catch (const IoError&) {
    if (depth == 0) throw;  // a directory deeper than a copy has
  }
  for (const auto& name : fs.list_dir(path))
    remove_tree(fs, join_path(path, name), depth - 1);
  fs.remove_dir(path);
}

// Removes T: the copy first, the marker last (see the argument above).
void remove_temp(FileSystem& fs, const Paths& p) {
  for (const auto& name : fs.list_dir(p.temp)) {
    if (name != kMarker) remove_tree(fs, join_path(p.temp, name));
  }
  if (fs.exists(p.marker)) fs.remove(p.marker);
  fs.remove_dir(p.temp);
  fs.sync_dir(p.parent);
}

// Best effort after a failure: the failure is what the caller reports.
void discard_temp(FileSystem& fs, const Paths& p) {
  try {
    if (fs.exists(p.temp)) remove_temp(fs, p);
  } catch (const StorageError&) {
  }
}

void write_synced(FileSystem& fs, const std::string& path, std::string_view data) {
  auto file = fs.new_writable(path);
  file->append(data);
  file->sync();
  file->close();
}

// Step 1.
void begin_temp(FileSystem& fs, const Paths& p, const std::string& store_dir) {
  create_dir_durably(fs, p.temp);
  write_synced(fs, p.marker,
               "a pa-journal backup of " + store_dir + " into " + p.out +
                   " in progress; removed by the next backup into it\n");
  fs.sync_dir(p.temp);
}

// Steps 4 and 5.
void publish(FileSystem& fs, const Paths& p) {
  fs.rename(p.copy, p.out);
  fs.sync_dir(p.parent);
  fs.sync_dir(p.temp);
  fs.remove(p.marker);
  fs.remove_dir(p.temp);
  fs.sync_dir(p.parent);
}

// The file's bytes, or nullopt if it is gone (a compaction removed it).
std::optional<std::string> read_if_present(FileSystem& fs, const std::string& path) {
  try {
    return fs.read_file(path);
  } catch (const IoError&) {
    if (fs.exists(path)) throw;
    return std::nullopt;
  }
}

// Keeps the first damage a segment reader reports.
class FirstDamage : public Reporter {
 public:
  void report(const Damage& damage) override {
    if (!first_) first_ = damage;
  }
  bool any() const { return first_.has_value(); }
  std::string describe() const {
    return first_ ? first_->describe() : std::string("unreadable");
  }

 private:
  std::optional<Damage> first_;
};

// Where the copy of a segment ends: after its last valid frame. Damage is
// allowed only after that frame in the newest segment (a record being
// written beside the read, with no durable end published); anything else
// throws CorruptedDataError naming the segment.
uint64_t clean_end(const std::string& file, std::string_view data, bool newest) {
  FirstDamage damage;
  SegmentReader reader(file, data, newest, &damage);
  auto refuse = [&] {
    throw CorruptedDataError(
        "backup: the store's journal is damaged: " + damage.describe(), file,
        reader.good_end(), 0, {Remedy::Kind::kVerifySaysMore, {}});
  };
  if (!reader.read_header()) refuse();
  uint64_t end = reader.good_end();
  Frame frame;
  while (reader.next(&frame)) {
    if (damage.any()) refuse();  // a valid frame after damage: not a torn end
    end = frame.end;
  }
  if (damage.any() && !newest) refuse();
  return end;
}

// One pass: the store's snapshots and journal copied into an empty copy
// directory, then checked.
class Pass {
 public:
  // view: held on store_dir for as long as the pass runs.
  Pass(std::shared_ptr<FileSystem> fs, const std::string& store_dir,
       const std::string& copy_dir, const ProgressFn& progress, const ReadView& view)
      : fs_ptr_(std::move(fs)),
        fs_(*fs_ptr_),
        src_(store_dir),
        dst_(copy_dir),
        progress_(progress),
        view_(view) {}

  BackupResult run();

 private:
  bool copy_snapshot(const SnapshotInfo& info);
  void copy_journal(const std::vector<SegmentInfo>& segments, uint64_t from_seq);
  void copy_adopted();
  void check_copy();
  // Writes data to path and syncs it, in pieces, counting each as copied.
  void copy_to(const std::string& path, std::string_view data);

  static constexpr size_t kCopyPieceBytes = 1 << 20;

  std::shared_ptr<FileSystem> fs_ptr_;
  FileSystem& fs_;
  const std::string src_, dst_;
  const ProgressFn& progress_;
  const ReadView& view_;
  std::optional<ScanLimit> limit_;    // of the journal, read after the snapshots
  ProgressTicker ticker_;             // bytes copied
  std::vector<SnapshotInfo> copied_;  // newest first
  BackupResult result_;
};

void Pass::copy_to(const std::string& path, std::string_view data) {
  auto file = fs_.new_writable(path);
  for (size_t at = 0; at < data.size(); at += kCopyPieceBytes) {
    file->append(data.substr(at, kCopyPieceBytes));
    ticker_.add(std::min(kCopyPieceBytes, data.size() - at));
  }
  file->sync();
  file->close();
}

// Index of the segment that holds seq (the last one starting at or before it).
size_t segment_holding(const std::vector<SegmentInfo>& segments, uint64_t seq) {
  size_t i = 0;
  while (i + 1 < segments.size() && segments[i + 1].first_seq <= seq) ++i;
  return i;
}

BackupResult Pass::run() {
  create_dirs_durably(fs_, backups_dir(dst_));
  create_dir_durably(fs_, journal_dir(dst_));
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs_, backups_dir(src_));
  limit_ = view_.journal_limit();
  std::vector<SegmentInfo> segments = list_segments(fs_, journal_dir(src_));
  if (limit_) {
    std::erase_if(segments,
                  [&](const SegmentInfo& s) { return s.first_seq > limit_->segment; });
  }
  // Progress counts the bytes the listing promises; a segment that grew
  // meanwhile is capped, so done never passes total.
  uint64_t total = 0;
  for (const auto& s : snapshots) total += s.bytes();
  uint64_t from_seq = snapshots.empty() ? 1 : snapshots.back().seq + 1;
  for (size_t i = segment_holding(segments, from_seq); i < segments.size(); ++i)
    total += segments[i].bytes;
  ticker_ = ProgressTicker(task_ticks(progress_, "backup", "bytes"), total);
  ticker_.start();
  for (const auto& info : snapshots) {
    if (copy_snapshot(info)) copied_.push_back(info);
  }
  copy_journal(segments, copied_.empty() ? 1 : copied_.back().seq + 1);
  if (!copied_.empty()) {
    link_state_files(fs_, dst_, backups_dir(dst_), copied_.front(), /*copy=*/true);
  }
  copy_adopted();
  ticker_.finish();
  check_copy();
  StorageLog(fs_ptr_, storage_log_file_name(dst_))
      .write("INFO",
             "backup of " + src_ + " at seq " + std::to_string(result_.seq) +
                 (result_.seq ? " (" + format_time_ns(result_.time_ns) + ")" : ""));
  for (const std::string& d : {journal_dir(dst_), backups_dir(dst_), dst_})
    fs_.sync_dir(d);
  return result_;
}

// The files of the app an adoption kept under backups/adopted/
// (docs/adoption.md), each checked against the adoption record, and the
// record: the user's originals are part of the store. They are never written
// again, so no compaction races the copy. A store whose adoption did not
// finish is refused: its copy could not be finished.
void Pass::copy_adopted() {
  std::optional<AdoptionRecord> record = read_adoption_record(fs_, src_);
  if (!record) return;
  if (!record->done) {
    throw StorageError("backup: the adoption of " + src_ + " did not finish",
                       {Remedy::Kind::kAdoptToFinish, src_});
  }
  std::set<std::string> dirs;
  for (const auto& f : record->files) {
    const std::string kept = adopted_path(f.path);
    std::string data = fs_.read_file(join_path(src_, kept));
    if (data.size() != f.bytes || checksum(data) != f.xxh3) {
      throw CorruptedDataError("backup: " + kept + " differs from " + kAdoptionRecord,
                               kept);
    }
    std::string to = join_path(dst_, kept), to_dir = to.substr(0, to.rfind('/'));
    dirs.insert(to_dir);
    create_dirs_durably(fs_, to_dir);
    write_synced(fs_, to, data);
    result_.bytes += data.size();
  }
  write_synced(fs_, adoption_record_file_name(dst_),
               fs_.read_file(adoption_record_file_name(src_)));
  dirs.insert(adopted_dir(dst_));
  for (const auto& d : dirs) fs_.sync_dir(d);
}

// Whether data, the bytes stored for f (compressed or not), are what the
// manifest says.
bool matches_manifest(const SnapshotFile& f, const std::string& data) {
  try {
    checked_snapshot_text(f, data);
    return true;
  } catch (const CorruptedDataError&) {
    return false;
  }
}

// Copies info's files and manifest if every file matches the manifest; if
// one does not (damaged, or removed by a compaction beside the pass), removes
// what it copied of the snapshot and returns false.
bool Pass::copy_snapshot(const SnapshotInfo& info) {
  std::vector<std::string> written;
  auto give_up = [&] {
    for (const auto& path : written) fs_.remove(path);
    if (fs_.exists(manifest_file_name(backups_dir(src_), info.id)))
      result_.damaged_snapshots.push_back(info.id);
    return false;
  };
  for (const auto& f : info.files) {
    std::optional<std::string> data =
        read_if_present(fs_, join_path(backups_dir(src_), f.file));
    if (!data || !matches_manifest(f, *data)) return give_up();
    written.push_back(join_path(backups_dir(dst_), f.file));
    copy_to(written.back(), *data);
    result_.bytes += data->size();
  }
  std::string manifest = serialize_manifest(info);
  write_synced(fs_, manifest_file_name(backups_dir(dst_), info.id), manifest);
  result_.bytes += manifest.size();
  ++result_.snapshots;
  return true;
}

// The segments from the one holding from_seq to the newest listed, each cut
// after its last valid frame.
void Pass::copy_journal(const std::vector<SegmentInfo>& segments, uint64_t from_seq) {
  if (segments.empty()) return;
  size_t first = segment_holding(segments, from_seq);
  if (segments[first].first_seq > from_seq) {
    throw CorruptedDataError(
        "backup: the journal starts at seq " + std::to_string(segments[first].first_seq) +
            ", after seq " + std::to_string(from_seq) + " that the copy needs",
        in_journal(segments[first].name), 0, 0, {Remedy::Kind::kVerifySaysMore, {}});
  }
  for (size_t i = first; i < segments.size(); ++i) {
    const std::string file = in_journal(segments[i].name);
    std::string data = fs_.read_file(join_path(src_, file));
    if (limit_ && segments[i].first_seq == limit_->segment && data.size() > limit_->end)
      data.resize(limit_->end);
    uint64_t end = clean_end(file, data, i + 1 == segments.size());
    copy_to(join_path(dst_, file), std::string_view(data).substr(0, end));
    ticker_.add(segments[i].bytes - std::min<uint64_t>(end, segments[i].bytes));
    result_.bytes += end;
    ++result_.segments;
  }
}

// The copy must open as the store it copies: every checksum, the chain from
// the oldest snapshot to S, every snapshot (step 3).
void Pass::check_copy() {
  ScanReport scan =
      scan_journal(fs_, journal_dir(dst_), RecoveryMode::kStrict, [](const Record&) {});
  result_.seq = scan.next_seq - 1;
  result_.time_ns = scan.records > 0 ? scan.last_time_ns : 0;
  Options options;
  options.file_system = fs_ptr_;
  options.progress = progress_;  // the task "verify", of the copy
  VerifyResult verified = verify_store(dst_, options);
  if (!verified.ok()) {
    throw CorruptedDataError(
        "backup: the copy does not verify: " + verified.damage.front().describe(),
        verified.damage.front().file);
  }
}

}  // namespace

BackupResult backup_store_publishing(const std::string& store_dir,
                                     const std::string& out_dir, const Options& options,
                                     const std::function<void()>& before_publish) {
  auto fs_ptr = options.file_system ? options.file_system : posix_file_system();
  FileSystem& fs = *fs_ptr;
  if (out_dir.empty())
    throw InvalidInputError("backup: give a directory to back up into");
  require_store_dir(fs, store_dir);
  const Paths p = paths_of(out_dir);
  check_target(fs, store_dir, p);
  bool leftover = leftover_present(fs, p);
  try {
    create_dirs_durably(fs, p.parent);
  } catch (const IoError& e) {
    throw IoError("backup: cannot create " + p.parent + ": " + e.what());
  }
  if (leftover) remove_temp(fs, p);
  BackupResult result;
  try {
    begin_temp(fs, p, store_dir);
    ReadView view(fs, store_dir);
    result = Pass(fs_ptr, store_dir, p.copy, options.progress, view).run();
    fs.sync_dir(p.temp);
    if (before_publish) before_publish();
    publish(fs, p);
  } catch (...) {
    discard_temp(fs, p);
    throw;
  }
  result.out_dir = p.out;
  if (leftover) result.removed_leftover = p.temp;
  return result;
}

BackupResult backup_store(const std::string& store_dir, const std::string& out_dir,
                          const Options& options) {
  return backup_store_publishing(store_dir, out_dir, options, nullptr);
}

}  // namespace pa_journal
