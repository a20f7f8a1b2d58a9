#include "journal/durable_end.h"

#include <map>
#include <new>

#include "journal/format.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

// Field offsets inside a slot (format.h).
constexpr size_t kCounterAt = 8;
constexpr size_t kSeqAt = 16;
constexpr size_t kTimeAt = 24;
constexpr size_t kSegmentAt = 32;
constexpr size_t kEndAt = 40;

std::optional<PublishedEnd> decode_slot(std::string_view slot) {
  if (slot.size() < format::kDurableEndSlotSize) return std::nullopt;
  if (slot.substr(0, format::kDurableEndMagic.size()) != format::kDurableEndMagic)
    return std::nullopt;
  const char* p = slot.data();
  if (get_u64(p + format::kDurableEndChecked) !=
      checksum(slot.substr(0, format::kDurableEndChecked))) {
    return std::nullopt;
  }
  PublishedEnd out;
  out.counter = get_u64(p + kCounterAt);
  out.end.seq = get_u64(p + kSeqAt);
  out.end.time_ns = static_cast<int64_t>(get_u64(p + kTimeAt));
  out.end.segment = get_u64(p + kSegmentAt);
  out.end.end = get_u64(p + kEndAt);
  return out;
}

// The ends the writers of this process have made readable, by journal path.
Mutex in_process_mu;
std::map<std::string, DurableEnd>& in_process_ends() REQUIRES(in_process_mu) {
  static auto* ends = new std::map<std::string, DurableEnd>();
  return *ends;
}

// Best effort, as publishing is: out of memory, readers keep the older end.
void show_in_process(const std::string& key, const DurableEnd& end) noexcept
    EXCLUDES(in_process_mu) {
  MutexLock lock(&in_process_mu);
  try {
    DurableEnd& shown = in_process_ends()[key];
    if (end.seq >= shown.seq) shown = end;
  } catch (const std::bad_alloc&) {
  }
}

std::string key_of(FileSystem& fs, const std::string& journal_dir) {
  try {
    return fs.real_path(journal_dir);
  } catch (const StorageError&) {
    return journal_dir;
  }
}

}  // namespace

std::optional<DurableEnd> written_end_in_process(FileSystem& fs,
                                                 const std::string& journal_dir) {
  std::string key = key_of(fs, journal_dir);
  MutexLock lock(&in_process_mu);
  auto it = in_process_ends().find(key);
  if (it == in_process_ends().end()) return std::nullopt;
  return it->second;
}

std::string encode_durable_end_slot(const DurableEnd& end, uint64_t counter) {
  std::string slot(format::kDurableEndSlotSize, '\0');
  char* p = slot.data();
  slot.replace(0, format::kDurableEndMagic.size(), format::kDurableEndMagic);
  put_u64(p + kCounterAt, counter);
  put_u64(p + kSeqAt, end.seq);
  put_u64(p + kTimeAt, static_cast<uint64_t>(end.time_ns));
  put_u64(p + kSegmentAt, end.segment);
  put_u64(p + kEndAt, end.end);
  put_u64(p + format::kDurableEndChecked,
          checksum(std::string_view(slot).substr(0, format::kDurableEndChecked)));
  return slot;
}

std::optional<PublishedEnd> decode_durable_end(std::string_view file) {
  std::optional<PublishedEnd> best;
  for (size_t i = 0; i < format::kDurableEndSlots; ++i) {
    size_t at = i * format::kDurableEndSlotSize;
    if (at >= file.size()) break;
    std::optional<PublishedEnd> slot = decode_slot(file.substr(at));
    if (slot && (!best || slot->counter > best->counter)) best = slot;
  }
  return best;
}

std::optional<DurableEnd> read_durable_end(FileSystem& fs,
                                           const std::string& journal_dir) {
  std::string path = durable_end_file_name(journal_dir);
  try {
    if (!fs.exists(path)) return std::nullopt;
    std::optional<PublishedEnd> published = decode_durable_end(fs.read_file(path));
    if (!published) return std::nullopt;
    return published->end;
  } catch (const StorageError&) {
    return std::nullopt;  // unreadable: read as if there were none
  }
}

DurableEndPublisher::DurableEndPublisher(std::shared_ptr<FileSystem> fs,
                                         const std::string& journal_dir)
    : fs_(std::move(fs)),
      path_(durable_end_file_name(journal_dir)),
      key_(key_of(*fs_, journal_dir)) {
  try {
    if (!fs_->exists(path_)) return;
    // A previous writer's slots: counting on from its newest keeps ours newer.
    std::optional<PublishedEnd> old = decode_durable_end(fs_->read_file(path_));
    if (old) {
      counter_ = old->counter;
      in_file_ = old->end;
    }
  } catch (const StorageError&) {
    // Unreadable: the first publish rewrites the slot it needs.
  }
}

DurableEndPublisher::~DurableEndPublisher() {
  MutexLock lock(&in_process_mu);
  in_process_ends().erase(key_);
}

void DurableEndPublisher::note_written(const DurableEnd& end) noexcept {
  show_in_process(key_, end);
}

void DurableEndPublisher::publish(const DurableEnd& end) noexcept {
  show_in_process(key_, end);
  MutexLock lock(&mu_);
  if (published_seq_ && end.seq != 0 &&
      (*published_seq_ > end.seq ||
       (*published_seq_ == end.seq && published_segment_ >= end.segment))) {
    return;
  }
  if (!published_seq_ && in_file_ == end) {  // a reopen that changed nothing
    published_seq_ = end.seq;
    return;
  }
  uint64_t counter = counter_ + 1;
  uint64_t slot = counter % format::kDurableEndSlots;
  try {
    fs_->write_at(path_, slot * format::kDurableEndSlotSize,
                  encode_durable_end_slot(end, counter));
  } catch (const std::exception&) {  // StorageError, or bad_alloc
    return;                          // readers keep the older end (see the header)
  }
  counter_ = counter;
  published_seq_ = end.seq;
  published_segment_ = end.segment;
}

}  // namespace pa_journal
