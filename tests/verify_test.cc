// verify_store, inspect_journal and open on journals whose ends are gone:
// loss no checksum shows and no gap inside the journal reveals, found only
// against the snapshots (or seq 1). And no false alarm where compaction deleted
// segments as retention allows.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"
#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "snapshot/key_index.h"
#include "tests/cli_util.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

namespace fs = std::filesystem;

class VerifyEndsTest : public ::testing::Test {
 protected:
  Options options() const {
    Options o;
    o.auto_compact = false;
    o.segment_bytes = 1024;  // a few records per segment
    return o;
  }
  // Commits puts 1..n (one record each) and closes; compacts after
  // `compact_after` records if it is non-zero.
  void write(int n, int compact_after = 0) {
    auto store = Store::open(dir_.path(), options());
    for (int i = 1; i <= n; ++i) {
      store->put("notes", "n" + std::to_string(i), R"({"text":"some words to fill"})");
      if (i == compact_after) store->compact();
    }
  }
  std::vector<std::string> segments() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "journal")) {
      if (e.is_regular_file() && !testing::is_reader_protocol_file(e.path().string()))
        out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Strict refuses the store; the default open reports one range of missing
  // records, returned with the store it opened.
  std::pair<std::unique_ptr<Store>, Damage> open_reporting_missing_records() {
    Options strict = options();
    strict.recovery = RecoveryMode::kStrict;
    EXPECT_THROW(Store::open(dir_.path(), strict), CorruptedDataError);
    auto store = Store::open(dir_.path(), options());
    const std::vector<Damage>& damage = store->recovery().damage;
    EXPECT_EQ(damage.size(), 1u);
    Damage found = damage.empty() ? Damage{} : damage[0];
    EXPECT_EQ(found.kind, Damage::Kind::kMissingRecords);
    return {std::move(store), found};
  }
  std::vector<Damage> missing() const {
    std::vector<Damage> out;
    for (const Damage& d : verify_store(dir_.path()).damage) {
      if (d.kind == Damage::Kind::kMissingRecords) out.push_back(d);
    }
    return out;
  }

  testing::TempDir dir_;
};

TEST_F(VerifyEndsTest, FirstSegmentGoneWithoutASnapshotIsMissingRecordsFromOne) {
  write(30);
  std::vector<std::string> before = segments();
  ASSERT_GE(before.size(), 3u);
  uint64_t second_first = std::stoull(fs::path(before[1]).stem().string());
  fs::remove(before[0]);
  std::vector<Damage> lost = missing();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].first_seq, 1u);
  EXPECT_EQ(lost[0].last_seq, second_first - 1);
  // Nothing is restorable: no record before the journal's first, no snapshot.
  JournalSummary summary = inspect_journal(dir_.path());
  EXPECT_EQ(summary.window_from_ns, 0);
  EXPECT_EQ(summary.window_to_ns, 0);
}

TEST_F(VerifyEndsTest, JournalCutBeforeTheNewestSnapshotIsMissingTheRecordsUpToIt) {
  write(40, /*compact_after=*/10);
  {
    auto store = Store::open(dir_.path(), options());
    store->compact();  // snapshots at 10 and 40
  }
  ASSERT_TRUE(verify_store(dir_.path()).ok());
  std::vector<std::string> kept = segments();
  ASSERT_GE(kept.size(), 3u);
  // The newest segment is the last compaction's roll, holding no record, and
  // the one before it holds record 40: drop both.
  uint64_t cut_first = std::stoull(fs::path(kept[kept.size() - 2]).stem().string());
  fs::remove(kept.back());
  fs::remove(kept[kept.size() - 2]);
  std::vector<Damage> lost = missing();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].first_seq, cut_first);
  EXPECT_EQ(lost[0].last_seq, 40u);
}

// Open sees the same loss once: the state is whole (the snapshot holds it),
// so the default mode reports it and goes on after the snapshot; strict refuses.
TEST_F(VerifyEndsTest, OpenReportsAJournalCutBeforeTheSnapshotAndStrictRefusesIt) {
  write(40, /*compact_after=*/10);
  Store::open(dir_.path(), options())->compact();  // snapshots at 10 and 40
  std::vector<std::string> kept = segments();
  ASSERT_GE(kept.size(), 3u);
  // The newest segment is the compaction's roll (store/compactor.h, step 0),
  // which holds no record; the one before it holds record 40. Without both
  // the journal ends before the snapshot.
  ASSERT_EQ(fs::path(kept.back()).stem().string(), "00000000000000000041");
  uint64_t cut_first = std::stoull(fs::path(kept[kept.size() - 2]).stem().string());
  fs::remove(kept.back());
  fs::remove(kept[kept.size() - 2]);

  {
    auto [store, damage] = open_reporting_missing_records();
    EXPECT_EQ(damage.first_seq, cut_first);
    EXPECT_EQ(damage.last_seq, 40u);
    EXPECT_EQ(store->list("notes").size(), 40u);
    EXPECT_EQ(store->put("notes", "n41", "{}").seq, 41u);
  }
  EXPECT_EQ(missing().size(), 1u);  // verify still finds the gap
}

TEST_F(VerifyEndsTest, OpenReportsAJournalWithNoSegmentLeftBesideASnapshot) {
  write(40, /*compact_after=*/40);
  for (const std::string& segment : segments()) fs::remove(segment);
  auto [store, damage] = open_reporting_missing_records();
  EXPECT_EQ(damage.first_seq, 1u);
  EXPECT_EQ(damage.last_seq, 40u);
  EXPECT_EQ(store->list("notes").size(), 40u);
}

TEST_F(VerifyEndsTest, JournalStartingAfterTheOldestSnapshotIsMissingTheRecordsBetween) {
  write(40, /*compact_after=*/10);
  {
    auto store = Store::open(dir_.path(), options());
    store->compact();  // a second snapshot at 40; the oldest stays at 10
  }
  ASSERT_TRUE(verify_store(dir_.path()).ok());
  std::vector<std::string> kept = segments();
  ASSERT_GE(kept.size(), 2u);
  uint64_t new_first = std::stoull(fs::path(kept[1]).stem().string());
  ASSERT_GT(new_first, 11u);
  fs::remove(kept[0]);
  std::vector<Damage> lost = missing();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].first_seq, 11u);
  EXPECT_EQ(lost[0].last_seq, new_first - 1);
}

// Retention deleted every segment wholly before the oldest kept snapshot:
// the journal starts after seq 1, and that is no loss.
TEST_F(VerifyEndsTest, SegmentsDeletedByRetentionAreNoLoss) {
  write(60, /*compact_after=*/30);
  {
    auto store = Store::open(dir_.path(), options());
    store->compact();
    store->retain_backups(1);  // the oldest kept snapshot is now at 60
  }
  std::vector<std::string> kept = segments();
  ASSERT_GT(std::stoull(fs::path(kept.front()).stem().string()), 1u);
  VerifyResult result = verify_store(dir_.path());
  EXPECT_TRUE(result.ok()) << result.damage.front().describe();
}

// A record whose checksum holds but whose document is not JSON (written by
// something other than the store) would go into the next snapshot, which no
// reader could then load: verify names it.
TEST_F(VerifyEndsTest, RecordWithADocumentThatIsNotJsonIsDamage) {
  {
    auto store = Store::open(dir_.path(), options());
    store->put("notes", "fine", R"({"a":"fine"})");
    store->put("notes", "bad", R"({"a":"MARK"})");
  }
  ASSERT_TRUE(verify_store(dir_.path()).ok());
  std::string segment = testing::segment_path(dir_.path());
  std::string data = testing::read_bytes(segment);
  testing::FrameSpan frame = testing::frames_of(data).at(1);
  std::string payload = data.substr(frame.offset + format::kFrameHeaderSize, frame.size);
  size_t mark = payload.find(R"("MARK"})");
  ASSERT_NE(mark, std::string::npos);
  payload[mark + 6] = ' ';  // {"a":"MARK"  : not JSON
  std::string resealed;
  append_frame(&resealed,
               static_cast<uint8_t>(data[frame.offset + format::kFrameTypeOffset]),
               payload);
  data.replace(frame.offset, resealed.size(), resealed);
  testing::write_bytes(segment, data);

  VerifyResult result = verify_store(dir_.path());
  ASSERT_EQ(result.damage.size(), 1u);
  EXPECT_EQ(result.damage[0].kind, Damage::Kind::kCorruption);
  EXPECT_EQ(result.damage[0].first_seq, 2u);
  EXPECT_NE(result.damage[0].reason.find("notes/bad cannot be read"), std::string::npos)
      << result.damage[0].describe();
  EXPECT_EQ(result.records, 2u);
}

// A damaged key index is damage of a derived file: verify names it with its
// offset, says it is harmless and what to run, exits 0; `compact` then
// leaves verify clean (the unchanged file is written again with a new index,
// not linked with the damaged one).
TEST(VerifyIndexTest, ADamagedIndexIsHarmlessDerivedDamageThatCompactionRebuilds) {
  testing::TempDir tmp;
  std::string dir = tmp.path() + "/store";
  {
    auto store = Store::open(dir);
    for (int i = 0; i < 2000; ++i)
      store->put("contacts", "k" + std::to_string(1000 + i),
                 R"({"n":)" + std::to_string(i) + "}");
    store->compact();
  }
  std::string index;
  for (const auto& entry : fs::directory_iterator(dir + "/backups"))
    if (entry.path().string().ends_with(".index")) index = entry.path().string();
  ASSERT_FALSE(index.empty());
  std::string bytes = testing::read_bytes(index);
  bytes[60] ^= 0x01;
  testing::write_bytes(index, bytes);

  VerifyResult result = verify_store(dir);
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.derived.size(), 1u);
  EXPECT_EQ(result.derived[0].file, "backups/" + fs::path(index).filename().string());
  EXPECT_EQ(result.derived[0].offset, bytes.size() - 8) << "the trailer's checksum";
  testing::CommandResult text = testing::run_in_store(dir, {"verify"});
  EXPECT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_TRUE(testing::contains(text.out, "derived file damaged: backups/")) << text.out;
  EXPECT_TRUE(testing::contains(text.out, "harmless to data")) << text.out;
  EXPECT_TRUE(testing::contains(text.out, "`pa-journal compact`")) << text.out;
  testing::CommandResult json = testing::run_in_store(dir, {"--json", "verify"});
  EXPECT_EQ(json.exit_code, 0) << json.describe();
  auto parsed = testing::parse_json(json.out);
  EXPECT_EQ(parsed.at("ok"), true);
  EXPECT_EQ(parsed.at("derived_damage").size(), 1u) << json.out;

  ASSERT_EQ(testing::run_in_store(dir, {"compact"}).exit_code, 0);
  VerifyResult after = verify_store(dir);
  EXPECT_TRUE(after.ok());
  EXPECT_TRUE(after.derived.empty()) << after.derived[0].describe();
}

TEST(VerifyIndexTest, AnIndexThatVerifiesButDescribesBlocksWronglyIsNamedAtTheBlock) {
  testing::TempDir tmp;
  std::string dir = tmp.path() + "/store";
  {
    auto store = Store::open(dir);
    for (int i = 0; i < 3000; ++i)
      store->put("contacts", "k" + std::to_string(1000 + i),
                 R"({"n":)" + std::to_string(i) + "}");
    store->compact();
  }
  std::string index;
  for (const auto& entry : fs::directory_iterator(dir + "/backups"))
    if (entry.path().string().ends_with(".index")) index = entry.path().string();
  // The second block's XXH3 changed and the trailer made to match: only the
  // check of the block against the file can tell.
  std::string bytes = testing::read_bytes(index);
  KeyIndex parsed = parse_index(bytes, "index");
  ASSERT_GE(parsed.blocks.size(), 2u);
  parsed.blocks[1].xxh3 ^= 1;
  testing::write_bytes(index, serialize_index(parsed));
  VerifyResult result = verify_store(dir);
  EXPECT_TRUE(result.ok());
  ASSERT_EQ(result.derived.size(), 1u);
  EXPECT_EQ(result.derived[0].offset, index_entry_offset(parsed, 1));
  EXPECT_TRUE(testing::contains(result.derived[0].reason, "block 1"))
      << result.derived[0].reason;
}

}  // namespace
}  // namespace pa_journal
