// Appends commits to the segmented journal with group commit.
//
// Crash-safety argument
// ---------------------
// 1. A record is acknowledged (commit() returns) only after the bytes of its
//    frame, and of every frame before it, have been written and, under
//    Durability::kAlways, made durable (fdatasync, or one O_DIRECT|O_DSYNC
//    write: WritableFile::append_durably). Frames are written in sequence order by
//    one thread at a time, so the durable part of the journal is always a
//    prefix of the issued commits.
// 2. A crash in the middle of an append leaves a torn frame at the end of the
//    newest segment. Its checksum fails or its length runs past the end of the
//    file, so the reader sees it, and the default recovery mode cuts it off
//    before the next commit is appended.
// 3. A new segment is created, given its header, fsynced and its directory
//    fsynced before any record is written to it; before that, the previous
//    segment is fsynced in full. So no segment other than the newest can end
//    in a torn frame, and a crash during creation leaves at worst a newest
//    segment with a torn header, which is cut like a torn frame. None of
//    these syncs runs under mu_ (see "Rolls" below).
// 4. Appends go into space reserved ahead of them (journal/reservation.h
//    states the invariant and the crash argument of a failed reservation),
//    so a commit's sync has only data to make durable, and a direct write
//    into it changes no metadata. A torn append into it leaves a frame cut
//    short by fill, which the reader sees as torn like a frame cut short by
//    the end of the file. No record and no sync is retried (rule 5).
// 5. A failed write or sync leaves the file in an unknown state. The writer
//    never retries and never acknowledges another commit (one whose batch
//    was durable before the failure still is): every later commit or sync
//    throws JournalFailedError until the store is reopened, and
//    reopening reads back only what is durable. The batch whose write or sync
//    failed was not acknowledged, so the writer tries once to truncate its
//    bytes off the segment (everything before them was acknowledged and is
//    kept); if that fails too, those commits may or may not reappear on
//    reopen, as after a crash.
// 6. Visibility follows durability. The writer tells its owner when a
//    batch is cut and when it may be shown to readers (Visibility), both
//    under mu_, in this order: stage() applies each commit to the owner's
//    head as it is queued (validate and encode); under kAlways, the leader
//    that takes the batch calls cut(last seq of the batch) before it lets go
//    of mu_, so the owner can freeze its head at exactly that commit; the
//    batch is appended and synced (append_durably, one sync shared by every
//    committer in the batch); only if that succeeds is publish(last seq)
//    called, and only after it is durable_seq_ moved on, which is what
//    releases the batch's committers. So a reader never sees a commit before
//    it is durable, and a committer reads its own commit once commit()
//    returns. A failed write or sync publishes nothing (rule 5), and a crash
//    at any point takes away only commits that no reader has seen. Under
//    kInterval and kNone, cut() and publish() follow each commit's write:
//    readers may see a commit that a crash takes away, as those modes allow.
// 7. Other processes read only what journal/DURABLE says is durable
//    (journal/durable_end.h): it is published at open, after each sync that
//    makes commits durable (under kAlways before the committers are
//    released) and so at close, never before that sync has returned. Readers
//    in this process read the same end under kAlways, and what was written
//    under the other modes.
//
// Rolls. Under kAlways the leader rolls as it writes, without mu_, so
// committers go on queueing meanwhile. Under kNone and kInterval a roll has
// two steps, neither of them under mu_:
//  a. The commit whose write takes the segment past segment_bytes syncs the
//     segment (sync(), through a second handle) before it returns. Meanwhile
//     commits go on, written past segment_bytes into the same segment, and
//     return as soon as they are written; this sync makes durable the bulk of
//     what the segment holds, which can be tens of megabytes of page cache.
//  b. The next commit that finds the segment full and no step a running
//     becomes the roller: it sets rolling_, takes the file, and without mu_
//     syncs the old segment in full (by now only what was written during
//     step a), closes it, and creates the new one (rule 3). Commits arriving
//     meanwhile are numbered and queued and wait on cv_ (not on mu_); the
//     roller writes them with its own when the new segment is ready. They do
//     not return before that: a commit under these modes returns only once
//     written to the OS, which kill -9 keeps.
// So rule 3 holds as before: every record in the new segment is written after
// the old one's final sync returned. A sync() whose own sync fails while step b
// runs waits for it to end, and takes the segment as synced only if step b
// succeeded (its sync of the old segment); it never reports success for a sync
// that is still running or failed.
//
// Requested rolls (roll(), asked for by compaction before each snapshot) end
// a segment before it is full, so that the segment holding the first record
// after a snapshot starts at most a few commits before it. They go through
// the same steps, so rules 3 and 5 cover them unchanged: under kNone and
// kInterval step a (a sync without mu_, while commits go on) and then step b
// (rolling_ set, the old segment synced in full and the new one created
// without mu_, commits queued meanwhile); under kAlways the roll takes the
// leader's turn (syncing_ set) between two batches, and the batch queued
// meanwhile is written by the next leader into the new segment. The new
// segment is named by the first seq not yet written, so queued commits land
// in it in order, and a crash before any of them is written leaves a newest
// segment that holds only its header: recovery reads it as an empty end of
// the journal and the next writer appends to it. Once the roll is made, and
// only if nothing is queued, the durable end names the new segment with the
// same seq (rule 7: every record up to it is in the synced old segment), so
// that readers in other processes also skip the old one. A requested roll
// costs one more segment file per compaction that asks (store/compactor.h);
// retention removes it with the others once no kept snapshot needs it.
//
// Thread-safety: commit() may be called from any number of threads. Clang's
// analysis checks what each lock guards (journal/thread_annotations.h). The
// newest segment's file (file_ and the fields beside it) is guarded not by a
// lock but by a turn (turn_): under kAlways the leader has it (syncing_ set);
// under the other modes a holder of mu_ has it while rolling_ is unset, and the
// roller while it is set.
//
// Group commit under kAlways: one committer at a time (the leader) writes and
// syncs everything queued so far while the others wait; they all return when
// that sync is done. They wait on an atomic sync generation, not on mu_, and
// check durable_seq_ (atomic) when woken, so the committers one sync releases
// return at once instead of taking mu_ one after another. Before it writes, a
// leader lingers until as many commits are queued as the most seen queued at
// once recently, for at most half the last sync's duration (and
// kMaxLingerNs): committers released by one sync then join the next one
// instead of alternating between two half-full syncs. A lone committer never
// lingers; a linger that times out lowers the expectation to what arrived.
// Both waits go through spin_while (journal/spin_wait.h, which says why it
// yields): a lingering leader yields for all of its linger (without mu_) and
// then gives up; a waiting committer sleeps on the generation at once, or,
// with Options::spin_waits, yields for up to kSpinWaitNs first.
// `pa-journal bench` measures the threaded commit rate with each wait on and
// off (docs/design.md 12): with 8 threads on 2 loaded vCPUs the linger paid
// (1.5x) and the committers' spin did not (0.3x), so the spin is off unless
// asked for.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "journal/durable_end.h"
#include "journal/mutex.h"
#include "journal/reservation.h"
#include "journal/thread_annotations.h"
#include "pa_journal/file_system.h"
#include "pa_journal/options.h"
#include "pa_journal/record.h"

namespace pa_journal {

class JournalWriter {
 public:
  // Where the journal ends after the open-time scan (and any repair): the next
  // sequence number, the last commit time, and the newest segment to append to
  // (none if a new one must be created).
  struct Tail {
    uint64_t next_seq = 1;
    int64_t last_time_ns = 0;
    std::optional<std::string> newest_segment;  // name inside journal_dir
    // Where newest_segment's data ends. Reserved space a crash left beyond it
    // is cut off before the first append.
    uint64_t newest_data_end = 0;
  };

  // Called under the writer's lock once a record has its sequence number and
  // time, before it is queued. It may throw to refuse the record, in which
  // case nothing is appended and the sequence number is not used. The record
  // is encoded before stage() is called, so it may take the record's
  // operations (the state keeps their strings without copying them): the
  // Record that enqueue() and commit() return then holds what it left.
  using Stage = std::function<void(Record&)>;
  // Called under the writer's lock before the record is encoded, so that its
  // operations can be computed against the latest state (a restore does so);
  // it may replace record.ops, or throw to refuse the record.
  using Prepare = std::function<void(Record&)>;

  // The owner's hooks for making commits visible (crash-safety rule 6).
  // Both are called under the writer's lock, with the last seq of a batch.
  // cut() may throw (memory): the batch then fails as if its write had.
  // publish() must not throw, and must do no more than swap a pointer.
  struct Visibility {
    std::function<void(uint64_t last_seq)> cut;
    std::function<void(uint64_t last_seq)> publish;
  };

  JournalWriter(std::shared_ptr<FileSystem> fs, std::string journal_dir,
                const Options& options, Tail tail);
  // Syncs what was written (any durability mode) and closes the segment.
  ~JournalWriter();
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Appends one commit and returns it with its sequence number and time once
  // it is durable under the durability mode: enqueue() then wait_durable().
  Record commit(std::vector<Operation> ops, std::string origin, const Stage& stage);

  // Numbers, stages and queues one commit and returns at once. Under kAlways it
  // is not durable (and must not be acknowledged) until wait_durable(seq)
  // returns; under the other modes it has been written to the OS already.
  Record enqueue(std::vector<Operation> ops, std::string origin, const Stage& stage,
                 const Prepare& prepare = nullptr);
  // Blocks until the commit numbered seq is durable under the durability mode,
  // leading a shared sync if no other thread is. Throws JournalFailedError if
  // a write or sync failed before that commit was durable; a durable commit
  // is never reported as failed, even if a later batch has failed since.
  // Throws InvalidInputError for a seq not handed out yet.
  void wait_durable(uint64_t seq);

  // Syncs everything written so far (used by close, compaction and
  // kInterval). Under kNone and kInterval the fdatasync runs without the
  // writer's lock, through a second handle of the newest segment, so that
  // commits go on meanwhile.
  void sync();

  // Starts a new segment for the next commit, so that a reader of the
  // records after this point need not read those before it (compaction asks
  // before it captures the state it snapshots: docs/readers.md). Does nothing
  // if there is no segment yet or the newest holds no record, or less than
  // at_least bytes (header included) when it is checked. Holds
  // committers up no longer than a roll does ("Rolls" in the class comment):
  // under kNone and kInterval it syncs the segment without mu_ first (step a)
  // and then rolls as step b does; under kAlways it takes the leader's turn
  // between two batches. Returns whether it started a new segment. Throws
  // JournalFailedError if the writer has failed, or if the roll fails, which
  // fails the writer (rule 5).
  bool roll(uint64_t at_least = 0) EXCLUDES(mu_);

  // Before the first commit.
  void set_visibility(Visibility visibility) { visibility_ = std::move(visibility); }

  uint64_t last_seq() const;
  int64_t last_time_ns() const;
  // Empty while healthy; the reason once a write or sync has failed.
  std::string failure() const;

 private:
  // Not a lock: names, for the analysis, the turn to use the newest segment's
  // file (see the class comment for who has it). Code that has it by that
  // protocol says so with a FileTurn, which costs nothing.
  struct CAPABILITY("file turn") Turn {};
  class SCOPED_CAPABILITY FileTurn {
   public:
    explicit FileTurn(Turn* turn) ACQUIRE(turn) NO_THREAD_SAFETY_ANALYSIS { (void)turn; }
    ~FileTurn() RELEASE() NO_THREAD_SAFETY_ANALYSIS {}
  };

  static constexpr int64_t kMaxLingerNs = 1'000'000;
  static constexpr int64_t kSpinWaitNs = 200'000;

  void lead_sync() REQUIRES(mu_);
  void linger() REQUIRES(mu_);
  void await_sync_after(uint32_t generation);
  // Under kNone and kInterval: returns once the queued record seq is written
  // (by this thread, or by a roller), rolling first if the segment is full.
  void write_queued(uint64_t seq) REQUIRES(mu_);
  // Step b: the new segment starts at first, the first seq not yet written.
  void roll_off_lock(uint64_t first) REQUIRES(mu_);
  // roll() under kAlways and under the other modes.
  bool roll_as_leader(uint64_t at_least) REQUIRES(mu_);
  bool roll_between_writes(uint64_t at_least) REQUIRES(mu_);
  // The first seq not yet written: the newest segment holds a record iff it
  // starts before it.
  uint64_t first_unwritten() const REQUIRES(mu_) {
    return pending_.empty() ? next_seq_ : pending_first_seq_;
  }
  bool newest_holds_records(uint64_t at_least) REQUIRES(mu_, turn_) {
    return file_ && file_number_ < first_unwritten() && file_bytes_ >= at_least;
  }
  // Step a of a roll (class comment): syncs the segment up to target.
  void presync(uint64_t target) REQUIRES(mu_);
  void sync_unlocked(uint64_t target) REQUIRES(mu_);
  // Appends frames (the batch from first_seq on), rolling and reserving as
  // needed; if durably, also makes them durable (WritableFile::append_durably).
  void write_batch(const std::string& frames, uint64_t first_seq, bool durably)
      REQUIRES(turn_);
  void append_batch(const std::string& frames, bool durably) REQUIRES(turn_);
  void roll_to(uint64_t first_seq) REQUIRES(turn_);
  void cut_failed_batch() REQUIRES(turn_);
  void fail(const std::string& why) REQUIRES(mu_);
  void throw_if_failed() const REQUIRES(mu_);
  void show(uint64_t seq) REQUIRES(mu_);
  int64_t now_ns() const;
  void interval_loop() EXCLUDES(mu_);
  // Rule 7: records up to seq (committed at time_ns) are durable, and the
  // last of them ends at end in the segment whose first seq is segment (0:
  // none). Under kInterval and kNone, a write also shows what it wrote to
  // readers in this process (durable false: DurableEndPublisher::note_written),
  // as those modes allow. Never throws: what it follows has happened either
  // way. Takes the segment's number, kept beside its name, so that a commit
  // under kNone parses no file name.
  void publish_durable_end(uint64_t seq, int64_t time_ns, uint64_t segment, uint64_t end,
                           bool durable = true) noexcept;

  std::shared_ptr<FileSystem> fs_;
  const std::string dir_;
  const Options options_;

  mutable Mutex mu_;
  CondVar cv_;  // stopping_ set, or a roll ended
  uint64_t next_seq_ GUARDED_BY(mu_);
  int64_t last_time_ns_ GUARDED_BY(mu_);
  std::string pending_ GUARDED_BY(mu_);  // encoded frames not yet written
  uint64_t pending_first_seq_ GUARDED_BY(mu_) = 0;
  // Under kAlways: every record up to it is durable. Under the other modes:
  // written to the OS. Written under mu_; read without it by wait_durable's
  // first check.
  std::atomic<uint64_t> durable_seq_;
  // Bumped (under mu_) and notified when a leader's sync ends, either way.
  std::atomic<uint32_t> sync_generation_{0};
  bool syncing_ GUARDED_BY(mu_) = false;  // a leader is writing
  // Under kNone and kInterval: a roller has the file (step b), or a commit is
  // syncing the full segment (step a).
  bool rolling_ GUARDED_BY(mu_) = false;
  bool presyncing_ GUARDED_BY(mu_) = false;
  // Under kNone and kInterval: threads in wait_durable waiting on cv_ for a
  // queued commit to be written.
  int durable_waiters_ GUARDED_BY(mu_) = 0;
  // Under kNone and kInterval: every record up to it was made durable by a
  // sync that has finished (0 at first: what an earlier process left in the
  // page cache may not be durable yet).
  uint64_t synced_seq_ GUARDED_BY(mu_) = 0;
  std::string failure_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  // Group commit: commits queued for the next sync (each has a committer
  // waiting, or about to; written under mu_, read without it by a lingering
  // leader), the most seen queued at once, and the last sync's duration.
  std::atomic<size_t> pending_records_{0};
  size_t peak_waiters_ GUARDED_BY(mu_) = 1;
  int64_t last_sync_ns_ GUARDED_BY(mu_) = 0;

  Turn turn_;
  std::unique_ptr<WritableFile> file_ GUARDED_BY(turn_);
  // file_name_ is also read under mu_ while rolling_ is unset, when no one
  // else can have the turn (sync(), step a).
  std::string file_name_ GUARDED_BY(turn_);
  uint64_t file_number_ GUARDED_BY(turn_) = 0;  // file_name_'s first seq (0: none)
  uint64_t file_bytes_ GUARDED_BY(turn_) = 0;   // appended to file_name_ so far
  Reservation reservation_ GUARDED_BY(turn_);
  // Where the batch being written starts in file_name_; unset until any
  // roll-over it needs has succeeded.
  std::optional<uint64_t> batch_start_ GUARDED_BY(turn_);

  DurableEndPublisher durable_end_;

  Visibility visibility_;  // set before any commit, then only read
  std::thread interval_thread_;
};

}  // namespace pa_journal
