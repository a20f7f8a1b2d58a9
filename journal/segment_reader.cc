#include "journal/segment_reader.h"

#include <algorithm>
#include <cstring>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {

SegmentReader::SegmentReader(std::string name, std::string_view data, bool is_newest,
                             Reporter* reporter)
    : name_(std::move(name)), data_(data), is_newest_(is_newest), reporter_(reporter) {
  written_end_ = data_.find_last_not_of(format::kReservedFill) + 1;  // npos + 1 == 0
}

uint64_t SegmentReader::data_end() const {
  uint64_t aligned = (written_end_ + format::kFrameAlignment - 1) /
                     format::kFrameAlignment * format::kFrameAlignment;
  return std::min<uint64_t>(std::max(aligned, good_end_), data_.size());
}

bool SegmentReader::read_header() {
  pos_ = std::min<uint64_t>(format::kSegmentHeaderSize, data_.size());
  good_end_ = 0;
  if (looks_torn(0)) {
    report(Damage::torn_tail(name_, 0, data_.size(), "segment header incomplete"));
    pos_ = data_.size();
    return false;
  }
  if (data_.size() < format::kSegmentHeaderSize) {
    report(Damage::corruption(name_, 0, data_.size(), "segment shorter than its header"));
    return false;
  }
  const char* h = data_.data();
  uint64_t stored = get_u64(h + format::kSegmentHeaderChecked);
  if (std::memcmp(h, format::kSegmentMagic.data(), format::kSegmentMagic.size()) != 0 ||
      stored != checksum({h, format::kSegmentHeaderChecked})) {
    report(Damage::corruption(name_, 0, format::kSegmentHeaderSize,
                              "segment header checksum mismatch"));
    return false;
  }
  version_ = get_u32(h + 8);
  first_seq_ = get_u64(h + 16);
  if (version_ == 0 || version_ > format::kFormatVersion) {
    throw StorageError(name_ + ": journal format version " + std::to_string(version_) +
                       " is not supported by this build (it reads versions 1 to " +
                       std::to_string(format::kFormatVersion) + ")");
  }
  good_end_ = format::kSegmentHeaderSize;
  return true;
}

bool SegmentReader::next(Frame* frame) {
  // Frames start aligned, so from pos_ >= written_end_ on there is only fill.
  while (pos_ < written_end_) {
    if (frame_at(pos_, frame)) {
      pos_ = frame->end;
      good_end_ = frame->end;
      return true;
    }
    if (looks_torn(pos_)) {
      report(Damage::torn_tail(name_, pos_, data_.size() - pos_,
                               "incomplete record at end"));
      pos_ = data_.size();
      return false;
    }
    uint64_t resume = resync_from(pos_);
    report(Damage::corruption(name_, pos_, resume - pos_,
                              "record checksum or framing mismatch"));
    pos_ = resume;
  }
  return false;
}

// True if a frame that passes every check starts at offset.
bool SegmentReader::frame_at(uint64_t offset, Frame* frame) const {
  if (offset % format::kFrameAlignment != 0) return false;
  if (data_.size() - offset < format::kFrameHeaderSize) return false;
  const char* h = data_.data() + offset;
  uint32_t length = get_u32(h + format::kFrameLengthOffset);
  if (length == 0 || length % format::kFrameAlignment != 0 ||
      length > format::kMaxPayloadSize ||
      length > data_.size() - offset - format::kFrameHeaderSize) {
    return false;
  }
  if (h[13] != 0 || h[14] != 0 || h[15] != 0) return false;
  std::string_view covered(
      h + format::kFrameLengthOffset,
      format::kFrameHeaderSize - format::kFrameLengthOffset + length);
  if (get_u64(h + format::kFrameChecksumOffset) != checksum(covered)) return false;
  frame->offset = offset;
  frame->end = offset + format::kFrameHeaderSize + length;
  frame->type = static_cast<uint8_t>(h[format::kFrameTypeOffset]);
  frame->payload = {h + format::kFrameHeaderSize, length};
  return true;
}

// The torn-tail rule of the file comment, applied at offset.
bool SegmentReader::looks_torn(uint64_t offset) const {
  if (!is_newest_) return false;
  // A header is written before any reservation, so its bytes count in full.
  std::string_view rest =
      offset == 0 ? data_
                  : data_.substr(offset, written_end_ - std::min(offset, written_end_));
  if (std::all_of(rest.begin(), rest.end(), [](char c) { return c == 0; })) return true;
  if (offset == 0) return rest.size() < format::kSegmentHeaderSize;
  if (rest.size() < format::kFrameHeaderSize) return true;
  uint32_t length = get_u32(rest.data() + format::kFrameLengthOffset);
  if (length <= rest.size() - format::kFrameHeaderSize) return false;
  // A crash tears only the last write: a good frame further on means that this
  // length was damaged, not cut short.
  return resync_from(offset) == data_.size();
}

// The next aligned offset after `offset` at which a valid frame starts, or the
// end of the data.
uint64_t SegmentReader::resync_from(uint64_t offset) const {
  Frame candidate;
  uint64_t next = (offset / format::kFrameAlignment + 1) * format::kFrameAlignment;
  for (; next + format::kFrameHeaderSize <= data_.size();
       next += format::kFrameAlignment) {
    if (frame_at(next, &candidate)) return next;
  }
  return data_.size();
}

void SegmentReader::report(const Damage& damage) {
  if (reporter_ != nullptr) reporter_->report(damage);
}

}  // namespace pa_journal
