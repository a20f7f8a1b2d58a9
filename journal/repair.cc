#include "journal/repair.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "journal/format.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

// A name in quarantine/ that says where the bytes came from and when, and
// that no earlier copy holds (two repairs in one second get ".2", ".3", ...).
std::string unused_quarantine_name(FileSystem& fs, const std::string& journal_dir,
                                   const std::string& name, uint64_t from) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::string base = quarantine_name(
      name, from, std::chrono::duration_cast<std::chrono::seconds>(now).count());
  std::string copy = base;
  for (int n = 2; fs.exists(join_path(quarantine_dir(journal_dir), copy)); ++n) {
    copy = base + "." + std::to_string(n);
  }
  return copy;
}

// Copies the bytes of a segment from offset `from` on into quarantine/;
// returns the copy's path relative to the store.
std::string quarantine(FileSystem& fs, const std::string& journal_dir,
                       const std::string& name, uint64_t from = 0) {
  std::string copy = unused_quarantine_name(fs, journal_dir, name, from);
  std::string data = fs.read_file(join_path(journal_dir, name));
  create_dir_durably(fs, quarantine_dir(journal_dir));
  write_file_atomically(
      fs, join_path(quarantine_dir(journal_dir), copy),
      std::string_view(data).substr(std::min<uint64_t>(from, data.size())));
  return in_journal(join_path(kQuarantineDirName, copy));
}

// What a salvage open that cannot repair in place leaves to its caller to
// offer: a read-only salvage replay still gives every valid record.
const Remedy kReadOnlySalvage{Remedy::Kind::kSalvageReplay, {}};

// A frame of exactly `size` bytes: a loss marker for first..last, or padding
// when first is 0.
std::string filler_frame(uint64_t size, uint64_t first, uint64_t last) {
  std::string payload(size - format::kFrameHeaderSize, '\0');
  if (first != 0) {
    put_u64(payload.data(), first);
    put_u64(payload.data() + 8, last);
  }
  std::string frame;
  append_frame(&frame, first != 0 ? format::kTypeLoss : format::kTypePadding, payload);
  return frame;
}

bool fits_in_place(const Damage& damage, uint64_t file_size) {
  uint64_t minimum = format::kFrameHeaderSize + format::kLossPayloadSize;
  return damage.offset % format::kFrameAlignment == 0 &&
         damage.bytes % format::kFrameAlignment == 0 && damage.bytes >= minimum &&
         damage.offset + damage.bytes <= file_size &&
         damage.bytes - format::kFrameHeaderSize <= format::kMaxPayloadSize;
}

void repair_range(FileSystem& fs, const std::string& path, const SegmentInfo& info,
                  const Damage& damage) {
  if (damage.offset == 0 && damage.bytes == format::kSegmentHeaderSize) {
    fs.overwrite(path, 0, encode_segment_header(info.first_seq));
    return;
  }
  if (!fits_in_place(damage, fs.file_size(path))) {
    throw StorageError("salvage cannot rewrite " + damage.describe() + " in place",
                       kReadOnlySalvage);
  }
  fs.overwrite(path, damage.offset,
               filler_frame(damage.bytes, damage.first_seq, damage.last_seq));
}

void fill_gap(FileSystem& fs, const std::string& journal_dir, const Damage& damage) {
  std::string segment = encode_segment_header(damage.first_seq);
  append_frame(&segment, format::kTypeLoss,
               filler_frame(format::kFrameHeaderSize + format::kLossPayloadSize,
                            damage.first_seq, damage.last_seq)
                   .substr(format::kFrameHeaderSize));
  write_file_atomically(fs, segment_file_name(journal_dir, damage.first_seq), segment);
}

const SegmentInfo* segment_named(const ScanReport& report, const std::string& file) {
  for (const auto& info : report.segments) {
    if (in_journal(info.name) == file) return &info;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> cut_journal(FileSystem& fs, const std::string& journal_dir,
                                     const ScanReport& report) {
  std::vector<std::string> kept;
  const auto& segments = report.segments;
  size_t first = report.cut_point.segment_index;
  for (size_t i = first; i < segments.size(); ++i) {
    uint64_t from = i == first ? report.cut_point.offset : 0;
    kept.push_back(quarantine(fs, journal_dir, segments[i].name, from));
  }
  for (size_t i = segments.size(); i-- > first + 1;) {
    fs.remove(join_path(journal_dir, segments[i].name));
  }
  std::string path = join_path(journal_dir, segments[first].name);
  if (report.cut_point.offset < format::kSegmentHeaderSize) {
    fs.remove(path);
  } else {
    fs.truncate(path, report.cut_point.offset);
  }
  fs.sync_dir(journal_dir);
  return kept;
}

std::vector<std::string> salvage_in_place(FileSystem& fs, const std::string& journal_dir,
                                          const ScanReport& report) {
  std::vector<std::string> kept;
  std::set<std::string> copied;
  for (const auto& damage : report.damage) {
    if (damage.kind == Damage::Kind::kTornTail) continue;  // cut_journal's job
    const SegmentInfo* info = segment_named(report, damage.file);
    if (info == nullptr) throw StorageError("salvage: unknown segment " + damage.file);
    if (damage.kind == Damage::Kind::kMissingRecords && damage.offset == 0) {
      fill_gap(fs, journal_dir, damage);
      continue;
    }
    if (damage.kind == Damage::Kind::kMissingRecords) {
      throw StorageError("salvage cannot mark " + damage.describe() + " in place",
                         kReadOnlySalvage);
    }
    if (copied.insert(info->name).second) {
      kept.push_back(quarantine(fs, journal_dir, info->name));
    }
    repair_range(fs, join_path(journal_dir, info->name), *info, damage);
  }
  fs.sync_dir(journal_dir);
  return kept;
}

}  // namespace pa_journal
