#include <gtest/gtest.h>

#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

TEST(StoreSmokeTest, PutThenReopenReadsTheSameDocument) {
  testing::TempDir dir;
  {
    auto store = Store::open(dir.path());
    EXPECT_EQ(store->put("contacts", "alice", R"({"name": "Alice"})").seq, 1u);
    EXPECT_EQ(store->patch("contacts", "alice", R"({"phone": "555"})").seq, 2u);
  }
  auto store = Store::open(dir.path());
  EXPECT_EQ(store->get("contacts", "alice").value(), R"({"name":"Alice","phone":"555"})");
  EXPECT_EQ(store->last_seq(), 2u);
}

}  // namespace
}  // namespace pa_journal
