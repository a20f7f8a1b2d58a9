// Compactor's background thread, driven directly: a capture and settings of
// the test's own stand in for the store, so that each order of events is
// reached on purpose rather than by a race.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "store/compactor.h"
#include "store/storage_log.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

class BackgroundCompactionTest : public ::testing::Test {
 protected:
  BackgroundCompactionTest() : log_(fs_, dir_ / "LOG") {
    options_.auto_compact = true;
    options_.compact_after_records = 1;
  }

  // A compactor over a state whose last seq is `seq`, already snapshotted:
  // nothing new to compact. settings_calls_ counts how often the background
  // thread looks at the settings; after kLooks looks the state moves on, as
  // the next commit would move it, so that a thread that spins lets go.
  static constexpr uint64_t kLooks = 10'000;
  std::unique_ptr<Compactor> make_compactor(uint64_t seq) {
    auto capture = [seq] {
      Compactor::Capture out;
      out.seq = seq;
      return out;
    };
    auto settings = [this, seq] {
      Compactor::Settings out;
      out.last_seq = ++settings_calls_ > kLooks ? seq + 1 : seq;
      return out;
    };
    return std::make_unique<Compactor>(fs_, dir_.path(), options_, nullptr, &log_,
                                       capture, settings, seq);
  }

  testing::TempDir dir_;
  std::shared_ptr<FileSystem> fs_ = posix_file_system();
  StorageLog log_;
  Options options_;
  std::atomic<uint64_t> settings_calls_{0};
};

// A commit already covered by the newest snapshot (an explicit compaction ran
// between the commit and its note_commit) crosses the threshold. The thread
// must go back to waiting. It spun instead, keeping the compactor's lock, so
// that the store's close waited for it until another commit came.
TEST_F(BackgroundCompactionTest,
       ThresholdCrossedWithNothingNewToCompactGoesBackToWaiting) {
  auto compactor = make_compactor(7);
  compactor->note_commit(100);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // One look when woken, perhaps one more at a tick; a spinning thread makes
  // hundreds of thousands.
  EXPECT_LE(settings_calls_.load(), 3u);
}

// Once the threshold is crossed and nothing is new, the next commit that is
// new must still start a compaction: the count since the last one is kept.
TEST_F(BackgroundCompactionTest, CommitAfterANothingNewWakeUpStillCompacts) {
  std::atomic<uint64_t> last_seq{7};
  std::atomic<int> captures{0};
  auto capture = [&] {
    ++captures;
    Compactor::Capture out;
    out.seq = 7;  // what the snapshot would cover: nothing written here
    return out;
  };
  auto settings = [&] {
    Compactor::Settings out;
    out.last_seq = last_seq.load();
    return out;
  };
  Compactor compactor(fs_, dir_.path(), options_, nullptr, &log_, capture, settings, 7);
  compactor.note_commit(100);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(captures.load(), 0);
  last_seq = 8;
  compactor.note_commit(100);
  EXPECT_TRUE(testing::eventually([&] { return captures.load() >= 1; }));
}

// Settings that switch automatic compaction off, over a state that every
// commit moves on: settings_calls_ counts the thread's looks.
std::function<Compactor::Settings()> switched_off(std::atomic<uint64_t>& calls,
                                                  std::atomic<bool>& automatic) {
  return [&calls, &automatic] {
    Compactor::Settings out;
    out.last_seq = 8 + ++calls;  // always something new
    out.automatic = automatic.load();
    return out;
  };
}

// Compaction switched off by config, and commits far past the threshold: the
// thread learns once that it is off and is not woken by each commit again.
// It was: each commit crossed the never-reset counts, woke it, and it read
// the settings, which froze the store's state, so that the next commit
// copied its tree paths once more (apply --durability none ran 3.4-4.0 s for
// a million lines instead of 2.1 s).
TEST_F(BackgroundCompactionTest, CommitsWithCompactionSwitchedOffDoNotWakeTheThread) {
  std::atomic<bool> automatic{false};
  std::atomic<int> captures{0};
  auto capture = [&captures] {
    ++captures;
    return Compactor::Capture{};
  };
  Compactor compactor(fs_, dir_.path(), options_, nullptr, &log_, capture,
                      switched_off(settings_calls_, automatic), 7);
  compactor.note_commit(100);
  ASSERT_TRUE(testing::eventually([&] { return settings_calls_.load() >= 1; }));
  constexpr int kCommits = 40;
  for (int i = 0; i < kCommits; ++i) {
    compactor.note_commit(100);
    // Time for a woken thread to look, so that wake-ups do not merge.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // The first look, and at most a tick or two (one a second) meanwhile.
  EXPECT_LE(settings_calls_.load(), 3u);
  EXPECT_EQ(captures.load(), 0);
}

// Switched back on by a commit to the config collection, the counts crossed
// while it was off compact at once, without waiting for another threshold.
TEST_F(BackgroundCompactionTest, ConfigCommitSwitchingCompactionBackOnCompacts) {
  std::atomic<bool> automatic{false};
  std::atomic<int> captures{0};
  auto capture = [&captures] {
    ++captures;
    return Compactor::Capture{};
  };
  Compactor compactor(fs_, dir_.path(), options_, nullptr, &log_, capture,
                      switched_off(settings_calls_, automatic), 7);
  for (int i = 0; i < 5; ++i) compactor.note_commit(100);
  ASSERT_TRUE(testing::eventually([&] { return settings_calls_.load() >= 1; }));
  EXPECT_EQ(captures.load(), 0);
  automatic = true;
  compactor.note_commit(10, 1, /*config=*/true);
  EXPECT_TRUE(testing::eventually([&] { return captures.load() >= 1; }));
}

// Below the thresholds a commit never wakes the thread: only its ticks look.
TEST_F(BackgroundCompactionTest, CommitsBelowTheThresholdDoNotWakeTheThread) {
  options_.compact_after_records = 1'000'000;
  std::atomic<bool> automatic{true};
  Compactor compactor(
      fs_, dir_.path(), options_, nullptr, &log_, [] { return Compactor::Capture{}; },
      switched_off(settings_calls_, automatic), 7);
  for (int i = 0; i < 40; ++i) {
    compactor.note_commit(100);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_LE(settings_calls_.load(), 2u);  // a tick or two (one a second)
}

}  // namespace
}  // namespace pa_journal
