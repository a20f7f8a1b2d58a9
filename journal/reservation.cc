#include "journal/reservation.h"

#include <algorithm>

#include "journal/format.h"
#include "pa_journal/errors.h"

namespace pa_journal {

Reservation::Reservation(Durability durability, uint64_t segment_bytes)
    : durability_(durability), segment_bytes_(segment_bytes) {}

uint64_t Reservation::cut_leftover(FileSystem& fs, const std::string& path,
                                   uint64_t data_end) {
  uint64_t size = fs.file_size(path);
  if (data_end == 0 || data_end >= size) return size;
  fs.truncate(path, data_end);  // only reserved space lies beyond data_end
  return data_end;
}

void Reservation::make_room(WritableFile& file, uint64_t data_end, uint64_t batch_bytes) {
  if (data_end + batch_bytes <= end_) return;
  grow(file, data_end, batch_bytes);
}

void Reservation::grow(WritableFile& file, uint64_t data_end, uint64_t batch_bytes) {
  // Past the segment's size under kNone and kInterval (commits written while
  // the first sync of its roll runs) the appends grow the file: nothing there
  // waits for a sync, and a sync per batch would hold every committer.
  if (data_end >= segment_bytes_ && durability_ != Durability::kAlways) return;
  uint64_t room = segment_bytes_ > data_end ? segment_bytes_ - data_end : 0;
  uint64_t bytes = std::max(batch_bytes, std::min(kReserveBytes, room));
  if (bytes == 0) return;
  // Under kAlways every append is synced at once, so the fill may be written
  // the way that suits that (posix_writable_file.cc).
  bool rarely_synced = durability_ != Durability::kAlways;
  try {
    file.reserve(bytes, format::kReservedFill, rarely_synced);
  } catch (const IoError&) {
    // The space ahead is an optimisation, the batch is not (see the class
    // comment). A second failure stands.
    if (bytes == batch_bytes) throw;
    bytes = batch_bytes;
    file.reserve(bytes, format::kReservedFill, rarely_synced);
  }
  if (durability_ != Durability::kNone) file.sync();
  end_ = data_end + bytes;
}

}  // namespace pa_journal
