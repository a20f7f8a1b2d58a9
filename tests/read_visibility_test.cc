// Reads beside commits (docs/design.md, "Reads beside writes"): under
// Durability::kAlways a commit becomes visible to readers only once it is
// durable, so no reader ever sees a commit that a crash or a failed sync
// takes away; a thread that committed reads its own commit at once; readers
// never see part of a commit.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::FaultFileSystem;
using testing::FaultMode;
using testing::FsOp;

// Holds the next sync of a journal segment on the thread that makes it
// until release(): the commit whose batch it syncs is written, not durable.
class HeldSync {
 public:
  explicit HeldSync(FaultFileSystem& fs) : fs_(fs) {
    fs_.set_hook(FsOp::kSync, [this](const std::string& path) {
      if (path.find("/journal/") == std::string::npos || taken_.exchange(true)) return;
      std::unique_lock<std::mutex> lock(mu_);
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_.load(); });
    });
  }
  ~HeldSync() {
    release();
    fs_.set_hook(FsOp::kSync, nullptr);
  }

  // Waits (up to a minute) until a sync is held; false if none came.
  bool wait_held() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::minutes(1), [this] { return held_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool released() const { return released_.load(); }

 private:
  FaultFileSystem& fs_;
  std::atomic<bool> taken_{false};
  std::atomic<bool> released_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
};

class ReadVisibilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.file_system = fs_;
    options_.durability = Durability::kAlways;
    options_.auto_compact = false;
    store_ = Store::open(dir_.path(), options_);
    store_->put("c", "before", R"({"v":1})");
  }

  // The commit under test: changes "c" and creates "d".
  std::vector<Operation> commit_ops() const {
    return {{OpKind::kPut, "c", "new", R"({"v":2})"},
            {OpKind::kDelete, "c", "before", ""},
            {OpKind::kPut, "d", "x", R"({"v":3})"}};
  }

  // Reads on this thread that must show the store as before the commit.
  void expect_commit_not_visible() {
    EXPECT_EQ(store_->get("c", "new"), std::nullopt);
    EXPECT_EQ(store_->get("c", "before"), R"({"v":1})");
    EXPECT_EQ(store_->last_seq(), 1u);
    EXPECT_EQ(store_->collections(), std::vector<std::string>{"c"});
    EXPECT_EQ(store_->list("c").size(), 1u);
    EXPECT_EQ(store_->state().count("d"), 0u);
  }

  std::shared_ptr<FaultFileSystem> fs_ = std::make_shared<FaultFileSystem>();
  Options options_;
  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

// A reader polling on its own thread: whether it ever saw the commit before
// the sync was let go (it must not), and whether it saw it at all.
struct Poller {
  std::atomic<bool> stop{false};
  std::atomic<bool> saw_early{false};
  std::atomic<bool> saw{false};
  std::thread thread;

  void start(Store& store, const HeldSync& held) {
    thread = std::thread([this, &store, &held] {
      for (int i = 0; i < 10'000'000 && !stop.load(); ++i) {
        try {
          bool has_new = store.get("c", "new").has_value();
          if (has_new && !held.released()) saw_early = true;
          if (has_new) saw = true;
          if (has_new && store.last_seq() < 2) saw_early = true;
        } catch (const JournalFailedError&) {
          return;
        }
      }
    });
  }
  void join() {
    stop = true;
    thread.join();
  }
};

TEST_F(ReadVisibilityTest, CommitNotVisibleBeforeDurable) {
  HeldSync held(*fs_);
  Poller poller;
  poller.start(*store_, held);
  std::optional<std::string> own_read;
  std::thread committer([&] {
    store_->commit(commit_ops());
    own_read = store_->get("d", "x");  // its own commit, at once
  });
  ASSERT_TRUE(held.wait_held());
  expect_commit_not_visible();
  held.release();
  committer.join();
  EXPECT_EQ(own_read, R"({"v":3})");
  EXPECT_EQ(store_->get("c", "new"), R"({"v":2})");
  EXPECT_EQ(store_->get("c", "before"), std::nullopt);
  EXPECT_EQ(store_->last_seq(), 2u);
  EXPECT_EQ(store_->collections(), (std::vector<std::string>{"c", "d"}));
  EXPECT_TRUE(testing::eventually([&] { return poller.saw.load(); }));
  poller.join();
  EXPECT_FALSE(poller.saw_early.load());
}

TEST_F(ReadVisibilityTest, FailedSyncNeverMadeCommitVisible) {
  HeldSync held(*fs_);
  fs_->fail(FsOp::kSync, 1, FaultMode::kOnce);  // the held sync, once let go
  Poller poller;
  poller.start(*store_, held);
  std::thread committer(
      [&] { EXPECT_THROW(store_->commit(commit_ops()), JournalFailedError); });
  ASSERT_TRUE(held.wait_held());
  expect_commit_not_visible();
  held.release();
  committer.join();
  EXPECT_THROW(store_->get("c", "new"), JournalFailedError);
  poller.join();
  EXPECT_FALSE(poller.saw.load());
  store_.reset();
  fs_->heal();
  auto reopened = Store::open(dir_.path(), options_);
  EXPECT_EQ(reopened->get("c", "new"), std::nullopt);
  EXPECT_EQ(reopened->get("c", "before"), R"({"v":1})");
  EXPECT_EQ(reopened->last_seq(), 1u);
}

// Under kNone (and kInterval) a commit is visible once written, before any
// sync: a committer reads its own commit though nothing was synced.
TEST(ReadVisibilityModesTest, UnderNoneACommitIsVisibleOnceWrittenBeforeAnySync) {
  testing::TempDir dir;
  auto fs = std::make_shared<FaultFileSystem>();
  Options options;
  options.file_system = fs;
  options.durability = Durability::kNone;
  options.auto_compact = false;
  auto store = Store::open(dir.path(), options);
  store->put("c", "first", "0");  // creates the segment, which is synced
  fs->fail(FsOp::kSync, 1, FaultMode::kPersistent);  // no sync may happen now
  store->put("c", "k", "1");
  EXPECT_EQ(store->get("c", "k"), "1");
  EXPECT_EQ(store->last_seq(), 2u);
  fs->heal();
}

// Committers on several threads, each commit a pair of documents that must
// appear together; readers check every version they read holds both or
// neither (the threaded check for TSan).
TEST(ReadVisibilityModesTest, ReadersBesideCommittersNeverSeeHalfACommit) {
  for (Durability durability : {Durability::kAlways, Durability::kNone}) {
    testing::TempDir dir;
    Options options;
    options.durability = durability;
    options.auto_compact = true;
    options.compact_after_records = 50;
    auto store = Store::open(dir.path(), options);
    std::atomic<bool> stop{false};
    std::atomic<int> halves{0}, reads{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < 2; ++r) {
      threads.emplace_back([&] {
        while (!stop.load()) {
          Collections state = store->state();
          for (const auto& [key, doc] : state["a"]) {
            if (state["b"].count(key) == 0 || state["b"][key] != doc) ++halves;
          }
          if (state["a"].size() != state["b"].size()) ++halves;
          ++reads;
        }
      });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < 150; ++i) {
          std::string key = "w" + std::to_string(w) + "_" + std::to_string(i % 40);
          std::string doc = std::to_string(i);
          if (i % 5 == 4) {  // what the commit before put
            std::string put =
                "w" + std::to_string(w) + "_" + std::to_string((i - 1) % 40);
            store->commit(
                {{OpKind::kDelete, "a", put, ""}, {OpKind::kDelete, "b", put, ""}});
          } else {
            store->commit({{OpKind::kPut, "a", key, doc}, {OpKind::kPut, "b", key, doc}});
          }
        }
      });
    }
    for (auto& t : writers) t.join();
    EXPECT_TRUE(testing::eventually([&] { return reads.load() >= 2; }));
    stop = true;
    for (auto& t : threads) t.join();
    EXPECT_EQ(halves.load(), 0);
    EXPECT_EQ(store->last_seq(), 300u);
  }
}

// Under kNone and kInterval a reader that finds the published version behind
// freezes the head under head_mu, while a committer resolves its patch
// against the head under the writer's lock alone (store/store_impl.h). Each
// writer patches its own document with a rising count: a reader must see
// each count only rise, and the last commit's count at the end (the
// threaded check for TSan of freeze beside resolve).
TEST(ReadVisibilityModesTest, LazyReadersFreezeTheHeadWhileCommittersResolvePatches) {
  for (Durability durability : {Durability::kNone, Durability::kInterval}) {
    testing::TempDir dir;
    Options options;
    options.durability = durability;
    options.sync_interval_ms = 1;
    options.auto_compact = false;
    auto store = Store::open(dir.path(), options);
    constexpr int kWriters = 2, kCommits = 200;
    for (int w = 0; w < kWriters; ++w)
      store->put("c", "w" + std::to_string(w), R"({"n":0})");
    std::atomic<bool> stop{false};
    std::atomic<int> backwards{0}, reads{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
      readers.emplace_back([&] {
        std::vector<int> seen(kWriters, 0);
        while (!stop.load()) {
          for (int w = 0; w < kWriters; ++w) {
            std::optional<std::string> doc = store->get("c", "w" + std::to_string(w));
            int n = doc ? std::stoi(doc->substr(5)) : -1;  // {"n":N}
            if (n < seen[w]) ++backwards;
            seen[w] = n;
          }
          ++reads;
        }
      });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&store, w] {
        for (int i = 1; i <= kCommits; ++i)
          store->patch("c", "w" + std::to_string(w),
                       R"({"n":)" + std::to_string(i) + "}");
      });
    }
    for (auto& t : writers) t.join();
    EXPECT_TRUE(testing::eventually([&] { return reads.load() >= 2; }));
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(backwards.load(), 0);
    for (int w = 0; w < kWriters; ++w)
      EXPECT_EQ(store->get("c", "w" + std::to_string(w)),
                R"({"n":)" + std::to_string(kCommits) + "}");
  }
}

}  // namespace
}  // namespace pa_journal
