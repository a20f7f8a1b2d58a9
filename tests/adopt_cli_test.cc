// `pa-journal adopt` and the commands that meet the app's directory before
// it is adopted (tools/adopt_command.cc, include/pa_journal/adopt.h): writers
// and readers name adopt and change nothing, --dry-run writes nothing, every
// --json field matches what the store then holds, a damaged file is refused
// or skipped, and a backup's name is read in the local time zone. The
// library side is adopt_test.cc; here the built binary runs as a child.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pa_journal/adopt.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::kExitError;
using testing::kExitOk;
using testing::parse_json;

using testing::Files;
using testing::files_under;
using testing::records_of;
using testing::write_files;

// As the app writes them: json.dumps(indent=2, sort_keys=True).
std::string app_json(const json& value) { return value.dump(2) + "\n"; }

json contact(const std::string& id, const std::string& name) {
  return {{"id", id}, {"name", name}};
}

const json kContactsNow = json::array({contact("c2", "Bob"), contact("c1", "Alice")});

// Two backups of contacts half an hour apart on 14 January, one of notes.
Files app_files() {
  return {
      {"contacts.json", app_json(kContactsNow)},
      {"notes.json", app_json(json::array({{{"text", "buy milk"}}}))},
      {"config.json", app_json(json::array({{{"theme", "dark"}}}))},
      {"storage.log", "2024-01-15 12:00:00,001 - FileStorage - INFO - saved\n"},
      {"backups/contacts_20240114_120000.json",
       app_json(json::array({contact("c1", "Alice")}))},
      {"backups/contacts_20240114_123000.json",
       app_json(json::array({contact("c1", "Alice"), contact("c2", "Bob")}))},
      {"backups/notes_20240114_130000.json", app_json(json::array({{{"text", "old"}}}))},
  };
}

const std::vector<std::string> kOrigins = {
    "adopted from backups/contacts_20240114_120000.json",
    "adopted from backups/contacts_20240114_123000.json",
    "adopted from backups/notes_20240114_130000.json",
    "adopted from config.json, contacts.json, notes.json"};

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Central European time without the time zone database: +01:00 in January.
const char* const kParis = "CET-1CEST,M3.5.0,M10.5.0/3";

class AdoptCliTest : public ::testing::Test {
 protected:
  AdoptCliTest() { write_files(dir.path(), app_files()); }

  CommandResult pj(std::vector<std::string> args, const char* tz = kParis) {
    args.insert(args.begin(), {"--dir", dir.path()});
    testing::CommandOptions options;
    options.env = {{"TZ", tz}};
    return testing::run_pa_journal(args, options);
  }

  testing::TempDir dir;
};

TEST_F(AdoptCliTest, PutInTheAppsDirectoryExitsOneNamingAdoptAndWritesNothing) {
  const Files before = files_under(dir.path());
  CommandResult r = pj({"put", "contacts", "c9", R"({"name":"New"})"});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err,
                       ") and no store yet; if the personal-assistant app wrote them, "
                       "run `pa-journal adopt --dir " +
                           dir.path() +
                           "` to make it a store that keeps every file and the "
                           "backups' history (--dry-run shows the plan first); "
                           "otherwise keep the store in a new or empty directory\n"))
      << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(fs::exists(dir / "journal"));
  EXPECT_EQ(files_under(dir.path()), before);
  // The command it names works as it is written.
  size_t open = r.err.find("`pa-journal adopt");
  ASSERT_NE(open, std::string::npos) << r.err;
  size_t close = r.err.find('`', open + 1);
  ASSERT_NE(close, std::string::npos) << r.err;
  std::vector<std::string> named = words(r.err.substr(open + 1, close - open - 1));
  named.erase(named.begin());  // "pa-journal"
  named.push_back("--dry-run");
  CommandResult suggested = testing::run_pa_journal(named);
  EXPECT_EQ(suggested.exit_code, kExitOk) << suggested.describe();
  EXPECT_TRUE(contains(suggested.out, "would adopt")) << suggested.out;
}

TEST_F(AdoptCliTest, AReadSaysThereIsNoStoreAndNamesAdopt) {
  const Files before = files_under(dir.path());
  for (std::vector<std::string> args :
       {std::vector<std::string>{"list", "contacts"}, {"get", "contacts", "c1"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, "no store")) << r.err;
    EXPECT_TRUE(contains(r.err, "pa-journal adopt")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(files_under(dir.path()), before);
  EXPECT_FALSE(fs::exists(dir / "journal"));
}

TEST_F(AdoptCliTest, DryRunPrintsEachPlannedCommitAndWritesNothing) {
  const Files before = files_under(dir.path());
  CommandResult r = pj({"adopt", "--dry-run"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out, "would adopt " + dir.path())) << r.out;
  size_t at = 0;
  for (size_t i = 0; i < kOrigins.size(); ++i) {
    size_t line = r.out.find("commit " + std::to_string(i + 1) + " ", at);
    ASSERT_NE(line, std::string::npos) << "commit " << i + 1 << " in\n" << r.out;
    at = r.out.find(kOrigins[i], line);
    EXPECT_EQ(r.out.find('\n', line), r.out.find('\n', at)) << kOrigins[i] << "\n"
                                                            << r.out;
  }
  EXPECT_FALSE(contains(r.out, "commit " + std::to_string(kOrigins.size() + 1) + " "));
  json plan = parse_json(pj({"adopt", "--dry-run", "--json"}).out);
  EXPECT_EQ(plan.at("dry_run"), true);
  ASSERT_EQ(plan.at("commits").size(), kOrigins.size());
  for (const auto& c : plan["commits"]) EXPECT_TRUE(c.at("seq").is_null()) << c;
  EXPECT_EQ(files_under(dir.path()), before) << "every file byte-identical, no LOCK";
  EXPECT_FALSE(fs::exists(dir / "journal"));
  EXPECT_FALSE(fs::exists(dir / "LOCK"));
}

TEST_F(AdoptCliTest, JsonReportsEveryCommitAndFileAsTheStoreHoldsThem) {
  write_files(dir.path(), {{"README.txt", "mine\n"}, {"backups/notes.txt", "x\n"}});
  CommandResult r = pj({"adopt", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  std::set<std::string> fields;
  for (const auto& [field, _] : out.items()) fields.insert(field);
  EXPECT_EQ(fields, (std::set<std::string>{"dir", "dry_run", "resumed", "commits", "kept",
                                           "skipped", "left_alone"}));
  EXPECT_EQ(out.at("dir"), dir.path());
  EXPECT_EQ(out.at("dry_run"), false);
  EXPECT_EQ(out.at("resumed"), false);
  std::vector<Record> records = records_of(dir.path());
  ASSERT_EQ(out.at("commits").size(), records.size());
  ASSERT_EQ(records.size(), kOrigins.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const json& c = out["commits"][i];
    EXPECT_EQ(c.at("seq"), records[i].seq);
    EXPECT_EQ(c.at("time"), format_time_ns(records[i].time_ns));
    EXPECT_EQ(c.at("origin"), records[i].origin);
    EXPECT_EQ(c.at("origin"), kOrigins[i]);
    EXPECT_EQ(c.at("operations"), records[i].ops.size());
  }
  std::set<std::string> kept;
  for (const auto& path : out.at("kept")) kept.insert(path.get<std::string>());
  std::set<std::string> app;
  for (const auto& [path, bytes] : app_files()) {
    app.insert(path);
    EXPECT_EQ(testing::read_bytes(dir / ("backups/adopted/" + path)), bytes) << path;
  }
  EXPECT_EQ(kept, app);
  EXPECT_EQ(out.at("skipped"), json::array());
  std::set<std::string> left;
  for (const auto& entry : out.at("left_alone")) {
    left.insert(entry.at("path").get<std::string>());
    EXPECT_FALSE(entry.at("reason").get<std::string>().empty()) << entry;
  }
  EXPECT_EQ(left, (std::set<std::string>{"README.txt", "backups/notes.txt"}));
  EXPECT_EQ(testing::read_bytes(dir / "README.txt"), "mine\n");
  EXPECT_TRUE(verify_store(dir.path()).ok());
  EXPECT_FALSE(needs_adoption(dir.path()));
  // Now a store: writers work.
  EXPECT_EQ(pj({"put", "contacts", "c9", "{}"}).exit_code, kExitOk);
}

TEST_F(AdoptCliTest, ADamagedFileExitsOneNamingItsLineAndColumnAndNothingChanges) {
  testing::write_bytes(dir / "backups/contacts_20240114_123000.json",
                       "[\n  {\"id\": \"c1\",\n   \"name\" \"Alice\"}\n]\n");
  const Files before = files_under(dir.path());
  CommandResult r = pj({"adopt"});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, "backups/contacts_20240114_123000.json")) << r.err;
  EXPECT_TRUE(contains(r.err, "line 3, column 17")) << r.err;
  EXPECT_TRUE(contains(r.err, "--skip-damaged")) << r.err;
  EXPECT_FALSE(contains(r.err, "json.exception")) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(files_under(dir.path()), before) << "every file byte-identical, no LOCK";
  EXPECT_FALSE(fs::exists(dir / "journal"));
  EXPECT_FALSE(fs::exists(dir / "backups/adopted"));
}

TEST_F(AdoptCliTest, SkipDamagedAdoptsTheRestAndListsTheSkippedFile) {
  testing::write_bytes(dir / "notes.json", "[{\"text\": ");
  CommandResult r = pj({"adopt", "--skip-damaged", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  ASSERT_EQ(out.at("skipped").size(), 1u) << out;
  EXPECT_EQ(out["skipped"][0].at("path"), "notes.json");
  EXPECT_TRUE(contains(out["skipped"][0].at("reason").get<std::string>(), "line 1"))
      << out["skipped"][0];
  EXPECT_EQ(out.at("commits").back().at("origin"),
            "adopted from config.json, contacts.json");
  EXPECT_EQ(testing::read_bytes(dir / "backups/adopted/notes.json"), "[{\"text\": ");
  // The notes are the newest backup's list.
  auto store = Store::open(dir.path());
  EXPECT_EQ(
      store->list("notes"),
      (std::vector<std::pair<std::string, std::string>>{{"#0", R"({"text":"old"})"}}));
  EXPECT_EQ(store->list("contacts").size(), kContactsNow.size());
}

TEST_F(AdoptCliTest, TheHumanReportNamesSkippedFilesAndHowToLookBack) {
  testing::write_bytes(dir / "notes.json", "[{\"text\": ");
  CommandResult r = pj({"adopt", "--skip-damaged"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out, "adopted " + dir.path() + ": " +
                                  std::to_string(kOrigins.size()) + " commits"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "skipped notes.json")) << r.out;
  EXPECT_TRUE(contains(r.out, "list COLLECTION --at")) << r.out;
}

// The app named its backups in local time; the store keeps UTC.
TEST_F(AdoptCliTest, ListAtATimeOnABackupsDayShowsThatBackupReadInTheLocalTimeZone) {
  ASSERT_EQ(pj({"adopt"}).exit_code, kExitOk);
  const int64_t first = parse_time("2024-01-14T12:00:00+01:00", 0);
  const int64_t second = parse_time("2024-01-14T12:30:00+01:00", 0);
  std::vector<Record> records = records_of(dir.path());
  ASSERT_EQ(records.size(), kOrigins.size());
  EXPECT_EQ(records[0].time_ns, first);
  EXPECT_EQ(records[1].time_ns, second);
  auto keys_at = [&](int64_t t) {
    // The reader's zone does not matter for an RFC 3339 time.
    CommandResult r =
        pj({"list", "contacts", "--at", format_time_ns(t), "--json"}, "UTC0");
    EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
    std::set<std::string> keys;
    const json listed = parse_json(r.out);
    for (const auto& [key, doc] : listed.items()) {
      EXPECT_TRUE(doc.contains("name")) << doc;
      keys.insert(key);
    }
    return keys;
  };
  const int64_t minute = int64_t{60} * 1'000'000'000;
  // 11:15 UTC: after the first backup (11:00 UTC), before the second.
  EXPECT_EQ(keys_at(first + 15 * minute), (std::set<std::string>{"c1"}));
  EXPECT_EQ(keys_at(second + 15 * minute), (std::set<std::string>{"c1", "c2"}));
}

TEST_F(AdoptCliTest, AStoreOrADirectoryWithoutTheAppsFilesIsNotAdopted) {
  testing::TempDir store_dir;
  Store::open(store_dir.path())->put("contacts", "a", "{}");
  const std::string journal = testing::journal_bytes(store_dir.path());
  CommandResult store = testing::run_in_store(store_dir.path(), {"adopt"});
  EXPECT_EQ(store.exit_code, kExitError) << store.describe();
  EXPECT_TRUE(contains(store.err, "is a store already")) << store.err;
  EXPECT_TRUE(contains(store.err, "pa-journal import")) << store.err;
  EXPECT_EQ(store.out, "");
  EXPECT_EQ(testing::journal_bytes(store_dir.path()), journal);

  testing::TempDir other;
  testing::write_bytes(other / "README.txt", "hello");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"adopt"}, {"adopt", "--dry-run"}}) {
    CommandResult r = testing::run_in_store(other.path(), args);
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, "holds none of the app's files")) << r.err;
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(fs::exists(other / "journal"));

  ASSERT_EQ(pj({"adopt"}).exit_code, kExitOk);
  CommandResult twice = pj({"adopt"});
  EXPECT_EQ(twice.exit_code, kExitError) << twice.describe();
  EXPECT_TRUE(contains(twice.err, "adopted already")) << twice.err;
}

}  // namespace
}  // namespace pa_journal
