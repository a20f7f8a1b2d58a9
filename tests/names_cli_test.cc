// The pa-journal command line names things for the user: `collections` lists
// the collections, a mistyped command, option or collection gets the nearest
// name, and no message of a library (nlohmann/json, Cap'n Proto, CLI11)
// reaches the user untranslated.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "pa_journal/store.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::contains;

constexpr int kOk = testing::kExitOk, kError = testing::kExitError,
              kUsage = testing::kExitUsage;

class NamesCliTest : public ::testing::Test {
 protected:
  CommandResult pj(std::vector<std::string> args, const std::string& stdin_data = {}) {
    return testing::run_in_store(dir, std::move(args), stdin_data);
  }

  // contacts: alice, bob; notes: n1; config: backup_count.
  void make_store() {
    auto store = Store::open(dir);
    store->put("contacts", "alice", R"({"name":"Alice"})");
    store->put("contacts", "bob", R"({"name":"Bob"})");
    store->put("notes", "n1", R"({"text":"one"})");
    store->put("config", "backup_count", "5");
  }

  // The first word of each line of text.
  static std::vector<std::string> first_words(const std::string& text) {
    std::vector<std::string> words;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream(line) >> words.emplace_back();
    }
    return words;
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

// ------------------------------------------------------------ collections

TEST_F(NamesCliTest, CollectionsListsEachNameFirstWithCountAndSize) {
  make_store();
  CommandResult r = pj({"collections"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(first_words(r.out),
            (std::vector<std::string>{"config", "contacts", "notes"}));
  // {"name":"Alice"} and {"name":"Bob"}: 16 + 14 bytes.
  EXPECT_TRUE(contains(r.out, "contacts  2 documents  30 B\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "1 document  ")) << r.out;
}

TEST_F(NamesCliTest, CollectionsJsonIsAnArrayOfNameDocumentsBytes) {
  make_store();
  CommandResult r = pj({"collections", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json out = testing::parse_json(r.out);
  ASSERT_TRUE(out.is_array()) << r.out;
  ASSERT_EQ(out.size(), 3u) << r.out;
  EXPECT_EQ(out[1], (json{{"name", "contacts"}, {"documents", 2}, {"bytes", 30}}));
  EXPECT_EQ(out[0].at("name"), "config");
  EXPECT_EQ(out[2].at("name"), "notes");
}

TEST_F(NamesCliTest, CollectionsOfAnEmptyStorePrintNothingOnStdout) {
  Store::open(dir);
  CommandResult r = pj({"collections"});
  EXPECT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "no collections")) << r.err;
  CommandResult j = pj({"collections", "--json"});
  EXPECT_EQ(j.exit_code, kOk) << j.describe();
  EXPECT_EQ(testing::parse_json(j.out), json::array());
}

TEST_F(NamesCliTest, CollectionsWorksBesideALiveWriter) {
  auto writer = Store::open(dir);
  writer->put("contacts", "alice", R"({"name":"Alice"})");
  CommandResult r = pj({"collections"});
  EXPECT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(first_words(r.out), std::vector<std::string>{"contacts"});
}

TEST_F(NamesCliTest, CollectionsKeepsAnEmptiedCollectionWithZeroDocuments) {
  {
    auto store = Store::open(dir);
    store->put("notes", "n1", "1");
    store->remove("notes", "n1");
  }
  CommandResult r = pj({"collections", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(testing::parse_json(r.out),
            json::parse(R"([{"name":"notes","documents":0,"bytes":0}])"));
}

}  // namespace
}  // namespace pa_journal
