// Store::list with ListOptions and Store::count: which documents a range,
// a prefix and a limit select, in key order, and that a visitor can stop.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

class ListOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::open(dir_.path() + "/store");
    for (const char* key : {"a", "ab", "abc", "b", "ba", "c"}) {
      store_->put("contacts", key, R"({"k":")" + std::string(key) + R"("})");
    }
  }

  // The keys list(contacts, options) returns, in order.
  std::vector<std::string> keys(const ListOptions& options) const {
    std::vector<std::string> out;
    for (auto& [key, doc] : store_->list("contacts", options)) out.push_back(key);
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

using Keys = std::vector<std::string>;

// Options with every member given (designated initializers that leave some
// out draw -Wmissing-field-initializers).
ListOptions range(std::string prefix, std::optional<std::string> from = std::nullopt,
                  std::optional<std::string> to = std::nullopt, uint64_t limit = 0) {
  return ListOptions{std::move(prefix), std::move(from), std::move(to), limit};
}

TEST_F(ListOptionsTest, DefaultOptionsListTheWholeCollectionInKeyOrder) {
  EXPECT_EQ(keys({}), (Keys{"a", "ab", "abc", "b", "ba", "c"}));
  EXPECT_EQ(store_->count("contacts"), 6u);
}

TEST_F(ListOptionsTest, PrefixSelectsTheKeysThatStartWithIt) {
  EXPECT_EQ(keys(range("ab")), (Keys{"ab", "abc"}));
  EXPECT_EQ(keys(range("z")), Keys{});
}

TEST_F(ListOptionsTest, FromAndToAreBothInclusive) {
  EXPECT_EQ(keys(range("", "ab", "b")), (Keys{"ab", "abc", "b"}));
  EXPECT_EQ(keys(range("", "b")), (Keys{"b", "ba", "c"}));
  EXPECT_EQ(keys(range("", std::nullopt, "ab")), (Keys{"a", "ab"}));
  EXPECT_EQ(keys(range("", "c", "a")), Keys{});
}

TEST_F(ListOptionsTest, LimitKeepsTheFirstNOfTheRange) {
  EXPECT_EQ(keys(range("", "abc", std::nullopt, 2)), (Keys{"abc", "b"}));
  EXPECT_EQ(store_->count("contacts", range("a", std::nullopt, std::nullopt, 2)), 2u);
}

TEST_F(ListOptionsTest, VisitorStopsTheScanByReturningFalse) {
  std::vector<std::pair<std::string, std::string>> seen;
  uint64_t visited =
      store_->list("contacts", {}, [&](std::string_view k, std::string_view d) {
        seen.emplace_back(k, d);
        return seen.size() < 2;
      });
  EXPECT_EQ(visited, 2u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].second, R"({"k":"ab"})");
}

TEST_F(ListOptionsTest, MissingCollectionIsEmptyAndABadNameIsRefused) {
  EXPECT_EQ(store_->count("nobody"), 0u);
  EXPECT_THROW(store_->count("bad/name"), InvalidInputError);
}

}  // namespace
}  // namespace pa_journal
