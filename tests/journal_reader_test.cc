// Tests of journal/journal_reader: whole journals written through the real
// Store API, then damaged on disk, then scanned under every recovery mode.
// Each test names the damage it covers and asserts exactly which records
// survive, what is reported lost (bytes and sequence numbers), and where the
// scan cuts.
#include "journal/journal_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using testing::read_bytes;
using testing::write_bytes;

constexpr RecoveryMode kAllModes[] = {RecoveryMode::kStrict, RecoveryMode::kTolerateTail,
                                      RecoveryMode::kPointInTime, RecoveryMode::kSalvage};

constexpr int64_t kStartTime = 1'764'064'800'000'000'000;  // 2025-11-25T10:00:00Z

std::string key_for(uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "n%03llu", static_cast<unsigned long long>(i));
  return buf;
}

std::string doc_for(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "{\"i\":\"%03llu\"}",
                static_cast<unsigned long long>(i));
  return buf;
}

// Where one record's frame lies on disk.
struct FramePlace {
  size_t segment = 0;  // index in sequence order
  std::string path;
  std::string file;  // as damage reports name it: "journal/<name>"
  uint64_t offset = 0;
  uint64_t end = 0;
  uint64_t size() const { return end - offset; }
};

struct Scan {
  ScanReport report;
  std::vector<Record> records;
  std::vector<uint64_t> seqs() const {
    std::vector<uint64_t> out;
    for (const auto& r : records) out.push_back(r.seq);
    return out;
  }
};

std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t s = first; s <= last; ++s) out.push_back(s);
  return out;
}

std::vector<uint64_t> operator+(std::vector<uint64_t> a, const std::vector<uint64_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class JournalReaderTest : public ::testing::Test {
 protected:
  std::string journal() const { return dir_.path() + "/journal"; }

  // The segment size limit that puts exactly `per_segment` of this fixture's
  // records in each segment (the writer rolls once a segment holds at least
  // segment_bytes).
  static uint64_t segment_bytes_for(uint64_t per_segment) {
    Record sample{1, kStartTime, {{OpKind::kPut, "notes", key_for(1), doc_for(1)}}, ""};
    uint64_t frame = format::kFrameHeaderSize + encode_payload(sample).size();
    return format::kSegmentHeaderSize + (per_segment - 1) * frame + 1;
  }

  // Commits `count` more records, one put each, through the Store API.
  void write(uint64_t count, uint64_t segment_bytes) {
    Options options;
    options.segment_bytes = segment_bytes;
    options.durability = Durability::kNone;
    int64_t* clock = &clock_;
    options.clock_ns = [clock] { return *clock += 1000; };
    auto store = Store::open(dir_.path(), options);
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t n = store->last_seq() + 1;
      EXPECT_EQ(store->put("notes", key_for(n), doc_for(n)).seq, n);
    }
    store.reset();
    learn_journal();
  }

  // Reads the clean journal back: what was written, and where each frame is.
  void learn_journal() {
    written_.clear();
    places_.clear();
    Scan clean = scan(RecoveryMode::kStrict);
    ASSERT_TRUE(clean.report.damage.empty());
    written_ = clean.records;
    for (size_t i = 0; i < written_.size(); ++i) {
      const Record& r = written_[i];
      ASSERT_EQ(r.seq, i + 1);
      ASSERT_EQ(r.time_ns, kStartTime + 1000 * static_cast<int64_t>(i + 1));
      ASSERT_EQ(r.ops, (std::vector<Operation>{
                           {OpKind::kPut, "notes", key_for(r.seq), doc_for(r.seq)}}));
      ASSERT_TRUE(r.origin.empty());
    }
    auto segments = list_segments(*posix_file_system(), journal());
    for (size_t s = 0; s < segments.size(); ++s) {
      std::string path = journal() + "/" + segments[s].name;
      std::string data = read_bytes(path);
      SegmentReader reader(segments[s].name, data, false, nullptr);
      ASSERT_TRUE(reader.read_header());
      Frame frame;
      while (reader.next(&frame)) {
        uint64_t seq = decode_payload(frame.payload).seq;
        places_[seq] = {s, path, "journal/" + segments[s].name, frame.offset, frame.end};
      }
    }
    ASSERT_EQ(places_.size(), written_.size());
  }

  // after_seq: the sequence number a snapshot covers, as recovery passes it.
  Scan scan(RecoveryMode mode, uint64_t after_seq = 0) {
    Scan out;
    out.report = scan_journal(*posix_file_system(), journal(), mode,
                              [&](const Record& r) { out.records.push_back(r); },
                              {.after_seq = after_seq});
    EXPECT_EQ(out.report.records, out.records.size());
    return out;
  }

  // Every delivered record is exactly the one written with its sequence
  // number, and they come in the expected order.
  void expect_delivered(const Scan& scan, const std::vector<uint64_t>& seqs) {
    EXPECT_EQ(scan.seqs(), seqs);
    for (const auto& r : scan.records) {
      ASSERT_GE(r.seq, 1u);
      ASSERT_LE(r.seq, written_.size());
      EXPECT_EQ(r, written_[r.seq - 1]);
    }
    if (!seqs.empty()) {
      EXPECT_EQ(scan.report.first_seq, seqs.front());
      EXPECT_EQ(scan.report.last_seq, seqs.back());
      EXPECT_EQ(scan.report.first_time_ns, written_[seqs.front() - 1].time_ns);
      EXPECT_EQ(scan.report.last_time_ns, written_[seqs.back() - 1].time_ns);
    }
  }

  // The mode refuses with a CorruptedDataError naming file and offset.
  void expect_refused(RecoveryMode mode, const std::string& file, uint64_t offset,
                      const std::string& also_mentions = "") {
    SCOPED_TRACE(std::string("mode ") + std::string(to_string(mode)));
    try {
      scan(mode);
      ADD_FAILURE() << "the scan did not refuse";
    } catch (const CorruptedDataError& e) {
      std::string what = e.what();
      EXPECT_EQ(e.file(), file) << what;
      EXPECT_EQ(e.offset(), offset) << what;
      EXPECT_NE(what.find(file + " offset " + std::to_string(offset)), std::string::npos)
          << what;
      if (!also_mentions.empty()) {
        EXPECT_NE(what.find(also_mentions), std::string::npos) << what;
      }
    }
  }

  void expect_damage(const Damage& d, Damage::Kind kind, const std::string& file,
                     uint64_t offset, uint64_t bytes, uint64_t first_seq = 0,
                     uint64_t last_seq = 0) {
    EXPECT_EQ(d.kind, kind) << d.describe();
    EXPECT_EQ(d.file, file) << d.describe();
    EXPECT_EQ(d.offset, offset) << d.describe();
    EXPECT_EQ(d.bytes, bytes) << d.describe();
    EXPECT_EQ(d.first_seq, first_seq) << d.describe();
    EXPECT_EQ(d.last_seq, last_seq) << d.describe();
  }

  void flip_byte(const std::string& path, uint64_t offset, uint8_t mask = 0x01) {
    std::string data = read_bytes(path);
    ASSERT_LT(offset, data.size());
    poke(path, offset, static_cast<char>(data[offset] ^ mask));
  }

  // Overwrites one byte in place (no truncation, so no forced writeback).
  static void poke(const std::string& path, uint64_t offset, char byte) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.put(byte);
    ASSERT_TRUE(file.good()) << path;
  }

  void truncate(const std::string& path, uint64_t size) {
    std::filesystem::resize_file(path, size);
  }

  std::string segment_file(size_t index) const {
    return "journal/" + list_segments(*posix_file_system(), journal()).at(index).name;
  }

  // Writes a segment by hand: header then the given frames.
  void write_segment(uint64_t first_seq, const std::string& frames) {
    write_bytes(journal() + "/" + segment_name(first_seq),
                encode_segment_header(first_seq) + frames);
  }

  static std::string commit_frame(const Record& record) {
    std::string out;
    append_frame(&out, format::kTypeCommit, encode_payload(record));
    return out;
  }

  static Record record_for(uint64_t seq) {
    return {seq,
            kStartTime + 1000 * static_cast<int64_t>(seq),
            {{OpKind::kPut, "notes", key_for(seq), doc_for(seq)}},
            ""};
  }

  static std::string loss_frame(uint64_t first, uint64_t last) {
    std::string payload(format::kLossPayloadSize, '\0');
    put_u64(payload.data(), first);
    put_u64(payload.data() + 8, last);
    std::string out;
    append_frame(&out, format::kTypeLoss, payload);
    return out;
  }

  testing::TempDir dir_;
  int64_t clock_ = kStartTime;
  std::vector<Record> written_;
  std::map<uint64_t, FramePlace> places_;
};

// ---------------------------------------------------------------------------
// Clean journals.

TEST_F(JournalReaderTest, MissingJournalDirectoryIsAnEmptyJournal) {
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    EXPECT_TRUE(s.records.empty());
    EXPECT_TRUE(s.report.segments.empty());
    EXPECT_TRUE(s.report.damage.empty());
    EXPECT_FALSE(s.report.cut);
    EXPECT_EQ(s.report.next_seq, 1u);
    EXPECT_EQ(s.report.first_seq, 0u);
    EXPECT_EQ(s.report.last_seq, 0u);
  }
}

TEST_F(JournalReaderTest, NewStoreHasAnEmptyJournal) {
  Store::open(dir_.path()).reset();
  ASSERT_TRUE(std::filesystem::is_directory(journal()));
  EXPECT_EQ(testing::segment_count(dir_.path()), 0u);
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    EXPECT_TRUE(s.records.empty());
    EXPECT_TRUE(s.report.damage.empty());
    EXPECT_FALSE(s.report.cut);
    EXPECT_EQ(s.report.next_seq, 1u);
    EXPECT_EQ(s.report.bytes, 0u);
  }
}

TEST_F(JournalReaderTest, ReadsManySegmentsInEveryMode) {
  write(40, /*segment_bytes=*/1);  // one record per segment
  ASSERT_EQ(testing::segment_count(dir_.path()), 40u);
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(journal())) {
    if (!testing::is_reader_protocol_file(entry.path().string()))
      bytes += entry.file_size();
  }
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 40));
    EXPECT_TRUE(s.report.damage.empty());
    EXPECT_TRUE(s.report.damaged_segments.empty());
    EXPECT_FALSE(s.report.cut);
    EXPECT_EQ(s.report.next_seq, 41u);
    EXPECT_EQ(s.report.bytes, bytes);
    ASSERT_EQ(s.report.segments.size(), 40u);
    for (uint64_t i = 0; i < 40; ++i) {
      EXPECT_EQ(s.report.segments[i].name, segment_name(i + 1));
      EXPECT_EQ(s.report.segments[i].first_seq, i + 1);
    }
  }
}

TEST_F(JournalReaderTest, RecordsAtSegmentBoundariesAreReadInOrder) {
  write(10, segment_bytes_for(3));
  auto segments = list_segments(*posix_file_system(), journal());
  ASSERT_EQ(segments.size(), 4u);
  EXPECT_EQ(segments[0].name, "00000000000000000001.log");
  EXPECT_EQ(segments[1].name, "00000000000000000004.log");
  EXPECT_EQ(segments[2].name, "00000000000000000007.log");
  EXPECT_EQ(segments[3].name, "00000000000000000010.log");
  EXPECT_EQ(places_[3].segment, 0u);
  EXPECT_EQ(places_[4].segment, 1u);
  EXPECT_EQ(places_[4].offset, format::kSegmentHeaderSize);
  EXPECT_EQ(places_[6].end, std::filesystem::file_size(places_[6].path));
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 10));
    EXPECT_TRUE(s.report.damage.empty());
    EXPECT_EQ(s.report.next_seq, 11u);
  }
}

TEST_F(JournalReaderTest, ReopenedStoreContinuesTheChain) {
  write(4, segment_bytes_for(3));
  write(4, segment_bytes_for(3));
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 8));
    EXPECT_TRUE(s.report.damage.empty());
  }
}

TEST_F(JournalReaderTest, OtherFilesInTheJournalDirectoryAreIgnored) {
  write(3, 1);
  std::filesystem::create_directory(journal() + "/quarantine");
  write_bytes(journal() + "/quarantine/" + segment_name(2), "junk");
  write_bytes(journal() + "/notes.txt", "junk");
  write_bytes(journal() + "/123.log", "junk");
  write_bytes(journal() + "/" + segment_name(0), "junk");  // seq 0 is never a segment
  write_bytes(journal() + "/" + segment_name(4) + ".tmp", "junk");
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 3));
    EXPECT_TRUE(s.report.damage.empty());
    EXPECT_EQ(s.report.segments.size(), 3u);
  }
}

// ---------------------------------------------------------------------------
// Damage in a middle segment: records 1..9, three per segment, record 5
// (the middle record of the middle segment) damaged.

class MiddleSegmentDamageTest : public JournalReaderTest {
 protected:
  void SetUp() override {
    write(9, segment_bytes_for(3));
    ASSERT_EQ(testing::segment_count(dir_.path()), 3u);
    ASSERT_EQ(places_[5].segment, 1u);
    flip_byte(places_[5].path, places_[5].offset + 40);
  }
};

TEST_F(MiddleSegmentDamageTest, StrictRefusesNamingFileAndOffset) {
  expect_refused(RecoveryMode::kStrict, places_[5].file, places_[5].offset,
                 "last good record before it: seq 4");
}

TEST_F(MiddleSegmentDamageTest, TolerateTailRefusesNamingFileAndOffset) {
  expect_refused(RecoveryMode::kTolerateTail, places_[5].file, places_[5].offset,
                 "salvage");
}

// The refusal says which modes open the store in the library's own terms; a
// caller that has a way to ask for them (the CLI's option) adds it.
TEST_F(MiddleSegmentDamageTest, RefusalIsARecoveryRefusedErrorNamingModesNotTheTool) {
  try {
    scan(RecoveryMode::kTolerateTail);
    ADD_FAILURE() << "the scan did not refuse";
  } catch (const RecoveryRefusedError& e) {
    std::string what = e.what();
    EXPECT_TRUE(what.ends_with(
        "; to open anyway, recovery mode point-in-time keeps the records before the "
        "damage and salvage keeps every valid record"))
        << what;
    EXPECT_EQ(what.find("pa-journal"), std::string::npos) << what;
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
  }
}

TEST_F(MiddleSegmentDamageTest, PointInTimeDeliversTheExactPrefixAndSetsTheCut) {
  Scan s = scan(RecoveryMode::kPointInTime);
  expect_delivered(s, range(1, 4));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[5].file,
                places_[5].offset, places_[5].size());
  EXPECT_TRUE(s.report.cut);
  EXPECT_EQ(s.report.cut_point.segment_index, 1u);
  EXPECT_EQ(s.report.cut_point.offset, places_[5].offset);
  EXPECT_EQ(s.report.next_seq, 5u);
}

TEST_F(MiddleSegmentDamageTest, SalvageDeliversEveryValidRecordAndReportsTheLostRange) {
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 4) + range(6, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[5].file,
                places_[5].offset, places_[5].size(), 5, 5);
  EXPECT_EQ(s.report.damaged_segments, std::vector<size_t>{1});
  EXPECT_FALSE(s.report.cut);
  EXPECT_EQ(s.report.next_seq, 10u);
}

TEST_F(JournalReaderTest, DamageInLastRecordOfASegmentIsAttributedAcrossTheBoundary) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[6].path, places_[6].end - 1);
  expect_refused(RecoveryMode::kTolerateTail, places_[6].file, places_[6].offset);
  Scan pit = scan(RecoveryMode::kPointInTime);
  expect_delivered(pit, range(1, 5));
  EXPECT_EQ(pit.report.cut_point.segment_index, 1u);
  EXPECT_EQ(pit.report.cut_point.offset, places_[6].offset);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 5) + range(7, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[6].file,
                places_[6].offset, places_[6].size(), 6, 6);
}

// Damage that lost only records a snapshot covers loses nothing: it is
// reported, and tolerate-tail and point-in-time read on. Strict refuses it.
TEST_F(JournalReaderTest, DamageThatLostOnlyRecordsTheSnapshotCoversIsNotFatal) {
  // Segments 1-3, 4-6, 7-9; a snapshot covers 1..5, so the replay reads the
  // middle segment from its start and delivers 6..9.
  write(9, segment_bytes_for(3));
  for (uint64_t damaged : {4, 5}) {
    std::string saved = read_bytes(places_[damaged].path);
    flip_byte(places_[damaged].path, places_[damaged].offset + 40);
    for (RecoveryMode mode : {RecoveryMode::kTolerateTail, RecoveryMode::kPointInTime}) {
      SCOPED_TRACE(std::string(to_string(mode)) + ", record " + std::to_string(damaged));
      Scan s = scan(mode, 5);
      expect_delivered(s, range(6, 9));
      ASSERT_EQ(s.report.damage.size(), 1u);
      expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[damaged].file,
                    places_[damaged].offset, places_[damaged].size());
      EXPECT_FALSE(s.report.cut);
      EXPECT_EQ(s.report.next_seq, 10u);
    }
    try {
      scan(RecoveryMode::kStrict, 5);
      ADD_FAILURE() << "strict read damaged bytes without refusing";
    } catch (const CorruptedDataError& e) {
      EXPECT_EQ(e.file(), places_[damaged].file);
    }
    write_bytes(places_[damaged].path, saved);
  }
}

// Salvage names the records lost in damaged bytes even where the snapshot
// covers them, so that its in-place repair writes a loss marker for them (not
// padding, which would leave a hole in the chain that verify reports forever).
TEST_F(JournalReaderTest, SalvageNamesLostRecordsTheSnapshotCovers) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[5].path, places_[5].offset + 40);
  Scan s = scan(RecoveryMode::kSalvage, 5);
  expect_delivered(s, range(6, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[5].file,
                places_[5].offset, places_[5].size(), 5, 5);
}

// The same damage, when the next good record shows it also held a record
// past the snapshot, is damage like any other, found where it starts.
TEST_F(JournalReaderTest, DamageReachingPastTheSnapshotStillRefuses) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[4].path, places_[4].offset + 40);
  flip_byte(places_[5].path, places_[5].offset + 40);
  expect_refused(RecoveryMode::kTolerateTail, places_[4].file, places_[4].offset);
  try {
    scan(RecoveryMode::kTolerateTail, 4);
    ADD_FAILURE() << "record 5 was lost and tolerate-tail opened";
  } catch (const CorruptedDataError& e) {
    EXPECT_EQ(e.offset(), places_[4].offset) << e.what();
  }
  Scan pit = scan(RecoveryMode::kPointInTime, 4);
  expect_delivered(pit, {});
  EXPECT_TRUE(pit.report.cut);
  EXPECT_EQ(pit.report.cut_point.offset, places_[4].offset);
}

TEST_F(JournalReaderTest, DamageInFirstRecordOfASegmentIsAttributedToIt) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[7].path, places_[7].offset + 20);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 6) + range(8, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[7].file,
                places_[7].offset, places_[7].size(), 7, 7);
  EXPECT_EQ(s.report.damaged_segments, std::vector<size_t>{2});
}

TEST_F(JournalReaderTest, DamageSpanningTwoRecordsIsOneLossOfBoth) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[4].path, places_[4].offset + 30);
  flip_byte(places_[5].path, places_[5].offset + 30);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 3) + range(6, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[4].file,
                places_[4].offset, places_[4].size() + places_[5].size(), 4, 5);
  Scan pit = scan(RecoveryMode::kPointInTime);
  expect_delivered(pit, range(1, 3));
}

TEST_F(JournalReaderTest, DamageInTwoSegmentsIsReportedTwiceWithExactRanges) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[2].path, places_[2].offset + 30);
  flip_byte(places_[8].path, places_[8].offset);
  expect_refused(RecoveryMode::kStrict, places_[2].file, places_[2].offset);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 1) + range(3, 7) + range(9, 9));
  ASSERT_EQ(s.report.damage.size(), 2u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[2].file,
                places_[2].offset, places_[2].size(), 2, 2);
  expect_damage(s.report.damage[1], Damage::Kind::kCorruption, places_[8].file,
                places_[8].offset, places_[8].size(), 8, 8);
  EXPECT_EQ(s.report.damaged_segments, (std::vector<size_t>{0, 2}));
}

TEST_F(JournalReaderTest, DamagedHeaderOfMiddleSegment) {
  write(9, segment_bytes_for(3));
  const std::string file = places_[4].file;
  flip_byte(places_[4].path, 17);  // first_seq
  expect_refused(RecoveryMode::kStrict, file, 0);
  expect_refused(RecoveryMode::kTolerateTail, file, 0);
  Scan pit = scan(RecoveryMode::kPointInTime);
  expect_delivered(pit, range(1, 3));
  EXPECT_EQ(pit.report.cut_point.segment_index, 1u);
  EXPECT_EQ(pit.report.cut_point.offset, 0u);
  // Salvage keeps the records behind a damaged header: nothing was lost.
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, file, 0,
                format::kSegmentHeaderSize);
}

TEST_F(JournalReaderTest, HeaderNamingAnotherFirstRecordIsCorruption) {
  write(9, segment_bytes_for(3));
  std::string data = read_bytes(places_[4].path);
  data.replace(0, format::kSegmentHeaderSize, encode_segment_header(5));
  write_bytes(places_[4].path, data);
  expect_refused(RecoveryMode::kStrict, places_[4].file, 0, "first record 5");
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[4].file, 0,
                format::kSegmentHeaderSize);
}

TEST_F(JournalReaderTest, CorruptionInLastRecordOfNewestSegmentIsNotTorn) {
  write(9, segment_bytes_for(3));
  flip_byte(places_[9].path, places_[9].offset + 50);
  expect_refused(RecoveryMode::kTolerateTail, places_[9].file, places_[9].offset);
  Scan pit = scan(RecoveryMode::kPointInTime);
  expect_delivered(pit, range(1, 8));
  ASSERT_EQ(pit.report.damage.size(), 1u);
  EXPECT_EQ(pit.report.damage[0].kind, Damage::Kind::kCorruption);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 8));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[9].file,
                places_[9].offset, places_[9].size());
  EXPECT_EQ(s.report.next_seq, 9u);
}

TEST_F(JournalReaderTest, DamagedLengthInMiddleOfNewestSegmentIsNotTorn) {
  // A length that runs past the end but with good frames after it is damage,
  // not a torn write: tolerate-tail refuses and salvage keeps what follows.
  write(9, segment_bytes_for(3));
  flip_byte(places_[7].path, places_[7].offset + 10, 0x40);
  expect_refused(RecoveryMode::kTolerateTail, places_[7].file, places_[7].offset);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 6) + range(8, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[7].file,
                places_[7].offset, places_[7].size(), 7, 7);
}

// ---------------------------------------------------------------------------
// Loss that checksums cannot see, found through the sequence chain.

TEST_F(JournalReaderTest, MissingMiddleSegmentIsMissingRecords) {
  write(9, segment_bytes_for(3));
  std::filesystem::remove(places_[4].path);
  const std::string next = places_[7].file;
  expect_refused(RecoveryMode::kStrict, next, 0, "missing records");
  expect_refused(RecoveryMode::kTolerateTail, next, 0, "missing records");

  Scan pit = scan(RecoveryMode::kPointInTime);
  expect_delivered(pit, range(1, 3));
  ASSERT_EQ(pit.report.damage.size(), 1u);
  expect_damage(pit.report.damage[0], Damage::Kind::kMissingRecords, next, 0, 0, 4, 6);
  EXPECT_TRUE(pit.report.cut);
  EXPECT_EQ(pit.report.cut_point.segment_index, 1u);
  EXPECT_EQ(pit.report.cut_point.offset, 0u);
  EXPECT_EQ(pit.report.next_seq, 4u);

  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 3) + range(7, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kMissingRecords, next, 0, 0, 4, 6);
  EXPECT_FALSE(s.report.cut);
  EXPECT_EQ(s.report.next_seq, 10u);
}

TEST_F(JournalReaderTest, SegmentCutOnRecordBoundaryIsMissingRecords) {
  write(9, segment_bytes_for(3));
  truncate(places_[4].path, places_[4].end);  // keeps 4, loses 5 and 6
  const std::string next = places_[7].file;
  expect_refused(RecoveryMode::kStrict, next, 0, "records 5..6 lost");
  expect_refused(RecoveryMode::kTolerateTail, next, 0);

  Scan pit = scan(RecoveryMode::kPointInTime);
  expect_delivered(pit, range(1, 4));
  ASSERT_EQ(pit.report.damage.size(), 1u);
  expect_damage(pit.report.damage[0], Damage::Kind::kMissingRecords, next, 0, 0, 5, 6);
  EXPECT_EQ(pit.report.cut_point.segment_index, 2u);
  EXPECT_EQ(pit.report.cut_point.offset, 0u);

  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 4) + range(7, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kMissingRecords, next, 0, 0, 5, 6);
}

TEST_F(JournalReaderTest, SegmentCutToItsHeaderIsMissingRecords) {
  write(9, segment_bytes_for(3));
  truncate(places_[4].path, format::kSegmentHeaderSize);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 3) + range(7, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kMissingRecords, places_[7].file, 0, 0,
                4, 6);
}

TEST_F(JournalReaderTest, NewestSegmentCutOnRecordBoundaryIsAShorterJournal) {
  // The limit of what the chain can see: nothing follows to prove a loss.
  write(9, segment_bytes_for(3));
  truncate(places_[8].path, places_[8].end);
  Scan s = scan(RecoveryMode::kStrict);
  expect_delivered(s, range(1, 8));
  EXPECT_TRUE(s.report.damage.empty());
  EXPECT_EQ(s.report.next_seq, 9u);
}

TEST_F(JournalReaderTest, RepeatedRecordsAreCorruption) {
  // A stale copy of the first segment under a later name.
  write(6, segment_bytes_for(3));
  std::string copy = read_bytes(places_[1].path);
  copy.replace(0, format::kSegmentHeaderSize, encode_segment_header(7));
  write_bytes(journal() + "/" + segment_name(7), copy);
  expect_refused(RecoveryMode::kStrict, "journal/" + segment_name(7), places_[1].offset,
                 "repeats");
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 6));
  ASSERT_EQ(s.report.damage.size(), 3u);
  for (const Damage& d : s.report.damage) EXPECT_EQ(d.kind, Damage::Kind::kCorruption);
}

// ---------------------------------------------------------------------------
// Torn tails.

TEST_F(JournalReaderTest, TornTailIsCutUnderTolerateTail) {
  write(9, segment_bytes_for(3));
  const FramePlace& last = places_[9];
  const uint64_t size = last.offset + 37;
  truncate(last.path, size);
  for (RecoveryMode mode : {RecoveryMode::kTolerateTail, RecoveryMode::kPointInTime,
                            RecoveryMode::kSalvage}) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 8));
    ASSERT_EQ(s.report.damage.size(), 1u);
    expect_damage(s.report.damage[0], Damage::Kind::kTornTail, last.file, last.offset,
                  37);
    EXPECT_TRUE(s.report.cut);
    EXPECT_EQ(s.report.cut_point.segment_index, 2u);
    EXPECT_EQ(s.report.cut_point.offset, last.offset);
    EXPECT_EQ(s.report.next_seq, 9u);
  }
}

TEST_F(JournalReaderTest, StrictRefusesTornTail) {
  write(9, segment_bytes_for(3));
  truncate(places_[9].path, places_[9].end - 1);
  expect_refused(RecoveryMode::kStrict, places_[9].file, places_[9].offset,
                 "tolerate-tail");
}

// The default mode opens a store with a torn tail: no other mode to offer.
TEST_F(JournalReaderTest, StrictRefusalOfATornTailIsNoRecoveryRefusedError) {
  write(9, segment_bytes_for(3));
  truncate(places_[9].path, places_[9].end - 1);
  try {
    scan(RecoveryMode::kStrict);
    ADD_FAILURE() << "the scan did not refuse";
  } catch (const CorruptedDataError& e) {
    EXPECT_EQ(dynamic_cast<const RecoveryRefusedError*>(&e), nullptr) << e.what();
  }
}

TEST_F(JournalReaderTest, EveryTruncationOfTheNewestSegmentIsATornTail) {
  write(6, segment_bytes_for(3));
  const std::string path = places_[4].path;
  const std::string full = read_bytes(path);
  for (uint64_t size = 1; size < full.size(); ++size) {
    write_bytes(path, full.substr(0, size));
    // Records whose frames are whole survive; the rest is one torn tail.
    uint64_t kept = 3;
    uint64_t cut = 0;
    for (uint64_t seq = 4; seq <= 6; ++seq) {
      if (places_[seq].end <= size) kept = seq;
    }
    if (size >= format::kSegmentHeaderSize) {
      cut = kept == 3 ? format::kSegmentHeaderSize : places_[kept].end;
    }
    Scan s = scan(RecoveryMode::kTolerateTail);
    expect_delivered(s, range(1, kept));
    if (cut == size) {
      EXPECT_TRUE(s.report.damage.empty()) << "size " << size;
      continue;
    }
    ASSERT_EQ(s.report.damage.size(), 1u) << "size " << size;
    expect_damage(s.report.damage[0], Damage::Kind::kTornTail, places_[4].file, cut,
                  size - cut);
    EXPECT_EQ(s.report.cut_point.segment_index, 1u);
    EXPECT_EQ(s.report.cut_point.offset, cut);
    expect_refused(RecoveryMode::kStrict, places_[4].file, cut);
  }
}

TEST_F(JournalReaderTest, TornHeaderOfNewSegmentIsCut) {
  // A crash while rolling to segment 10.
  write(9, segment_bytes_for(3));
  const std::string name = segment_name(10);
  write_bytes(journal() + "/" + name, encode_segment_header(10).substr(0, 20));
  expect_refused(RecoveryMode::kStrict, "journal/" + name, 0);
  Scan s = scan(RecoveryMode::kTolerateTail);
  expect_delivered(s, range(1, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kTornTail, "journal/" + name, 0, 20);
  EXPECT_EQ(s.report.cut_point.segment_index, 3u);
  EXPECT_EQ(s.report.cut_point.offset, 0u);
  EXPECT_EQ(s.report.next_seq, 10u);
}

TEST_F(JournalReaderTest, HeaderOnlyNewestSegmentIsClean) {
  // A crash after rolling to segment 10 but before its first record.
  write(9, segment_bytes_for(3));
  write_segment(10, "");
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 9));
    EXPECT_TRUE(s.report.damage.empty());
    EXPECT_EQ(s.report.next_seq, 10u);
  }
}

TEST_F(JournalReaderTest, ZeroFilledTailIsCutUnderTolerateTail) {
  write(5, segment_bytes_for(3));
  std::string data = read_bytes(places_[5].path);
  uint64_t end = data.size();
  write_bytes(places_[5].path, data + std::string(8192, '\0'));
  expect_refused(RecoveryMode::kStrict, places_[5].file, end);
  Scan s = scan(RecoveryMode::kTolerateTail);
  expect_delivered(s, range(1, 5));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kTornTail, places_[5].file, end, 8192);
  EXPECT_EQ(s.report.cut_point.offset, end);
}

TEST_F(JournalReaderTest, TruncatedOlderSegmentIsCorruptionNotTorn) {
  write(9, segment_bytes_for(3));
  truncate(places_[6].path, places_[6].offset + 20);
  expect_refused(RecoveryMode::kTolerateTail, places_[6].file, places_[6].offset);
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 5) + range(7, 9));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption, places_[6].file,
                places_[6].offset, 20, 6, 6);
}

// ---------------------------------------------------------------------------
// Frame types and loss markers.

TEST_F(JournalReaderTest, LossMarkerContinuesTheSequenceChain) {
  write(3, 1);
  write_segment(4, loss_frame(4, 5) + commit_frame(record_for(6)));
  written_.push_back(record_for(4));
  written_.push_back(record_for(5));
  written_.push_back(record_for(6));
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 3) + range(6, 6));
    EXPECT_TRUE(s.report.damage.empty());
    ASSERT_EQ(s.report.known_losses.size(), 1u);
    EXPECT_EQ(s.report.known_losses[0].first_seq, 4u);
    EXPECT_EQ(s.report.known_losses[0].last_seq, 5u);
    EXPECT_EQ(s.report.next_seq, 7u);
  }
}

TEST_F(JournalReaderTest, LossMarkerAtTheEndSetsTheNextSequenceNumber) {
  write(3, 1);
  write_segment(4, loss_frame(4, 4));
  Scan s = scan(RecoveryMode::kStrict);
  expect_delivered(s, range(1, 3));
  EXPECT_EQ(s.report.next_seq, 5u);
}

TEST_F(JournalReaderTest, LossMarkerThatDoesNotContinueTheChainIsCorruption) {
  write(3, 1);
  const uint64_t at = format::kSegmentHeaderSize;
  write_segment(4, loss_frame(5, 5) + commit_frame(record_for(6)));
  written_.push_back(record_for(4));
  written_.push_back(record_for(5));
  written_.push_back(record_for(6));
  expect_refused(RecoveryMode::kTolerateTail, "journal/" + segment_name(4), at,
                 "loss marker");
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 3) + range(6, 6));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption,
                "journal/" + segment_name(4), at,
                format::kFrameHeaderSize + format::kLossPayloadSize, 4, 5);
  EXPECT_TRUE(s.report.known_losses.empty());
}

TEST_F(JournalReaderTest, IgnorableUnknownTypeIsSkipped) {
  write(3, 1);
  std::string frames;
  append_frame(&frames, format::kTypePadding, std::string(64, '\0'));
  append_frame(&frames, format::kIgnorableBit | 0x33, std::string(8, 'x'));
  write_segment(4, frames + commit_frame(record_for(4)));
  written_.push_back(record_for(4));
  for (RecoveryMode mode : kAllModes) {
    Scan s = scan(mode);
    expect_delivered(s, range(1, 4));
    EXPECT_TRUE(s.report.damage.empty());
  }
}

TEST_F(JournalReaderTest, UnknownTypeWithoutIgnorableBitIsCorruption) {
  write(3, 1);
  std::string frames;
  append_frame(&frames, 0x33, std::string(8, 'x'));
  write_segment(4, frames + commit_frame(record_for(4)));
  written_.push_back(record_for(4));
  expect_refused(RecoveryMode::kTolerateTail, "journal/" + segment_name(4),
                 format::kSegmentHeaderSize, "unknown record type 51");
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 4));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption,
                "journal/" + segment_name(4), format::kSegmentHeaderSize, 24);
}

TEST_F(JournalReaderTest, UndecodablePayloadWithGoodChecksumIsCorruption) {
  write(3, 1);
  std::string frames;
  append_frame(&frames, format::kTypeCommit, std::string(32, '\xEE'));
  write_segment(4, frames + commit_frame(record_for(5)));
  written_.push_back(record_for(4));
  written_.push_back(record_for(5));
  expect_refused(RecoveryMode::kTolerateTail, "journal/" + segment_name(4),
                 format::kSegmentHeaderSize, "does not decode");
  Scan s = scan(RecoveryMode::kSalvage);
  expect_delivered(s, range(1, 3) + range(5, 5));
  ASSERT_EQ(s.report.damage.size(), 1u);
  expect_damage(s.report.damage[0], Damage::Kind::kCorruption,
                "journal/" + segment_name(4), format::kSegmentHeaderSize, 48, 4, 4);
}

// ---------------------------------------------------------------------------
// Every single-bit flip anywhere in a small journal: strict always refuses (so
// `verify` exits 3), no mode crashes, no mode delivers a record that was not
// written, and point-in-time and salvage keep exactly what they promise.

class BitFlipTest : public JournalReaderTest {
 protected:
  // What the byte at `offset` of segment `segment` belongs to: a record's frame
  // (its seq) or the segment header (0).
  uint64_t owner(size_t segment, uint64_t offset) const {
    for (const auto& [seq, place] : places_) {
      if (place.segment == segment && place.offset <= offset && offset < place.end) {
        return seq;
      }
    }
    return 0;
  }

  uint64_t first_seq_of(size_t segment) const {
    for (const auto& [seq, place] : places_) {
      if (place.segment == segment) return seq;
    }
    return 0;
  }

  void check_every_flip() {
    const uint64_t n = written_.size();
    auto segments = list_segments(*posix_file_system(), journal());
    size_t flips = 0;
    for (size_t segment = 0; segment < segments.size(); ++segment) {
      const std::string path = journal() + "/" + segments[segment].name;
      const std::string clean = read_bytes(path);
      for (uint64_t bit = 0; bit < clean.size() * 8; ++bit) {
        poke(path, bit / 8, static_cast<char>(clean[bit / 8] ^ (1 << (bit % 8))));
        check_flip(segment, bit / 8, n, segment + 1 == segments.size());
        poke(path, bit / 8, clean[bit / 8]);
        ++flips;
        if (::testing::Test::HasFatalFailure()) return;
      }
      ASSERT_EQ(read_bytes(path), clean);
    }
    EXPECT_GT(flips, 0u);
  }

  void check_flip(size_t segment, uint64_t offset, uint64_t n, bool newest) {
    SCOPED_TRACE("segment " + std::to_string(segment) + " byte " +
                 std::to_string(offset));
    const uint64_t hit = owner(segment, offset);
    // Strict refuses every flip.
    try {
      scan(RecoveryMode::kStrict);
      ADD_FAILURE() << "strict scan accepted a flipped bit";
    } catch (const CorruptedDataError&) {
    }
    // Point-in-time: exactly the records before the damaged one.
    uint64_t prefix = hit != 0 ? hit - 1 : first_seq_of(segment) - 1;
    Scan pit = scan(RecoveryMode::kPointInTime);
    expect_delivered(pit, range(1, prefix));
    EXPECT_FALSE(pit.report.damage.empty());
    EXPECT_TRUE(pit.report.cut);
    // Salvage: every record but the damaged one; a damaged header loses none.
    Scan salvage = scan(RecoveryMode::kSalvage);
    std::vector<uint64_t> kept;
    for (uint64_t seq = 1; seq <= n; ++seq) {
      if (seq != hit) kept.push_back(seq);
    }
    expect_delivered(salvage, kept);
    EXPECT_FALSE(salvage.report.damage.empty());
    // Tolerate-tail refuses unless the flip made the final frame's length run
    // past the end, which is what a torn write looks like.
    try {
      Scan tolerant = scan(RecoveryMode::kTolerateTail);
      EXPECT_TRUE(newest && hit == n);
      EXPECT_GE(offset, places_.at(n).offset + format::kFrameLengthOffset);
      EXPECT_LT(offset, places_.at(n).offset + format::kFrameTypeOffset);
      expect_delivered(tolerant, range(1, n - 1));
      ASSERT_EQ(tolerant.report.damage.size(), 1u);
      EXPECT_EQ(tolerant.report.damage[0].kind, Damage::Kind::kTornTail);
    } catch (const CorruptedDataError&) {
    }
  }
};

TEST_F(BitFlipTest, EveryBitFlipInOneSegmentIsCaught) {
  write(3, 1 << 20);
  ASSERT_EQ(testing::segment_count(dir_.path()), 1u);
  check_every_flip();
}

TEST_F(BitFlipTest, EveryBitFlipInThreeSegmentsIsCaught) {
  write(3, 1);
  ASSERT_EQ(testing::segment_count(dir_.path()), 3u);
  check_every_flip();
}

}  // namespace
}  // namespace pa_journal
