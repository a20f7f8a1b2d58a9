// End-to-end tests of pa-journal compact, backups, replay, export, import and
// demo (docs/design.md 6, docs/cli.md): the built binary runs as a child process;
// exit codes, stderr messages, and every --json field is compared with what
// the store really holds, read back through the library.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "journal/record_codec.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "snapshot/snapshot.h"
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
using testing::kExitUsage;
using testing::parse_json;

// 2026-01-01T00:00:00Z plus hours.
int64_t new_year_plus_hours(int hours) {
  return int64_t{1767225600} * 1'000'000'000 + int64_t{hours} * 3600 * 1'000'000'000;
}

class SnapshotCliTest : public ::testing::Test {
 protected:
  CommandResult pj(std::vector<std::string> args, const std::string& stdin_data = {}) {
    return testing::run_in_store(dir, std::move(args), stdin_data);
  }

  // Three commits through the library: contacts alice and bob, notes n1.
  void make_store(const std::string& at) {
    auto store = Store::open(at);
    store->put("contacts", "alice", R"({"name":"Alice"})");
    store->put("contacts", "bob", R"({"name":"Bob"})");
    store->put("notes", "n1", R"({"text":"one"})");
  }

  // The whole state as `list --json` prints it: collection -> key -> document.
  json state_of(const std::string& at) {
    Options options;
    options.read_only = true;
    auto store = Store::open(at, options);
    json out = json::object();
    for (const auto& name : store->collections()) {
      for (const auto& [key, doc] : store->list(name)) out[name][key] = json::parse(doc);
    }
    return out;
  }

  std::vector<Record> records() const {
    std::vector<Record> out;
    read_records(dir, {}, [&](const Record& r) { out.push_back(r); });
    return out;
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

// ---------------------------------------------------------------- compact

TEST_F(SnapshotCliTest, CompactJsonDescribesTheSnapshotItWrote) {
  make_store(dir);
  CommandResult r = pj({"compact", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  auto backups = list_backups(dir);
  ASSERT_EQ(backups.size(), 1u);
  EXPECT_EQ(out.at("snapshot"), backups[0].id);
  EXPECT_EQ(out.at("seq"), 3);
  EXPECT_EQ(out.at("seq"), backups[0].seq);
  EXPECT_EQ(out.at("time"), format_time_ns(backups[0].time_ns));
  EXPECT_EQ(out.at("bytes"), backups[0].bytes);
  EXPECT_EQ(out.at("removed_snapshots"), json::array());
  EXPECT_EQ(out.at("removed_segments"), json::array());
  // The readable state files in the store's root hold the state.
  json state = state_of(dir);
  for (const std::string name : {"contacts", "notes"}) {
    EXPECT_EQ(json::parse(testing::read_bytes(dir + "/" + name + ".json")), state[name]);
  }
  EXPECT_EQ(r.err, "");
}

TEST_F(SnapshotCliTest, CompactWithNothingNewSaysSoAndWritesNothing) {
  make_store(dir);
  ASSERT_EQ(pj({"compact"}).exit_code, kExitOk);
  CommandResult human = pj({"compact"});
  ASSERT_EQ(human.exit_code, kExitOk) << human.describe();
  EXPECT_TRUE(contains(human.out, "nothing to compact")) << human.describe();
  EXPECT_TRUE(contains(human.out, "seq 3")) << human.describe();
  CommandResult r = pj({"compact", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  EXPECT_TRUE(out.at("snapshot").is_null()) << out;
  EXPECT_TRUE(out.at("time").is_null()) << out;
  EXPECT_EQ(out.at("seq"), 0);
  EXPECT_EQ(list_backups(dir).size(), 1u);
}

TEST_F(SnapshotCliTest, CompactAppliesRetentionAndNamesWhatItRemoved) {
  make_store(dir);
  ASSERT_EQ(pj({"put", "config", "backup_count", "2"}).exit_code, kExitOk);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(pj({"put", "notes", "n" + std::to_string(i + 2), "{}"}).exit_code, kExitOk);
    CommandResult r = pj({"compact", "--json"});
    ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
    json out = parse_json(r.out);
    ids.push_back(out.at("snapshot"));
    json removed = i < 2 ? json::array() : json::array({ids[0]});
    EXPECT_EQ(out.at("removed_snapshots"), removed) << out;
  }
  auto kept = list_backups(dir);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, ids[2]);
  EXPECT_EQ(kept[1].id, ids[1]);
}

// ---------------------------------------------------------------- backups

TEST_F(SnapshotCliTest, BackupsJsonListsEverySnapshotNewestFirst) {
  make_store(dir);
  CommandResult none = pj({"backups"});
  ASSERT_EQ(none.exit_code, kExitOk) << none.describe();
  EXPECT_TRUE(contains(none.out, "no snapshots yet")) << none.describe();
  EXPECT_EQ(parse_json(pj({"backups", "--json"}).out), json::array());

  ASSERT_EQ(pj({"compact"}).exit_code, kExitOk);
  ASSERT_EQ(pj({"put", "config", "theme", R"("dark")"}).exit_code, kExitOk);
  ASSERT_EQ(pj({"compact"}).exit_code, kExitOk);
  CommandResult r = pj({"backups", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  auto backups = list_backups(dir);
  ASSERT_EQ(backups.size(), 2u);
  ASSERT_TRUE(out.is_array()) << out;
  ASSERT_EQ(out.size(), 2u) << out;
  for (size_t i = 0; i < backups.size(); ++i) {
    SCOPED_TRACE(backups[i].id);
    EXPECT_EQ(out[i].at("id"), backups[i].id);
    EXPECT_EQ(out[i].at("time"), format_time_ns(backups[i].time_ns));
    EXPECT_EQ(out[i].at("seq"), backups[i].seq);
    EXPECT_EQ(out[i].at("bytes"), backups[i].bytes);
    json files = json::array();
    for (const auto& f : backups[i].files) files.push_back(f.file);
    files.push_back(backups[i].manifest);
    EXPECT_EQ(out[i].at("files"), files);
    for (const auto& f : out[i].at("files")) {
      EXPECT_TRUE(fs::exists(dir + "/backups/" + f.get<std::string>())) << f;
    }
  }
  EXPECT_EQ(out[0].at("seq"), 4);  // newest first
  EXPECT_EQ(out[1].at("seq"), 3);
  EXPECT_EQ(out[0].at("files").size(), 4u) << "config, contacts, notes, manifest";

  CommandResult human = pj({"backups"});
  ASSERT_EQ(human.exit_code, kExitOk);
  EXPECT_TRUE(contains(human.out, backups[0].id + "  ")) << human.out;
  EXPECT_TRUE(contains(human.out, "3 collections")) << human.out;
}

// ---------------------------------------------------------------- replay

TEST_F(SnapshotCliTest, ReplayJsonReportsTheSnapshotTheRecordsAndTheState) {
  make_store(dir);
  ASSERT_EQ(pj({"compact"}).exit_code, kExitOk);
  ASSERT_EQ(pj({"put", "contacts", "carol", "{}"}).exit_code, kExitOk);
  ASSERT_EQ(pj({"delete", "notes", "n1"}).exit_code, kExitOk);
  std::string before = testing::journal_bytes(dir);
  CommandResult r = pj({"replay", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  EXPECT_EQ(out.at("mode"), "tolerate-tail");
  EXPECT_EQ(out.at("snapshot"), list_backups(dir)[0].id);
  EXPECT_EQ(out.at("snapshot_seq"), 3);
  EXPECT_EQ(out.at("snapshot_fallbacks"), json::array());
  EXPECT_EQ(out.at("records_replayed"), 2);
  EXPECT_EQ(out.at("first_seq"), 4);
  EXPECT_EQ(out.at("last_seq"), 5);
  EXPECT_EQ(out.at("damage"), json::array());
  EXPECT_EQ(out.at("state_seq"), 5);
  // notes is empty after the delete and keeps a count of 0.
  EXPECT_EQ(out.at("collections"), json::parse(R"({"contacts":3,"notes":0})")) << out;
  EXPECT_FALSE(out.contains("out"));
  EXPECT_EQ(testing::journal_bytes(dir), before) << "replay is read-only";
}

TEST_F(SnapshotCliTest, ReplayUntilStopsAtThatTime) {
  Options options;
  int hour = 0;
  options.clock_ns = [&hour] { return new_year_plus_hours(hour++); };
  {
    auto store = Store::open(dir, options);
    for (int i = 0; i < 5; ++i) store->put("notes", "n" + std::to_string(i), "{}");
  }
  CommandResult r = pj({"replay", "--until", "2026-01-01T02:00:00Z", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  EXPECT_EQ(out.at("state_seq"), 3);
  EXPECT_EQ(out.at("records_replayed"), 3);
  EXPECT_EQ(out.at("collections"), json::parse(R"({"notes":3})"));
}

TEST_F(SnapshotCliTest, ReplayOutWritesTheStateAndOverwritesOnlyWithForce) {
  make_store(dir);
  std::string out_dir = tmp / "rescued";
  CommandResult r = pj({"replay", "--out", out_dir, "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(parse_json(r.out).at("out"), out_dir);
  json state = state_of(dir);
  for (const std::string name : {"contacts", "notes"}) {
    EXPECT_EQ(json::parse(testing::read_bytes(out_dir + "/" + name + ".json")),
              state[name]);
  }
  testing::write_bytes(out_dir + "/notes.json", "{}");
  CommandResult again = pj({"replay", "--out", out_dir});
  EXPECT_EQ(again.exit_code, kExitError) << again.describe();
  EXPECT_TRUE(contains(again.err, " exists; pass --force to overwrite\n"))
      << again.describe();
  EXPECT_EQ(testing::read_bytes(out_dir + "/notes.json"), "{}") << "nothing overwritten";
  CommandResult forced = pj({"replay", "--out", out_dir, "--force"});
  ASSERT_EQ(forced.exit_code, kExitOk) << forced.describe();
  EXPECT_TRUE(contains(forced.out, "written to   " + out_dir)) << forced.out;
  EXPECT_EQ(json::parse(testing::read_bytes(out_dir + "/notes.json")), state["notes"]);
}

TEST_F(SnapshotCliTest, ReplayOfADamagedJournalFollowsTheMode) {
  make_store(dir);
  std::string segment = testing::segment_path(dir);
  std::string bytes = testing::read_bytes(segment);
  bytes[60] ^= 0x10;  // inside the first record's payload
  testing::write_bytes(segment, bytes);
  std::string name = "journal/" + fs::path(segment).filename().string();
  for (std::vector<std::string> args :
       {std::vector<std::string>{"replay"}, {"replay", "--mode", "strict", "--json"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitCorruption) << r.describe();
    EXPECT_TRUE(contains(r.err, name + " offset 32")) << r.describe();
    EXPECT_TRUE(contains(r.err, "salvage")) << "says which mode would open it";
    EXPECT_EQ(r.out, "");
  }
  CommandResult salvage = pj({"replay", "--mode", "salvage", "--json"});
  ASSERT_EQ(salvage.exit_code, kExitOk) << salvage.describe();
  json out = parse_json(salvage.out);
  EXPECT_EQ(out.at("mode"), "salvage");
  EXPECT_EQ(out.at("records_replayed"), 2);
  ASSERT_EQ(out.at("damage").size(), 1u) << out;
  EXPECT_EQ(out.at("damage")[0].at("file"), name);
  EXPECT_EQ(out.at("damage")[0].at("offset"), 32);
  EXPECT_EQ(out.at("collections"), json::parse(R"({"contacts":1,"notes":1})"));
}

// ---------------------------------------------------------------- export, import

TEST_F(SnapshotCliTest, ExportJsonNamesTheStateItWroteAndImportRestoresIt) {
  make_store(dir);
  std::string ex = tmp / "ex";
  CommandResult r = pj({"export", ex, "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  auto all = records();
  EXPECT_EQ(out.at("out"), ex);
  EXPECT_EQ(out.at("seq"), 3);
  EXPECT_EQ(out.at("time"), format_time_ns(all.back().time_ns));
  EXPECT_TRUE(fs::exists(ex + "/manifest.json"));
  EXPECT_TRUE(fs::exists(ex + "/contacts.json"));

  std::string other = tmp / "other";
  auto store = Store::open(other);
  store->put("notes", "mine", R"({"text":"kept? no: notes is replaced"})");
  store->put("config", "theme", R"("dark")");
  store.reset();
  CommandResult imp = testing::run_in_store(other, {"import", ex, "--json"});
  ASSERT_EQ(imp.exit_code, kExitOk) << imp.describe();
  json in = parse_json(imp.out);
  EXPECT_EQ(in.at("in"), ex);
  EXPECT_EQ(in.at("seq"), 3);
  std::vector<Record> other_records;
  read_records(other, {}, [&](const Record& rec) { other_records.push_back(rec); });
  ASSERT_EQ(other_records.size(), 3u);
  EXPECT_EQ(in.at("time"), format_time_ns(other_records.back().time_ns));
  EXPECT_EQ(other_records.back().origin, "import from " + ex);
  json expected = state_of(dir);
  expected["config"] = json::parse(R"({"theme":"dark"})");  // not in the export: kept
  EXPECT_EQ(state_of(other), expected);
  EXPECT_FALSE(list_backups(other).empty()) << "the state before the import is a backup";

  // The same import again changes nothing and appends nothing.
  std::string before = testing::journal_bytes(other);
  CommandResult again = testing::run_in_store(other, {"import", ex, "--json"});
  ASSERT_EQ(again.exit_code, kExitOk) << again.describe();
  json same = parse_json(again.out);
  EXPECT_TRUE(same.at("seq").is_null()) << same;
  EXPECT_FALSE(same.contains("time")) << same;
  EXPECT_EQ(testing::journal_bytes(other), before);
  CommandResult human = testing::run_in_store(other, {"import", ex});
  EXPECT_TRUE(contains(human.out, "nothing to import")) << human.describe();
}

// The undo line after an import is one to paste: it names the store (quoted
// where the shell needs it), and the import into a store that held nothing
// is undone to the empty state before its first record.
TEST_F(SnapshotCliTest, ImportNamesAnUndoThatWorks) {
  make_store(dir);
  std::string ex = tmp / "ex";
  ASSERT_EQ(pj({"export", ex}).exit_code, kExitOk);
  std::string fresh = tmp / "fresh store";
  CommandResult first = testing::run_pa_journal({"--dir", fresh, "import", ex});
  ASSERT_EQ(first.exit_code, kExitOk) << first.describe();
  std::string first_prefix = "undo with: pa-journal --dir '" + fresh + "' restore --at ";
  size_t first_at = first.out.find(first_prefix);
  ASSERT_NE(first_at, std::string::npos) << first.out;
  std::string first_undo = first.out.substr(first_at + first_prefix.size());
  first_undo = first_undo.substr(0, first_undo.find('\n'));
  CommandResult emptied =
      testing::run_pa_journal({"--dir", fresh, "restore", "--at", first_undo});
  ASSERT_EQ(emptied.exit_code, kExitOk) << emptied.describe();
  EXPECT_EQ(state_of(fresh), json::object());

  auto store = Store::open(tmp / "other");
  store->put("notes", "mine", "1");
  store.reset();
  CommandResult imp = testing::run_pa_journal({"--dir", tmp / "other", "import", ex});
  ASSERT_EQ(imp.exit_code, kExitOk) << imp.describe();
  std::string prefix =
      "undo with: pa-journal --dir " + (tmp / "other") + " restore --at ";
  size_t at = imp.out.find(prefix);
  ASSERT_NE(at, std::string::npos) << imp.out;
  std::string undo_time = imp.out.substr(at + prefix.size());
  undo_time = undo_time.substr(0, undo_time.find('\n'));
  CommandResult undo =
      testing::run_pa_journal({"--dir", tmp / "other", "restore", "--at", undo_time});
  ASSERT_EQ(undo.exit_code, kExitOk) << undo.describe();
  EXPECT_EQ(state_of(tmp / "other"), json::parse(R"({"notes":{"mine":1}})"));
}

// A store with no records has no snapshot and no commit time: no "seq 0"
// covered by a snapshot, no time in 1970. (compact creates no store: the
// empty one is made through the library.)
TEST_F(SnapshotCliTest, CompactAndExportOfAStoreWithNoRecordsSaySo) {
  Store::open(dir);
  CommandResult compact = pj({"compact"});
  ASSERT_EQ(compact.exit_code, kExitOk) << compact.describe();
  EXPECT_EQ(compact.out, "nothing to compact: the store has no records\n");
  CommandResult ex = pj({"export", tmp / "ex", "--json"});
  ASSERT_EQ(ex.exit_code, kExitOk) << ex.describe();
  EXPECT_EQ(parse_json(ex.out).at("seq"), 0);
  EXPECT_TRUE(parse_json(ex.out).at("time").is_null()) << ex.out;
}

TEST_F(SnapshotCliTest, ExportAtATimeWritesThatState) {
  Options options;
  int hour = 0;
  options.clock_ns = [&hour] { return new_year_plus_hours(hour++); };
  {
    auto store = Store::open(dir, options);
    store->put("notes", "a", "1");
    store->put("notes", "b", "2");
    store->remove("notes", "a");
  }
  std::string ex = tmp / "ex";
  CommandResult r = pj({"export", ex, "--at", "20260101_013000", "--json"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json out = parse_json(r.out);
  EXPECT_EQ(out.at("seq"), 2);
  EXPECT_EQ(out.at("time"), format_time_ns(new_year_plus_hours(1)));
  EXPECT_EQ(json::parse(testing::read_bytes(ex + "/notes.json")),
            json::parse(R"({"a":1,"b":2})"));
}

TEST_F(SnapshotCliTest, ExportRefusesADirectoryThatIsNotEmpty) {
  make_store(dir);
  std::string ex = tmp / "ex";
  fs::create_directory(ex);
  testing::write_bytes(ex + "/mine.txt", "keep me");
  CommandResult r = pj({"export", ex});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, ex + " is not empty")) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(testing::read_bytes(ex + "/mine.txt"), "keep me");
  EXPECT_FALSE(fs::exists(ex + "/manifest.json"));
}

TEST_F(SnapshotCliTest, ImportRefusesWhatIsNotAGoodExportAndAppendsNothing) {
  make_store(tmp / "source");
  std::string ex = tmp / "ex";
  ASSERT_EQ(testing::run_in_store(tmp / "source", {"export", ex}).exit_code, kExitOk);
  std::string tampered = tmp / "tampered";
  fs::copy(ex, tampered);
  std::string notes = testing::read_bytes(tampered + "/notes.json");
  notes[notes.find("one")] = 'O';
  testing::write_bytes(tampered + "/notes.json", notes);
  std::string stranger = tmp / "stranger";
  fs::copy(ex, stranger);
  testing::write_bytes(stranger + "/extra.json", "{}");
  std::string empty = tmp / "empty";
  fs::create_directory(empty);
  // Checksums that hold over content the store must not import: exit 1, not 3.
  std::string not_object = tmp / "not-object";
  fs::copy(ex, not_object);
  testing::write_bytes(not_object + "/notes.json", "[1,2,3]");
  SnapshotInfo info =
      parse_manifest(testing::read_bytes(not_object + "/manifest.json"), "manifest");
  for (auto& f : info.files) {
    if (f.file == "notes.json") {
      f.bytes = 7;
      f.xxh3 = checksum("[1,2,3]");
    }
  }
  testing::write_bytes(not_object + "/manifest.json", serialize_manifest(info));
  std::string newer = tmp / "newer";
  fs::copy(ex, newer);
  json manifest = json::parse(testing::read_bytes(newer + "/manifest.json"));
  manifest.erase("checksum");
  manifest["version"] = 2;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(checksum(manifest.dump())));
  manifest["checksum"] = hex;
  testing::write_bytes(newer + "/manifest.json", manifest.dump(2));

  make_store(dir);
  std::string before = testing::journal_bytes(dir);
  struct Case {
    std::string in;
    int exit_code;
    std::string message;
  };
  for (const Case& c :
       {Case{empty, kExitError, empty + " holds no NAME.json file: nothing to import"},
        Case{tmp / "missing", kExitError, tmp / "missing"},
        Case{tampered, kExitCorruption, tampered + "/notes.json: size or checksum"},
        Case{stranger, kExitError, "extra.json"},
        Case{not_object, kExitError,
             "refusing to import: " + not_object + "/notes.json: not a JSON object"},
        Case{newer, kExitError, "format version 2; this pa-journal reads version 1"}}) {
    SCOPED_TRACE(c.in);
    CommandResult r = pj({"import", c.in});
    EXPECT_EQ(r.exit_code, c.exit_code) << r.describe();
    EXPECT_TRUE(contains(r.err, c.message)) << r.describe();
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(testing::journal_bytes(dir), before);
  EXPECT_TRUE(list_backups(dir).empty()) << "a refused import takes no snapshot";
}

// ---------------------------------------------------------------- locks, usage

TEST_F(SnapshotCliTest, WritingCommandsAgainstALockedStoreNameTheHolder) {
  make_store(tmp / "source");
  std::string ex = tmp / "ex";
  ASSERT_EQ(testing::run_in_store(tmp / "source", {"export", ex}).exit_code, kExitOk);
  auto holder = Store::open(dir);
  holder->put("notes", "n", "{}");
  std::string before = testing::journal_bytes(dir);
  const std::string pid = "pid " + std::to_string(::getpid());
  for (std::vector<std::string> args :
       {std::vector<std::string>{"compact"}, {"import", ex}, {"compact", "--json"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, pid)) << r.describe();
    EXPECT_EQ(r.out, "");
  }
  EXPECT_EQ(testing::journal_bytes(dir), before);
  EXPECT_TRUE(list_backups(dir).empty());
  // Readers do not need the lock.
  for (std::vector<std::string> args : {std::vector<std::string>{"backups", "--json"},
                                        {"replay", "--json"},
                                        {"export", tmp / "ex2", "--json"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
    parse_json(r.out);
  }
}

TEST_F(SnapshotCliTest, MissingArgumentsAndNonexistentStores) {
  for (std::vector<std::string> args : {std::vector<std::string>{"export"},
                                        {"import"},
                                        {"replay", "--out"},
                                        {"replay", "--mode", "optimistic"},
                                        {"replay", "--until", "soon"},
                                        {"export", tmp / "x", "--at", "yesterday"},
                                        {"compact", "extra"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitUsage) << ::testing::PrintToString(args) << "\n"
                                       << r.describe();
    EXPECT_NE(r.err, "");
    EXPECT_EQ(r.out, "");
  }
  for (std::vector<std::string> args :
       {std::vector<std::string>{"backups"}, {"replay"}, {"export", tmp / "x"}}) {
    CommandResult r = pj(args);
    EXPECT_EQ(r.exit_code, kExitError) << r.describe();
    EXPECT_TRUE(contains(r.err, dir)) << r.describe();
  }
  EXPECT_FALSE(fs::exists(dir)) << "reading commands never create a store";
}

// ---------------------------------------------------------------- demo

TEST_F(SnapshotCliTest, DemoRunsStartToFinishOnANewDirectoryAndKeepsIt) {
  std::string demo = tmp / "demo";
  CommandResult r = testing::run_pa_journal({"demo", "--dir", demo});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  for (int step = 1; step <= 9; ++step) {
    EXPECT_TRUE(contains(r.out, "\n== " + std::to_string(step) + ". ")) << step;
  }
  EXPECT_TRUE(contains(r.out, "verify exit code: 3")) << "the torn tail was seen";
  EXPECT_TRUE(contains(r.out, "verify exit code: 0")) << "and cut on reopening";
  // What the tour left behind: a clean store, a snapshot, a restore commit.
  EXPECT_TRUE(verify_store(demo).ok());
  EXPECT_FALSE(list_backups(demo).empty());
  std::vector<Record> all;
  read_records(demo, {}, [&](const Record& rec) { all.push_back(rec); });
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().origin.rfind("adopted from backups/contacts_", 0), 0u)
      << all.front().origin;
  EXPECT_TRUE(contains(r.out, "adopted ")) << r.out;
  EXPECT_EQ(all.back().origin.rfind("restore to ", 0), 0u) << all.back().origin;
}

TEST_F(SnapshotCliTest, DemoRefusesAnExistingDirectoryAndTheThrowawayOneIsRemoved) {
  fs::create_directory(dir);
  testing::write_bytes(dir + "/mine", "x");
  CommandResult r = testing::run_pa_journal({"demo", "--dir", dir});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, dir + " exists")) << r.describe();
  EXPECT_EQ(testing::read_bytes(dir + "/mine"), "x");

  testing::CommandOptions options;
  options.env = {{"TMPDIR", tmp.path()}};
  CommandResult throwaway = testing::run_pa_journal({"demo"}, options);
  ASSERT_EQ(throwaway.exit_code, kExitOk) << throwaway.describe();
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    left.push_back(e.path().filename().string());
  }
  EXPECT_EQ(left, std::vector<std::string>{"store"}) << "the demo's store is removed";
}

}  // namespace
}  // namespace pa_journal
