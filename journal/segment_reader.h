// Reads the frames of one segment held in memory. Checks the segment header and
// every frame's checksum; reports damage to a Reporter and resynchronises on the
// next valid frame. Knows nothing of sequence numbers or recovery modes.
//
// Reserved space (format::kReservedFill from a frame boundary to the end of
// the file) ends a segment cleanly. The written end is where that space begins:
// after the last byte that is not the fill. A torn tail is told apart from
// corruption only in the newest segment, and only when, from the first bad
// frame on, either fewer bytes remain before the written end than a frame
// header, or the frame's length runs past the written end and no valid frame
// follows it, or every remaining byte before the written end is zero. Anything
// else that fails a check is corruption.
//
// Hostile input: every length is checked against the bytes actually present
// before it is used; nothing is allocated. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pa_journal/damage.h"

namespace pa_journal {

struct Frame {
  uint64_t offset = 0;  // of the frame header within the segment
  uint64_t end = 0;     // one past the frame's last byte
  uint8_t type = 0;
  std::string_view payload;
};

class SegmentReader {
 public:
  // data must outlive the reader. name is used in damage reports.
  SegmentReader(std::string name, std::string_view data, bool is_newest,
                Reporter* reporter);

  // Checks the header; returns false (after reporting) if it is damaged or torn.
  // first_seq and version are set when it returns true.
  bool read_header();
  uint64_t first_seq() const { return first_seq_; }
  uint32_t version() const { return version_; }

  // The next frame whose checksum holds, skipping (and reporting) damage before
  // it. False at the end of the segment.
  bool next(Frame* frame);

  // End of the last good frame returned (or of the header): where a writer that
  // cuts a torn tail resumes.
  uint64_t good_end() const { return good_end_; }
  // Where the reserved space at the end of the segment begins (the size of the
  // data if there is none); never before good_end(). Everything from here on
  // is fill, so a writer may cut it off and append here.
  uint64_t data_end() const;

 private:
  bool frame_at(uint64_t offset, Frame* frame) const;
  bool looks_torn(uint64_t offset) const;
  uint64_t resync_from(uint64_t offset) const;
  void report(const Damage& damage);

  std::string name_;
  std::string_view data_;
  bool is_newest_;
  Reporter* reporter_;
  uint64_t pos_ = 0;
  uint64_t good_end_ = 0;
  uint64_t first_seq_ = 0;
  uint32_t version_ = 0;
  uint64_t written_end_ = 0;  // one past the last byte that is not the fill
};

}  // namespace pa_journal
