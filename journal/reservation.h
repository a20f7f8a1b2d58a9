// The space a writer reserves ahead of its appends at the end of the newest
// segment: the writer side of format.h's "reserved space". The other places
// that know of it are WritableFile::reserve (posix_writable_file.cc: how the
// fill is written, or a direct-I/O file grown) and the reader, which takes
// kReservedFill from a frame boundary to the end of a segment as reserved
// space and a frame cut short by fill as torn (segment_reader.h).
//
// Invariant: the bytes [data_end, end()) of the segment hold kReservedFill,
// and under Durability::kAlways and kInterval they are durable (fill and file
// size) before an append lands in them; so a commit's sync has only data to
// make durable, and a direct write into them changes no metadata. No byte past
// end() was written through this reservation. A crash leaves at worst fill
// beyond the data's end, which cut_leftover() removes at the next open.
//
// Crash argument for a failed reservation: if writing the space ahead fails
// (a nearly full disk), one reservation of just the batch is tried instead;
// the failed write left fill, or nothing, beyond the data's end, which is
// what the reader expects there. A second failure stands (the writer fails).
//
// Thread-safety: none; owned by whoever owns the segment's file (JournalWriter
// says who).
#pragma once

#include <cstdint>
#include <string>

#include "pa_journal/file_system.h"
#include "pa_journal/options.h"

namespace pa_journal {

class Reservation {
 public:
  // segment_bytes: a segment rolls past this size; reservations do not run
  // past it unless a batch is larger than what is left.
  Reservation(Durability durability, uint64_t segment_bytes);

  // At open, before the first append to the newest segment at path: cuts
  // off the space a crash left reserved beyond data_end (the reader found
  // only fill there). Returns the segment's size afterwards.
  static uint64_t cut_leftover(FileSystem& fs, const std::string& path,
                               uint64_t data_end);

  // The segment now ends at data_end with nothing reserved beyond it (a new
  // segment, or one reopened after cut_leftover).
  void reset(uint64_t data_end) { end_ = data_end; }
  // Makes [data_end, data_end + batch_bytes) reserved space of file, writing
  // kReserveBytes of fill at a time (or what is left of the segment, or the
  // batch if larger), synced unless under kNone. Throws IoError if it could
  // not. Under kNone and kInterval nothing is reserved at or past
  // segment_bytes (the appends made while a roll's first sync runs).
  void make_room(WritableFile& file, uint64_t data_end, uint64_t batch_bytes);
  // Reserves space ahead of data_end as make_room does, before any batch (a
  // new segment, so that its first commit does not wait for it).
  void reserve_ahead(WritableFile& file, uint64_t data_end) {
    if (end_ <= data_end) grow(file, data_end, 0);
  }
  // Where the reserved space ends.
  uint64_t end() const { return end_; }

 private:
  static constexpr uint64_t kReserveBytes = 1 << 20;

  void grow(WritableFile& file, uint64_t data_end, uint64_t batch_bytes);

  const Durability durability_;
  const uint64_t segment_bytes_;
  uint64_t end_ = 0;
};

}  // namespace pa_journal
