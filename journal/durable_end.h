// The durable-end file (journal/DURABLE): where the durable part of the
// journal ends, published by the writer for read-only opens, as SQLite's
// wal-index tells readers where the valid WAL ends. Format: format.h and
// docs/journal-format.md; how readers use it: docs/readers.md.
//
// Crash-safety argument
// ---------------------
// 1. The writer publishes a value only after the sync that made it durable
//    has returned (JournalWriter), so the file never names a record that a
//    crash can take away, whether or not the file itself reaches the disk.
//    It is therefore never synced: after a crash it may hold an older value,
//    an empty slot or nothing, all of which claim no more than was durable;
//    the next writable open publishes again after recovery and repair.
// 2. A reader must never see a half-written value, and must not retry. The
//    file has two checksummed slots written in turn with a counter, so the
//    write in progress touches only the slot that does not hold the newest
//    published value; a reader takes the newest slot that verifies. A torn
//    slot fails its checksum and is passed over.
// 3. Published values only grow (seq, and with it the position), so that a
//    slow sync finishing after a faster later one cannot move the end back.
//    A roll with nothing written after it moves the position alone, to the
//    new segment's header at the same seq (JournalWriter::roll): every record
//    up to seq is then in older segments, synced in full before it was made.
//
// Readers in the writer's own process read the end from memory instead
// (written_end_in_process): the durable end under durability always, as the
// file says, and under interval and none the end of what has been written,
// since those modes let commits be seen before they are synced.
//
// Thread-safety: DurableEndPublisher::publish may be called from any thread;
// the free functions only read.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "journal/mutex.h"
#include "journal/thread_annotations.h"
#include "pa_journal/file_system.h"

namespace pa_journal {

struct DurableEnd {
  uint64_t seq = 0;      // the newest durable record, 0 if none
  int64_t time_ns = 0;   // its commit time
  uint64_t segment = 0;  // first seq in the name of the segment holding it; 0: none
  uint64_t end = 0;      // where its frame ends in that segment
  bool operator==(const DurableEnd&) const = default;
};

// One slot (format::kDurableEndSlotSize bytes) holding end under counter.
std::string encode_durable_end_slot(const DurableEnd& end, uint64_t counter);

// The value of the slot with the largest counter among those that verify,
// and that counter; nullopt if none does (a missing, short or damaged file).
struct PublishedEnd {
  DurableEnd end;
  uint64_t counter = 0;
};
std::optional<PublishedEnd> decode_durable_end(std::string_view file);

// decode_durable_end of journal/DURABLE in journal_dir; nullopt if it is
// missing or cannot be read.
std::optional<DurableEnd> read_durable_end(FileSystem& fs,
                                           const std::string& journal_dir);

// The end a writer in this process has made readable in journal_dir (any
// spelling of it: compared by FileSystem::real_path), nullopt if no writer of
// this process has it open.
std::optional<DurableEnd> written_end_in_process(FileSystem& fs,
                                                 const std::string& journal_dir);

class DurableEndPublisher {
 public:
  DurableEndPublisher(std::shared_ptr<FileSystem> fs, const std::string& journal_dir);
  ~DurableEndPublisher();  // readers in this process go back to the file
  DurableEndPublisher(const DurableEndPublisher&) = delete;
  DurableEndPublisher& operator=(const DurableEndPublisher&) = delete;

  // Writes end into the next slot (FileSystem::write_at, not synced), unless
  // a value at or past end.seq was published already, and shows it to readers
  // in this process. Best effort: a failure leaves readers an older end, which
  // is safe; the next publish tries again.
  // Never throws: the commits it follows are durable whatever it does.
  void publish(const DurableEnd& end) noexcept EXCLUDES(mu_);
  // Shows end to readers in this process only: records written, not synced
  // (durability interval and none). Never throws.
  void note_written(const DurableEnd& end) noexcept;

 private:
  std::shared_ptr<FileSystem> fs_;
  const std::string path_;
  const std::string key_;  // the journal's real path
  Mutex mu_;
  uint64_t counter_ GUARDED_BY(mu_) = 0;  // of the newest slot in the file
  std::optional<uint64_t> published_seq_ GUARDED_BY(mu_);
  uint64_t published_segment_ GUARDED_BY(mu_) = 0;  // beside published_seq_
  // The newest value in the file when it was opened: not written again.
  std::optional<DurableEnd> in_file_ GUARDED_BY(mu_);
};

}  // namespace pa_journal
