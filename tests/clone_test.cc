// Cloning a store from its stream alone (replication/clone.h), over the
// in-memory log: random commit streams shipped in several runs clone equal;
// compacted sources clone from a bridging snapshot; damage, a wrong key and a
// busy destination are refused and leave no half store.
#include "replication/clone.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "replication/messages.h"
#include "replication/subjects.h"
#include "tests/fault_file_system.h"
#include "tests/memory_log.h"
#include "tests/replication_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using replication::Classified;
using replication::CloneResult;
using replication::LogMessage;
using replication::PlainSealer;
using replication::Shipper;
using testing::contact;
using testing::kStream;
using testing::MemoryLog;
using testing::SavedPosition;
using testing::TempDir;

CloneResult clone(MemoryLog& log, const std::string& out,
                  const replication::SealerChooser& choose = testing::choose_plain(),
                  const replication::CloneOptions& options = {}) {
  return replication::clone_from_log(log, kStream, choose, *posix_file_system(), out,
                                     options);
}

void ship(MemoryLog& log, const replication::Sealer& sealer, const std::string& dir,
          SavedPosition& saved) {
  Shipper(log, sealer, testing::shipper_options(dir, saved)).ship();
}

// The stream seq of the first message of kind.
LogMessage& first_of(MemoryLog& log, Classified::Kind kind) {
  for (LogMessage& m : log.messages(kStream)) {
    if (replication::classify(m, kStream, testing::kStoreId).kind == kind) return m;
  }
  throw std::runtime_error("no such message");
}

// One random commit on store: puts, patches and deletes over a few keys.
void random_commit(Store& store, std::mt19937& rng, int n) {
  std::vector<Operation> ops;
  int count = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < count; ++i) {
    std::string key = "k" + std::to_string(rng() % 12);
    std::string collection = rng() % 2 ? "contacts" : "notes";
    switch (rng() % 4) {
      case 0:
        if (store.get(collection, key)) {
          ops.emplace_back(OpKind::kDelete, collection, key);
          break;
        }
        [[fallthrough]];
      case 1:
        if (store.get(collection, key)) {
          ops.emplace_back(OpKind::kPatch, collection, key,
                           R"({"patched":)" + std::to_string(n) + "}");
          break;
        }
        [[fallthrough]];
      default:
        ops.emplace_back(OpKind::kPut, collection, key, contact(n, i));
    }
  }
  try {
    store.commit(std::move(ops), rng() % 5 == 0 ? "origin " + std::to_string(n) : "");
  } catch (const InvalidInputError&) {
    // Two operations on one key in a commit that the store refuses: skip it.
  } catch (const NotFoundError&) {
    // A patch after a delete of the same key in one commit: skip it.
  }
}

// The clone holds the source's state, its backups, and its history: every
// record the source still holds, and (before them) the records it held when
// they were shipped.
void expect_clone_equal(const std::string& source, const std::string& cloned) {
  testing::StoreImage a = testing::image_of(source);
  testing::StoreImage b = testing::image_of(cloned);
  EXPECT_EQ(a.state, b.state);
  for (const auto& backup : a.backups) {
    EXPECT_NE(std::find(b.backups.begin(), b.backups.end(), backup), b.backups.end())
        << backup.first;
  }
  ASSERT_GE(b.records.size(), a.records.size());
  std::vector<Record> tail(b.records.end() - a.records.size(), b.records.end());
  EXPECT_EQ(tail, a.records);
  for (size_t i = 1; i < b.records.size(); ++i) {
    EXPECT_EQ(b.records[i].seq, b.records[i - 1].seq + 1);
  }
}

TEST(CloneTest, RandomCommitStreamsWithCompactionsShippedInSeveralRunsCloneEqual) {
  size_t bridges = 0;
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    TempDir dir, out;
    MemoryLog log;
    PlainSealer plain;
    SavedPosition saved;
    auto store = Store::open(dir.path(), testing::test_store_options());
    int n = 0;
    for (int run = 0; run < 5; ++run) {
      int commits = 5 + static_cast<int>(rng() % 40);
      for (int i = 0; i < commits; ++i) random_commit(*store, rng, ++n);
      if (rng() % 2) store->compact();
      if (rng() % 3 == 0) {
        // Retention that no replica holds back (that is the store's part)
        // removes segments not shipped yet: the next ship bridges the hole.
        random_commit(*store, rng, ++n);
        store->compact();
        store->retain_backups(1);
      }
      ship(log, plain, dir.path(), saved);
    }
    std::string target = out / "clone";
    CloneResult result = clone(log, target);
    bridges += result.bridged_holes.size();
    EXPECT_EQ(result.store_id, testing::kStoreId);
    EXPECT_EQ(result.last_seq, store->last_seq());
    store.reset();
    expect_clone_equal(dir.path(), target);
    EXPECT_EQ(testing::read_bytes(target + "/STORE_ID"),
              std::string(testing::kStoreId) + "\n");
    // The clone opens writable as an ordinary store and takes commits.
    auto cloned = Store::open(target, testing::test_store_options());
    cloned->put("contacts", "after-clone", "{}");
    EXPECT_EQ(cloned->last_seq(), result.last_seq + 1);
    // ... and its journal holds no hole before that commit, even where the
    // stream ended with a snapshot past its last record.
    cloned.reset();
    Options strict = testing::test_store_options();
    strict.recovery = RecoveryMode::kStrict;
    auto reopened = Store::open(target, strict);
    EXPECT_EQ(reopened->last_seq(), result.last_seq + 1);
    EXPECT_TRUE(reopened->get("contacts", "after-clone").has_value());
  }
  EXPECT_GT(bridges, 0u) << "no run left a hole to bridge";
}

// Each run is cut short by a broken connection (messages stored, no acks)
// or a kill before the position is saved, at a random point, then shipped
// again: the stream ends up holding every message once, in order.
TEST(CloneTest, RandomRunsCutByBrokenLogsAndKillsCloneEqualWithoutDuplicates) {
  for (uint32_t seed = 11; seed <= 16; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    TempDir dir, out;
    MemoryLog log;
    PlainSealer plain;
    SavedPosition saved;
    auto store = Store::open(dir.path(), testing::test_store_options());
    int n = 0;
    for (int run = 0; run < 6; ++run) {
      for (int i = 0, commits = 5 + static_cast<int>(rng() % 30); i < commits; ++i) {
        random_commit(*store, rng, ++n);
      }
      if (rng() % 3 == 0) store->compact();
      if (rng() % 2) {
        log.break_after(rng() % 20);
      } else {
        saved.kill_at_save = saved.saves + 1 + static_cast<int>(rng() % 4);
      }
      for (int attempt = 0; attempt < 3; ++attempt) {
        try {
          ship(log, plain, dir.path(), saved);
          break;
        } catch (const ReplicationError& e) {
          ASSERT_TRUE(e.unavailable()) << e.what();
        } catch (const testing::Killed&) {
        }
      }
      saved.kill_at_save = 0;
    }
    ship(log, plain, dir.path(), saved);
    std::set<std::string> ids;
    for (const LogMessage& m : log.messages(kStream)) {
      EXPECT_TRUE(
          ids.insert(std::string(*replication::find_header(m.headers, "Nats-Msg-Id")))
              .second)
          << replication::describe(m);
    }
    CloneResult result = clone(log, out / "clone");
    EXPECT_EQ(result.last_seq, store->last_seq());
    store.reset();
    expect_clone_equal(dir.path(), out / "clone");
  }
}

TEST(CloneTest, CloneOfASealedStreamOpensWhatTheShipperSealed) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 30; ++i) store->put("contacts", std::to_string(i), contact(i));
  store->compact();
  store->put("contacts", "late", R"({"secret":"plaintext-must-not-leak"})");
  store.reset();
  MemoryLog log;
  testing::XorSealer sealer(99);
  SavedPosition saved;
  auto options = testing::shipper_options(dir.path(), saved);
  options.sealing_json = R"({"cipher":"test"})";
  Shipper(log, sealer, options).ship();
  EXPECT_EQ(log.all_bytes(kStream).find("plaintext-must-not-leak"), std::string::npos);
  EXPECT_EQ(log.all_bytes(kStream).find("Person 1"), std::string::npos);
  clone(log, out / "clone", testing::choose_xor(99));
  expect_clone_equal(dir.path(), out / "clone");
}

// A wrong key that the chooser cannot tell (the test sealer has no check in
// the meta) fails on the first record, which does not open; a chooser that
// knows (no key for a sealed stream) throws KeyError before anything.
TEST(CloneTest, WrongKeyOrNoKeyIsRefusedAndLeavesNothing) {
  TempDir dir, out;
  Store::open(dir.path(), testing::test_store_options())->put("contacts", "a", "{}");
  MemoryLog log;
  testing::XorSealer sealer(1);
  SavedPosition saved;
  ship(log, sealer, dir.path(), saved);
  std::string target = out / "clone";
  try {
    clone(log, target, testing::choose_xor(2));
    FAIL() << "a wrong key opened the stream";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("does not open"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(std::filesystem::exists(target + ".clone-partial"));
  EXPECT_THROW(clone(log, target,
                     [](const std::string&,
                        const std::string&) -> std::unique_ptr<replication::Sealer> {
                       throw KeyError("no key for stream TEST");
                     }),
               KeyError);
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(CloneTest, CompactedSourceClonesFromItsBridgingSnapshotWithTheSameState) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 60; ++i) store->put("contacts", std::to_string(i % 25), contact(i));
  store->compact();
  for (int i = 60; i < 80; ++i)
    store->put("contacts", std::to_string(i % 25), contact(i));
  store->compact();
  store->retain_backups(1);
  store->put("notes", "after", R"({"text":"after the snapshot"})");
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  CloneResult result = clone(log, out / "clone");
  ASSERT_EQ(result.bridged_holes.size(), 1u);
  EXPECT_EQ(result.bridged_holes[0].first_seq, 1u);
  testing::StoreImage source = testing::image_of(dir.path());
  testing::StoreImage cloned = testing::image_of(out / "clone");
  EXPECT_EQ(cloned.state, source.state);
  EXPECT_EQ(cloned.records, source.records);  // the history the source still has
  EXPECT_EQ(cloned.backups, source.backups);
  EXPECT_TRUE(std::filesystem::exists(out / "clone/contacts.json"));
}

TEST(CloneTest, HoleMidStreamBridgedBySnapshotClonesTheSameState) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  for (int i = 0; i < 10; ++i) store->put("contacts", std::to_string(i), contact(i));
  ship(log, plain, dir.path(), saved);
  // Compaction (no replica holding it back here) removes unshipped records.
  for (int i = 10; i < 70; ++i)
    store->put("contacts", std::to_string(i % 30), contact(i));
  store->compact();
  store->put("notes", "n", "{}");
  store->compact();
  store->retain_backups(1);
  store->put("notes", "m", "{}");
  store.reset();
  ship(log, plain, dir.path(), saved);
  CloneResult result = clone(log, out / "clone");
  ASSERT_EQ(result.bridged_holes.size(), 1u);
  EXPECT_EQ(result.bridged_holes[0].first_seq, 11u);
  testing::StoreImage source = testing::image_of(dir.path());
  testing::StoreImage cloned = testing::image_of(out / "clone");
  EXPECT_EQ(cloned.state, source.state);
  EXPECT_EQ(cloned.records, source.records);
}

TEST(CloneTest, LossFrameOfASalvageIsShippedAndClonedLikeARecord) {
  TempDir dir, out;
  Options options = testing::test_store_options();
  options.segment_bytes = 1 << 20;
  {
    auto store = Store::open(dir.path(), options);
    for (int i = 1; i <= 10; ++i) store->put("contacts", std::to_string(i), contact(i));
  }
  std::string segment = testing::segment_path(dir.path());
  std::string data = testing::read_bytes(segment);
  data[testing::frames_of(data).at(4).offset + 19] ^= 0x5a;  // record 5's payload
  testing::write_bytes(segment, data);
  options.recovery = RecoveryMode::kSalvage;
  Store::open(dir.path(), options).reset();  // writes a loss frame for record 5
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  const LogMessage& loss = log.messages(kStream)[5];
  EXPECT_EQ(*replication::find_header(loss.headers, "Pa-Journal-Lost-From"), "5");
  EXPECT_EQ(*replication::find_header(loss.headers, "Pa-Journal-Seq"), "5");
  CloneResult result = clone(log, out / "clone");
  EXPECT_EQ(result.records, 10u);
  testing::StoreImage source = testing::image_of(dir.path());
  testing::StoreImage cloned = testing::image_of(out / "clone");
  EXPECT_EQ(cloned.records.size(), 9u);
  EXPECT_EQ(cloned.records, source.records);
  EXPECT_EQ(cloned.state, source.state);
}

TEST(CloneTest, DamagedRecordMessageIsRefusedNamingItAndLeavesNoStore) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 5; ++i) store->put("contacts", std::to_string(i), contact(i));
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  LogMessage& record = log.messages(kStream)[3];  // journal seq 3
  record.data[record.data.size() - 3] ^= 0x20;
  std::string target = out / "clone";
  try {
    clone(log, target);
    FAIL() << "a damaged record was cloned";
  } catch (const CorruptedDataError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("stream seq 4"), std::string::npos) << what;
    EXPECT_NE(what.find(std::string(testing::kStoreId) + ":3"), std::string::npos)
        << what;
    EXPECT_NE(what.find("checksum"), std::string::npos) << what;
  }
  EXPECT_FALSE(std::filesystem::exists(target));
  EXPECT_FALSE(std::filesystem::exists(target + ".clone-partial"));
}

TEST(CloneTest, DamagedSnapshotChunkIsRefusedNamingTheSnapshot) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 5; ++i) store->put("contacts", std::to_string(i), contact(i));
  std::string id = store->compact().snapshot_id;
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  LogMessage& chunk = first_of(log, Classified::Kind::kChunk);
  chunk.data[chunk.data.size() / 2] ^= 0x01;
  try {
    clone(log, out / "clone");
    FAIL() << "a damaged snapshot was cloned";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("snapshot " + id), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(out / "clone"));
}

// The chunks name the seq their snapshot covers (it tells two snapshots with
// one id apart); a bundle whose manifest says another seq is damage.
TEST(CloneTest, ChunkNamingAnotherSeqThanItsBundleIsRefusedAndLeavesNoStore) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 5; ++i) store->put("contacts", std::to_string(i), contact(i));
  CompactionResult compacted = store->compact();
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  LogMessage& chunk = first_of(log, Classified::Kind::kChunk);
  uint64_t other_seq = compacted.seq + 1;
  for (auto& [key, value] : chunk.headers) {
    if (key == replication::kSnapshotSeqHeader) value = std::to_string(other_seq);
    if (key == replication::kMsgIdHeader) {
      value = replication::snapshot_chunk_msg_id(testing::kStoreId, compacted.snapshot_id,
                                                 other_seq, 0);
    }
  }
  ASSERT_EQ(replication::classify(chunk, kStream, testing::kStoreId).snapshot_seq,
            other_seq);
  try {
    clone(log, out / "clone");
    FAIL() << "a snapshot was cloned under another seq";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("a bundle of snapshot " + compacted.snapshot_id +
                                         " (seq " + std::to_string(compacted.seq) + ")"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(out / "clone"));
}

TEST(CloneTest, MissingRecordMessageIsRefusedNamingTheMissingSequenceNumbers) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 6; ++i) store->put("contacts", std::to_string(i), contact(i));
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  log.drop(kStream, 4);  // journal seq 3
  try {
    clone(log, out / "clone");
    FAIL() << "a hole was cloned";
  } catch (const CorruptedDataError& e) {
    EXPECT_NE(std::string(e.what()).find("records 3 to 3 missing"), std::string::npos)
        << e.what();
  }
}

// Every write, sync, open, rename, directory sync or creation of a clone made
// to fail in turn: the clone throws IoError and leaves neither the store nor
// its temporary directory, or (the sync after the rename) the whole store.
TEST(CloneTest, FailedFileOperationAnywhereLeavesNoHalfStore) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  for (int i = 0; i < 30; ++i) store->put("contacts", std::to_string(i), contact(i));
  store->compact();
  store->put("contacts", "late", "{}");
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  Collections expected = testing::image_of(dir.path()).state;
  auto fs = std::make_shared<testing::FaultFileSystem>();
  int faults = 0, attempts = 0;
  for (testing::FsOp op :
       {testing::FsOp::kAppend, testing::FsOp::kSync, testing::FsOp::kOpen,
        testing::FsOp::kRename, testing::FsOp::kSyncDir, testing::FsOp::kCreateDir}) {
    for (uint64_t nth = 1; nth <= 200; ++nth) {
      SCOPED_TRACE(std::string(testing::to_string(op)) + " " + std::to_string(nth));
      std::string target = out / ("clone-" + std::to_string(++attempts));
      fs->heal();
      fs->fail(op, nth);
      try {
        replication::clone_from_log(log, kStream, testing::choose_plain(), *fs, target);
      } catch (const IoError&) {
        ++faults;
        EXPECT_FALSE(std::filesystem::exists(target + ".clone-partial"));
        // The sync after the rename failed: the store is whole.
        if (std::filesystem::exists(target)) {
          EXPECT_EQ(testing::image_of(target).state, expected);
        }
        continue;
      }
      EXPECT_EQ(testing::image_of(target).state, expected);
      break;
    }
  }
  EXPECT_GT(faults, 10);
}

TEST(CloneTest, DestinationThatHoldsFilesIsRefusedUntouched) {
  TempDir dir, out;
  Store::open(dir.path(), testing::test_store_options())->put("contacts", "a", "{}");
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  testing::write_bytes(out / "keep.txt", "mine");
  EXPECT_THROW(clone(log, out.path()), InvalidInputError);
  EXPECT_EQ(testing::read_bytes(out / "keep.txt"), "mine");
  EXPECT_FALSE(std::filesystem::exists(out / "journal"));
  // An empty directory is taken.
  std::filesystem::create_directory(out / "empty");
  clone(log, out / "empty");
  EXPECT_EQ(testing::image_of(out / "empty").state, testing::image_of(dir.path()).state);
}

TEST(CloneTest, CloneAtATimeHoldsTheStateOfThatMoment) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  int64_t middle = 0;
  for (int i = 0; i < 20; ++i) {
    CommitResult r = store->put("contacts", std::to_string(i), contact(i));
    if (i == 9) middle = r.time_ns;
    if (i == 14) store->compact();
  }
  Collections at_middle;
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  replication::CloneOptions options;
  options.until_ns = middle;
  CloneResult result = clone(log, out / "clone", testing::choose_plain(), options);
  EXPECT_EQ(result.last_seq, 10u);
  EXPECT_TRUE(result.snapshots.empty());  // the snapshot is later than the moment
  testing::StoreImage cloned = testing::image_of(out / "clone");
  EXPECT_EQ(cloned.state["contacts"].size(), 10u);
  EXPECT_EQ(cloned.records.size(), 10u);
}

TEST(CloneTest, CloneAtATimeBeforeEverythingIsRefusedAndLeavesNothing) {
  TempDir dir, out;
  auto store = Store::open(dir.path(), testing::test_store_options());
  CommitResult first = store->put("contacts", "1", contact(1));
  store.reset();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ship(log, plain, dir.path(), saved);
  replication::CloneOptions options;
  options.until_ns = first.time_ns - 1;
  EXPECT_THROW(clone(log, out / "clone", testing::choose_plain(), options),
               InvalidInputError);
  EXPECT_FALSE(std::filesystem::exists(out / "clone"));
  EXPECT_FALSE(std::filesystem::exists(out / "clone" + ".clone-partial"));
}

TEST(CloneTest, StreamThatIsNotAStoresReplicaIsRefused) {
  TempDir out;
  MemoryLog log;
  EXPECT_THROW(clone(log, out / "clone"), ReplicationError);  // no stream
  log.ensure_stream({kStream, {"pa-journal.TEST.>"}, 0});
  log.append_foreign(kStream, {"pa-journal.TEST.rec", "x", "data", {}});
  try {
    clone(log, out / "clone");
    FAIL() << "a stream without meta was cloned";
  } catch (const ReplicationError& e) {
    EXPECT_NE(std::string(e.what()).find("meta"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(out / "clone"));
}

}  // namespace
}  // namespace pa_journal
