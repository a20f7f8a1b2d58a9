// Tests of journal/segment_reader: the frames of one segment held in memory,
// the torn-tail rule, and exactly what is reported when bytes are damaged.
// Every corruption test damages chosen bytes and asserts how many frames
// survive and how many bytes are reported dropped, and where.
#include "journal/segment_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "journal/format.h"
#include "journal/record_codec.h"
#include "pa_journal/errors.h"

namespace pa_journal {
namespace {

class RecordingReporter : public Reporter {
 public:
  void report(const Damage& damage) override { damage_.push_back(damage); }
  std::vector<Damage> damage_;
};

class SegmentReaderTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kFirstSeq = 100;
  static constexpr char kName[] = "journal/00000000000000000100.log";

  // A segment with a header and `count` commit frames of records kFirstSeq...
  // Records differ in size so that frames do not all look alike.
  void build(size_t count) {
    data_ = encode_segment_header(kFirstSeq);
    frame_offsets_.clear();
    frame_ends_.clear();
    for (size_t i = 0; i < count; ++i) add_record(kFirstSeq + i);
  }

  void add_record(uint64_t seq) {
    Record record;
    record.seq = seq;
    record.time_ns = static_cast<int64_t>(1000 + seq);
    record.ops = {{OpKind::kPut, "notes", "key-" + std::to_string(seq),
                   "{\"text\":\"" + std::string(seq % 23, 'x') + "\"}"}};
    frame_offsets_.push_back(data_.size());
    append_frame(&data_, format::kTypeCommit, encode_payload(record));
    frame_ends_.push_back(data_.size());
  }

  uint64_t frame_offset(size_t i) const { return frame_offsets_.at(i); }
  uint64_t frame_end(size_t i) const { return frame_ends_.at(i); }
  uint64_t frame_size(size_t i) const { return frame_end(i) - frame_offset(i); }

  void flip(uint64_t offset, uint8_t mask = 0x01) {
    data_[offset] = static_cast<char>(data_[offset] ^ mask);
  }

  // Rewrites a frame's checksum so that it matches whatever its bytes now are.
  void reseal_frame(size_t i) {
    uint64_t at = frame_offset(i);
    uint32_t length = get_u32(data_.data() + at + 8);
    put_u64(data_.data() + at,
            checksum(std::string_view(data_).substr(at + 8, 8 + length)));
  }

  void reseal_header() {
    put_u64(data_.data() + 24, checksum(std::string_view(data_).substr(0, 24)));
  }

  // Reads every frame of data_ and returns the sequence numbers they hold.
  std::vector<uint64_t> read_all(bool newest, bool expect_header = true) {
    reporter_.damage_.clear();
    frames_.clear();
    reader_ = std::make_unique<SegmentReader>(kName, data_, newest, &reporter_);
    EXPECT_EQ(reader_->read_header(), expect_header);
    std::vector<uint64_t> seqs;
    Frame frame;
    while (reader_->next(&frame)) {
      frames_.push_back(frame);
      EXPECT_EQ(frame.type, format::kTypeCommit);
      seqs.push_back(decode_payload(frame.payload).seq);
    }
    EXPECT_FALSE(reader_->next(&frame)) << "next() after the end";
    return seqs;
  }

  static std::vector<uint64_t> seqs_except(size_t count, std::vector<size_t> dropped) {
    std::vector<uint64_t> seqs;
    for (size_t i = 0; i < count; ++i) {
      if (std::find(dropped.begin(), dropped.end(), i) == dropped.end()) {
        seqs.push_back(kFirstSeq + i);
      }
    }
    return seqs;
  }

  void expect_damage(size_t index, Damage::Kind kind, uint64_t offset, uint64_t bytes) {
    ASSERT_LT(index, reporter_.damage_.size());
    const Damage& d = reporter_.damage_[index];
    EXPECT_EQ(d.kind, kind) << d.describe();
    EXPECT_EQ(d.file, kName);
    EXPECT_EQ(d.offset, offset) << d.describe();
    EXPECT_EQ(d.bytes, bytes) << d.describe();
    EXPECT_EQ(d.first_seq, 0u);
    EXPECT_EQ(d.last_seq, 0u);
    EXPECT_FALSE(d.reason.empty());
  }

  size_t damage_count() const { return reporter_.damage_.size(); }

  std::string data_;
  std::vector<uint64_t> frame_offsets_, frame_ends_;
  RecordingReporter reporter_;
  std::unique_ptr<SegmentReader> reader_;
  std::vector<Frame> frames_;
};

// ---------------------------------------------------------------------------
// Clean segments.

TEST_F(SegmentReaderTest, EmptyNewestSegmentIsTornHeaderOfZeroBytes) {
  // A crash between creating a segment and writing its header.
  data_.clear();
  EXPECT_TRUE(read_all(/*newest=*/true, /*expect_header=*/false).empty());
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kTornTail, 0, 0);
  EXPECT_EQ(reader_->good_end(), 0u);
}

TEST_F(SegmentReaderTest, EmptyOlderSegmentIsCorruption) {
  data_.clear();
  EXPECT_TRUE(read_all(/*newest=*/false, /*expect_header=*/false).empty());
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, 0, 0);
}

TEST_F(SegmentReaderTest, HeaderOnlySegmentHasNoFramesAndNoDamage) {
  for (bool newest : {true, false}) {
    build(0);
    EXPECT_TRUE(read_all(newest).empty());
    EXPECT_EQ(damage_count(), 0u);
    EXPECT_EQ(reader_->first_seq(), kFirstSeq);
    EXPECT_EQ(reader_->version(), format::kFormatVersion);
    EXPECT_EQ(reader_->good_end(), format::kSegmentHeaderSize);
  }
}

TEST_F(SegmentReaderTest, RoundTripsManyFramesWithExactOffsets) {
  build(1000);
  for (bool newest : {true, false}) {
    EXPECT_EQ(read_all(newest), seqs_except(1000, {}));
    EXPECT_EQ(damage_count(), 0u);
    ASSERT_EQ(frames_.size(), 1000u);
    for (size_t i = 0; i < frames_.size(); ++i) {
      EXPECT_EQ(frames_[i].offset, frame_offset(i));
      EXPECT_EQ(frames_[i].end, frame_end(i));
      EXPECT_EQ(frames_[i].offset % format::kFrameAlignment, 0u);
    }
    EXPECT_EQ(reader_->good_end(), data_.size());
  }
}

TEST_F(SegmentReaderTest, FramesPointIntoTheSegmentData) {
  build(3);
  read_all(true);
  ASSERT_EQ(frames_.size(), 3u);
  EXPECT_EQ(frames_[1].payload.data(), data_.data() + frame_offset(1) + 16);
  EXPECT_EQ(frames_[1].payload.size(), frame_size(1) - 16);
}

TEST_F(SegmentReaderTest, UnknownFrameTypesArePassedToTheCaller) {
  // The segment reader checks framing only; what a type means is policy.
  build(1);
  append_frame(&data_, format::kTypePadding, std::string(24, '\0'));
  append_frame(&data_, 0x42, std::string(8, 'z'));
  add_record(kFirstSeq + 1);
  reader_ = std::make_unique<SegmentReader>(kName, data_, true, &reporter_);
  ASSERT_TRUE(reader_->read_header());
  std::vector<uint8_t> types;
  Frame frame;
  while (reader_->next(&frame)) types.push_back(frame.type);
  EXPECT_EQ(types, (std::vector<uint8_t>{format::kTypeCommit, format::kTypePadding, 0x42,
                                         format::kTypeCommit}));
  EXPECT_EQ(damage_count(), 0u);
}

TEST_F(SegmentReaderTest, NullReporterIsAllowed) {
  build(3);
  flip(frame_offset(1) + 20);
  data_.resize(data_.size() - 5);
  SegmentReader reader(kName, data_, true, nullptr);
  ASSERT_TRUE(reader.read_header());
  Frame frame;
  int frames = 0;
  while (reader.next(&frame)) ++frames;
  EXPECT_EQ(frames, 1);
}

// ---------------------------------------------------------------------------
// Torn tails: only in the newest segment.

TEST_F(SegmentReaderTest, TruncatedTrailingRecordIsTornTailInNewestSegment) {
  build(5);
  const std::string full = data_;
  for (uint64_t size = frame_offset(4) + 1; size < frame_end(4); ++size) {
    data_ = full.substr(0, size);
    EXPECT_EQ(read_all(true), seqs_except(5, {4})) << "cut at " << size;
    ASSERT_EQ(damage_count(), 1u) << "cut at " << size;
    expect_damage(0, Damage::Kind::kTornTail, frame_offset(4), size - frame_offset(4));
    EXPECT_EQ(reader_->good_end(), frame_offset(4));
  }
}

TEST_F(SegmentReaderTest, TruncatedTrailingRecordIsCorruptionInOlderSegment) {
  build(5);
  const std::string full = data_;
  for (uint64_t size = frame_offset(4) + 1; size < frame_end(4); ++size) {
    data_ = full.substr(0, size);
    EXPECT_EQ(read_all(false), seqs_except(5, {4})) << "cut at " << size;
    ASSERT_EQ(damage_count(), 1u);
    expect_damage(0, Damage::Kind::kCorruption, frame_offset(4), size - frame_offset(4));
  }
}

TEST_F(SegmentReaderTest, TruncatedHeaderIsTornInNewestSegment) {
  build(0);
  for (size_t size = 1; size < format::kSegmentHeaderSize; ++size) {
    data_ = encode_segment_header(kFirstSeq).substr(0, size);
    EXPECT_TRUE(read_all(true, false).empty());
    ASSERT_EQ(damage_count(), 1u);
    expect_damage(0, Damage::Kind::kTornTail, 0, size);
    EXPECT_EQ(reader_->good_end(), 0u);
  }
}

TEST_F(SegmentReaderTest, TruncatedHeaderIsCorruptionInOlderSegment) {
  data_ = encode_segment_header(kFirstSeq).substr(0, 20);
  EXPECT_TRUE(read_all(false, false).empty());
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, 0, 20);
}

TEST_F(SegmentReaderTest, ZeroFilledTailIsTornInNewestSegment) {
  // Preallocated or never-written blocks after the last frame.
  build(4);
  uint64_t end = data_.size();
  data_.append(4096, '\0');
  EXPECT_EQ(read_all(true), seqs_except(4, {}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kTornTail, end, 4096);
  EXPECT_EQ(reader_->good_end(), end);
}

TEST_F(SegmentReaderTest, ZeroFilledTailIsCorruptionInOlderSegment) {
  build(4);
  uint64_t end = data_.size();
  data_.append(4096, '\0');
  EXPECT_EQ(read_all(false), seqs_except(4, {}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, end, 4096);
}

TEST_F(SegmentReaderTest, ZeroedFrameFollowedByValidFrameIsCorruptionNotTorn) {
  build(4);
  std::fill(data_.begin() + frame_offset(2), data_.begin() + frame_end(2), '\0');
  EXPECT_EQ(read_all(true), seqs_except(4, {2}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(2), frame_size(2));
}

TEST_F(SegmentReaderTest, ZeroFilledSegmentIsTornHeaderInNewestSegment) {
  data_.assign(4096, '\0');
  EXPECT_TRUE(read_all(true, false).empty());
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kTornTail, 0, 4096);
}

TEST_F(SegmentReaderTest, PartialFrameHeaderIsTornInNewestSegment) {
  build(2);
  uint64_t end = data_.size();
  data_.append("\x01\x02\x03\x04\x05\x06\x07", 7);
  EXPECT_EQ(read_all(true), seqs_except(2, {}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kTornTail, end, 7);
}

// ---------------------------------------------------------------------------
// Corruption: exact bytes dropped, resynchronisation on the next frame.

TEST_F(SegmentReaderTest, ChecksumMismatchReportsExactBytesAndResyncs) {
  build(5);
  flip(frame_offset(2) + 40);
  for (bool newest : {true, false}) {
    EXPECT_EQ(read_all(newest), seqs_except(5, {2}));
    ASSERT_EQ(damage_count(), 1u);
    expect_damage(0, Damage::Kind::kCorruption, frame_offset(2), frame_size(2));
    EXPECT_EQ(reader_->good_end(), data_.size());
  }
}

TEST_F(SegmentReaderTest, FlippedStoredChecksumIsCorruption) {
  build(3);
  flip(frame_offset(1) + 7, 0x80);
  EXPECT_EQ(read_all(true), seqs_except(3, {1}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(1), frame_size(1));
}

TEST_F(SegmentReaderTest, FlippedTypeByteIsCorruption) {
  build(3);
  flip(frame_offset(1) + format::kFrameTypeOffset);
  EXPECT_EQ(read_all(true), seqs_except(3, {1}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(1), frame_size(1));
}

TEST_F(SegmentReaderTest, FlippedBitInCompleteFinalFrameIsCorruptionNotTorn) {
  build(5);
  const std::string full = data_;
  for (uint64_t at : {frame_offset(4) + 3, frame_offset(4) + 12, frame_offset(4) + 16,
                      frame_end(4) - 1}) {
    data_ = full;
    flip(at);
    EXPECT_EQ(read_all(true), seqs_except(5, {4})) << "flip at " << at;
    ASSERT_EQ(damage_count(), 1u);
    expect_damage(0, Damage::Kind::kCorruption, frame_offset(4), frame_size(4));
    EXPECT_EQ(reader_->good_end(), frame_offset(4));
  }
}

TEST_F(SegmentReaderTest, BadLengthIsCorruption) {
  // Lengths that cannot be a frame: zero, not a whole number of words, above
  // the limit; and lengths that are plausible but wrong, shorter or longer.
  build(5);
  const std::string full = data_;
  const uint32_t real = static_cast<uint32_t>(frame_size(2) - 16);
  for (uint32_t length :
       {0u, real + 1, real - 4, format::kMaxPayloadSize + 8, real - 8, real + 8}) {
    data_ = full;
    put_u32(data_.data() + frame_offset(2) + 8, length);
    for (bool newest : {true, false}) {
      EXPECT_EQ(read_all(newest), seqs_except(5, {2})) << "length " << length;
      ASSERT_EQ(damage_count(), 1u) << "length " << length;
      expect_damage(0, Damage::Kind::kCorruption, frame_offset(2), frame_size(2));
    }
  }
}

TEST_F(SegmentReaderTest, ResealedLengthOfSevenIsCorruption) {
  // Even with a checksum that holds, a length that is not a whole number of
  // words is refused.
  build(3);
  put_u32(data_.data() + frame_offset(1) + 8, 7);
  reseal_frame(1);
  EXPECT_EQ(read_all(true), seqs_except(3, {1}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(1), frame_size(1));
}

TEST_F(SegmentReaderTest, LengthPastEndInOlderSegmentIsCorruption) {
  build(5);
  put_u32(data_.data() + frame_offset(4) + 8, 1u << 20);
  EXPECT_EQ(read_all(false), seqs_except(5, {4}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(4), frame_size(4));
}

TEST_F(SegmentReaderTest, LengthPastEndInFinalFrameOfNewestSegmentIsTorn) {
  // Indistinguishable from a frame whose payload was not all written.
  build(5);
  put_u32(data_.data() + frame_offset(4) + 8, 1u << 20);
  EXPECT_EQ(read_all(true), seqs_except(5, {4}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kTornTail, frame_offset(4), frame_size(4));
}

TEST_F(SegmentReaderTest, LengthPastEndInMiddleFrameOfNewestSegmentIsCorruption) {
  // A torn write leaves nothing valid after it. A damaged length followed by
  // frames whose checksums hold is corruption, and those frames are kept.
  build(5);
  flip(frame_offset(1) + 8 + 2, 0x10);  // length += 1 MiB
  EXPECT_EQ(read_all(true), seqs_except(5, {1}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(1), frame_size(1));
}

TEST_F(SegmentReaderTest, NonZeroReservedBytesAreCorruption) {
  build(3);
  const std::string full = data_;
  for (int byte = 13; byte < 16; ++byte) {
    data_ = full;
    data_[frame_offset(1) + byte] = 1;
    reseal_frame(1);
    EXPECT_EQ(read_all(true), seqs_except(3, {1})) << "reserved byte " << byte;
    ASSERT_EQ(damage_count(), 1u);
    expect_damage(0, Damage::Kind::kCorruption, frame_offset(1), frame_size(1));
  }
}

TEST_F(SegmentReaderTest, DamageSpanningTwoFramesIsOneReportAndDoesNotJoinThem) {
  build(6);
  flip(frame_offset(2) + 30);
  flip(frame_offset(3) + 30);
  EXPECT_EQ(read_all(false), seqs_except(6, {2, 3}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(2),
                frame_size(2) + frame_size(3));
}

TEST_F(SegmentReaderTest, SeparateDamageIsReportedSeparately) {
  build(6);
  flip(frame_offset(1) + 30);
  flip(frame_offset(4) + 30);
  EXPECT_EQ(read_all(true), seqs_except(6, {1, 4}));
  ASSERT_EQ(damage_count(), 2u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(1), frame_size(1));
  expect_damage(1, Damage::Kind::kCorruption, frame_offset(4), frame_size(4));
}

TEST_F(SegmentReaderTest, GarbageBetweenFramesIsSkippedExactly) {
  build(2);
  uint64_t garbage_at = data_.size();
  std::mt19937 random(7);
  for (int i = 0; i < 200; ++i) data_.push_back(static_cast<char>(random() | 1));
  add_record(kFirstSeq + 2);
  EXPECT_EQ(read_all(true), seqs_except(3, {}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, garbage_at, 200);
}

TEST_F(SegmentReaderTest, OverwrittenFrameStartResyncsOnAlignedFrame) {
  // Bytes inserted in the middle of a frame shift what follows off the 8-byte
  // grid; the reader resyncs only on aligned frames.
  build(3);
  data_.insert(frame_offset(1) + 20, "abc");
  data_.append(5, '\x7F');  // realign the end, then one more good frame
  add_record(kFirstSeq + 3);
  EXPECT_EQ(read_all(true), (std::vector<uint64_t>{kFirstSeq, kFirstSeq + 3}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, frame_offset(1),
                frame_offset(3) - frame_offset(1));
}

// ---------------------------------------------------------------------------
// Segment header.

TEST_F(SegmentReaderTest, HeaderChecksumMismatchIsCorruptionOfTheHeader) {
  for (uint64_t at : {uint64_t{8}, uint64_t{12}, uint64_t{16}, uint64_t{23}, uint64_t{24},
                      uint64_t{31}}) {
    for (bool newest : {true, false}) {
      build(3);
      flip(at);
      SegmentReader reader(kName, data_, newest, nullptr);
      EXPECT_FALSE(reader.read_header());
      EXPECT_EQ(reader.good_end(), 0u);
      EXPECT_EQ(read_all(newest, /*expect_header=*/false), seqs_except(3, {}));
      ASSERT_EQ(damage_count(), 1u) << "flip at " << at;
      expect_damage(0, Damage::Kind::kCorruption, 0, format::kSegmentHeaderSize);
    }
  }
}

TEST_F(SegmentReaderTest, FramesAfterDamagedHeaderAreStillRead) {
  // So that salvage keeps the records of a segment whose header is damaged.
  build(3);
  flip(16);
  EXPECT_EQ(read_all(false, false), seqs_except(3, {}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, 0, format::kSegmentHeaderSize);
}

TEST_F(SegmentReaderTest, BadMagicIsCorruption) {
  build(2);
  data_.replace(0, 8, "PAJRNSEH");
  reseal_header();  // only the magic is wrong
  read_all(true, false);
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, 0, format::kSegmentHeaderSize);
}

TEST_F(SegmentReaderTest, ZeroedHeaderBeforeFramesIsCorruptionNotTorn) {
  build(2);
  std::fill(data_.begin(), data_.begin() + 32, '\0');
  EXPECT_EQ(read_all(true, false), seqs_except(2, {}));
  ASSERT_EQ(damage_count(), 1u);
  expect_damage(0, Damage::Kind::kCorruption, 0, format::kSegmentHeaderSize);
}

TEST_F(SegmentReaderTest, UnsupportedFormatVersionThrowsStorageError) {
  for (uint32_t version : {0u, format::kFormatVersion + 1, 0xFFFFFFFFu}) {
    build(2);
    put_u32(data_.data() + 8, version);
    reseal_header();
    SegmentReader reader(kName, data_, true, &reporter_);
    try {
      reader.read_header();
      ADD_FAILURE() << "version " << version << " was accepted";
    } catch (const CorruptedDataError& e) {
      ADD_FAILURE() << "a newer format is not damage: " << e.what();
    } catch (const StorageError& e) {
      EXPECT_NE(std::string(e.what()).find(kName), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("version " + std::to_string(version)),
                std::string::npos)
          << e.what();
    }
  }
}

TEST_F(SegmentReaderTest, FlagsAreCarriedButNotInterpreted) {
  build(2);
  put_u32(data_.data() + 12, 0x5);
  reseal_header();
  EXPECT_EQ(read_all(true), seqs_except(2, {}));
  EXPECT_EQ(damage_count(), 0u);
}

// ---------------------------------------------------------------------------
// Hostile input: every byte is accounted for, nothing crashes.

TEST_F(SegmentReaderTest, EveryByteIsAccountedForUnderRandomDamage) {
  build(12);
  const std::string clean = data_;
  std::mt19937_64 random(1125);
  for (int round = 0; round < 3000; ++round) {
    data_ = clean;
    int edits = 1 + static_cast<int>(random() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (random() % 4) {
        case 0:
          flip(random() % data_.size(), static_cast<uint8_t>(1 << (random() % 8)));
          break;
        case 1:
          data_.resize(random() % data_.size());
          break;
        case 2:
          data_[random() % data_.size()] = static_cast<char>(random());
          break;
        case 3:
          data_.insert(random() % data_.size(), std::string(random() % 24, '\0'));
          break;
      }
      if (data_.empty()) break;
    }
    bool newest = round % 2 == 0;
    reporter_.damage_.clear();
    SegmentReader reader(kName, data_, newest, &reporter_);
    bool header_ok = reader.read_header();
    // The header, the frames and the damage tile the segment with no gaps.
    std::vector<std::pair<uint64_t, uint64_t>> pieces;
    if (header_ok) pieces.push_back({0, format::kSegmentHeaderSize});
    Frame frame;
    size_t reported = 0;
    auto take_reports = [&] {
      for (; reported < reporter_.damage_.size(); ++reported) {
        const Damage& d = reporter_.damage_[reported];
        pieces.push_back({d.offset, d.offset + d.bytes});
      }
    };
    take_reports();
    while (reader.next(&frame)) {
      take_reports();
      pieces.push_back({frame.offset, frame.end});
      try {
        decode_payload(frame.payload);
      } catch (const CorruptedDataError&) {
      }
    }
    take_reports();
    uint64_t at = 0;
    for (const auto& [from, to] : pieces) {
      ASSERT_EQ(from, at) << "round " << round;
      ASSERT_LE(from, to);
      at = to;
    }
    ASSERT_EQ(at, data_.size()) << "round " << round;
    for (const Damage& d : reporter_.damage_) {
      if (d.kind == Damage::Kind::kTornTail) {
        EXPECT_TRUE(newest);
        EXPECT_EQ(d.offset + d.bytes, data_.size());
      }
    }
  }
}

}  // namespace
}  // namespace pa_journal
