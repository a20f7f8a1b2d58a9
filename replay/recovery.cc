#include "replay/recovery.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/read_view.h"
#include "journal/repair.h"
#include "model/progress_ticker.h"
#include "pa_journal/errors.h"
#include "snapshot/catalogue.h"

namespace pa_journal {
namespace {

uint64_t torn_bytes(const ScanReport& scan) {
  uint64_t bytes = 0;
  for (const auto& d : scan.damage) {
    if (d.kind == Damage::Kind::kTornTail) bytes += d.bytes;
  }
  return bytes;
}

// Repairs the journal so that it reads clean, returning the quarantined copies.
std::vector<std::string> repair(FileSystem& fs, const std::string& journal_dir,
                                const ScanReport& scan) {
  std::vector<std::string> kept;
  if (!scan.damaged_segments.empty()) kept = salvage_in_place(fs, journal_dir, scan);
  if (scan.cut) {
    auto cut = cut_journal(fs, journal_dir, scan);
    kept.insert(kept.end(), cut.begin(), cut.end());
  }
  return kept;
}

// Whether damage d lies at or after the point where the scan cut the journal.
bool at_or_after_cut(const ScanReport& scan, const Damage& d) {
  for (size_t i = 0; i < scan.segments.size(); ++i) {
    if (in_journal(scan.segments[i].name) != d.file) continue;
    const CutPoint& cut = scan.cut_point;
    return i > cut.segment_index || (i == cut.segment_index && d.offset >= cut.offset);
  }
  return false;
}

// The damage repair() dealt with: what salvage marked in place (every damage
// but a torn tail, once it rewrites segments) and what the cut dropped.
std::vector<Damage> repaired_damage(const ScanReport& scan) {
  std::vector<Damage> out;
  for (const auto& d : scan.damage) {
    bool salvaged = !scan.damaged_segments.empty() && d.kind != Damage::Kind::kTornTail;
    if (salvaged || (scan.cut && at_or_after_cut(scan, d))) out.push_back(d);
  }
  return out;
}

// The segment a writer appends to after repair (the newest one left, if any),
// and where its data ends: a repair may have cut it shorter than the scan saw.
void find_newest_segment(FileSystem& fs, const std::string& journal_dir,
                         const ScanReport& scan, JournalWriter::Tail& tail) {
  if (!fs.exists(journal_dir)) return;
  auto segments = list_segments(fs, journal_dir);
  if (segments.empty()) return;
  const SegmentInfo& newest = segments.back();
  tail.newest_segment = newest.name;
  tail.newest_data_end = newest.bytes;
  for (const SegmentInfo& scanned : scan.segments) {
    if (scanned.name == newest.name)
      tail.newest_data_end = std::min(newest.bytes, scanned.data_end);
  }
}

bool usable(const SnapshotInfo& s, const RecoverOptions& options) {
  if (options.max_snapshot_seq > 0 && s.seq > options.max_snapshot_seq) return false;
  return !options.until_ns || s.time_ns <= *options.until_ns;
}

// "backups/<id>.manifest.json" -> "<id>".
std::string id_of_manifest(const std::string& file) {
  std::optional<FileName> parsed = parse_file_name(file);
  if (parsed && parsed->type == FileType::kManifest) return parsed->id;
  std::string name = file.substr(file.find('/') + 1);  // a manifest of another shape
  return name.substr(0, name.size() - std::string_view(kManifestSuffix).size());
}

// Loads the newest usable snapshot that verifies into out; reports the ones
// passed over, newest first. Returns false if none could be loaded.
// writer_live: a snapshot without a manifest may be a compaction in progress,
// not one to report as passed over (docs/readers.md).
bool load_newest_snapshot(FileSystem& fs, const std::string& backups_dir,
                          const RecoverOptions& options, bool writer_live,
                          Recovered& out) {
  std::vector<std::pair<std::string, Damage>> passed;  // snapshot id, why
  std::vector<Damage> unreadable;                      // manifests that do not parse
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups_dir, &unreadable);
  for (auto& d : unreadable) passed.emplace_back(id_of_manifest(d.file), std::move(d));
  const SnapshotInfo* loaded = nullptr;
  for (const SnapshotInfo& info : snapshots) {
    if (!usable(info, options)) continue;
    try {
      out.state.load(
          load_snapshot(fs, backups_dir, info,
                        task_ticks(options.progress, "load snapshot", "bytes")),
          info.seq, info.time_ns);
    } catch (const CorruptedDataError& e) {
      std::string file = e.file().empty() ? in_backups(info.manifest_name()) : e.file();
      passed.emplace_back(
          info.id,
          Damage::snapshot(file, "snapshot " + info.id + " not loaded: " + e.what()));
      continue;
    }
    loaded = &info;
    break;
  }
  // Collection files whose manifest is missing are a snapshot passed over too
  // when, with no limit set, it would have been newer than the one loaded.
  if (options.max_snapshot_seq == 0 && !options.until_ns && !writer_live) {
    for (const std::string& id : unfinished_snapshots(fs, backups_dir)) {
      if (loaded && !later_snapshot_id(id, loaded->id)) continue;
      std::string manifest = in_backups(manifest_name(id));
      std::string why = "snapshot " + id + " not loaded: " + manifest +
                        " is missing (a compaction that did not finish, or a lost "
                        "manifest)";
      passed.emplace_back(id, Damage::snapshot(manifest, why));
    }
  }
  std::stable_sort(passed.begin(), passed.end(), [](const auto& a, const auto& b) {
    return later_snapshot_id(a.first, b.first);
  });
  for (auto& [_, damage] : passed)
    out.report.snapshot_fallbacks.push_back(std::move(damage));
  if (loaded == nullptr) return false;
  out.report.snapshot_id = loaded->id;
  out.report.snapshot_seq = loaded->seq;
  return true;
}

// The journal ends before the snapshot it was synced up to: reported, and
// refused only by strict, since no state is lost.
void note_journal_ends_early(const ScanReport& scan, uint64_t snapshot_seq,
                             RecoveryMode mode, RecoveryReport& report) {
  std::string segment =
      in_journal(scan.segments.empty() ? "" : scan.segments.back().name);
  uint64_t last = scan.segments.empty() ? 0 : scan.next_seq - 1;
  Damage missing = journal_ends_before_snapshot(segment, last + 1, last, snapshot_seq);
  if (mode == RecoveryMode::kStrict) {
    throw CorruptedDataError(missing.describe() +
                                 "; the default mode (tolerate-tail) opens the store "
                                 "from the snapshot",
                             missing.file, 0, last);
  }
  report.damage.push_back(std::move(missing));
}

// Replays the records after `after` to apply, within view if set, and fills
// report's replay fields and damage: the one journal pass of every recovery.
ScanReport replay_after(FileSystem& fs, const std::string& store_dir,
                        const RecoverOptions& options, const ReadView* view,
                        uint64_t after, const std::function<void(const Record&)>& apply,
                        RecoveryReport& report) {
  bool past_until = false;
  uint64_t applied = 0;
  ScanReport scan = scan_journal(
      fs, journal_dir(store_dir), options.mode,
      [&](const Record& r) {
        past_until = past_until || (options.until_ns && r.time_ns > *options.until_ns);
        if (past_until) return;
        apply(r);
        for (const auto& op : r.ops) {
          report.bytes_replayed +=
              op.collection.size() + op.key.size() + op.document.size();
        }
        if (applied++ == 0) report.first_seq = r.seq;
        report.last_seq = r.seq;
      },
      {.after_seq = after,
       .from_start = true,
       .progress = task_ticks(options.progress, "replay", "bytes"),
       .limit = view ? view->journal_limit() : std::nullopt});
  report.mode = options.mode;
  report.records_replayed = applied;  // with until_ns, fewer than scan.records
  report.damage = scan.damage;
  if (after > 0 && (scan.next_seq <= after || scan.segments.empty()))
    note_journal_ends_early(scan, after, options.mode, report);
  return scan;
}

// view: set for a read-only recovery, which reads within it.
Recovered recover_once(FileSystem& fs, const std::string& store_dir,
                       const RecoverOptions& options, const ReadView* view) {
  const std::string journal = journal_dir(store_dir);
  Recovered out;
  bool writer_live = view != nullptr && view->writer_live();
  if (options.use_snapshots)
    load_newest_snapshot(fs, backups_dir(store_dir), options, writer_live, out);
  uint64_t after = out.report.snapshot_seq;
  ScanReport scan = replay_after(
      fs, store_dir, options, view, after,
      [&out](const Record& r) { out.state.apply(r); }, out.report);
  if (options.writable) {
    out.report.quarantined = repair(fs, journal, scan);
    out.report.repaired = repaired_damage(scan);
    out.report.torn_bytes_cut = torn_bytes(scan);
    find_newest_segment(fs, journal, scan, out.tail);
  }
  out.tail.next_seq = std::max(scan.next_seq, after + 1);
  out.tail.last_time_ns = std::max(scan.last_time_ns, out.state.last_time_ns());
  return out;
}

}  // namespace

Damage journal_ends_before_snapshot(const std::string& segment, uint64_t from_seq,
                                    uint64_t last_seq, uint64_t snapshot_seq) {
  return Damage::missing_records(
      segment, 0, from_seq, snapshot_seq,
      (last_seq == 0 ? std::string("the journal holds no record")
                     : "the journal ends at seq " + std::to_string(last_seq)) +
          ", before seq " + std::to_string(snapshot_seq) +
          ", which a snapshot covers: the snapshot holds the state, the history "
          "up to it is gone");
}

std::optional<SnapshotInfo> snapshot_to_open(FileSystem& fs, const std::string& store_dir,
                                             const RecoverOptions& options,
                                             const ReadView& view) {
  const std::string backups = backups_dir(store_dir);
  std::vector<Damage> unreadable;
  std::vector<SnapshotInfo> snapshots = list_snapshots(fs, backups, &unreadable);
  if (!unreadable.empty() || !options.use_snapshots) return std::nullopt;
  auto first =
      std::find_if(snapshots.begin(), snapshots.end(),
                   [&options](const SnapshotInfo& s) { return usable(s, options); });
  if (first == snapshots.end()) return std::nullopt;
  if (options.max_snapshot_seq == 0 && !options.until_ns && !view.writer_live()) {
    for (const std::string& id : unfinished_snapshots(fs, backups)) {
      if (later_snapshot_id(id, first->id)) return std::nullopt;
    }
  }
  return *first;
}

void replay_tail(FileSystem& fs, const std::string& store_dir,
                 const RecoverOptions& options, const ReadView& view,
                 const SnapshotInfo& snapshot,
                 const std::function<void(const Record&)>& on_record,
                 RecoveryReport& report) {
  report.snapshot_id = snapshot.id;
  report.snapshot_seq = snapshot.seq;
  replay_after(fs, store_dir, options, &view, snapshot.seq, on_record, report);
}

// A read-only recovery may run beside a live writer: it reads once, within a
// ReadView (journal/read_view.h).
Recovered recover(FileSystem& fs, const std::string& store_dir,
                  const RecoverOptions& options) {
  if (options.writable) return recover_once(fs, store_dir, options, nullptr);
  ReadView view(fs, store_dir);
  return recover_once(fs, store_dir, options, &view);
}

}  // namespace pa_journal
