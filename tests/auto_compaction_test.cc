// The store honours the seed's configuration for automatic backups:
// backup_enabled and auto_save switch automatic compaction off, and
// auto_save_interval (seconds) compacts on a timer.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "pa_journal/file_storage.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using std::chrono::milliseconds;

size_t snapshot_count(const std::string& dir) { return list_backups(dir).size(); }

// Polls until pred holds or `limit` passes; returns whether it held.
template <typename Pred>
bool eventually(Pred pred, milliseconds limit = milliseconds(8000)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return pred();
}

Options few_records() {
  Options options;
  options.compact_after_records = 5;
  return options;
}

TEST(AutoCompactionTest, RecordThresholdCompactsInTheBackground) {
  testing::TempDir dir;
  auto store = Store::open(dir.path(), few_records());
  for (int i = 0; i < 6; ++i) store->put("notes", "n" + std::to_string(i), "{}");
  EXPECT_TRUE(eventually([&] { return snapshot_count(dir.path()) >= 1; }));
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
  EXPECT_TRUE(eventually([&] { return snapshot_count(dir.path()) >= 1; }));
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
  EXPECT_TRUE(eventually([&] { return snapshot_count(dir.path()) >= 1; }));
  auto backups = list_backups(dir.path());
  EXPECT_EQ(backups.front().seq, storage.store().last_seq());
}

}  // namespace
}  // namespace pa_journal
