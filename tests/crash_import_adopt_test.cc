// kill -9 during `pa-journal adopt` and `pa-journal import DIR`: each trial
// starts the command as a child and SIGKILLs it at a random moment within
// the time a whole run takes. An adoption cut short is finished by running
// adopt again (and refuses writers until then), with every file of the app
// kept byte for byte and each planned commit in the journal exactly once; an
// import cut short leaves the state before it or the whole import, never a
// mix. Each loop is bounded in trials and in time.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pa_journal/adopt.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "snapshot/seed_layout.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using testing::CommandResult;
using testing::contains;
using testing::kExitError;
using testing::kExitOk;

using testing::Files;
using testing::files_under;
using testing::records_of;
using testing::write_files;

constexpr int kTrials = 15;
// No trial starts after this long, unless fewer than kMinTrials have run: the
// test stays well under CTest's limit even on a slow, shared machine, and
// under the sanitizers, where one run takes ten times as long.
constexpr auto kTrialBudget = std::chrono::seconds(14);
constexpr int kMinTrials = 6;

bool another_trial(int trial, std::chrono::steady_clock::time_point started) {
  return trial < kTrials && (trial < kMinTrials ||
                             std::chrono::steady_clock::now() - started < kTrialBudget);
}

void copy_dir(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

Options read_only() {
  Options options;
  options.read_only = true;
  return options;
}

// Opens the store as a writer would (a torn tail is cut off), reads its
// state, then checks it with `pa-journal verify`.
Collections reopened_and_verified(const std::string& dir) {
  Collections state = Store::open(dir)->state();
  CommandResult verify = testing::run_in_store(dir, {"verify"});
  EXPECT_EQ(verify.exit_code, kExitOk) << verify.describe();
  return state;
}

// A run of `pa-journal --dir dir args` killed after delay (or finished).
void run_killed(const std::string& dir, const std::vector<std::string>& args,
                std::chrono::microseconds delay) {
  std::vector<std::string> argv = {testing::pa_journal_binary(), "--dir", dir,
                                   "--no-progress"};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::ChildProcess child(argv);
  std::this_thread::sleep_for(delay);
  child.kill(SIGKILL);
  child.wait(10'000);
}

// How long one whole run of args takes on dir, in milliseconds.
double timed_run(const std::string& dir, const std::vector<std::string>& args) {
  auto started = Clock::now();
  std::vector<std::string> with_dir = {"--dir", dir, "--no-progress"};
  with_dir.insert(with_dir.end(), args.begin(), args.end());
  CommandResult r = testing::run_pa_journal(with_dir);
  EXPECT_EQ(r.exit_code, kExitOk) << r.describe();
  return std::chrono::duration<double, std::milli>(Clock::now() - started).count();
}

// The app's list of `items` contacts as it stood at `version`: each version
// changes the "rev" of one item in twenty.
json contacts_at(int version, int items) {
  json list = json::array();
  for (int j = 0; j < items; ++j) {
    char id[16];
    std::snprintf(id, sizeof id, "c%04d", j);
    list.push_back({{"id", id},
                    {"name", "Person " + std::to_string(j)},
                    {"phone", "555-" + std::to_string(1000 + j)},
                    {"rev", j % 20 == version % 20 ? version : 0}});
  }
  return list;
}

class KillDuringImportOrAdoptTest : public ::testing::Test {
 protected:
  testing::TempDir tmp;
  std::mt19937 rng{20240115};

  // A delay in [from_ms, to_ms).
  std::chrono::microseconds random_delay(double to_ms, double from_ms = 0) {
    return std::chrono::microseconds(static_cast<int64_t>(
        std::uniform_real_distribution<double>(1000 * from_ms, 1000 * to_ms)(rng)));
  }
};

TEST_F(KillDuringImportOrAdoptTest, KilledAdoptionIsUndoneOrFinishedByAdoptingAgain) {
  constexpr int kBackups = 60, kItems = 300;
  const std::string pristine = tmp / "pristine";
  Files app;
  std::vector<std::string> planned;
  for (int i = 0; i < kBackups; ++i) {
    char name[64];
    std::snprintf(name, sizeof name, "backups/contacts_20240101_10%02d00.json", i);
    app[name] = contacts_at(i, kItems).dump(2) + "\n";
    planned.push_back(std::string("adopted from ") + name);
  }
  app["contacts.json"] = contacts_at(kBackups, kItems).dump(2) + "\n";
  app["notes.json"] = json::array({{{"text", "buy milk"}}, {{"text", "call"}}}).dump(2);
  app["storage.log"] = "2024-01-01 10:59:00,000 - FileStorage - INFO - saved\n";
  planned.push_back("adopted from contacts.json, notes.json");
  write_files(pristine, app);

  // A clean adoption: what every trial must end as.
  const std::string clean = tmp / "clean";
  copy_dir(pristine, clean);
  const double run_ms = timed_run(clean, {"adopt"});
  const std::vector<Record> clean_records = records_of(clean);
  const Collections clean_state = Store::open(clean, read_only())->state();
  ASSERT_EQ(clean_records.size(), planned.size());

  // Most of a run reads and plans, which writes nothing: as long as a dry
  // run. Every other trial kills after that, where the writing is.
  const std::string planned_only = tmp / "planned";
  copy_dir(pristine, planned_only);
  const double plan_ms =
      std::min(timed_run(planned_only, {"adopt", "--dry-run"}), run_ms);

  const std::string dir = tmp / "trial";
  int untouched = 0, finished_by_rerun = 0, done_before_kill = 0, trials = 0;
  const auto started = Clock::now();
  for (int trial = 0; another_trial(trial, started); ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ++trials;
    copy_dir(pristine, dir);
    run_killed(dir, {"adopt"}, random_delay(run_ms, trial % 2 ? plan_ms : 0));
    if (needs_adoption(dir)) {
      Files now = files_under(dir);
      now.erase("LOCK");
      const bool nothing_done = now == app && !fs::exists(dir + "/journal");
      // The adoption record is its commit point: with it, adopt resumes.
      const bool begun = fs::exists(dir + "/" + kAdoptionRecord);
      untouched += nothing_done;
      finished_by_rerun += !nothing_done;
      const std::string journal = testing::journal_bytes(dir);
      CommandResult put = testing::run_in_store(dir, {"put", "contacts", "x", "{}"});
      EXPECT_EQ(put.exit_code, kExitError) << put.describe();
      EXPECT_TRUE(contains(put.err, "pa-journal adopt")) << put.err;
      EXPECT_EQ(testing::journal_bytes(dir), journal) << "a refused put wrote";
      CommandResult again = testing::run_in_store(dir, {"adopt", "--json"});
      ASSERT_EQ(again.exit_code, kExitOk) << again.describe();
      EXPECT_EQ(testing::parse_json(again.out).at("resumed"), begun);
    } else {
      ++done_before_kill;
    }
    ASSERT_FALSE(needs_adoption(dir));
    for (const auto& [path, bytes] : app) {
      ASSERT_EQ(testing::read_bytes(dir + "/backups/adopted/" + path), bytes) << path;
    }
    std::vector<Record> records = records_of(dir);
    ASSERT_EQ(records.size(), planned.size());
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].seq, i + 1);
      EXPECT_EQ(records[i].origin, planned[i]);
      if (i + 1 < records.size()) {  // the last commit: the adoption's own time
        EXPECT_EQ(records[i].time_ns, clean_records[i].time_ns);
      }
    }
    EXPECT_EQ(reopened_and_verified(dir), clean_state);
  }
  std::cout << "adopt kill trials: " << untouched << " left nothing done, "
            << finished_by_rerun << " finished by adopting again, " << done_before_kill
            << " done before the kill (an adoption takes " << run_ms << " ms, " << plan_ms
            << " of them reading and planning)" << std::endl;
  EXPECT_GE(trials, 5);
  EXPECT_GT(finished_by_rerun, 0) << "no kill landed inside the adoption";
}

TEST_F(KillDuringImportOrAdoptTest, KilledImportLeavesTheStateBeforeOrTheWholeImport) {
  constexpr int kDocs = 20000;
  const std::string pristine = tmp / "pristine";
  {
    auto store = Store::open(pristine);
    std::vector<Operation> ops;
    for (int i = 0; i < kDocs; i += 2) {
      ops.push_back({OpKind::kPut, "items", "k" + std::to_string(i),
                     R"({"old":)" + std::to_string(i) + "}"});
    }
    store->commit(std::move(ops), "fill");
    store->put("notes", "n1", R"({"text":"kept"})");
  }
  const std::string in = tmp / "in";
  {
    json items = json::object();
    for (int i = 0; i < kDocs; i += 3) {
      items["k" + std::to_string(i)] = {{"new", i}, {"text", std::string(40, 'x')}};
    }
    fs::create_directories(in);
    testing::write_bytes(in + "/items.json", items.dump(2));
    testing::write_bytes(in + "/contacts.json", contacts_at(3, 2000).dump(2));
  }
  const Collections before = Store::open(pristine, read_only())->state();
  const uint64_t seq_before = Store::open(pristine, read_only())->last_seq();

  const std::string clean = tmp / "clean";
  copy_dir(pristine, clean);
  const double run_ms = timed_run(clean, {"import", in});
  const Collections imported = Store::open(clean, read_only())->state();
  ASSERT_NE(imported, before);

  // Reading and checking DIR writes nothing: as long as a dry run. Every
  // other trial kills after that, in the snapshot or the commit.
  const double check_ms = std::min(timed_run(clean, {"import", in, "--dry-run"}), run_ms);

  const std::string dir = tmp / "trial";
  int old_state = 0, new_state = 0, trials = 0;
  const auto started = Clock::now();
  for (int trial = 0; another_trial(trial, started); ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ++trials;
    copy_dir(pristine, dir);
    run_killed(dir, {"import", in}, random_delay(run_ms, trial % 2 ? check_ms : 0));
    Collections state = reopened_and_verified(dir);
    const uint64_t seq = Store::open(dir, read_only())->last_seq();
    std::vector<Record> records = records_of(dir);
    int imports = 0;
    for (const Record& r : records) imports += r.origin == "import from " + in;
    if (state == before) {
      ++old_state;
      EXPECT_EQ(imports, 0);
      EXPECT_EQ(seq, seq_before);
    } else {
      ASSERT_TRUE(state == imported) << "a killed import left a state that is neither";
      ++new_state;
      EXPECT_EQ(imports, 1);
      EXPECT_EQ(seq, seq_before + 1);
    }
  }
  std::cout << "import kill trials: " << old_state << " left the state before, "
            << new_state << " the whole import (an import takes " << run_ms << " ms, "
            << check_ms << " of them reading and checking)" << std::endl;
  EXPECT_GE(trials, 5);
  EXPECT_GT(old_state, 0) << "no kill landed before the import's commit";
}

}  // namespace
}  // namespace pa_journal
