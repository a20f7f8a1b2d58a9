// The store never deletes, moves or rewrites a file it did not write itself
// (snapshot/catalogue.h). A store is made first (so that journal/ exists),
// then filled with files another program wrote: the older app's JSON files,
// its timestamped backups (the same name shape as snapshot files, one with
// the very stamp the next snapshot takes), temporaries, a subdirectory. Every
// write path then runs, and every one of those files must be byte-identical
// afterwards. Focused tests cover the pieces: a pending snapshot's files go
// after a crash, a foreign state file is left and logged, owned ones are
// still refreshed, and a manifest from before `state_files` still owns its.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pa_journal/errors.h"
#include "pa_journal/file_storage.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "pa_journal/time.h"
#include "snapshot/catalogue.h"
#include "tests/cli_util.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::FaultFileSystem;
using testing::FsOp;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

constexpr int64_t kStartNs = 1'795'600'800'000'000'000;  // 2026-11-25T10:00:00Z
// Every commit of the library's clock falls in that second, so snapshots are
// 20261125_100000, then _2, _3, ...: the ids are known in advance.
constexpr char kFirstId[] = "20261125_100000";

class ForeignFilesTest : public ::testing::Test {
 protected:
  Options options() const {
    Options o;
    o.durability = Durability::kNone;  // speed; close and compaction sync
    o.auto_compact = false;
    o.segment_bytes = 1024;  // so that retention has segments to remove
    o.backup_count = 2;
    auto now = clock_;
    o.clock_ns = [now] { return now->fetch_add(1000); };  // 1 µs per commit
    return o;
  }

  // A store with contacts committed and compacted once: journal/, backups/
  // and the state file contacts.json are the store's.
  void make_store() {
    auto store = Store::open(dir_.path(), options());
    store->put("contacts", "alice", R"({"name":"Alice"})");
    ASSERT_EQ(store->compact().snapshot_id, kFirstId);
  }

  void plant(const std::string& name, const std::string& bytes) {
    fs::create_directories(fs::path(dir_ / name).parent_path());
    write_bytes(dir_ / name, bytes);
    foreign_[name] = bytes;
  }

  // What the older app leaves in ~/.personal_assistant, and more.
  void plant_foreign_files() {
    const std::string list = R"([{"name": "Old Alice"}])";
    plant("notes.json", R"([{"text": "the app's notes"}])");
    plant("config.json", R"({"theme": "light"})");
    plant(".contacts.json.abc.tmp", list);
    plant(".notes.json.x1y2.tmp", "half");
    plant("backups/contacts_20240115_120000.json", list);
    plant("backups/notes_20240101_000000.json", "[]");
    plant("backups/contacts_20240115_120000.json.tmp", list);
    // The stamps of the next two snapshots, as another program's backups.
    plant(std::string("backups/contacts_") + kFirstId + "_2.json", list);
    plant(std::string("backups/notes_") + kFirstId + "_3.json", "[]");
    plant("backups/x.tmp", "x");
    plant("backups/foo.tmp", "foo");
    plant("backups/random.txt", "random");
    plant("backups/old/contacts_20230101_000000.json", list);
    plant("journal/README.txt", "not a segment");
    plant("old/contacts.json", list);
    plant("old/deeper/notes.json", "[]");
    // Beside the store id and the replicas' positions: names the layout does
    // not own (a stray in replicas/ is reported, never removed).
    plant("STORE_ID.old", "someone's copy");
    plant("STORE_ID.tmp.bak", "x");
    plant("replicas/README.txt", "not a position");
    plant("replicas/a.b.json", "{}");
    log_before_ = read_bytes(dir_ / "storage.log");
  }

  // In the store, or in a copy of it made at root.
  void expect_foreign_files_intact(const std::string& root = {}) {
    std::string dir = root.empty() ? dir_.path() : root;
    for (const auto& [name, bytes] : foreign_) {
      ASSERT_TRUE(fs::exists(dir + "/" + name)) << name << " is gone";
      EXPECT_EQ(read_bytes(dir + "/" + name), bytes) << name << " was changed";
    }
    // storage.log is only ever appended to.
    EXPECT_EQ(read_bytes(dir + "/storage.log").substr(0, log_before_.size()),
              log_before_);
  }

  SnapshotInfo newest_snapshot() {
    auto snapshots = list_snapshots(*posix_file_system(), dir_ / "backups");
    EXPECT_FALSE(snapshots.empty());
    return snapshots.empty() ? SnapshotInfo{} : snapshots.front();
  }

  std::string manifest_of(const std::string& id) {
    return dir_ / ("backups/" + id + kManifestSuffix);
  }

  std::shared_ptr<std::atomic<int64_t>> clock_ =
      std::make_shared<std::atomic<int64_t>>(kStartNs);
  TempDir dir_;
  TempDir elsewhere_;
  std::map<std::string, std::string> foreign_;  // name in dir_ -> its bytes
  std::string log_before_;
};

// --- Every write path ---

TEST_F(ForeignFilesTest, EveryWritePathLeavesEveryForeignFileByteIdentical) {
  make_store();
  plant_foreign_files();
  {
    auto store = Store::open(dir_.path(), options());
    store->put("contacts", "bob", R"({"name":"Bob"})");
    store->patch("contacts", "bob", R"({"phone":"555"})");
    store->put("notes", "n1", R"({"text":"the store's note"})");
    store->put("config", "theme", R"("dark")");
    store->put("tasks", "t1", R"({"done":false})");
    store->remove("contacts", "alice");
    store->commit(
        {{OpKind::kPut, "notes", "n2", "{}"}, {OpKind::kDelete, "notes", "n1", ""}});
    for (int i = 0; i < 40; ++i) {
      store->enqueue({{OpKind::kPut, "tasks", "p" + std::to_string(i), "{}"}});
    }
    store->wait_durable(store->last_seq());
    EXPECT_EQ(store->compact().snapshot_id, std::string(kFirstId) + "_4");
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 20; ++i) {
        store->put("contacts", "c" + std::to_string(i),
                   R"({"round":)" + std::to_string(round) + "}");
      }
      store->compact();
    }
    store->retain_backups(1);
    int64_t before_zed = store->put("contacts", "y", "{}").time_ns;
    store->put("contacts", "zed", "{}");
    store->compact();
    store->restore_to(before_zed);
    store->export_to(elsewhere_ / "export");
    store->put("contacts", "after-export", "{}");
    store->import_from(elsewhere_ / "export");
    store->compact();
  }
  expect_foreign_files_intact();
  {
    FileStorage storage(dir_.path(), options());
    ASSERT_TRUE(storage.save("todo.json", nlohmann::json::array({{{"t", 1}}})));
    ASSERT_TRUE(storage.create_backup("todo.json"));
    ASSERT_TRUE(storage.save("todo.json", nlohmann::json::array({{{"t", 2}}})));
    ASSERT_TRUE(storage.create_backup("todo.json"));
    storage.delete_old_backups("todo.json", 1);
    ASSERT_TRUE(storage.save("todo.json", nlohmann::json::array({{{"t", 3}}})));
    ASSERT_TRUE(storage.restore_from_backup("todo.json")) << storage.last_error();
  }
  expect_foreign_files_intact();
  {
    // A compaction that stops before its manifest leaves a pending snapshot;
    // the next open and compaction clean it up.
    auto faulty = std::make_shared<FaultFileSystem>();
    faulty->set_hook(FsOp::kRename, [](const std::string& path) {
      if (path.find(".manifest.json.tmp ->") != std::string::npos) {
        throw IoError("simulated crash before the manifest");
      }
    });
    Options o = options();
    o.file_system = faulty;
    auto store = Store::open(dir_.path(), o);
    store->put("contacts", "pending", "{}");
    EXPECT_THROW(store->compact(), IoError);
  }
  {
    auto store = Store::open(dir_.path(), options());
    store->put("contacts", "cleaned", "{}");
    store->compact();
  }
  expect_foreign_files_intact();
  for (const auto& name : fs::directory_iterator(dir_ / "backups")) {
    EXPECT_EQ(name.path().string().find(kIntentSuffix), std::string::npos) << name.path();
  }
  using testing::run_in_store;
  EXPECT_EQ(run_in_store(dir_.path(), {"put", "contacts", "cli", "{}"}).exit_code,
            testing::kExitOk);
  EXPECT_EQ(run_in_store(dir_.path(), {"compact"}).exit_code, testing::kExitOk);
  CommandResult restore =
      run_in_store(dir_.path(), {"restore", "--at", format_time_ns(clock_->load())});
  EXPECT_EQ(restore.exit_code, testing::kExitOk) << restore.describe();
  CommandResult import = run_in_store(dir_.path(), {"import", elsewhere_ / "export"});
  EXPECT_EQ(import.exit_code, testing::kExitOk) << import.describe();
  EXPECT_EQ(run_in_store(dir_.path(), {"compact"}).exit_code, testing::kExitOk);
  expect_foreign_files_intact();
  // The store's own readable files were refreshed all along.
  SnapshotInfo newest = newest_snapshot();
  for (const auto& f : newest.files) {
    if (f.collection == "notes" || f.collection == "config") continue;  // foreign
    EXPECT_EQ(read_bytes(dir_ / (f.collection + ".json")),
              read_bytes(dir_ / ("backups/" + f.file)))
        << f.collection;
  }
}

// --- Focused ---

TEST_F(ForeignFilesTest, APendingSnapshotsFilesAreRemovedAfterACrash) {
  make_store();
  plant_foreign_files();
  const std::string crashed = elsewhere_ / "crashed";
  const std::string pending = std::string(kFirstId) + "_4";
  {
    // kill -9 just before the manifest's rename: the files on disk then are
    // what a copy made at that moment holds.
    auto faulty = std::make_shared<FaultFileSystem>();
    faulty->set_hook(FsOp::kRename, [&](const std::string& path) {
      if (path.find(".manifest.json.tmp ->") != std::string::npos &&
          !fs::exists(crashed)) {
        fs::copy(dir_.path(), crashed, fs::copy_options::recursive);
      }
    });
    Options o = options();
    o.file_system = faulty;
    auto store = Store::open(dir_.path(), o);
    store->put("contacts", "bob", R"({"name":"Bob"})");
    store->put("tasks", "t1", "{}");
    store->compact();
  }
  ASSERT_TRUE(fs::exists(crashed + "/backups/" + pending + kIntentSuffix));
  std::vector<std::string> leftovers = {
      pending + kIntentSuffix, pending + kManifestSuffix + std::string(kTempSuffix),
      "contacts_" + pending + ".json", "tasks_" + pending + ".json"};
  for (const auto& name : leftovers) {
    EXPECT_TRUE(fs::exists(crashed + "/backups/" + name)) << name;
  }
  {
    auto store = Store::open(crashed, options());
    EXPECT_EQ(store->get("contacts", "bob"), R"({"name":"Bob"})");
    store->compact();
  }
  for (const auto& name : leftovers) {
    EXPECT_FALSE(fs::exists(crashed + "/backups/" + name)) << name;
  }
  expect_foreign_files_intact(crashed);
}

TEST_F(ForeignFilesTest, AForeignStateFileIsLeftAndLoggedWhileTheOthersAreRefreshed) {
  make_store();
  plant_foreign_files();
  auto store = Store::open(dir_.path(), options());
  store->put("contacts", "bob", R"({"name":"Bob"})");
  store->put("notes", "n1", R"({"text":"mine"})");
  store->put("tasks", "t1", R"({"done":true})");
  std::string id = store->compact().snapshot_id;
  expect_foreign_files_intact();
  SnapshotInfo newest = newest_snapshot();
  EXPECT_EQ(newest.state_files,
            (std::vector<std::string>{"contacts.json", "tasks.json"}));
  EXPECT_EQ(read_bytes(dir_ / "contacts.json"),
            read_bytes(dir_ / ("backups/contacts_" + id + ".json")));
  EXPECT_EQ(read_bytes(dir_ / "tasks.json"),
            read_bytes(dir_ / ("backups/tasks_" + id + ".json")));
  std::string log = read_bytes(dir_ / "storage.log");
  EXPECT_NE(log.find("WARN compaction: " + dir_.path() +
                     "/notes.json was not written by "
                     "pa-journal and is left as it is; the readable state of notes is "
                     "backups/notes_" +
                     id + ".json"),
            std::string::npos)
      << log;
  // A later compaction keeps to it: the file stays someone else's.
  store->put("notes", "n2", "{}");
  store->compact();
  expect_foreign_files_intact();
  EXPECT_EQ(newest_snapshot().state_files,
            (std::vector<std::string>{"contacts.json", "tasks.json"}));
}

TEST_F(ForeignFilesTest, AStateFileWhoseTemporaryIsSomeoneElsesIsNotCreated) {
  make_store();
  plant("notes.json.tmp", "theirs");
  auto store = Store::open(dir_.path(), options());
  store->put("notes", "n1", "{}");
  store->compact();
  EXPECT_FALSE(fs::exists(dir_ / "notes.json"));
  expect_foreign_files_intact();
}

TEST_F(ForeignFilesTest, AnOwnedStateFileEditedInPlaceIsStillRefreshed) {
  make_store();
  auto store = Store::open(dir_.path(), options());
  write_bytes(dir_ / "contacts.json", R"({"alice": {"name":"Edited by hand"}})");
  write_bytes(dir_ / "contacts.json.tmp", "left by a crash");  // an owned file's
  store->put("contacts", "bob", R"({"name":"Bob"})");
  std::string id = store->compact().snapshot_id;
  EXPECT_EQ(read_bytes(dir_ / "contacts.json"),
            read_bytes(dir_ / ("backups/contacts_" + id + ".json")));
  EXPECT_NE(read_bytes(dir_ / "contacts.json").find("Bob"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "contacts.json.tmp"));
}

TEST_F(ForeignFilesTest, ALegacyManifestWithoutStateFilesStillOwnsItsCollectionsFiles) {
  make_store();
  // The manifest as a pa-journal from before `state_files` wrote it.
  SnapshotInfo legacy = newest_snapshot();
  ASSERT_TRUE(legacy.state_files.has_value());
  legacy.state_files.reset();
  write_bytes(manifest_of(legacy.id), serialize_manifest(legacy));
  ASSERT_FALSE(newest_snapshot().state_files.has_value());

  auto store = Store::open(dir_.path(), options());
  store->put("contacts", "bob", R"({"name":"Bob"})");
  std::string id = store->compact().snapshot_id;
  EXPECT_EQ(read_bytes(dir_ / "contacts.json"),
            read_bytes(dir_ / ("backups/contacts_" + id + ".json")));
  EXPECT_EQ(newest_snapshot().state_files, std::vector<std::string>{"contacts.json"});
}

TEST_F(ForeignFilesTest, JournalRepairLeavesForeignFilesInJournal) {
  make_store();
  plant_foreign_files();
  plant("journal/quarantine/mine.txt", "mine");
  {
    auto store = Store::open(dir_.path(), options());
    for (int i = 0; i < 20; ++i) store->put("contacts", "k" + std::to_string(i), "{}");
  }
  // A torn tail: the default mode cuts it on open.
  std::string newest =
      testing::segment_path(dir_.path(), testing::segment_count(dir_.path()) - 1);
  write_bytes(newest, read_bytes(newest) + std::string(40, '\x5a'));
  auto store = Store::open(dir_.path(), options());
  EXPECT_GT(store->recovery().torn_bytes_cut, 0u) << store->recovery().summary();
  store->compact();
  expect_foreign_files_intact();
}

TEST_F(ForeignFilesTest, ReplayOutRefusesAFileOrATemporaryItWouldWrite) {
  make_store();
  const std::string out = elsewhere_ / "out";
  fs::create_directories(out);
  write_bytes(out + "/contacts.json.tmp", "theirs");
  CommandResult r = testing::run_in_store(dir_.path(), {"replay", "--out", out});
  EXPECT_EQ(r.exit_code, testing::kExitError) << r.describe();
  EXPECT_EQ(read_bytes(out + "/contacts.json.tmp"), "theirs");
  EXPECT_FALSE(fs::exists(out + "/contacts.json"));
}

TEST_F(ForeignFilesTest, AForeignLockFileIsRefusedAndLeftAsItIs) {
  make_store();
  plant("LOCK", "locked by the app\n");
  EXPECT_THROW(Store::open(dir_.path(), options()), StoreLockedError);
  expect_foreign_files_intact();
  // A pid, as a writer killed with -9 leaves it, is pa-journal's own.
  write_bytes(dir_ / "LOCK", "999999999");
  foreign_.erase("LOCK");
  EXPECT_NO_THROW(Store::open(dir_.path(), options()));
}

// The demo writes only inside its own new directory: a neighbour with a
// name like a work directory's is left as it was.
TEST_F(ForeignFilesTest, TheDemoLeavesItsNeighboursAlone) {
  const std::string demo = elsewhere_ / "demo";
  fs::create_directories(demo + "-work");
  write_bytes(demo + "-work/mine", "mine");
  CommandResult r = testing::run_pa_journal({"demo", "--dir", demo});
  EXPECT_EQ(r.exit_code, testing::kExitOk) << r.describe();
  EXPECT_EQ(read_bytes(demo + "-work/mine"), "mine");
  EXPECT_TRUE(fs::exists(demo + "/backups/adopted"));
}

}  // namespace
}  // namespace pa_journal
