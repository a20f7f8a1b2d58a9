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
  // The file a snapshot would write: {"alice": {"name":"Alice"}, "bob": ...}
  // one line each, "{\n" before and "\n}\n" after, 57 bytes.
  EXPECT_TRUE(contains(r.out, "contacts  2 documents  57 B\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "1 document  ")) << r.out;
}

TEST_F(NamesCliTest, CollectionsJsonIsAnArrayOfNameDocumentsBytes) {
  make_store();
  CommandResult r = pj({"collections", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  json out = testing::parse_json(r.out);
  ASSERT_TRUE(out.is_array()) << r.out;
  ASSERT_EQ(out.size(), 3u) << r.out;
  EXPECT_EQ(out[1], (json{{"name", "contacts"}, {"documents", 2}, {"bytes", 57}}));
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
            json::parse(R"([{"name":"notes","documents":0,"bytes":3}])"));
}

// ------------------------------------------------------------ suggestions

TEST_F(NamesCliTest, AMistypedCommandGetsTheNearestCommand) {
  CommandResult r = pj({"lst", "contacts"});
  EXPECT_EQ(r.exit_code, kUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "unknown command 'lst'; did you mean list?")) << r.err;
  CommandResult far = pj({"frobnicate"});
  EXPECT_EQ(far.exit_code, kUsage) << far.describe();
  EXPECT_TRUE(contains(far.err, "unknown command 'frobnicate'; see pa-journal --help"))
      << far.err;
}

TEST_F(NamesCliTest, AMistypedOptionGetsTheNearestOptionOfItsCommand) {
  make_store();
  CommandResult json_option = pj({"list", "contacts", "--jsn"});
  EXPECT_EQ(json_option.exit_code, kUsage) << json_option.describe();
  EXPECT_TRUE(
      contains(json_option.err, "unknown option --jsn for list; did you mean --json?"))
      << json_option.err;
  CommandResult at = pj({"get", "contacts", "alice", "--att", "-1h"});
  EXPECT_EQ(at.exit_code, kUsage) << at.describe();
  EXPECT_TRUE(contains(at.err, "unknown option --att for get; did you mean --at?"))
      << at.err;
}

TEST_F(NamesCliTest, GetOfAMistypedCollectionNamesTheNearestOne) {
  make_store();
  CommandResult r = pj({"get", "contcts", "a"});
  EXPECT_EQ(r.exit_code, kError) << r.describe();
  EXPECT_TRUE(
      contains(r.err, "no collection 'contcts' in the store; did you mean contacts?"))
      << r.err;
  // An existing collection without the key: the document is named.
  CommandResult key = pj({"get", "contacts", "zed"});
  EXPECT_EQ(key.exit_code, kError) << key.describe();
  EXPECT_TRUE(contains(key.err, "no document contacts/zed")) << key.err;
}

TEST_F(NamesCliTest, HistoryOfAMistypedCollectionNamesTheNearestOne) {
  make_store();
  CommandResult r = pj({"history", "contcts", "alice"});
  EXPECT_EQ(r.exit_code, kError) << r.describe();
  EXPECT_TRUE(contains(r.err, "did you mean contacts?")) << r.err;
}

TEST_F(NamesCliTest, ListOfAMistypedCollectionExitsZeroWithTheNearestOneOnStderr) {
  make_store();
  CommandResult r = pj({"list", "contcts"});
  EXPECT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(
      contains(r.err, "(no collection 'contcts' in the store; did you mean contacts?)"))
      << r.err;
  CommandResult j = pj({"list", "contcts", "--json"});
  EXPECT_EQ(j.exit_code, kOk) << j.describe();
  EXPECT_EQ(testing::parse_json(j.out), json::object());
  EXPECT_TRUE(contains(j.err, "did you mean contacts?")) << j.err;
}

TEST_F(NamesCliTest, ListOfAnEmptiedCollectionSaysItHasNoDocuments) {
  {
    auto store = Store::open(dir);
    store->put("notes", "n1", "1");
    store->remove("notes", "n1");
  }
  CommandResult r = pj({"list", "notes"});
  EXPECT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_TRUE(contains(r.err, "(no documents in notes)")) << r.err;
  EXPECT_FALSE(contains(r.err, "no collection")) << r.err;
}

TEST_F(NamesCliTest, InspectRecordsOfAMistypedCollectionNamesTheNearestOne) {
  make_store();
  CommandResult r = pj({"inspect", "--records", "--collection", "contcts"});
  EXPECT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(contains(r.err, "did you mean contacts?")) << r.err;
}

// ------------------------------------------------------------ config values

TEST_F(NamesCliTest, PutOfABadConfigValueExitsOneNamingTheKeyAndAppendsNothing) {
  make_store();
  std::string before = testing::journal_bytes(dir);
  CommandResult r = pj({"put", "config", "backup_count", R"("ten")"});
  EXPECT_EQ(r.exit_code, kError) << r.describe();
  EXPECT_TRUE(contains(r.err, "config backup_count must be a whole number")) << r.err;
  CommandResult patch = pj({"patch", "config", "backup_count", "0.5"});
  EXPECT_EQ(patch.exit_code, kError) << patch.describe();
  CommandResult apply = pj(
      {"apply"}, R"({"op":"put","collection":"config","key":"auto_save","value":"yes"})"
                 "\n");
  EXPECT_EQ(apply.exit_code, kError) << apply.describe();
  EXPECT_TRUE(contains(apply.err, "config auto_save must be true or false")) << apply.err;
  EXPECT_EQ(testing::journal_bytes(dir), before);
}

TEST_F(NamesCliTest, InspectListsTheUnknownConfigKeys) {
  make_store();
  {
    auto store = Store::open(dir);
    store->put("config", "theme", R"("dark")");
  }
  CommandResult r = pj({"inspect", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(testing::parse_json(r.out).at("unknown_config_keys"), json{"theme"});
  CommandResult text = pj({"inspect"});
  ASSERT_EQ(text.exit_code, kOk) << text.describe();
  EXPECT_TRUE(contains(text.out, "unknown keys (kept, not read by the store): theme"))
      << text.out;
}

TEST_F(NamesCliTest, InspectOfAStoreWithoutUnknownConfigKeysListsNone) {
  make_store();
  CommandResult r = pj({"inspect", "--json"});
  ASSERT_EQ(r.exit_code, kOk) << r.describe();
  EXPECT_EQ(testing::parse_json(r.out).at("unknown_config_keys"), json::array());
  EXPECT_FALSE(contains(pj({"inspect"}).out, "unknown keys"));
}

// ------------------------------------------------- no untranslated messages

struct Mistake {
  std::vector<std::string> args;
  std::string stdin_data;
  int exit_code;
  std::string names;  // what the message must name: the option, position...
};

// Text of nlohmann/json, Cap'n Proto and CLI11 that must never reach the user.
const char* const kLibraryText[] = {"json.exception",
                                    "[json",
                                    "kj::",
                                    "capnp",
                                    "CLI11",
                                    "Run with --help",
                                    "The following argument",
                                    "is required",
                                    "not in {",
                                    "Could not convert",
                                    "A subcommand",
                                    "Expected exactly",
                                    "Expected at least",
                                    "required but received",
                                    "Directory does not exist",
                                    "was not readable"};

TEST_F(NamesCliTest, EveryMistakeIsToldInPlainWordsNamingWhatWasWrong) {
  make_store();
  std::string import_dir = tmp / "bad-import";
  testing::write_files(import_dir, {{"notes.json", "{\"a\": [1,\n  2,}"}});
  const Mistake mistakes[] = {
      {{"put", "contacts", "b", "{bad"}, "", kError, "line 1, column 2"},
      {{"patch", "contacts", "alice", "[1,"}, "", kError, "invalid JSON at line 1"},
      {{"put", "contacts", "b", "-"}, "{\"a\":\n}", kError, "line 2, column 1"},
      {{"apply"}, "{\"op\":\"put\"\n", kError, "line 1 refused"},
      {{"apply"}, "[1]\n", kError, "must be a JSON object"},
      {{"import", import_dir}, "", kError, "notes.json: invalid JSON at line 2"},
      {{"inspect", "--records", "--limit", "abc"}, "", kUsage, "--limit"},
      {{"inspect", "--records", "--limit"}, "", kUsage, "--limit needs a value N"},
      {{"get", "contacts", "alice", "extra"}, "", kUsage, "unexpected argument 'extra'"},
      {{"--durability", "fast", "list", "contacts"},
       "",
       kUsage,
       "--durability: 'fast' is not allowed; use one of always, interval, none"},
      {{"--recovery", "hopeful", "list", "contacts"},
       "",
       kUsage,
       "--recovery: 'hopeful'"},
      {{"get", "contacts"}, "", kUsage, "the argument 'key' is missing"},
      {{"get"}, "", kUsage, "usage: pa-journal get COLLECTION KEY"},
      {{"restore", "--dry-run"}, "", kUsage, "restore needs --at T"},
      {{"diff"}, "", kUsage, "diff needs --from T"},
      {{"inspect", "--since", "-1h"},
       "",
       kUsage,
       "--since works only together with --records"},
      {{"lst"}, "", kUsage, "unknown command 'lst'; did you mean list?"},
      {{"list", "contacts", "--dir", dir},
       "",
       kUsage,
       "--dir is given more than once: give it once"},
      {{}, "", kUsage, "no command given"},
      {{"list", "contacts", "--jsn"}, "", kUsage, "did you mean --json?"},
      {{"bench", "--in", tmp / "nowhere"}, "", kUsage, "--in: no directory"},
      {{"put", "config", "backup_count", "-3"},
       "",
       kError,
       "config backup_count must be a whole number"},
      {{"put", "contacts", "b", "--", "-3"}, "", kOk, ""},
      {{"get", "contcts", "alice"}, "", kError, "did you mean contacts?"},
  };
  for (const auto& m : mistakes) {
    CommandResult r = pj(m.args, m.stdin_data);
    std::string what = ::testing::PrintToString(m.args);
    EXPECT_EQ(r.exit_code, m.exit_code) << what << "\n" << r.describe();
    EXPECT_TRUE(contains(r.err, m.names)) << what << " should name " << m.names << "\n"
                                          << r.err;
    for (const char* text : kLibraryText) {
      EXPECT_FALSE(contains(r.err, text)) << what << " printed " << text << "\n" << r.err;
    }
  }
}

}  // namespace
}  // namespace pa_journal
