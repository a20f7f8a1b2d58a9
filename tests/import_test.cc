// `pa-journal import DIR` and Store::import_from (include/pa_journal/store.h,
// snapshot/import_dir.h): every form of directory users have (an export, an
// export edited by hand, plain NAME.json files, restore/replay --out output,
// the app's own directory) lands as one commit whose counts are what the
// store then holds; --dry-run and --merge; the undo; and every refusal
// appends nothing and takes no snapshot. The built binary runs as a child;
// what it did is read back through the library.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pa_journal/file_storage.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::kExitCorruption;
using testing::kExitError;
using testing::kExitOk;
using testing::parse_json;

using testing::Files;
using testing::files_under;
using testing::records_of;
using testing::write_files;

// As the app writes them: json.dumps(indent=2, sort_keys=True).
std::string app_json(const json& value) { return value.dump(2) + "\n"; }

Options read_only() {
  Options options;
  options.read_only = true;
  return options;
}

// The documents dir holds, by collection. A collection whose documents were
// all removed still has its name in Store::state(); it holds nothing.
Collections state_of(const std::string& dir) {
  Collections state = Store::open(dir, read_only())->state();
  std::erase_if(state, [](const auto& entry) { return entry.second.empty(); });
  return state;
}

// What an import's "collections" must say: the documents each named
// collection gained, changed and lost between the two states read back.
json counts_between(const Collections& before, const Collections& after,
                    const std::set<std::string>& names) {
  json out = json::object();
  for (const auto& name : names) {
    static const Collection kNone;
    const Collection& a = before.count(name) ? before.at(name) : kNone;
    const Collection& b = after.count(name) ? after.at(name) : kNone;
    uint64_t added = 0, changed = 0, removed = 0;
    for (const auto& [key, doc] : b) {
      auto it = a.find(key);
      if (it == a.end()) {
        ++added;
      } else if (it->second != doc) {
        ++changed;
      }
    }
    for (const auto& [key, _] : a) removed += b.count(key) ? 0 : 1;
    out[name] = {{"added", added}, {"changed", changed}, {"removed", removed}};
  }
  return out;
}

std::set<std::string> names_of(const json& collections) {
  std::set<std::string> out;
  for (const auto& [name, _] : collections.items()) out.insert(name);
  return out;
}

// The lines of text that start with two spaces: the per-collection counts.
std::vector<std::string> count_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, 2, "  ") == 0) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

json contact(const json& id, const std::string& name) {
  return {{"id", id}, {"name", name}};
}

class ImportTest : public ::testing::Test {
 protected:
  CommandResult pj(std::vector<std::string> args) {
    return testing::run_in_store(store, std::move(args));
  }

  // import DIR --json plus flags; fails the test unless it exits 0.
  json import_json(const std::string& dir, std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {"import", dir, "--json"};
    args.insert(args.end(), flags.begin(), flags.end());
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
    return parse_json(r.out);
  }

  // contacts alice and carol, notes n1: three commits, no snapshot.
  void fill_store() {
    auto s = Store::open(store);
    s->put("contacts", "alice", R"({"name":"Alice"})");
    s->put("contacts", "carol", R"({"name":"Carol"})");
    s->put("notes", "n1", R"({"text":"one"})");
  }

  testing::TempDir tmp;
  std::string store = tmp / "store";
  std::string in = tmp / "in";
};

// ------------------------------------------------------------------ forms

TEST_F(ImportTest, AnExportImportsIntoAnEmptyStoreAsOneCommitCountingWhatItHolds) {
  std::string source = tmp / "source";
  {
    auto s = Store::open(source);
    s->put("contacts", "alice", R"({"name":"Alice","tags":["a","b"]})");
    s->put("contacts", "bob", R"({"name":"Bob"})");
    s->put("notes", "n1", R"("just text")");
    s->export_to(in);
  }
  json out = import_json(in);
  EXPECT_EQ(out.at("form"), "export");
  Collections now = state_of(store);
  EXPECT_EQ(now, state_of(source));
  EXPECT_EQ(out.at("collections"), counts_between({}, now, names_of(out["collections"])));
  EXPECT_EQ(names_of(out["collections"]), (std::set<std::string>{"contacts", "notes"}));
  std::vector<Record> records = records_of(store);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].origin, "import from " + in);
  EXPECT_EQ(out.at("seq"), records[0].seq);
}

TEST_F(ImportTest, PlainObjectFilesImportEachMemberAsADocumentUnderItsKey) {
  const json contacts = {{"alice", {{"name", "Alice"}, {"age", 30}}},
                         {"bob", {{"name", "Bob"}}}};
  const json settings = {{"theme", "dark"}, {"size", 12}, {"flags", {1, 2}}};
  write_files(
      in, {{"contacts.json", app_json(contacts)}, {"settings.json", app_json(settings)}});
  json out = import_json(in);
  EXPECT_EQ(out.at("form"), "JSON files");
  Collections now = state_of(store);
  EXPECT_EQ(out.at("collections"), counts_between({}, now, {"contacts", "settings"}));
  for (const auto& [name, file] :
       {std::pair{"contacts", contacts}, {"settings", settings}}) {
    ASSERT_EQ(now[name].size(), file.size()) << name;
    for (const auto& [key, doc] : file.items()) {
      EXPECT_EQ(json::parse(now[name][key]), doc) << name << "/" << key;
      EXPECT_EQ(now[name][key], doc.dump()) << "stored compact";
    }
  }
  EXPECT_FALSE(now.count("facade-order")) << "an object file has no list order";
}

TEST_F(ImportTest, AListWithDistinctIdsIsKeyedByIdAndLoadsBackInItsOrder) {
  // Not in key order, an integer id among string ones.
  const json contacts =
      json::array({contact("zed", "Zed"), contact(7, "Seven"), contact("adam", "Adam")});
  write_files(in, {{"contacts.json", app_json(contacts)}});
  json out = import_json(in);
  Collections now = state_of(store);
  std::set<std::string> keys;
  for (const auto& [key, _] : now["contacts"]) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"zed", "7", "adam"}));
  EXPECT_EQ(json::parse(now["contacts"]["7"]), contacts[1]);
  EXPECT_EQ(out.at("collections"), counts_between({}, now, {"contacts"}));
  FileStorage storage(store);
  EXPECT_EQ(storage.load("contacts.json"), contacts);
}

TEST_F(ImportTest, AListWithoutUsableDistinctIdsIsKeyedByPositionAndKeepsItsOrder) {
  const json shared_id = json::array({{{"id", "a"}, {"t", 1}}, {{"id", "a"}, {"t", 2}}});
  const json no_id = json::array({{{"t", 3}}, "plain", 5, {{"id", "x"}}});
  const json bad_id = json::array({{{"id", "a/b"}}, {{"id", true}}});
  write_files(in, {{"shared.json", app_json(shared_id)},
                   {"mixed.json", app_json(no_id)},
                   {"badids.json", app_json(bad_id)}});
  import_json(in);
  Collections now = state_of(store);
  FileStorage storage(store);
  for (const auto& [name, list] :
       {std::pair{"shared", shared_id}, {"mixed", no_id}, {"badids", bad_id}}) {
    SCOPED_TRACE(name);
    ASSERT_EQ(now[name].size(), list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(json::parse(now[name]["#" + std::to_string(i)]), list[i]);
    }
    EXPECT_EQ(storage.load(std::string(name) + ".json"), list);
  }
}

TEST_F(ImportTest, ConfigAsAListOfOneObjectBecomesTheSettings) {
  const json config = json::array({{{"theme", "dark"}, {"backup_count", 5}}});
  write_files(in, {{"config.json", app_json(config)}});
  json out = import_json(in);
  Collections now = state_of(store);
  EXPECT_EQ(now["config"].size(), config[0].size());
  EXPECT_EQ(out.at("collections"), counts_between({}, now, {"config"}));
  EXPECT_FALSE(now.count("facade-order") && now["facade-order"].count("config"));
  FileStorage storage(store);
  ConfigManager manager(storage);
  EXPECT_EQ(manager.get("theme"), "dark");
  EXPECT_EQ(manager.get("backup_count"), 5);
  EXPECT_EQ(storage.load("config.json"), config);
}

TEST_F(ImportTest, RestoreOutAndReplayOutReimportIntoAnEmptyStoreToTheSameState) {
  {
    FileStorage storage(store);
    ASSERT_TRUE(storage.save("contacts.json",
                             json::array({contact("b", "B"), contact("a", "A")})));
    ASSERT_TRUE(storage.save("notes.json", json::array({"x", {{"y", 1}}})));
    ConfigManager(storage).set("theme", "dark");
    storage.store().put("plain", "k", R"({"deep":{"list":[1,2,{"z":null}]}})");
  }
  const Collections source = state_of(store);
  const std::string at = format_time_ns(records_of(store).back().time_ns);
  ASSERT_EQ(pj({"restore", "--at", at, "--out", tmp / "restored"}).exit_code, kExitOk);
  ASSERT_EQ(pj({"replay", "--out", tmp / "replayed"}).exit_code, kExitOk);
  for (const std::string& dir : {tmp / "restored", tmp / "replayed"}) {
    SCOPED_TRACE(dir);
    std::string fresh = dir + "-store";
    CommandResult r = testing::run_in_store(fresh, {"import", dir, "--json"});
    ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
    EXPECT_EQ(parse_json(r.out).at("form"), "JSON files");
    EXPECT_EQ(state_of(fresh), source);
    FileStorage storage(fresh);
    EXPECT_EQ(storage.load("contacts.json"),
              json::array({contact("b", "B"), contact("a", "A")}));
  }
}

TEST_F(ImportTest, TheAppsDirectoryImportsItsListsAndNamesBackupsAndLogAsNotImported) {
  const json contacts = json::array({contact("c2", "Bob"), contact("c1", "Alice")});
  const json notes = json::array({{{"text", "buy milk"}}});
  const json config = json::array({{{"theme", "light"}}});
  write_files(in,
              {{"contacts.json", app_json(contacts)},
               {"notes.json", app_json(notes)},
               {"config.json", app_json(config)},
               {"backups/contacts_20240114_120000.json",
                app_json(json::array({contact("c1", "Alice")}))},
               {"storage.log", "2024-01-15 12:00:00,001 - FileStorage - INFO - x\n"}});
  fill_store();
  const Collections before = state_of(store);
  json out = import_json(in);
  EXPECT_EQ(out.at("form"), "the app's files");
  std::set<std::string> not_imported;
  for (const auto& entry : out.at("not_imported")) {
    not_imported.insert(entry.at("path").get<std::string>());
    EXPECT_FALSE(entry.at("reason").get<std::string>().empty());
  }
  EXPECT_EQ(not_imported, (std::set<std::string>{"backups/", "storage.log"}));
  EXPECT_EQ(names_of(out["collections"]),
            (std::set<std::string>{"config", "contacts", "notes"}));
  Collections now = state_of(store);
  EXPECT_EQ(out.at("collections"),
            counts_between(before, now, names_of(out["collections"])));
  FileStorage storage(store);
  EXPECT_EQ(storage.load("contacts.json"), contacts);
  EXPECT_EQ(storage.load("notes.json"), notes);
  EXPECT_EQ(storage.load("config.json"), config);
  // The human form says the same.
  CommandResult human = testing::run_in_store(tmp / "other", {"import", in});
  ASSERT_EQ(human.exit_code, kExitOk) << human.describe();
  EXPECT_TRUE(contains(human.out, "not imported: backups/")) << human.out;
  EXPECT_TRUE(contains(human.out, "not imported: storage.log")) << human.out;
}

// The library says what the app's backups/ is and names no command; the tool
// adds the command that brings its history in.
TEST_F(ImportTest, TheAppsBackupsAreNamedWithoutACommandAndTheToolAddsAdopt) {
  write_files(in, {{"contacts.json", app_json(json::array({contact("c1", "Alice")}))},
                   {"backups/contacts_20240114_120000.json", app_json(json::array())}});
  {
    auto s = Store::open(store);
    ImportResult result = s->import_from(in, {});
    ASSERT_EQ(result.not_imported.size(), 1u);
    EXPECT_EQ(result.not_imported[0].first, "backups/");
    EXPECT_EQ(result.not_imported[0].second, "the app's backups");
  }
  CommandResult human = testing::run_in_store(tmp / "other", {"import", in});
  ASSERT_EQ(human.exit_code, kExitOk) << human.describe();
  EXPECT_TRUE(
      contains(human.out,
               "not imported: backups/ (the app's backups: pa-journal adopt brings "
               "their history)\n"))
      << human.out;
}

// The seed's export: the app's lists plus a manifest.json of its own.
TEST_F(ImportTest, FileStorageImportDataTakesTheAppsExportWithItsForeignManifest) {
  const json contacts = json::array({contact("c2", "Bob"), contact("c1", "Alice")});
  const json notes = json::array({{{"text", "call mum"}}, {{"text", "buy milk"}}});
  const json config = json::array({{{"backup_count", 4}, {"theme", "dark"}}});
  write_files(in,
              {{"contacts.json", app_json(contacts)},
               {"notes.json", app_json(notes)},
               {"config.json", app_json(config)},
               {"manifest.json", app_json({{"timestamp", "2024-01-15T12:00:00.123456"},
                                           {"version", "1.0"}})}});
  FileStorage storage(store);
  ASSERT_TRUE(storage.save("tasks.json", json::array({"kept"})));
  const uint64_t seq = storage.store().last_seq();
  ASSERT_TRUE(storage.import_data(in)) << storage.last_error();
  EXPECT_EQ(storage.store().last_seq(), seq + 1);
  EXPECT_EQ(storage.load("contacts.json"), contacts);
  EXPECT_EQ(storage.load("notes.json"), notes);
  EXPECT_EQ(storage.load("tasks.json"), json::array({"kept"}));
  EXPECT_EQ(ConfigManager(storage).get("backup_count"), 4);
  EXPECT_FALSE(storage.store().get("manifest", "timestamp"));
  ImportResult again = storage.store().import_from(in, {});
  EXPECT_EQ(again.commit.seq, 0u);
  ASSERT_EQ(again.not_imported.size(), 1u);
  EXPECT_EQ(again.not_imported[0].first, "manifest.json");
}

// ------------------------------------------------------------------ options

TEST_F(ImportTest, DryRunReportsTheCountsTheImportThenHasAndAppendsNothing) {
  fill_store();
  write_files(in, {{"contacts.json", app_json({{"alice", {{"name", "Alice B."}}},
                                               {"bob", {{"name", "Bob"}}}})}});
  const Collections before = state_of(store);
  const std::string journal = testing::journal_bytes(store);
  CommandResult dry_human = pj({"import", in, "--dry-run"});
  ASSERT_EQ(dry_human.exit_code, kExitOk) << dry_human.describe();
  EXPECT_TRUE(contains(dry_human.out, "would import " + in)) << dry_human.out;
  EXPECT_TRUE(contains(dry_human.out, "nothing is appended")) << dry_human.out;
  json dry = import_json(in, {"--dry-run"});
  EXPECT_EQ(dry.at("dry_run"), true);
  EXPECT_TRUE(dry.at("seq").is_null()) << dry;
  EXPECT_FALSE(dry.contains("time")) << dry;
  EXPECT_EQ(testing::journal_bytes(store), journal);
  EXPECT_TRUE(list_backups(store).empty()) << "a dry run takes no snapshot";
  EXPECT_EQ(state_of(store), before);

  CommandResult real = pj({"import", in});
  ASSERT_EQ(real.exit_code, kExitOk) << real.describe();
  EXPECT_EQ(count_lines(real.out), count_lines(dry_human.out)) << real.out;
  ASSERT_FALSE(count_lines(real.out).empty()) << real.out;
  Collections after = state_of(store);
  EXPECT_EQ(dry.at("collections"), counts_between(before, after, {"contacts"}));
  EXPECT_EQ(records_of(store).size(), 4u);
}

// A dry run only reads: it takes no lock (so it runs beside a writer) and
// creates no store where there is none.
TEST_F(ImportTest, DryRunTakesNoLockAndNeitherItNorARefusalCreatesAStore) {
  write_files(in, {{"notes.json", app_json({{"n1", {{"text", "two"}}}})}});
  CommandResult none = pj({"import", in, "--dry-run"});
  EXPECT_EQ(none.exit_code, kExitError) << none.describe();
  EXPECT_TRUE(contains(none.err, "no store at " + store)) << none.describe();
  EXPECT_FALSE(std::filesystem::exists(store));
  // Nor does a refused import.
  CommandResult refused = pj({"import", tmp / "missing"});
  EXPECT_EQ(refused.exit_code, kExitError) << refused.describe();
  EXPECT_FALSE(std::filesystem::exists(store));
  fill_store();
  auto writer = Store::open(store);  // holds LOCK
  json dry = import_json(in, {"--dry-run"});
  EXPECT_EQ(dry.at("collections").at("notes").at("changed"), 1) << dry;
}

TEST_F(ImportTest, ReplaceRemovesTheDocumentsTheImportLacksAndLeavesOtherCollections) {
  fill_store();
  const json contacts = {{"alice", {{"name", "Alice B."}}}, {"bob", {{"name", "Bob"}}}};
  write_files(in, {{"contacts.json", app_json(contacts)}});
  const Collections before = state_of(store);
  json out = import_json(in);
  EXPECT_EQ(out.at("merge"), false);
  Collections now = state_of(store);
  Collections expected = before;
  expected["contacts"].clear();
  for (const auto& [key, doc] : contacts.items()) expected["contacts"][key] = doc.dump();
  EXPECT_EQ(now, expected);
  EXPECT_EQ(out.at("collections"), counts_between(before, now, {"contacts"}));
  EXPECT_EQ(out["collections"]["contacts"]["removed"], 1) << "carol";
}

TEST_F(ImportTest, MergeUpsertsTheImportedDocumentsAndKeepsTheOthers) {
  fill_store();
  const json contacts = {{"alice", {{"name", "Alice B."}}}, {"bob", {{"name", "Bob"}}}};
  write_files(in, {{"contacts.json", app_json(contacts)}});
  const Collections before = state_of(store);
  json out = import_json(in, {"--merge"});
  EXPECT_EQ(out.at("merge"), true);
  Collections now = state_of(store);
  Collections expected = before;
  for (const auto& [key, doc] : contacts.items()) expected["contacts"][key] = doc.dump();
  EXPECT_EQ(now, expected);
  EXPECT_EQ(out.at("collections"), counts_between(before, now, {"contacts"}));
  EXPECT_EQ(out["collections"]["contacts"]["removed"], 0);
}

// A merged list keeps the store's order, then the imported items it lacked.
TEST_F(ImportTest, MergeOfAListKeepsTheStoresOrderAndAppendsTheNewItems) {
  {
    FileStorage storage(store);
    ASSERT_TRUE(storage.save("contacts.json",
                             json::array({contact("b", "B"), contact("a", "A")})));
  }
  write_files(in, {{"contacts.json",
                    app_json(json::array({contact("c", "C"), contact("a", "A2")}))}});
  import_json(in, {"--merge"});
  FileStorage storage(store);
  EXPECT_EQ(storage.load("contacts.json"),
            json::array({contact("b", "B"), contact("a", "A2"), contact("c", "C")}));
}

TEST_F(ImportTest, AnImportIsUndoneByRestoringOneNanosecondBeforeItsCommit) {
  fill_store();
  write_files(in, {{"contacts.json", app_json({{"zoe", {{"name", "Zoe"}}}})},
                   {"tasks.json", app_json(json::array({"one", "two"}))}});
  const Collections before = state_of(store);
  json out = import_json(in);
  ASSERT_TRUE(out.at("time").is_string()) << out;
  ASSERT_NE(state_of(store), before);
  const int64_t t = parse_time(out.at("time").get<std::string>(), 0);
  EXPECT_EQ(t, records_of(store).back().time_ns);
  CommandResult undo = pj({"restore", "--at", format_time_ns(t - 1)});
  ASSERT_EQ(undo.exit_code, kExitOk) << undo.describe();
  EXPECT_EQ(state_of(store), before);
}

TEST_F(ImportTest, ASecondIdenticalImportAppendsNothing) {
  fill_store();
  write_files(in, {{"contacts.json", app_json(json::array({contact("a", "A")}))},
                   {"notes.json", app_json({{"n2", "two"}})}});
  import_json(in);
  const std::string journal = testing::journal_bytes(store);
  const Collections state = state_of(store);
  CommandResult again = pj({"import", in});
  ASSERT_EQ(again.exit_code, kExitOk) << again.describe();
  EXPECT_TRUE(contains(again.out, "nothing to import")) << again.out;
  EXPECT_EQ(testing::journal_bytes(store), journal);
  json same = import_json(in);
  EXPECT_TRUE(same.at("seq").is_null()) << same;
  for (const auto& [name, n] : same.at("collections").items()) {
    EXPECT_EQ(n, json({{"added", 0}, {"changed", 0}, {"removed", 0}})) << name;
  }
  EXPECT_EQ(testing::journal_bytes(store), journal);
  EXPECT_EQ(state_of(store), state);
}

TEST_F(ImportTest, JsonOutputHoldsEveryFieldWithWhatTheStoreRecorded) {
  fill_store();
  write_files(in, {{"contacts.json", app_json({{"bob", {{"name", "Bob"}}}})},
                   {"storage.log", "log\n"}});
  const Collections before = state_of(store);
  json out = import_json(in, {"--merge"});
  std::set<std::string> fields;
  for (const auto& [field, _] : out.items()) fields.insert(field);
  EXPECT_EQ(fields,
            (std::set<std::string>{"in", "form", "dry_run", "merge", "seq", "time",
                                   "collections", "edited", "not_imported"}));
  const Record last = records_of(store).back();
  EXPECT_EQ(out.at("in"), in);
  EXPECT_EQ(out.at("form"), "the app's files");
  EXPECT_EQ(out.at("dry_run"), false);
  EXPECT_EQ(out.at("merge"), true);
  EXPECT_EQ(out.at("seq"), last.seq);
  EXPECT_EQ(out.at("time"), format_time_ns(last.time_ns));
  EXPECT_EQ(last.origin, "import from " + in);
  EXPECT_EQ(out.at("collections"), counts_between(before, state_of(store), {"contacts"}));
  EXPECT_EQ(out.at("edited"), json::array());
  EXPECT_EQ(out.at("not_imported"),
            json::array({{{"path", "storage.log"}, {"reason", "the app's log"}}}));
}

// ------------------------------------------------------------------ edited exports

// An export of contacts/alice and notes/n1 in dir, to be edited by hand.
void make_export(const std::string& dir) {
  auto s = Store::open(dir + "-source");
  s->put("contacts", "alice", R"({"name":"Alice"})");
  s->put("notes", "n1", R"({"text":"one"})");
  s->export_to(dir);
}

TEST_F(ImportTest, AnEditedExportIsRefusedWithExitThreeNamingTheFileAndAcceptEdits) {
  make_export(in);
  fill_store();
  testing::write_bytes(in + "/notes.json", app_json({{"n1", {{"text", "edited"}}}}));
  const std::string journal = testing::journal_bytes(store);
  CommandResult r = pj({"import", in});
  EXPECT_EQ(r.exit_code, kExitCorruption) << r.describe();
  EXPECT_TRUE(contains(r.err, in + "/notes.json")) << r.err;
  EXPECT_TRUE(contains(r.err, "--accept-edits")) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(testing::journal_bytes(store), journal);
  EXPECT_TRUE(list_backups(store).empty());

  json out = import_json(in, {"--accept-edits"});
  EXPECT_EQ(out.at("form"), "edited export");
  EXPECT_EQ(out.at("edited"), json::array({"notes.json"}));
  Collections now = state_of(store);
  EXPECT_EQ(now["notes"], (Collection{{"n1", R"({"text":"edited"})"}}));
  EXPECT_EQ(now["contacts"], (Collection{{"alice", R"({"name":"Alice"})"}}));
}

TEST_F(ImportTest, AcceptEditsTakesAnAddedFileAndNamesAMissingOne) {
  make_export(in);
  fill_store();
  testing::write_bytes(in + "/tasks.json", app_json(json::array({"t1", "t2"})));
  fs::remove(in + "/contacts.json");
  const std::string journal = testing::journal_bytes(store);
  CommandResult refused = pj({"import", in});
  EXPECT_NE(refused.exit_code, kExitOk) << refused.describe();
  EXPECT_TRUE(contains(refused.err, "tasks.json")) << refused.err;
  EXPECT_TRUE(contains(refused.err, "--accept-edits")) << refused.err;
  EXPECT_EQ(testing::journal_bytes(store), journal);

  const Collections before = state_of(store);
  json out = import_json(in, {"--accept-edits"});
  EXPECT_EQ(out.at("form"), "edited export");
  EXPECT_EQ(out.at("edited"), json::array({"tasks.json"}));
  ASSERT_EQ(out.at("not_imported").size(), 1u) << out;
  EXPECT_EQ(out["not_imported"][0].at("path"), "contacts.json");
  Collections now = state_of(store);
  EXPECT_EQ(now["contacts"], before.at("contacts")) << "a missing file changes nothing";
  FileStorage storage(store);
  EXPECT_EQ(storage.load("tasks.json"), json::array({"t1", "t2"}));
}

TEST_F(ImportTest, AnEditedManifestMakesTheFilesPlainJsonWithAcceptEdits) {
  make_export(in);
  fill_store();
  json manifest = json::parse(testing::read_bytes(in + "/manifest.json"));
  manifest["seq"] = manifest["seq"].get<uint64_t>() + 40;  // its checksum now fails
  testing::write_bytes(in + "/manifest.json", manifest.dump(2));
  testing::write_bytes(in + "/notes.json", app_json({{"n9", 9}}));
  const std::string journal = testing::journal_bytes(store);
  CommandResult r = pj({"import", in});
  EXPECT_EQ(r.exit_code, kExitCorruption) << r.describe();
  EXPECT_TRUE(contains(r.err, "manifest.json")) << r.err;
  EXPECT_TRUE(contains(r.err, "--accept-edits")) << r.err;
  EXPECT_EQ(testing::journal_bytes(store), journal);

  json out = import_json(in, {"--accept-edits"});
  EXPECT_EQ(out.at("form"), "edited export");
  ASSERT_EQ(out.at("not_imported").size(), 1u) << out;
  EXPECT_EQ(out["not_imported"][0].at("path"), "manifest.json");
  Collections now = state_of(store);
  EXPECT_EQ(now["notes"], (Collection{{"n9", "9"}}));
  EXPECT_EQ(now["contacts"], (Collection{{"alice", R"({"name":"Alice"})"}}));
}

TEST_F(ImportTest, AnEditedFileThatIsNotJsonIsRefusedWithItsLineAndColumn) {
  make_export(in);
  fill_store();
  testing::write_bytes(in + "/notes.json",
                       "{\n  \"n1\": {\"text\": \"x\"},\n  \"n2\" 2\n}\n");
  const std::string journal = testing::journal_bytes(store);
  CommandResult r = pj({"import", in, "--accept-edits"});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, in + "/notes.json")) << r.err;
  EXPECT_TRUE(contains(r.err, "line 3, column 8")) << r.err;
  EXPECT_FALSE(contains(r.err, "json.exception")) << r.err;
  EXPECT_EQ(testing::journal_bytes(store), journal);
  EXPECT_TRUE(list_backups(store).empty());
}

// ------------------------------------------------------------------ refusals

// Every refusal exits 1, says why on stderr, prints nothing on stdout,
// appends nothing and takes no snapshot.
TEST_F(ImportTest, EveryRefusedDirectoryAppendsNothingAndTakesNoSnapshot) {
  fill_store();
  const std::string valid = app_json({{"n1", 1}});
  struct Case {
    std::string name;
    std::string dir;
    std::vector<std::string> message;  // every part appears in stderr
  };
  std::vector<Case> cases;
  auto made = [&](const std::string& name, const Files& files) {
    std::string dir = tmp / ("case-" + name);
    write_files(dir, files);
    return dir;
  };
  cases.push_back({"missing", tmp / "missing", {tmp / "missing", "does not exist"}});
  testing::write_bytes(tmp / "file.json", valid);
  cases.push_back({"a file", tmp / "file.json", {"is not a directory"}});
  cases.push_back({"empty", made("empty", {}), {"holds no NAME.json file"}});
  cases.push_back({"not NAME.json",
                   made("readme", {{"notes.json", valid}, {"README.txt", "hi\n"}}),
                   {"README.txt", "is not a NAME.json file"}});
  cases.push_back({"not a collection name",
                   made("upper", {{"My Contacts.json", valid}}),
                   {"My Contacts.json"}});
  cases.push_back({"a subdirectory",
                   made("subdir", {{"notes.json", valid}, {"photos/a.json", valid}}),
                   {"photos", "is a directory"}});
  {
    std::string dir = made("symlink", {{"notes.json", valid}});
    testing::write_bytes(tmp / "outside.json", valid);
    fs::create_symlink(tmp / "outside.json", dir + "/tasks.json");
    cases.push_back({"a symlink", dir, {"tasks.json", "not a regular file"}});
  }
  {
    std::string dir = made("fifo", {{"notes.json", valid}});
    ASSERT_EQ(::mkfifo((dir + "/tasks.json").c_str(), 0600), 0);
    cases.push_back({"a FIFO", dir, {"tasks.json", "not a regular file"}});
  }
  cases.push_back({"not JSON",
                   made("notjson", {{"notes.json", "{\n  \"n1\": 1,\n  \"n2\" 2\n}\n"}}),
                   {"notes.json", "line 3, column 8"}});
  cases.push_back(
      {"a scalar", made("scalar", {{"notes.json", "42\n"}}), {"notes.json", "number"}});
  cases.push_back({"a bad key",
                   made("badkey", {{"notes.json", R"({"a/b": 1})"}}),
                   {"notes.json", "a/b"}});
  cases.push_back({"the store", store, {"is the store or lies inside it"}});
  {
    std::string inside = store + "/mine";
    write_files(inside, {{"notes.json", valid}});
    cases.push_back({"inside the store", inside, {"is the store or lies inside it"}});
    fs::create_symlink(store, tmp / "link-to-store");
    cases.push_back({"the store through a symlink",
                     tmp / "link-to-store",
                     {"is the store or lies inside it"}});
    fs::create_symlink(inside, tmp / "link-inside");
    cases.push_back({"inside the store through a symlink",
                     tmp / "link-inside",
                     {"is the store or lies inside it"}});
  }
  const std::string journal = testing::journal_bytes(store);
  const Collections state = state_of(store);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    for (const std::vector<std::string>& flags :
         {std::vector<std::string>{}, {"--merge"}, {"--dry-run"}, {"--accept-edits"}}) {
      std::vector<std::string> args = {"import", c.dir};
      args.insert(args.end(), flags.begin(), flags.end());
      testing::CommandOptions options;
      options.timeout_ms = 20'000;  // a FIFO must not hang the import
      args.insert(args.begin(), {"--dir", store});
      CommandResult r = testing::run_pa_journal(args, options);
      EXPECT_FALSE(r.timed_out);
      EXPECT_EQ(r.exit_code, kExitError) << r.describe();
      for (const auto& part : c.message) {
        EXPECT_TRUE(contains(r.err, part)) << "wants '" << part << "'\n" << r.describe();
      }
      EXPECT_FALSE(contains(r.err, "json.exception")) << r.err;
      EXPECT_EQ(r.out, "");
    }
  }
  EXPECT_EQ(testing::journal_bytes(store), journal);
  EXPECT_TRUE(list_backups(store).empty()) << "a refused import takes no snapshot";
  EXPECT_EQ(state_of(store), state);
}

}  // namespace
}  // namespace pa_journal
