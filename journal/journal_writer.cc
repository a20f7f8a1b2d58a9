#include "journal/journal_writer.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <new>

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "pa_journal/time.h"

namespace pa_journal {

JournalWriter::JournalWriter(std::shared_ptr<FileSystem> fs, std::string journal_dir,
                             const Options& options, Tail tail)
    : fs_(std::move(fs)),
      dir_(std::move(journal_dir)),
      options_(options),
      next_seq_(tail.next_seq),
      last_time_ns_(tail.last_time_ns),
      durable_seq_(tail.next_seq - 1),
      durable_end_(fs_, dir_) {
  if (tail.newest_segment) {
    file_name_ = *tail.newest_segment;
    std::string path = join_path(dir_, file_name_);
    file_bytes_ = fs_->file_size(path);
    uint64_t end = tail.newest_data_end;
    if (end > 0 && end < file_bytes_) {
      fs_->truncate(path, end);  // only reserved space lies beyond end
      file_bytes_ = end;
    }
    file_ = fs_->open_appendable(path);
    reserved_end_ = file_bytes_;
  }
  publish_durable_end(tail.next_seq - 1, tail.last_time_ns, file_name_, file_bytes_);
  if (options_.durability == Durability::kInterval) {
    interval_thread_ = std::thread([this] { interval_loop(); });
  }
}

JournalWriter::~JournalWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (interval_thread_.joinable()) interval_thread_.join();
  try {
    sync();
    if (file_) file_->close();
  } catch (const StorageError&) {
    // Nothing unsynced was acknowledged under kAlways; under the other modes
    // the caller chose to let the OS decide.
  }
}

Record JournalWriter::commit(std::vector<Operation> ops, std::string origin,
                             const Stage& stage) {
  Record record = enqueue(std::move(ops), std::move(origin), stage);
  wait_durable(record.seq);
  return record;
}

// Checks durable_seq_ without mu_ first, so that the committers a sync
// releases return without queueing for mu_ one after another.
void JournalWriter::wait_durable(uint64_t seq) {
  while (durable_seq_.load(std::memory_order_acquire) < seq) {
    std::unique_lock<std::mutex> lock(mu_);
    // Durable first: a later batch may have failed since the check above.
    if (durable_seq_.load(std::memory_order_relaxed) >= seq) return;
    if (seq >= next_seq_) {
      throw InvalidInputError("no commit numbered " + std::to_string(seq) +
                              " has been made; the last is " +
                              std::to_string(next_seq_ - 1));
    }
    throw_if_failed();
    if (!syncing_) {
      lead_sync(lock);
      lock.unlock();  // the committers it releases need no lock to see that
      sync_generation_.notify_all();
      continue;
    }
    uint32_t generation = sync_generation_.load(std::memory_order_relaxed);
    lock.unlock();
    await_sync_after(generation);
  }
}

// Returns once the sync generation has moved on from generation: yielding
// for up to kSpinWaitNs, then asleep (see the class comment).
void JournalWriter::await_sync_after(uint32_t generation) {
  auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(kSpinWaitNs);
  while (sync_generation_.load(std::memory_order_acquire) == generation) {
    if (std::chrono::steady_clock::now() >= until) {
      sync_generation_.wait(generation, std::memory_order_acquire);
      return;
    }
    std::this_thread::yield();
  }
}

Record JournalWriter::enqueue(std::vector<Operation> ops, std::string origin,
                              const Stage& stage, const Prepare& prepare) {
  std::unique_lock<std::mutex> lock(mu_);
  throw_if_failed();
  // Strictly increasing times make "the state at T" name one record exactly,
  // so after a commit at the largest time there is no time left to give.
  constexpr int64_t kLastTime = std::numeric_limits<int64_t>::max();
  if (last_time_ns_ == kLastTime) {
    throw StorageError("no commit time is left: a commit already has the largest time " +
                       format_time_ns(kLastTime) +
                       " the store can hold; check the commit clock");
  }
  Record record{next_seq_, std::max(now_ns(), last_time_ns_ + 1), std::move(ops),
                std::move(origin)};
  if (prepare) prepare(record);  // may throw: nothing has changed yet
  // Every check that can refuse the record comes before stage(), which
  // applies it to the caller's state; a refused record's frame is cut off
  // pending_ again.
  size_t queued = pending_.size();
  try {
    size_t payload_bytes = append_record_frame(&pending_, format::kTypeCommit, record);
    if (payload_bytes > format::kMaxPayloadSize) {
      throw InvalidInputError("commit too large: " + std::to_string(payload_bytes) +
                              " bytes encoded, the limit is " +
                              std::to_string(format::kMaxPayloadSize));
    }
    stage(record);
  } catch (...) {  // a refusal, or memory: no part of the frame stays queued
    pending_.resize(queued);
    throw;
  }
  if (queued == 0) pending_first_seq_ = record.seq;
  ++next_seq_;
  last_time_ns_ = record.time_ns;
  if (options_.durability == Durability::kAlways) {
    size_t queued_records = pending_records_.fetch_add(1, std::memory_order_relaxed) + 1;
    peak_waiters_ = std::max(peak_waiters_, queued_records);
    return record;
  }
  try {
    // Written straight from pending_, which keeps its capacity for the next.
    write_batch(pending_, pending_first_seq_, /*durably=*/false);
    pending_.clear();
    show(record.seq);                  // rule 6: as soon as written, in these modes
  } catch (const std::exception& e) {  // StorageError, or bad_alloc
    pending_.clear();
    cut_failed_batch();
    fail(e.what());
    throw JournalFailedError("journal write failed, commit " +
                             std::to_string(record.seq) +
                             " not acknowledged: " + e.what());
  }
  publish_durable_end(record.seq, record.time_ns, file_name_, file_bytes_,
                      /*durable=*/false);
  durable_seq_.store(record.seq, std::memory_order_release);  // as this mode promises
  return record;
}

// See the class comment. Called by the leader with syncing_ set, so that
// arriving committers queue their frames and wait for this sync.
void JournalWriter::linger(std::unique_lock<std::mutex>& lock) {
  const size_t expected = peak_waiters_;
  if (pending_records_.load(std::memory_order_relaxed) >= expected || last_sync_ns_ <= 0)
    return;
  auto until = std::chrono::steady_clock::now() +
               std::chrono::nanoseconds(std::min(last_sync_ns_ / 2, kMaxLingerNs));
  lock.unlock();
  while (pending_records_.load(std::memory_order_relaxed) < expected &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
  }
  lock.lock();
  size_t arrived = pending_records_.load(std::memory_order_relaxed);
  if (arrived < expected) peak_waiters_ = std::max<size_t>(arrived, 1);
}

// Writes and syncs everything queued, with mu_ released during the I/O so that
// other committers can queue the next batch meanwhile.
void JournalWriter::lead_sync(std::unique_lock<std::mutex>& lock) {
  syncing_ = true;
  linger(lock);
  std::string frames;
  frames.swap(pending_);
  pending_records_ = 0;
  uint64_t first = pending_first_seq_;
  uint64_t last = next_seq_ - 1;
  int64_t last_time = last_time_ns_;  // of record last
  std::string error;
  try {
    if (visibility_.cut) visibility_.cut(last);  // rule 6
  } catch (const std::exception& e) {            // bad_alloc: the batch is not written
    error = e.what();
  }
  lock.unlock();
  auto start = std::chrono::steady_clock::now();
  if (error.empty()) {
    try {
      write_batch(frames, first, /*durably=*/true);
      publish_durable_end(last, last_time, file_name_, file_bytes_);  // rule 7
    } catch (const std::exception& e) {  // StorageError, or bad_alloc
      error = e.what();
      cut_failed_batch();
    }
  }
  auto took = std::chrono::steady_clock::now() - start;
  lock.lock();
  last_sync_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
  syncing_ = false;
  if (error.empty()) {
    if (visibility_.publish) visibility_.publish(last);  // before the release
    durable_seq_.store(last, std::memory_order_release);
  } else {
    fail(error);
  }
  sync_generation_.fetch_add(1, std::memory_order_release);  // the caller notifies
}

// Rule 6 under kInterval and kNone: the commit just written is shown.
void JournalWriter::show(uint64_t seq) {
  if (visibility_.cut) visibility_.cut(seq);
  if (visibility_.publish) visibility_.publish(seq);
}

void JournalWriter::write_batch(const std::string& frames, uint64_t first_seq,
                                bool durably) {
  batch_start_.reset();
  if (!file_ || file_bytes_ >= options_.segment_bytes) roll_to(first_seq);
  batch_start_ = file_bytes_;
  reserve_for(frames.size());
  if (durably) {
    file_->append_durably(frames);
  } else {
    file_->append(frames);
  }
  file_bytes_ += frames.size();
}

// Step 4 of the crash-safety argument. Reserves kReserveBytes at a time, or
// what is left of the segment if less, or the batch if it is larger.
void JournalWriter::reserve_for(uint64_t batch_bytes) {
  if (file_bytes_ + batch_bytes <= reserved_end_) return;
  uint64_t room =
      options_.segment_bytes > file_bytes_ ? options_.segment_bytes - file_bytes_ : 0;
  uint64_t bytes = std::max(batch_bytes, std::min(kReserveBytes, room));
  bool synced_each = options_.durability == Durability::kAlways;
  try {
    file_->reserve(bytes, format::kReservedFill, /*rarely_synced=*/!synced_each);
  } catch (const IoError&) {
    // A nearly full disk may still hold the batch: the space ahead is an
    // optimisation, the batch is not. The fill written so far lies beyond the
    // data's end, where it is reserved space. A second failure stands.
    if (bytes == batch_bytes) throw;
    bytes = batch_bytes;
    file_->reserve(bytes, format::kReservedFill, /*rarely_synced=*/!synced_each);
  }
  if (options_.durability != Durability::kNone) file_->sync();
  reserved_end_ = file_bytes_ + bytes;
}

// Step 3 of the crash-safety argument.
void JournalWriter::roll_to(uint64_t first_seq) {
  if (file_) {
    file_->sync();
    file_->close();
    file_.reset();
  }
  file_name_ = segment_name(first_seq);
  create_dir_durably(*fs_, dir_);
  auto file = fs_->new_writable(join_path(dir_, file_name_));
  std::string header = encode_segment_header(first_seq);
  file->append(header);
  file->sync();
  fs_->sync_dir(dir_);
  file_ = std::move(file);
  file_bytes_ = header.size();
  reserved_end_ = file_bytes_;
}

// Step 5 of the crash-safety argument: best effort, by whoever owns file_.
void JournalWriter::cut_failed_batch() {
  if (!batch_start_) return;
  try {
    fs_->truncate(join_path(dir_, file_name_), *batch_start_);
  } catch (const StorageError&) {
    // The failed commits' outcome stays unknown, as after a crash.
  }
  batch_start_.reset();
}

void JournalWriter::sync() {
  std::unique_lock<std::mutex> lock(mu_);
  throw_if_failed();
  if (options_.durability == Durability::kAlways) {
    uint64_t last = next_seq_ - 1;  // includes a sync in flight
    lock.unlock();
    wait_durable(last);
    return;
  }
  // Another thread's sync may be running: it is no proof for what was
  // written before this call unless it has finished, hence synced_seq_.
  const uint64_t target = next_seq_ - 1;
  if (synced_seq_ >= target || !file_) return;
  std::string name = file_name_;
  const int64_t target_time = last_time_ns_;
  const uint64_t target_end = file_bytes_;
  lock.unlock();
  // Through a second handle of the segment and without mu_: an fdatasync of
  // a segment's worth of page cache takes tens of milliseconds, which commits
  // would otherwise wait out. Everything up to target is in this segment or
  // in older ones, which roll_to synced in full.
  std::string error;
  try {
    fs_->open_appendable(join_path(dir_, name))->sync();
    publish_durable_end(target, target_time, name, target_end);
  } catch (const StorageError& e) {
    error = e.what();
  }
  lock.lock();
  if (!error.empty()) {
    if (file_name_ == name) {
      fail(error);
      throw JournalFailedError("journal sync failed: " + error);
    }
    throw_if_failed();  // rolled meanwhile (perhaps compacted away): roll_to's sync
                        // counts
  }
  synced_seq_ = std::max(synced_seq_, target);
}

void JournalWriter::interval_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  auto period = std::chrono::milliseconds(options_.sync_interval_ms);
  while (!cv_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    try {
      sync();
    } catch (const StorageError&) {
      // fail() recorded it; every later commit reports it.
    }
    lock.lock();
  }
}

void JournalWriter::publish_durable_end(uint64_t seq, int64_t time_ns,
                                        const std::string& segment, uint64_t end,
                                        bool durable) noexcept {
  try {
    std::optional<FileName> parsed = parse_file_name(in_journal(segment));
    bool named = !segment.empty() && parsed && parsed->type == FileType::kSegment;
    DurableEnd at{seq, time_ns, named ? parsed->number : 0, named ? end : 0};
    if (durable) {
      durable_end_.publish(at);
    } else {
      durable_end_.note_written(at);
    }
  } catch (const std::bad_alloc&) {
    // Readers keep the older end; the commits are no less durable.
  }
}

void JournalWriter::fail(const std::string& why) {
  if (failure_.empty()) failure_ = why;
}

void JournalWriter::throw_if_failed() const {
  if (!failure_.empty()) {
    throw JournalFailedError(
        "the journal stopped accepting writes after an I/O failure (" + failure_ +
        "); nothing after it was acknowledged; reopen the store to recover from what "
        "is durable");
  }
}

int64_t JournalWriter::now_ns() const {
  if (options_.clock_ns) return options_.clock_ns();
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint64_t JournalWriter::last_seq() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_seq_ - 1;
}

int64_t JournalWriter::last_time_ns() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_time_ns_;
}

std::string JournalWriter::failure() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

}  // namespace pa_journal
