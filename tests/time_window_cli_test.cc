// The times of the pa-journal binary (docs/cli.md 5), end to end: every form
// of kTimeForms reaches every command, --help lists the forms, and one rule
// for a time outside the restorable window in every command that reads a
// state at a time (get/list --at, export --at, restore --at with --dry-run and
// --out, replay --until, diff --from/--to): refused with exit 1 naming the
// window. Before the first record, while the journal starts at seq 1, is the
// empty state, inside the window.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
using testing::kExitError;
using testing::kExitOk;
using testing::TempDir;

constexpr int64_t kSecond = 1'000'000'000;
// 2026-01-01T00:00:00Z: the commit clock of the stores written here.
constexpr int64_t kBase = int64_t{1'767'225'600} * kSecond;

std::string describe(const std::vector<std::string>& args, const CommandResult& r) {
  std::string text = "pa-journal";
  for (const auto& a : args) text += " " + a;
  return text + "\n" + r.describe();
}

class TimeWindowCliTest : public ::testing::Test {
 protected:
  std::string store() const { return dir_ / "store"; }

  CommandResult run(const std::vector<std::string>& args) {
    return testing::run_in_store(store(), args);
  }

  std::string ok(const std::vector<std::string>& args) {
    CommandResult r = run(args);
    EXPECT_EQ(r.exit_code, kExitOk) << describe(args, r);
    return r.out;
  }

  json ok_json(std::vector<std::string> args) {
    args.push_back("--json");
    return testing::parse_json(ok(args));
  }

  // A store written by a clock that starts at kBase and ticks a second a
  // commit; returns the options (and so the clock) for more writes.
  std::unique_ptr<Store> open_with_clock(size_t backup_count, uint64_t segment_bytes) {
    Options options;
    options.clock_ns = [this] { return now_ += kSecond; };
    options.backup_count = backup_count;
    options.segment_bytes = segment_bytes;
    options.auto_compact = false;
    return Store::open(store(), options);
  }

  // A store whose journal compaction with retention has trimmed: it no
  // longer starts at seq 1, so the window starts at the oldest kept snapshot.
  Window trimmed_store() {
    auto writer = open_with_clock(/*backup_count=*/2, /*segment_bytes=*/200);
    for (int i = 0; i < 16; ++i) {
      writer->put("notes", "n" + std::to_string(i % 3), std::to_string(i));
      if (i % 4 == 3) writer->compact();
    }
    writer.reset();
    Window w = restorable_window(store());
    EXPECT_FALSE(w.from_start) << "retention removed no segment";
    EXPECT_GT(w.from_ns, kBase + kSecond);
    return w;
  }

  // A refusal of a time outside the window: exit 1, the window named,
  // nothing appended, no directory written.
  void expect_outside(const std::vector<std::string>& args, const std::string& window,
                      const std::string& why) {
    std::string journal = testing::journal_bytes(store());
    CommandResult r = run(args);
    SCOPED_TRACE(describe(args, r));
    EXPECT_EQ(r.exit_code, kExitError);
    EXPECT_TRUE(contains(r.err, "cannot read the state at "));
    EXPECT_TRUE(contains(r.err, window));
    EXPECT_TRUE(contains(r.err, why));
    EXPECT_TRUE(r.out.empty());
    EXPECT_EQ(testing::journal_bytes(store()), journal);
    EXPECT_FALSE(fs::exists(dir_ / "out"));
  }

  // Every command that reads a state at a time, at time t.
  std::vector<std::vector<std::string>> state_commands(const std::string& t) {
    std::string out = dir_ / "out";
    return {{"get", "notes", "n0", "--at", t},
            {"list", "notes", "--at", t},
            {"export", out, "--at", t},
            {"restore", "--at", t},
            {"restore", "--at", t, "--dry-run"},
            {"restore", "--at", t, "--out", out},
            {"replay", "--until", t},
            {"replay", "--until", t, "--out", out},
            {"diff", "--from", t},
            {"diff", "--from", "-0s", "--to", t}};
  }

  int64_t now_ = kBase - kSecond;
  TempDir dir_;
};

TEST_F(TimeWindowCliTest, BeforeTheWindowOfATrimmedStoreIsRefusedByEveryCommand) {
  Window w = trimmed_store();
  const std::string window = "can restore from " + format_time_ns(w.from_ns) + " to now";
  const std::vector<std::string> before = {
      format_time_ns(w.from_ns - 1), "20250101_000000", "2025-06-01", "@1700000000"};
  for (const std::string& t : before) {
    for (const auto& args : state_commands(t)) {
      expect_outside(args, window, "before the oldest kept snapshot");
    }
  }
  // The window's own start is served.
  EXPECT_FALSE(ok_json({"list", "notes", "--at", format_time_ns(w.from_ns)}).empty());
}

TEST_F(TimeWindowCliTest, AFutureTimeIsRefusedByEveryCommand) {
  Window w = trimmed_store();
  const std::string window = "can restore from " + format_time_ns(w.from_ns) + " to now";
  std::string future = format_time_ns(system_now_ns() + 3600 * kSecond);
  for (const auto& args : state_commands(future)) {
    expect_outside(args, window, "that is in the future");
  }
}

// inspect --records --since/--until filter records, not states: a time
// outside the window is taken and filters what the journal kept.
TEST_F(TimeWindowCliTest, InspectSinceAndUntilFilterRecordsOutsideTheWindow) {
  Window w = trimmed_store();
  auto records = [&](std::vector<std::string> args) {
    args.push_back("--json");
    return testing::parse_json_lines(ok(args));  // NDJSON
  };
  std::vector<json> kept = records({"inspect", "--records"});
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(records({"inspect", "--records", "--since", "2025-01-01"}), kept);
  EXPECT_TRUE(records({"inspect", "--records", "--until", format_time_ns(w.from_ns - 1)})
                  .empty());
  std::string future = format_time_ns(system_now_ns() + 3600 * kSecond);
  EXPECT_EQ(records({"inspect", "--records", "--until", future}), kept);
  EXPECT_TRUE(records({"inspect", "--records", "--since", future}).empty());
}

TEST_F(TimeWindowCliTest, AnEmptyStoreHasNoStateAtAnyTime) {
  open_with_clock(10, 1 << 20).reset();
  for (const auto& args : state_commands("-1h")) {
    expect_outside(args, "the store has no records yet", "");
  }
}

// Before the first record, while the journal starts at seq 1: the empty
// state, which every command serves.
class BeforeTheFirstRecordTest : public TimeWindowCliTest {
 protected:
  void SetUp() override {
    auto writer = open_with_clock(10, 1 << 20);
    writer->put("notes", "n0", R"({"v":1})");
    writer->put("notes", "n1", R"({"v":2})");
  }
  const std::string before_ = format_time_ns(kBase - kSecond);
};

TEST_F(BeforeTheFirstRecordTest, ListPrintsNothingAndExitsZero) {
  CommandResult r = run({"list", "notes", "--at", before_});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(ok_json({"list", "notes", "--at", before_}), json::object());
  EXPECT_EQ(ok_json({"list", "notes", "--at", "2020-01-01"}), json::object());
}

// inspect says where the window starts: the empty state before the first
// record while the journal starts at seq 1; a trimmed store's oldest kept
// snapshot has nothing before it.
TEST_F(BeforeTheFirstRecordTest, InspectSaysTheWindowStartsWithTheEmptyState) {
  json window = ok_json({"inspect"}).at("window");
  EXPECT_EQ(window.at("from_empty_state"), true) << window;
  CommandResult text = run({"inspect"});
  EXPECT_TRUE(contains(text.out, "(restorable, and the empty state before it)"))
      << text.out;
}

TEST_F(TimeWindowCliTest, InspectSaysATrimmedWindowHasNoEmptyStateBeforeIt) {
  Window w = trimmed_store();
  json window = ok_json({"inspect"}).at("window");
  EXPECT_EQ(window.at("from"), format_time_ns(w.from_ns)) << window;
  EXPECT_EQ(window.at("from_empty_state"), false) << window;
}

TEST_F(BeforeTheFirstRecordTest, GetFindsNoDocument) {
  CommandResult r = run({"get", "notes", "n0", "--at", before_});
  EXPECT_EQ(r.exit_code, kExitError) << r.describe();
  EXPECT_TRUE(contains(r.err, "no document notes/n0 at " + before_)) << r.err;
}

TEST_F(BeforeTheFirstRecordTest, ExportWritesTheEmptyState) {
  json out = ok_json({"export", dir_ / "out", "--at", before_});
  EXPECT_EQ(out.at("seq"), 0) << out.dump();
  EXPECT_TRUE(fs::exists(dir_ / "out/manifest.json"));
}

TEST_F(BeforeTheFirstRecordTest, ReplayUntilGivesTheEmptyState) {
  json out = ok_json({"replay", "--until", before_});
  EXPECT_EQ(out.at("state_seq"), 0) << out.dump();
  EXPECT_EQ(out.at("collections"), json::object()) << out.dump();
}

TEST_F(BeforeTheFirstRecordTest, DiffFromAnHourAgoOnAYoungStoreShowsEverythingAdded) {
  // The store's records are in 2026-01-01; one written now is younger than
  // an hour, and -1h lies before its first record.
  fs::remove_all(store());
  ok({"put", "notes", "n0", "1"});
  json d = ok_json({"diff", "--from", "-1h"});
  EXPECT_EQ(d.at("changes"), json::parse(R"({"notes":{"added":{"n0":1}}})")) << d.dump();
  EXPECT_EQ(ok_json({"diff", "--from", "-1w", "--to", "now"}).at("changes"),
            d.at("changes"));
}

TEST_F(BeforeTheFirstRecordTest, RestoreDryRunAndOutServeTheEmptyState) {
  json plan = ok_json({"restore", "--at", before_, "--dry-run"});
  EXPECT_EQ(plan.at("changes"), json::parse(R"({"notes":{"deleted":{
      "n0":{"v":1},"n1":{"v":2}}}})"));
  ok({"restore", "--at", before_, "--out", dir_ / "out"});
  EXPECT_TRUE(fs::is_directory(dir_ / "out"));
  EXPECT_FALSE(fs::exists(dir_ / "out/notes.json"));
}

TEST_F(BeforeTheFirstRecordTest, RestoreUndoesAFirstImport) {
  fs::remove_all(store());
  testing::write_files(dir_ / "in", {{"notes.json", R"({"a":{"x":1},"b":{"x":2}})"}});
  ok({"import", dir_ / "in"});
  ASSERT_EQ(ok_json({"list", "notes"}).size(), 2u);
  json r = ok_json({"restore", "--at", "-1d"});
  EXPECT_EQ(r.at("seq"), 2) << r.dump();
  EXPECT_EQ(ok_json({"list", "notes"}), json::object());
}

// Two snapshots in one second: the second one's id has the suffix "_2", and
// as a time it names that snapshot's exact moment.
TEST_F(TimeWindowCliTest, ASuffixedSnapshotIdIsThatSnapshotsMoment) {
  Options options;
  int64_t now = kBase + 100'000'000;
  options.clock_ns = [&now] { return now; };
  options.auto_compact = false;
  {
    auto writer = Store::open(store(), options);
    writer->put("notes", "a", "1");
    writer->compact();
    now += 100'000'000;
    writer->put("notes", "b", "2");
    writer->compact();
    now += 100'000'000;
    writer->put("notes", "c", "3");  // same second, after both snapshots
  }
  json backups = ok_json({"backups"});
  ASSERT_EQ(backups.size(), 2u) << backups.dump();
  EXPECT_EQ(backups[0].at("id"), "20260101_000000_2");
  EXPECT_EQ(ok_json({"list", "notes", "--at", "20260101_000000_2"}),
            json::parse(R"({"a":1,"b":2})"));
  EXPECT_EQ(ok_json({"list", "notes", "--at", "20260101_000000"}),
            json::parse(R"({"a":1})"));
  // The id of no snapshot of the store is the start of its second.
  EXPECT_EQ(ok_json({"list", "notes", "--at", "20260101_000000_3"}), json::object());
  json d = ok_json({"diff", "--from", "20260101_000000", "--to", "20260101_000000_2"});
  EXPECT_EQ(d.at("changes"), json::parse(R"({"notes":{"added":{"b":2}}})"));
}

TEST_F(TimeWindowCliTest, EveryFormReachesTheCommands) {
  ok({"put", "notes", "a", "1"});
  const json state = json::parse(R"({"a":1})");
  std::string an_hour_ago = std::to_string(system_now_ns() / kSecond - 3600);
  for (const std::string& t : {std::string("now"), std::string("-0s")}) {
    EXPECT_EQ(ok_json({"list", "notes", "--at", t}), state) << t;
  }
  // Before the first record: the empty state.
  for (const std::string& t :
       {std::string("-1w"), "@" + an_hour_ago, "@" + an_hour_ago + ".5",
        std::string("2020-01-01"), std::string("2020-01-01 10:00")}) {
    EXPECT_EQ(ok_json({"list", "notes", "--at", t}), json::object()) << t;
  }
}

// text with every run of white space made one space: --help wraps lines.
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool space = c == ' ' || c == '\n';
    if (!space || (!out.empty() && out.back() != ' ')) out += space ? ' ' : c;
  }
  return out;
}

std::string help_of(const char* command) {
  CommandResult r = testing::run_pa_journal({command, "--help"});
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  return one_line(r.out);
}

// --help of every command that takes a time lists the forms (kTimeForms, the
// list the parser's refusals give) and says which rule its times follow.
TEST(TimeHelpTest, EveryCommandThatTakesATimeListsTheForms) {
  for (const char* command :
       {"get", "list", "export", "restore", "replay", "diff", "inspect"}) {
    std::string help = help_of(command);
    SCOPED_TRACE(command);
    EXPECT_TRUE(contains(help, std::string("Times T: ") + kTimeForms)) << help;
    bool filters = std::string(command) == "inspect";
    EXPECT_EQ(contains(help, "outside the restorable window"), !filters) << help;
    EXPECT_EQ(contains(help, "filter records"), filters) << help;
  }
}

TEST(TimeHelpTest, GetAndDiffHelpListEpochNowWeeksAndADateAlone) {
  for (const char* command : {"get", "diff"}) {
    std::string help = help_of(command);
    for (const char* form :
         {"@1764064800", "now,", "-1w", "a date alone", "(2026-11-25)"}) {
      EXPECT_TRUE(contains(help, form)) << command << ": " << form << "\n" << help;
    }
  }
}

}  // namespace
}  // namespace pa_journal
