// store/canonical_commit.h: the commit path for documents already checked
// canonical (CanonicalOps) writes the same records and state as the public
// path, refuses the same input with the same messages, and cannot be handed a
// document that is not canonical.
#include "store/canonical_commit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/canonical_json.h"
#include "model/validation.h"
#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

CanonicalOps canonical(std::vector<Operation> ops) {
  CanonicalOps out;
  for (auto& op : ops) EXPECT_TRUE(out.add(std::move(op)));
  return out;
}

// The message the public path gives for ops, or "" if it commits them.
std::string public_refusal(Store& store, std::vector<Operation> ops) {
  try {
    store.enqueue(std::move(ops));
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

std::string canonical_refusal(Store& store, std::vector<Operation> ops) {
  try {
    CanonicalCommits::enqueue(store, canonical(std::move(ops)));
  } catch (const StorageError& e) {
    return e.what();
  }
  return "";
}

class CanonicalCommitTest : public ::testing::Test {
 protected:
  std::string dir(const std::string& name) const { return tmp_.path() + "/" + name; }

  testing::TempDir tmp_;
};

// A misuse cannot happen: add() is the only way in, and it refuses every
// document that is_canonical_json does not vouch for, adding nothing.
TEST_F(CanonicalCommitTest, CanonicalOpsRefusesADocumentThatIsNotCanonical) {
  for (const char* text : {R"({"b":1,"a":2})", R"({ "a":1})", R"([1,2 ])", "{", "",
                           R"({"a":1.50})", R"({"a":"\u0041"})"}) {
    CanonicalOps ops;
    EXPECT_FALSE(ops.add({OpKind::kPut, "c", "k", text})) << text;
    EXPECT_FALSE(ops.add({OpKind::kPatch, "c", "k", text})) << text;
    EXPECT_TRUE(ops.empty()) << text;
  }
  CanonicalOps ops;
  EXPECT_TRUE(ops.add({OpKind::kPut, "c", "k", R"({"a":2,"b":[1,"x"]})"}));
  EXPECT_TRUE(ops.add({OpKind::kDelete, "c", "k", "not even JSON"}));
  ASSERT_EQ(ops.ops().size(), 2u);
  EXPECT_EQ(ops.ops()[1].document, "");  // a delete keeps no document
}

// The same operations through either path leave the same records (bar the
// times) and the same state.
TEST_F(CanonicalCommitTest, WritesWhatThePublicPathWrites) {
  auto ops = [] {
    return std::vector<Operation>{
        {OpKind::kPut, "contacts", "a", R"({"n":"Ann","t":[1]})"},
        {OpKind::kPut, "contacts", "b", R"({"n":"Bo"})"}};
  };
  auto more = [] {
    return std::vector<Operation>{{OpKind::kPatch, "contacts", "a", R"({"t":null})"},
                                  {OpKind::kDelete, "contacts", "b"}};
  };
  {
    auto store = Store::open(dir("public"));
    store->commit(ops());
    store->commit(more());
    auto other = Store::open(dir("canonical"));
    CanonicalCommits::enqueue(*other, canonical(ops()));
    CommitResult last = CanonicalCommits::enqueue(*other, canonical(more()));
    other->wait_durable(last.seq);
    EXPECT_EQ(last.seq, 2u);
    EXPECT_EQ(other->list("contacts"), store->list("contacts"));
    EXPECT_EQ(other->get("contacts", "a"), R"({"n":"Ann"})");
  }
  std::vector<Record> expected = testing::records_of(dir("public"));
  std::vector<Record> got = testing::records_of(dir("canonical"));
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, expected[i].seq);
    EXPECT_EQ(got[i].ops, expected[i].ops);
  }
}

// Names, keys, sizes and the state's own rules are checked as on the public
// path, word for word, and a refused commit appends nothing.
TEST_F(CanonicalCommitTest, RefusesWhatThePublicPathRefusesWithItsMessage) {
  auto store = Store::open(dir("store"));
  store->put("c", "k", "1");
  std::string big = "\"" + std::string(kMaxDocumentBytes, 'x') + "\"";
  std::vector<std::vector<Operation>> refused = {
      {{OpKind::kPut, "Bad Name", "k", "1"}},
      {{OpKind::kPut, "c", "", "1"}},
      {{OpKind::kPut, "c", "k", big}},
      {{OpKind::kPatch, "c", "missing", R"({"a":1})"}},
      {{OpKind::kDelete, "c", "missing"}},
      {{OpKind::kPut, "c", "k", "2", uint64_t{0}}},  // k exists
      {},
  };
  for (size_t i = 0; i < refused.size(); ++i) {
    std::string expected = public_refusal(*store, refused[i]);
    ASSERT_FALSE(expected.empty()) << i;
    EXPECT_EQ(canonical_refusal(*store, refused[i]), expected) << i;
  }
  EXPECT_EQ(store->last_seq(), 1u);
}

}  // namespace
}  // namespace pa_journal
