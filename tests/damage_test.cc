// Tests of include/pa_journal/damage.h: each named constructor fills the
// fields its kind needs and nothing else, and describe() says so in one line.
#include "pa_journal/damage.h"

#include <gtest/gtest.h>

#include <string>

namespace pa_journal {
namespace {

void expect_fields(const Damage& d, Damage::Kind kind, const std::string& file,
                   uint64_t offset, uint64_t bytes, uint64_t first_seq, uint64_t last_seq,
                   const std::string& reason) {
  EXPECT_EQ(d.kind, kind);
  EXPECT_EQ(d.file, file);
  EXPECT_EQ(d.offset, offset);
  EXPECT_EQ(d.bytes, bytes);
  EXPECT_EQ(d.first_seq, first_seq);
  EXPECT_EQ(d.last_seq, last_seq);
  EXPECT_EQ(d.reason, reason);
}

const std::string kSegment = "journal/00000000000000000001.log";

TEST(DamageTest, TornTailDropsBytesToTheEndAndLosesNoKnownRecords) {
  Damage d = Damage::torn_tail(kSegment, 4096, 20, "incomplete record at end");
  expect_fields(d, Damage::Kind::kTornTail, kSegment, 4096, 20, 0, 0,
                "incomplete record at end");
  EXPECT_EQ(d.describe(), kSegment +
                              " offset 4096: torn tail (incomplete record at end); 20 "
                              "bytes dropped");
}

TEST(DamageTest, CorruptionDropsBytesAndLeavesTheLostRecordsUnknown) {
  Damage d =
      Damage::corruption(kSegment, 8192, 312, "record checksum or framing mismatch");
  expect_fields(d, Damage::Kind::kCorruption, kSegment, 8192, 312, 0, 0,
                "record checksum or framing mismatch");
  EXPECT_EQ(d.describe(), kSegment +
                              " offset 8192: corruption (record checksum or framing "
                              "mismatch); 312 bytes dropped");
}

TEST(DamageTest, CorruptionWithLostRecordsNamesThem) {
  Damage d =
      Damage::corruption(kSegment, 8192, 312, "checksum mismatch").lost_records(42, 44);
  expect_fields(d, Damage::Kind::kCorruption, kSegment, 8192, 312, 42, 44,
                "checksum mismatch");
  EXPECT_EQ(d.describe(), kSegment +
                              " offset 8192: corruption (checksum mismatch); 312 bytes "
                              "dropped; records 42..44 lost");
}

TEST(DamageTest, MissingRecordsDropNoBytesAndNameTheRange) {
  Damage d =
      Damage::missing_records(kSegment, 64, 5, 9, "records missing from the chain");
  expect_fields(d, Damage::Kind::kMissingRecords, kSegment, 64, 0, 5, 9,
                "records missing from the chain");
  EXPECT_EQ(d.describe(), kSegment +
                              " offset 64: missing records (records missing from the "
                              "chain); records 5..9 lost");
}

TEST(DamageTest, SnapshotIsAWholeFileCorruptionWithNoOffsetOrBytes) {
  Damage d = Damage::snapshot("backups/s1.manifest.json", "not JSON");
  expect_fields(d, Damage::Kind::kCorruption, "backups/s1.manifest.json", 0, 0, 0, 0,
                "not JSON");
  EXPECT_EQ(d.describe(), "backups/s1.manifest.json offset 0: corruption (not JSON)");
}

TEST(DamageTest, DefaultIsAnEmptyCorruption) {
  expect_fields(Damage{}, Damage::Kind::kCorruption, "", 0, 0, 0, 0, "");
}

TEST(DamageTest, EveryKindHasItsName) {
  EXPECT_STREQ(to_string(Damage::Kind::kTornTail), "torn tail");
  EXPECT_STREQ(to_string(Damage::Kind::kCorruption), "corruption");
  EXPECT_STREQ(to_string(Damage::Kind::kMissingRecords), "missing records");
}

}  // namespace
}  // namespace pa_journal
