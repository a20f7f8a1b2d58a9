// Adopting the personal-assistant app's directory (include/pa_journal/adopt.h):
// what the app wrote is kept byte for byte, its backups become the store's
// history, a damaged file is refused (or skipped), an adoption cut short at
// any step is finished by running it again, and FileStorage adopts on open.
#include "pa_journal/adopt.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "pa_journal/backup.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "pa_journal/time_travel.h"
#include "snapshot/list_file.h"
#include "snapshot/seed_layout.h"
#include "tests/cli_util.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::contains;
using testing::FaultFileSystem;
using testing::FaultMode;
using testing::FsOp;

using testing::Files;
using testing::files_under;
using testing::records_of;
using testing::write_files;

// As the app writes them: json.dumps(indent=2, sort_keys=True).
std::string app_json(const json& value) { return value.dump(2) + "\n"; }

json contact(const std::string& id, const std::string& name) {
  return {{"id", id}, {"name", name}};
}

// The local time a backup's name stands for.
int64_t stamp_ns(const std::string& local) { return parse_time(local, 0); }

const json kContactsNow =
    json::array({contact("c3", "Carol"),
                 {{"id", "c1"}, {"name", "Alice"}, {"phone", "555-0100"}},
                 contact("c2", "Bob")});
const json kNotesNow = json::array({{{"text", "buy milk"}}, {{"text", "call mum"}}});

Files app_files() {
  return {
      {"contacts.json", app_json(kContactsNow)},
      {"notes.json", app_json(kNotesNow)},
      {"config.json", app_json(json::array({{{"backup_count", 5}, {"theme", "dark"}}}))},
      {"storage.log", "2024-01-15 12:00:00,001 - FileStorage - INFO - saved\n"},
      {"backups/config_20240113_080000.json",
       app_json(json::array({{{"backup_count", 10}}}))},
      {"backups/contacts_20240114_120000.json",
       app_json(json::array({contact("c1", "Alice")}))},
      {"backups/notes_20240115_090000.json",
       app_json(json::array({{{"text", "buy milk"}}}))},
      {"backups/contacts_20240115_120000.json",
       app_json(json::array({contact("c1", "Alice"), contact("c2", "Bob")}))},
  };
}

// Files adopt does not recognise: they stay where they are.
Files strangers() {
  return {{"README.txt", "mine\n"},
          {".contacts.json.k2j4.tmp", "[{\"id\""},
          {"backups/notes.txt", "not a backup\n"},
          {"My Contacts.json", "[]\n"}};
}

const std::vector<std::string> kOrigins = {
    "adopted from backups/config_20240113_080000.json",
    "adopted from backups/contacts_20240114_120000.json",
    "adopted from backups/notes_20240115_090000.json",
    "adopted from backups/contacts_20240115_120000.json",
    "adopted from config.json, contacts.json, notes.json"};

// The list a collection holds as FileStorage::load returns it.
json list_in(const Collections& state, const std::string& collection) {
  auto docs = state.find(collection);
  auto orders = state.find(kOrderCollection);
  json order;
  if (orders != state.end()) {
    auto it = orders->second.find(collection);
    if (it != orders->second.end()) order = json::parse(it->second);
  }
  return list_of_documents(collection, docs == state.end() ? Collection{} : docs->second,
                           order);
}

Options read_only() {
  Options options;
  options.read_only = true;
  return options;
}

class AdoptTest : public ::testing::Test {
 protected:
  AdoptTest() {
    write_files(dir.path(), app_files());
    write_files(dir.path(), strangers());
  }

  // Every file of the app and every stranger, byte for byte, where adoption
  // must have left it.
  void expect_everything_kept() {
    Files now = files_under(dir.path());
    for (const auto& [path, bytes] : app_files()) {
      EXPECT_EQ(now["backups/adopted/" + path], bytes) << path;
    }
    for (const auto& [path, bytes] : strangers()) EXPECT_EQ(now[path], bytes) << path;
  }

  // The store after a whole adoption, compared with what the app had.
  void expect_adopted() {
    std::vector<Record> records = records_of(dir.path());
    ASSERT_EQ(records.size(), kOrigins.size());
    for (size_t i = 0; i < records.size(); ++i) {
      EXPECT_EQ(records[i].seq, i + 1);
      EXPECT_EQ(records[i].origin, kOrigins[i]);
    }
    EXPECT_EQ(records[1].time_ns, stamp_ns("2024-01-14 12:00:00"));
    EXPECT_EQ(records[3].time_ns, stamp_ns("2024-01-15 12:00:00"));
    Collections now = state_at(dir.path(), system_now_ns(), read_only());
    EXPECT_EQ(list_in(now, "contacts"), kContactsNow);
    EXPECT_EQ(list_in(now, "notes"), kNotesNow);
    EXPECT_EQ(now["config"]["backup_count"], "5");
    EXPECT_EQ(now["config"]["theme"], "\"dark\"");
    EXPECT_FALSE(needs_adoption(dir.path()));
    EXPECT_TRUE(verify_store(dir.path()).ok());
    expect_everything_kept();
  }

  testing::TempDir dir;
};

// The library names the cure (adopt the directory) as a Remedy; the tool
// phrases it as its command (adopt_cli_test).
TEST_F(AdoptTest, WritableOpenOfTheAppsDirectoryIsRefusedNamingAdopt) {
  Files before = files_under(dir.path());
  try {
    Store::open(dir.path());
    ADD_FAILURE() << "opened the app's directory for writing";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kAdoptAppFiles) << e.what();
    EXPECT_EQ(e.remedy().subject, dir.path()) << e.what();
    EXPECT_TRUE(contains(e.what(), "contacts.json")) << e.what();
    EXPECT_FALSE(contains(e.what(), "pa-journal adopt")) << e.what();
  }
  try {
    Store::open(dir.path(), read_only());
    ADD_FAILURE() << "a read-only open found a store";
  } catch (const NotFoundError& e) {
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kAdoptToMakeStore) << e.what();
    EXPECT_EQ(e.remedy().subject, dir.path()) << e.what();
    EXPECT_FALSE(contains(e.what(), "pa-journal adopt")) << e.what();
  }
  EXPECT_EQ(files_under(dir.path()), before);
  EXPECT_FALSE(fs::exists(dir / "journal"));
  EXPECT_TRUE(needs_adoption(dir.path()));
}

TEST_F(AdoptTest, EachBackupBecomesACommitAtItsTimeAndTheCurrentFilesTheLast) {
  AdoptionReport report = adopt_store(dir.path());
  ASSERT_EQ(report.commits.size(), kOrigins.size());
  EXPECT_EQ(report.commits.back().seq, kOrigins.size());
  EXPECT_EQ(report.kept.size(), app_files().size());
  EXPECT_EQ(report.left_alone.size(), strangers().size());
  expect_adopted();
  // The readable state files are the store's own now.
  EXPECT_EQ(json::parse(testing::read_bytes(dir / "contacts.json")).size(), 3u);
}

// What adoption writes is personal data: its directories 0700, its record
// 0600. The app's own files keep the mode they had: they are moved, not
// rewritten.
TEST_F(AdoptTest, WhatAdoptionWritesIsOwnerOnlyAndTheAppsFilesKeepTheirMode) {
  fs::permissions(dir / "notes.json", fs::perms::owner_read | fs::perms::owner_write |
                                          fs::perms::group_read | fs::perms::others_read);
  adopt_store(dir.path());
  auto mode = [](const std::string& path) {
    return fs::status(path).permissions() & fs::perms::mask;
  };
  EXPECT_EQ(mode(dir / "backups/adopted"), fs::perms::owner_all);
  EXPECT_EQ(mode(dir / "backups/adopted/backups"), fs::perms::owner_all);
  EXPECT_EQ(mode(dir / "backups/adopted/adoption.json"),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(mode(dir / "backups/adopted/notes.json"),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

TEST_F(AdoptTest, TheStateAtABackupsTimeIsThatBackup) {
  adopt_store(dir.path());
  Collections jan14 = state_at(dir.path(), stamp_ns("2024-01-14 18:00:00"), read_only());
  EXPECT_EQ(list_in(jan14, "contacts"), json::array({contact("c1", "Alice")}));
  EXPECT_EQ(list_in(jan14, "notes"), json::array());
  EXPECT_EQ(jan14["config"]["backup_count"], "10");
  Collections jan15 = state_at(dir.path(), stamp_ns("2024-01-15 13:00:00"), read_only());
  EXPECT_EQ(list_in(jan15, "contacts"),
            json::array({contact("c1", "Alice"), contact("c2", "Bob")}));
  EXPECT_EQ(list_in(jan15, "notes"), json::array({{{"text", "buy milk"}}}));
}

TEST_F(AdoptTest, RestoreToBeforeTheFirstCommitUndoesTheAdoption) {
  AdoptionReport report = adopt_store(dir.path());
  auto store = Store::open(dir.path());
  CommitResult undo = store->restore_to(report.commits.front().time_ns - 1);
  EXPECT_EQ(undo.seq, kOrigins.size() + 1);
  for (const auto& name : store->collections()) {
    EXPECT_TRUE(store->list(name).empty()) << name;
  }
  // And the undo is undone in turn.
  store->restore_to(undo.time_ns - 1);
  Collections now = state_at(dir.path(), system_now_ns(), read_only());
  EXPECT_EQ(list_in(now, "contacts"), kContactsNow);
}

// The app's originals are part of the store: a backup copies them, checked
// against the adoption record, and the copy is a finished adoption.
TEST_F(AdoptTest, ABackupOfAnAdoptedStoreKeepsTheAppsOriginals) {
  adopt_store(dir.path());
  testing::TempDir out;
  BackupResult copy = backup_store(dir.path(), out / "copy");
  EXPECT_EQ(copy.seq, kOrigins.size());
  Files copied = files_under(out / "copy");
  for (const auto& [path, bytes] : app_files()) {
    EXPECT_EQ(copied["backups/adopted/" + path], bytes) << path;
  }
  EXPECT_FALSE(needs_adoption(out / "copy"));
  EXPECT_TRUE(verify_store(out / "copy").ok());
  // A kept file changed since the adoption is damage, not copied.
  testing::write_bytes(dir / "backups/adopted/notes.json", "[]");
  EXPECT_THROW(backup_store(dir.path(), out / "again"), CorruptedDataError);
  EXPECT_FALSE(fs::exists(out / "again"));
}

TEST_F(AdoptTest, FileStorageLoadsTheAppsListsInTheirOriginalOrder) {
  adopt_store(dir.path());
  FileStorage storage(dir.path());
  EXPECT_EQ(storage.load("contacts.json"), kContactsNow);
  EXPECT_EQ(storage.load("notes.json"), kNotesNow);
  ConfigManager config(storage);
  EXPECT_EQ(config.get("backup_count"), 5);
  EXPECT_EQ(config.get("theme"), "dark");
  // And the app goes on saving the same lists, keyed the same way.
  json edited = kContactsNow;
  edited[1]["phone"] = "555-0199";
  uint64_t seq = storage.store().last_seq();
  ASSERT_TRUE(storage.save("contacts.json", edited)) << storage.last_error();
  EXPECT_EQ(storage.store().last_seq(), seq + 1);
  EXPECT_EQ(storage.load("contacts.json"), edited);
}

TEST_F(AdoptTest, DryRunPrintsThePlanAndWritesNothing) {
  Files before = files_under(dir.path());
  AdoptOptions dry;
  dry.dry_run = true;
  AdoptionReport report = adopt_store(dir.path(), dry);
  EXPECT_TRUE(report.dry_run);
  ASSERT_EQ(report.commits.size(), kOrigins.size());
  for (size_t i = 0; i < kOrigins.size(); ++i) {
    EXPECT_EQ(report.commits[i].origin, kOrigins[i]);
    EXPECT_EQ(report.commits[i].seq, 0u);
    EXPECT_GT(report.commits[i].operations, 0u);
  }
  EXPECT_EQ(files_under(dir.path()), before);
  EXPECT_FALSE(fs::exists(dir / "journal"));
  EXPECT_FALSE(fs::exists(dir / "LOCK"));
}

TEST_F(AdoptTest, AFileThatIsNotJsonIsRefusedWithItsNameAndPositionAndNothingChanges) {
  testing::write_bytes(dir / "backups/notes_20240115_090000.json",
                       "[\n  {\"text\": \"buy\n");
  Files before = files_under(dir.path());
  try {
    adopt_store(dir.path());
    ADD_FAILURE() << "adopted a damaged file";
  } catch (const InvalidInputError& e) {
    EXPECT_TRUE(contains(e.what(), "backups/notes_20240115_090000.json")) << e.what();
    // The raw newline inside the string, the last character of line 2.
    EXPECT_TRUE(contains(e.what(), "invalid JSON at line 2, column 16")) << e.what();
    EXPECT_TRUE(contains(e.what(), "; nothing was changed")) << e.what();
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kSkipDamaged) << e.what();
    EXPECT_FALSE(contains(e.what(), "--skip-damaged")) << "a CLI option: " << e.what();
    EXPECT_FALSE(contains(e.what(), "json.exception")) << e.what();
  }
  EXPECT_EQ(files_under(dir.path()), before);
  EXPECT_FALSE(fs::exists(dir / "journal"));
  EXPECT_FALSE(fs::exists(dir / "LOCK"));
}

TEST_F(AdoptTest, ListThatIsNotAListOrConfigThatIsNotOneObjectIsRefused) {
  for (const auto& [path, bytes] : Files{{"notes.json", "{\"a\": 1}\n"},
                                         {"config.json", "[{\"a\": 1}, {\"b\": 2}]\n"},
                                         {"contacts.json", "[NaN]\n"}}) {
    SCOPED_TRACE(path);
    write_files(dir.path(), app_files());
    testing::write_bytes(dir / path, bytes);
    EXPECT_THROW(adopt_store(dir.path()), InvalidInputError);
    EXPECT_FALSE(fs::exists(dir / "journal"));
  }
}

TEST_F(AdoptTest, SkipDamagedAdoptsTheRestAndKeepsTheDamagedFile) {
  testing::write_bytes(dir / "notes.json", "[{\"text\": ");
  AdoptOptions skip;
  skip.skip_damaged = true;
  AdoptionReport report = adopt_store(dir.path(), skip);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_EQ(report.skipped[0].first, "notes.json");
  EXPECT_EQ(testing::read_bytes(dir / "backups/adopted/notes.json"), "[{\"text\": ");
  EXPECT_EQ(report.commits.back().origin, "adopted from config.json, contacts.json");
  // The notes are the newest backup's.
  Collections now = state_at(dir.path(), system_now_ns(), read_only());
  EXPECT_EQ(list_in(now, "notes"), json::array({{{"text", "buy milk"}}}));
  EXPECT_EQ(list_in(now, "contacts"), kContactsNow);
}

TEST_F(AdoptTest, AStoreOrADirectoryWithoutTheAppsFilesIsNotAdopted) {
  adopt_store(dir.path());
  EXPECT_THROW(adopt_store(dir.path()), InvalidInputError);  // adopted already
  testing::TempDir store_dir;
  Store::open(store_dir.path())->put("contacts", "a", "{}");
  try {
    adopt_store(store_dir.path());
    ADD_FAILURE() << "adopted a store";
  } catch (const InvalidInputError& e) {
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kImportInstead) << e.what();
  }
  testing::TempDir other;
  testing::write_bytes(other / "README.txt", "hello");
  EXPECT_THROW(adopt_store(other.path()), InvalidInputError);
  EXPECT_THROW(adopt_store(other / "missing"), NotFoundError);
  EXPECT_FALSE(fs::exists(other / "journal"));
}

// Every step of the protocol cut short in turn: the Nth call of each kind
// fails and every later one too (the process is as good as dead). Running
// adopt again on a healthy file system finishes the same adoption.
TEST_F(AdoptTest, AdoptionCutShortAtAnyCallIsFinishedByAdoptingAgain) {
  const Files pristine = files_under(dir.path());
  int cut_short = 0;
  for (FsOp op : {FsOp::kRename, FsOp::kSync, FsOp::kAppend, FsOp::kOpen, FsOp::kSyncDir,
                  FsOp::kCreateDir}) {
    for (uint64_t nth = 1; nth < 200; ++nth) {
      SCOPED_TRACE(std::string(testing::to_string(op)) + " #" + std::to_string(nth));
      fs::remove_all(dir.path());
      fs::create_directories(dir.path());
      write_files(dir.path(), pristine);
      auto faulty = std::make_shared<FaultFileSystem>();
      faulty->fail(op, nth, FaultMode::kPersistent);
      Options options;
      options.file_system = faulty;
      try {
        adopt_store(dir.path(), {}, options);
      } catch (const StorageError&) {
      }
      if (faulty->failures(op) == 0) break;  // the adoption never got that far
      ++cut_short;
      if (needs_adoption(dir.path())) {
        EXPECT_THROW(Store::open(dir.path()), StorageError);
        adopt_store(dir.path());
      }
      expect_adopted();
    }
  }
  EXPECT_GT(cut_short, 20);
}

TEST_F(AdoptTest, AnInterruptedAdoptionWhoseFileChangedStopsAndSaysWhich) {
  auto faulty = std::make_shared<FaultFileSystem>();
  faulty->set_hook(FsOp::kAppend, [](const std::string& path) {
    if (contains(path, "/journal/")) throw IoError("no commit reaches the journal");
  });
  Options options;
  options.file_system = faulty;
  EXPECT_THROW(adopt_store(dir.path(), {}, options), StorageError);
  ASSERT_TRUE(fs::exists(dir / "backups/adopted/contacts.json"));
  testing::write_bytes(dir / "backups/adopted/contacts.json", "[]");
  std::string journal = testing::journal_bytes(dir.path());
  try {
    adopt_store(dir.path());
    ADD_FAILURE() << "finished an adoption whose file changed";
  } catch (const StorageError& e) {
    EXPECT_TRUE(contains(e.what(), "contacts.json")) << e.what();
    EXPECT_TRUE(contains(e.what(), "changed")) << e.what();
    // The cure is to adopt again, once the file is back: a Remedy, no command.
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kAdoptToFinish) << e.what();
    EXPECT_EQ(e.remedy().subject, dir.path()) << e.what();
    EXPECT_FALSE(contains(e.what(), "run adopt")) << e.what();
  }
  EXPECT_EQ(testing::journal_bytes(dir.path()), journal);
  EXPECT_TRUE(needs_adoption(dir.path()));
}

// A backup of a directory whose adoption did not finish is refused with the
// Remedy to finish it, and names no command.
TEST_F(AdoptTest, ABackupOfAnUnfinishedAdoptionIsRefusedWithTheRemedyToFinishIt) {
  adopt_store(dir.path());
  // The record of an adoption cut short after its commits: state "started".
  std::optional<AdoptionRecord> record =
      read_adoption_record(*posix_file_system(), dir.path());
  ASSERT_TRUE(record.has_value());
  record->done = false;
  write_adoption_record(*posix_file_system(), dir.path(), *record);
  testing::TempDir out;
  try {
    backup_store(dir.path(), out / "copy");
    ADD_FAILURE() << "backed up an unfinished adoption";
  } catch (const StorageError& e) {
    EXPECT_TRUE(contains(e.what(), "did not finish")) << e.what();
    EXPECT_EQ(e.remedy().kind, Remedy::Kind::kAdoptToFinish) << e.what();
    EXPECT_FALSE(contains(e.what(), "adopt it again")) << e.what();
  }
  EXPECT_FALSE(fs::exists(out / "copy"));
}

TEST_F(AdoptTest, FileStorageAdoptsOnFirstOpenAndLogsADamagedFile) {
  testing::write_bytes(dir / "backups/contacts_20240114_120000.json", "[{");
  FileStorage storage(dir.path());
  EXPECT_EQ(storage.load("contacts.json"), kContactsNow);
  EXPECT_EQ(storage.load("notes.json"), kNotesNow);
  std::string log = testing::read_bytes(dir / "storage.log");
  EXPECT_TRUE(contains(log, "WARN")) << log;
  EXPECT_TRUE(contains(log, "backups/contacts_20240114_120000.json")) << log;
  EXPECT_EQ(
      testing::read_bytes(dir / "backups/adopted/backups/contacts_20240114_120000.json"),
      "[{");
  EXPECT_EQ(testing::read_bytes(dir / "backups/adopted/storage.log"),
            app_files()["storage.log"]);
}

}  // namespace
}  // namespace pa_journal
