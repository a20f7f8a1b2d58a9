// Store::list and Store::count with ListOptions, which seek in the tree
// (replay/doc_tree.h) instead of walking the collection: the same documents
// as a filter over a std::map model, for random prefixes, bounds and limits.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using Docs = std::vector<std::pair<std::string, std::string>>;

// What options select from model, by the definition in pa_journal/store.h.
Docs filtered(const std::map<std::string, std::string>& model, const ListOptions& o) {
  Docs out;
  for (const auto& [key, doc] : model) {
    if (key.compare(0, o.prefix.size(), o.prefix) != 0) continue;
    if ((o.from && key < *o.from) || (o.to && key > *o.to)) continue;
    if (o.limit != 0 && out.size() == o.limit) break;
    out.emplace_back(key, doc);
  }
  return out;
}

std::string random_key(std::mt19937& rng) {
  static const std::string kLetters = "abz\x7e\xc3\xa9";  // 'é' is two bytes
  std::string key;
  for (size_t n = 1 + rng() % 4; key.size() < n;) {
    size_t i = rng() % 5;
    key += i == 4 ? kLetters.substr(4, 2) : kLetters.substr(i, 1);
  }
  return key;
}

TEST(ListSeekTest, RandomRangesPrefixesAndLimitsMatchAFilteredMap) {
  testing::TempDir dir;
  Options options;
  options.durability = Durability::kNone;
  auto store = Store::open(dir / "store", options);
  std::mt19937 rng(3);
  std::map<std::string, std::string> model;
  std::vector<Operation> ops;
  for (int i = 0; i < 2000; ++i) {
    std::string key = random_key(rng);
    model[key] = std::to_string(i);
    ops.emplace_back(OpKind::kPut, "c", key, std::to_string(i));
  }
  store->commit(ops);
  for (int round = 0; round < 400; ++round) {
    ListOptions o;
    if (rng() % 2) o.prefix = random_key(rng).substr(0, 1 + rng() % 2);
    if (rng() % 2) o.from = random_key(rng);
    if (rng() % 2) o.to = random_key(rng);
    if (rng() % 3 == 0) o.limit = 1 + rng() % 30;
    Docs expected = filtered(model, o);
    std::string what = "prefix '" + o.prefix + "' from '" + o.from.value_or("-") +
                       "' to '" + o.to.value_or("-") + "' limit " +
                       std::to_string(o.limit);
    ASSERT_EQ(store->list("c", o), expected) << what;
    ASSERT_EQ(store->count("c", o), expected.size()) << what;
  }
}

TEST(ListSeekTest, CountOfAMissingCollectionOrAnEmptyRangeIsZero) {
  testing::TempDir dir;
  auto store = Store::open(dir / "store");
  store->put("c", "m", "1");
  EXPECT_EQ(store->count("nothing"), 0u);
  EXPECT_EQ(store->count("c", {.prefix = "", .from = "n", .to = "a", .limit = 0}), 0u);
  EXPECT_EQ(store->count("c"), 1u);
}

}  // namespace
}  // namespace pa_journal
