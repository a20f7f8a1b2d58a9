// `pa-journal list` with a selection (--prefix, --from/--to keys, --limit),
// --count, and --at, over ListOptions; the listing is printed as the store
// visits it and is the same text the whole object dumped would be.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::kExitOk;
using testing::kExitUsage;
using Keys = std::vector<std::string>;

class ListCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::open(dir);
    for (const char* key : {"alice", "alma", "bob", "carol", "dave", "zoë"})
      store->put("contacts", key, std::string(R"({"name":")") + key + "\"}");
    store->put("notes", "n1", R"({"text":"one"})");
  }

  CommandResult pj(std::vector<std::string> args) {
    return testing::run_in_store(dir, std::move(args));
  }

  // The keys `list contacts --json` prints with the extra arguments.
  Keys listed(std::vector<std::string> extra) {
    std::vector<std::string> args{"list", "contacts", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    CommandResult r = pj(args);
    Keys keys;
    EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
    json out = testing::parse_json(r.out);
    for (const auto& [key, _] : out.items()) keys.push_back(key);
    return keys;
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

TEST_F(ListCliTest, PrefixSelectsTheKeysThatStartWithIt) {
  EXPECT_EQ(listed({"--prefix", "al"}), (Keys{"alice", "alma"}));
  EXPECT_EQ(listed({"--prefix", "x"}), Keys{});
}

TEST_F(ListCliTest, FromAndToAreKeysAndBothInclusive) {
  EXPECT_EQ(listed({"--from", "alma", "--to", "carol"}), (Keys{"alma", "bob", "carol"}));
  EXPECT_EQ(listed({"--from", "b"}), (Keys{"bob", "carol", "dave", "zoë"}));
  EXPECT_EQ(listed({"--to", "b"}), (Keys{"alice", "alma"}));
  EXPECT_EQ(listed({"--from", "bob", "--to", "bob"}), (Keys{"bob"}));
}

TEST_F(ListCliTest, LimitKeepsTheFirstNOfTheSelection) {
  EXPECT_EQ(listed({"--limit", "2"}), (Keys{"alice", "alma"}));
  EXPECT_EQ(listed({"--from", "bob", "--limit", "2"}), (Keys{"bob", "carol"}));
  EXPECT_EQ(listed({"--prefix", "al", "--to", "alice", "--limit", "5"}), (Keys{"alice"}));
}

TEST_F(ListCliTest, CountPrintsOnlyTheNumber) {
  CommandResult r = pj({"list", "contacts", "--count"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "6\n");
  r = pj({"list", "contacts", "--count", "--prefix", "al", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(testing::parse_json(r.out), json({{"count", 2}}));
  r = pj({"--json", "list", "--count", "--from", "c", "--limit", "1", "contacts"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(testing::parse_json(r.out), json({{"count", 1}}));
  r = pj({"list", "nothing", "--count"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "0\n");
}

// Options before or after the collection, and the globals after the command.
TEST_F(ListCliTest, OptionsAreTakenBeforeOrAfterTheCollection) {
  CommandResult before = pj({"list", "--prefix", "al", "contacts", "--json"});
  CommandResult after = testing::run_pa_journal(
      {"list", "contacts", "--prefix", "al", "--dir", dir, "--json"});
  ASSERT_EQ(before.exit_code, kExitOk) << before.describe();
  ASSERT_EQ(after.exit_code, kExitOk) << after.describe();
  EXPECT_EQ(before.out, after.out);
  EXPECT_TRUE(contains(before.out, "alma")) << before.out;
}

TEST_F(ListCliTest, TheSelectionAppliesToTheStateAtATime) {
  std::string then = format_time_ns(system_now_ns());
  {
    auto store = Store::open(dir);
    store->put("contacts", "alfred", R"({"name":"alfred"})");
    store->remove("contacts", "alma");
  }
  EXPECT_EQ(listed({"--prefix", "al"}), (Keys{"alfred", "alice"}));
  EXPECT_EQ(listed({"--prefix", "al", "--at", then}), (Keys{"alice", "alma"}));
  EXPECT_EQ(listed({"--at", then, "--from", "alma", "--to", "bob"}),
            (Keys{"alma", "bob"}));
  EXPECT_EQ(listed({"--at", then, "--limit", "1"}), (Keys{"alice"}));
  CommandResult r = pj({"list", "contacts", "--at", then, "--count", "--prefix", "al"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "2\n");
}

TEST_F(ListCliTest, HumanFormListsTheSelectionAlignedAfterTheLongestKey) {
  CommandResult r = pj({"list", "contacts", "--from", "bob", "--to", "dave"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out,
            "bob    {\"name\":\"bob\"}\n"
            "carol  {\"name\":\"carol\"}\n"
            "dave   {\"name\":\"dave\"}\n");
}

TEST_F(ListCliTest, AnEmptySelectionSaysSoOnStderrAndExitsZero) {
  CommandResult r = pj({"list", "contacts", "--prefix", "x"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "no documents in contacts that match")) << r.describe();
  r = pj({"list", "contacts", "--prefix", "x", "--json"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "{}\n");
}

TEST_F(ListCliTest, BadSelectionsAreUsageErrors) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {{"--from", "carol", "--to", "bob"}, "comes after --to"},
           {{"--prefix", ""}, "--prefix"},
           {{"--from", ""}, "--from"},
           {{"--to", ""}, "--to"},
           {{"--limit", "0"}, "--limit"},
           {{"--limit", "-3"}, "--limit"},
           {{"--limit", "many"}, "--limit"},
           {{"--count", "--prefix"}, "--prefix"},
       }) {
    std::vector<std::string> args{"list", "contacts"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CommandResult r = pj(args);
    SCOPED_TRACE(r.describe());
    EXPECT_EQ(r.exit_code, kExitUsage);
    EXPECT_TRUE(contains(r.err, c.says));
    EXPECT_EQ(r.out, "");
  }
}

TEST_F(ListCliTest, HelpSaysFromAndToAreKeys) {
  CommandResult r = testing::run_pa_journal({"list", "--help"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out, "--from K")) << r.out;
  EXPECT_TRUE(contains(r.out, "a key, not a time")) << r.out;
}

// A listing larger than the writer's buffer comes out in pieces and still
// reads back as the whole collection, in key order.
TEST_F(ListCliTest, LargeListingIsTheWholeCollectionInKeyOrder) {
  {
    auto store = Store::open(dir);
    std::vector<Operation> ops;
    for (int i = 0; i < 3000; ++i) {
      ops.push_back({OpKind::kPut, "big", "k" + std::to_string(100000 + i),
                     R"({"pad":")" + std::string(40, 'x') + "\"}"});
    }
    store->commit(std::move(ops));
  }
  CommandResult r = pj({"list", "big", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = testing::parse_json(r.out);
  ASSERT_EQ(out.size(), 3000u);
  EXPECT_EQ(out.begin().key(), "k100000");
  r = pj({"list", "big"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3000);
}

}  // namespace
}  // namespace pa_journal
