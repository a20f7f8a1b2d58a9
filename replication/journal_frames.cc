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
  void report(const Damage& damage) override {
    if (damage.kind == Damage::Kind::kTornTail) {
      torn = true;
      return;
    }
    throw CorruptedDataError("the journal is damaged at " + damage.file + " offset " +
                                 std::to_string(damage.offset) + ": " + damage.reason +
                                 "; nothing after it is shipped",
                             damage.file, damage.offset);
  }
  bool torn = false;
};

JournalFrame frame_of(const Frame& frame, std::string_view data,
                      const std::string& file) {
  JournalFrame out;
  out.bytes = data.substr(frame.offset, frame.end - frame.offset);
  if (frame.type == format::kTypeLoss) {
    if (frame.payload.size() < format::kLossPayloadSize) {
      throw CorruptedDataError("a loss frame too short in " + file, file, frame.offset);
    }
    out.lost_from = get_u64(frame.payload.data());
    out.seq = get_u64(frame.payload.data() + 8);
    return out;
  }
  Record record = decode_payload(frame.payload);
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
  if (fs_.exists(backups_)) snapshots_ = list_snapshots(fs_, backups_);
  std::reverse(snapshots_.begin(), snapshots_.end());
  limit_ = view_.journal_limit();  // after the snapshots (docs/readers.md, step 4)
  if (fs_.exists(journal_)) segments_ = list_segments(fs_, journal_);
  if (limit_) {
    std::erase_if(segments_,
                  [&](const SegmentInfo& s) { return s.first_seq > limit_->segment; });
  }
}

uint64_t JournalPass::read_after(uint64_t after_seq,
                                 const std::function<bool(const JournalFrame&)>& visit) {
  // Start at the segment holding after_seq + 1: the last that starts at or before it.
  size_t start = 0;
  for (size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].first_seq <= after_seq + 1) start = i;
  }
  uint64_t last = after_seq;
  for (size_t i = start; i < segments_.size(); ++i) {
    if (!read_segment(segments_[i], i + 1 == segments_.size(), after_seq, visit, &last))
      break;
  }
  return last;
}

bool JournalPass::read_segment(const SegmentInfo& info, bool newest, uint64_t after_seq,
                               const std::function<bool(const JournalFrame&)>& visit,
                               uint64_t* last) {
  std::string data = fs_.read_file(join_path(journal_, info.name));
  if (limit_ && info.first_seq == limit_->segment && data.size() > limit_->end) {
    data.resize(limit_->end);
  }
  const std::string file = in_journal(info.name);
  DamageStop stop;
  SegmentReader reader(file, data, newest && !limit_, &stop);
  if (!reader.read_header()) return false;  // a torn header: the newest segment's end
  Frame frame;
  while (reader.next(&frame)) {
    if (frame.type != format::kTypeCommit && frame.type != format::kTypeLoss) {
      if (frame.type & format::kIgnorableBit) continue;
      throw CorruptedDataError("unknown frame type " + std::to_string(frame.type) +
                                   " in " + file + " at offset " +
                                   std::to_string(frame.offset),
                               file, frame.offset);
    }
    JournalFrame out = frame_of(frame, data, file);
    if (out.seq <= after_seq) continue;
    *last = out.seq;
    if (!visit(out)) return false;
  }
  return !stop.torn;
}

}  // namespace pa_journal::replication
