#include "replay/recovery.h"

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/repair.h"

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

// The segment a writer appends to after repair: the newest one left, if any.
std::optional<std::string> newest_segment(FileSystem& fs, const std::string& journal_dir) {
  if (!fs.exists(journal_dir)) return std::nullopt;
  auto segments = list_segments(fs, journal_dir);
  if (segments.empty()) return std::nullopt;
  return segments.back().name;
}

}  // namespace

Recovered recover(FileSystem& fs, const std::string& journal_dir, RecoveryMode mode,
                  bool writable) {
  Recovered out;
  ScanReport scan = scan_journal(fs, journal_dir, mode,
                                 [&](const Record& r) { out.state.apply(r); });
  out.report.mode = mode;
  out.report.records_replayed = scan.records;
  out.report.first_seq = scan.first_seq;
  out.report.last_seq = scan.last_seq;
  out.report.damage = scan.damage;
  if (writable) {
    out.report.quarantined = repair(fs, journal_dir, scan);
    out.report.torn_bytes_cut = torn_bytes(scan);
    out.tail.newest_segment = newest_segment(fs, journal_dir);
  }
  out.tail.next_seq = scan.next_seq;
  out.tail.last_time_ns = scan.last_time_ns;
  return out;
}

}  // namespace pa_journal
