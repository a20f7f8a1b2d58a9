// Progress reports of long work (include/pa_journal/progress.h): each task
// starts at 0 with its total, moves as the work goes (within a file, at most
// once per hundredth), never goes back, never passes its total and ends at
// it; reports come on the caller's thread only. The bars pa-journal draws
// from them are progress_bar_test's.
#include "pa_journal/progress.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "model/progress_ticker.h"
#include "pa_journal/backup.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

struct Event {
  std::string task, unit;
  uint64_t done = 0, total = 0;
  std::thread::id thread;
};

// Every report, in order.
struct Recorder {
  std::vector<Event> events;
  ProgressFn fn() {
    return [this](const Progress& p) {
      events.push_back({std::string(p.task), std::string(p.unit), p.done, p.total,
                        std::this_thread::get_id()});
    };
  }
  // The runs of the tasks in order: a run starts where the task changes or
  // done is 0 again.
  std::vector<std::vector<Event>> runs() const {
    std::vector<std::vector<Event>> out;
    for (const Event& e : events) {
      if (out.empty() || out.back().back().task != e.task || e.done == 0)
        out.emplace_back();
      out.back().push_back(e);
    }
    return out;
  }
  std::vector<std::string> tasks() const {
    std::vector<std::string> out;
    for (const auto& run : runs()) out.push_back(run.front().task);
    return out;
  }
  // The runs of one task.
  std::vector<std::vector<Event>> runs_of(const std::string& task) const {
    std::vector<std::vector<Event>> out;
    for (auto& run : runs()) {
      if (run.front().task == task) out.push_back(run);
    }
    return out;
  }
};

// The contract of progress.h for one completed run.
void expect_complete_run(const std::vector<Event>& run, const std::string& unit) {
  // At most one report per hundredth of the total, besides the first and last.
  EXPECT_LE(run.size(), 102u) << run.front().task;
  ASSERT_FALSE(run.empty());
  SCOPED_TRACE(run.front().task);
  EXPECT_EQ(run.front().done, 0u);
  EXPECT_EQ(run.front().unit, unit);
  uint64_t previous = 0;
  for (const Event& e : run) {
    EXPECT_EQ(e.total, run.front().total) << "the total never changes";
    EXPECT_LE(e.done, e.total);
    EXPECT_GE(e.done, previous) << "done never goes back";
    EXPECT_EQ(e.thread, std::this_thread::get_id()) << "only the caller's thread";
    previous = e.done;
  }
  EXPECT_EQ(run.back().done, run.back().total) << "a completed task ends at its total";
}

// A completed run that moved as it went: at least min_steps distinct values
// strictly between 0 and the total, in increasing order.
void expect_moving_run(const std::vector<Event>& run, const std::string& unit,
                       size_t min_steps = 5) {
  expect_complete_run(run, unit);
  std::vector<uint64_t> between;
  for (const Event& e : run) {
    if (e.done > 0 && e.done < e.total) between.push_back(e.done);
  }
  EXPECT_GE(between.size(), min_steps) << run.front().task << ": only " << between.size()
                                       << " reports between 0 and the total";
  for (size_t i = 1; i < between.size(); ++i) EXPECT_LT(between[i - 1], between[i]);
}

uint64_t journal_bytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/journal")) {
    if (e.is_regular_file() && !testing::is_reader_protocol_file(e.path().string()))
      bytes += e.file_size();
  }
  return bytes;
}

// Bytes of the segments that hold a record after seq (every segment but
// those the next one starts at or before seq + 1).
uint64_t journal_bytes_after(const std::string& dir, uint64_t seq) {
  std::map<uint64_t, uint64_t> segments;  // first seq -> bytes
  for (const auto& e : std::filesystem::directory_iterator(dir + "/journal")) {
    if (e.path().extension() == ".log")
      segments[std::stoull(e.path().stem().string())] = e.file_size();
  }
  uint64_t bytes = 0;
  for (auto it = segments.begin(); it != segments.end(); ++it) {
    auto next = std::next(it);
    if (next == segments.end() || next->first > seq + 1) bytes += it->second;
  }
  return bytes;
}

class ProgressTest : public ::testing::Test {
 protected:
  // n contacts in small segments (so that a scan crosses several), without
  // background compaction.
  Options quiet_options() const {
    Options options;
    options.durability = Durability::kNone;
    options.segment_bytes = 64 << 10;
    options.auto_compact = false;
    return options;
  }

  void fill(Store& store, int first, int n) {
    for (int i = first; i < first + n; ++i) {
      store.put("contacts", "c" + std::to_string(i),
                R"({"name":"Contact )" + std::to_string(i) + R"(","phone":"555-0100"})");
    }
    store.put("notes", "n" + std::to_string(first), R"({"text":"note"})");
  }

  testing::TempDir tmp;
  std::string dir = tmp / "store";
};

TEST_F(ProgressTest, OpenReportsTheSnapshotLoadedThenTheSegmentsReplayedAfterIt) {
  {
    auto store = Store::open(dir, quiet_options());
    fill(*store, 0, 3000);
    store->compact();
    fill(*store, 3000, 6000);
  }
  ASSERT_GT(testing::segment_count(dir), 3u);
  Recorder recorder;
  Options options = quiet_options();
  options.progress = recorder.fn();
  auto store = Store::open(dir, options);
  EXPECT_EQ(recorder.tasks(), (std::vector<std::string>{"load snapshot", "replay"}));
  auto snapshot = recorder.runs_of("load snapshot");
  ASSERT_EQ(snapshot.size(), 1u);
  expect_complete_run(snapshot[0], "bytes");
  EXPECT_EQ(snapshot[0].back().total, list_backups(dir)[0].bytes);
  auto replay = recorder.runs_of("replay");
  ASSERT_EQ(replay.size(), 1u);
  expect_moving_run(replay[0], "bytes");
  // The segments after the snapshot: those wholly before it are not read.
  EXPECT_EQ(replay[0].back().total, journal_bytes_after(dir, list_backups(dir)[0].seq));
  EXPECT_LT(replay[0].back().total, journal_bytes(dir));
  EXPECT_TRUE(store->get("contacts", "c8999").has_value());
}

TEST_F(ProgressTest, AnEmptyStoreReportsAZeroTotalOnce) {
  Recorder recorder;
  Options options = quiet_options();
  options.progress = recorder.fn();
  auto store = Store::open(dir, options);
  ASSERT_EQ(recorder.tasks(), (std::vector<std::string>{"replay"}));
  expect_complete_run(recorder.events, "bytes");
  EXPECT_EQ(recorder.events.back().total, 0u);
}

TEST_F(ProgressTest, VerifyCountsJournalThenSnapshotBytes) {
  {
    auto store = Store::open(dir, quiet_options());
    fill(*store, 0, 3000);
    store->compact();
    fill(*store, 3000, 3000);
    store->compact();
  }
  Recorder recorder;
  Options options;
  options.progress = recorder.fn();
  VerifyResult result = verify_store(dir, options);
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(recorder.tasks(), (std::vector<std::string>{"verify"}));
  expect_complete_run(recorder.events, "bytes");
  uint64_t snapshots = 0;
  for (const auto& b : list_backups(dir)) snapshots += b.bytes;
  EXPECT_EQ(recorder.events.back().total, journal_bytes(dir) + snapshots);
}

TEST_F(ProgressTest, CompactCountsEachDocumentWrittenToTheSnapshot) {
  Recorder recorder;
  Options options = quiet_options();
  auto store = Store::open(dir, options);
  fill(*store, 0, 500);  // 500 contacts and 1 note
  store.reset();
  options.progress = recorder.fn();
  store = Store::open(dir, options);
  recorder.events.clear();
  CompactionResult r = store->compact();
  ASSERT_FALSE(r.snapshot_id.empty());
  ASSERT_EQ(recorder.tasks(), (std::vector<std::string>{"compact"}));
  expect_complete_run(recorder.events, "documents");
  EXPECT_EQ(recorder.events.back().total, 501u);
  recorder.events.clear();
  store->compact();  // nothing new: nothing to report
  EXPECT_TRUE(recorder.events.empty());
}

TEST_F(ProgressTest, ImportCountsTheBytesReadThenCompacts) {
  {
    auto source = Store::open(tmp / "source", quiet_options());
    fill(*source, 0, 300);
    source->export_to(tmp / "export");
  }
  Recorder recorder;
  Options options = quiet_options();
  auto store = Store::open(dir, options);
  store->put("notes", "mine", R"({"text":"before"})");
  store.reset();
  options.progress = recorder.fn();
  store = Store::open(dir, options);
  recorder.events.clear();
  ASSERT_GT(store->import_from(tmp / "export").seq, 0u);
  EXPECT_EQ(recorder.tasks(), (std::vector<std::string>{"import", "compact"}));
  auto import = recorder.runs_of("import");
  ASSERT_EQ(import.size(), 1u);
  expect_complete_run(import[0], "bytes");
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(tmp / "export")) {
    bytes += entry.file_size();  // the manifest too
  }
  EXPECT_EQ(import[0].back().total, bytes);
  expect_complete_run(recorder.runs_of("compact").at(0), "documents");
}

TEST_F(ProgressTest, ReplayStoreAndExportStoreReportTheirReplayAndExportTheWrites) {
  {
    auto store = Store::open(dir, quiet_options());
    fill(*store, 0, 5000);
  }
  Recorder recorder;
  Options options;
  options.progress = recorder.fn();
  replay_store(dir, options);
  ASSERT_EQ(recorder.tasks(), (std::vector<std::string>{"replay"}));
  expect_complete_run(recorder.events, "bytes");
  recorder.events.clear();
  export_store(dir, tmp / "export", std::nullopt, options);
  ASSERT_EQ(recorder.tasks(), (std::vector<std::string>{"replay", "export"}));
  expect_complete_run(recorder.runs_of("replay").at(0), "bytes");
  expect_complete_run(recorder.runs_of("export").at(0), "documents");
}

TEST_F(ProgressTest, BackgroundCompactionNeverReports) {
  Recorder recorder;
  Options options = quiet_options();
  options.auto_compact = true;
  options.compact_after_records = 100;
  options.progress = recorder.fn();
  auto store = Store::open(dir, options);
  recorder.events.clear();
  fill(*store, 0, 300);
  // Wait (bounded) for the background thread to have written a snapshot.
  for (int i = 0; i < 500 && list_backups(dir).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(list_backups(dir).empty()) << "no background compaction happened";
  store.reset();
  EXPECT_TRUE(recorder.events.empty()) << recorder.events.front().task;
}

TEST(ProgressTickerTest, ReportsZeroThenOncePerHundredthThenTheTotal) {
  std::vector<uint64_t> reported;
  ProgressTicker ticker([&](uint64_t done, uint64_t) { reported.push_back(done); },
                        10000);
  ticker.start();
  for (uint64_t done = 1; done <= 9999; ++done) ticker.update(done);
  ticker.finish();
  std::vector<uint64_t> expected;
  for (uint64_t done = 0; done <= 10000; done += 100) expected.push_back(done);
  EXPECT_EQ(reported, expected);
}

TEST(ProgressTickerTest, DoneNeverGoesBackNorPastTheTotal) {
  std::vector<uint64_t> reported;
  ProgressTicker ticker([&](uint64_t done, uint64_t) { reported.push_back(done); }, 10);
  ticker.start();
  ticker.update(5);
  ticker.update(3);   // ignored
  ticker.update(50);  // capped at the total
  ticker.finish();    // the total was the last report already
  EXPECT_EQ(reported, (std::vector<uint64_t>{0, 5, 10}));
}

TEST(ProgressTickerTest, AnEmptyTaskReportsItsZeroTotalOnce) {
  std::vector<uint64_t> reported;
  ProgressTicker ticker([&](uint64_t done, uint64_t) { reported.push_back(done); }, 0);
  ticker.start();
  ticker.finish();
  EXPECT_EQ(reported, (std::vector<uint64_t>{0}));
}

// A store whose work fits in one file of each kind: one collection, one
// snapshot file, one journal segment, so that only reports within a file
// can show the work moving.
class ProgressWithinAFileTest : public ProgressTest {
 protected:
  Options one_segment_options() const {
    Options options = quiet_options();
    options.segment_bytes = 64 << 20;
    return options;
  }
  void fill_one_collection(Store& store, int first, int n) {
    for (int i = first; i < first + n; ++i) {
      store.put("contacts", "c" + std::to_string(i),
                R"({"name":"Contact )" + std::to_string(i) + R"(","phone":"555-0100"})");
    }
  }
  // Runs of task after fn, with progress reported to a recorder.
  template <typename Fn>
  std::vector<std::vector<Event>> runs_of(const std::string& task, Fn fn) {
    Recorder recorder;
    Options options = one_segment_options();
    options.progress = recorder.fn();
    fn(options);
    return recorder.runs_of(task);
  }
};

TEST_F(ProgressWithinAFileTest, ReplayMovesWithinOneSegment) {
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
  }
  ASSERT_EQ(testing::segment_count(dir), 1u);
  auto runs = runs_of("replay", [&](const Options& o) { Store::open(dir, o); });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "bytes", 20);
}

TEST_F(ProgressWithinAFileTest, LoadSnapshotMovesWithinOneCollectionFile) {
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
    store->compact();
  }
  ASSERT_EQ(list_backups(dir).at(0).files.size(), 1u);
  auto runs = runs_of("load snapshot", [&](const Options& o) { Store::open(dir, o); });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "bytes", 20);
}

TEST_F(ProgressWithinAFileTest, CompactMovesWithinOneCollection) {
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
  }
  auto runs =
      runs_of("compact", [&](const Options& o) { Store::open(dir, o)->compact(); });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "documents", 20);
  EXPECT_EQ(runs[0].back().total, 5000u);
}

TEST_F(ProgressWithinAFileTest, VerifyMovesThroughTheSegmentAndThenTheSnapshot) {
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
    store->compact();
  }
  auto runs = runs_of("verify", [&](const Options& o) { verify_store(dir, o); });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "bytes", 20);
  // Steps within the journal and within the snapshot file, not only at the
  // boundary between them.
  const uint64_t journal = journal_bytes(dir);
  size_t in_journal = 0, in_snapshot = 0;
  for (const Event& e : runs[0]) {
    in_journal += e.done > 0 && e.done < journal;
    in_snapshot += e.done > journal && e.done < e.total;
  }
  EXPECT_GE(in_journal, 5u);
  EXPECT_GE(in_snapshot, 5u);
}

TEST_F(ProgressWithinAFileTest, ImportMovesWithinOneExportFile) {
  {
    auto source = Store::open(tmp / "source", one_segment_options());
    fill_one_collection(*source, 0, 5000);
    source->export_to(tmp / "export");
  }
  auto runs = runs_of("import", [&](const Options& o) {
    Store::open(dir, o)->import_from(tmp / "export");
  });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "bytes", 20);
}

TEST_F(ProgressWithinAFileTest, ImportMovesWithinOnePlainJsonFile) {
  nlohmann::json contacts = nlohmann::json::object();
  for (int i = 0; i < 5000; ++i)
    contacts["c" + std::to_string(i)] = {{"name", "Contact " + std::to_string(i)}};
  std::filesystem::create_directories(tmp / "plain");
  testing::write_bytes(tmp / "plain/contacts.json", contacts.dump(2));
  auto runs = runs_of("import", [&](const Options& o) {
    Store::open(dir, o)->import_from(tmp / "plain");
  });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "bytes", 20);
}

TEST_F(ProgressWithinAFileTest, ExportReportsTheDocumentsItWrites) {
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
  }
  auto runs = runs_of("export", [&](const Options& o) {
    export_store(dir, tmp / "export", std::nullopt, o);
  });
  ASSERT_EQ(runs.size(), 1u);
  expect_moving_run(runs[0], "documents", 20);
  EXPECT_EQ(runs[0].back().total, 5000u);
  auto from_store = runs_of("export", [&](const Options& o) {
    Store::open(dir, o)->export_to(tmp / "export2");
  });
  ASSERT_EQ(from_store.size(), 1u);
  expect_moving_run(from_store[0], "documents", 20);
}

TEST_F(ProgressWithinAFileTest, RestoreOutReplaysToTheTimeThenWritesTheState) {
  int64_t t = 0;
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
    t = store->put("notes", "later", R"({"text":"after t"})").time_ns - 1;
  }
  Recorder recorder;
  Options options = one_segment_options();
  options.progress = recorder.fn();
  write_state(tmp / "out", state_at(dir, t, options), false, options);
  EXPECT_EQ(recorder.tasks(), (std::vector<std::string>{"replay", "write state"}));
  expect_moving_run(recorder.runs_of("replay").at(0), "bytes", 20);
  auto written = recorder.runs_of("write state").at(0);
  expect_moving_run(written, "documents", 20);
  EXPECT_EQ(written.back().total, 5000u);
}

TEST_F(ProgressWithinAFileTest, ReplayOutWritesTheStateAfterTheReplay) {
  {
    auto store = Store::open(dir, one_segment_options());
    fill_one_collection(*store, 0, 5000);
  }
  Recorder recorder;
  Options options = one_segment_options();
  options.progress = recorder.fn();
  replay_store(dir, options, std::nullopt, tmp / "out");
  EXPECT_EQ(recorder.tasks(), (std::vector<std::string>{"replay", "write state"}));
  expect_moving_run(recorder.runs_of("write state").at(0), "documents", 20);
}

TEST_F(ProgressTest, BackupMovesAsItCopiesThenVerifiesTheCopy) {
  {
    auto store = Store::open(dir, quiet_options());
    fill(*store, 0, 3000);
    store->compact();
    fill(*store, 3000, 3000);
  }
  Recorder recorder;
  Options options;
  options.progress = recorder.fn();
  backup_store(dir, tmp / "copy", options);
  EXPECT_EQ(recorder.tasks(), (std::vector<std::string>{"backup", "verify"}));
  auto backup = recorder.runs_of("backup").at(0);
  expect_moving_run(backup, "bytes", 3);
  // The snapshot and the segments from the one that holds the seq after it.
  uint64_t snapshots = list_backups(dir).at(0).bytes;
  EXPECT_GT(backup.back().total, snapshots);
  EXPECT_LT(backup.back().total, journal_bytes(dir) + snapshots);
  expect_moving_run(recorder.runs_of("verify").at(0), "bytes", 5);
}

}  // namespace
}  // namespace pa_journal
