// The time commands of the pa-journal binary, end to end: restore (in place,
// --dry-run, --out), history, diff, and get/list --at. Commit times come from
// the system clock here; the tests read them back from `history --json`.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::CommandResult;
using testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;

class TimeCliTest : public ::testing::Test {
 protected:
  std::string store() const { return dir_ / "store"; }

  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--dir", store()});
    return testing::run_pa_journal(args);
  }

  // Runs a command that must succeed and returns its stdout.
  std::string ok(const std::vector<std::string>& args) {
    CommandResult r = run(args);
    EXPECT_EQ(r.exit_code, 0) << join(args) << "\n" << r.describe();
    return r.out;
  }

  json ok_json(std::vector<std::string> args) {
    args.push_back("--json");
    std::string out = ok(args);
    try {
      return json::parse(out);
    } catch (const json::exception& e) {
      ADD_FAILURE() << join(args) << " printed no JSON: " << out;
      return {};
    }
  }

  json history(const std::string& collection, const std::string& key) {
    return ok_json({"history", collection, key});
  }

  // Every file of the journal with its bytes, but the reader protocol's.
  std::map<std::string, std::string> journal_files() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(store() + "/journal")) {
      if (entry.is_regular_file() &&
          !testing::is_reader_protocol_file(entry.path().string())) {
        files[entry.path().string()] = testing::read_bytes(entry.path().string());
      }
    }
    return files;
  }

  static std::string join(const std::vector<std::string>& args) {
    std::string text = "pa-journal";
    for (const auto& a : args) text += " " + a;
    return text;
  }

  TempDir dir_;
};

int64_t time_of(const json& version) {
  return parse_time(version.at("time").get<std::string>(), system_now_ns());
}

std::string at(int64_t t) { return format_time_ns(t); }

// The issue's "done when".
TEST_F(TimeCliTest, RestoreBetweenVersionsAndUndoIt) {
  ok({"put", "notes", "a", R"({"v":1})"});
  ok({"put", "notes", "a", R"({"v":2})"});
  json h = history("notes", "a");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  int64_t t1 = time_of(h[0]), t2 = time_of(h[1]);
  ASSERT_LT(t1, t2);
  int64_t between = t1 + (t2 - t1) / 2;

  // Restoring to a moment between the two versions brings back the earlier one.
  std::string out = ok({"restore", "--at", at(between)});
  EXPECT_NE(out.find("as commit 3"), std::string::npos) << out;
  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--json"})), json::parse(R"({"v":1})"));
  h = history("notes", "a");
  ASSERT_EQ(h.size(), 3u) << h.dump();
  int64_t restored_at = time_of(h[2]);
  ASSERT_GT(restored_at, t2);
  // The text output names the undo: a restore to just before this commit, of
  // this store, as a line to paste.
  std::string undo_at = at(restored_at - 1);
  EXPECT_NE(
      out.find("undo with: pa-journal --dir " + store() + " restore --at " + undo_at),
      std::string::npos)
      << out;

  // Restoring to just before that restore brings back the later one.
  json undo = ok_json({"restore", "--at", undo_at});
  EXPECT_EQ(undo.at("seq"), 4);
  EXPECT_EQ(undo.at("at"), undo_at);
  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--json"})), json::parse(R"({"v":2})"));

  // history --json lists every version as {seq, time, op, value}, and the
  // restores' versions with their origin too.
  h = history("notes", "a");
  ASSERT_TRUE(h.is_array());
  ASSERT_EQ(h.size(), 4u) << h.dump();
  const json expected_values[] = {{{"v", 1}}, {{"v", 2}}, {{"v", 1}}, {{"v", 2}}};
  int64_t previous = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    SCOPED_TRACE(h[i].dump());
    ASSERT_TRUE(h[i].is_object());
    EXPECT_EQ(h[i].size(), i < 2 ? 4u : 5u);
    EXPECT_EQ(h[i].at("seq"), i + 1);
    EXPECT_EQ(h[i].at("op"), "put");
    EXPECT_EQ(h[i].at("value"), expected_values[i]);
    int64_t t = time_of(h[i]);
    EXPECT_EQ(h[i].at("time"), at(t));  // RFC 3339 in UTC with nanoseconds
    EXPECT_GT(t, previous);
    previous = t;
  }
  EXPECT_EQ(h[2].at("time"), at(restored_at));
  EXPECT_EQ(h[3].at("time"), undo.at("time"));

  // A time in the future is refused with exit 1 and the window.
  CommandResult r = run({"restore", "--at", at(system_now_ns() + 3600 * kSecond)});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("before the first record (" + at(t1) + ")"), std::string::npos)
      << r.err;
  EXPECT_EQ(history("notes", "a").size(), 4u);
  // Before the first record is the empty state: a restore there deletes all.
  ok({"restore", "--at", "20200101_000000"});
  EXPECT_EQ(ok_json({"list", "notes"}), json::object());
  EXPECT_EQ(history("notes", "a").size(), 5u);
}

TEST_F(TimeCliTest, HistoryShowsTheOriginOfARestoredVersion) {
  ok({"put", "notes", "a", R"({"v":1})"});
  ok({"put", "notes", "a", R"({"v":2})"});
  json h = history("notes", "a");
  ASSERT_EQ(h.size(), 2u) << h.dump();
  int64_t t1 = time_of(h[0]), t2 = time_of(h[1]);
  std::string target = at(t1 + (t2 - t1) / 2);
  ok({"restore", "--at", target});

  h = history("notes", "a");
  ASSERT_EQ(h.size(), 3u) << h.dump();
  EXPECT_FALSE(h[0].contains("origin")) << h.dump();  // a put has none
  EXPECT_FALSE(h[1].contains("origin")) << h.dump();
  EXPECT_EQ(h[2].value("origin", ""), "restore to " + target) << h.dump();
  // The text output ends the restored version's line with its origin.
  std::string text = ok({"history", "notes", "a"});
  std::string last_line = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_EQ(last_line.rfind("3  ", 0), 0u) << text;
  EXPECT_NE(last_line.find(R"({"v":1}  (restore to )" + target + ")\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("(restore to "), text.rfind("(restore to ")) << text;
}

TEST_F(TimeCliTest, HistoryShowsDeletesAndPatches) {
  ok({"put", "contacts", "alice", R"({"name":"Alice"})"});
  ok({"patch", "contacts", "alice", R"({"phone":"555"})"});
  ok({"delete", "contacts", "alice"});
  ok({"put", "contacts", "bob", "1"});
  json h = history("contacts", "alice");
  ASSERT_EQ(h.size(), 3u) << h.dump();
  EXPECT_EQ(h[0].at("op"), "put");
  EXPECT_EQ(h[1].at("op"), "patch");
  EXPECT_EQ(h[1].at("value"), json::parse(R"({"name":"Alice","phone":"555"})"));
  EXPECT_EQ(h[2].at("op"), "delete");
  EXPECT_EQ(h[2].at("seq"), 3);
  EXPECT_TRUE(h[2].at("value").is_null());
  // A document with no version is not found, with or without --json.
  for (bool as_json : {false, true}) {
    std::vector<std::string> args{"history", "contacts", "nobody"};
    if (as_json) args.push_back("--json");
    CommandResult r = run(args);
    EXPECT_EQ(r.exit_code, 1) << r.describe();
    EXPECT_NE(r.err.find("no history for contacts/nobody"), std::string::npos)
        << r.describe();
  }
}

TEST_F(TimeCliTest, DryRunAppendsNothing) {
  ok({"put", "notes", "a", R"({"v":1})"});
  ok({"put", "notes", "b", R"({"v":1})"});
  int64_t t = time_of(history("notes", "b")[0]);
  ok({"put", "notes", "a", R"({"v":2})"});
  ok({"delete", "notes", "b"});
  ok({"put", "notes", "c", "3"});
  auto before = journal_files();

  std::string out = ok({"restore", "--at", at(t), "--dry-run"});
  EXPECT_NE(out.find("would change 3 documents"), std::string::npos) << out;
  EXPECT_NE(out.find("nothing appended"), std::string::npos) << out;
  json plan = ok_json({"restore", "--at", at(t), "--dry-run"});
  EXPECT_EQ(plan.at("dry_run"), true);
  EXPECT_EQ(plan.at("at"), at(t));
  EXPECT_EQ(plan.at("changes"), json::parse(R"({"notes":{
      "changed":{"a":{"old":{"v":2},"new":{"v":1}}},
      "added":{"b":{"v":1}},
      "deleted":{"c":3}}})"));

  EXPECT_EQ(journal_files(), before);
  EXPECT_EQ(history("notes", "a").size(), 2u);
  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--json"})), json::parse(R"({"v":2})"));
}

TEST_F(TimeCliTest, RestoreToTheCurrentStateAppendsNothing) {
  ok({"put", "notes", "a", "1"});
  int64_t t = time_of(history("notes", "a")[0]);
  auto before = journal_files();
  json r = ok_json({"restore", "--at", at(t)});
  EXPECT_TRUE(r.at("seq").is_null()) << r.dump();
  std::string out = ok({"restore", "--at", at(t)});
  EXPECT_NE(out.find("nothing to restore"), std::string::npos) << out;
  EXPECT_EQ(journal_files(), before);
}

TEST_F(TimeCliTest, RestoreOutWritesFilesAndRefusesToOverwriteWithoutForce) {
  ok({"put", "notes", "a", R"({"v":1})"});
  ok({"put", "tasks", "t", R"("todo")"});
  int64_t t1 = time_of(history("tasks", "t")[0]);
  ok({"put", "notes", "a", R"({"v":2})"});
  ok({"put", "notes", "b", "true"});
  int64_t t2 = time_of(history("notes", "b")[0]);
  auto journal = journal_files();
  std::string out = dir_ / "out";

  ok({"restore", "--at", at(t1), "--out", out});
  EXPECT_EQ(json::parse(testing::read_bytes(out + "/notes.json")),
            json::parse(R"({"a":{"v":1}})"));
  EXPECT_EQ(json::parse(testing::read_bytes(out + "/tasks.json")),
            json::parse(R"({"t":"todo"})"));
  std::string written = testing::read_bytes(out + "/notes.json");

  CommandResult r = run({"restore", "--at", at(t2), "--out", out});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(testing::read_bytes(out + "/notes.json"), written);

  json done = ok_json({"restore", "--at", at(t2), "--out", out, "--force"});
  EXPECT_EQ(done.at("out"), out);
  EXPECT_EQ(json::parse(testing::read_bytes(out + "/notes.json")),
            json::parse(R"({"a":{"v":2},"b":true})"));

  // Writing elsewhere changes nothing in the store.
  EXPECT_EQ(journal_files(), journal);
  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--json"})), json::parse(R"({"v":2})"));
}

TEST_F(TimeCliTest, GetAndListAt) {
  ok({"put", "notes", "a", R"({"v":1})"});
  int64_t t1 = time_of(history("notes", "a")[0]);
  ok({"put", "notes", "a", R"({"v":2})"});
  ok({"put", "notes", "b", R"({"w":1})"});
  ok({"delete", "notes", "a"});

  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--at", at(t1), "--json"})),
            json::parse(R"({"v":1})"));
  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--at", at(t1)})),
            json::parse(R"({"v":1})"));
  EXPECT_EQ(ok_json({"list", "notes", "--at", at(t1)}), json::parse(R"({"a":{"v":1}})"));
  json h = history("notes", "a");
  ASSERT_EQ(h.size(), 3u);
  int64_t t2 = time_of(h[1]);
  EXPECT_EQ(json::parse(ok({"get", "notes", "a", "--at", at(t2), "--json"})),
            json::parse(R"({"v":2})"));
  EXPECT_EQ(ok_json({"list", "notes", "--at", at(system_now_ns())}),
            json::parse(R"({"b":{"w":1}})"));

  // Absent at that time: not found.
  CommandResult r = run({"get", "notes", "b", "--at", at(t1)});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  r = run({"get", "notes", "a"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  // Before the first record: the empty state. In the future: refused with
  // the window.
  EXPECT_EQ(ok_json({"list", "notes", "--at", at(t1 - 1)}), json::object());
  r = run({"get", "notes", "a", "--at", at(t1 - 1)});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  r = run({"get", "notes", "a", "--at", at(system_now_ns() + 3600 * kSecond)});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("before the first record (" + at(t1) + ")"), std::string::npos)
      << r.err;
}

// A snapshot id is cut to the second; read as a time it would name the start
// of that second, before the records of it the snapshot holds. The id of one
// of the store's snapshots names that snapshot's moment instead.
TEST_F(TimeCliTest, ASnapshotIdAsATimeIsThatSnapshotsState) {
  const int64_t second = parse_time("2026-01-01T00:00:00Z", 0);
  Options options;
  int64_t now = second + 500'000'000;
  options.clock_ns = [&now] { return now; };
  {
    auto writer = Store::open(store(), options);
    writer->put("notes", "a", "1");
    now += 100'000'000;
    writer->put("notes", "b", "2");
    writer->compact();
    now = second + 1'500'000'000;
    writer->put("notes", "c", "3");  // in the next second: not in the snapshot
  }
  ASSERT_EQ(list_backups(store()).front().id, "20260101_000000");
  EXPECT_EQ(ok({"get", "notes", "b", "--at", "20260101_000000", "--json"}), "2\n");
  CommandResult later = run({"get", "notes", "c", "--at", "20260101_000000"});
  EXPECT_EQ(later.exit_code, 1) << later.describe();
}

TEST_F(TimeCliTest, DiffJson) {
  ok({"put", "notes", "keep", "1"});
  ok({"put", "notes", "change", "1"});
  ok({"put", "notes", "drop", R"({"x":1})"});
  int64_t t1 = time_of(history("notes", "drop")[0]);
  ok({"put", "notes", "change", "2"});
  ok({"delete", "notes", "drop"});
  ok({"put", "tasks", "new", R"(["a"])"});
  int64_t t2 = time_of(history("tasks", "new")[0]);

  json d = ok_json({"diff", "--from", at(t1), "--to", at(t2)});
  EXPECT_EQ(d.at("from"), at(t1));
  EXPECT_EQ(d.at("to"), at(t2));
  EXPECT_EQ(d.at("changes"), json::parse(R"({
      "notes":{"changed":{"change":{"old":1,"new":2}},"deleted":{"drop":{"x":1}}},
      "tasks":{"added":{"new":["a"]}}})"));
  // --to defaults to now.
  EXPECT_EQ(ok_json({"diff", "--from", at(t1)}).at("changes"), d.at("changes"));
  // The other way round, and no change at all.
  EXPECT_EQ(ok_json({"diff", "--from", at(t2), "--to", at(t1)}).at("changes"),
            json::parse(R"({
      "notes":{"changed":{"change":{"old":2,"new":1}},"added":{"drop":{"x":1}}},
      "tasks":{"deleted":{"new":["a"]}}})"));
  EXPECT_EQ(ok_json({"diff", "--from", at(t2), "--to", at(t2 + 1)}).at("changes"),
            json::object());
  std::string text = ok({"diff", "--from", at(t1), "--to", at(t2)});
  EXPECT_NE(text.find("~ notes/change  1  ->  2"), std::string::npos) << text;
  EXPECT_NE(text.find("- notes/drop"), std::string::npos) << text;
  EXPECT_NE(text.find("+ tasks/new"), std::string::npos) << text;
  // Before the first record is the empty state, while the journal starts at
  // seq 1: a --from there shows every document as added.
  json all = ok_json({"diff", "--from", at(t1 - kSecond), "--to", at(t2)});
  EXPECT_EQ(all.at("changes"), json::parse(R"({
      "notes":{"added":{"change":2,"keep":1}},"tasks":{"added":{"new":["a"]}}})"));
}

TEST_F(TimeCliTest, BadTimeIsAUsageErrorNamingTheForms) {
  ok({"put", "notes", "a", "1"});
  auto journal = journal_files();
  const std::vector<std::vector<std::string>> commands = {
      {"restore", "--at", "yesterday"},
      {"restore", "--at", "2026-13-01T00:00:00Z", "--dry-run"},
      {"restore", "--at", "-5x", "--out", dir_ / "out"},
      {"get", "notes", "a", "--at", "2026-11-25T10:00"},
      {"list", "notes", "--at", "20261125-100000"},
      {"diff", "--from", "-"},
      {"diff", "--from", "-1h", "--to", "2026-11-25T25:00:00Z"},
      {"restore", "--at", "-999999999d"},
  };
  for (const auto& args : commands) {
    CommandResult r = run(args);
    SCOPED_TRACE(join(args));
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_NE(r.err.find(kTimeForms), std::string::npos) << r.err;
  }
  EXPECT_EQ(journal_files(), journal);
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(TimeCliTest, AcceptsEveryTimeForm) {
  ok({"put", "notes", "a", "1"});
  int64_t t = time_of(history("notes", "a")[0]);
  // Forms naming the commit's own time or later: the state is {a: 1}.
  std::string in_an_hour = at(t + 3600 * kSecond);  // "...Z": the same instant at +01:00
  const std::vector<std::string> forms = {
      at(t),
      "-0s",
      in_an_hour.substr(0, in_an_hour.size() - 1) + "+01:00",
      in_an_hour.substr(0, 10) + "t" + in_an_hour.substr(11, 18) + "+01:00",
  };
  for (const auto& form : forms) {
    EXPECT_EQ(ok_json({"list", "notes", "--at", form}), json::parse(R"({"a":1})"))
        << form;
  }
  // Forms naming a time before the first record parse and name the empty
  // state before it (the journal still starts at seq 1).
  std::vector<std::string> before = {"-15m",
                                     "-2h",
                                     "-3d",
                                     "20200101_000000",
                                     "2020-01-01 00:00:00",
                                     "2020-01-01T00:00:00.5+01:00"};
  if (system_now_ns() - t < 20 * kSecond) before.push_back("-30s");
  for (const std::string& form : before) {
    EXPECT_EQ(ok_json({"list", "notes", "--at", form}), json::object()) << form;
  }
}

}  // namespace
}  // namespace pa_journal
