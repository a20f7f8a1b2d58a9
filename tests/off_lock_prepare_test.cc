// Store::restore_to and Store::import_from compute their change against a
// consistent state without the writer's lock, and fix it up under the lock
// for the keys written since (docs/design.md, "Restore and import off the
// commit path"). Here commits land in between, staged through a
// FaultFileSystem hook on the restoring (importing) thread while it reads the
// past state (the import's files), after the consistent state was taken:
// the commit must still land exactly on the target, and keep every effect of
// those commits the target does not override.
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "replay/state.h"
#include "store/store_impl.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::FaultFileSystem;
using testing::FsOp;
using testing::TempDir;
using testing::write_files;

class OffLockPrepareTest : public ::testing::Test {
 protected:
  OffLockPrepareTest() : fs_(std::make_shared<FaultFileSystem>()) {
    Options options;
    options.auto_compact = false;
    options.file_system = fs_;
    store_ = Store::open(dir_.path(), options);
  }

  // Runs commits once, on another thread (the calling thread is inside the
  // restore or the import), the first time the calling thread reads a file
  // whose path holds `within` (any, if empty) or lists a directory.
  void commit_beside_first_read(std::function<void(Store&)> commits,
                                std::string within = {}) {
    std::thread::id caller = std::this_thread::get_id();
    auto hook = [this, caller, within, commits](const std::string& path) {
      if (std::this_thread::get_id() != caller || staged_.load()) return;
      if (!within.empty() && path.find(within) == std::string::npos) return;
      staged_ = true;
      auto done = std::async(std::launch::async, [&] {
        commits(*store_);
        staged_seq_ = store_->last_seq();
      });
      ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready)
          << "the staged commits did not complete beside the restore or import";
      done.get();
    };
    fs_->set_hook(FsOp::kRead, hook);
    fs_->set_hook(FsOp::kListDir, hook);
  }

  void stop_staging() {
    fs_->set_hook(FsOp::kRead, nullptr);
    fs_->set_hook(FsOp::kListDir, nullptr);
  }

  Collections state() const {
    Collections out = store_->state();
    std::erase_if(out, [](const auto& entry) { return entry.second.empty(); });
    return out;
  }

  TempDir dir_;
  TempDir elsewhere_;
  std::shared_ptr<FaultFileSystem> fs_;
  std::unique_ptr<Store> store_;
  std::atomic<bool> staged_{false};
  std::atomic<uint64_t> staged_seq_{0};
};

TEST_F(OffLockPrepareTest, RestoreLandsOnTheTargetOverCommitsMadeWhileItPrepared) {
  store_->put("contacts", "a", R"({"v":1})");
  int64_t t = store_->put("contacts", "b", R"({"v":1})").time_ns;
  store_->put("contacts", "a", R"({"v":2})");
  store_->put("contacts", "c", R"({"v":1})");
  const Collections target = {{"contacts", {{"a", R"({"v":1})"}, {"b", R"({"v":1})"}}}};

  commit_beside_first_read([](Store& s) {
    s.put("contacts", "b", R"({"v":5})");  // a key its off-lock diff left alone
    s.put("notes", "d", R"({"v":1})");     // a collection the target lacks
    s.remove("contacts", "c");             // a delete it had planned itself
    s.put("contacts", "a", R"({"v":1})");  // the target's value already
  });
  CommitResult restored = store_->restore_to(t);
  stop_staging();

  ASSERT_TRUE(staged_) << "no file was read during the restore";
  EXPECT_GT(restored.seq, staged_seq_.load()) << "the restore committed before them";
  EXPECT_EQ(state(), target);
  EXPECT_TRUE(store_->plan_restore(t).empty());
}

TEST_F(OffLockPrepareTest,
       RestoreAppendsNothingWhenCommitsMadeWhileItPreparedUndidTheChange) {
  int64_t t = store_->put("contacts", "a", R"({"v":1})").time_ns;
  store_->put("contacts", "a", R"({"v":2})");
  commit_beside_first_read([](Store& s) { s.put("contacts", "a", R"({"v":1})"); });
  CommitResult restored = store_->restore_to(t);
  stop_staging();

  ASSERT_TRUE(staged_);
  EXPECT_EQ(restored.seq, 0u) << "nothing to restore must append nothing";
  EXPECT_EQ(store_->last_seq(), staged_seq_.load());
}

// Beyond what the change log keeps (100,000 keys), the restore recomputes its
// whole change under the writer's lock: still exactly the target.
TEST_F(OffLockPrepareTest, RestoreLandsOnTheTargetWhenTheCommitsBesideItOverflowTheLog) {
  int64_t t = store_->put("contacts", "a", R"({"v":1})").time_ns;
  store_->put("contacts", "a", R"({"v":2})");
  commit_beside_first_read([](Store& s) {
    std::vector<Operation> ops;
    for (int i = 0; i <= 100000; ++i) {
      ops.push_back({OpKind::kPut, "bulk", "k" + std::to_string(i), "1"});
    }
    s.commit(std::move(ops));
  });
  CommitResult restored = store_->restore_to(t);
  stop_staging();

  ASSERT_TRUE(staged_);
  EXPECT_GT(restored.seq, staged_seq_.load());
  EXPECT_EQ(state(), (Collections{{"contacts", {{"a", R"({"v":1})"}}}}));
}

class OffLockImportTest : public OffLockPrepareTest {
 protected:
  OffLockImportTest() {
    store_->put("contacts", "x", R"({"v":1})");
    store_->put("contacts", "y", R"({"v":1})");
    store_->put("notes", "n", R"({"v":1})");
    write_files(in_, {{"contacts.json", R"({"x": {"v": 9}, "z": {"v": 9}})"}});
    // Beside the import: an imported key removed, a key the import lacks, a
    // new key the import lacks, and a collection it does not name.
    commit_beside_first_read(
        [](Store& s) {
          s.remove("contacts", "x");
          s.put("contacts", "y", R"({"v":7})");
          s.put("contacts", "w", R"({"v":7})");
          s.put("notes", "n", R"({"v":2})");
        },
        "contacts.json");
  }

  const std::string in_ = elsewhere_ / "in";
};

TEST_F(OffLockImportTest, MergeKeepsCommitsMadeWhileItPreparedOnKeysItDoesNotImport) {
  ImportOptions options;
  options.merge = true;
  ImportResult result = store_->import_from(in_, options);
  stop_staging();

  ASSERT_TRUE(staged_) << "the import's file was not read";
  EXPECT_GT(result.commit.seq, staged_seq_.load());
  const Collections expected = {{"contacts",
                                 {{"w", R"({"v":7})"},
                                  {"x", R"({"v":9})"},
                                  {"y", R"({"v":7})"},
                                  {"z", R"({"v":9})"}}},
                                {"notes", {{"n", R"({"v":2})"}}}};
  EXPECT_EQ(state(), expected);
  // Counted against the state the commit was applied to: x (removed beside
  // it) and z added, nothing changed or removed.
  EXPECT_EQ(result.collections.at("contacts"), (ImportCounts{2, 0, 0}));
}

TEST_F(OffLockImportTest, ReplaceLandsExactlyOnTheImportOverCommitsMadeWhileItPrepared) {
  ImportResult result = store_->import_from(in_, ImportOptions{});
  stop_staging();

  ASSERT_TRUE(staged_) << "the import's file was not read";
  EXPECT_GT(result.commit.seq, staged_seq_.load());
  const Collections expected = {{"contacts", {{"x", R"({"v":9})"}, {"z", R"({"v":9})"}}},
                                {"notes", {{"n", R"({"v":2})"}}}};
  EXPECT_EQ(state(), expected);
  // x (removed beside it) and z added; y and w (added beside it) removed.
  EXPECT_EQ(result.collections.at("contacts"), (ImportCounts{2, 0, 2}));
}

TEST_F(OffLockImportTest, DryRunCountsAgainstItsConsistentStateAndAppendsNothing) {
  ImportOptions options;
  options.dry_run = true;
  ImportResult result = store_->import_from(in_, options);
  stop_staging();

  ASSERT_TRUE(staged_);
  EXPECT_EQ(result.commit.seq, 0u);
  EXPECT_EQ(store_->last_seq(), staged_seq_.load());
  // Against the state before the staged commits: x changed, z added, y removed.
  EXPECT_EQ(result.collections.at("contacts"), (ImportCounts{1, 1, 1}));
}

// A list file keeps an order document for its collection; with merge it is
// the store's order followed by the imported keys it lacks, taken from the
// order a commit beside the import left.
TEST_F(OffLockPrepareTest, MergedListOrderFollowsAnOrderChangedWhileItPrepared) {
  const std::string in = elsewhere_ / "in";
  store_->put("facade-order", "tasks", R"(["a","b"])");
  store_->put("tasks", "a", R"({"id":"a"})");
  store_->put("tasks", "b", R"({"id":"b"})");
  write_files(in, {{"tasks.json", R"([{"id": "c"}, {"id": "a"}])"}});
  commit_beside_first_read(
      [](Store& s) {
        s.commit({{OpKind::kPut, "tasks", "d", R"({"id":"d"})"},
                  {OpKind::kPut, "facade-order", "tasks", R"(["b","a","d"])"}});
      },
      "tasks.json");
  ImportOptions options;
  options.merge = true;
  store_->import_from(in, options);
  stop_staging();

  ASSERT_TRUE(staged_);
  EXPECT_EQ(json::parse(*store_->get("facade-order", "tasks")),
            json::array({"b", "a", "d", "c"}));
}

// A restore compares the store's version with its target without copying
// the version: the walk must give exactly what diff_states gives for the
// copy, over random states with collections on either side only, documents
// added, removed, changed and kept.
TEST(DiffVersionTest, GivesExactlyWhatDiffStatesGivesForTheCopy) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&rng](int n) { return static_cast<int>(rng() % n); };
    State state;
    Collections target;
    for (int i = 0; i < 300; ++i) {
      std::string collection = "c" + std::to_string(pick(4));
      std::string key = "k" + std::to_string(pick(120));
      std::string doc = std::to_string(pick(3));
      if (pick(2) == 0) {
        state.apply(Record{static_cast<uint64_t>(i + 1),
                           i + 1,
                           {{OpKind::kPut, collection, key, doc}},
                           {}});
      }
      if (pick(3) == 0) target[collection][key] = doc;
    }
    if (pick(2) == 0) target["only-in-target"]["k"] = "1";
    StateVersion version = state.freeze();
    std::vector<DocumentChange> walked = diff_version(version, target);
    std::vector<DocumentChange> copied = diff_states(version.materialize(), target);
    ASSERT_EQ(walked.size(), copied.size());
    for (size_t i = 0; i < walked.size(); ++i) {
      EXPECT_EQ(walked[i].collection, copied[i].collection);
      EXPECT_EQ(walked[i].key, copied[i].key);
      EXPECT_EQ(walked[i].before, copied[i].before);
      EXPECT_EQ(walked[i].after, copied[i].after);
    }
  }
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
// Freed small blocks past the per-thread cache go back to their bins, not to
// fastbins that a later large allocation consolidates under the arena's lock
// while a committer waits to free into that arena (docs/design.md 10).
TEST(WritingProcessTest, SmallFreesLeaveNothingInFastbinsOnceTheProcessAskedForIt) {
  keep_frees_off_the_commit_path();
  std::vector<void*> blocks;
  for (int i = 0; i < 10000; ++i) blocks.push_back(malloc(48));
  for (void* block : blocks) free(block);
  EXPECT_EQ(mallinfo2().fsmblks, 0u);
}
#endif

}  // namespace
}  // namespace pa_journal
