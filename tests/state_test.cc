// replay/state.h: the state a journal's records build, its hash, and RFC 7396
// merge patch. The versions it hands out: state_version_test.cc.
#include "replay/state.h"

#include <gtest/gtest.h>

#include <string>

namespace pa_journal {
namespace {

TEST(StateTest, EqualStatesHashEqualAndDifferentOnesDoNot) {
  State a, b;
  a.load({{"c", {{"k", "1"}}}}, 1, 1);
  b.load({{"c", {{"k", "1"}}}}, 9, 9);  // seq and time are not state
  EXPECT_EQ(a.hash(), b.hash());
  State empty_collection, no_collection;
  empty_collection.load({{"c", {}}}, 0, 0);
  EXPECT_NE(empty_collection.hash(), no_collection.hash());
  State shifted1, shifted2;  // the same bytes split differently
  shifted1.load({{"c", {{"ab", "1"}}}}, 0, 0);
  shifted2.load({{"c", {{"a", "b1"}}}}, 0, 0);
  EXPECT_NE(shifted1.hash(), shifted2.hash());
}

Record put_record(uint64_t seq, const std::string& key, const std::string& doc) {
  return {seq, static_cast<int64_t>(seq), {{OpKind::kPut, "c", key, doc}}, {}};
}

// The state indexes its documents by key; a copy or a move must find its own.
TEST(StateTest, CopiesAndMovesFindTheirOwnDocuments) {
  State original;
  original.load({{"c", {{"a", "1"}, {"b", "2"}}}}, 2, 2);
  State copy = original;
  original.apply(put_record(3, "a", "10"));
  original.apply({4, 4, {{OpKind::kDelete, "c", "b", ""}}, {}});
  copy.apply(put_record(3, "z", "26"));
  EXPECT_EQ(*original.find("c", "a"), "10");
  EXPECT_EQ(original.find("c", "b"), nullptr);
  EXPECT_EQ(original.find("c", "z"), nullptr);
  EXPECT_EQ(*copy.find("c", "a"), "1");
  EXPECT_EQ(*copy.find("c", "b"), "2");
  EXPECT_EQ(*copy.find("c", "z"), "26");

  State moved = std::move(copy);
  moved.apply(put_record(4, "b", "20"));
  EXPECT_EQ(*moved.find("c", "b"), "20");
  EXPECT_EQ(moved.collection("c")->size(), 3u);
  State assigned;
  assigned.apply(put_record(1, "q", "0"));
  assigned = moved;
  assigned.apply(put_record(5, "a", "11"));
  EXPECT_EQ(*assigned.find("c", "a"), "11");
  EXPECT_EQ(*moved.find("c", "a"), "1");
  EXPECT_EQ(assigned.find("c", "q"), nullptr);
  EXPECT_EQ(assigned.hash(), [] {
    State expected;
    expected.load({{"c", {{"a", "11"}, {"b", "20"}, {"z", "26"}}}}, 0, 0);
    return expected.hash();
  }());
}

// A record applied by move leaves the same state as one applied by copy.
TEST(StateTest, ApplyingByMoveEqualsApplyingByCopy) {
  Record r{1,
           1,
           {{OpKind::kPut, "c", "a", R"({"x":1})"},
            {OpKind::kPatch, "c", "a", R"({"y":2})"},
            {OpKind::kPut, "d", "b", "2"},
            {OpKind::kDelete, "d", "b", ""}},
           {}};
  State by_copy, by_move;
  by_copy.apply(r);
  by_move.apply(Record(r));
  EXPECT_EQ(by_copy.collections(), by_move.collections());
  EXPECT_EQ(*by_move.find("c", "a"), R"({"x":1,"y":2})");
  EXPECT_TRUE(by_move.collection("d")->empty());
}

TEST(StateTest, MergePatchFollowsRfc7396) {
  // The examples of RFC 7396, appendix A.
  struct Case {
    const char* target;
    const char* patch;
    const char* result;
  } cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"a":1,"e":null})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const auto& c : cases) {
    std::string target = c.target;
    EXPECT_EQ(merge_patch(&target, c.patch), c.result) << c.target << " + " << c.patch;
  }
  EXPECT_EQ(merge_patch(nullptr, R"({"a":1,"b":null})"), R"({"a":1})");
}

}  // namespace
}  // namespace pa_journal
