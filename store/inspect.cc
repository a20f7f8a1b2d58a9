#include "pa_journal/inspect.h"

#include <map>
#include <optional>
#include <set>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/read_view.h"
#include "journal/replica_position.h"
#include "journal/store_id.h"
#include "model/canonical_json.h"
#include "model/progress_ticker.h"
#include "pa_journal/document.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/time_travel.h"
#include "replay/recovery.h"
#include "snapshot/catalogue.h"
#include "snapshot/export.h"
#include "snapshot/key_index.h"
#include "store/replica_status.h"
#include "store/store_dir.h"

namespace pa_journal {
namespace {

std::shared_ptr<FileSystem> file_system(const Options& options) {
  return options.file_system ? options.file_system : posix_file_system();
}

std::string existing_journal(FileSystem& fs, const std::string& dir) {
  require_store_dir(fs, dir);
  return journal_dir(dir);
}

// The backups of the store in dir, newest first; the caller holds a ReadView.
std::vector<BackupSummary> backups_in(FileSystem& fs, const std::string& dir) {
  std::vector<BackupSummary> out;
  for (const auto& info : list_snapshots(fs, backups_dir(dir))) {
    BackupSummary b{info.id,      info.seq, info.time_ns,
                    info.bytes(), {},       info.manifest_name()};
    for (const auto& f : info.files) b.files.push_back({f.collection, f.file, f.bytes});
    out.push_back(std::move(b));
  }
  return out;
}

// Adds path's size to *bytes unless a name of the same file was counted.
void count_once(FileSystem& fs, const std::string& path, std::set<std::string>& seen,
                uint64_t* bytes) {
  if (!fs.exists(path)) return;
  std::string identity = fs.file_identity(path);
  if (!identity.empty() && !seen.insert(identity).second) return;
  *bytes += fs.file_size(path);
}

DiskUse disk_use(FileSystem& fs, const std::string& dir, const ScanReport& scan) {
  DiskUse out;
  for (const auto& s : scan.segments) out.journal += s.bytes;
  std::set<std::string> seen;
  const std::string backups = backups_dir(dir);
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups);
  for (const auto& info : snapshots) {
    count_once(fs, manifest_file_name(backups, info.id), seen, &out.manifests);
    for (const auto& f : info.files) {
      out.snapshots_uncompressed += f.bytes;
      count_once(fs, join_path(backups, f.file), seen,
                 f.compressed() ? &out.compressed_snapshots : &out.snapshots);
    }
  }
  if (snapshots.empty()) return out;
  for (const auto& name : owned_state_files(snapshots.front()))
    count_once(fs, join_path(dir, name), seen, &out.state_files);
  return out;
}

// What inspect shows of the replicas: a STORE_ID or position that does not
// read is listed as damaged, not thrown.
ReplicasReport replicas_of(FileSystem& fs, const std::string& dir,
                           const JournalSummary& summary) {
  ReplicasReport out;
  out.last_seq = summary.last_seq;
  try {
    if (fs.exists(store_id_file_name(dir))) out.store_id = read_store_id(fs, dir);
  } catch (const CorruptedDataError& e) {
    out.damaged.push_back(e.what());
  }
  ReplicaListing listing = list_replica_positions(fs, dir);
  uint64_t oldest = summary.snapshots.empty() ? 0 : summary.snapshots.back().seq;
  out.replicas = replica_statuses(listing, summary.segments, summary.last_seq, oldest);
  out.damaged.insert(out.damaged.end(), listing.damaged.begin(), listing.damaged.end());
  out.strays = std::move(listing.strays);
  return out;
}

}  // namespace

// inspect_journal within view: snapshots listed first (docs/readers.md).
static JournalSummary inspect_in(FileSystem& fs, const std::string& dir,
                                 const ReadView& view) {
  JournalSummary summary;
  std::map<std::string, uint64_t> per_collection;
  summary.snapshots = backups_in(fs, dir);
  ScanReport scan = scan_journal(fs, existing_journal(fs, dir), RecoveryMode::kSalvage,
                                 [&](const Record& r) {
                                   std::map<std::string, bool> seen;
                                   for (const auto& op : r.ops)
                                     seen[op.collection] = true;
                                   for (const auto& [c, _] : seen) ++per_collection[c];
                                   summary.commit_times_ns.push_back(r.time_ns);
                                 },
                                 {.limit = view.journal_limit()});
  for (const auto& s : scan.segments)
    summary.segments.push_back({s.name, s.first_seq, s.bytes});
  summary.bytes = scan.bytes;
  summary.records = scan.records;
  summary.first_seq = scan.first_seq;
  summary.last_seq = scan.last_seq;
  summary.first_time_ns = scan.first_time_ns;
  summary.last_time_ns = scan.last_time_ns;
  summary.damage = scan.damage;
  for (const auto& l : scan.known_losses)
    summary.known_losses.push_back({l.first_seq, l.last_seq});
  summary.commits_per_collection.assign(per_collection.begin(), per_collection.end());
  summary.disk = disk_use(fs, dir, scan);
  summary.replicas = replicas_of(fs, dir, summary);
  bool from_start = !scan.segments.empty() && scan.segments.front().first_seq == 1;
  if (from_start && scan.records > 0) {
    summary.window_from_ns = scan.first_time_ns;
    summary.window_from_empty_state = true;
  } else if (!summary.snapshots.empty()) {
    summary.window_from_ns = summary.snapshots.back().time_ns;
  } else {
    return summary;  // records that neither start at 1 nor follow a snapshot
  }
  summary.window_to_ns = std::max(scan.last_time_ns, summary.window_from_ns);
  return summary;
}

JournalSummary inspect_journal(const std::string& dir, const Options& options) {
  auto fs = file_system(options);
  existing_journal(*fs, dir);
  ReadView view(*fs, dir);
  return inspect_in(*fs, dir, view);
}

// Loss that no checksum and no gap inside the journal shows, at its two ends.
// Compaction deletes only segments wholly before the oldest kept snapshot, so
// the journal must reach back to the record after it (to seq 1 without a
// snapshot). And it once held every record up to the newest snapshot's, so
// from where it starts it must reach forward to that one. snapshots: any order.
static std::vector<Damage> missing_at_the_ends(
    const ScanReport& scan, const std::vector<SnapshotInfo>& snapshots) {
  uint64_t oldest = UINT64_MAX, newest = 0;
  for (const auto& s : snapshots) {
    oldest = std::min(oldest, s.seq);
    newest = std::max(newest, s.seq);
  }
  uint64_t needed_first = snapshots.empty() ? 1 : oldest + 1;
  // Records a salvage repair declared lost (loss markers) are accounted for.
  uint64_t first = scan.records > 0 ? scan.first_seq : scan.next_seq;
  for (const auto& loss : scan.known_losses) first = std::min(first, loss.first_seq);
  uint64_t last = scan.next_seq - 1;
  auto segment = [&](bool front) {
    if (scan.segments.empty()) return in_journal("");
    return in_journal((front ? scan.segments.front() : scan.segments.back()).name);
  };
  std::vector<Damage> out;
  if (first > needed_first) {
    out.push_back(Damage::missing_records(
        segment(true), 0, needed_first, first - 1,
        "the journal starts at seq " + std::to_string(first) +
            (snapshots.empty() ? ", and no snapshot holds the records before it"
                               : ", after the oldest snapshot's seq " +
                                     std::to_string(oldest) + " + 1")));
  }
  uint64_t from = std::max(last + 1, std::min(first, needed_first));
  if (from <= newest) {
    out.push_back(journal_ends_before_snapshot(segment(false), from, last, newest));
  }
  return out;
}

// Documents of a record whose checksum holds but that are not JSON (written
// by something other than the store): compaction would write them into a
// snapshot no reader can load. Canonical text, all the store writes, is
// recognised without a parse.
static void check_documents(const Record& r, std::vector<Damage>& out) {
  for (const Operation& op : r.ops) {
    if (op.kind == OpKind::kDelete || is_canonical_json(op.document)) continue;
    try {
      parse_document(op.document);
    } catch (const CorruptedDataError& e) {
      std::string why = "record " + std::to_string(r.seq) + ": the document of " +
                        op.collection + "/" + op.key + " cannot be read: " + e.what();
      out.push_back(
          Damage::corruption(in_journal(""), 0, 0, why).lost_records(r.seq, r.seq));
    }
  }
}

namespace {

// The task "verify" of one pass: journal bytes, then snapshot bytes, out of
// both. The journal's total is known once its scan has listed the segments
// (and reports 0). Lives as long as the ticks it hands out.
class VerifyProgress {
 public:
  VerifyProgress(const ProgressFn& fn, uint64_t snapshot_bytes)
      : fn_(fn), snapshot_bytes_(snapshot_bytes) {}

  // The journal scan's ticks.
  ProgressTick journal() {
    if (!fn_) return nullptr;
    return [this](uint64_t done, uint64_t total) {
      if (done == 0) {
        before_ = total;
        ticker_ =
            ProgressTicker(task_ticks(fn_, "verify", "bytes"), total + snapshot_bytes_);
        ticker_.start();
      }
      ticker_.update(done);
    };
  }
  // The ticks of the snapshot being checked.
  ProgressTick snapshot() {
    if (!fn_) return nullptr;
    return [this](uint64_t done, uint64_t) { ticker_.update(before_ + done); };
  }
  // The snapshot being checked, of bytes, is done (loaded or found damaged).
  void snapshot_done(uint64_t bytes) { ticker_.update(before_ += bytes); }
  void finish() { ticker_.finish(); }

 private:
  const ProgressFn& fn_;
  const uint64_t snapshot_bytes_;
  uint64_t before_ = 0;  // bytes of what was checked before the snapshot
  ProgressTicker ticker_;
};

}  // namespace

namespace {

// Checks f's key index, if the manifest lists one, against f's file, which
// verified: whole (trailer checksum, tiling), bound to the file (header),
// and each block (XXH3, first key, count). Damage is appended to derived,
// named at its offset in the index, with what it means and the remedy.
void check_index(FileSystem& fs, const std::string& backups, const SnapshotFile& f,
                 std::vector<Damage>& derived) {
  if (f.index.empty()) return;
  const std::string harmless =
      "; harmless to data: " + in_backups(f.file) +
      " verified and readers read it whole instead; `pa-journal compact` writes a "
      "snapshot with a new index";
  std::optional<Damage> damaged;
  std::unique_ptr<IndexedCollection> c = open_indexed(fs, backups, f, &damaged);
  if (!c) {
    if (damaged) {
      damaged->reason += harmless;
      derived.push_back(std::move(*damaged));
    }
    return;
  }
  try {
    c->check_blocks();
  } catch (const CorruptedDataError& e) {
    const KeyIndex& index = c->index();
    size_t i = 0;
    while (i + 1 < index.blocks.size() && index.blocks[i].offset != e.offset()) ++i;
    derived.push_back(
        Damage::corruption(in_backups(f.index), index_entry_offset(index, i), 0,
                           "block " + std::to_string(i) + " does not describe " +
                               in_backups(f.file) + " (" + e.what() + ")" + harmless));
  }
}

}  // namespace

// verify_store within view: snapshots listed first (docs/readers.md).
static VerifyResult verify_in(FileSystem& fs, const std::string& dir,
                              const Options& options, const ReadView& view) {
  const std::string journal = journal_dir(dir);
  const std::string backups = backups_dir(dir);
  std::vector<Damage> unreadable;  // manifests that do not parse
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups, &unreadable);
  uint64_t snapshot_bytes = 0;
  for (const auto& info : snapshots) snapshot_bytes += info.bytes();
  VerifyProgress progress(options.progress, snapshot_bytes);
  std::vector<Damage> bad_documents;
  ScanReport scan =
      scan_journal(fs, journal, RecoveryMode::kSalvage,
                   [&](const Record& r) { check_documents(r, bad_documents); },
                   {.progress = progress.journal(), .limit = view.journal_limit()});
  VerifyResult result;
  result.records = scan.records;
  result.segments = scan.segments.size();
  result.damage = scan.damage;
  for (auto& d : missing_at_the_ends(scan, snapshots))
    result.damage.push_back(std::move(d));
  for (auto& d : bad_documents) result.damage.push_back(std::move(d));
  result.damage.insert(result.damage.end(), unreadable.begin(), unreadable.end());
  for (const auto& info : snapshots) {
    try {
      load_snapshot(fs, backups, info, progress.snapshot());
      ++result.snapshots;
      for (const SnapshotFile& f : info.files)
        check_index(fs, backups, f, result.derived);
    } catch (const CorruptedDataError& e) {
      std::string file = e.file().empty() ? in_backups(info.manifest_name()) : e.file();
      result.damage.push_back(
          Damage::snapshot(file, "snapshot " + info.id + ": " + e.what()));
    }
    progress.snapshot_done(info.bytes());
  }
  progress.finish();
  return result;
}

// Once, beside a live writer too: the view keeps what it lists from being
// removed, and the scan reads only what was published durable.
VerifyResult verify_store(const std::string& dir, const Options& options) {
  auto fs = file_system(options);
  existing_journal(*fs, dir);
  ReadView view(*fs, dir);
  VerifyResult result = verify_in(*fs, dir, options, view);
  for (auto& d : replica_files_damage(*fs, dir)) result.damage.push_back(std::move(d));
  return result;
}

std::vector<BackupSummary> list_backups(const std::string& dir, const Options& options) {
  auto fs = file_system(options);
  existing_journal(*fs, dir);
  ReadView view(*fs, dir);
  return backups_in(*fs, dir);
}

std::pair<uint64_t, int64_t> export_store(const std::string& dir,
                                          const std::string& out_dir,
                                          std::optional<int64_t> until_ns,
                                          const Options& options) {
  auto fs = file_system(options);
  existing_journal(*fs, dir);
  if (until_ns) {  // refuses a time outside the window; the bars are the export's
    Options quiet = options;
    quiet.progress = nullptr;
    state_at(dir, *until_ns, quiet);
  }
  RecoverOptions recover_options;
  recover_options.mode = options.recovery;
  recover_options.until_ns = until_ns;
  recover_options.progress = options.progress;
  Recovered recovered = recover(*fs, dir, recover_options);
  const State& state = recovered.state;
  write_export(*fs, out_dir, state.collections(), state.last_seq(), state.last_time_ns(),
               task_ticks(options.progress, "export", "documents"));
  return {state.last_seq(), state.last_time_ns()};
}

Collections load_backup(const std::string& dir, const std::string& id,
                        const Options& options) {
  auto fs = file_system(options);
  existing_journal(*fs, dir);
  // Retention waits for the read: a backup listed is there to load.
  ReadView view(*fs, dir);
  std::optional<Collections> found;
  for (const auto& info : list_snapshots(*fs, backups_dir(dir))) {
    if (info.id == id) found = load_snapshot(*fs, backups_dir(dir), info);
  }
  if (!found) throw BackupNotFoundError("no backup " + id + " in " + backups_dir(dir));
  return std::move(*found);
}

ReplayOutcome replay_store(const std::string& dir, const Options& options,
                           std::optional<int64_t> until_ns, const std::string& out_dir,
                           bool overwrite) {
  auto fs = file_system(options);
  existing_journal(*fs, dir);
  RecoverOptions recover_options;
  recover_options.mode = options.recovery;
  recover_options.until_ns = until_ns;
  recover_options.progress = options.progress;
  Recovered recovered = recover(*fs, dir, recover_options);
  ReplayOutcome out;
  out.report = std::move(recovered.report);
  StateVersion state = recovered.state.freeze();
  for (const auto& [name, docs] : state.trees()) {
    out.collections.push_back({name, docs.size()});
  }
  out.last_seq = recovered.state.last_seq();
  out.last_time_ns = recovered.state.last_time_ns();
  if (!out_dir.empty()) {
    write_state_files(*fs, out_dir, recovered.state.collections(), overwrite,
                      task_ticks(options.progress, "write state", "documents"));
  }
  return out;
}

}  // namespace pa_journal
