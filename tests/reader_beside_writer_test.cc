// Readers beside a live writer (docs/readers.md). A read-only pass holds
// journal/READERS shared, so a compaction removes nothing it listed; it reads
// the journal only up to the end the writer published in journal/DURABLE, so
// it never sees a commit before it is durable, nor a record being written, nor
// a segment being rolled; and it reports nothing beyond that end while a
// writer holds LOCK. It reads once: there are no retries left to test.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "journal/durable_end.h"
#include "journal/layout.h"
#include "journal/read_view.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "tests/fault_file_system.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using testing::ChildProcess;
using testing::CommandResult;
using testing::FaultFileSystem;
using testing::FsOp;
using testing::run_pa_journal;

std::string doc(int n) { return R"({"n":)" + std::to_string(n) + "}"; }

Options read_only() {
  Options options;
  options.read_only = true;
  return options;
}

// A writer (this process holds LOCK) with records 1..5 in one segment, its
// reservation still ahead of them.
class LiveWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    writer = Store::open(dir);
    for (int i = 1; i <= 5; ++i) writer->put("notes", "k" + std::to_string(i), doc(i));
    segment = testing::segment_path(dir);
    std::optional<DurableEnd> end = read_durable_end(*posix_file_system(), journal);
    ASSERT_TRUE(end.has_value());
    data_end = end->end;
  }

  // Bytes as a record being written leaves them: a frame header whose length
  // runs into fill, just past the published end.
  void write_half_record() {
    std::string bytes = testing::read_bytes(segment);
    ASSERT_GT(bytes.size(), data_end + 64) << "no reservation ahead";
    std::string frame(16, '\0');
    frame[8] = 40;  // length 40, checksum 0: torn
    frame[12] = 1;
    bytes.replace(data_end, frame.size(), frame);
    testing::write_bytes(segment, bytes);
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
  std::string journal = journal_dir(dir);
  std::unique_ptr<Store> writer;
  std::string segment;
  uint64_t data_end = 0;
};

TEST_F(LiveWriterTest, WriterPublishesTheEndOfItsLastDurableRecord) {
  std::optional<DurableEnd> end = read_durable_end(*posix_file_system(), journal);
  ASSERT_TRUE(end.has_value());
  EXPECT_EQ(end->seq, 5u);
  EXPECT_EQ(end->segment, 1u);
  auto frames = testing::frames_of(testing::read_bytes(segment).substr(0, data_end));
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames.back().offset + frames.back().size, data_end);
}

TEST_F(LiveWriterTest, RecordBeingWrittenPastThePublishedEndIsNotRead) {
  write_half_record();
  auto reader = Store::open(dir, read_only());
  EXPECT_EQ(reader->last_seq(), 5u);
  EXPECT_TRUE(reader->recovery().damage.empty()) << reader->recovery().summary();
  VerifyResult verified = verify_store(dir, read_only());
  EXPECT_TRUE(verified.ok()) << verified.damage.front().describe();
  EXPECT_EQ(verified.records, 5u);
  EXPECT_TRUE(inspect_journal(dir, read_only()).damage.empty());
  std::vector<uint64_t> seqs;
  read_records(
      dir, {}, [&](const Record& r) { seqs.push_back(r.seq); }, read_only());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5}));
}

TEST_F(LiveWriterTest, SegmentBeingRolledPastThePublishedOneIsNotRead) {
  testing::write_bytes(segment_file_name(journal, 6),
                       std::string(7, 'x'));  // torn header
  auto reader = Store::open(dir, read_only());
  EXPECT_EQ(reader->last_seq(), 5u);
  EXPECT_TRUE(reader->recovery().damage.empty()) << reader->recovery().summary();
  EXPECT_TRUE(verify_store(dir, read_only()).ok());
}

// Seen from another process: a copy of the store whose LOCK names this live
// process, so that the reader reads the files, not this process's writer.
TEST_F(LiveWriterTest, WithoutTheDurableEndFileReadersReadAsBefore) {
  write_half_record();
  std::string copy = tmp / "copy";
  fs::copy(dir, copy, fs::copy_options::recursive);
  {
    auto reader = Store::open(copy, read_only());
    EXPECT_TRUE(reader->recovery().damage.empty()) << reader->recovery().summary();
  }
  fs::remove(durable_end_file_name(journal_dir(copy)));
  auto reader = Store::open(copy, read_only());
  EXPECT_EQ(reader->last_seq(), 5u);
  ASSERT_EQ(reader->recovery().damage.size(), 1u);
  EXPECT_EQ(reader->recovery().damage[0].kind, Damage::Kind::kTornTail);
}

TEST_F(LiveWriterTest, WithoutAWriterTheTailPastThePublishedEndIsReportedTorn) {
  write_half_record();
  std::string copy = tmp / "copy";
  fs::copy(dir, copy, fs::copy_options::recursive);
  testing::write_bytes(lock_file_name(copy), "");  // no writer holds the copy
  auto reader = Store::open(copy, read_only());
  EXPECT_EQ(reader->last_seq(), 5u);
  ASSERT_EQ(reader->recovery().damage.size(), 1u);
  EXPECT_EQ(reader->recovery().damage[0].kind, Damage::Kind::kTornTail);
}

TEST_F(LiveWriterTest, SnapshotWithoutItsManifestIsNoFallbackWhileAWriterIsLive) {
  writer->compact();
  std::string id = list_backups(dir, read_only()).front().id;
  // A later snapshot whose manifest is not written yet: a compaction under way.
  testing::write_bytes(backups_dir(dir) + "/notes_29990101_000000.json", "{}");
  auto reader = Store::open(dir, read_only());
  EXPECT_TRUE(reader->recovery().snapshot_fallbacks.empty())
      << reader->recovery().summary();
  EXPECT_EQ(reader->recovery().snapshot_id, id);
}

TEST_F(LiveWriterTest, RetentionRemovesNothingAReaderHasListedUntilItIsDone) {
  std::string older = writer->compact().snapshot_id;
  writer->put("notes", "k6", doc(6));
  writer->compact();
  std::string manifest = manifest_file_name(backups_dir(dir), older);
  ASSERT_TRUE(fs::exists(manifest));
  auto reader_view = std::make_unique<ReadView>(*posix_file_system(), dir);
  std::atomic<bool> done{false};
  std::thread retention([&] {
    writer->retain_backups(1);  // removes the older snapshot, once it may
    done = true;
  });
  // However long retention is given, it waits for the reader.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(done.load()) << "retention ran while a reader held the store";
  EXPECT_TRUE(fs::exists(manifest));
  reader_view.reset();
  retention.join();
  EXPECT_FALSE(fs::exists(manifest));
}

// Under durability always, a commit whose sync has not returned is not seen
// by a read-only open in another process; once it is durable, it is.
TEST(CommitVisibilityTest, CommitNotVisibleToOtherProcessBeforeDurable) {
  testing::TempDir tmp;
  std::string dir = tmp / "store";
  auto faults = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = faults;
  auto store = Store::open(dir, options);
  store->put("notes", "k1", doc(1));  // the segment and its reservation exist
  std::mutex mu;
  std::condition_variable cv;
  bool held = false, released = false;
  faults->set_hook(FsOp::kSync, [&](const std::string& path) {
    if (!path.ends_with(".log")) return;
    std::unique_lock<std::mutex> lock(mu);
    if (released) return;
    held = true;
    cv.notify_all();
    cv.wait(lock, [&] { return released; });
  });
  std::thread committer([&] { store->put("notes", "k2", doc(2)); });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return held; }));
  }
  CommandResult before = run_pa_journal({"--dir", dir, "get", "notes", "k2"});
  CommandResult listed = run_pa_journal({"--dir", dir, "list", "notes"});
  {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
  }
  cv.notify_all();
  committer.join();
  faults->set_hook(FsOp::kSync, nullptr);
  EXPECT_NE(before.exit_code, 0) << before.describe();
  EXPECT_EQ(before.out.find('2'), std::string::npos) << before.describe();
  EXPECT_EQ(listed.exit_code, 0) << listed.describe();
  EXPECT_NE(listed.out.find("k1"), std::string::npos) << listed.describe();
  EXPECT_EQ(listed.out.find("k2"), std::string::npos) << listed.describe();
  CommandResult after = run_pa_journal({"--dir", dir, "get", "notes", "k2"});
  EXPECT_EQ(after.exit_code, 0) << after.describe();
  EXPECT_NE(after.out.find('2'), std::string::npos) << after.describe();
}

// Whether collection notes of state is exactly k1..kM, each {"n":N}.
::testing::AssertionResult gap_free_prefix(
    const std::vector<std::pair<std::string, std::string>>& notes, uint64_t m) {
  if (notes.size() != m) {
    return ::testing::AssertionFailure()
           << notes.size() << " documents for last seq " << m;
  }
  std::vector<bool> seen(m + 1, false);
  for (const auto& [key, value] : notes) {
    uint64_t n = std::stoull(key.substr(1));
    if (n == 0 || n > m || seen[n] || value != doc(static_cast<int>(n))) {
      return ::testing::AssertionFailure() << "unexpected " << key << " = " << value;
    }
    seen[n] = true;
  }
  return ::testing::AssertionSuccess();
}

// A writer in another process commits, rolls segments every few commits and
// compacts (removing snapshots and segments) every 25, while this process
// opens the store read-only again and again, and runs the tool's readers:
// none fails or reports damage, and each sees a gap-free prefix of the
// commits, at least as long as what was acknowledged before it started.
TEST(ReaderBesideWriterTest, ReaderBesideWriterNeverReportsDamage) {
  testing::TempDir tmp;
  std::string dir = tmp / "store";
  ChildProcess writer({PA_JOURNAL_WRITER_CHILD, dir, "100000"});
  std::string out;
  uint64_t acked = 0;
  auto read_acks = [&] {
    writer.read_stdout(&out, 0);
    size_t end = out.rfind('\n');
    if (end == std::string::npos) return;
    size_t start = out.rfind('\n', end - 1);
    std::string last = out.substr(start == std::string::npos ? 0 : start + 1,
                                  end - (start == std::string::npos ? 0 : start + 1));
    if (last != "done") acked = std::max<uint64_t>(acked, std::stoull(last));
    out.erase(0, end + 1);
  };
  for (int i = 0; i < 3000 && acked < 10; ++i) {
    writer.read_stdout(&out, 10);
    read_acks();
  }
  ASSERT_GE(acked, 10u) << writer.stderr_text();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int opens = 0, commands = 0;
  uint64_t last_seen = 0;
  for (int i = 0; i < 4000 && std::chrono::steady_clock::now() < deadline; ++i) {
    read_acks();
    uint64_t acked_before = acked;
    if (i % 50 == 49) {
      for (const char* command : {"verify", "inspect"}) {
        CommandResult r = run_pa_journal({"--dir", dir, command});
        ASSERT_EQ(r.exit_code, 0) << command << ": " << r.describe();
        ++commands;
      }
      CommandResult got = run_pa_journal({"--dir", dir, "get", "notes", "k1"});
      ASSERT_EQ(got.exit_code, 0) << got.describe();
      continue;
    }
    std::unique_ptr<Store> reader;
    ASSERT_NO_THROW(reader = Store::open(dir, read_only())) << "open " << i;
    ASSERT_TRUE(reader->recovery().damage.empty()) << reader->recovery().summary();
    ASSERT_TRUE(reader->recovery().snapshot_fallbacks.empty())
        << reader->recovery().summary();
    uint64_t m = reader->last_seq();
    ASSERT_GE(m, acked_before) << "an acknowledged commit is missing";
    ASSERT_TRUE(gap_free_prefix(reader->list("notes"), m));
    last_seen = std::max(last_seen, m);
    ++opens;
  }
  writer.kill(SIGKILL);
  // Floors that keep the test meaningful under ThreadSanitizer on a busy
  // machine too (79 opens were seen there in 20 s; several hundred plain).
  EXPECT_GT(opens, 40);
  EXPECT_GE(commands, 2);
  EXPECT_GT(last_seen, 100u) << "the writer made too little progress to test much";
  std::cout << opens << " read-only opens, " << commands << " commands, last seq seen "
            << last_seen << "\n";
}

}  // namespace
}  // namespace pa_journal
