// What opening the store tells the user of pa-journal (docs/cli.md 2, 3 and
// 6): which commands create a store and say so, which refuse a directory
// without one and create nothing, how a writer waits for another's lock
// (--wait) and names it when it gives up, and the repairs an open makes,
// reported on stderr.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::ChildProcess;
using testing::CommandResult;
using testing::contains;
using testing::kExitError;
using testing::kExitOk;
using testing::kExitUsage;

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
    ++n;
  return n;
}

std::string put_line(const std::string& key) {
  return json{{"op", "put"}, {"collection", "contacts"}, {"key", key}, {"value", 1}}
             .dump() +
         "\n";
}

class OpenCliTest : public ::testing::Test {
 protected:
  CommandResult pj(const std::vector<std::string>& args, const std::string& input = {}) {
    return testing::run_in_store(store, args, input);
  }

  // A store of `records` commits written through the library.
  void make_store(int records) {
    auto s = Store::open(store);
    for (int i = 1; i <= records; ++i) s->put("contacts", "k" + std::to_string(i), "1");
  }

  // `pa-journal apply -` on the store, holding its lock while its stdin is
  // open; returns once its first commit is acknowledged.
  std::unique_ptr<ChildProcess> start_holder() {
    auto child = std::make_unique<ChildProcess>(std::vector<std::string>{
        testing::pa_journal_binary(), "--dir", store, "apply", "-"});
    EXPECT_TRUE(child->write_all(put_line("held")));
    std::string out;
    while (out.find('\n') == std::string::npos && child->read_stdout(&out, 10'000)) {
    }
    EXPECT_TRUE(contains(out, "\"seq\"")) << out << child->stderr_text();
    return child;
  }

  std::string holder_text(const ChildProcess& child) const {
    return "locked by pid " + std::to_string(child.pid()) + " (pa-journal --dir " +
           store + " apply -)";
  }

  testing::TempDir tmp;
  std::string store = tmp / "store";
};

// --- who creates a store ---

TEST_F(OpenCliTest, PutIntoANewDirectoryCreatesTheStoreAndSaysSoOnce) {
  CommandResult first = pj({"put", "contacts", "a", "1"});
  ASSERT_EQ(first.exit_code, kExitOk) << first.describe();
  EXPECT_EQ(first.err, "pa-journal: created a new store in " + store + "\n");
  EXPECT_EQ(first.out, "1\n");
  CommandResult second = pj({"put", "contacts", "b", "2"});
  ASSERT_EQ(second.exit_code, kExitOk) << second.describe();
  EXPECT_EQ(second.err, "");
}

TEST_F(OpenCliTest, PutIntoAnEmptyExistingDirectorySaysItCreatedTheStore) {
  fs::create_directories(store);
  CommandResult r = pj({"put", "contacts", "a", "1"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(count(r.err, "created a new store in " + store), 1u) << r.err;
}

TEST_F(OpenCliTest, ApplyAndImportCreateTheStoreAndSaySo) {
  CommandResult apply = pj({"apply", "-"}, put_line("a"));
  ASSERT_EQ(apply.exit_code, kExitOk) << apply.describe();
  EXPECT_EQ(count(apply.err, "pa-journal: created a new store in " + store), 1u)
      << apply.err;

  std::string other = tmp / "other";
  testing::write_files(tmp / "in", {{"notes.json", R"({"n1":{"text":"hi"}})"}});
  CommandResult import = testing::run_in_store(other, {"import", tmp / "in"});
  ASSERT_EQ(import.exit_code, kExitOk) << import.describe();
  EXPECT_EQ(count(import.err, "pa-journal: created a new store in " + other), 1u)
      << import.err;
}

// A mistyped --dir must not become an empty store: the commands that change
// what a store holds refuse it, whether the directory is missing or empty.
TEST_F(OpenCliTest, ChangingCommandsRefuseADirectoryWithoutAStoreAndCreateNothing) {
  for (bool exists : {false, true}) {
    if (exists) fs::create_directories(store);
    for (std::vector<std::string> args :
         {std::vector<std::string>{"patch", "contacts", "a", "{}"},
          {"delete", "contacts", "a"},
          {"compact"},
          {"restore", "--at", "-1h"}}) {
      CommandResult r = pj(args);
      SCOPED_TRACE(args[0] + (exists ? " in an empty directory" : ""));
      EXPECT_EQ(r.exit_code, kExitError) << r.describe();
      EXPECT_TRUE(contains(r.err, "pa-journal: error: no store at " + store))
          << r.describe();
      EXPECT_FALSE(contains(r.err, "created")) << r.describe();
      EXPECT_EQ(fs::exists(store), exists);
      if (exists) {
        EXPECT_TRUE(fs::is_empty(store));
      }
    }
  }
}

TEST_F(OpenCliTest, ReadCommandsOnAMissingStoreSaySoAndCreateNothing) {
  std::string out = tmp / "out";
  for (std::vector<std::string> args : {std::vector<std::string>{"get", "contacts", "a"},
                                        {"get", "contacts", "a", "--at", "-1h"},
                                        {"list", "contacts"},
                                        {"inspect"},
                                        {"inspect", "--records"},
                                        {"verify"},
                                        {"history", "contacts", "a"},
                                        {"diff", "--from", "-1h"},
                                        {"backups"},
                                        {"export", out},
                                        {"replay"},
                                        {"backup", out},
                                        {"restore", "--at", "-1h", "--dry-run"},
                                        {"restore", "--at", "-1h", "--out", out}}) {
    CommandResult r = pj(args);
    SCOPED_TRACE(args[0] + (args.size() > 1 ? " " + args[1] : ""));
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, "no store at " + store)) << r.describe();
    EXPECT_FALSE(fs::exists(store));
    EXPECT_FALSE(fs::exists(out));
  }
}

// --- the lock and --wait ---

TEST_F(OpenCliTest, AWriterRefusedByTheLockNamesTheHoldersPidAndCommandLine) {
  auto holder = start_holder();
  CommandResult r = pj({"put", "contacts", "b", "2"});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, "pa-journal: error: the store in " + store + " is " +
                                  holder_text(*holder) +
                                  "; retry with --wait SECONDS to wait for it"))
      << r.describe();
  EXPECT_EQ(holder->wait().exit_code, kExitOk);
}

TEST_F(OpenCliTest, PutWithWaitCommitsOnceTheHolderLetsGo) {
  auto holder = start_holder();  // commit 1
  ChildProcess waiter({testing::pa_journal_binary(), "--dir", store, "put", "contacts",
                       "b", "2", "--wait", "30"});
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(holder->wait().exit_code, kExitOk);
  CommandResult put = waiter.wait();
  EXPECT_EQ(put.exit_code, kExitOk) << put.describe();
  EXPECT_EQ(put.out, "2\n");  // after the holder's commit
}

TEST_F(OpenCliTest, WaitRunsOutAgainstAHolderThatKeepsTheLock) {
  auto holder = start_holder();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--wait", "0.2", "put", "contacts", "b", "2"},
        {"put", "contacts", "b", "2", "--wait", "0.2"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, holder_text(*holder) + ", still after waiting 0.2 s"))
        << r.describe();
    EXPECT_FALSE(contains(r.err, "retry with --wait")) << r.describe();
  }
  EXPECT_EQ(holder->wait().exit_code, kExitOk);
}

// No wait makes a LOCK file that is not pa-journal's one: --wait is not offered.
TEST_F(OpenCliTest, AForeignLockFileIsRefusedWithoutOfferingTheWaitOption) {
  make_store(1);
  testing::write_bytes(store + "/LOCK", "locked by the app\n");
  CommandResult r = pj({"put", "contacts", "b", "2"});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, "pa-journal: error: " + store +
                                  "/LOCK holds something other than a process id"))
      << r.describe();
  EXPECT_FALSE(contains(r.err, "--wait")) << r.describe();
}

TEST_F(OpenCliTest, WaitMustBeANonNegativeNumber) {
  for (const char* bad : {"-1", "soon", "", "inf"}) {
    CommandResult r = pj({"put", "contacts", "a", "1", "--wait", bad});
    EXPECT_EQ(r.exit_code, kExitUsage) << bad << "\n" << r.describe();
    EXPECT_TRUE(contains(r.err, "--wait")) << r.describe();
  }
  EXPECT_FALSE(fs::exists(store));
  CommandResult zero = pj({"put", "contacts", "a", "1", "--wait", "0"});
  EXPECT_EQ(zero.exit_code, kExitOk) << zero.describe();
}

// --- repairs on open ---

TEST_F(OpenCliTest, PutOnATornTailReportsTheRepairOnStderr) {
  make_store(3);
  std::string segment = testing::segment_path(store);
  std::string original = testing::read_bytes(segment);
  testing::FrameSpan last = testing::frames_of(original).back();
  fs::resize_file(segment, original.size() - 5);
  std::string name = "journal/" + fs::path(segment).filename().string();

  CommandResult r = pj({"put", "contacts", "k9", "9"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.err, "pa-journal: repaired: dropped a torn tail of " +
                                  std::to_string(last.size - 5) + " bytes at " + name +
                                  " offset " + std::to_string(last.offset) +
                                  " (after seq 2)\n"))
      << r.describe();
  EXPECT_TRUE(contains(r.err,
                       "pa-journal: repaired: kept a copy of what was dropped in "
                       "journal/quarantine/"))
      << r.describe();
  EXPECT_EQ(r.out, "3\n");
  // Repaired once: the next writer has nothing to say.
  CommandResult again = pj({"put", "contacts", "k10", "10"});
  EXPECT_EQ(again.err, "") << again.describe();
}

TEST_F(OpenCliTest, SalvageReportsTheRecordsItDroppedOnStderr) {
  make_store(3);
  std::string segment = testing::segment_path(store);
  std::string bytes = testing::read_bytes(segment);
  testing::FrameSpan second = testing::frames_of(bytes)[1];
  bytes[second.offset + second.size - 1] ^= 0x55;  // inside the record
  testing::write_bytes(segment, bytes);
  std::string name = "journal/" + fs::path(segment).filename().string();

  CommandResult r = pj({"--recovery", "salvage", "put", "contacts", "k9", "9"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.err, "pa-journal: repaired: " + name + " offset " +
                                  std::to_string(second.offset) + ": corruption"))
      << r.describe();
  EXPECT_TRUE(contains(r.err, "records 2..2 lost")) << r.describe();
}

TEST_F(OpenCliTest, PointInTimeReportsWhereItCutTheJournalOnStderr) {
  make_store(3);
  std::string segment = testing::segment_path(store);
  std::string bytes = testing::read_bytes(segment);
  testing::FrameSpan second = testing::frames_of(bytes)[1];
  bytes[second.offset + second.size - 1] ^= 0x55;
  testing::write_bytes(segment, bytes);
  std::string name = "journal/" + fs::path(segment).filename().string();

  CommandResult r = pj({"--recovery", "point-in-time", "put", "contacts", "k9", "9"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.err, "pa-journal: repaired: cut the journal at " + name +
                                  " offset " + std::to_string(second.offset) +
                                  " (after seq 1), where it is damaged ("))
      << r.describe();
  EXPECT_TRUE(contains(r.err, "every record from there on was dropped\n"))
      << r.describe();
  EXPECT_EQ(r.out, "2\n");
}

// Damage whose records the newest snapshot holds is tolerated and left as it
// is: nothing was dropped, so nothing is reported as repaired (verify says it).
TEST_F(OpenCliTest, DamageASnapshotCoversIsNotReportedAsARepair) {
  make_store(3);
  Store::open(store)->compact();
  std::string segment = testing::segment_path(store);
  std::string bytes = testing::read_bytes(segment);
  testing::FrameSpan second = testing::frames_of(bytes)[1];
  bytes[second.offset + second.size - 1] ^= 0x55;
  testing::write_bytes(segment, bytes);

  CommandResult r = pj({"put", "contacts", "k9", "9"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(pj({"verify"}).exit_code, testing::kExitCorruption);
}

TEST_F(OpenCliTest, AReaderReportsNoRepairSinceItMakesNone) {
  make_store(3);
  std::string segment = testing::segment_path(store);
  fs::resize_file(segment, fs::file_size(segment) - 5);
  CommandResult r = pj({"get", "contacts", "k1"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.err, "");
}

}  // namespace
}  // namespace pa_journal
