// Compactor's background thread, driven directly: a capture and settings of
// the test's own stand in for the store, so that each order of events is
// reached on purpose rather than by a race.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

}  // namespace
}  // namespace pa_journal
