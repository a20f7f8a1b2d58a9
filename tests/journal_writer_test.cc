// JournalWriter: sequence numbers, commit times, segment roll-over, group
// commit, durability modes and the failed state after a write or sync error.
// The journal is read back with scan_journal in strict mode, which refuses any
// gap, repeat or damage, so "reads clean" means exactly the records written.
#include "journal/journal_writer.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "journal/durable_end.h"
#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "pa_journal/errors.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::FaultFileSystem;
using testing::FaultMode;
using testing::FsOp;

Operation put_op(const std::string& key, const std::string& doc = R"({"v":1})") {
  return {OpKind::kPut, "contacts", key, doc};
}

const JournalWriter::Stage kAcceptAll = [](const Record&) {};

class JournalWriterTest : public ::testing::Test {
 protected:
  std::string journal_dir() const { return dir_.path() + "/journal"; }

  std::unique_ptr<JournalWriter> make_writer(Options options = {},
                                             JournalWriter::Tail tail = {}) {
    return std::make_unique<JournalWriter>(fs_, journal_dir(), options, tail);
  }

  Record commit(JournalWriter& writer, const std::string& key) {
    return writer.commit({put_op(key)}, {}, kAcceptAll);
  }

  // Every record on disk, read with the real file system in `mode`.
  std::vector<Record> read_journal(RecoveryMode mode = RecoveryMode::kStrict) {
    std::vector<Record> records;
    scan_journal(*posix_file_system(), journal_dir(), mode,
                 [&](const Record& r) { records.push_back(r); });
    return records;
  }

  // The tail a writer resumes from, as the store's recovery computes it.
  JournalWriter::Tail scan_tail() {
    ScanReport scan = scan_journal(*posix_file_system(), journal_dir(),
                                   RecoveryMode::kStrict, [](const Record&) {});
    JournalWriter::Tail tail;
    tail.next_seq = scan.next_seq;
    tail.last_time_ns = scan.last_time_ns;
    if (!scan.segments.empty()) tail.newest_segment = scan.segments.back().name;
    return tail;
  }

  // Every segment is named by the sequence number of its first record, holds
  // consecutive records, and was rolled only once it reached segment_bytes.
  void expect_segments_named_by_first_seq(uint64_t segment_bytes, uint64_t total) {
    auto segments = list_segments(*posix_file_system(), journal_dir());
    uint64_t records = 0;
    for (size_t i = 0; i < segments.size(); ++i) {
      SCOPED_TRACE(segments[i].name);
      std::string data = testing::read_bytes(journal_dir() + "/" + segments[i].name);
      SegmentReader reader(segments[i].name, data, true, nullptr);
      ASSERT_TRUE(reader.read_header());
      EXPECT_EQ(reader.first_seq(), segments[i].first_seq);
      Frame frame;
      uint64_t frames = 0;
      while (reader.next(&frame)) {
        EXPECT_EQ(decode_payload(frame.payload).seq, segments[i].first_seq + frames);
        ++frames;
      }
      EXPECT_EQ(reader.good_end(), data.size());
      records += frames;
      if (i + 1 < segments.size()) {
        EXPECT_GE(data.size(), segment_bytes);
        EXPECT_EQ(segments[i + 1].first_seq, segments[i].first_seq + frames);
      }
    }
    EXPECT_EQ(records, total);
    std::vector<uint64_t> seqs;
    scan_journal(*posix_file_system(), journal_dir(), RecoveryMode::kStrict,
                 [&](const Record& r) { seqs.push_back(r.seq); });
    EXPECT_EQ(seqs.size(), total);
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], i + 1);
  }

  testing::TempDir dir_;
  std::shared_ptr<FaultFileSystem> fs_ = std::make_shared<FaultFileSystem>();
};

std::vector<uint64_t> seqs_of(const std::vector<Record>& records) {
  std::vector<uint64_t> seqs;
  for (const auto& r : records) seqs.push_back(r.seq);
  return seqs;
}

std::vector<uint64_t> one_to(uint64_t n) {
  std::vector<uint64_t> seqs;
  for (uint64_t s = 1; s <= n; ++s) seqs.push_back(s);
  return seqs;
}

// --- sequence numbers and times ---

TEST_F(JournalWriterTest, SequenceNumbersStartAtOneAndHaveNoGaps) {
  auto writer = make_writer();
  for (uint64_t i = 1; i <= 20; ++i) {
    EXPECT_EQ(commit(*writer, "k" + std::to_string(i)).seq, i);
  }
  EXPECT_EQ(writer->last_seq(), 20u);
  writer.reset();
  auto records = read_journal();
  EXPECT_EQ(seqs_of(records), one_to(20));
  EXPECT_EQ(records[6].ops, std::vector<Operation>{put_op("k7")});
}

TEST_F(JournalWriterTest, RefusedStageUsesNoSequenceNumberAndAppendsNothing) {
  auto writer = make_writer();
  commit(*writer, "a");
  auto refuse = [](const Record&) { throw InvalidInputError("refused"); };
  EXPECT_THROW(writer->commit({put_op("b")}, {}, refuse), InvalidInputError);
  EXPECT_EQ(commit(*writer, "c").seq, 2u);
  writer.reset();
  auto records = read_journal();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].ops[0].key, "c");
}

// Under kAlways a refused record is encoded after frames queued for the next
// sync; cutting it off must leave those frames whole.
TEST_F(JournalWriterTest, RefusedStageBehindAQueuedCommitLeavesTheQueuedOneWhole) {
  auto writer = make_writer();
  Record queued = writer->enqueue({put_op("a")}, {}, kAcceptAll);  // not yet synced
  auto refuse = [](const Record&) { throw InvalidInputError("refused"); };
  EXPECT_THROW(writer->enqueue({put_op("b")}, {}, refuse), InvalidInputError);
  writer->wait_durable(queued.seq);
  EXPECT_EQ(commit(*writer, "c").seq, 2u);
  writer.reset();
  auto records = read_journal();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].ops[0].key, "a");
  EXPECT_EQ(records[1].ops[0].key, "c");
}

TEST_F(JournalWriterTest, CommitTimesStrictlyIncreaseWhenTheClockStepsBackOrStands) {
  std::vector<int64_t> clock = {1000, 2000, 1500, 900, 3000, 3000, 10};
  size_t tick = 0;
  Options options;
  options.clock_ns = [&] { return clock[tick++]; };
  auto writer = make_writer(options);
  std::vector<int64_t> times;
  for (size_t i = 0; i < clock.size(); ++i) {
    times.push_back(commit(*writer, "k" + std::to_string(i)).time_ns);
  }
  EXPECT_EQ(times, (std::vector<int64_t>{1000, 2000, 2001, 2002, 3000, 3001, 3002}));
  EXPECT_EQ(writer->last_time_ns(), 3002);
  writer.reset();
  std::vector<int64_t> on_disk;
  for (const auto& r : read_journal()) on_disk.push_back(r.time_ns);
  EXPECT_EQ(on_disk, times);
}

TEST_F(JournalWriterTest, CommitTimeStaysAfterTheJournalsLastTimeOnResume) {
  Options options;
  options.clock_ns = [] { return int64_t{5000}; };
  auto writer = make_writer(options);
  commit(*writer, "a");
  writer.reset();

  options.clock_ns = [] { return int64_t{100}; };  // the clock stepped back
  writer = make_writer(options, scan_tail());
  Record record = commit(*writer, "b");
  EXPECT_EQ(record.seq, 2u);
  EXPECT_EQ(record.time_ns, 5001);
}

// A clock at the end of int64_t: the commit after the one at INT64_MAX would
// need a later time. It is refused, and no time overflows or goes backwards.
TEST_F(JournalWriterTest, CommitAfterTheLargestTimeIsRefusedWithoutOverflow) {
  Options options;
  options.clock_ns = [] { return std::numeric_limits<int64_t>::max() - 1; };
  auto writer = make_writer(options);
  EXPECT_EQ(commit(*writer, "a").time_ns, std::numeric_limits<int64_t>::max() - 1);
  EXPECT_EQ(commit(*writer, "b").time_ns, std::numeric_limits<int64_t>::max());
  try {
    commit(*writer, "c");
    ADD_FAILURE() << "a commit was given a time after INT64_MAX";
  } catch (const JournalFailedError& e) {
    ADD_FAILURE() << "the journal failed: " << e.what();
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("no commit time is left"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(writer->last_seq(), 2u);
  EXPECT_EQ(writer->last_time_ns(), std::numeric_limits<int64_t>::max());
  writer.reset();
  std::vector<int64_t> on_disk;
  for (const auto& r : read_journal()) on_disk.push_back(r.time_ns);
  EXPECT_EQ(on_disk, (std::vector<int64_t>{std::numeric_limits<int64_t>::max() - 1,
                                           std::numeric_limits<int64_t>::max()}));
}

TEST_F(JournalWriterTest, OriginIsStoredWithTheRecord) {
  auto writer = make_writer();
  writer->commit({put_op("a")}, "restore to 2026-11-25T10:00:00Z", kAcceptAll);
  writer.reset();
  auto records = read_journal();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].origin, "restore to 2026-11-25T10:00:00Z");
}

// --- segments ---

TEST_F(JournalWriterTest, RollsToANewSegmentPastSegmentBytesNamedByItsFirstSeq) {
  Options options;
  options.segment_bytes = 512;
  options.durability = Durability::kNone;  // quicker; segments roll the same way
  auto writer = make_writer(options);
  for (int i = 1; i <= 200; ++i) commit(*writer, "k" + std::to_string(i));
  writer.reset();
  EXPECT_GE(list_segments(*posix_file_system(), journal_dir()).size(), 20u);
  expect_segments_named_by_first_seq(options.segment_bytes, 200);
}

TEST_F(JournalWriterTest, ResumedWriterAppendsToTheNewestSegment) {
  Options options;
  options.segment_bytes = 512;
  auto writer = make_writer(options);
  for (int i = 1; i <= 30; ++i) commit(*writer, "k" + std::to_string(i));
  writer.reset();
  size_t segments_before = testing::segment_count(dir_.path());

  writer = make_writer(options, scan_tail());
  EXPECT_EQ(commit(*writer, "k31").seq, 31u);
  writer.reset();
  EXPECT_LE(testing::segment_count(dir_.path()), segments_before + 1);
  EXPECT_EQ(seqs_of(read_journal()), one_to(31));
}

// --- group commit ---

TEST_F(JournalWriterTest, GroupCommitAcknowledgesEveryCommitOnceInOrderWithSharedSyncs) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 150;
  constexpr uint64_t kTotal = kThreads * kPerThread;
  // A disk whose sync takes a little while, as real ones do, so that
  // committers queue up behind the leader.
  fs_->set_latency(FsOp::kSync, std::chrono::microseconds(300));
  auto writer = make_writer();  // Durability::kAlways
  fs_->reset_counts();

  std::atomic<uint64_t> staged{0};
  JournalWriter::Stage count_stage = [&](const Record&) { ++staged; };
  std::vector<std::vector<std::pair<uint64_t, std::string>>> acks(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        Record r = writer->commit({put_op(key)}, {}, count_stage);
        acks[t].emplace_back(r.seq, key);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  uint64_t syncs = fs_->count(FsOp::kSync);
  writer.reset();

  // Every commit returned exactly once, with its own sequence number.
  std::map<uint64_t, std::string> key_of_seq;
  for (const auto& thread_acks : acks) {
    ASSERT_EQ(thread_acks.size(), static_cast<size_t>(kPerThread));
    for (size_t i = 1; i < thread_acks.size(); ++i) {
      EXPECT_LT(thread_acks[i - 1].first, thread_acks[i].first);  // program order
    }
    for (const auto& [seq, key] : thread_acks) {
      EXPECT_TRUE(key_of_seq.emplace(seq, key).second) << "seq " << seq << " twice";
    }
  }
  EXPECT_EQ(staged.load(), kTotal);
  ASSERT_EQ(key_of_seq.size(), kTotal);
  EXPECT_EQ(key_of_seq.begin()->first, 1u);
  EXPECT_EQ(key_of_seq.rbegin()->first, kTotal);

  // On disk in sequence order (strict refuses anything else), each record the
  // one its committer was told.
  auto records = read_journal();
  ASSERT_EQ(seqs_of(records), one_to(kTotal));
  for (const auto& r : records) {
    ASSERT_EQ(r.ops.size(), 1u);
    EXPECT_EQ(r.ops[0].key, key_of_seq[r.seq]) << "seq " << r.seq;
  }
  // Concurrent committers shared syncs.
  EXPECT_LT(syncs, kTotal);
  EXPECT_GT(syncs, 0u);
}

TEST_F(JournalWriterTest, GroupCommitBatchesRollSegmentsNamedByTheirFirstSeq) {
  fs_->set_latency(FsOp::kSync, std::chrono::microseconds(200));
  Options options;
  options.segment_bytes = 1024;
  auto writer = make_writer(options);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        commit(*writer, "t" + std::to_string(t) + "-" + std::to_string(i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  writer.reset();
  EXPECT_GE(list_segments(*posix_file_system(), journal_dir()).size(), 5u);
  expect_segments_named_by_first_seq(options.segment_bytes, 400);
}

TEST_F(JournalWriterTest, AlwaysSyncsBeforeACommitReturns) {
  auto writer = make_writer();
  for (int i = 1; i <= 5; ++i) {
    uint64_t before = fs_->count(FsOp::kSync);
    commit(*writer, "k" + std::to_string(i));
    EXPECT_GT(fs_->count(FsOp::kSync), before) << "commit " << i;
  }
}

// --- durability none and interval ---

TEST_F(JournalWriterTest, DurabilityNoneNeverSyncsACommitAndCloseSyncs) {
  Options options;
  options.durability = Durability::kNone;
  auto writer = make_writer(options);
  commit(*writer, "k0");  // creates the segment, whose header is synced
  uint64_t syncs = fs_->count(FsOp::kSync);
  for (int i = 1; i < 100; ++i) commit(*writer, "k" + std::to_string(i));
  EXPECT_EQ(fs_->count(FsOp::kSync), syncs);
  writer.reset();
  EXPECT_EQ(fs_->count(FsOp::kSync), syncs + 1);
  EXPECT_EQ(seqs_of(read_journal()), one_to(100));
}

// Holds the first sync made from now on inside the file system until
// release() (or for at most 5 s), and counts the syncs.
class HeldSync {
 public:
  // Holds the nth sync from now on.
  explicit HeldSync(FaultFileSystem& fs, int nth = 1) : fs_(fs) {
    fs_.set_hook(FsOp::kSync, [this, nth](const std::string&) {
      if (++calls_ != nth) return;
      started_.set_value();
      released_in_time_ =
          released_.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
    });
  }
  ~HeldSync() { fs_.set_hook(FsOp::kSync, nullptr); }
  void wait_until_held() { started_.get_future().wait(); }
  void release() { release_.set_value(); }
  int calls() const { return calls_; }
  bool released_in_time() const { return released_in_time_; }

 private:
  FaultFileSystem& fs_;
  std::promise<void> started_, release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::atomic<int> calls_{0};
  std::atomic<bool> released_in_time_{false};
};

// A sync under kNone (compaction asks for one) can take tens of milliseconds;
// commits must not wait for it.
TEST_F(JournalWriterTest, DurabilityNoneCommitsGoOnWhileASyncRuns) {
  Options options;
  options.durability = Durability::kNone;
  auto writer = make_writer(options);
  commit(*writer, "k0");
  HeldSync held(*fs_);
  std::thread syncer([&] { writer->sync(); });
  held.wait_until_held();
  commit(*writer, "k1");  // blocks for good if the sync holds the writer's lock
  held.release();
  syncer.join();
  EXPECT_TRUE(held.released_in_time()) << "the commit waited for the sync to end";
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(2));
}

// Under kNone a segment's roll syncs it (class comment, "Rolls", step a) without
// the writer's lock: while that sync runs, commits from other threads are
// written (past segment_bytes, into the same segment) and return.
TEST_F(JournalWriterTest, DurabilityNoneCommitsGoOnWhileARollSyncsTheFullSegment) {
  Options options;
  options.durability = Durability::kNone;
  options.segment_bytes = 512;
  auto writer = make_writer(options);
  commit(*writer, "k0");  // creates the first segment, with its syncs
  HeldSync held(*fs_);    // under kNone the next sync is the roll's
  std::atomic<uint64_t> made{1};
  std::thread roller([&] {
    for (int i = 0; i < 1000 && held.calls() == 0; ++i) {
      commit(*writer, "a" + std::to_string(i));
      ++made;
    }
  });
  held.wait_until_held();
  commit(*writer, "b");  // waits out the 5 s hold if the sync holds the lock
  ++made;
  held.release();
  roller.join();
  EXPECT_TRUE(held.released_in_time()) << "the commit waited for the roll's sync";
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(made));
  expect_segments_named_by_first_seq(options.segment_bytes, made);
}

// Step b of a roll under kNone: the old segment's final sync and the new
// segment's creation run without the writer's lock. A commit arriving
// meanwhile is queued and returns once written into the new segment; the
// writer's lock stays free (last_seq() answers) throughout.
TEST_F(JournalWriterTest, DurabilityNoneRollSyncsNotUnderTheWritersLock) {
  Options options;
  options.durability = Durability::kNone;
  options.segment_bytes = 512;
  auto writer = make_writer(options);
  commit(*writer, "k0");  // creates the first segment, with its syncs
  uint64_t made = 1;
  const uint64_t creation_syncs = fs_->count(FsOp::kSync);
  // Fill the segment past segment_bytes, until its step-a sync has run.
  for (int i = 0; i < 1000 && fs_->count(FsOp::kSync) == creation_syncs; ++i) {
    commit(*writer, "a" + std::to_string(i));
    ++made;
  }
  ASSERT_GT(fs_->count(FsOp::kSync), creation_syncs);
  HeldSync held(*fs_);  // the roll's final sync of the old segment
  std::thread roller([&] { commit(*writer, "roller"); });
  held.wait_until_held();
  EXPECT_EQ(writer->last_seq(), made + 1);  // blocks if the sync holds the lock
  std::thread queued([&] { commit(*writer, "queued"); });
  for (int i = 0; i < 2000 && writer->last_seq() < made + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(writer->last_seq(), made + 2) << "the second commit was not numbered";
  held.release();
  roller.join();
  queued.join();
  made += 2;
  EXPECT_TRUE(held.released_in_time()) << "the writer's lock waited for the roll's sync";
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(made));
  expect_segments_named_by_first_seq(options.segment_bytes, made);
  auto segments = list_segments(*posix_file_system(), journal_dir());
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].first_seq, made - 1);  // the roller's and the queued one
}

// --- requested rolls (JournalWriter::roll, asked for by compaction) ---

// A requested roll under kNone holds commits up no longer than a roll at
// segment_bytes does: step a (the bulk of the sync) runs without the lock
// while commits are written into the old segment, and during step b (the old
// segment's final sync) a commit is numbered at once and written into the
// new segment, which is named by it.
TEST_F(JournalWriterTest, DurabilityNoneRequestedRollSyncsNotUnderTheWritersLock) {
  Options options;
  options.durability = Durability::kNone;
  auto writer = make_writer(options);
  for (int i = 0; i < 5; ++i) commit(*writer, "k" + std::to_string(i));
  {
    HeldSync step_a(*fs_);
    std::thread roller([&] { writer->roll(); });
    step_a.wait_until_held();
    commit(*writer, "during_a");  // blocks for good if step a holds the lock
    step_a.release();
    roller.join();
    EXPECT_TRUE(step_a.released_in_time()) << "a commit waited for step a's sync";
  }
  auto segments = list_segments(*posix_file_system(), journal_dir());
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].first_seq, 7u);  // after the commit written during step a
  commit(*writer, "k7");
  {
    HeldSync step_b(*fs_, 2);  // step a's sync, then the old segment's last
    std::thread roller([&] { writer->roll(); });
    std::thread queued;
    for (int i = 0; i < 2000 && step_b.calls() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(step_b.calls(), 2);
    EXPECT_EQ(writer->last_seq(), 7u);  // blocks if step b holds the lock
    queued = std::thread([&] { commit(*writer, "during_b"); });
    for (int i = 0; i < 2000 && writer->last_seq() < 8; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(writer->last_seq(), 8u) << "the commit was not numbered during step b";
    step_b.release();
    roller.join();
    queued.join();
    EXPECT_TRUE(step_b.released_in_time()) << "the writer's lock waited for step b";
  }
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(8));
  segments = list_segments(*posix_file_system(), journal_dir());
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[2].first_seq, 8u);  // the commit queued during step b
}

class RequestedRollTest : public JournalWriterTest,
                          public ::testing::WithParamInterface<Durability> {
 protected:
  Options options() const {
    Options options;
    options.durability = GetParam();
    options.sync_interval_ms = 5;
    return options;
  }
};

// The new segment is named by the next seq and holds only its header until
// the next commit; a second roll with nothing written since does nothing;
// the journal reads clean (strict) and resumes into the empty segment.
TEST_P(RequestedRollTest, StartsASegmentNamedByTheNextSeqAndTheJournalReadsClean) {
  auto writer = make_writer(options());
  writer->roll();  // no segment yet: nothing to do
  EXPECT_FALSE(posix_file_system()->exists(journal_dir()));
  for (int i = 1; i <= 5; ++i) commit(*writer, "k" + std::to_string(i));
  writer->roll();
  writer->roll();  // the newest holds no record: nothing to do
  auto segments = list_segments(*posix_file_system(), journal_dir());
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].first_seq, 6u);
  // Readers in other processes are told to skip the old segment.
  std::optional<DurableEnd> end = read_durable_end(*posix_file_system(), journal_dir());
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->seq, 5u);
  EXPECT_EQ(end->segment, 6u);
  EXPECT_EQ(end->end, format::kSegmentHeaderSize);
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(5));
  // Closed, it holds its header and no reserved space.
  segments = list_segments(*posix_file_system(), journal_dir());
  ASSERT_EQ(segments.size(), 2u);
  EXPECT_EQ(segments[1].bytes, format::kSegmentHeaderSize);

  writer = make_writer(options(), scan_tail());
  commit(*writer, "k6");
  writer->roll();
  commit(*writer, "k7");
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(7));
  segments = list_segments(*posix_file_system(), journal_dir());
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[1].first_seq, 6u);
  EXPECT_EQ(segments[2].first_seq, 7u);
}

// Commits from other threads during a run of rolls all land, in order, each
// in the segment whose name is at or before its seq.
TEST_P(RequestedRollTest, CommitsBesideRollsReadBackInOrder) {
  auto writer = make_writer(options());
  std::atomic<bool> done{false};
  std::atomic<int> rolled{0};
  // Halfway, each committer waits (up to 5 s) for a roll that found records
  // to close: without it, commits under `none` can all land between two
  // rolls and the test would prove nothing about commits beside a roll.
  auto wait_for_a_roll = [&] {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (rolled == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  };
  std::vector<std::thread> committers;
  for (int t = 0; t < 3; ++t) {
    committers.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (i == 50) wait_for_a_roll();
        commit(*writer, "t" + std::to_string(t) + "_" + std::to_string(i));
      }
    });
  }
  std::thread roller([&] {
    for (int i = 0; (i < 30 || rolled == 0) && !done && i < 5000; ++i) {
      if (writer->roll()) ++rolled;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (auto& c : committers) c.join();
  done = true;
  roller.join();
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(300));
  EXPECT_GT(list_segments(*posix_file_system(), journal_dir()).size(), 1u);
}

// A roll whose new segment cannot be made fails the writer (rule 5) and
// leaves no torn header behind: the journal reads clean in strict mode.
TEST_P(RequestedRollTest, FailedRollStopsTheJournalAndLeavesNoTornSegment) {
  auto writer = make_writer(options());
  for (int i = 1; i <= 3; ++i) commit(*writer, "k" + std::to_string(i));
  // The new segment's directory entry: its header is written by then.
  fs_->fail(FsOp::kSyncDir, 1, FaultMode::kOnce);
  EXPECT_THROW(writer->roll(), JournalFailedError);
  EXPECT_THROW(commit(*writer, "k4"), JournalFailedError);
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(3));
  EXPECT_EQ(list_segments(*posix_file_system(), journal_dir()).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Modes, RequestedRollTest,
                         ::testing::Values(Durability::kAlways, Durability::kInterval,
                                           Durability::kNone),
                         [](const auto& param) {
                           return std::string(
                               param.param == Durability::kAlways     ? "always"
                               : param.param == Durability::kInterval ? "interval"
                                                                      : "none");
                         });

// Under kNone and kInterval a commit numbered during a requested roll is
// written by its own thread once the roll ends, and the roller may already be
// waiting for it: compaction rolls, captures a state holding that commit, and
// waits for it to be durable. The write must wake that wait; it once slept
// until the end of the next roll (bench_smoke hung). One trial: a roll held in
// step b (its sync of the old segment), a commit queued meanwhile, the
// roller's wait right after its roll, as compaction's; the queued commit is
// written; then a second roll is held (step a) while the wait must return.
// Returns whether it did. Which of the roller's wait and the queued commit's
// write takes the writer's lock first after the roll is the scheduler's
// choice; the order that hung came in about one trial in two to ten when the
// wake-up was taken out, so a run of 20 trials catches it.
bool wait_returned_while_the_next_roll_was_held(JournalWriter& writer,
                                                FaultFileSystem& fs) {
  writer.commit({put_op("before")}, {}, kAcceptAll);  // the roll has a record to end
  const uint64_t queued_seq = writer.last_seq() + 1;
  std::promise<void> waited;
  std::future<void> wait_returned = waited.get_future();
  std::thread queued;
  {
    HeldSync step_b(fs, 2);  // step a's sync, then the old segment's last
    std::thread roller([&] {
      writer.roll();
      writer.wait_durable(writer.last_seq());  // compaction's order
      waited.set_value();
    });
    for (int i = 0; i < 2000 && step_b.calls() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(step_b.calls(), 2) << "the roll did not reach step b";
    queued = std::thread([&] { writer.commit({put_op("queued")}, {}, kAcceptAll); });
    for (int i = 0; i < 2000 && writer.last_seq() < queued_seq; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(writer.last_seq(), queued_seq) << "no commit was numbered during the roll";
    step_b.release();
    queued.join();  // written (commit returned), so the next roll has a record to end
    HeldSync next_roll(fs);
    std::thread next_roller([&] { writer.roll(); });
    for (int i = 0; i < 2000 && next_roll.calls() < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(next_roll.calls(), 1) << "the second roll did not start";
    // The commit was written before the second roll began, so the wait has
    // nothing left to wait for: the bound (short of HeldSync's own 5 s,
    // after which the second roll would end and wake it) only stops a hang.
    bool returned =
        wait_returned.wait_for(std::chrono::seconds(3)) == std::future_status::ready &&
        next_roll.calls() == 1;  // the second roll still held
    next_roll.release();
    next_roller.join();
    roller.join();
    return returned;
  }
}

// The trials above in mode, on a fresh journal; stops at the first wait
// that did not return.
void expect_waits_return_while_the_next_roll_is_held(
    const std::shared_ptr<FaultFileSystem>& fs, Durability mode) {
  testing::TempDir dir;
  Options options;
  options.durability = mode;
  options.sync_interval_ms = 3'600'000;  // no interval sync among the held ones
  JournalWriter writer(fs, dir.path() + "/journal", options, JournalWriter::Tail{});
  constexpr int kTrials = 20;
  int returned = 0;
  while (returned < kTrials && !::testing::Test::HasFailure() &&
         wait_returned_while_the_next_roll_was_held(writer, *fs)) {
    ++returned;
  }
  EXPECT_EQ(returned, kTrials)
      << "a wait for a commit queued during a roll slept past that commit's write";
}

TEST_F(JournalWriterTest, DurabilityNoneWaitForACommitQueuedDuringARollReturnsOnWrite) {
  expect_waits_return_while_the_next_roll_is_held(fs_, Durability::kNone);
}

TEST_F(JournalWriterTest,
       DurabilityIntervalWaitForACommitQueuedDuringARollReturnsOnWrite) {
  expect_waits_return_while_the_next_roll_is_held(fs_, Durability::kInterval);
}

// A sync still running in another thread has not made anything durable yet:
// a second sync() must not return on the strength of it, even for a commit
// the first one covers (found by the power-loss campaign: a commit
// acknowledged after Store::sync() was lost).
TEST_F(JournalWriterTest, DurabilityNoneSyncDoesNotLeanOnASyncStillRunning) {
  Options options;
  options.durability = Durability::kNone;
  auto writer = make_writer(options);
  commit(*writer, "k0");
  commit(*writer, "k1");  // both syncs below cover it
  HeldSync held(*fs_);
  std::thread first([&] { writer->sync(); });
  held.wait_until_held();
  writer->sync();
  int syncs_when_second_returned = held.calls();
  held.release();
  first.join();
  EXPECT_EQ(syncs_when_second_returned, 2)
      << "the second sync returned without syncing k1";
}

// Holds the first `count` syncs made from now on inside the file system, each
// until its release() (or for at most 5 s), and says when one is held and
// when its thread has left the file system's hook again.
class SyncGates {
 public:
  SyncGates(FaultFileSystem& fs, int count) : fs_(fs), gates_(count) {
    fs_.set_hook(FsOp::kSync, [this](const std::string&) {
      size_t n = static_cast<size_t>(calls_++);
      if (n >= gates_.size()) return;
      Gate& gate = gates_[n];
      gate.held.set_value();
      gate.release.get_future().wait_for(std::chrono::seconds(5));
      gate.left = true;
    });
  }
  ~SyncGates() { fs_.set_hook(FsOp::kSync, nullptr); }
  void wait_until_held(int n) { gates_[n].held.get_future().wait(); }
  void release(int n) { gates_[n].release.set_value(); }
  bool left(int n) const { return gates_[n].left; }

 private:
  struct Gate {
    std::promise<void> held, release;
    std::atomic<bool> left{false};
  };
  FaultFileSystem& fs_;
  std::vector<Gate> gates_;
  std::atomic<int> calls_{0};
};

// The kernel's id of the calling thread, and whether that thread (of this
// process) is asleep: blocked on a lock or a condition variable (state S in
// /proc), not running or runnable.
pid_t this_thread_id() { return static_cast<pid_t>(syscall(SYS_gettid)); }

bool asleep(pid_t thread) {
  std::ifstream in("/proc/self/task/" + std::to_string(thread) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  size_t name_end = stat.rfind(')');  // the state follows the thread's name
  return name_end != std::string::npos && name_end + 2 < stat.size() &&
         stat[name_end + 2] == 'S';
}

// Under kNone a wait_durable for a commit queued during a roll sleeps until
// that commit is written; if its write fails, the failure must wake the wait
// (JournalFailedError), which otherwise slept for good: compaction waits so
// after its capture, and closing the store then hung (the power-loss campaign
// timed out once compactions rolled small journals). One trial: the roll is
// held in step b, a commit is queued, a waiter goes to sleep for it, the roll
// is let go, and the queued commit's write fails once the waiter sleeps
// again. Whether the waiter is asleep on the condition or on the writer's
// lock when the write fails is the scheduler's choice, so several trials run.
bool waiter_woke_when_the_queued_write_failed(
    const std::shared_ptr<FaultFileSystem>& fs) {
  testing::TempDir dir;
  Options options;
  options.durability = Durability::kNone;
  options.sync_interval_ms = 3'600'000;
  // Leaked, with the waiter, if the waiter never wakes: nothing else would
  // wake it, and the test reports that rather than hang.
  auto owned = std::make_unique<JournalWriter>(fs, dir.path() + "/journal", options,
                                               JournalWriter::Tail{});
  JournalWriter& writer = *owned;
  writer.commit({put_op("before")}, {}, kAcceptAll);
  const uint64_t queued_seq = writer.last_seq() + 1;
  std::atomic<pid_t> waiter_tid{0}, queued_tid{0};
  std::promise<void> waited;
  std::future<void> wait_returned = waited.get_future();
  HeldSync step_b(*fs, 2);
  std::thread roller([&] { writer.roll(); });
  for (int i = 0; i < 2000 && step_b.calls() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(step_b.calls(), 2) << "the roll did not reach step b";
  fs->set_hook(FsOp::kAppend, [&](const std::string&) {
    if (this_thread_id() != queued_tid.load()) return;
    for (int i = 0; i < 300 && !asleep(waiter_tid.load()); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    throw IoError("injected: the queued commit's write fails");
  });
  std::thread queued([&] {
    queued_tid = this_thread_id();
    try {
      writer.commit({put_op("queued")}, {}, kAcceptAll);
    } catch (const JournalFailedError&) {
    }
  });
  for (int i = 0; i < 2000 && writer.last_seq() < queued_seq; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(writer.last_seq(), queued_seq) << "no commit was numbered during the roll";
  std::thread waiter([&] {
    waiter_tid = this_thread_id();
    try {
      writer.wait_durable(queued_seq);
    } catch (const JournalFailedError&) {
      waited.set_value();
    }
  });
  for (int i = 0; i < 2000 && (waiter_tid.load() == 0 || !asleep(waiter_tid.load()));
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  step_b.release();
  roller.join();
  queued.join();
  bool woke =
      wait_returned.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  fs->set_hook(FsOp::kAppend, nullptr);
  if (woke) {
    waiter.join();
  } else {
    waiter.detach();
    (void)owned.release();
  }
  return woke;
}

TEST_F(JournalWriterTest,
       DurabilityNoneFailedWriteOfACommitQueuedDuringARollWakesItsWaiter) {
  constexpr int kTrials = 10;
  int woke = 0;
  while (woke < kTrials && !::testing::Test::HasFailure() &&
         waiter_woke_when_the_queued_write_failed(fs_)) {
    ++woke;
  }
  EXPECT_EQ(woke, kTrials) << "a wait for a commit whose write failed slept on";
}

// Step b of a roll under kNone: a sync() whose own sync of the full segment
// fails while the roller's sync of that segment is still running must wait
// for the roll, and fail if the roll's sync fails too: neither reached the
// disk. It returned success before (the segment "changed meanwhile"), and the
// commit written last into the old segment was lost at the power cut that
// failed both syncs (the power-loss campaign caught it in about one run in
// two). The order is forced with gates: the sync() fails first, and the
// roller's sync is let go only once the sync() has returned or gone to sleep.
TEST_F(JournalWriterTest, DurabilityNoneFailedSyncBesideAFailingRollIsReportedFailed) {
  Options options;
  options.durability = Durability::kNone;
  options.segment_bytes = 512;
  auto writer = make_writer(options);
  commit(*writer, "k0");  // creates the first segment, with its syncs
  // Step a (the crossing commit's sync) is held while one more commit goes
  // into the full segment: that one is written but not synced.
  const uint64_t creation_syncs = fs_->count(FsOp::kSync);
  uint64_t last_in_old = 0;
  {
    SyncGates step_a(*fs_, 1);
    std::thread filler([&] {
      for (int i = 0; i < 1000 && fs_->count(FsOp::kSync) == creation_syncs; ++i) {
        commit(*writer, "a" + std::to_string(i));
      }
    });
    step_a.wait_until_held(0);
    last_in_old = commit(*writer, "unsynced").seq;  // no roll while step a runs
    step_a.release(0);
    filler.join();
  }
  ASSERT_GT(fs_->count(FsOp::kSync), creation_syncs) << "the segment never filled";
  // A power cut from here on: every sync fails. Gate 0 is the sync() below,
  // gate 1 the roller's final sync of the old segment.
  fs_->fail(FsOp::kSync, 1, FaultMode::kPersistent);
  SyncGates gates(*fs_, 2);
  std::atomic<pid_t> syncer_id{0};
  std::atomic<bool> sync_done{false}, sync_threw{false};
  std::thread syncer([&] {
    syncer_id = this_thread_id();
    try {
      writer->sync();
    } catch (const JournalFailedError&) {
      sync_threw = true;
    }
    sync_done = true;
  });
  gates.wait_until_held(0);
  std::atomic<bool> roll_commit_threw{false};
  std::thread roller([&] {
    try {
      commit(*writer, "roller");
    } catch (const JournalFailedError&) {
      roll_commit_threw = true;
    }
  });
  gates.wait_until_held(1);
  gates.release(0);  // the sync() fails while the roll is running
  for (int i = 0; i < 5000 && !sync_done; ++i) {
    if (gates.left(0) && asleep(syncer_id)) break;  // waiting for the roll
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  gates.release(1);  // the roll's sync fails too
  syncer.join();
  roller.join();
  EXPECT_TRUE(sync_threw) << "sync() reported commit " << last_in_old
                          << " durable, though neither its sync nor the roll's did";
  EXPECT_TRUE(roll_commit_threw);
  EXPECT_FALSE(writer->failure().empty());
  EXPECT_THROW(commit(*writer, "after"), JournalFailedError);
}

TEST_F(JournalWriterTest, DurabilityIntervalSyncsInTheBackground) {
  Options options;
  options.durability = Durability::kInterval;
  options.sync_interval_ms = 5;
  auto writer = make_writer(options);
  for (int i = 0; i < 10; ++i) commit(*writer, "k" + std::to_string(i));
  uint64_t syncs = fs_->count(FsOp::kSync);
  EXPECT_TRUE(testing::eventually([&] { return fs_->count(FsOp::kSync) > syncs; }))
      << "no background sync";
  for (int i = 10; i < 20; ++i) commit(*writer, "k" + std::to_string(i));
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal()), one_to(20));
}

// --- the failed state ---

struct FailureCase {
  FsOp op;
  Durability durability;
};

std::string case_name(const ::testing::TestParamInfo<FailureCase>& info) {
  return std::string(testing::to_string(info.param.op)) + "_" +
         std::string(to_string(info.param.durability));
}

class JournalWriterFailureTest : public JournalWriterTest,
                                 public ::testing::WithParamInterface<FailureCase> {};

TEST_P(JournalWriterFailureTest,
       FailedCallStopsTheJournalAndOnlyAcknowledgedCommitsRemain) {
  Options options;
  options.durability = GetParam().durability;
  auto writer = make_writer(options);
  for (int i = 1; i <= 3; ++i) commit(*writer, "ok" + std::to_string(i));
  if (GetParam().op == FsOp::kSync) writer->sync();  // kNone syncs only on request

  fs_->fail(GetParam().op, 1, FaultMode::kOnce);
  if (GetParam().op == FsOp::kSync && GetParam().durability != Durability::kAlways) {
    commit(*writer, "ok4");  // acknowledged: written to the OS
    EXPECT_THROW(writer->sync(), JournalFailedError);
  } else {
    EXPECT_THROW(commit(*writer, "lost"), JournalFailedError);
  }
  EXPECT_EQ(fs_->failures(GetParam().op), 1u);
  EXPECT_NE(writer->failure().find("injected fault"), std::string::npos)
      << writer->failure();

  // The fault was a single one, but the journal does not try again.
  uint64_t appends = fs_->count(FsOp::kAppend);
  for (int i = 0; i < 3; ++i) EXPECT_THROW(commit(*writer, "after"), JournalFailedError);
  EXPECT_THROW(writer->sync(), JournalFailedError);
  EXPECT_EQ(fs_->count(FsOp::kAppend), appends);
  writer.reset();

  uint64_t acknowledged =
      GetParam().op == FsOp::kSync && GetParam().durability != Durability::kAlways ? 4
                                                                                   : 3;
  auto records = read_journal(RecoveryMode::kStrict);
  EXPECT_EQ(seqs_of(records), one_to(acknowledged));
  for (const auto& r : records) EXPECT_EQ(r.ops[0].key.substr(0, 2), "ok");
}

INSTANTIATE_TEST_SUITE_P(
    Faults, JournalWriterFailureTest,
    ::testing::Values(FailureCase{FsOp::kAppend, Durability::kAlways},
                      FailureCase{FsOp::kSync, Durability::kAlways},
                      FailureCase{FsOp::kAppend, Durability::kNone},
                      FailureCase{FsOp::kSync, Durability::kNone},
                      FailureCase{FsOp::kAppend, Durability::kInterval}),
    case_name);

TEST_F(JournalWriterTest, FailedSyncWhoseCutAlsoFailsKeepsEveryAcknowledgedCommit) {
  auto writer = make_writer();
  for (int i = 1; i <= 3; ++i) commit(*writer, "ok" + std::to_string(i));
  fs_->fail(FsOp::kSync, 1, FaultMode::kPersistent);
  fs_->fail(FsOp::kTruncate, 1, FaultMode::kPersistent);
  EXPECT_THROW(commit(*writer, "unknown"), JournalFailedError);
  EXPECT_EQ(fs_->failures(FsOp::kTruncate), 1u);
  writer.reset();
  // The failed commit's outcome is unknown, as after a crash: the journal is
  // the acknowledged commits, perhaps followed by it.
  auto records = read_journal();
  ASSERT_GE(records.size(), 3u);
  ASSERT_LE(records.size(), 4u);
  EXPECT_EQ(seqs_of(records), one_to(records.size()));
}

TEST_F(JournalWriterTest, FailedSegmentCreationStopsTheJournal) {
  Options options;
  options.segment_bytes = 256;
  auto writer = make_writer(options);
  fs_->fail(FsOp::kOpen, 1, FaultMode::kOnce);  // creating the first segment
  EXPECT_THROW(commit(*writer, "first"), JournalFailedError);
  EXPECT_THROW(commit(*writer, "second"), JournalFailedError);
  writer.reset();
  EXPECT_TRUE(read_journal().empty());

  fs_ = std::make_shared<FaultFileSystem>();
  writer = make_writer(options, scan_tail());
  uint64_t acknowledged = 0;
  for (int i = 1; i <= 50; ++i) {
    if (i == 20) fs_->fail(FsOp::kOpen, 1, FaultMode::kPersistent);
    try {
      commit(*writer, "k" + std::to_string(i));
      ++acknowledged;
    } catch (const JournalFailedError&) {
    }
  }
  EXPECT_GE(acknowledged, 19u);
  EXPECT_LT(acknowledged, 50u);
  writer.reset();
  EXPECT_EQ(seqs_of(read_journal(RecoveryMode::kTolerateTail)), one_to(acknowledged));
}

TEST_F(JournalWriterTest, FailedGroupCommitFailsEveryWaiterAndLaterCommit) {
  fs_->set_latency(FsOp::kSync, std::chrono::microseconds(300));
  auto writer = make_writer();
  commit(*writer, "ok");
  std::atomic<int> acknowledged{1}, failed{0};
  fs_->fail(FsOp::kSync, 5, FaultMode::kOnce);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        try {
          commit(*writer, "t" + std::to_string(t) + "-" + std::to_string(i));
          ++acknowledged;
        } catch (const JournalFailedError&) {
          ++failed;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(acknowledged + failed, 401);
  EXPECT_GT(failed.load(), 0);
  writer.reset();
  auto records = read_journal();
  EXPECT_EQ(seqs_of(records), one_to(static_cast<uint64_t>(acknowledged.load())));
}

// An allocation that fails while a batch is written (a large direct-I/O
// buffer, say) is a failed write like any other: the journal stops, every
// committer hears JournalFailedError, and nothing waits for a sync that will
// never end. It escaped as std::bad_alloc before, leaving a sync "running"
// under kAlways, so the next commit and the writer's close waited forever.
class AllocationFailureTest : public JournalWriterTest,
                              public ::testing::WithParamInterface<Durability> {};

TEST_P(AllocationFailureTest, FailedAllocationDuringAWriteStopsTheJournal) {
  Options options;
  options.durability = GetParam();
  auto writer = make_writer(options);
  commit(*writer, "ok");
  std::atomic<bool> armed{true};
  fs_->set_hook(FsOp::kAppend, [&](const std::string&) {
    if (armed.exchange(false)) throw std::bad_alloc();
  });
  testing::returns_within(
      std::chrono::seconds(10), "commits after a failed allocation", [&] {
        EXPECT_THROW(commit(*writer, "lost"), JournalFailedError);
        EXPECT_THROW(commit(*writer, "after"), JournalFailedError);
        EXPECT_NE(writer->failure().find("bad_alloc"), std::string::npos)
            << writer->failure();
        writer.reset();
      });
  EXPECT_EQ(seqs_of(read_journal()), one_to(1));
}

INSTANTIATE_TEST_SUITE_P(Modes, AllocationFailureTest,
                         ::testing::Values(Durability::kAlways, Durability::kNone),
                         [](const auto& param) {
                           return std::string(to_string(param.param));
                         });

// A sequence number not handed out yet can never become durable: waiting for
// it is refused. It looped before, leading an empty sync again and again.
TEST_F(JournalWriterTest, WaitingForASequenceNumberNotHandedOutIsRefused) {
  auto writer = make_writer();
  commit(*writer, "ok");
  testing::returns_within(std::chrono::seconds(10), "wait_durable(2)", [&] {
    EXPECT_THROW(writer->wait_durable(2), InvalidInputError);
  });
  writer->wait_durable(1);
  writer->wait_durable(0);
  Record next = commit(*writer, "next");
  EXPECT_EQ(next.seq, 2u);
}

}  // namespace
}  // namespace pa_journal
