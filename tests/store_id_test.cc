// The store id (journal/store_id.h): made once, kept in STORE_ID, the same
// for every opener; made race-free without LOCK; never torn by a crash.
#include "journal/store_id.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "journal/layout.h"
#include "pa_journal/adopt.h"
#include "pa_journal/backup.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "tests/fault_file_system.h"
#include "tests/power_loss_file_system.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

namespace fs = std::filesystem;

Options quick() {
  Options o;
  o.durability = Durability::kNone;
  o.auto_compact = false;
  return o;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// The names directly in dir.
std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename());
  return out;
}

TEST(StoreIdTest, ANewStoreGetsThirtyTwoHexDigitsAndANewlineInStoreIdMode0600) {
  TempDir dir;
  std::string id = Store::open(dir / "s", quick())->store_id();
  EXPECT_TRUE(is_store_id(id)) << id;
  EXPECT_EQ(read_bytes(dir / "s/STORE_ID"), id + "\n");
  EXPECT_EQ(mode_of(dir / "s/STORE_ID"), 0600u);
  // Nothing but the id is left behind: no temporary.
  EXPECT_EQ(names_in(dir / "s"),
            (std::set<std::string>{"LOCK", "STORE_ID", "journal", "storage.log"}));
}

TEST(StoreIdTest, TheIdIsKeptAcrossOpensAndReadOnlyOpensSeeIt) {
  TempDir dir;
  std::string id;
  {
    auto store = Store::open(dir.path(), quick());
    id = store->store_id();
    store->put("c", "k", "1");
  }
  EXPECT_EQ(Store::open(dir.path(), quick())->store_id(), id);
  Options ro = quick();
  ro.read_only = true;
  EXPECT_EQ(Store::open(dir.path(), ro)->store_id(), id);
  EXPECT_EQ(list_replicas(dir.path()).store_id, id);
  EXPECT_EQ(inspect_journal(dir.path()).replicas.store_id, id);
  EXPECT_EQ(store_id_of(dir.path()), id);
  TempDir empty;
  EXPECT_THROW(store_id_of(empty / "none"), NotFoundError);
}

TEST(StoreIdTest, TwoStoresGetDifferentIds) {
  TempDir a, b;
  EXPECT_NE(Store::open(a.path(), quick())->store_id(),
            Store::open(b.path(), quick())->store_id());
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) ids.insert(new_store_id());
  EXPECT_EQ(ids.size(), 100u);
}

// A store made before store ids: the id comes with the first writable open,
// and a read-only open neither makes nor needs one.
TEST(StoreIdTest, AnOlderStoreGetsItsIdAtItsFirstWritableOpenOnly) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), quick());
    store->put("c", "k", "1");
  }
  fs::remove(dir / "STORE_ID");
  Options ro = quick();
  ro.read_only = true;
  {
    auto reader = Store::open(dir.path(), ro);
    EXPECT_EQ(reader->store_id(), "");
    EXPECT_EQ(reader->get("c", "k"), "1");
  }
  EXPECT_FALSE(fs::exists(dir / "STORE_ID"));
  EXPECT_EQ(list_replicas(dir.path()).store_id, "");
  EXPECT_EQ(store_id_of(dir.path()), "");
  std::string id = Store::open(dir.path(), quick())->store_id();
  EXPECT_TRUE(is_store_id(id));
  EXPECT_EQ(read_store_id(*posix_file_system(), dir.path()), id);
}

TEST(StoreIdTest, AMissingStoreIdIsNotFound) {
  TempDir dir;
  EXPECT_THROW(read_store_id(*posix_file_system(), dir.path()), NotFoundError);
}

TEST(StoreIdTest, ADamagedStoreIdIsCorruptedDataNamingTheFile) {
  TempDir dir;
  const std::string good(32, 'a');
  for (const std::string& bad :
       {good, good + "\n\n", std::string(31, 'a') + "\n", std::string(32, 'A') + "\n",
        std::string(32, 'g') + "\n", std::string(), good.substr(0, 16) + "\n"}) {
    write_bytes(dir / "STORE_ID", bad);
    try {
      read_store_id(*posix_file_system(), dir.path());
      ADD_FAILURE() << "accepted \"" << bad << "\"";
    } catch (const CorruptedDataError& e) {
      EXPECT_EQ(e.file(), "STORE_ID");
      EXPECT_NE(std::string(e.what()).find(dir / "STORE_ID"), std::string::npos)
          << e.what();
    }
    // ensure_store_id never replaces a damaged id with a new one.
    EXPECT_THROW(ensure_store_id(*posix_file_system(), dir.path()), CorruptedDataError);
    EXPECT_EQ(read_bytes(dir / "STORE_ID"), bad);
  }
  // A writable open refuses the store; inspect reports the damage.
  auto store_dir = dir / "store";
  Store::open(store_dir, quick());
  write_bytes(store_dir + "/STORE_ID", "not an id\n");
  EXPECT_THROW(Store::open(store_dir, quick()), CorruptedDataError);
  EXPECT_THROW(store_id_of(store_dir), CorruptedDataError);
  ReplicasReport report = list_replicas(store_dir);
  EXPECT_EQ(report.store_id, "");
  ASSERT_EQ(report.damaged.size(), 1u);
  EXPECT_NE(report.damaged[0].find("STORE_ID"), std::string::npos);
}

// A clone keeps its source's id; an existing id always wins.
TEST(StoreIdTest, EnsureWritesTheWantedIdOnlyWhereThereIsNone) {
  TempDir dir;
  const std::string wanted = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(ensure_store_id(*posix_file_system(), dir.path(), wanted), wanted);
  EXPECT_EQ(ensure_store_id(*posix_file_system(), dir.path(), std::string(32, 'f')),
            wanted);
  EXPECT_EQ(Store::open(dir.path(), quick())->store_id(), wanted);
  TempDir other;
  EXPECT_THROW(ensure_store_id(*posix_file_system(), other.path(), "0123"),
               InvalidInputError);
  EXPECT_FALSE(fs::exists(other / "STORE_ID"));
}

// The writer's open and replicating readers may create it at once, without
// LOCK: every one of them gets the same id, and no temporary is left.
TEST(StoreIdTest, CreatorsRacingWithoutLockAllReturnTheOneIdThatIsKept) {
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    constexpr int kThreads = 8;
    std::vector<std::string> ids(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&ids, &dir, i] {
        ids[i] = ensure_store_id(*posix_file_system(), dir.path());
      });
    }
    for (auto& t : threads) t.join();
    std::string kept = read_store_id(*posix_file_system(), dir.path());
    for (const auto& id : ids) EXPECT_EQ(id, kept);
    EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"STORE_ID"});
  }
}

// A file system without hard links gets the id by rename.
TEST(StoreIdTest, AFileSystemThatCannotLinkStillGetsTheId) {
  TempDir dir;
  auto faulty = std::make_shared<FaultFileSystem>();
  faulty->set_hook(FsOp::kLink,
                   [](const std::string&) { throw IoError("link: not supported here"); });
  std::string id = ensure_store_id(*faulty, dir.path());
  EXPECT_EQ(read_bytes(dir / "STORE_ID"), id + "\n");
  EXPECT_EQ(names_in(dir.path()), std::set<std::string>{"STORE_ID"});
}

// A write that fails leaves no STORE_ID and no temporary; the next try works.
TEST(StoreIdTest, AFailedCreationLeavesNothingAndTheNextOneSucceeds) {
  for (FsOp op : {FsOp::kAppend, FsOp::kSync, FsOp::kLink, FsOp::kSyncDir}) {
    TempDir dir;
    auto faulty = std::make_shared<FaultFileSystem>();
    faulty->fail(op, 1);
    if (op == FsOp::kLink) faulty->fail(FsOp::kRename, 1);
    EXPECT_THROW(ensure_store_id(*faulty, dir.path()), IoError) << to_string(op);
    if (op != FsOp::kSyncDir) {
      EXPECT_TRUE(names_in(dir.path()).empty()) << to_string(op);
    }
    std::string id = ensure_store_id(*faulty, dir.path());
    EXPECT_EQ(read_store_id(*posix_file_system(), dir.path()), id);
  }
}

// store_id.cc's crash argument: a power loss at any call leaves no STORE_ID
// or the whole id, and once ensure_store_id has returned, that id.
TEST(StoreIdTest, PowerLossAtAnyStepLeavesNoIdOrTheWholeReturnedOne) {
  std::mt19937_64 rng(7);
  for (PowerLoss kind :
       {PowerLoss::kStrict, PowerLoss::kPartial, PowerLoss::kScattered}) {
    for (uint64_t cut = 1; cut <= 12; ++cut) {
      TempDir dir;
      auto fs = std::make_shared<PowerLossFileSystem>(dir.path());
      fs->cut_power_after(cut);
      std::string returned;
      try {
        returned = ensure_store_id(*fs, dir.path());
      } catch (const IoError&) {
      }
      fs->lose_power(kind, rng);
      if (!fs::exists(dir / "STORE_ID")) {
        EXPECT_EQ(returned, "") << "cut " << cut << ": the id returned was lost";
        continue;
      }
      std::string kept = read_store_id(*posix_file_system(), dir.path());
      if (!returned.empty()) {
        EXPECT_EQ(kept, returned) << "cut " << cut;
      }
      // The next open goes on with what survived.
      EXPECT_EQ(ensure_store_id(*posix_file_system(), dir.path()), kept);
    }
  }
}

TEST(StoreIdTest, AdoptionAndAnImportIntoANewDirectoryMakeNewStoresWithNewIds) {
  TempDir source, app, fresh;
  std::string source_id;
  {
    auto store = Store::open(source.path(), quick());
    source_id = store->store_id();
    store->put("contacts", "a", R"({"n":1})");
    store->export_to(source / "export-out");
  }
  write_bytes(app / "contacts.json", R"([{"name":"Alice"}])");
  adopt_store(app.path(), {}, quick());
  std::string adopted = Store::open(app.path(), quick())->store_id();
  EXPECT_TRUE(is_store_id(adopted));
  EXPECT_NE(adopted, source_id);
  auto imported = Store::open(fresh / "new", quick());
  imported->import_from(source / "export-out");
  EXPECT_TRUE(is_store_id(imported->store_id()));
  EXPECT_NE(imported->store_id(), source_id);
  EXPECT_NE(imported->store_id(), adopted);
}

// A point-in-time restore appends to the same store: its id stays. A backup
// is a copy that may live on beside its source: it is a store of its own,
// and gets its own id at its first writable open.
TEST(StoreIdTest, RestoreKeepsTheIdAndABackupCopyGetsItsOwn) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), quick());
  const std::string id = store->store_id();
  int64_t t = store->put("c", "k", "1").time_ns;
  store->put("c", "k", "2");
  store->restore_to(t);
  EXPECT_EQ(store->store_id(), id);
  EXPECT_EQ(read_store_id(*posix_file_system(), dir.path()), id);
  store->backup_to(out / "copy");
  EXPECT_FALSE(fs::exists(out / "copy/STORE_ID"));
  EXPECT_FALSE(fs::exists(out / "copy/replicas"));
  std::string copy_id = Store::open(out / "copy", quick())->store_id();
  EXPECT_TRUE(is_store_id(copy_id));
  EXPECT_NE(copy_id, id);
}

}  // namespace
}  // namespace pa_journal::testing
