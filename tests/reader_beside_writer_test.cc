// A read-only open beside a live writer in another process (docs/design.md 5):
// the writer's compaction may remove the snapshot and segments the reader has
// just listed. The reader must then read again and see the store as it is,
// not report damage or fail on a vanished file.
//
// The race is staged through the file-system seam: at the reader's first
// read of a chosen file, the store's files are replaced by what a compaction
// in the other process leaves.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using testing::FaultFileSystem;
using testing::FsOp;

std::string doc(int n) { return R"({"n":)" + std::to_string(n) + "}"; }

Options writer_options() {
  Options options;
  options.auto_compact = false;
  options.backup_count = 1;
  options.segment_bytes = 512;  // a few records per segment
  return options;
}

// journal/ and backups/ of `from` replace those of `to`, as a compaction
// in another process would leave them.
void replace_store_files(const std::string& from, const std::string& to) {
  for (const char* sub : {"journal", "backups"}) {
    fs::remove_all(to + "/" + sub);
    fs::copy(from + "/" + sub, to + "/" + sub, fs::copy_options::recursive);
  }
}

class ReaderBesideWriterTest : public ::testing::Test {
 protected:
  // `before`: records 1..20 with a snapshot at 10. `after`: the same store
  // once the writer appended 21..25 and compacted (snapshot at 25; the old
  // snapshot and the segments before the new one removed).
  void SetUp() override {
    {
      auto store = Store::open(before, writer_options());
      for (int i = 1; i <= 10; ++i) store->put("notes", "k" + std::to_string(i), doc(i));
      store->compact();
      for (int i = 11; i <= 20; ++i) store->put("notes", "k" + std::to_string(i), doc(i));
    }
    fs::copy(before, after, fs::copy_options::recursive);
    fs::copy(before, pristine, fs::copy_options::recursive);
    auto store = Store::open(after, writer_options());
    for (int i = 21; i <= 25; ++i) store->put("notes", "k" + std::to_string(i), doc(i));
    ASSERT_FALSE(store->compact().removed_segments.empty());
  }

  // Opens `before` read-only; at the first read of a path containing
  // `trigger`, the writer's compaction "happens".
  std::unique_ptr<Store> open_racing(const std::string& trigger) {
    Options options = racing(trigger);
    options.read_only = true;
    auto store = Store::open(before, options);
    EXPECT_TRUE(raced_) << "the race was never staged";
    return store;
  }

  // Options whose file system stages the race at the first read of a path
  // containing `trigger`, for the read-only functions of inspect.h and
  // time_travel.h.
  Options racing(const std::string& trigger) {
    auto faults = std::make_shared<FaultFileSystem>();
    faults->set_hook(FsOp::kRead, [this, trigger](const std::string& path) {
      if (raced_ || path.find(trigger) == std::string::npos) return;
      raced_ = true;
      replace_store_files(after, before);
    });
    Options options;
    options.file_system = faults;
    return options;
  }

  // `before` as SetUp left it, for another race.
  void reset() {
    fs::remove_all(before);
    fs::copy(pristine, before, fs::copy_options::recursive);
    raced_ = false;
  }

  bool raced_ = false;
  testing::TempDir tmp;
  std::string before = tmp / "store";
  std::string after = tmp / "after-compaction";
  std::string pristine = tmp / "before-copy";
};

TEST_F(ReaderBesideWriterTest, SegmentRemovedWhileReadingIsReadAgain) {
  auto store = open_racing("/journal/");
  EXPECT_EQ(store->last_seq(), 25u);
  EXPECT_EQ(store->list("notes").size(), 25u);
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
}

TEST_F(ReaderBesideWriterTest, SnapshotRemovedWhileLoadingIsReadAgain) {
  auto store = open_racing("/backups/");
  EXPECT_EQ(store->last_seq(), 25u);
  EXPECT_EQ(store->get("notes", "k25").value(), doc(25));
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
}

// The functions that read a store without opening it (inspect.h,
// time_travel.h) promise the same: a compaction beside them is no damage.
TEST_F(ReaderBesideWriterTest, VerifyBesideACompactionReportsNoDamage) {
  for (const char* trigger : {"/journal/", "/backups/"}) {
    SCOPED_TRACE(trigger);
    reset();
    VerifyResult verified = verify_store(before, racing(trigger));
    EXPECT_TRUE(raced_);
    EXPECT_TRUE(verified.ok()) << verified.damage.front().describe();
    EXPECT_EQ(verified.snapshots, 1u);
  }
}

TEST_F(ReaderBesideWriterTest, InspectBesideACompactionReportsNoDamage) {
  for (const char* trigger : {"/journal/", "/backups/"}) {
    SCOPED_TRACE(trigger);
    reset();
    JournalSummary summary = inspect_journal(before, racing(trigger));
    EXPECT_TRUE(raced_);
    EXPECT_TRUE(summary.damage.empty()) << summary.damage.front().describe();
    EXPECT_EQ(summary.last_seq, 25u);
    ASSERT_EQ(summary.snapshots.size(), 1u);
    EXPECT_EQ(summary.snapshots[0].seq, 25u);
  }
}

TEST_F(ReaderBesideWriterTest, StateAtTheLastCommitBesideACompactionIsWhole) {
  int64_t last = restorable_window(after).last_commit_ns;
  Collections state = state_at(before, last, racing("/journal/"));
  EXPECT_TRUE(raced_);
  EXPECT_EQ(state["notes"].size(), 25u);
}

TEST_F(ReaderBesideWriterTest, BackupRemovedByRetentionWhileLoadingIsNotFound) {
  std::string old_id = list_backups(before).front().id;
  EXPECT_THROW(load_backup(before, old_id, racing("/backups/notes_")),
               BackupNotFoundError);
  EXPECT_TRUE(raced_);
}

// A record being stored into the newest segment's reserved space can be read
// half done: its header whole, some of its words still fill. That reads as
// damage, not a torn tail; every read-only pass (open, verify, the record
// listing, a document's history) reads again and sees the record done.
class InFlightRecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      auto store = Store::open(dir);
      for (int i = 1; i <= 5; ++i) store->put("notes", "k" + std::to_string(i), doc(i));
    }
    segment = testing::segment_path(dir);
    done = testing::read_bytes(segment) + std::string(4096, '\xff');
    auto frames = testing::frames_of(done.substr(0, done.find_last_not_of('\xff') + 1));
    ASSERT_EQ(frames.size(), 5u);
    std::string half = done;
    uint64_t middle = (frames.back().offset + 16 + 7) / 8 * 8;
    std::fill(half.begin() + static_cast<long>(middle),
              half.begin() + static_cast<long>(middle + 16), '\xff');
    testing::write_bytes(segment, half);
  }

  // Options whose file system finishes the record at the second read of the
  // segment, as the writer would (or never, for real damage).
  Options racing(bool writer_finishes = true) {
    auto faults = std::make_shared<FaultFileSystem>();
    faults->set_hook(FsOp::kRead, [this, writer_finishes](const std::string& path) {
      if (path == segment && ++reads == 2 && writer_finishes)
        testing::write_bytes(segment, done);
    });
    Options options;
    options.read_only = true;
    options.file_system = faults;
    return options;
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
  std::string segment, done;
  int reads = 0;
};

TEST_F(InFlightRecordTest, ReadOnlyOpenReadsAgainAndSeesTheRecord) {
  Options still_half;
  still_half.read_only = true;
  EXPECT_THROW(Store::open(dir, still_half), CorruptedDataError)
      << "without the writer finishing, it is damage";
  auto store = Store::open(dir, racing());
  EXPECT_GE(reads, 2);
  EXPECT_EQ(store->last_seq(), 5u);
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
}

TEST_F(InFlightRecordTest, VerifyReadsAgainAndReportsNoDamage) {
  VerifyResult result = verify_store(dir, racing());
  EXPECT_GE(reads, 2);
  EXPECT_EQ(result.records, 5u);
  EXPECT_TRUE(result.ok()) << result.damage.size() << " damage";
}

TEST_F(InFlightRecordTest, VerifyStillReportsDamageThatStays) {
  VerifyResult result = verify_store(dir, racing(/*writer_finishes=*/false));
  EXPECT_GE(reads, 5) << "read again before reporting";
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.damage[0].file, "journal/" + fs::path(segment).filename().string());
}

TEST_F(InFlightRecordTest, RecordListingReadsAgainAndGivesEachRecordOnce) {
  std::vector<uint64_t> seqs;
  read_records(
      dir, {}, [&](const Record& r) { seqs.push_back(r.seq); }, racing());
  EXPECT_GE(reads, 2);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(InFlightRecordTest, DocumentHistoryReadsAgainAndSeesTheRecord) {
  auto versions = document_history(dir, "notes", "k5", racing());
  EXPECT_GE(reads, 2);
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].value, doc(5));
}

// Real damage leaves the listing alone: it is reported at once, not retried
// into a different answer.
TEST(ReaderBesideWriterDamageTest, DamageWithoutAConcurrentChangeStillRefuses) {
  testing::TempDir tmp;
  std::string dir = tmp / "store";
  {
    auto store = Store::open(dir);
    for (int i = 1; i <= 5; ++i) store->put("notes", "k" + std::to_string(i), doc(i));
  }
  std::string segment = testing::segment_path(dir);
  std::string bytes = testing::read_bytes(segment);
  bytes[bytes.size() / 2] ^= 0x10;
  testing::write_bytes(segment, bytes);
  Options options;
  options.read_only = true;
  EXPECT_THROW(Store::open(dir, options), CorruptedDataError);
}

}  // namespace
}  // namespace pa_journal
