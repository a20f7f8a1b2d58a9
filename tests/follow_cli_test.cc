// `pa-journal inspect --records --follow` beside writers in other processes:
// it prints what is there, then each commit once durable, across segment
// rolls and compactions, until a signal (exit 0) or the store's removal.
// Every wait is bounded in time.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::ChildProcess;
using testing::CommandResult;
using testing::contains;
using testing::kExitOk;
using Clock = std::chrono::steady_clock;

constexpr auto kPatience = std::chrono::seconds(30);

std::string doc(uint64_t i) { return R"({"n":)" + std::to_string(i) + "}"; }

class FollowCliTest : public ::testing::Test {
 protected:
  // A follower of the store: inspect --records --json --follow, plus extra.
  std::unique_ptr<ChildProcess> follow(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{testing::pa_journal_binary(),
                                  "--dir",
                                  dir,
                                  "inspect",
                                  "--records",
                                  "--json",
                                  "--follow"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<ChildProcess>(argv);
  }

  // Reads the follower's stdout until it holds n lines (or kPatience has
  // passed, or it ended); returns the seqs of the records read so far.
  std::vector<uint64_t> read_until(ChildProcess& child, size_t n) {
    auto deadline = Clock::now() + kPatience;
    while (lines(out_) < n && Clock::now() < deadline) {
      if (!child.read_stdout(&out_, 100)) break;
    }
    return seqs();
  }

  std::vector<uint64_t> seqs() const {
    std::vector<uint64_t> out;
    for (const auto& line : testing::parse_json_lines(complete_lines(out_)))
      out.push_back(line.at("seq").get<uint64_t>());
    return out;
  }

  static size_t lines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  }
  static std::string complete_lines(const std::string& text) {
    return text.substr(0, text.rfind('\n') + 1);
  }

  static std::vector<uint64_t> one_to(uint64_t n) {
    std::vector<uint64_t> out;
    for (uint64_t i = 1; i <= n; ++i) out.push_back(i);
    return out;
  }

  void put(const std::string& key, uint64_t i) {
    CommandResult r = testing::run_in_store(dir, {"put", "contacts", key, doc(i)});
    ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
  std::string out_;  // what the follower printed
};

TEST_F(FollowCliTest, PrintsTheJournalThenEachCommitOfAnotherProcessUntilSigterm) {
  put("a", 1);
  put("b", 2);
  auto follower = follow();
  EXPECT_EQ(read_until(*follower, 2), one_to(2));
  put("c", 3);  // one process per commit, each durable once it exits
  EXPECT_EQ(read_until(*follower, 3), one_to(3));
  put("d", 4);
  EXPECT_EQ(read_until(*follower, 4), one_to(4));
  follower->kill(SIGTERM);
  CommandResult r = follower->wait(30'000);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  out_ += r.out;
  EXPECT_EQ(seqs(), one_to(4)) << out_;
}

// apply stays open as the writer (it holds LOCK) and acknowledges each commit
// once durable: the follower prints each one it acknowledged.
TEST_F(FollowCliTest, PrintsTheCommitsALiveWriterAcknowledges) {
  put("a", 1);
  ChildProcess writer({testing::pa_journal_binary(), "--dir", dir, "apply", "-"});
  auto follower = follow();
  EXPECT_EQ(read_until(*follower, 1), one_to(1));
  std::string acks;
  for (uint64_t i = 2; i <= 6; ++i) {
    ASSERT_TRUE(writer.write_all(R"({"op":"put","collection":"contacts","key":"k)" +
                                 std::to_string(i) + R"(","value":)" + doc(i) + "}\n"));
    auto deadline = Clock::now() + kPatience;
    while (lines(acks) < i - 1 && Clock::now() < deadline) writer.read_stdout(&acks, 100);
    ASSERT_EQ(lines(acks), i - 1) << acks;
    EXPECT_EQ(read_until(*follower, i), one_to(i));
  }
  CommandResult w = writer.wait(30'000);
  EXPECT_EQ(w.exit_code, kExitOk) << w.describe();
  follower->kill(SIGINT);
  CommandResult r = follower->wait(30'000);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  out_ += r.out;
  EXPECT_EQ(seqs(), one_to(6)) << out_;
}

// Small segments roll often and compaction removes the old ones beside the
// follower (each once the follower has read them: one that falls further
// behind than retention is record_follower_test's): it still prints every
// record once, in order.
TEST_F(FollowCliTest, FollowsAcrossSegmentRollsAndCompactions) {
  Options options;
  options.segment_bytes = 2048;
  options.backup_count = 1;
  options.auto_compact = false;
  auto store = Store::open(dir, options);
  uint64_t n = 0;
  for (; n < 30; ++n) store->put("contacts", "k" + std::to_string(n), doc(n));
  auto follower = follow();
  EXPECT_EQ(read_until(*follower, n), one_to(n));
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 40; ++i, ++n)
      store->put("contacts", "k" + std::to_string(n), doc(n));
    ASSERT_EQ(read_until(*follower, n), one_to(n)) << "round " << round;
    store->compact();
    for (int i = 0; i < 5; ++i, ++n)
      store->put("contacts", "k" + std::to_string(n), doc(n));
    EXPECT_EQ(read_until(*follower, n), one_to(n)) << "round " << round;
  }
  // The compactions removed the first segments while the follower read.
  EXPECT_FALSE(std::filesystem::exists(dir + "/journal/00000000000000000001.log"));
  follower->kill(SIGTERM);
  CommandResult r = follower->wait(30'000);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(r.err.empty()) << r.err;
}

TEST_F(FollowCliTest, EndsWithExitZeroWhenTheStoreIsRemoved) {
  put("a", 1);
  auto follower = follow();
  EXPECT_EQ(read_until(*follower, 1), one_to(1));
  std::filesystem::remove_all(dir);
  CommandResult r = follower->wait(30'000);
  EXPECT_FALSE(r.timed_out) << r.describe();
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.err, "the store was removed")) << r.describe();
}

TEST_F(FollowCliTest, LimitEndsFollowingOnceReached) {
  put("a", 1);
  auto follower = follow({"--limit", "3"});
  EXPECT_EQ(read_until(*follower, 1), one_to(1));
  put("b", 2);
  put("c", 3);
  put("d", 4);
  CommandResult r = follower->wait(30'000);
  EXPECT_FALSE(r.timed_out) << r.describe();
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  out_ += r.out;
  EXPECT_EQ(seqs(), one_to(3)) << out_;
}

TEST_F(FollowCliTest, FiltersApplyToNewCommitsToo) {
  put("a", 1);
  auto follower = follow({"--key", "b"});
  put("b", 2);
  put("c", 3);
  put("b", 4);
  EXPECT_EQ(read_until(*follower, 2), (std::vector<uint64_t>{2, 4}));
  follower->kill(SIGTERM);
  CommandResult r = follower->wait(30'000);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
}

TEST_F(FollowCliTest, HumanFormPrintsEachNewCommitToo) {
  put("a", 1);
  ChildProcess follower(
      {testing::pa_journal_binary(), "--dir", dir, "inspect", "--records", "--follow"});
  put("b", 2);
  auto deadline = Clock::now() + kPatience;
  while (!contains(out_, "put contacts/b") && Clock::now() < deadline) {
    if (!follower.read_stdout(&out_, 100)) break;
  }
  EXPECT_TRUE(contains(out_, "1  ")) << out_;
  EXPECT_TRUE(contains(out_, "put contacts/b")) << out_;
  follower.kill(SIGINT);
  EXPECT_EQ(follower.wait(30'000).exit_code, kExitOk);
}

TEST_F(FollowCliTest, FollowWithoutRecordsIsAUsageError) {
  put("a", 1);
  CommandResult r = testing::run_in_store(dir, {"inspect", "--follow"});
  EXPECT_EQ(r.exit_code, testing::kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "--follow")) << r.describe();
}

}  // namespace
}  // namespace pa_journal
