// Retention waits for the replicas (store/compactor.h, step 4): while
// replicas/<stream>.json says the stream acknowledged up to acked_seq N,
// compaction removes no journal segment holding a record after N, however
// often it runs; once the position is forgotten, or acked_seq passes them,
// those segments go as usual.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "journal/replica_position.h"
#include "pa_journal/inspect.h"
#include "pa_journal/replicas.h"
#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

constexpr uint64_t kCommits = 300;

class ReplicaRetentionTest : public ::testing::Test {
 protected:
  Options options() const {
    Options o;
    o.durability = Durability::kNone;  // speed; compaction syncs
    o.auto_compact = false;
    o.segment_bytes = 1024;  // many segments for retention to remove
    o.backup_count = 2;
    return o;
  }

  void commit(Store& store, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      store.put("notes", "k" + std::to_string(i % 40),
                R"({"text":"a note long enough to fill segments","i":)" +
                    std::to_string(i) + "}");
    }
  }

  void hold_at(const std::string& stream, uint64_t acked) {
    ReplicaPosition p;
    p.stream = stream;
    p.url = "nats://127.0.0.1:4222";
    p.store_id = Store::open(dir_.path(), options())->store_id();
    p.acked_seq = acked;
    write_replica_position(*posix_file_system(), dir_.path(), p);
  }

  // Compacts rounds times, committing between, so that every compaction has
  // a new snapshot and old ones to let go.
  void compact_often(int rounds) {
    auto store = Store::open(dir_.path(), options());
    for (int r = 0; r < rounds; ++r) {
      commit(*store, 30);
      store->compact();
    }
  }

  // The seqs read_records gives from from_seq on.
  std::vector<uint64_t> seqs_from(uint64_t from_seq) {
    std::vector<uint64_t> out;
    RecordFilter filter;
    filter.from_seq = from_seq;
    read_records(dir_.path(), filter, [&](const Record& r) { out.push_back(r.seq); });
    return out;
  }

  // Every seq from `from` to the last is readable, each once, in order.
  void expect_every_record_from(uint64_t from) {
    std::vector<uint64_t> seqs = seqs_from(0);
    ASSERT_FALSE(seqs.empty());
    ASSERT_LE(seqs.front(), from) << "records after the hold were removed";
    uint64_t expected = seqs.front();
    for (uint64_t seq : seqs) EXPECT_EQ(seq, expected++);
  }

  uint64_t first_seq() {
    std::vector<uint64_t> seqs = seqs_from(0);
    return seqs.empty() ? 0 : seqs.front();
  }

  TempDir dir_;
};

TEST_F(ReplicaRetentionTest, RepeatedCompactionsKeepEveryRecordAfterTheAckedSeq) {
  {
    auto store = Store::open(dir_.path(), options());
    commit(*store, kCommits);
  }
  hold_at("S", 100);
  compact_often(6);
  expect_every_record_from(101);
  // Below the hold retention still works: the journal no longer starts at 1.
  EXPECT_GT(first_seq(), 1u);
  EXPECT_TRUE(verify_store(dir_.path()).ok());
  // The store reopens to the same state with the held segments in place.
  EXPECT_EQ(Store::open(dir_.path(), options())->last_seq(), kCommits + 6 * 30);
  JournalSummary summary = inspect_journal(dir_.path());
  ASSERT_EQ(summary.replicas.replicas.size(), 1u);
  const ReplicaStatus& s = summary.replicas.replicas[0];
  EXPECT_EQ(s.lag_records, kCommits + 6 * 30 - 100);
  EXPECT_GT(s.held_records, 0u);
  EXPECT_GT(s.held_bytes, 0u);
  // Held records lie after the hold and before the oldest snapshot.
  EXPECT_LE(s.held_records, summary.snapshots.back().seq - 100);
}

TEST_F(ReplicaRetentionTest, TheSmallestAckedSeqOfSeveralReplicasHolds) {
  {
    auto store = Store::open(dir_.path(), options());
    commit(*store, kCommits);
  }
  hold_at("FAST", 280);
  hold_at("SLOW", 60);
  compact_often(4);
  expect_every_record_from(61);
}

TEST_F(ReplicaRetentionTest, ForgettingTheReplicaLetsCompactionRemoveTheSegments) {
  {
    auto store = Store::open(dir_.path(), options());
    commit(*store, kCommits);
  }
  hold_at("S", 50);
  compact_often(3);
  expect_every_record_from(51);
  ASSERT_TRUE(forget_replica(dir_.path(), "S"));
  compact_often(1);
  EXPECT_GT(first_seq(), 51u);
  EXPECT_TRUE(list_replicas(dir_.path()).replicas.empty());
}

TEST_F(ReplicaRetentionTest, AnAckedSeqThatPassesTheSegmentsLetsThemGo) {
  {
    auto store = Store::open(dir_.path(), options());
    commit(*store, kCommits);
  }
  hold_at("S", 50);
  compact_often(3);
  expect_every_record_from(51);
  hold_at("S", 250);
  compact_often(1);
  uint64_t first = first_seq();
  EXPECT_GT(first, 51u);
  EXPECT_LE(first, 251u);
  expect_every_record_from(251);
}

TEST_F(ReplicaRetentionTest, ADamagedPositionHoldsTheWholeJournal) {
  {
    auto store = Store::open(dir_.path(), options());
    commit(*store, kCommits);
  }
  hold_at("S", 250);
  write_bytes(dir_ / "replicas/S.json", "{ torn");
  compact_often(4);
  EXPECT_EQ(first_seq(), 1u);
  expect_every_record_from(1);
  EXPECT_NE(read_bytes(dir_ / "storage.log").find("kept for replicas: replicas/S.json"),
            std::string::npos);
}

TEST_F(ReplicaRetentionTest, AStrayFileInReplicasHoldsNothingAndIsLeftAlone) {
  {
    auto store = Store::open(dir_.path(), options());
    commit(*store, kCommits);
  }
  std::filesystem::create_directories(dir_ / "replicas");
  write_bytes(dir_ / "replicas/README", "someone's notes");
  compact_often(3);
  EXPECT_GT(first_seq(), 1u);
  EXPECT_EQ(read_bytes(dir_ / "replicas/README"), "someone's notes");
  EXPECT_EQ(list_replicas(dir_.path()).strays,
            std::vector<std::string>{"replicas/README"});
}

}  // namespace
}  // namespace pa_journal::testing
