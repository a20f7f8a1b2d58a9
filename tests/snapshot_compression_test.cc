// Older snapshots compressed with zstd, unchanged collections linked from
// the previous snapshot, and the crash argument of both
// (snapshot/compression.h, docs/snapshot-format.md). A failure at every call
// of a compaction that compresses is compaction_test's
// AFailureAtEveryStepLeavesTheStateIntact.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "snapshot/catalogue.h"
#include "snapshot/compression.h"
#include "store/compactor.h"
#include "tests/power_loss_file_system.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::CommandResult;
using testing::PowerLoss;
using testing::PowerLossFileSystem;
using testing::read_bytes;
using testing::run_command;
using testing::run_pa_journal;
using testing::TempDir;
using testing::write_bytes;

std::function<int64_t()> ticking_clock() {
  auto now = std::make_shared<std::atomic<int64_t>>(1'795'000'000'000'000'000);
  return [now] { return now->fetch_add(1'000'000'000); };  // 1 s per commit
}

Options manual_options() {
  Options options;
  options.durability = Durability::kNone;
  options.auto_compact = false;
  options.clock_ns = ticking_clock();
  return options;
}

std::string contact(int n, int version = 0) {
  return R"({"name":"Person )" + std::to_string(n) + R"(","email":"person)" +
         std::to_string(n) + R"(@example.com","version":)" + std::to_string(version) +
         "}";
}

std::vector<SnapshotInfo> snapshots_of(const std::string& dir) {
  return list_snapshots(*posix_file_system(), dir + "/backups");
}

std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.insert(e.path().filename().string());
  return out;
}

// The names every manifest in dir/backups vouches for: the manifests and the
// files they list. What backups/ holds once clean-up is done.
std::set<std::string> named_by_manifests(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& s : snapshots_of(dir)) {
    out.insert(s.manifest_name());
    for (const auto& f : s.files) {
      out.insert(f.file);
      if (!f.index.empty()) out.insert(f.index);  // plain files have their key index
    }
  }
  return out;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// Three snapshots: contacts change between them, notes never do. Returns
// the state of each, oldest first.
std::vector<Collections> three_snapshots(Store& store) {
  std::vector<Collections> out;
  store.put("notes", "n1", R"({"text":"unchanged"})");
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20; ++i)
      store.put("contacts", std::to_string(i), contact(i, round));
    store.compact();
    out.push_back(store.state());
  }
  return out;
}

TEST(SnapshotCompression, OlderSnapshotsAreCompressedAndTheNewestStaysPlain) {
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  std::vector<Collections> states = three_snapshots(*store);
  auto snapshots = snapshots_of(dir.path());
  ASSERT_EQ(snapshots.size(), 3u);
  for (const auto& f : snapshots[0].files) {
    EXPECT_FALSE(f.compressed()) << f.file;
    EXPECT_EQ(f.file, snapshot_file_name(f.collection, snapshots[0].id));
  }
  for (size_t i = 1; i < snapshots.size(); ++i) {
    for (const auto& f : snapshots[i].files) {
      EXPECT_TRUE(f.compressed()) << f.file;
      EXPECT_EQ(f.file, compressed_snapshot_file_name(f.collection, snapshots[i].id));
      EXPECT_FALSE(std::filesystem::exists(
          dir / ("backups/" + snapshot_file_name(f.collection, snapshots[i].id))));
      EXPECT_GT(f.stored_bytes, 0u);
      EXPECT_TRUE(f.index.empty()) << f.file;  // the index went with the plain text
    }
    EXPECT_TRUE(snapshots[i].pending_files.empty());
  }
  // Every snapshot still loads, the compressed ones to the state they hold.
  for (size_t i = 0; i < snapshots.size(); ++i) {
    EXPECT_EQ(load_snapshot(*posix_file_system(), dir / "backups", snapshots[i]),
              states[2 - i]);
  }
  EXPECT_TRUE(verify_store(dir.path()).ok());
  EXPECT_EQ(entries(dir / "backups"), named_by_manifests(dir.path()));
}

// compress_snapshots off (for a pa-journal from before compression, which
// takes a .json.zst for damage): every snapshot stays plain, with its key
// index, and backups/ holds no compressed file; those made while it was on
// stay compressed.
TEST(SnapshotCompression, CompressSnapshotsOffLeavesTheSnapshotsItWritesPlain) {
  TempDir dir;
  Options options = manual_options();
  options.compress_snapshots = false;
  {
    auto store = Store::open(dir.path(), options);
    std::vector<Collections> states = three_snapshots(*store);
    auto snapshots = snapshots_of(dir.path());
    ASSERT_EQ(snapshots.size(), 3u);
    for (size_t i = 0; i < snapshots.size(); ++i) {
      for (const auto& f : snapshots[i].files) {
        EXPECT_FALSE(f.compressed()) << f.file;
        EXPECT_FALSE(f.index.empty()) << f.file;
      }
      EXPECT_EQ(load_snapshot(*posix_file_system(), dir / "backups", snapshots[i]),
                states[2 - i]);
    }
    for (const std::string& name : entries(dir / "backups"))
      EXPECT_FALSE(name.ends_with(".zst")) << name;
    EXPECT_TRUE(verify_store(dir.path()).ok());
  }
  {
    auto store = Store::open(dir.path(), manual_options());  // on again
    store->put("contacts", "0", contact(0, 9));
    store->compact();
  }
  auto snapshots = snapshots_of(dir.path());
  ASSERT_EQ(snapshots.size(), 4u);
  for (const auto& f : snapshots[1].files) EXPECT_TRUE(f.compressed()) << f.file;
  {
    auto store = Store::open(dir.path(), options);  // off again
    store->put("contacts", "0", contact(0, 10));
    store->compact();
  }
  snapshots = snapshots_of(dir.path());
  for (const auto& f : snapshots[1].files) EXPECT_FALSE(f.compressed()) << f.file;
  for (const auto& f : snapshots[2].files) EXPECT_TRUE(f.compressed()) << f.file;
}

TEST(SnapshotCompression, ZstdcatOfAnOlderSnapshotIsTheJsonThatWasCompressed) {
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  store->put("contacts", "alice", contact(1));
  store->compact();
  SnapshotInfo first = snapshots_of(dir.path()).front();
  std::string plain = read_bytes(dir / ("backups/" + first.files[0].file));
  store->put("contacts", "bob", contact(2));
  store->compact();
  SnapshotInfo older = snapshots_of(dir.path()).back();
  ASSERT_EQ(older.id, first.id);
  ASSERT_TRUE(older.files[0].compressed());
  CommandResult zstdcat =
      run_command({"zstdcat", dir / ("backups/" + older.files[0].file)});
  if (zstdcat.exit_code == 127) GTEST_SKIP() << "zstdcat is not installed";
  ASSERT_EQ(zstdcat.exit_code, 0) << zstdcat.describe();
  EXPECT_EQ(zstdcat.out, plain);
}

TEST(SnapshotCompression, AnUnchangedCollectionIsAHardLinkOfThePreviousSnapshotFile) {
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  store->put("notes", "n1", R"({"text":"unchanged"})");
  store->put("contacts", "alice", contact(1));
  store->compact();
  SnapshotInfo first = snapshots_of(dir.path()).front();
  ino_t notes_inode =
      inode_of(dir / ("backups/" + snapshot_file_name("notes", first.id)));
  ino_t contacts_inode =
      inode_of(dir / ("backups/" + snapshot_file_name("contacts", first.id)));
  store->put("contacts", "bob", contact(2));
  store->compact();
  SnapshotInfo second = snapshots_of(dir.path()).front();
  // The new snapshot's notes file is the first one's, under a new name; the
  // changed contacts file is new.
  EXPECT_EQ(inode_of(dir / ("backups/" + snapshot_file_name("notes", second.id))),
            notes_inode);
  EXPECT_NE(inode_of(dir / ("backups/" + snapshot_file_name("contacts", second.id))),
            contacts_inode);
  // The readable file is a name of the newest snapshot's file, which no
  // older snapshot shares any more (the older one is compressed).
  struct stat st {};
  ASSERT_EQ(::stat((dir / "notes.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, notes_inode);
  EXPECT_EQ(st.st_nlink, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir / "notes.json.tmp"));
  // A third snapshot: the unchanged text is compressed once, then linked.
  store->put("contacts", "carol", contact(3));
  store->compact();
  auto snapshots = snapshots_of(dir.path());
  ASSERT_EQ(snapshots.size(), 3u);
  EXPECT_EQ(
      inode_of(dir / ("backups/" + compressed_snapshot_file_name("notes", first.id))),
      inode_of(dir / ("backups/" + compressed_snapshot_file_name("notes", second.id))));
  EXPECT_TRUE(verify_store(dir.path()).ok());
}

TEST(SnapshotCompression, AReadableFileIsACopyWhileAnOlderSnapshotSharesItsFile) {
  TempDir dir;
  auto store = Store::open(dir.path(), manual_options());
  store->put("notes", "n1", R"({"text":"unchanged"})");
  store->put("contacts", "alice", contact(1));
  store->compact();
  SnapshotInfo first = snapshots_of(dir.path()).front();
  // Another program's file where the compressed notes would go: that file
  // stays plain, and shares its inode with the next snapshot's.
  std::string foreign =
      dir / ("backups/" + compressed_snapshot_file_name("notes", first.id));
  write_bytes(foreign, "not the store's");
  store->put("contacts", "bob", contact(2));
  store->compact();
  SnapshotInfo second = snapshots_of(dir.path()).front();
  std::string newest_notes = dir / ("backups/" + snapshot_file_name("notes", second.id));
  EXPECT_EQ(inode_of(newest_notes),
            inode_of(dir / ("backups/" + snapshot_file_name("notes", first.id))));
  // So the readable file is a copy: an edit of it reaches no snapshot.
  EXPECT_NE(inode_of(dir / "notes.json"), inode_of(newest_notes));
  EXPECT_EQ(read_bytes(dir / "notes.json"), read_bytes(newest_notes));
  EXPECT_EQ(read_bytes(foreign), "not the store's");
  EXPECT_TRUE(verify_store(dir.path()).ok());
}

TEST(SnapshotCompression, ABitFlipInACompressedFileIsDamageAndOpenFallsBack) {
  TempDir dir;
  Collections expected;
  {
    auto store = Store::open(dir.path(), manual_options());
    three_snapshots(*store);
    store->put("contacts", "after", contact(99));
    expected = store->state();
  }
  auto snapshots = snapshots_of(dir.path());
  ASSERT_EQ(snapshots.size(), 3u);
  // The middle snapshot's compressed contacts: one bit flipped in its middle.
  const SnapshotFile* contacts = nullptr;
  for (const auto& f : snapshots[1].files)
    if (f.collection == "contacts") contacts = &f;
  ASSERT_NE(contacts, nullptr);
  std::string path = dir / ("backups/" + contacts->file);
  std::string data = read_bytes(path);
  data[data.size() / 2] ^= 0x10;
  write_bytes(path, data);
  EXPECT_THROW(load_snapshot(*posix_file_system(), dir / "backups", snapshots[1]),
               CorruptedDataError);
  VerifyResult verified = verify_store(dir.path());
  EXPECT_FALSE(verified.ok());
  bool named = false;
  for (const auto& d : verified.damage)
    named = named || d.file == "backups/" + contacts->file;
  EXPECT_TRUE(named);
  // The newest damaged too (an in-place edit of its readable file): opening
  // passes over both to the oldest snapshot and replays the journal after it.
  write_bytes(dir / "contacts.json", "{}\n");
  auto store = Store::open(dir.path(), manual_options());
  EXPECT_EQ(store->recovery().snapshot_seq, snapshots[2].seq);
  EXPECT_EQ(store->state(), expected);
}

TEST(SnapshotCompression, ATruncatedCompressedFileIsDamage) {
  SnapshotFile f{"contacts", "contacts_20261125_100000.json.zst", 0, 0, 1, ""};
  std::string text = "{\n  \"a\": {\"x\":1}\n}\n";
  std::string frame = zstd_compress(text);
  f.bytes = text.size();
  f.xxh3 = 0;
  f.stored_bytes = frame.size();
  EXPECT_THROW(zstd_decompress(frame.substr(0, frame.size() - 3), text.size(), "f"),
               CorruptedDataError);
  EXPECT_THROW(zstd_decompress(frame, text.size() + 1, "f"), CorruptedDataError);
  EXPECT_EQ(zstd_decompress(frame, text.size(), "f"), text);
  // The text's checksum stays the check after decompression.
  EXPECT_THROW(checked_snapshot_text(f, frame), CorruptedDataError);
}

// Two snapshots written straight into backups, the older of `documents`
// contacts (several megabytes: read and compressed in many pieces).
std::vector<SnapshotInfo> two_snapshots(const std::string& backups, int documents,
                                        Collections* older) {
  auto fs = posix_file_system();
  for (int i = 0; i < documents; ++i)
    (*older)["contacts"]["c" + std::to_string(i)] = contact(i);
  write_snapshot(*fs, backups, *older, 10, 1'795'000'000'000'000'000);
  write_snapshot(*fs, backups, {{"contacts", {{"a", contact(1, 1)}}}}, 11,
                 1'795'000'001'000'000'000);
  return list_snapshots(*fs, backups);
}

TEST(SnapshotCompression, AFileOfManyPiecesIsCompressedIntoOneFrameOfItsText) {
  TempDir dir;
  Collections older;
  std::vector<SnapshotInfo> before = two_snapshots(dir.path(), 60'000, &older);
  ASSERT_GT(before[1].files[0].bytes, 4u << 20);  // more than four pieces
  auto fs = posix_file_system();
  EXPECT_EQ(
      compress_older_snapshots(*fs, dir.path(), [](const SnapshotInfo&) { return true; }),
      std::vector<std::string>{before[1].id});
  SnapshotInfo after = list_snapshots(*fs, dir.path())[1];
  ASSERT_TRUE(after.files[0].compressed());
  std::string frame = read_bytes(dir / after.files[0].file);
  EXPECT_EQ(frame.size(), after.files[0].stored_bytes);
  // One frame that records the text's size (zstd_decompress checks it).
  EXPECT_EQ(zstd_decompress(frame, after.files[0].bytes, "f"),
            serialize_collection(older["contacts"]));
  EXPECT_EQ(load_snapshot(*fs, dir.path(), after), older);
}

// The check runs on the bytes read for compression, whatever an earlier
// check found: a file changed since is not compressed, and stays as it is.
TEST(SnapshotCompression, AFileDamagedAfterItsCheckIsNotCompressedAndStaysPlain) {
  TempDir dir;
  Collections older;
  std::vector<SnapshotInfo> before = two_snapshots(dir.path(), 20'000, &older);
  std::string path = dir / before[1].files[0].file;
  std::string text = read_bytes(path);
  text[text.size() - 100] ^= 1;  // same size, one bit in the last piece
  write_bytes(path, text);
  auto fs = posix_file_system();
  EXPECT_TRUE(compress_older_snapshots(*fs, dir.path(), [](const SnapshotInfo&) {
                return true;  // as a cached check of the file before the flip says
              }).empty());
  SnapshotInfo after = list_snapshots(*fs, dir.path())[1];
  EXPECT_FALSE(after.files[0].compressed());
  EXPECT_TRUE(after.pending_files.empty());
  EXPECT_EQ(read_bytes(path), text);
  EXPECT_FALSE(std::filesystem::exists(
      dir / compressed_snapshot_file_name("contacts", before[1].id)));
  EXPECT_FALSE(std::filesystem::exists(
      dir / (compressed_snapshot_file_name("contacts", before[1].id) + ".tmp")));
}

TEST(SnapshotCompression, InspectSaysWhatTakesTheSpace) {
  TempDir dir;
  uint64_t live = 0;
  {
    auto store = Store::open(dir.path(), manual_options());
    three_snapshots(*store);
    store->put("contacts", "after", contact(99));
    for (const auto& [_, collection] : store->state())
      for (const auto& [key, doc] : collection) live += doc.size();
  }
  auto snapshots = snapshots_of(dir.path());
  uint64_t plain = 0, compressed = 0, json_bytes = 0, manifests = 0;
  std::set<ino_t> seen;
  for (const auto& s : snapshots) {
    manifests += std::filesystem::file_size(dir / ("backups/" + s.manifest_name()));
    for (const auto& f : s.files) {
      json_bytes += f.bytes;
      std::string path = dir / ("backups/" + f.file);
      if (!seen.insert(inode_of(path)).second) continue;  // a link counted once
      (f.compressed() ? compressed : plain) += std::filesystem::file_size(path);
    }
  }
  uint64_t journal = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "journal"))
    if (e.path().extension() == ".log") journal += e.file_size();

  CommandResult r = run_pa_journal({"--dir", dir.path(), "--json", "inspect"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  nlohmann::json disk = nlohmann::json::parse(r.out).at("disk");
  EXPECT_EQ(disk.at("journal"), journal);
  EXPECT_EQ(disk.at("snapshots"), plain);
  EXPECT_EQ(disk.at("compressed_snapshots"), compressed);
  EXPECT_GT(compressed, 0u);
  EXPECT_EQ(disk.at("snapshots_uncompressed"), json_bytes);
  EXPECT_EQ(disk.at("manifests"), manifests);
  EXPECT_EQ(disk.at("state_files"), 0u);  // links of the newest snapshot's files
  EXPECT_EQ(disk.at("live_state"), live);
  EXPECT_EQ(disk.at("total"), journal + plain + compressed + manifests);

  CommandResult text = run_pa_journal({"--dir", dir.path(), "inspect"});
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_NE(text.out.find("disk         "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" compressed (of "), std::string::npos) << text.out;
}

TEST(AutomaticCompaction, TheTriggerIsAShareOfTheNewestSnapshotWithFloors) {
  TempDir dir;
  {
    auto store = Store::open(dir.path(), manual_options());
    for (int i = 0; i < 2000; ++i) store->put("contacts", std::to_string(i), contact(i));
    store->compact();
  }
  SnapshotInfo newest = snapshots_of(dir.path()).front();
  Options options = manual_options();
  options.compact_after_percent = 10;
  options.compact_after_bytes = 1024;
  options.compact_after_records = 50;
  auto compactor = [&](const Options& o) {
    return std::make_unique<Compactor>(posix_file_system(), dir.path(), o, nullptr,
                                       nullptr, nullptr, nullptr, newest.seq);
  };
  // A tenth of the state: its JSON bytes, and its documents in records.
  EXPECT_EQ(compactor(options)->bytes_threshold(), newest.bytes() / 100 * 10);
  EXPECT_EQ(compactor(options)->records_threshold(), 200u);
  // The floors decide while the state is small.
  options.compact_after_bytes = newest.bytes();
  options.compact_after_records = 100000;
  EXPECT_EQ(compactor(options)->bytes_threshold(), newest.bytes());
  EXPECT_EQ(compactor(options)->records_threshold(), 100000u);
  // No snapshot yet: the floors alone.
  TempDir empty;
  Store::open(empty.path(), manual_options()).reset();
  Compactor fresh(posix_file_system(), empty.path(), options, nullptr, nullptr, nullptr,
                  nullptr, 0);
  EXPECT_EQ(fresh.bytes_threshold(), newest.bytes());
}

// The store before the compaction under test: two snapshots (the older one
// compressed) and records after them.
struct Template {
  TempDir dir;
  Collections expected;
  Template() {
    auto store = Store::open(dir.path(), manual_options());
    store->put("notes", "n1", R"({"text":"unchanged"})");
    for (int round = 0; round < 3; ++round) {
      for (int i = 0; i < 30; ++i)
        store->put("contacts", std::to_string(i), contact(i, round));
      if (round < 2) store->compact();
    }
    expected = store->state();
  }
  std::unique_ptr<TempDir> copy() const {
    auto out = std::make_unique<TempDir>();
    std::filesystem::copy(dir.path(), out->path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
    return out;
  }
};

// After any crash: the store opens to the state it had, verifies, and the
// next compaction leaves backups/ holding exactly what manifests name.
void expect_recovered(const std::string& dir, const Collections& expected) {
  {
    auto store = Store::open(dir, manual_options());
    EXPECT_EQ(store->state(), expected);
    EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().summary();
  }
  VerifyResult v = verify_store(dir);
  EXPECT_TRUE(v.ok()) << (v.damage.empty() ? "" : v.damage[0].describe());
  {
    auto store = Store::open(dir, manual_options());
    store->compact();
    EXPECT_EQ(store->state(), expected);
  }
  // A torn intent's temporary stays (docs/snapshot-format.md): nothing in it
  // proves who wrote it.
  std::set<std::string> left = entries(dir + "/backups");
  std::erase_if(left, [](const std::string& name) {
    return name.ends_with(std::string(kIntentSuffix) + kTempSuffix);
  });
  EXPECT_EQ(left, named_by_manifests(dir));
  for (const auto& s : snapshots_of(dir)) EXPECT_TRUE(s.pending_files.empty()) << s.id;
  EXPECT_TRUE(verify_store(dir).ok());
}

TEST(SnapshotCompression, APowerLossAtEveryStepOfACompactionOpensToTheSameState) {
  Template base;
  uint64_t calls = 0;
  {
    auto dir = base.copy();
    auto fs = std::make_shared<PowerLossFileSystem>(dir->path());
    Options options = manual_options();
    options.file_system = fs;
    auto store = Store::open(dir->path(), options);
    uint64_t before = fs->calls();
    store->compact();
    calls = fs->calls() - before;
    store.reset();
    EXPECT_TRUE(snapshots_of(dir->path())[1].files[0].compressed());
  }
  ASSERT_GT(calls, 10u);
  std::mt19937_64 rng(calls);
  for (uint64_t nth = 1; nth <= calls; ++nth) {
    SCOPED_TRACE("power lost at call " + std::to_string(nth) + " of " +
                 std::to_string(calls));
    auto dir = base.copy();
    {
      auto fs = std::make_shared<PowerLossFileSystem>(dir->path());
      Options options = manual_options();
      options.file_system = fs;
      {
        auto store = Store::open(dir->path(), options);
        fs->cut_power_after(nth);
        try {
          store->compact();
        } catch (const StorageError&) {
        }
        try {
          store.reset();
        } catch (const StorageError&) {
        }
      }
      fs->lose_power(nth % 2 ? PowerLoss::kStrict : PowerLoss::kPartial, rng);
    }
    expect_recovered(dir->path(), base.expected);
    if (::testing::Test::HasFailure()) break;
  }
}

}  // namespace
}  // namespace pa_journal
