// The store honours the seed's configuration for automatic backups:
// backup_enabled and auto_save switch automatic compaction off, and
// auto_save_interval (seconds) compacts on a timer.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using std::chrono::milliseconds;

size_t snapshot_count(const std::string& dir) { return list_backups(dir).size(); }

Options few_records() {
  Options options;
  options.compact_after_records = 5;
  return options;
}

TEST(AutoCompactionTest, RecordThresholdCompactsInTheBackground) {
  testing::TempDir dir;
  auto store = Store::open(dir.path(), few_records());
  for (int i = 0; i < 6; ++i) store->put("notes", "n" + std::to_string(i), "{}");
  EXPECT_TRUE(testing::eventually([&] { return snapshot_count(dir.path()) >= 1; }));
}

TEST(AutoCompactionTest, BackupEnabledFalseStopsAutomaticSnapshots) {
  testing::TempDir dir;
  FileStorage storage(dir.path(), few_records());
  ConfigManager config(storage);
  config.set("backup_enabled", false);
  for (int i = 0; i < 12; ++i)
    storage.store().put("notes", "n" + std::to_string(i), "{}");
  std::this_thread::sleep_for(milliseconds(2500));  // more than two background ticks
  EXPECT_EQ(snapshot_count(dir.path()), 0u);
  config.set("backup_enabled", true);
  storage.store().put("notes", "again", "{}");
  EXPECT_TRUE(testing::eventually([&] { return snapshot_count(dir.path()) >= 1; }));
}

TEST(AutoCompactionTest, AutoSaveFalseStopsAutomaticSnapshots) {
  testing::TempDir dir;
  FileStorage storage(dir.path(), few_records());
  ConfigManager(storage).set("auto_save", false);
  for (int i = 0; i < 12; ++i)
    storage.store().put("notes", "n" + std::to_string(i), "{}");
  std::this_thread::sleep_for(milliseconds(2500));
  EXPECT_EQ(snapshot_count(dir.path()), 0u);
  // On demand still works.
  EXPECT_TRUE(storage.create_backup("notes.json"));
  EXPECT_EQ(snapshot_count(dir.path()), 1u);
}

TEST(AutoCompactionTest, AutoSaveIntervalCompactsOnATimer) {
  testing::TempDir dir;
  FileStorage storage(dir.path());  // record and byte thresholds far away
  ConfigManager(storage).set("auto_save_interval", 1);
  storage.store().put("notes", "n", R"({"text":"saved by the timer"})");
  EXPECT_TRUE(testing::eventually([&] { return snapshot_count(dir.path()) >= 1; }));
  auto backups = list_backups(dir.path());
  EXPECT_EQ(backups.front().seq, storage.store().last_seq());
}

// Once the journal has failed, no compaction can succeed until the store is
// reopened (it must sync the journal first). Background compaction stops
// trying; it retried at every tick before, copying the state and logging an
// error each time: a thousand lines a second at a 1 ms interval.
TEST(AutoCompactionTest, FailedJournalStopsBackgroundCompactionRetries) {
  testing::TempDir dir;
  auto fault_fs = std::make_shared<testing::FaultFileSystem>();
  Options options;
  options.file_system = fault_fs;
  options.compact_interval_ms = 1;
  auto store = Store::open(dir.path(), options);
  store->put("notes", "saved", "{}");
  fault_fs->fail(testing::FsOp::kSync, 1, testing::FaultMode::kPersistent);
  try {
    store->put("notes", "lost", "{}");  // fails, unless a compaction's sync did first
  } catch (const JournalFailedError&) {
  }
  EXPECT_THROW(store->put("notes", "after", "{}"), JournalFailedError);
  // Compactions that began before the journal failed may fail on the faulty
  // sync too; once it has failed, at most the one running may still log.
  const size_t failed_at = testing::read_bytes(dir / "storage.log").size();
  std::this_thread::sleep_for(milliseconds(300));
  std::string log = testing::read_bytes(dir / "storage.log");
  size_t failures = 0;
  for (size_t at = failed_at;
       (at = log.find("background compaction failed", at)) != std::string::npos; ++at) {
    ++failures;
  }
  EXPECT_LE(failures, 1u) << log;
}

}  // namespace
}  // namespace pa_journal
