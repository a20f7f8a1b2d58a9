// The kill -9 campaign (docs/design.md 8): a child process
// (tests/programs/crash_child.cc) commits from four threads under `always`,
// with background compaction on small segments, restores and export/import
// round trips in the mix; the parent SIGKILLs it at a random moment, reopens
// the store and checks with HistoryChecker (tests/kill_workload.h) that every
// acknowledged commit, restore and import is there byte for byte, that the
// history is an exact prefix of what each thread issued (no holes, duplicates
// or reordering), that restores and imports produced the states they name,
// that the reopened state is the one its history produces, and that verify is
// clean. Every round continues the same store.
//
// The kill moment is uniform over the time a round takes (learned as the run
// goes), so kills land in opening and recovery, in group commits, segment
// roll-overs, compactions, restores and imports alike. The child's 4 KiB
// segments make compaction roll the journal before it captures the state
// (store/compactor.h, step 0): the campaign counts those rolls in storage.log
// and fails if there were none.
//
// Beside each child, a follower (`pa-journal inspect --records --json
// --follow`, from the first record of the round) reads as any reader in
// another process does. It is stopped once the child is killed, and what it
// printed is checked against the journal recovered after the kill: every
// record in order from the first, none twice, none skipped, each as
// recovered, so none that was not durable.
//
// PA_JOURNAL_CRASH_ROUNDS=N sets the number of kills (200 by default; soak
// runs use 10,000); PA_JOURNAL_CRASH_SEED=N repeats a run's contents and delays.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "tests/kill_workload.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtoull(text, nullptr, 10) : fallback;
}

// The campaign with the child's store opened in `durability` (always, or
// none: a commit is acknowledged once in the page cache, which kill -9 keeps,
// and its bytes are stored through a memory map).
void run_campaign(const std::string& durability, uint64_t default_rounds) {
  const uint64_t rounds = env_number("PA_JOURNAL_CRASH_ROUNDS", default_rounds);
  const uint64_t seed = env_number("PA_JOURNAL_CRASH_SEED", std::random_device{}());
  std::cout << "kill campaign: seed " << seed << " (PA_JOURNAL_CRASH_SEED)" << std::endl;
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  TempDir tmp;
  const std::string dir = tmp / "store", exports = tmp / "exports";
  HistoryChecker checker(seed);
  start_campaign_store(dir, &checker);
  double round_ms = 0;  // how long a whole round takes, learned as we go
  uint64_t kills_in_work = 0, acked = 0, admin_acked = 0, torn = 0, followed = 0;
  const auto started = Clock::now();

  for (uint64_t round = 0; round < rounds; ++round) {
    SCOPED_TRACE("seed " + std::to_string(seed) + " round " + std::to_string(round));
    std::filesystem::create_directories(exports);
    // Round 0 runs to its end, to learn how long a round takes.
    const auto delay =
        round == 0
            ? std::chrono::microseconds(20'000'000)
            : std::chrono::microseconds(static_cast<int64_t>(
                  std::uniform_real_distribution<double>(0, 1100 * round_ms)(rng)));
    const uint64_t follow_from = checker.verified_seq() + 1;
    ChildProcess child({PA_JOURNAL_CRASH_CHILD, dir, std::to_string(seed),
                        std::to_string(round), exports, durability});
    ChildProcess follower({pa_journal_binary(), "--dir", dir, "inspect", "--records",
                           "--json", "--follow", "--from-seq",
                           std::to_string(follow_from)});
    const auto start = Clock::now();
    std::string out, follower_out;
    bool done = false;
    while (Clock::now() - start < delay && !done) {
      if (!child.read_stdout(&out, 1)) break;
      follower.read_stdout(&follower_out, 0);
      done = out.find("done\n") != std::string::npos;
    }
    ASSERT_TRUE(done || round > 0) << "round 0 did not finish: " << child.stderr_text();
    if (done) {
      double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      round_ms = round == 0 ? ms : 0.8 * round_ms + 0.2 * ms;
    }
    child.kill(SIGKILL);
    CommandResult result = child.wait();
    out += result.out;
    ASSERT_EQ(result.signal, SIGKILL)
        << "the child ended on its own: " << result.describe();
    // A follower polls every 200 ms, longer than most rounds last, so in
    // every tenth round it gets time to print what the killed child left
    // durable before it is stopped (bounded: a round may have left nothing).
    if (round % 10 == 5) {
      const auto waited = Clock::now();
      while (follower_out.find('\n') == std::string::npos &&
             Clock::now() - waited < std::chrono::seconds(3)) {
        follower.read_stdout(&follower_out, 50);
      }
    }
    follower.kill(SIGTERM);
    CommandResult follower_result = follower.wait();
    follower_out += follower_result.out;
    // SIGTERM ends a follower with exit 0, or kills it if it came before the
    // follower's handler was set up.
    ASSERT_TRUE(follower_result.exit_code == 0 || follower_result.signal == SIGTERM)
        << "the follower failed: " << follower_result.describe();
    done = false;
    Acks acks = parse_acks(out, &done);
    kills_in_work += !done;

    bool torn_tail = false;
    ASSERT_EQ(settle_round(dir, round, acks, &checker, &torn_tail), "");
    torn += torn_tail;
    uint64_t printed = 0;
    ASSERT_EQ(check_followed(follower_out, follow_from, read_history(dir), &printed), "");
    followed += printed;
    acked += acks.commits.size();
    admin_acked += acks.admin.size();
    std::filesystem::remove_all(exports);
  }
  auto took = std::chrono::duration<double>(Clock::now() - started).count();
  const uint64_t rolls = requested_rolls(dir);
  std::cout << "kill campaign (" << durability << "): " << rounds << " kills ("
            << kills_in_work << " before the round was all issued, " << torn
            << " left a torn tail), " << acked << " writer commits and " << admin_acked
            << " restores/imports acknowledged, " << checker.verified_seq()
            << " records recovered and checked, " << rolls
            << " journal rolls before compaction, " << followed
            << " records printed by followers and checked, " << took << " s" << std::endl;
  EXPECT_GT(kills_in_work, rounds / 2) << "most kills must land while work is under way";
  EXPECT_GT(acked, 0u);
  EXPECT_GT(rolls, 0u) << "no compaction rolled the journal: the campaign never "
                          "killed the child around a requested roll";
  EXPECT_GT(followed, 0u) << "the followers printed nothing: they checked nothing";
}

TEST(KillCampaign, KillNineDuringConcurrentCommitsCompactionRestoreAndImport) {
  run_campaign("always", 200);
}

TEST(KillCampaign, KillNineDuringMappedCommitsUnderDurabilityNone) {
  run_campaign("none", 100);
}

}  // namespace
}  // namespace pa_journal::testing
