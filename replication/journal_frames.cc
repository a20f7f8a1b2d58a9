#include "replication/journal_frames.h"

#include <algorithm>

#include "journal/format.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "pa_journal/errors.h"
#include "snapshot/catalogue.h"

namespace pa_journal::replication {
namespace {

// Damage is fatal except a torn tail, which ends the segment.
class DamageStop : public Reporter {
 public:
  explicit DamageStop(uint64_t shift) : shift_(shift) {}
  void report(const Damage& damage) override {
    if (damage.kind == Damage::Kind::kTornTail) {
      torn = true;
      return;
    }
    uint64_t offset = damage.offset + shift_;
    throw CorruptedDataError("the journal is damaged at " + damage.file + " offset " +
                                 std::to_string(offset) + ": " + damage.reason +
                                 "; nothing after it is shipped",
                             damage.file, offset);
  }
  bool torn = false;

 private:
  uint64_t shift_;  // what the reader's offsets lack (read_segment)
};

JournalFrame frame_of(const Frame& frame, std::string_view data, const std::string& file,
                      uint64_t shift) {
  JournalFrame out;
  out.bytes = data.substr(frame.offset, frame.end - frame.offset);
  out.end = frame.end + shift;
  const uint64_t offset = frame.offset + shift;
  if (frame.type == format::kTypeLoss) {
    if (frame.payload.size() < format::kLossPayloadSize) {
      throw CorruptedDataError("a loss frame too short in " + file, file, offset);
    }
    out.lost_from = get_u64(frame.payload.data());
    out.seq = get_u64(frame.payload.data() + 8);
    return out;
  }
  Record record;
  try {
    record = decode_payload(frame.payload);
  } catch (const CorruptedDataError& e) {
    throw CorruptedDataError(file + " offset " + std::to_string(offset) + ": " + e.what(),
                             file, offset);
  }
  out.seq = record.seq;
  out.time_ns = record.time_ns;
  return out;
}

}  // namespace

JournalPass::JournalPass(FileSystem& fs, const std::string& store_dir)
    : fs_(fs),
      journal_(journal_dir(store_dir)),
      backups_(backups_dir(store_dir)),
      view_(fs, store_dir) {
  if (!fs_.exists(journal_)) throw NotFoundError("no store at " + store_dir);
  if (fs_.exists(backups_)) snapshots_ = list_snapshots(fs_, backups_);
  std::reverse(snapshots_.begin(), snapshots_.end());
  limit_ = view_.journal_limit();  // after the snapshots (docs/readers.md, step 4)
  segments_ = list_segments(fs_, journal_);
  if (limit_) {
    std::erase_if(segments_,
                  [&](const SegmentInfo& s) { return s.first_seq > limit_->segment; });
  }
}

uint64_t JournalPass::read_after(uint64_t after_seq,
                                 const std::function<bool(const JournalFrame&)>& visit,
                                 const std::optional<JournalCursor>& cursor) {
  // Start at the segment holding after_seq + 1: the last that starts at or before it.
  size_t start = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].first_seq <= after_seq + 1) start = i;
  }
  bool resume = cursor && cursor->seq == after_seq && start < segments_.size() &&
                segments_[start].first_seq == cursor->segment;
  uint64_t last = after_seq;
  for (size_t i = start; i < segments_.size(); ++i) {
    uint64_t from = resume && i == start ? cursor->end : 0;
    bool newest = i + 1 == segments_.size();
    if (!read_segment(segments_[i], newest, after_seq, from, visit, &last)) break;
  }
  return last;
}

// Reads info from byte from_offset (a frame boundary past the header, or 0:
// the whole segment). A read from an offset hands SegmentReader the
// segment's header followed by the bytes from there, and maps the offsets
// back: frames are checked by their own checksums, wherever they lie.
bool JournalPass::read_segment(const SegmentInfo& info, bool newest, uint64_t after_seq,
                               uint64_t from_offset,
                               const std::function<bool(const JournalFrame&)>& visit,
                               uint64_t* last) {
  const std::string path = join_path(journal_, info.name);
  std::unique_ptr<ReadableFile> file = fs_.open_readable(path);
  uint64_t size = file->size();
  if (limit_ && info.first_seq == limit_->segment) size = std::min(size, limit_->end);
  std::string data;
  uint64_t shift = 0;  // real offset = offset in data + shift
  if (from_offset >= format::kSegmentHeaderSize && from_offset <= size) {
    data = encode_segment_header(info.first_seq);
    data += file->read_at(from_offset, size - from_offset);
    shift = from_offset - format::kSegmentHeaderSize;
  } else {
    data = file->read_at(0, size);
  }
  const std::string name = in_journal(info.name);
  DamageStop stop(shift);
  SegmentReader reader(name, data, newest && !limit_, &stop);
  if (!reader.read_header()) return false;  // a torn header: the newest segment's end
  Frame frame;
  while (reader.next(&frame)) {
    if (frame.type != format::kTypeCommit && frame.type != format::kTypeLoss) {
      if (frame.type & format::kIgnorableBit) continue;
      throw CorruptedDataError("unknown frame type " + std::to_string(frame.type) +
                                   " in " + name + " at offset " +
                                   std::to_string(frame.offset + shift),
                               name, frame.offset + shift);
    }
    JournalFrame out = frame_of(frame, data, name, shift);
    out.segment = info.first_seq;
    if (out.seq <= after_seq) continue;
    *last = out.seq;
    if (!visit(out)) return false;
  }
  return !stop.torn;
}

}  // namespace pa_journal::replication
