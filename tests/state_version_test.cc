// State::freeze and StateVersion: a version is the state at the record it was
// frozen at, whatever is applied to the head afterwards. (The store's
// compaction, export and readers take versions: see store_test.cc.)
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "replay/state.h"

namespace pa_journal {
namespace {

Record one_op_record(uint64_t seq, OpKind kind, const std::string& collection,
                     const std::string& key, const std::string& document) {
  return {seq, static_cast<int64_t>(seq) * 10, {{kind, collection, key, document}}, {}};
}

// Random puts, patches and deletes over few keys, so that documents are
// changed again and again after a freeze, one at a time or several to a
// record. "b" and "z" do not exist at the first freeze; "g" exists and is
// empty.
class RandomRecords {
 public:
  explicit RandomRecords(uint32_t seed) : rng_(seed) {}

  Record next(uint64_t seq) {
    Record r = one(seq);
    for (uint32_t more = pick(4) == 0 ? pick(5) : 0; more > 0; --more) {
      r.ops.push_back(one(seq).ops[0]);
    }
    return r;
  }
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

 private:
  Record one(uint64_t seq) {
    static const char* kCollections[] = {"a", "b", "c", "e", "g", "z"};
    const std::string collection = kCollections[pick(6)];
    const std::string key = "k" + std::to_string(pick(60));
    switch (pick(4)) {
      case 0:
        return one_op_record(seq, OpKind::kDelete, collection, key, "");
      case 1:
        return one_op_record(seq, OpKind::kPatch, collection, key,
                             R"({"p":)" + std::to_string(seq) + "}");
      default:
        return one_op_record(seq, OpKind::kPut, collection, key,
                             R"({"v":)" + std::to_string(seq) + "}");
    }
  }

  std::mt19937 rng_;
};

State starting_state(RandomRecords& records, uint64_t& seq) {
  State state;
  state.load({{"a", {}}, {"c", {}}, {"e", {}}, {"g", {}}}, 0, 0);
  for (int i = 0; i < 200; ++i) {
    Record r = records.next(++seq);
    if (r.ops.size() > 1) continue;
    const std::string& name = r.ops[0].collection;
    if (name == "b" || name == "z" || name == "g") continue;  // "g" stays empty
    state.apply(r);
  }
  return state;
}

TEST(StateVersionTest, AVersionIsTheStateAtItsFreezeWhateverIsAppliedAfter) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomRecords records(seed);
    uint64_t seq = 0;
    State state = starting_state(records, seq);
    const Collections at_freeze = state.collections();
    const uint64_t hash_at_freeze = state.hash();
    const uint64_t seq_at_freeze = state.last_seq();
    StateVersion version = state.freeze();
    State without_freeze = state;  // applies the same records, never frozen
    for (int i = 0; i < 300; ++i) {
      Record r = records.next(++seq);
      state.apply(r);
      without_freeze.apply(r);
      if (i % 50 == 0) state.freeze();  // more versions, more sessions ended
    }
    EXPECT_EQ(version.materialize(), at_freeze);
    EXPECT_EQ(version.hash(), hash_at_freeze);
    EXPECT_EQ(version.collection("b"), nullptr);  // created since
    EXPECT_EQ(version.collection("z"), nullptr);
    ASSERT_NE(version.collection("g"), nullptr);
    EXPECT_TRUE(version.collection("g")->empty());
    EXPECT_EQ(version.last_seq(), seq_at_freeze);
    EXPECT_EQ(state.collections(), without_freeze.collections());
    EXPECT_EQ(state.freeze().materialize(), without_freeze.collections());
  }
}

TEST(StateVersionTest, FreezingTwiceWithoutARecordGivesTheSameVersion) {
  State state;
  state.apply(one_op_record(1, OpKind::kPut, "c", "a", "1"));
  StateVersion first = state.freeze();
  StateVersion second = state.freeze();
  EXPECT_EQ(first.find("c", "a"), second.find("c", "a"));  // the same document
  state.apply(one_op_record(2, OpKind::kPut, "c", "a", "2"));
  StateVersion third = state.freeze();
  EXPECT_EQ(*first.find("c", "a"), "1");
  EXPECT_EQ(*third.find("c", "a"), "2");
  EXPECT_EQ(third.last_seq(), 2u);
  EXPECT_EQ(third.last_time_ns(), 20);
  EXPECT_EQ(third.document_count(), 1u);
}

TEST(StateVersionTest, ARecordRefusedPartWayLeavesEarlierVersionsAndTheHeadAsTheyWere) {
  State state;
  state.apply(one_op_record(1, OpKind::kPut, "c", "bad", "not json"));
  state.apply(one_op_record(2, OpKind::kPut, "c", "ok", "1"));
  StateVersion version = state.freeze();
  state.apply(one_op_record(3, OpKind::kPut, "c", "ok", "2"));  // in a new session
  Collections before = state.collections();
  Record record{4,
                40,
                {{OpKind::kPut, "c", "ok", "3"},
                 {OpKind::kPut, "d", "new", "{}"},
                 {OpKind::kPatch, "c", "bad", R"({"a":1})"}},
                {}};
  EXPECT_ANY_THROW(state.apply(record));
  EXPECT_EQ(state.collections(), before);
  EXPECT_EQ(state.last_seq(), 3u);
  EXPECT_EQ(*version.find("c", "ok"), "1");
  EXPECT_EQ(version.collection("d"), nullptr);
}

// Readers on other threads hold versions and read them, without a lock,
// while the head goes on: under TSan, this is the check that the head never
// writes a node a version reaches.
TEST(StateVersionTest, ThreadsReadTheirVersionsWhileTheHeadIsWritten) {
  State state;
  for (uint64_t i = 1; i <= 500; ++i) {
    state.apply(one_op_record(i, OpKind::kPut, "c", "k" + std::to_string(i % 300),
                              std::to_string(i)));
  }
  std::vector<StateVersion> versions;
  std::vector<Collections> expected;
  for (int v = 0; v < 4; ++v) {
    versions.push_back(state.freeze());
    expected.push_back(state.collections());
    for (uint64_t i = 1; i <= 200; ++i) {
      uint64_t seq = state.last_seq() + 1;
      state.apply(one_op_record(seq, i % 3 == 0 ? OpKind::kDelete : OpKind::kPut, "c",
                                "k" + std::to_string((i * 7) % 300),
                                std::to_string(seq)));
    }
  }
  std::vector<std::thread> readers;
  std::vector<int> mismatches(versions.size(), 0);
  for (size_t r = 0; r < versions.size(); ++r) {
    readers.emplace_back([&, r] {
      for (int round = 0; round < 20; ++round) {
        if (versions[r].materialize() != expected[r]) ++mismatches[r];
      }
    });
  }
  for (uint64_t i = 1; i <= 3000; ++i) {
    uint64_t seq = state.last_seq() + 1;
    state.apply(one_op_record(seq, i % 4 == 0 ? OpKind::kDelete : OpKind::kPut, "c",
                              "k" + std::to_string((i * 13) % 400), std::to_string(seq)));
    if (i % 100 == 0) state.freeze();
  }
  for (auto& t : readers) t.join();
  for (size_t r = 0; r < versions.size(); ++r) EXPECT_EQ(mismatches[r], 0) << r;
}

}  // namespace
}  // namespace pa_journal
