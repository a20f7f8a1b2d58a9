// Compare-and-set commits (Operation::if_seq, Store::get_versioned): which
// commits they let through and refuse, across deletes, restores, snapshots
// and reopens, and that concurrent read-modify-write loops lose nothing.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

class CompareAndSetTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open(Options options = {}) {
    store_.reset();
    store_ = Store::open(dir_ / "store", options);
  }
  uint64_t seq_of(const std::string& key) {
    auto versioned = store_->get_versioned("c", key);
    return versioned ? versioned->seq : 0;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(CompareAndSetTest, GetVersionedGivesTheSeqOfTheDocumentsLastChange) {
  uint64_t first = store_->put("c", "a", R"({"v":1})").seq;
  store_->put("c", "b", R"({"v":1})");
  EXPECT_EQ(store_->get_versioned("c", "a"), (VersionedDocument{R"({"v":1})", first}));
  uint64_t patched = store_->patch("c", "a", R"({"w":2})").seq;
  EXPECT_EQ(seq_of("a"), patched);
  EXPECT_EQ(store_->get_versioned("c", "zz"), std::nullopt);
}

TEST_F(CompareAndSetTest, PutWithTheCurrentSeqCommitsAndWithAnOlderOneIsRefused) {
  uint64_t seen = store_->put("c", "a", R"({"v":1})").seq;
  uint64_t changed = store_->put("c", "a", R"({"v":2})", seen).seq;
  try {
    store_->put("c", "a", R"({"v":3})", seen);
    FAIL() << "a put with a stale if_seq was accepted";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.collection(), "c");
    EXPECT_EQ(e.key(), "a");
    EXPECT_EQ(e.seq(), changed);
    EXPECT_NE(std::string(e.what()).find("c/a changed at seq " + std::to_string(changed)),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(*store_->get("c", "a"), R"({"v":2})");
}

TEST_F(CompareAndSetTest, PatchAndRemoveTakeAnIfSeqToo) {
  uint64_t seen = store_->put("c", "a", R"({"v":1})").seq;
  store_->put("c", "b", R"({"v":1})");  // another document: no conflict
  uint64_t patched = store_->patch("c", "a", R"({"w":2})", seen).seq;
  EXPECT_THROW(store_->patch("c", "a", R"({"w":3})", seen), ConflictError);
  EXPECT_THROW(store_->remove("c", "a", seen), ConflictError);
  store_->remove("c", "a", patched);
  EXPECT_EQ(store_->get("c", "a"), std::nullopt);
}

TEST_F(CompareAndSetTest, IfSeqZeroCreatesTheDocumentOnlyOnce) {
  store_->put("c", "a", R"({"v":1})", 0);
  EXPECT_THROW(store_->put("c", "a", R"({"v":2})", 0), ConflictError);
  EXPECT_EQ(*store_->get("c", "a"), R"({"v":1})");
  store_->remove("c", "a");
  store_->put("c", "a", R"({"v":3})", 0);  // absent again: created again
  EXPECT_EQ(*store_->get("c", "a"), R"({"v":3})");
}

TEST_F(CompareAndSetTest, RefusedCommitAppendsNothing) {
  uint64_t seen = store_->put("c", "a", R"({"v":1})").seq;
  store_->put("c", "a", R"({"v":2})");
  store_->sync();
  std::string before = testing::read_bytes(testing::segment_path(dir_ / "store"));
  uint64_t last = store_->last_seq();
  EXPECT_THROW(store_->put("c", "a", R"({"v":3})", seen), ConflictError);
  EXPECT_EQ(store_->last_seq(), last);
  store_->sync();
  EXPECT_EQ(testing::read_bytes(testing::segment_path(dir_ / "store")), before);
  // and the next commit takes the next seq: none was used up
  EXPECT_EQ(store_->put("c", "b", "1").seq, last + 1);
}

TEST_F(CompareAndSetTest, ABatchWithOneStaleIfSeqCommitsNoneOfItsOperations) {
  uint64_t a = store_->put("c", "a", "1").seq;
  uint64_t b = store_->put("c", "b", "1").seq;
  store_->put("c", "b", "2");  // b changed after b
  std::vector<Operation> ops;
  ops.emplace_back(OpKind::kPut, "c", "a", "10", a);
  ops.emplace_back(OpKind::kPut, "c", "b", "10", b);
  ops.emplace_back(OpKind::kPut, "c", "new", "10");
  EXPECT_THROW(store_->commit(ops), ConflictError);
  EXPECT_EQ(*store_->get("c", "a"), "1");
  EXPECT_EQ(store_->get("c", "new"), std::nullopt);
  ops[1].if_seq = seq_of("b");
  store_->commit(ops);
  EXPECT_EQ(*store_->get("c", "b"), "10");
}

TEST_F(CompareAndSetTest, AfterADeleteAStaleSeqIsRefusedAndNoneOrANewerSeqIsTaken) {
  uint64_t seen = store_->put("c", "a", "1").seq;
  uint64_t deleted = store_->remove("c", "a").seq;
  EXPECT_EQ(store_->get_versioned("c", "a"), std::nullopt);
  try {
    store_->put("c", "a", "2", seen);
    FAIL() << "a put over a delete after its if_seq was accepted";
  } catch (const ConflictError& e) {
    EXPECT_EQ(e.seq(), deleted);
  }
  store_->put("c", "a", "3", deleted);  // read as absent after the delete
  EXPECT_EQ(*store_->get("c", "a"), "3");
}

TEST_F(CompareAndSetTest, ARestoreCountsAsAChangeOfEachDocumentItChanges) {
  uint64_t untouched = store_->put("c", "b", "1").seq;
  CommitResult first = store_->put("c", "a", "1");
  uint64_t seen = store_->put("c", "a", "2").seq;
  uint64_t restored = store_->restore_to(first.time_ns).seq;
  ASSERT_NE(restored, 0u);
  EXPECT_EQ(*store_->get("c", "a"), "1");
  EXPECT_THROW(store_->put("c", "a", "3", seen), ConflictError);
  EXPECT_EQ(seq_of("a"), restored);
  EXPECT_EQ(seq_of("b"), untouched);  // the restore did not change b
  store_->put("c", "a", "3", restored);
  store_->put("c", "b", "3", untouched);
}

TEST_F(CompareAndSetTest, AnImportCountsAsAChangeOfEachDocumentItChanges) {
  store_->put("c", "a", "1");
  uint64_t untouched = store_->put("c", "b", "1").seq;
  store_->export_to(dir_ / "export");
  uint64_t seen = store_->put("c", "a", "2").seq;
  uint64_t imported = store_->import_from(dir_ / "export").seq;
  ASSERT_NE(imported, 0u);
  EXPECT_EQ(*store_->get("c", "a"), "1");
  EXPECT_THROW(store_->put("c", "a", "3", seen), ConflictError);
  EXPECT_EQ(seq_of("b"), untouched);  // the import did not change b
  store_->put("c", "a", "3", seq_of("a"));
}

TEST_F(CompareAndSetTest, AfterReopenFromASnapshotItsDocumentsCountAsChangedAtItsSeq) {
  uint64_t old_seq = store_->put("c", "a", "1").seq;
  store_->put("c", "filler", "1");
  uint64_t snapshot_seq = store_->compact().seq;
  ASSERT_GT(snapshot_seq, old_seq);
  uint64_t after = store_->put("c", "b", "1").seq;  // replayed after the snapshot
  store_->put("c", "gone", "1");
  uint64_t deleted = store_->remove("c", "gone").seq;
  open();
  EXPECT_EQ(store_->recovery().snapshot_seq, snapshot_seq);
  EXPECT_EQ(seq_of("a"), snapshot_seq);  // a bound: at or after its last change
  EXPECT_EQ(seq_of("b"), after);         // exact
  try {
    store_->put("c", "a", "2", old_seq);  // conservative: refused though safe
    FAIL() << "a seq below the snapshot's was accepted for a snapshot document";
  } catch (const ConflictError& e) {
    EXPECT_NE(std::string(e.what()).find("at or before seq"), std::string::npos)
        << e.what();
  }
  store_->put("c", "a", "2", snapshot_seq);
  store_->put("c", "b", "2", after);
  EXPECT_THROW(store_->put("c", "gone", "2", deleted - 1), ConflictError);
}

TEST_F(CompareAndSetTest, DeletesBeforeASnapshotCountAsAtItsSeqAfterReopen) {
  uint64_t seen = store_->put("c", "a", "1").seq;
  store_->remove("c", "a");
  uint64_t snapshot_seq = store_->compact().seq;
  open();
  EXPECT_THROW(store_->put("c", "a", "2", seen), ConflictError);
  store_->put("c", "a", "2", snapshot_seq);
  EXPECT_EQ(*store_->get("c", "a"), "2");
}

// Each thread reads the counter with its seq and writes it plus one with
// that seq, retrying on a conflict: every increment lands exactly once.
void increment_concurrently(Store& store, int threads, int per_thread) {
  store.put("c", "counter", "0");
  std::atomic<int> conflicts{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&store, &conflicts, per_thread] {
      for (int done = 0, tries = 0; done < per_thread && tries < 100000; ++tries) {
        auto seen = store.get_versioned("c", "counter");
        std::string next = std::to_string(std::stoi(seen->json) + 1);
        try {
          store.put("c", "counter", next, seen->seq);
          ++done;
        } catch (const ConflictError&) {
          ++conflicts;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(*store.get("c", "counter"), std::to_string(threads * per_thread))
      << conflicts << " conflicts retried";
}

TEST_F(CompareAndSetTest, ConcurrentIncrementsWithRetryLoopsLoseNoIncrement) {
  increment_concurrently(*store_, 4, 100);
}

TEST_F(CompareAndSetTest, ConcurrentIncrementsLoseNoIncrementUnderDurabilityNone) {
  Options options;
  options.durability = Durability::kNone;
  open(options);
  increment_concurrently(*store_, 4, 200);
}

}  // namespace
}  // namespace pa_journal
