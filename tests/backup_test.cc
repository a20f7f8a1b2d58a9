// Online backup (include/pa_journal/backup.h, store/backup.cc): the copy opens
// as the same store (state, seq, history, snapshots, the restorable window),
// beside a live writer in another process and a compaction that removes files
// mid-copy; refusals write nothing; a killed backup leaves no partial DIR.
#include "pa_journal/backup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "tests/cli_util.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::CommandResult;
using testing::FaultFileSystem;
using testing::FsOp;

std::string doc(int n) { return R"({"n":)" + std::to_string(n) + "}"; }
std::string key(int n) { return "k" + std::to_string(n % 10); }

// Small segments and no background compaction: the tests compact.
Options small_segments(size_t backup_count = 3) {
  Options options;
  options.segment_bytes = 1024;
  options.auto_compact = false;
  options.backup_count = backup_count;
  return options;
}

Options read_only() {
  Options options;
  options.read_only = true;
  return options;
}

// Commits from..to (notes/k(i % 10) = {"n": i}, seq i on a fresh store),
// compacting after every `compact_every`-th.
void fill(const std::string& dir, int from, int to, int compact_every,
          const Options& options = small_segments()) {
  auto store = Store::open(dir, options);
  for (int i = from; i <= to; ++i) {
    store->put("notes", key(i), doc(i));
    if (i % compact_every == 0) store->compact();
  }
}

// The notes a store holds after commits 1..seq of fill (or of the writer).
Collection notes_after(uint64_t seq) {
  Collection out;
  for (uint64_t i = seq > 10 ? seq - 9 : 1; i <= seq; ++i)
    out[key(static_cast<int>(i))] = doc(static_cast<int>(i));
  return out;
}

std::string versions(const std::vector<DocumentVersion>& history) {
  std::string out;
  for (const auto& v : history) {
    out += std::to_string(v.seq) + "@" + std::to_string(v.time_ns) + "=" +
           v.value.value_or("(deleted)") + (v.from_snapshot ? " (snapshot)\n" : "\n");
  }
  return out;
}

std::vector<std::string> backup_ids(const std::string& dir) {
  std::vector<std::string> ids;
  for (const auto& b : list_backups(dir)) ids.push_back(b.id);
  return ids;
}

bool empty_or_absent(const std::string& dir) {
  return !fs::exists(dir) || fs::is_empty(dir);
}

// A writer in another process: commits notes/k(i % 10) = {"n": i} for i = 1,
// 2, ... (seq i) with small segments and frequent background compaction that
// keeps two snapshots and deletes the segments before them, until killed.
pid_t start_writer(const std::string& dir) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  try {
    Options options;
    options.segment_bytes = 4096;
    options.compact_after_records = 200;
    options.compact_after_bytes = 1ull << 30;
    options.backup_count = 2;
    auto store = Store::open(dir, options);
    for (int i = 1; i < 100'000'000; ++i) store->put("notes", key(i), doc(i));
  } catch (...) {
    ::_exit(1);
  }
  ::_exit(0);
}

class BackupTest : public ::testing::Test {
 protected:
  testing::TempDir tmp;
  std::string store = tmp / "store";
  std::string out = tmp / "backup";
};

TEST_F(BackupTest, CopyOpensWithTheSameStateSeqAndHistoryAndVerifies) {
  fill(store, 1, 95, 30);
  BackupResult r = backup_store(store, out);
  EXPECT_EQ(r.seq, 95u);
  EXPECT_EQ(r.out_dir, out);
  EXPECT_EQ(r.snapshots, 3u);
  EXPECT_GT(r.segments, 1u);
  auto source = Store::open(store, read_only());
  auto copy = Store::open(out, read_only());
  EXPECT_EQ(copy->last_seq(), source->last_seq());
  EXPECT_EQ(copy->state(), source->state());
  EXPECT_TRUE(copy->recovery().damage.empty()) << copy->recovery().summary();
  EXPECT_EQ(r.time_ns, inspect_journal(store).last_time_ns);
  VerifyResult verified = verify_store(out);
  EXPECT_TRUE(verified.ok()) << verified.damage.front().describe();
  EXPECT_EQ(verified.snapshots, 3u);
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ(versions(document_history(out, "notes", key(k))),
              versions(document_history(store, "notes", key(k))));
  }
  EXPECT_EQ(testing::read_bytes(out + "/notes.json"),
            testing::read_bytes(store + "/notes.json"));
}

TEST_F(BackupTest, CopyHoldsTheSnapshotsAndTheJournalBackToTheOldestOne) {
  fill(store, 1, 95, 20, small_segments(2));  // snapshots at 80 and 60 kept
  BackupResult r = backup_store(store, out);
  EXPECT_EQ(backup_ids(out), backup_ids(store));
  EXPECT_EQ(r.snapshots, 2u);
  JournalSummary source = inspect_journal(store), copy = inspect_journal(out);
  ASSERT_GT(source.segments.front().first_seq, 1u) << "compaction trimmed nothing";
  EXPECT_EQ(copy.first_seq, source.first_seq);
  EXPECT_EQ(copy.last_seq, source.last_seq);
  EXPECT_EQ(copy.window_from_ns, source.window_from_ns);
  EXPECT_EQ(copy.window_to_ns, source.window_to_ns);
  std::vector<int64_t> times = source.commit_times_ns;
  for (int64_t t : {source.window_from_ns, times[times.size() / 2], times.back()}) {
    EXPECT_EQ(state_at(out, t), state_at(store, t));
  }
}

TEST_F(BackupTest, EmptyStoreBacksUpAsAnEmptyStore) {
  Store::open(store, small_segments());
  BackupResult r = backup_store(store, out);
  EXPECT_EQ(r.seq, 0u);
  EXPECT_EQ(r.snapshots, 0u);
  EXPECT_TRUE(verify_store(out).ok());
  EXPECT_EQ(Store::open(out, read_only())->last_seq(), 0u);
}

TEST_F(BackupTest, TornTailAndReservedSpaceAreLeftOutOfTheCopy) {
  fill(store, 1, 13, 1000);
  std::string newest = testing::segment_path(store, testing::segment_count(store) - 1);
  // Half a frame after the last record, then reserved space: what a writer
  // killed mid-append leaves.
  std::string bytes = testing::read_bytes(newest);
  std::vector<testing::FrameSpan> frames = testing::frames_of(bytes);
  ASSERT_FALSE(frames.empty());
  uint64_t end = frames.back().offset + frames.back().size;
  ASSERT_EQ(end, bytes.size());
  std::string half = bytes.substr(frames.back().offset, frames.back().size / 2);
  testing::write_bytes(newest, bytes + half + std::string(4096, '\xff'));
  BackupResult r = backup_store(store, out);
  EXPECT_EQ(r.seq, 13u);
  std::string copied = testing::segment_path(out, testing::segment_count(out) - 1);
  EXPECT_EQ(testing::read_bytes(copied), bytes);
  Options strict = read_only();
  strict.recovery = RecoveryMode::kStrict;  // refuses a torn tail
  auto copy = Store::open(out, strict);
  EXPECT_EQ(copy->last_seq(), 13u);
  EXPECT_EQ(copy->recovery().torn_bytes_cut, 0u);
}

TEST_F(BackupTest, DamagedSnapshotIsPassedOverAndTheCopyStillVerifies) {
  fill(store, 1, 40, 10);
  std::vector<BackupSummary> snapshots = list_backups(store);
  ASSERT_EQ(snapshots.size(), 3u);
  const BackupSummary& oldest = snapshots.back();
  std::string file = store + "/backups/" + oldest.files.front().file;
  std::string bytes = testing::read_bytes(file);
  bytes[bytes.size() / 2] ^= 1;
  testing::write_bytes(file, bytes);
  BackupResult r = backup_store(store, out);
  EXPECT_EQ(r.damaged_snapshots, std::vector<std::string>{oldest.id});
  EXPECT_EQ(r.snapshots, 2u);
  EXPECT_TRUE(verify_store(out).ok());
  EXPECT_EQ(Store::open(out, read_only())->list("notes").size(), 10u);
}

// A backup holds the store's readers lock (docs/readers.md) while it copies:
// a compaction beside it waits to remove anything, while commits go on, and
// the copy is the store as it was when the backup read where the journal ends.
TEST_F(BackupTest, CompactionBesideACopyWaitsForItWhileCommitsGoOn) {
  fill(store, 1, 20, 10, small_segments(1));
  auto writer = Store::open(store, small_segments(1));
  std::atomic<bool> committed{false}, compacted{false};
  std::thread beside;
  bool raced = false, waited = false;
  auto faults = std::make_shared<FaultFileSystem>();
  faults->set_hook(FsOp::kRead, [&](const std::string& path) {
    if (raced || path.find(store + "/backups/notes_") != 0) return;
    raced = true;
    beside = std::thread([&] {
      for (int i = 21; i <= 25; ++i) writer->put("notes", key(i), doc(i));
      committed = true;
      writer->compact();  // would remove snapshot 10 and the segments before it
      compacted = true;
    });
    EXPECT_TRUE(testing::eventually([&] { return committed.load(); }))
        << "a commit waited for the backup";
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    waited = !compacted.load();
  });
  Options options;
  options.file_system = faults;
  BackupResult r = backup_store(store, out, options);
  beside.join();
  EXPECT_TRUE(raced);
  EXPECT_TRUE(waited) << "the compaction removed files while the backup copied";
  EXPECT_EQ(r.seq, 20u);
  EXPECT_TRUE(r.damaged_snapshots.empty());
  EXPECT_TRUE(verify_store(out).ok());
  EXPECT_EQ(Store::open(out, read_only())->last_seq(), 20u);
  EXPECT_EQ(writer->last_seq(), 25u);
}

TEST_F(BackupTest, StoreBackupToCopiesEveryCommitOfItsOwnWriter) {
  Options options = small_segments();
  options.durability = Durability::kNone;
  auto writer = Store::open(store, options);
  for (int i = 1; i <= 50; ++i) writer->put("notes", key(i), doc(i));
  writer->compact();
  writer->put("notes", key(51), doc(51));
  BackupResult r = writer->backup_to(out);
  EXPECT_EQ(r.seq, 51u);
  EXPECT_EQ(r.snapshots, 1u);
  auto copy = Store::open(out, read_only());
  EXPECT_EQ(copy->state(), writer->state());
  writer->put("notes", key(52), doc(52));  // the writer goes on
  EXPECT_EQ(copy->last_seq(), 51u);
}

TEST_F(BackupTest, CopiesBesideALiveWriterInAnotherProcessAreConsistentPrefixes) {
  pid_t writer = start_writer(store);
  ASSERT_GT(writer, 0);
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  } reap{writer};
  ASSERT_TRUE(testing::eventually([&] {
    return fs::exists(store + "/journal") && !list_backups(store).empty();
  })) << "the writer never compacted";
  const auto until = Clock::now() + std::chrono::seconds(20);
  uint64_t last = 0;
  int copies = 0, with_snapshots = 0;
  for (; copies < 12 && Clock::now() < until; ++copies) {
    std::string dir = tmp / ("backup" + std::to_string(copies));
    BackupResult r = backup_store(store, dir);
    SCOPED_TRACE("copy " + std::to_string(copies) + " at seq " + std::to_string(r.seq));
    EXPECT_GE(r.seq, last);
    last = r.seq;
    with_snapshots += r.snapshots > 0;
    VerifyResult verified = verify_store(dir);
    EXPECT_TRUE(verified.ok()) << verified.damage.front().describe();
    auto copy = Store::open(dir, read_only());
    EXPECT_EQ(copy->last_seq(), r.seq);
    EXPECT_EQ(copy->list("notes").size(), notes_after(r.seq).size());
    auto notes = copy->list("notes");
    EXPECT_EQ(Collection(notes.begin(), notes.end()), notes_after(r.seq));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  EXPECT_GE(copies, 3);
  EXPECT_EQ(with_snapshots, copies);
}

TEST_F(BackupTest, NonEmptyDirIsRefusedAndNothingIsWritten) {
  fill(store, 1, 5, 1000);
  fs::create_directories(out);
  testing::write_bytes(out + "/mine.txt", "keep me");
  try {
    backup_store(store, out);
    FAIL() << "a non-empty directory was accepted";
  } catch (const InvalidInputError& e) {
    EXPECT_TRUE(testing::contains(e.what(), "is not empty")) << e.what();
  }
  EXPECT_EQ(std::vector<fs::path>(fs::directory_iterator(out), {}),
            std::vector<fs::path>{out + "/mine.txt"});
  EXPECT_FALSE(fs::exists(out + kBackupTempSuffix));
}

TEST_F(BackupTest, DirInsideTheStoreIsRefusedEvenThroughASymlink) {
  fill(store, 1, 5, 5);  // a snapshot: backups/ exists
  std::string journal = testing::journal_bytes(store);
  fs::create_directory_symlink(store + "/backups", tmp / "link");
  fs::create_directory_symlink(store + "/not-yet", tmp / "dangling");
  for (const std::string& dir :
       {store, store + "/", store + "/sub/backup", tmp / "link/x", tmp / "dangling/x",
        tmp / "dangling", store + "/../store"}) {
    SCOPED_TRACE(dir);
    try {
      backup_store(store, dir);
      ADD_FAILURE() << "accepted";
    } catch (const InvalidInputError& e) {
      EXPECT_TRUE(testing::contains(e.what(), "store")) << e.what();
    }
  }
  EXPECT_FALSE(fs::exists(store + "/sub"));
  EXPECT_FALSE(fs::exists(store + "/backups/x"));
  EXPECT_FALSE(fs::exists(store + "/not-yet"));
  EXPECT_EQ(testing::journal_bytes(store), journal);
}

// The library's refusal says what is damaged and names no command; its
// Remedy points to a verification, which the tool words as its verify command.
TEST_F(BackupTest, DamagedJournalIsRefusedPointingToVerify) {
  fill(store, 1, 13, 1000);
  ASSERT_GT(testing::segment_count(store), 1u);
  std::string oldest = testing::segment_path(store, 0);
  std::string bytes = testing::read_bytes(oldest);
  std::vector<testing::FrameSpan> frames = testing::frames_of(bytes);
  ASSERT_GT(frames.size(), 1u);
  bytes[frames[0].offset + frames[0].size / 2] ^= 1;
  testing::write_bytes(oldest, bytes);
  try {
    backup_store(store, out);
    ADD_FAILURE() << "a damaged journal was backed up";
  } catch (const CorruptedDataError& e) {
    std::string what = e.what();
    EXPECT_TRUE(what.starts_with("backup: the store's journal is damaged: ")) << what;
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kVerifySaysMore) << what;
    EXPECT_EQ(what.find("verify"), std::string::npos) << what;
    EXPECT_EQ(what.find("pa-journal"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(out));
  CommandResult cli = testing::run_in_store(store, {"backup", out});
  EXPECT_EQ(cli.exit_code, testing::kExitCorruption) << cli.describe();
  EXPECT_TRUE(testing::contains(cli.err, "backup: the store's journal is damaged: "))
      << cli.err;
  EXPECT_TRUE(testing::contains(cli.err, " (pa-journal verify says more)\n")) << cli.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(BackupTest, MissingStoreIsRefused) {
  EXPECT_THROW(backup_store(tmp / "nothing", out), NotFoundError);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(BackupTest, LeftoverOfAKilledBackupIsRemovedButNoOtherDirectory) {
  fill(store, 1, 5, 1000);
  std::string temp = out + kBackupTempSuffix;
  fs::create_directories(temp + "/store/journal");
  testing::write_bytes(temp + "/PA-JOURNAL-BACKUP-IN-PROGRESS", "");
  testing::write_bytes(temp + "/store/journal/00000000000000000001.log", "partial");
  BackupResult r = backup_store(store, out);
  EXPECT_EQ(r.removed_leftover, temp);
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_TRUE(verify_store(out).ok());

  std::string other = tmp / "other";
  fs::create_directories(other + kBackupTempSuffix);
  testing::write_bytes(other + kBackupTempSuffix + "/precious", "not a backup's");
  EXPECT_THROW(backup_store(store, other), InvalidInputError);
  EXPECT_EQ(testing::read_bytes(other + kBackupTempSuffix + "/precious"),
            "not a backup's");
  EXPECT_FALSE(fs::exists(other));
}

TEST_F(BackupTest, CliPrintsWhatWasCopiedAndJson) {
  fill(store, 1, 25, 10);
  CommandResult human = testing::run_in_store(store, {"backup", out});
  ASSERT_EQ(human.exit_code, testing::kExitOk) << human.describe();
  EXPECT_TRUE(testing::contains(human.out, "backed up seq 25 (")) << human.out;
  EXPECT_TRUE(testing::contains(human.out, "2 snapshots, ")) << human.out;
  EXPECT_TRUE(testing::contains(human.out, " to " + out + "\n")) << human.out;
  CommandResult json = testing::run_in_store(store, {"--json", "backup", tmp / "b2"});
  ASSERT_EQ(json.exit_code, testing::kExitOk) << json.describe();
  nlohmann::json j = testing::parse_json(json.out);
  EXPECT_EQ(j["out"].get<std::string>(), tmp / "b2");
  EXPECT_EQ(j["seq"], 25);
  EXPECT_TRUE(j["time"].is_string());
  EXPECT_EQ(j["snapshots"], 2);
  EXPECT_GT(j["segments"].get<int>(), 0);
  EXPECT_GT(j["bytes"].get<int>(), 0);
  CommandResult again = testing::run_in_store(store, {"backup", out});
  EXPECT_EQ(again.exit_code, testing::kExitError) << again.describe();
  EXPECT_TRUE(testing::contains(again.err, "is not empty")) << again.err;
  CommandResult inside = testing::run_in_store(store, {"backup", store + "/b"});
  EXPECT_EQ(inside.exit_code, testing::kExitError) << inside.describe();
  EXPECT_TRUE(testing::contains(inside.err, "inside the store")) << inside.err;
}

// kill -9 of `pa-journal backup` at random moments: DIR is then absent or
// empty, or a complete backup that verifies; a backup run again succeeds and
// removes what the killed one left.
TEST_F(BackupTest, KillNineDuringBackupLeavesNoDirOrAWholeBackup) {
  {
    Options options = small_segments(4);
    options.segment_bytes = 64 << 10;
    options.durability = Durability::kNone;
    auto writer = Store::open(store, options);
    std::string padding(300, 'x');
    for (int i = 1; i <= 6000; ++i) {
      writer->put("notes", "n" + std::to_string(i % 2000),
                  R"({"n":)" + std::to_string(i) + R"(,"p":")" + padding + "\"}");
      if (i % 1500 == 0) writer->compact();
    }
  }
  const uint64_t seq = inspect_journal(store).last_seq;
  auto run_backup = [&](int timeout_ms) {
    testing::CommandOptions options;
    options.timeout_ms = timeout_ms;
    return testing::run_pa_journal({"--dir", store, "--no-progress", "backup", out},
                                   options);
  };
  auto whole = [&] {
    VerifyResult verified = verify_store(out);
    return verified.ok() && inspect_journal(out).last_seq == seq;
  };
  auto started = Clock::now();
  ASSERT_EQ(run_backup(60'000).exit_code, testing::kExitOk);
  double run_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  fs::remove_all(out);
  std::mt19937 rng(20261207);
  int complete = 0, empty = 0;
  for (int trial = 0; trial < 20; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    auto delay = std::chrono::microseconds(static_cast<int64_t>(
        std::uniform_real_distribution<double>(0, 1000 * run_ms)(rng)));
    {
      testing::ChildProcess child(
          {testing::pa_journal_binary(), "--dir", store, "--no-progress", "backup", out});
      std::this_thread::sleep_for(delay);
      child.kill(SIGKILL);
      child.wait(10'000);
    }
    if (empty_or_absent(out)) {
      ++empty;
    } else {
      ASSERT_TRUE(whole()) << "a killed backup left a partial " << out;
      ++complete;
      fs::remove_all(out);
    }
    CommandResult again = run_backup(60'000);
    ASSERT_EQ(again.exit_code, testing::kExitOk) << again.describe();
    EXPECT_TRUE(whole());
    EXPECT_FALSE(fs::exists(out + kBackupTempSuffix));
    fs::remove_all(out);
  }
  std::cout << "backup kill trials: " << empty << " left no backup, " << complete
            << " a whole one (a backup takes " << run_ms << " ms)" << std::endl;
  EXPECT_GT(empty, 0);
}

}  // namespace
}  // namespace pa_journal
