#include "journal/journal_writer.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <new>

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "journal/record_codec.h"
#include "journal/spin_wait.h"
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
      reservation_(options.durability, options.segment_bytes),
      durable_end_(fs_, dir_) {
  FileTurn turn(&turn_);  // no other thread has seen this writer yet
  if (tail.newest_segment) {
    file_name_ = *tail.newest_segment;
    std::optional<FileName> parsed = parse_file_name(in_journal(file_name_));
    if (parsed && parsed->type == FileType::kSegment) file_number_ = parsed->number;
    std::string path = join_path(dir_, file_name_);
    file_bytes_ = Reservation::cut_leftover(*fs_, path, tail.newest_data_end);
    file_ = fs_->open_appendable(path);
    reservation_.reset(file_bytes_);
  }
  publish_durable_end(tail.next_seq - 1, tail.last_time_ns, file_number_, file_bytes_);
  if (options_.durability == Durability::kInterval) {
    interval_thread_ = std::thread([this] { interval_loop(); });
  }
}

JournalWriter::~JournalWriter() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (interval_thread_.joinable()) interval_thread_.join();
  try {
    sync();
    FileTurn turn(&turn_);  // the last thread to use this writer
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
    MutexLock lock(&mu_);
    // Durable first: a later batch may have failed since the check above.
    if (durable_seq_.load(std::memory_order_relaxed) >= seq) return;
    if (seq >= next_seq_) {
      throw InvalidInputError("no commit numbered " + std::to_string(seq) +
                              " has been made; the last is " +
                              std::to_string(next_seq_ - 1));
    }
    throw_if_failed();
    if (options_.durability != Durability::kAlways) {
      // Numbered but queued: a roller, or the commit after it, writes it.
      ++durable_waiters_;
      cv_.wait(&mu_);
      --durable_waiters_;
      continue;
    }
    if (!syncing_) {
      lead_sync();
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
// for up to kSpinWaitNs (unless Options::spin_waits is off), then asleep.
void JournalWriter::await_sync_after(uint32_t generation) {
  auto same = [&] {
    return sync_generation_.load(std::memory_order_acquire) == generation;
  };
  if (spin_while(same, options_.spin_waits ? kSpinWaitNs : 0)) return;
  sync_generation_.wait(generation, std::memory_order_acquire);
}

Record JournalWriter::enqueue(std::vector<Operation> ops, std::string origin,
                              const Stage& stage, const Prepare& prepare) {
  MutexLock lock(&mu_);
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
  write_queued(record.seq);
  return record;
}

// Under kNone and kInterval; see "Rolls" in the class comment.
void JournalWriter::write_queued(uint64_t seq) {
  bool rolled = false;  // one roll per batch, as write_batch does
  for (;;) {
    if (durable_seq_.load(std::memory_order_relaxed) >= seq) return;  // a roller wrote it
    if (!failure_.empty()) {
      throw JournalFailedError("journal write failed, commit " + std::to_string(seq) +
                               " not acknowledged: " + failure_);
    }
    if (rolling_) {
      cv_.wait(&mu_);
      continue;
    }
    bool roll;
    {
      FileTurn turn(&turn_);  // mu_ held and no roller
      roll = !file_ || (!rolled && file_bytes_ >= options_.segment_bytes && !presyncing_);
    }
    if (roll) {
      roll_off_lock(pending_first_seq_);
      rolled = true;
      continue;
    }
    bool crosses;
    uint64_t written_end = 0;
    uint64_t segment = 0;
    {
      FileTurn turn(&turn_);  // mu_ held and no roller
      crosses = file_bytes_ < options_.segment_bytes &&
                file_bytes_ + pending_.size() >= options_.segment_bytes;
      try {
        // Written straight from pending_, which keeps its capacity for the next.
        batch_start_ = file_bytes_;
        append_batch(pending_, /*durably=*/false);
        pending_.clear();
        written_end = file_bytes_;
        segment = file_number_;
      } catch (const std::exception& e) {  // StorageError, or bad_alloc
        pending_.clear();
        cut_failed_batch();
        fail(e.what());
        continue;  // reported by the failure check above
      }
    }
    const uint64_t written = next_seq_ - 1;
    publish_durable_end(written, last_time_ns_, segment, written_end, /*durable=*/false);
    show(written);  // rule 6: as soon as written, in these modes
    durable_seq_.store(written, std::memory_order_release);  // as these modes promise
    // A wait_durable for a commit queued during a roll (compaction's, after
    // its capture) is woken by the write, which may come after the roll ends.
    if (durable_waiters_ > 0) cv_.notify_all();
    if (crosses) presync(written);
    return;
  }
}

// Step b of a roll: the queued records (from first on) go into a new
// segment, which is made ready without mu_.
void JournalWriter::roll_off_lock(uint64_t first) {
  rolling_ = true;
  mu_.unlock();
  std::string error;
  {
    FileTurn turn(&turn_);  // rolling_ set: the roller's
    try {
      roll_to(first);
      reservation_.reserve_ahead(*file_, file_bytes_);
    } catch (const std::exception& e) {  // StorageError, or bad_alloc
      error = e.what();
    }
  }
  mu_.lock();
  rolling_ = false;
  cv_.notify_all();  // the queued commits: written by the caller next, or failed
  if (!error.empty()) {
    pending_.clear();
    fail(error);
  }
}

// See "Requested rolls" in the class comment.
bool JournalWriter::roll(uint64_t at_least) {
  MutexLock lock(&mu_);
  throw_if_failed();
  const bool rolled = options_.durability == Durability::kAlways
                          ? roll_as_leader(at_least)
                          : roll_between_writes(at_least);
  throw_if_failed();  // the roll itself failed
  return rolled;
}

// Under kNone and kInterval: step a, then step b, each once no roll runs.
bool JournalWriter::roll_between_writes(uint64_t at_least) {
  for (bool synced = false;;) {
    while (rolling_) cv_.wait(&mu_);
    throw_if_failed();
    {
      FileTurn turn(&turn_);                              // mu_ held and no roller
      if (!newest_holds_records(at_least)) return false;  // none yet, or rolled meanwhile
    }
    if (synced) break;
    sync_unlocked(next_seq_ - 1);  // the bulk, while commits go on
    synced = true;
  }
  const uint64_t first = first_unwritten();
  const bool queued = !pending_.empty();
  const int64_t last_time = last_time_ns_;
  roll_off_lock(first);
  if (!failure_.empty() || queued) return true;  // the queued commits publish
  FileTurn turn(&turn_);  // mu_ held: file_number_ is read by a holder of mu_
  if (file_number_ == first) {
    publish_durable_end(first - 1, last_time, first, file_bytes_);
  }
  return true;
}

// Under kAlways: the roll is made by whoever has the leader's turn.
bool JournalWriter::roll_as_leader(uint64_t at_least) {
  while (syncing_) {
    uint32_t generation = sync_generation_.load(std::memory_order_relaxed);
    mu_.unlock();
    await_sync_after(generation);
    mu_.lock();
  }
  throw_if_failed();
  {
    FileTurn turn(&turn_);  // mu_ held and no leader: no one writes
    if (!newest_holds_records(at_least)) return false;
  }
  syncing_ = true;  // committers queue and wait on sync_generation_
  const uint64_t first = first_unwritten();
  const bool queued = !pending_.empty();
  const int64_t last_time = last_time_ns_;
  mu_.unlock();
  std::string error;
  {
    FileTurn turn(&turn_);  // syncing_ set: the leader's
    try {
      roll_to(first);
      if (!queued) publish_durable_end(first - 1, last_time, first, file_bytes_);
    } catch (const std::exception& e) {  // StorageError, or bad_alloc
      error = e.what();
    }
  }
  mu_.lock();
  syncing_ = false;
  if (!error.empty()) fail(error);
  sync_generation_.fetch_add(1, std::memory_order_release);
  sync_generation_.notify_all();  // the committers that queued meanwhile lead
  return true;
}

// Step a of a roll: a sync of the full segment, while commits go on into it.
void JournalWriter::presync(uint64_t target) {
  presyncing_ = true;
  try {
    sync_unlocked(target);
  } catch (const StorageError&) {
    // fail() recorded it; this commit was written, as these modes promise.
  }
  presyncing_ = false;
}

// See the class comment. Called by the leader with syncing_ set, so that
// arriving committers queue their frames and wait for this sync.
void JournalWriter::linger() {
  const size_t expected = peak_waiters_;
  if (!options_.linger || last_sync_ns_ <= 0) return;
  auto too_few = [&] {
    return pending_records_.load(std::memory_order_relaxed) < expected;
  };
  if (!too_few()) return;
  int64_t budget = std::min(last_sync_ns_ / 2, kMaxLingerNs);
  mu_.unlock();
  bool joined = spin_while(too_few, budget);
  mu_.lock();
  if (!joined) {
    peak_waiters_ = std::max<size_t>(pending_records_.load(std::memory_order_relaxed), 1);
  }
}

// Writes and syncs everything queued, with mu_ released during the I/O so that
// other committers can queue the next batch meanwhile.
void JournalWriter::lead_sync() {
  syncing_ = true;
  linger();
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
  mu_.unlock();
  auto start = std::chrono::steady_clock::now();
  if (error.empty()) {
    FileTurn turn(&turn_);  // syncing_ set: the leader's
    try {
      write_batch(frames, first, /*durably=*/true);
      publish_durable_end(last, last_time, file_number_, file_bytes_);  // rule 7
    } catch (const std::exception& e) {  // StorageError, or bad_alloc
      error = e.what();
      cut_failed_batch();
    }
  }
  auto took = std::chrono::steady_clock::now() - start;
  mu_.lock();
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
  append_batch(frames, durably);
}

void JournalWriter::append_batch(const std::string& frames, bool durably) {
  reservation_.make_room(*file_, file_bytes_, frames.size());
  if (durably) {
    file_->append_durably(frames);
  } else {
    file_->append(frames);
  }
  file_bytes_ += frames.size();
}

// Step 3 of the crash-safety argument.
void JournalWriter::roll_to(uint64_t first_seq) {
  if (file_) {
    file_->sync();
    file_->close();
    file_.reset();
  }
  file_name_ = segment_name(first_seq);
  file_number_ = first_seq;
  create_dir_durably(*fs_, dir_);
  const std::string path = join_path(dir_, file_name_);
  std::string header = encode_segment_header(first_seq);
  std::unique_ptr<WritableFile> file;
  try {
    file = fs_->new_writable(path);
    file->append(header);
    file->sync();
    fs_->sync_dir(dir_);
  } catch (const StorageError&) {
    // It holds no record: removed, once and best effort, so that a reopen
    // does not find a torn header (rule 5); a crash finds it as rule 3 says.
    try {
      fs_->remove(path);
    } catch (const StorageError&) {
    }
    throw;
  }
  file_ = std::move(file);
  file_bytes_ = header.size();
  reservation_.reset(file_bytes_);
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
  MutexLock lock(&mu_);
  throw_if_failed();
  if (options_.durability == Durability::kAlways) {
    uint64_t last = next_seq_ - 1;  // includes a sync in flight
    lock.unlock();
    wait_durable(last);
    return;
  }
  while (rolling_) cv_.wait(&mu_);  // the roller writes what is queued
  throw_if_failed();
  sync_unlocked(next_seq_ - 1);
}

// Syncs every record up to target (all written: mu_ held, no roll running)
// through a second handle of the newest segment and without mu_: an
// fdatasync of a segment's worth of page cache takes tens of milliseconds,
// which commits would otherwise wait out. Everything up to target is in this
// segment or in older ones, which roll_to synced in full.
void JournalWriter::sync_unlocked(uint64_t target) {
  // Another thread's sync may be running: it is no proof for what was
  // written before this call unless it has finished, hence synced_seq_.
  std::string name;
  uint64_t number = 0;
  uint64_t target_end = 0;
  const int64_t target_time = last_time_ns_;  // target is the last written
  {
    FileTurn turn(&turn_);  // mu_ held and no roller
    if (synced_seq_ >= target || !file_) return;
    name = file_name_;
    number = file_number_;
    target_end = file_bytes_;
  }
  mu_.unlock();
  std::string error;
  try {
    fs_->open_appendable(join_path(dir_, name))->sync();
    publish_durable_end(target, target_time, number, target_end);
  } catch (const StorageError& e) {
    error = e.what();
  }
  mu_.lock();
  if (!error.empty()) {
    // A roll that began meanwhile decides: only once it has ended, and only if
    // it succeeded, has its sync of the old segment covered target.
    while (rolling_) cv_.wait(&mu_);
    bool same_segment;
    {
      FileTurn turn(&turn_);  // mu_ held and no roller
      same_segment = file_name_ == name;
    }
    if (same_segment) {
      fail(error);
      throw JournalFailedError("journal sync failed: " + error);
    }
    throw_if_failed();  // rolled meanwhile (perhaps compacted away): roll_to's sync
                        // counts
  }
  synced_seq_ = std::max(synced_seq_, target);
}

void JournalWriter::interval_loop() {
  MutexLock lock(&mu_);
  auto period = std::chrono::milliseconds(options_.sync_interval_ms);
  while (!stopping_) {
    // cv_ also wakes for the end of a roll: sleep out the whole period.
    auto due = std::chrono::steady_clock::now() + period;
    while (!stopping_ && std::chrono::steady_clock::now() < due) {
      cv_.wait_for(&mu_, due - std::chrono::steady_clock::now());
    }
    if (stopping_) return;
    lock.unlock();
    try {
      sync();
    } catch (const StorageError&) {
      // fail() recorded it; every later commit reports it.
    }
    lock.lock();
  }
}

void JournalWriter::publish_durable_end(uint64_t seq, int64_t time_ns, uint64_t segment,
                                        uint64_t end, bool durable) noexcept {
  DurableEnd at{seq, time_ns, segment, segment != 0 ? end : 0};
  if (durable) {
    durable_end_.publish(at);
  } else {
    durable_end_.note_written(at);
  }
}

void JournalWriter::fail(const std::string& why) {
  if (failure_.empty()) failure_ = why;
  // A wait_durable asleep for a commit that will now never be written (one
  // queued during a roll, whose write failed) must wake to report it; it
  // slept until the store was closed, and the close waited for it.
  cv_.notify_all();
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
  MutexLock lock(&mu_);
  return next_seq_ - 1;
}

int64_t JournalWriter::last_time_ns() const {
  MutexLock lock(&mu_);
  return last_time_ns_;
}

std::string JournalWriter::failure() const {
  MutexLock lock(&mu_);
  return failure_;
}

}  // namespace pa_journal
