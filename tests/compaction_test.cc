// Tests of compaction (store/compactor.h through Store::compact and the
// background thread): snapshots and retention, which journal segments go, the
// readable state files, the automatic triggers, commits while it runs, a
// failure at every file-system step of it, and the permissions of what it
// writes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "journal/journal_reader.h"
#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "pa_journal/time_travel.h"
#include "replay/recovery.h"
#include "snapshot/catalogue.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::FaultFileSystem;
using testing::FaultMode;
using testing::FsOp;
using testing::kFsOpCount;
using testing::read_bytes;
using testing::TempDir;

constexpr int64_t kStartNs = 1'795'600'800'000'000'000;  // 2026-11-25T10:00:00Z

std::function<int64_t()> ticking_clock() {
  auto now = std::make_shared<std::atomic<int64_t>>(kStartNs);
  return [now] { return now->fetch_add(1'000'000); };  // 1 ms per commit
}

Options manual_options() {
  Options options;
  options.durability = Durability::kNone;  // speed; close and compaction sync
  options.auto_compact = false;
  options.clock_ns = ticking_clock();
  return options;
}

// manual_options with small segments, so that compaction has some to remove.
Options trimming_options(size_t backup_count = 10) {
  Options options = manual_options();
  options.segment_bytes = 1024;
  options.backup_count = backup_count;
  return options;
}

// A contact of about 200 bytes.
std::string contact(int n, int version = 0) {
  std::string id = std::to_string(n);
  return R"({"name":"Person )" + id + R"(","email":"person)" + id +
         R"(@example.com","phone":"+46 70 123 45 67","version":)" +
         std::to_string(version) +
         R"(,"address":{"street":"Storgatan 1","city":"Malmö","zip":"211 34"},"tags":["friend","work"]})";
}

// Puts contacts "from" .. "to - 1", one commit each.
void put_contacts(Store& store, int from, int to, int version = 0) {
  for (int i = from; i < to; ++i)
    store.put("contacts", std::to_string(i), contact(i, version));
}

Collections store_state(const Store& store) { return store.state(); }

std::vector<SegmentInfo> segments_of(const std::string& dir) {
  return list_segments(*posix_file_system(), dir + "/journal");
}

std::vector<std::string> names(const std::vector<SegmentInfo>& segments) {
  std::vector<std::string> out;
  for (const auto& s : segments) out.push_back(s.name);
  return out;
}

std::vector<SnapshotInfo> snapshots_of(const std::string& dir) {
  return list_snapshots(*posix_file_system(), dir + "/backups");
}

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

// Every snapshot in dir must be a base the journal can continue from: the
// journal holds every record after it, so loading it and replaying gives the
// latest state (docs/design.md 5: every moment from the oldest kept snapshot on is
// restorable, record-exact).
void expect_every_snapshot_continues(const std::string& dir,
                                     const Collections& expected) {
  for (const auto& info : snapshots_of(dir)) {
    RecoverOptions options;
    options.max_snapshot_seq = info.seq;
    try {
      Recovered r = recover(*posix_file_system(), dir, options);
      EXPECT_EQ(r.report.snapshot_seq, info.seq) << info.id;
      EXPECT_EQ(r.state.collections(), expected) << "from snapshot " << info.id;
    } catch (const StorageError& e) {
      ADD_FAILURE() << "snapshot " << info.id << " (seq " << info.seq
                    << ") cannot be continued: " << e.what();
    }
  }
}

// The segments that compaction must keep given the oldest kept snapshot:
// those holding a record after it, and always the newest.
std::vector<std::string> needed_segments(const std::vector<SegmentInfo>& before,
                                         uint64_t oldest_kept_seq) {
  std::vector<std::string> out;
  for (size_t i = 0; i < before.size(); ++i) {
    bool newest = i + 1 == before.size();
    uint64_t last_record = newest ? UINT64_MAX : before[i + 1].first_seq - 1;
    if (last_record > oldest_kept_seq) out.push_back(before[i].name);
  }
  return out;
}

// --- Snapshots, retention and segments ---

TEST(CompactionTest, FifteenCompactionsLeaveTenSnapshotsAndOnlyTheSegmentsThoseNeed) {
  TempDir dir;
  Options options = manual_options();
  options.segment_bytes = 2048;  // about ten records per segment
  ASSERT_EQ(options.backup_count, 10u);
  auto store = Store::open(dir.path(), options);
  store->put("notes", "log", "{}");
  std::vector<std::string> made;  // snapshot ids, oldest first
  int n = 0, rolls = 0;
  for (int round = 1; round <= 15; ++round) {
    SCOPED_TRACE("compaction " + std::to_string(round));
    for (int i = 0; i < 25; ++i, ++n) {
      // New documents, changes to old ones, and deletions.
      store->put("contacts", "c" + std::to_string(n), contact(n));
      if (n % 3 == 0) {
        store->put("contacts", "c" + std::to_string(n / 2), contact(n / 2, n));
      }
      if (n % 7 == 6) store->remove("contacts", "c" + std::to_string(n - 1));
      if (n % 5 == 0) {
        store->patch("notes", "log", R"({"last":)" + std::to_string(n) + "}");
      }
    }
    auto before = segments_of(dir.path());
    ASSERT_GT(before.size(), 2u);
    CompactionResult c = store->compact();
    ASSERT_FALSE(c.snapshot_id.empty());
    EXPECT_EQ(c.seq, store->last_seq());
    made.push_back(c.snapshot_id);

    // Exactly the newest ten snapshots remain, newest first.
    auto kept = snapshots_of(dir.path());
    size_t expected_count = std::min<size_t>(round, 10);
    ASSERT_EQ(kept.size(), expected_count);
    for (size_t i = 0; i < kept.size(); ++i) {
      EXPECT_EQ(kept[i].id, made[made.size() - 1 - i]);
    }
    if (round > 10) {
      EXPECT_EQ(c.removed_snapshots, std::vector<std::string>{made[round - 11]});
    } else {
      EXPECT_TRUE(c.removed_snapshots.empty());
    }
    // The journal is kept whole until a second snapshot can be fallen back to.
    const uint64_t oldest = round == 1 ? 0 : kept.back().seq;

    // Exactly the segments holding a record after the oldest kept snapshot,
    // and the one the compaction's roll started if it rolled
    // (store/compactor.h, step 0: when the newest segment held at least a
    // quarter of segment_bytes).
    auto after = segments_of(dir.path());
    const std::vector<std::string> remaining = names(after);
    std::vector<std::string> expected = needed_segments(before, oldest);
    const std::string rolled = segment_name(store->last_seq() + 1);
    if (before.back().name != rolled && after.back().name == rolled) {
      expected.push_back(rolled);
      ++rolls;
    }
    EXPECT_EQ(remaining, expected);
    std::vector<std::string> removed;
    for (const auto& s : before) {
      if (std::find(remaining.begin(), remaining.end(), s.name) == remaining.end()) {
        removed.push_back(s.name);
      }
    }
    auto reported = c.removed_segments;
    std::sort(reported.begin(), reported.end());
    EXPECT_EQ(reported, removed);
    // Stated independently: the journal continues right after the oldest
    // snapshot, and no remaining segment lies wholly at or before it.
    EXPECT_LE(after.front().first_seq, oldest + 1);
    for (size_t i = 0; i + 1 < after.size(); ++i) {
      EXPECT_GT(after[i + 1].first_seq - 1, oldest) << after[i].name << " is not needed";
    }
    // Segments go when the oldest kept snapshot moves: at the second
    // compaction (the first with an older snapshot), and at each one after
    // retention starts removing.
    bool oldest_moved = round == 2 || round > 10;
    EXPECT_EQ(!removed.empty(), oldest_moved);
  }
  EXPECT_GT(rolls, 0)
      << "no compaction rolled the journal: the rule above went unchecked";
  const Collections expected = store_state(*store);
  const uint64_t last_seq = store->last_seq();
  store.reset();

  auto reopened = Store::open(dir.path(), manual_options());
  EXPECT_EQ(reopened->last_seq(), last_seq);
  EXPECT_EQ(reopened->recovery().snapshot_id, made.back());
  EXPECT_EQ(store_state(*reopened), expected);
  reopened.reset();
  expect_every_snapshot_continues(dir.path(), expected);
  VerifyResult v = verify_store(dir.path());
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.snapshots, 10u);
  auto backups = list_backups(dir.path());
  ASSERT_EQ(backups.size(), 10u);
  EXPECT_EQ(backups.back().id, made[5]);
}

TEST(CompactionTest, ConfigBackupCountOverridesTheOption) {
  TempDir dir;
  Options options = manual_options();
  options.backup_count = 5;
  auto store = Store::open(dir.path(), options);
  store->put("config", "backup_count", "3");
  for (int round = 0; round < 6; ++round) {
    store->put("contacts", "c" + std::to_string(round), contact(round));
    store->compact();
  }
  EXPECT_EQ(snapshots_of(dir.path()).size(), 3u);

  // Raised in the config: more are kept from now on.
  store->put("config", "backup_count", "4");
  for (int round = 0; round < 3; ++round) {
    store->put("contacts", "d" + std::to_string(round), contact(round));
    store->compact();
  }
  EXPECT_EQ(snapshots_of(dir.path()).size(), 4u);

  // Gone from the config: the option applies again.
  store->remove("config", "backup_count");
  for (int round = 0; round < 3; ++round) {
    store->put("contacts", "e" + std::to_string(round), contact(round));
    store->compact();
  }
  EXPECT_EQ(snapshots_of(dir.path()).size(), 5u);

  // Not a positive integer: refused (pa_journal/config.h), so the option
  // still applies.
  EXPECT_THROW(store->put("config", "backup_count", "0"), InvalidInputError);
  store->compact();
  EXPECT_THROW(store->put("config", "backup_count", R"("2")"), InvalidInputError);
  store->compact();
  EXPECT_EQ(snapshots_of(dir.path()).size(), 5u);
}

TEST(CompactionTest, ConfigBackupCountIsReadAfterReopen) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), manual_options());
    store->put("config", "backup_count", "3");
  }
  auto store = Store::open(dir.path(), manual_options());
  for (int round = 0; round < 5; ++round) {
    store->put("contacts", "c" + std::to_string(round), contact(round));
    store->compact();
  }
  EXPECT_EQ(snapshots_of(dir.path()).size(), 3u);
}

// --- Readable state files ---

TEST(CompactionTest, StateFilesEqualTheNewestSnapshotFiles) {
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  store->put("contacts", "alice", contact(1));
  store->put("contacts", "Zoë", contact(2));
  store->put("notes", "n1", R"({"text":"hello \"world\""})");
  store->put("config", "theme", R"("dark")");
  store->put("misc", "x", "1");
  store->remove("misc", "x");  // an empty collection has a file too

  auto expect_state_files_match_newest = [&] {
    auto newest = snapshots_of(dir.path()).front();
    std::set<std::string> json_files;
    for (const auto& name : entries(dir.path())) {
      if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
        json_files.insert(name);
      }
    }
    std::set<std::string> expected_files;
    for (const auto& f : newest.files) {
      expected_files.insert(f.collection + ".json");
      EXPECT_EQ(read_bytes(dir / (f.collection + ".json")),
                read_bytes(dir / ("backups/" + f.file)))
          << f.collection;
    }
    EXPECT_EQ(json_files, expected_files);
  };

  store->compact();
  expect_state_files_match_newest();
  EXPECT_EQ(read_bytes(dir / "misc.json"), "{}\n");
  std::string contacts_before = read_bytes(dir / "contacts.json");

  // They show the newest snapshot, not every commit.
  store->put("contacts", "bob", contact(3));
  EXPECT_EQ(read_bytes(dir / "contacts.json"), contacts_before);

  store->compact();
  expect_state_files_match_newest();
  EXPECT_NE(read_bytes(dir / "contacts.json"), contacts_before);
  EXPECT_NE(read_bytes(dir / "contacts.json").find("\"bob\""), std::string::npos);
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st;
}

TEST(CompactionTest, StateFilesAreASecondNameOfTheSnapshotFiles) {
  // The state is written once: each readable file is a hard link.
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  store->put("contacts", "alice", contact(1));
  store->put("notes", "n1", R"({"text":"hi"})");
  store->compact();
  store->put("contacts", "bob", contact(2));
  store->compact();
  auto newest = snapshots_of(dir.path()).front();
  ASSERT_EQ(newest.files.size(), 2u);
  for (const auto& f : newest.files) {
    struct stat readable = stat_of(dir / (f.collection + ".json"));
    struct stat backup = stat_of(dir / ("backups/" + f.file));
    EXPECT_EQ(readable.st_ino, backup.st_ino) << f.collection;
    EXPECT_EQ(readable.st_nlink, 2u) << f.collection;
  }
  // The older snapshot's files are no longer linked to.
  auto older = snapshots_of(dir.path()).back();
  EXPECT_EQ(stat_of(dir / ("backups/" + older.files[0].file)).st_nlink, 1u);
}

TEST(CompactionTest, StateFilesAreCopiesWhereTheFileSystemCannotLink) {
  TempDir dir;
  auto fs = std::make_shared<FaultFileSystem>();
  fs->fail(FsOp::kLink, 1, FaultMode::kPersistent);
  Options options = manual_options();
  options.file_system = fs;
  auto store = Store::open(dir.path(), options);
  store->put("contacts", "alice", contact(1));
  store->compact();
  EXPECT_GT(fs->failures(FsOp::kLink), 0u);
  auto newest = snapshots_of(dir.path()).front();
  std::string readable = dir / "contacts.json";
  std::string backup = dir / ("backups/" + newest.files[0].file);
  EXPECT_EQ(read_bytes(readable), read_bytes(backup));
  EXPECT_EQ(stat_of(readable).st_nlink, 1u);
  EXPECT_NE(stat_of(readable).st_ino, stat_of(backup).st_ino);
  for (const auto& name : entries(dir.path())) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
  }
}

// A snapshot whose files no longer verify is no backup. Retention must not
// count it, or it removes the last good snapshot of the moments before it,
// and the journal behind that one, while the window still claims them.
// The readable files invite reading, and some people will edit one in place
// (echo >>), which edits the newest snapshot behind it. Retention keeps the
// journal back to an older snapshot, so the open falls back and loses nothing:
// after the first compaction (when there is no older one) and after the second.
TEST(CompactionTest, EditingAStateFileInPlaceLosesNothing) {
  TempDir dir;
  Options options = trimming_options();
  auto edit_and_reopen = [&](size_t documents) {
    std::ofstream(dir / "contacts.json", std::ios::app) << " ";
    auto store = Store::open(dir.path(), options);
    EXPECT_EQ(store->recovery().snapshot_fallbacks.size(), 1u);
    EXPECT_EQ(store->list("contacts").size(), documents);
    return store;
  };
  {
    auto store = Store::open(dir.path(), options);
    put_contacts(*store, 0, 20);
    EXPECT_TRUE(store->compact().removed_segments.empty());  // no older snapshot yet
  }
  {
    // The edited snapshot stays damaged and is not counted: the journal goes
    // only once two later snapshots verify.
    auto store = edit_and_reopen(20);
    put_contacts(*store, 20, 40);
    EXPECT_TRUE(store->compact().removed_segments.empty());
    put_contacts(*store, 40, 60);
    EXPECT_FALSE(store->compact().removed_segments.empty());
  }
  edit_and_reopen(60);
}

// With backup_count 1 there is never an older snapshot: the readable files
// are copies, so an edit cannot reach the only one.
TEST(CompactionTest, WithOneBackupTheStateFilesAreCopies) {
  TempDir dir;
  Options options = trimming_options(/*backup_count=*/1);
  {
    auto store = Store::open(dir.path(), options);
    put_contacts(*store, 0, 20);
    EXPECT_FALSE(store->compact().removed_segments.empty());
  }
  EXPECT_EQ(stat_of(dir / "contacts.json").st_nlink, 1u);
  std::ofstream(dir / "contacts.json", std::ios::app) << " ";
  EXPECT_TRUE(verify_store(dir.path()).ok());
  auto store = Store::open(dir.path(), options);
  EXPECT_TRUE(store->recovery().snapshot_fallbacks.empty());
  EXPECT_EQ(store->list("contacts").size(), 20u);
}

// Other ways to end with one backup and no journal behind it: lowering the
// count by hand (retain_backups, the seed's delete_old_backups) and a
// backup_count of 0. The state files must be copies before the journal goes.
TEST(CompactionTest, RetentionDownToOneBackupMakesTheStateFilesCopiesFirst) {
  for (bool by_option : {false, true}) {
    SCOPED_TRACE(by_option ? "backup_count 0" : "retain_backups(1)");
    TempDir dir;
    Options options = trimming_options(/*backup_count=*/by_option ? 0 : 10);
    {
      auto store = Store::open(dir.path(), options);
      put_contacts(*store, 0, 20);
      store->compact();
      put_contacts(*store, 20, 40);
      store->compact();
      if (!by_option) store->retain_backups(1);
    }
    ASSERT_EQ(snapshots_of(dir.path()).size(), 1u);
    ASSERT_GT(segments_of(dir.path()).front().first_seq, 1u);
    EXPECT_EQ(stat_of(dir / "contacts.json").st_nlink, 1u);
    std::ofstream(dir / "contacts.json", std::ios::app) << " ";
    auto store = Store::open(dir.path(), options);
    EXPECT_TRUE(store->recovery().snapshot_fallbacks.empty());
    EXPECT_EQ(store->list("contacts").size(), 40u);
  }
}

// Someone who edits the readable files in place after every compaction would
// damage every snapshot in turn, and retention, waiting for two intact ones,
// would never trim the journal. A damaged newest snapshot switches the state
// files to copies, so the journal is trimmed all the same.
TEST(CompactionTest, RepeatedEditsOfTheStateFilesStillLetTheJournalBeTrimmed) {
  TempDir dir;
  Options options = trimming_options(/*backup_count=*/3);
  auto store = Store::open(dir.path(), options);
  size_t segments_removed = 0;
  for (int round = 0; round < 8; ++round) {
    for (int i = 0; i < 20; ++i)
      store->put("contacts", std::to_string(i), contact(i, round));
    segments_removed += store->compact().removed_segments.size();
    std::ofstream(dir / "contacts.json", std::ios::app) << " ";
  }
  EXPECT_GT(segments_removed, 0u);
  EXPECT_LE(snapshots_of(dir.path()).size(), 6u);
  EXPECT_NE(read_bytes(dir / "storage.log").find("damaged snapshots kept"),
            std::string::npos);
}

// A crash after the manifest's rename, before every readable file is
// replaced, leaves some from the older snapshot, some missing and a temporary
// file. The next compaction puts them right even with nothing new to write.
TEST(CompactionTest, CompactionWithNothingNewReplacesTheStateFilesACrashLeftStale) {
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  store->put("contacts", "alice", contact(1));
  store->put("notes", "n1", R"({"text":"hi"})");
  store->compact();
  std::string old_contacts = read_bytes(dir / "contacts.json");
  store->put("contacts", "bob", contact(2));
  store->compact();
  std::filesystem::remove(dir / "contacts.json");
  testing::write_bytes(dir / "contacts.json", old_contacts);
  std::filesystem::remove(dir / "notes.json");
  testing::write_bytes(dir / "notes.json.tmp", "{");

  EXPECT_TRUE(store->compact().snapshot_id.empty());  // nothing new
  auto newest = snapshots_of(dir.path()).front();
  for (const auto& f : newest.files) {
    EXPECT_EQ(read_bytes(dir / (f.collection + ".json")),
              read_bytes(dir / ("backups/" + f.file)))
        << f.collection;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "notes.json.tmp"));
}

TEST(CompactionTest, RetentionDoesNotCountADamagedSnapshotAsAKeptBackup) {
  TempDir dir;
  Options options = trimming_options(/*backup_count=*/2);
  auto store = Store::open(dir.path(), options);
  auto put_five = [&](int from) { put_contacts(*store, from, from + 5); };
  put_five(0);
  store->compact();  // A
  put_five(5);
  int64_t between_a_and_b = store->put("notes", "mark", "1").time_ns;
  put_five(10);
  std::string b = store->compact().snapshot_id;
  auto b_info = snapshots_of(dir.path()).front();
  std::string b_file = dir / ("backups/" + b_info.files[0].file);
  std::string damaged = read_bytes(b_file);
  damaged[damaged.size() / 2] ^= 0x20;
  testing::write_bytes(b_file, damaged);
  put_five(15);
  CompactionResult c = store->compact();

  EXPECT_TRUE(c.removed_snapshots.empty()) << c.removed_snapshots.front();
  EXPECT_EQ(snapshots_of(dir.path()).size(), 3u);  // C, B (damaged), A
  Collections then = state_at(dir.path(), between_a_and_b, options);
  EXPECT_EQ(then["contacts"].size(), 10u);
  EXPECT_EQ(then["notes"].count("mark"), 1u);
}

TEST(CompactionTest, CompactionWithNothingNewMakesNoSnapshot) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), manual_options());
    // An empty store: nothing to snapshot.
    EXPECT_TRUE(store->compact().snapshot_id.empty());
    EXPECT_TRUE(entries(dir / "backups").empty());

    store->put("contacts", "alice", contact(1));
    CompactionResult first = store->compact();
    EXPECT_FALSE(first.snapshot_id.empty());
    auto files = entries(dir / "backups");

    CompactionResult again = store->compact();
    EXPECT_TRUE(again.snapshot_id.empty());
    EXPECT_EQ(again.seq, 0u);
    EXPECT_TRUE(again.removed_snapshots.empty());
    EXPECT_TRUE(again.removed_segments.empty());
    EXPECT_EQ(entries(dir / "backups"), files);
  }
  // Nor after reopening: the store knows its newest snapshot is current.
  auto store = Store::open(dir.path(), manual_options());
  auto files = entries(dir / "backups");
  EXPECT_TRUE(store->compact().snapshot_id.empty());
  EXPECT_EQ(entries(dir / "backups"), files);
  EXPECT_EQ(snapshots_of(dir.path()).size(), 1u);
}

TEST(CompactionTest, CompactionWithNothingNewStillAppliesRetentionAndCleansLeftovers) {
  TempDir dir;
  Options options = manual_options();
  options.backup_count = 5;
  {
    auto store = Store::open(dir.path(), options);
    for (int round = 0; round < 4; ++round) {
      store->put("contacts", "c" + std::to_string(round), contact(round));
      store->compact();
    }
  }
  ASSERT_EQ(snapshots_of(dir.path()).size(), 4u);
  // A collection file of a snapshot whose manifest was never written, and
  // the intent that says the store wrote it.
  testing::write_bytes(dir / "backups/notes_20000101_000000.json", "{}");
  testing::write_bytes(
      dir / "backups/20000101_000000.pending.json",
      serialize_intent({"20000101_000000", {"notes_20000101_000000.json"}}));
  // The same without an intent (an older pa-journal's, or not pa-journal's).
  testing::write_bytes(dir / "backups/notes_20000102_000000.json", "{}");
  options.backup_count = 2;
  auto store = Store::open(dir.path(), options);
  CompactionResult r = store->compact();
  EXPECT_TRUE(r.snapshot_id.empty()) << "nothing new: no snapshot";
  EXPECT_EQ(r.removed_snapshots.size(), 2u);
  EXPECT_EQ(snapshots_of(dir.path()).size(), 2u);
  EXPECT_FALSE(std::filesystem::exists(dir / "backups/notes_20000101_000000.json"));
  EXPECT_FALSE(std::filesystem::exists(dir / "backups/20000101_000000.pending.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "backups/notes_20000102_000000.json"));
}

// --- Automatic compaction ---

// Waits until dir has at least `count` snapshots.
bool wait_for_snapshots(const std::string& dir, size_t count) {
  return testing::eventually([&] { return snapshots_of(dir).size() >= count; },
                             std::chrono::seconds(60));
}

// Automatic compaction after `records` records, and on nothing else.
Options compact_after_records(uint64_t records) {
  Options options = manual_options();
  options.auto_compact = true;
  options.compact_after_records = records;
  options.compact_after_bytes = UINT64_MAX;
  return options;
}

TEST(AutoCompactionTest, TriggersOnRecordCount) {
  TempDir dir;
  Options options = compact_after_records(25);
  auto store = Store::open(dir.path(), options);
  for (int i = 0; i < 24; ++i) {
    store->put("contacts", "c" + std::to_string(i), contact(i));
  }
  // Below the threshold nothing is triggered (the thread has no other reason
  // to run: no interval is set).
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(snapshots_of(dir.path()).empty());

  store->put("contacts", "c24", contact(24));
  ASSERT_TRUE(wait_for_snapshots(dir.path(), 1));
  auto first = snapshots_of(dir.path()).front();
  EXPECT_GE(first.seq, 25u);

  // The count starts again after each compaction.
  for (int i = 25; i < 50; ++i) {
    store->put("contacts", "c" + std::to_string(i), contact(i));
  }
  ASSERT_TRUE(wait_for_snapshots(dir.path(), 2));
  EXPECT_GE(snapshots_of(dir.path()).front().seq, 50u);
  const Collections expected = store_state(*store);
  store.reset();
  auto reopened = Store::open(dir.path(), manual_options());
  EXPECT_EQ(store_state(*reopened), expected);
}

// A store used by one short process after another (the tool, a script) must
// still compact: the counts start from what was replayed since the snapshot,
// not from zero at each open.
TEST(AutoCompactionTest, CountsRecordsFromTheSnapshotAcrossReopens) {
  TempDir dir;
  Options options = compact_after_records(10);
  for (int run = 0; run < 3; ++run) {  // 3 records per open, 9 in all
    auto store = Store::open(dir.path(), options);
    for (int i = 0; i < 3; ++i) {
      store->put("contacts", "c" + std::to_string(run * 3 + i), contact(i));
    }
  }
  ASSERT_TRUE(snapshots_of(dir.path()).empty());
  auto store = Store::open(dir.path(), options);
  store->put("contacts", "c9", contact(9));  // the 10th record since no snapshot
  ASSERT_TRUE(wait_for_snapshots(dir.path(), 1));
  EXPECT_EQ(snapshots_of(dir.path()).front().seq, 10u);
}

TEST(AutoCompactionTest, TriggersOnJournalBytes) {
  TempDir dir;
  Options options = manual_options();
  options.auto_compact = true;
  options.compact_after_records = UINT64_MAX;
  options.compact_after_bytes = 4000;
  auto store = Store::open(dir.path(), options);
  for (int i = 0; i < 25; ++i) {
    store->put("contacts", "c" + std::to_string(i), contact(i));
  }
  ASSERT_TRUE(wait_for_snapshots(dir.path(), 1));
}

TEST(AutoCompactionTest, TriggersOnInterval) {
  TempDir dir;
  Options options = manual_options();
  options.auto_compact = true;
  options.compact_after_records = UINT64_MAX;
  options.compact_after_bytes = UINT64_MAX;
  options.compact_interval_ms = 20;
  auto store = Store::open(dir.path(), options);
  store->put("contacts", "alice", contact(1));
  ASSERT_TRUE(wait_for_snapshots(dir.path(), 1));
}

TEST(AutoCompactionTest, DisabledMeansOnlyOnDemand) {
  TempDir dir;
  Options options = manual_options();
  options.auto_compact = false;
  options.compact_after_records = 1;
  options.compact_interval_ms = 1;
  auto store = Store::open(dir.path(), options);
  for (int i = 0; i < 10; ++i) {
    store->put("contacts", "c" + std::to_string(i), contact(i));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(snapshots_of(dir.path()).empty());
  EXPECT_FALSE(store->compact().snapshot_id.empty());
}

// --- Commits during compaction ---

// A big state is compacted; at several points inside the compaction (each
// rename of a file it writes, each journal segment it deletes) the test makes
// commits from another thread and waits for them to be acknowledged before
// letting the compaction go on. If a commit had to wait for the compaction,
// it could not complete there.
TEST(CompactionConcurrencyTest, CommitsGoOnWhileACompactionRuns) {
  TempDir dir;
  auto fs = std::make_shared<FaultFileSystem>();
  Options options;
  options.durability = Durability::kAlways;
  options.auto_compact = false;
  options.segment_bytes = 256 << 10;
  options.file_system = fs;
  auto store = Store::open(dir.path(), options);
  constexpr int kDocuments = 20000;
  for (int batch = 0; batch < kDocuments / 500; ++batch) {
    // A first snapshot halfway, so that the compaction watched below (the
    // second) deletes segments too.
    if (batch == kDocuments / 1000) store->compact();
    std::vector<Operation> ops;
    for (int i = batch * 500; i < (batch + 1) * 500; ++i) {
      ops.push_back({OpKind::kPut, i % 2 ? "contacts" : "notes", "k" + std::to_string(i),
                     contact(i)});
    }
    store->commit(std::move(ops));
  }
  const uint64_t seq_before = store->last_seq();

  std::atomic<bool> compact_returned{false};
  std::atomic<int> commits_done{0};
  std::atomic<int> stops{0};
  std::atomic<int> late_commits{0};  // acknowledged only after compact returned
  std::atomic<std::thread::id> compactor_thread;
  std::mutex hook_mu;
  auto commit_while_compacting = [&](const std::string& path) {
    if (std::this_thread::get_id() != compactor_thread) return;
    std::lock_guard<std::mutex> lock(hook_mu);
    ++stops;
    auto done = std::async(std::launch::async, [&] {
      for (int i = 0; i < 3; ++i) {
        int n = commits_done.load();
        store->put("during", "d" + std::to_string(n), contact(n));
        if (compact_returned) ++late_commits;
        ++commits_done;
      }
    });
    if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      ADD_FAILURE() << "commits did not complete while the compaction was at " << path;
    }
  };
  fs->set_hook(FsOp::kRename, commit_while_compacting);
  fs->set_hook(FsOp::kRemove, commit_while_compacting);

  CompactionResult result;
  std::thread compaction([&] {
    compactor_thread = std::this_thread::get_id();
    result = store->compact();
    compact_returned = true;
  });
  compaction.join();
  fs->set_hook(FsOp::kRename, nullptr);
  fs->set_hook(FsOp::kRemove, nullptr);

  // Stopped at every file it renamed (two snapshot files, the manifest, two
  // state files) and at every segment it deleted; commits went on at each.
  EXPECT_GE(stops.load(), 5 + 1);
  EXPECT_FALSE(result.removed_segments.empty());
  EXPECT_EQ(commits_done.load(), 3 * stops.load());
  EXPECT_EQ(late_commits.load(), 0);
  // The snapshot holds the state the compaction captured, not the commits
  // made while it ran; the journal holds those.
  EXPECT_EQ(result.seq, seq_before);
  EXPECT_EQ(store->last_seq(), seq_before + commits_done.load());
  const Collections expected = store_state(*store);
  EXPECT_EQ(expected.at("during").size(), static_cast<size_t>(commits_done.load()));
  store.reset();
  auto reopened = Store::open(dir.path(), manual_options());
  EXPECT_EQ(reopened->recovery().snapshot_seq, seq_before);
  EXPECT_EQ(reopened->recovery().records_replayed,
            static_cast<uint64_t>(commits_done.load()));
  EXPECT_EQ(store_state(*reopened), expected);
  // The next compaction covers them.
  EXPECT_EQ(reopened->compact().seq, reopened->last_seq());
}

TEST(CompactionConcurrencyTest, CommitsFromManyThreadsDuringBackgroundCompactions) {
  TempDir dir;
  Options options = manual_options();
  options.auto_compact = true;
  options.compact_after_records = 40;
  options.segment_bytes = 4096;
  options.backup_count = 3;
  std::map<std::string, std::string> expected;
  {
    auto store = Store::open(dir.path(), options);
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < 150; ++i) {
          store->put("contacts", "t" + std::to_string(t) + "_" + std::to_string(i % 60),
                     contact(i, t));
        }
      });
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(store->last_seq(), 600u);
    for (auto& [key, doc] : store->list("contacts")) expected[key] = doc;
    EXPECT_EQ(expected.size(), 240u);
  }
  auto reopened = Store::open(dir.path(), manual_options());
  EXPECT_EQ(reopened->last_seq(), 600u);
  std::map<std::string, std::string> got;
  for (auto& [key, doc] : reopened->list("contacts")) got[key] = doc;
  EXPECT_EQ(got, expected);
  EXPECT_GE(snapshots_of(dir.path()).size(), 1u);
  EXPECT_LE(snapshots_of(dir.path()).size(), 3u);
  reopened.reset();
  EXPECT_TRUE(verify_store(dir.path()).ok());
}

// A document as the store keeps it: compact, keys in order.
std::string stored_form(const std::string& json) {
  return nlohmann::json::parse(json).dump();
}

// The compaction writes the published version of the state while commits go
// on (Store::Impl::capture). Each snapshot must still be exactly the
// state at its sequence number: every commit, numbered by the seq it was
// acknowledged with, is replayed into a model up to that number.
TEST(CompactionConcurrencyTest, SnapshotsAreTheStateAtTheirSeqWhileWritersChangeIt) {
  TempDir dir;
  Options options = manual_options();
  options.durability = Durability::kNone;
  options.backup_count = 100;
  auto store = Store::open(dir.path(), options);
  struct Change {
    std::string key;
    std::optional<std::string> doc;  // nullopt: deleted
  };
  std::mutex changes_mu;
  std::map<uint64_t, Change> changes;  // by seq
  constexpr int kKeys = 20000;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "k" + std::to_string(i);
    changes[store->put("contacts", key, contact(i)).seq] = {key, stored_form(contact(i))};
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        // Keys all over the key order, so that some are changed before the
        // copy reaches them and some after; deleted, put back, changed again.
        std::string key = "k" + std::to_string((i * 7919 + t * 104729) % kKeys);
        Change c{key, std::nullopt};
        CommitResult r;
        try {
          if (i % 5 == 4) {
            r = store->remove("contacts", key);
          } else {
            r = store->put("contacts", key, contact(i, t + 1));
            c.doc = stored_form(contact(i, t + 1));
          }
        } catch (const NotFoundError&) {
          continue;  // deleted by the other writer
        }
        std::lock_guard<std::mutex> lock(changes_mu);
        changes[r.seq] = std::move(c);
      }
    });
  }
  std::vector<CompactionResult> snapshots;
  for (int i = 0; i < 8; ++i) snapshots.push_back(store->compact());
  stop = true;
  for (auto& w : writers) w.join();
  ASSERT_GT(changes.size(), static_cast<size_t>(kKeys));

  for (const CompactionResult& snapshot : snapshots) {
    SCOPED_TRACE("snapshot at seq " + std::to_string(snapshot.seq));
    Collection model;
    for (const auto& [seq, change] : changes) {
      if (seq > snapshot.seq) break;
      if (change.doc) {
        model[change.key] = *change.doc;
      } else {
        model.erase(change.key);
      }
    }
    Collections got = load_backup(dir.path(), snapshot.snapshot_id);
    EXPECT_EQ(got.size(), 1u);
    EXPECT_TRUE(got["contacts"] == model);  // not EXPECT_EQ: 20,000 documents
  }
}

// --- A failure at every step ---

// A store with three snapshots (backup_count 3), many segments and records
// after the newest snapshot, so that the next compaction writes a snapshot,
// refreshes the state files, removes a snapshot and deletes segments.
class CompactionFaultTest : public ::testing::Test {
 protected:
  static Options fault_options() {
    Options options = manual_options();
    options.segment_bytes = 1024;
    options.backup_count = 3;
    return options;
  }

  void SetUp() override {
    auto store = Store::open(template_.path(), fault_options());
    int n = 0;
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 12; ++i, ++n) {
        store->put(n % 2 ? "contacts" : "notes", "k" + std::to_string(n % 17),
                   contact(n));
      }
      if (round < 3) store->compact();
    }
    store->put("config", "theme", R"("dark")");
    expected_ = store_state(*store);
    last_seq_ = store->last_seq();
    store.reset();
    ASSERT_EQ(snapshots_of(template_.path()).size(), 3u);
  }

  // A fresh copy of the template store.
  std::unique_ptr<TempDir> copy() const {
    auto dir = std::make_unique<TempDir>();
    std::filesystem::copy(template_.path(), dir->path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    return dir;
  }

  // Reopens dir with a healthy file system and checks that it holds exactly
  // the state before the compaction and that nothing is damaged; then that
  // the next compaction succeeds and cleans up what the failed one left.
  void expect_intact(const std::string& dir, const std::string& what) {
    SCOPED_TRACE(what);
    {
      auto store = Store::open(dir, fault_options());
      EXPECT_EQ(store->last_seq(), last_seq_);
      EXPECT_EQ(store_state(*store), expected_);
      EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
    }
    VerifyResult v = verify_store(dir);
    EXPECT_TRUE(v.ok()) << (v.damage.empty() ? "" : v.damage[0].describe());
    EXPECT_GE(v.snapshots, 3u);
    expect_every_snapshot_continues(dir, expected_);

    Collections expected = expected_;
    {
      auto store = Store::open(dir, fault_options());
      store->put("after", "x", "1");
      expected["after"]["x"] = "1";
      EXPECT_EQ(store->compact().seq, last_seq_ + 1);
    }
    auto kept = snapshots_of(dir);
    EXPECT_EQ(kept.size(), 3u);
    // No temporary file and no orphan is left behind.
    std::set<std::string> named;
    for (const auto& s : kept) {
      named.insert(s.manifest_name());
      for (const auto& f : s.files) {
        named.insert(f.file);
        if (!f.index.empty()) named.insert(f.index);  // a compressed file has none
      }
    }
    EXPECT_EQ(entries(dir + "/backups"), named);
    for (const auto& name : entries(dir)) {
      EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    }
    EXPECT_TRUE(verify_store(dir).ok());
    expect_every_snapshot_continues(dir, expected);
  }

  TempDir template_;
  Collections expected_;
  uint64_t last_seq_ = 0;
};

TEST_F(CompactionFaultTest, HealthyCompactionDoesEveryStep) {
  auto dir = copy();
  auto store = Store::open(dir->path(), fault_options());
  CompactionResult c = store->compact();
  EXPECT_EQ(c.seq, last_seq_);
  EXPECT_EQ(c.removed_snapshots.size(), 1u);
  EXPECT_FALSE(c.removed_segments.empty());
}

TEST_F(CompactionFaultTest, AFailureAtEveryStepLeavesTheStateIntact) {
  // How many calls of each kind one compaction makes.
  std::array<uint64_t, kFsOpCount> calls{};
  {
    auto dir = copy();
    auto fs = std::make_shared<FaultFileSystem>();
    Options options = fault_options();
    options.file_system = fs;
    auto store = Store::open(dir->path(), options);
    fs->reset_counts();
    store->compact();
    for (size_t op = 0; op < kFsOpCount; ++op) {
      calls[op] = fs->count(static_cast<FsOp>(op));
    }
  }
  uint64_t total = 0;
  for (auto c : calls) total += c;
  ASSERT_GT(calls[static_cast<size_t>(FsOp::kRename)], 5u);
  ASSERT_GT(calls[static_cast<size_t>(FsOp::kRemove)], 1u);

  uint64_t runs = 0, failed = 0;
  for (size_t op_index = 0; op_index < kFsOpCount; ++op_index) {
    const FsOp op = static_cast<FsOp>(op_index);
    for (uint64_t nth = 1; nth <= calls[op_index]; ++nth) {
      for (FaultMode mode : {FaultMode::kOnce, FaultMode::kPersistent}) {
        std::string what =
            std::string(testing::to_string(op)) + " call " + std::to_string(nth) +
            " of " + std::to_string(calls[op_index]) +
            (mode == FaultMode::kOnce ? " fails once" : " fails from then on");
        auto dir = copy();
        auto fs = std::make_shared<FaultFileSystem>();
        Options options = fault_options();
        options.file_system = fs;
        {
          auto store = Store::open(dir->path(), options);
          fs->fail(op, nth, mode);
          try {
            store->compact();
          } catch (const StorageError&) {
            ++failed;
          } catch (const std::exception& e) {
            ADD_FAILURE() << what << ": not a StorageError: " << e.what();
          }
          // The store is closed with the fault still armed: a persistent
          // one also fails whatever closing does, as the disk would.
        }
        fs->heal();
        ++runs;
        expect_intact(dir->path(), what);
        if (::testing::Test::HasFailure()) return;  // one clear failure, not hundreds
      }
    }
  }
  RecordProperty("fault_runs", std::to_string(runs));
  EXPECT_EQ(runs, 2 * total);
  EXPECT_GT(failed, total);  // most injected failures make compaction fail
}

// --- Permissions ---

TEST(CompactionPermissionsTest, BackupsAreOwnerOnly) {
  TempDir dir;
  mode_t old_mask = ::umask(0);  // the store must not rely on the umask
  {
    Options options = manual_options();
    options.segment_bytes = 1024;
    options.backup_count = 2;
    auto store = Store::open(dir.path(), options);
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 10; ++i) {
        store->put("contacts", "c" + std::to_string(i), contact(i));
      }
      store->put("notes", "n", R"({"round":)" + std::to_string(round) + "}");
      store->compact();
    }
  }
  ::umask(old_mask);
  auto mode_of = [](const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
  };
  EXPECT_EQ(mode_of(dir / "backups"), 0700u);
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.is_directory()) {
      EXPECT_EQ(mode_of(e.path()), 0700u) << e.path();
    } else {
      EXPECT_EQ(mode_of(e.path()), 0600u) << e.path();
      ++files;
    }
  }
  EXPECT_GT(entries(dir / "backups").size(), 4u);
  for (const char* state_file : {"contacts.json", "notes.json"}) {
    EXPECT_EQ(mode_of(dir / state_file), 0600u) << state_file;
  }
  EXPECT_GT(files, 8u);
}

}  // namespace
}  // namespace pa_journal
