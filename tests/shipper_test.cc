// The shipper over the in-memory log (replication/shipper.h): order, the
// position as the commit point, resume after a kill, refusals, snapshots,
// holes and their bridges, sealing, follow and its lag.
#include "replication/shipper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <thread>

#include "journal/layout.h"
#include "pa_journal/errors.h"
#include "pa_journal/store.h"
#include "replication/clone.h"
#include "replication/messages.h"
#include "replication/subjects.h"
#include "tests/memory_log.h"
#include "tests/replication_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using replication::Classified;
using replication::LogMessage;
using replication::PlainSealer;
using replication::Shipper;
using replication::ShipStatus;
using testing::contact;
using testing::kStream;
using testing::MemoryLog;
using testing::SavedPosition;
using testing::TempDir;

// Puts contacts from .. to - 1, one commit each.
void put_contacts(Store& store, int from, int to, int version = 0) {
  for (int i = from; i < to; ++i)
    store.put("contacts", std::to_string(i), contact(i, version));
}

std::unique_ptr<Store> store_with(const std::string& dir, int records) {
  auto store = Store::open(dir, testing::test_store_options());
  put_contacts(*store, 0, records);
  return store;
}

std::vector<Classified> classified(MemoryLog& log) {
  std::vector<Classified> out;
  for (const LogMessage& m : log.messages(kStream)) {
    out.push_back(replication::classify(m, kStream, testing::kStoreId));
  }
  return out;
}

// The journal seqs of the record messages, in stream order.
std::vector<uint64_t> record_seqs(MemoryLog& log) {
  std::vector<uint64_t> seqs;
  for (const Classified& c : classified(log)) {
    if (c.kind == Classified::Kind::kRecord) seqs.push_back(c.seq);
  }
  return seqs;
}

std::vector<uint64_t> one_to(uint64_t n) {
  std::vector<uint64_t> seqs;
  for (uint64_t i = 1; i <= n; ++i) seqs.push_back(i);
  return seqs;
}

TEST(ShipperTest, ShipsMetaFirstThenEveryRecordInOrderAndSavesThePosition) {
  TempDir dir;
  store_with(dir.path(), 20);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ShipStatus status =
      Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  std::vector<Classified> messages = classified(log);
  ASSERT_EQ(messages.size(), 21u);
  EXPECT_EQ(messages[0].kind, Classified::Kind::kMeta);
  EXPECT_EQ(record_seqs(log), one_to(20));
  ASSERT_TRUE(saved.value);
  EXPECT_EQ(saved.value->acked_seq, 20u);
  EXPECT_EQ(saved.value->stream_seq, 21u);
  EXPECT_EQ(status.durable_seq, 20u);
  EXPECT_EQ(status.records_behind, 0u);
  EXPECT_EQ(status.records_published, 20u);
  const LogMessage& first = log.messages(kStream)[1];
  EXPECT_EQ(*replication::find_header(first.headers, "Pa-Journal-Seq"), "1");
  EXPECT_EQ(*replication::find_header(first.headers, "Nats-Msg-Id"),
            std::string(testing::kStoreId) + ":1");
}

TEST(ShipperTest, DirectoryWithoutAStoreIsNotFoundAndNothingIsPublished) {
  TempDir dir;
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  EXPECT_THROW(Shipper(log, plain, testing::shipper_options(dir / "none", saved)).ship(),
               NotFoundError);
  EXPECT_FALSE(log.stream_state(kStream));
  EXPECT_FALSE(std::filesystem::exists(dir / "none"));
}

TEST(ShipperTest, RecordMessageHoldsTheJournalFrameByteForByte) {
  TempDir dir;
  store_with(dir.path(), 1);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  std::string segment = testing::read_bytes(testing::segment_path(dir.path()));
  auto frames = testing::frames_of(segment);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(log.messages(kStream)[1].data,
            segment.substr(frames[0].offset, frames[0].size));
}

// A later pass of the same shipper reads its segment from just after the
// last frame acknowledged: bytes before it are not read again (damage there
// goes unseen by it, and is found by a fresh shipper, which reads them all).
TEST(ShipperTest, LaterPassReadsTheGrowingSegmentFromWhereTheLastOneEnded) {
  TempDir dir;
  Options options = testing::test_store_options();
  options.segment_bytes = 1 << 20;
  auto store = Store::open(dir.path(), options);
  put_contacts(*store, 0, 5);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper shipper(log, plain, testing::shipper_options(dir.path(), saved));
  shipper.ship();
  put_contacts(*store, 5, 9);
  store->sync();
  std::string segment = testing::read_bytes(testing::segment_path(dir.path()));
  auto frames = testing::frames_of(segment);
  ASSERT_GE(frames.size(), 9u);  // and perhaps the reserved space, walked as one
  // Damage record 2, shipped already.
  std::string damaged = segment;
  damaged[frames[1].offset + 20] ^= 0x40;
  testing::write_bytes(testing::segment_path(dir.path()), damaged);
  EXPECT_EQ(shipper.ship().acked_seq, 9u);
  const auto& messages = log.messages(kStream);
  for (size_t i = 5; i < 9; ++i) {
    EXPECT_EQ(messages[i + 1].data, segment.substr(frames[i].offset, frames[i].size))
        << i;
  }
  SavedPosition fresh;
  MemoryLog other;
  EXPECT_THROW(Shipper(other, plain, testing::shipper_options(dir.path(), fresh)).ship(),
               CorruptedDataError);
  testing::write_bytes(testing::segment_path(dir.path()), segment);
}

TEST(ShipperTest, LaterShipPublishesOnlyTheNewRecords) {
  TempDir dir;
  auto store = store_with(dir.path(), 10);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper shipper(log, plain, testing::shipper_options(dir.path(), saved));
  shipper.ship();
  put_contacts(*store, 10, 25);
  ShipStatus status = shipper.ship();
  EXPECT_EQ(record_seqs(log), one_to(25));
  EXPECT_EQ(status.acked_seq, 25u);
  // A new shipper (a restart) with the saved position publishes nothing more.
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  EXPECT_EQ(record_seqs(log), one_to(25));
}

TEST(ShipperTest, KillBetweenPublishAndSaveResumesWithNoDuplicateAndNoGap) {
  TempDir dir;
  store_with(dir.path(), 30);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  saved.kill_at_save = 3;  // meta, batch 1, then killed after batch 2 was acked
  EXPECT_THROW(Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship(),
               testing::Killed);
  ASSERT_TRUE(saved.value);
  EXPECT_EQ(saved.value->acked_seq, 7u);
  EXPECT_EQ(record_seqs(log), one_to(14));  // the stream is ahead of the position
  ShipStatus status =
      Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  EXPECT_EQ(record_seqs(log), one_to(30));
  EXPECT_EQ(status.acked_seq, 30u);
  EXPECT_EQ(saved.value->stream_seq, 31u);
}

TEST(ShipperTest, LogUnavailableMidBatchSavesOnlyWhatWasAckedThenResumes) {
  TempDir dir;
  store_with(dir.path(), 30);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  log.break_after(12);  // meta, a batch of 7, then 4 of the next batch stored, no ack
  try {
    Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
    FAIL() << "the broken log did not stop the shipper";
  } catch (const ReplicationError& e) {
    EXPECT_TRUE(e.unavailable());
  }
  EXPECT_EQ(saved.value->acked_seq, 7u);
  EXPECT_EQ(record_seqs(log), one_to(11));
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  EXPECT_EQ(record_seqs(log), one_to(30));
  EXPECT_EQ(saved.value->acked_seq, 30u);
}

TEST(ShipperTest, UnavailableLogThrowsUnavailableAndSavesNothing) {
  TempDir dir;
  store_with(dir.path(), 5);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  log.set_unavailable(true);
  try {
    Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
    FAIL() << "an unavailable log did not stop the shipper";
  } catch (const ReplicationError& e) {
    EXPECT_TRUE(e.unavailable());
  }
  EXPECT_FALSE(saved.value);
  log.set_unavailable(false);
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  EXPECT_EQ(record_seqs(log), one_to(5));
}

TEST(ShipperTest, MessageAnotherPublisherWroteIsRefusedNamingTheSequenceNumbers) {
  TempDir dir;
  auto store = store_with(dir.path(), 5);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  replication::OutMessage intruder =
      replication::record_message(kStream, testing::kStoreId, plain, 9, 0, "not a frame");
  log.append_foreign(kStream, intruder);  // stream seq 7
  put_contacts(*store, 5, 10);
  try {
    Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
    FAIL() << "the foreign message was not found";
  } catch (const ReplicationError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("stream seq 7"), std::string::npos) << what;
    EXPECT_NE(what.find("record 9 where record 6 was due"), std::string::npos) << what;
    EXPECT_FALSE(e.unavailable());
  }
  EXPECT_EQ(saved.value->acked_seq, 5u);
}

TEST(ShipperTest, MessageSlippedInWhileShippingFailsTheExpectedLastSequence) {
  TempDir dir;
  auto store = store_with(dir.path(), 5);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper shipper(log, plain, testing::shipper_options(dir.path(), saved));
  shipper.ship();
  log.append_foreign(kStream, {"pa-journal.TEST.rec", "x", "x", {}});
  put_contacts(*store, 5, 10);
  EXPECT_THROW(shipper.ship(), ReplicationError);
  EXPECT_EQ(saved.value->acked_seq, 5u);
}

TEST(ShipperTest, StreamOfAnotherStoreIsRefusedNamingBothIds) {
  TempDir dir;
  store_with(dir.path(), 3);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved, other;
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  try {
    Shipper(log, plain,
            testing::shipper_options(dir.path(), other, testing::kOtherStoreId))
        .ship();
    FAIL() << "another store's stream was taken";
  } catch (const ReplicationError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(testing::kStoreId), std::string::npos) << what;
    EXPECT_NE(what.find(testing::kOtherStoreId), std::string::npos) << what;
    EXPECT_NE(what.find(kStream), std::string::npos) << what;
  }
  EXPECT_FALSE(other.value);
}

TEST(ShipperTest, StreamThatLostAcknowledgedMessagesIsRefused) {
  TempDir dir;
  store_with(dir.path(), 3);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  saved.value = replication::ShipPosition{3, 4, {}};  // acked by a stream since lost
  try {
    Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
    FAIL() << "a stream behind the position was taken";
  } catch (const ReplicationError& e) {
    EXPECT_NE(std::string(e.what()).find("lost what it acknowledged"), std::string::npos)
        << e.what();
  }
}

TEST(ShipperTest, SealedStreamWithoutKeyIsAKeyError) {
  TempDir dir;
  store_with(dir.path(), 3);
  MemoryLog log;
  PlainSealer plain;
  testing::XorSealer sealer(42);
  SavedPosition saved, second;
  auto options = testing::shipper_options(dir.path(), saved);
  options.sealing_json = R"({"cipher":"test"})";
  Shipper(log, sealer, options).ship();
  EXPECT_THROW(Shipper(log, plain, testing::shipper_options(dir.path(), second)).ship(),
               KeyError);
}

TEST(ShipperTest, SnapshotIsPublishedAfterTheRecordsItCovers) {
  TempDir dir;
  auto store = store_with(dir.path(), 10);
  CompactionResult compacted = store->compact();
  put_contacts(*store, 10, 15);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ShipStatus status =
      Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  std::vector<Classified> messages = classified(log);
  auto chunk = std::find_if(messages.begin(), messages.end(), [](const Classified& c) {
    return c.kind == Classified::Kind::kChunk;
  });
  ASSERT_NE(chunk, messages.end());
  EXPECT_EQ(chunk->snapshot, compacted.snapshot_id);
  EXPECT_EQ(chunk->count, 1u);
  // Every record up to the snapshot's seq comes before it.
  uint64_t before = 0;
  for (auto it = messages.begin(); it != chunk; ++it) {
    if (it->kind == Classified::Kind::kRecord) before = it->seq;
  }
  EXPECT_GE(before, compacted.seq);
  EXPECT_EQ(status.snapshots_published, std::vector<std::string>{compacted.snapshot_id});
  EXPECT_EQ(saved.value->snapshots, (std::vector<replication::ShippedSnapshot>{
                                        {compacted.snapshot_id, compacted.seq}}));
  EXPECT_EQ(record_seqs(log), one_to(15));
}

TEST(ShipperTest, LargeSnapshotIsCutIntoChunksOfAtMost256KiB) {
  TempDir dir;
  auto store = Store::open(dir.path(), testing::test_store_options());
  std::string big(40000, 'x');
  for (int i = 0; i < 20; ++i) store->put("blobs", std::to_string(i), "\"" + big + "\"");
  store->compact();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  uint64_t chunks = 0;
  for (const LogMessage& m : log.messages(kStream)) {
    auto c = replication::classify(m, kStream, testing::kStoreId);
    if (c.kind != Classified::Kind::kChunk) continue;
    EXPECT_EQ(c.index, chunks++);
    EXPECT_EQ(c.count, 4u);  // 800 KB of text
    EXPECT_LE(m.data.size(), replication::kMaxChunkBytes);
  }
  EXPECT_EQ(chunks, 4u);
}

TEST(ShipperTest, KillInsideASnapshotResumesAtTheNextChunk) {
  TempDir dir;
  auto store = Store::open(dir.path(), testing::test_store_options());
  std::string big(40000, 'y');
  for (int i = 0; i < 20; ++i) store->put("blobs", std::to_string(i), "\"" + big + "\"");
  store->compact();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  auto options = testing::shipper_options(dir.path(), saved);
  options.batch_size = 2;       // so the snapshot takes two publishes
  log.break_after(1 + 20 + 2);  // meta, the records, two of four chunks
  EXPECT_THROW(Shipper(log, plain, options).ship(), ReplicationError);
  EXPECT_TRUE(saved.value->snapshots.empty());
  Shipper(log, plain, options).ship();
  std::vector<uint64_t> indexes;
  for (const Classified& c : classified(log)) {
    if (c.kind == Classified::Kind::kChunk) indexes.push_back(c.index);
  }
  EXPECT_EQ(indexes, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(saved.value->snapshots.size(), 1u);
}

TEST(ShipperTest, StoreCompactedBeforeTheFirstShipStartsWithABridgingSnapshot) {
  TempDir dir;
  auto store = store_with(dir.path(), 60);
  CompactionResult compacted = store->compact();
  put_contacts(*store, 60, 80);
  store->compact();
  store->retain_backups(1);      // the first snapshot goes, and the journal it needed
  put_contacts(*store, 80, 85);  // after the journal the compaction rolled
  ASSERT_GT(testing::segment_count(dir.path()), 0u);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  ShipStatus status =
      Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  ASSERT_EQ(status.bridged_holes.size(), 1u);
  const auto& hole = status.bridged_holes[0];
  EXPECT_EQ(hole.first_seq, 1u);
  EXPECT_GE(hole.last_seq, compacted.seq);
  std::vector<Classified> messages = classified(log);
  ASSERT_GE(messages.size(), 3u);
  EXPECT_EQ(messages[1].kind, Classified::Kind::kChunk);
  EXPECT_EQ(messages[1].snapshot, hole.snapshot_id);
  std::vector<uint64_t> seqs = record_seqs(log);
  ASSERT_FALSE(seqs.empty());
  EXPECT_EQ(seqs.front(), hole.last_seq + 1);
  EXPECT_EQ(seqs.back(), 85u);
}

TEST(ShipperTest, HoleNoSnapshotCoversIsRefusedNamingTheMissingRecords) {
  TempDir dir;
  store_with(dir.path(), 60);
  ASSERT_GT(testing::segment_count(dir.path()), 2u);
  std::filesystem::remove(testing::segment_path(dir.path(), 0));
  uint64_t first_kept = std::stoull(
      std::filesystem::path(testing::segment_path(dir.path(), 0)).stem().string());
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  try {
    Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
    FAIL() << "a hole was shipped over";
  } catch (const ReplicationError& e) {
    std::string expected = "records 1 to " + std::to_string(first_kept - 1);
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
  EXPECT_EQ(saved.value->acked_seq, 0u);
}

// Snapshot ids are unique among the snapshots present only: once retention
// removed snapshot X, a later one in the same second is named X again. It
// covers a later seq, so its chunks carry other message ids: it is shipped,
// bridges the hole only it covers, and the clone holds it in X's place.
TEST(ShipperTest, SnapshotWithAReusedIdIsShippedBridgesTheHoleAndTheCloneHasItsState) {
  TempDir dir;
  Options options = testing::test_store_options();
  auto now = std::make_shared<std::atomic<int64_t>>(1'795'600'800'000'000'000);
  options.clock_ns = [now] { return now->fetch_add(1'000); };  // all in one second
  auto store = Store::open(dir.path(), options);
  put_contacts(*store, 0, 10);
  CompactionResult first = store->compact();
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  put_contacts(*store, 10, 70);
  store->compact();
  store->retain_backups(1);  // removes snapshot first and the segments unshipped
  store->put("notes", "n", "{}");
  CompactionResult reused = store->compact();
  ASSERT_EQ(reused.snapshot_id, first.snapshot_id);
  ASSERT_GT(reused.seq, first.seq);
  store->retain_backups(1);
  ShipStatus status =
      Shipper(log, plain, testing::shipper_options(dir.path(), saved)).ship();
  ASSERT_EQ(status.bridged_holes.size(), 1u);
  const replication::BridgedHole& hole = status.bridged_holes[0];
  EXPECT_EQ(hole.first_seq, first.seq + 1);
  EXPECT_GT(hole.last_seq, first.seq);
  EXPECT_LE(hole.last_seq, reused.seq);  // the segments retention kept follow it
  EXPECT_EQ(hole.snapshot_id, reused.snapshot_id);
  EXPECT_EQ(saved.value->acked_seq, reused.seq);
  EXPECT_EQ(
      saved.value->snapshots,
      (std::vector<replication::ShippedSnapshot>{{reused.snapshot_id, reused.seq}}));
  std::vector<std::pair<uint64_t, std::string>> chunks;  // snapshot seq, message id
  for (const LogMessage& m : log.messages(kStream)) {
    Classified c = replication::classify(m, kStream, testing::kStoreId);
    ASSERT_NE(c.kind, Classified::Kind::kForeign) << c.why;
    if (c.kind != Classified::Kind::kChunk) continue;
    EXPECT_EQ(c.snapshot, first.snapshot_id);
    chunks.emplace_back(c.snapshot_seq,
                        *replication::find_header(m.headers, "Nats-Msg-Id"));
  }
  std::string prefix =
      std::string(testing::kStoreId) + ":snap:" + first.snapshot_id + ":";
  EXPECT_EQ(chunks, (std::vector<std::pair<uint64_t, std::string>>{
                        {first.seq, prefix + std::to_string(first.seq) + ":0"},
                        {reused.seq, prefix + std::to_string(reused.seq) + ":0"}}));
  TempDir out;
  replication::CloneResult cloned = replication::clone_from_log(
      log, kStream, testing::choose_plain(), *posix_file_system(), out / "clone");
  EXPECT_EQ(cloned.snapshots, std::vector<std::string>{first.snapshot_id});
  testing::StoreImage source = testing::image_of(dir.path());
  testing::StoreImage clone = testing::image_of(out / "clone");
  EXPECT_EQ(clone.state, source.state);
  EXPECT_EQ(clone.records, source.records);
  // The store holds one snapshot of that id, the later one; so does the clone.
  EXPECT_EQ(clone.backups, source.backups);
}

TEST(ShipperTest, SealerSealsEveryRecordAndChunkSoNoDocumentTextReachesTheLog) {
  TempDir dir;
  auto store = Store::open(dir.path(), testing::test_store_options());
  store->put("secrets", "alice", R"({"password":"hunter2-very-secret"})");
  store->commit({Operation(OpKind::kPut, "secrets", "bob", R"({"pin":"8472-secret"})")},
                "origin-note-secret");
  store->compact();
  MemoryLog log;
  testing::XorSealer sealer(7);
  SavedPosition saved;
  Shipper(log, sealer, testing::shipper_options(dir.path(), saved)).ship();
  std::string bytes = log.all_bytes(kStream);
  for (const char* plain : {"hunter2", "8472", "origin-note", "alice", "password"}) {
    EXPECT_EQ(bytes.find(plain), std::string::npos) << plain;
  }
  EXPECT_EQ(record_seqs(log), one_to(2));
}

TEST(ShipperTest, ShipsBesideALiveWriterUpToWhatIsReadable) {
  TempDir dir;
  Options options = testing::test_store_options();
  options.durability = Durability::kAlways;
  auto store = Store::open(dir.path(), options);
  put_contacts(*store, 0, 12);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  Shipper shipper(log, plain, testing::shipper_options(dir.path(), saved));
  EXPECT_EQ(shipper.ship().acked_seq, 12u);
  put_contacts(*store, 12, 20);
  EXPECT_EQ(shipper.ship().acked_seq, 20u);
  EXPECT_EQ(record_seqs(log), one_to(20));
}

// A writer in another process commits, rolls a segment every few commits
// and compacts every 25 keeping two backups, removing segments the shipper
// may not have shipped yet; the shipper ships again and again beside it
// (never taking LOCK: the writer would fail), bridging what compaction
// removed with snapshots, and the clone ends with the writer's state.
TEST(ShipperTest, ShipsBesideAWriterInAnotherProcessThatCompactsAndTheCloneHasItsState) {
  TempDir tmp;
  std::string dir = tmp / "store";
  testing::ChildProcess writer({PA_JOURNAL_WRITER_CHILD, dir, "300"});
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  std::string out;
  int passes = 0;
  size_t bridges = 0;
  for (int i = 0; i < 3000 && out.find("done") == std::string::npos; ++i) {
    writer.read_stdout(&out, 5);
    if (!std::filesystem::exists(dir + "/journal")) continue;
    bridges += Shipper(log, plain, testing::shipper_options(dir, saved))
                   .ship()
                   .bridged_holes.size();
    ++passes;
  }
  ASSERT_NE(out.find("done"), std::string::npos) << writer.stderr_text();
  ShipStatus status = Shipper(log, plain, testing::shipper_options(dir, saved)).ship();
  EXPECT_EQ(status.acked_seq, 300u);
  testing::CommandResult ended = writer.wait();
  EXPECT_EQ(ended.exit_code, 0) << ended.describe();
  EXPECT_GT(passes, 1);
  replication::clone_from_log(log, kStream, testing::choose_plain(), *posix_file_system(),
                              tmp / "clone");
  EXPECT_EQ(testing::image_of(tmp / "clone").state, testing::image_of(dir).state);
  std::cout << passes << " passes beside the writer, " << bridges << " holes bridged\n";
}

TEST(ShipperTest, FollowRetriesWhileTheLogIsDownReportingTheGrowingLagThenCatchesUp) {
  TempDir dir;
  auto store = store_with(dir.path(), 5);
  MemoryLog log;
  PlainSealer plain;
  SavedPosition saved;
  auto options = testing::shipper_options(dir.path(), saved);
  options.clock_ns = [] { return int64_t{1'900'000'000'000'000'000}; };  // 2030
  std::mutex mu;
  std::vector<ShipStatus> seen;
  options.on_status = [&](const ShipStatus& s) {
    std::lock_guard lock(mu);
    seen.push_back(s);
  };
  auto last_seen = [&] {
    std::lock_guard lock(mu);
    return seen.empty() ? ShipStatus{} : seen.back();
  };
  log.set_unavailable(true);
  Shipper shipper(log, plain, options);
  std::jthread follower([&](std::stop_token stop) {
    shipper.follow(stop, {.poll_ms = 5, .first_retry_ms = 1, .max_retry_ms = 8});
  });
  EXPECT_TRUE(testing::eventually([&] {
    ShipStatus s = last_seen();
    return !s.error.empty() && s.records_behind == 5;
  }));
  put_contacts(*store, 5, 9);
  EXPECT_TRUE(testing::eventually([&] { return last_seen().records_behind == 9; }));
  ShipStatus down = last_seen();
  EXPECT_GT(down.seconds_behind, 0);
  EXPECT_LE(down.retry_in_ms, 8u);
  log.set_unavailable(false);
  EXPECT_TRUE(testing::eventually([&] {
    ShipStatus s = last_seen();
    return s.acked_seq == 9 && s.records_behind == 0 && s.error.empty();
  }));
  put_contacts(*store, 9, 12);
  EXPECT_TRUE(testing::eventually([&] { return last_seen().acked_seq == 12; }));
  follower.request_stop();
  follower.join();
  EXPECT_EQ(record_seqs(log), one_to(12));
}

}  // namespace
}  // namespace pa_journal
