// State::begin_capture / capture_step / take_capture: a copy taken in steps
// with records applied in between is the state at the moment it began.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "replay/state.h"

namespace pa_journal {
namespace {

Record one_op_record(uint64_t seq, OpKind kind, const std::string& collection,
                     const std::string& key, const std::string& document) {
  return {seq, static_cast<int64_t>(seq) * 10, {{kind, collection, key, document}}, {}};
}

// Random puts, patches and deletes over few keys, so that documents are
// changed again and again, before and after the copy reaches them. "b" and
// "z" do not exist when the capture begins; "g" exists and is empty.
class RandomRecords {
 public:
  explicit RandomRecords(uint32_t seed) : rng_(seed) {}

  Record next(uint64_t seq) {
    static const char* kCollections[] = {"a", "b", "c", "e", "g", "z"};
    const std::string collection = kCollections[pick(6)];
    const std::string key = "k" + std::to_string(pick(30));
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
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

 private:
  std::mt19937 rng_;
};

State starting_state(RandomRecords& records, uint64_t& seq) {
  State state;
  state.load({{"a", {}}, {"c", {}}, {"e", {}}, {"g", {}}}, 0, 0);
  for (int i = 0; i < 60; ++i) {
    Record r = records.next(++seq);
    if (r.ops[0].collection == "b" || r.ops[0].collection == "z") continue;
    if (r.ops[0].collection == "g") continue;  // stays empty
    state.apply(r);
  }
  return state;
}

TEST(StateCaptureTest, CopyIsTheStateAtItsStartWhateverIsAppliedBetweenSteps) {
  for (uint32_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomRecords records(seed);
    uint64_t seq = 0;
    State state = starting_state(records, seq);
    const Collections at_start = state.collections();
    const uint64_t seq_at_start = state.last_seq();
    State without_capture = state;

    state.begin_capture();
    int steps = 0;
    while (!state.capture_step(records.pick(6))) {  // budgets 0..5
      ASSERT_LT(++steps, 10000);
      for (uint32_t n = records.pick(4); n > 0; --n) {
        Record r = records.next(++seq);
        without_capture.apply(r);
        state.apply(std::move(r));
      }
    }
    State::Captured copy = state.take_capture();
    EXPECT_FALSE(state.capturing());
    EXPECT_EQ(copy.collections, at_start);
    EXPECT_EQ(copy.seq, seq_at_start);
    EXPECT_EQ(copy.time_ns, static_cast<int64_t>(seq_at_start) * 10);
    // Capturing changes nothing in the state itself.
    EXPECT_EQ(state.collections(), without_capture.collections());
    EXPECT_EQ(state.hash(), without_capture.hash());
  }
}

TEST(StateCaptureTest, EachStepCopiesAtMostItsBudget) {
  State state;
  state.load({{"a", {{"1", "1"}, {"2", "2"}, {"3", "3"}, {"4", "4"}}},
              {"b", {}},
              {"c", {{"5", "5"}, {"6", "6"}, {"7", "7"}, {"8", "8"}, {"9", "9"}}}},
             9, 90);
  state.begin_capture();
  EXPECT_FALSE(state.capture_step(0));
  EXPECT_FALSE(state.capture_step(3));  // a: 1 2 3
  EXPECT_FALSE(state.capture_step(3));  // a: 4, b, c: 5 6
  EXPECT_TRUE(state.capture_step(3));   // c: 7 8 9, the last
  EXPECT_EQ(state.take_capture().collections, state.collections());
}

TEST(StateCaptureTest, ADocumentDeletedAndPutAgainIsCopiedAsItWas) {
  State state;
  state.load({{"c", {{"a", "1"}, {"m", "2"}, {"z", "3"}}}}, 3, 30);
  state.begin_capture();
  EXPECT_FALSE(state.capture_step(1));  // a
  state.apply(one_op_record(4, OpKind::kDelete, "c", "m", ""));
  state.apply(one_op_record(5, OpKind::kPut, "c", "m", "20"));
  state.apply(one_op_record(6, OpKind::kDelete, "c", "z", ""));
  state.apply(one_op_record(7, OpKind::kPut, "c", "n", "new"));
  state.apply(one_op_record(8, OpKind::kPut, "c", "a", "changed after the copy"));
  while (!state.capture_step(1)) {
  }
  Collections expected{{"c", {{"a", "1"}, {"m", "2"}, {"z", "3"}}}};
  EXPECT_EQ(state.take_capture().collections, expected);
  Collections now{{"c", {{"a", "changed after the copy"}, {"m", "20"}, {"n", "new"}}}};
  EXPECT_EQ(state.collections(), now);
}

TEST(StateCaptureTest, LoadCancelAndCopyEndTheCapture) {
  State state;
  state.load({{"c", {{"a", "1"}, {"b", "2"}}}}, 2, 20);
  state.begin_capture();
  State copy = state;
  EXPECT_TRUE(state.capturing());
  EXPECT_FALSE(copy.capturing());
  state.cancel_capture();
  EXPECT_FALSE(state.capturing());
  state.begin_capture();
  state.load({{"d", {}}}, 5, 50);
  EXPECT_FALSE(state.capturing());
  // A new capture after them starts from the state as it is now.
  state.begin_capture();
  ASSERT_TRUE(state.capture_step(10));
  State::Captured captured = state.take_capture();
  EXPECT_EQ(captured.collections, (Collections{{"d", {}}}));
  EXPECT_EQ(captured.seq, 5u);
}

}  // namespace
}  // namespace pa_journal
