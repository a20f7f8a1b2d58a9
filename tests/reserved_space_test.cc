// Reserved space at the end of a segment (journal/format.h, kReservedFill):
// how the reader tells it from data and from damage, how the POSIX file keeps
// it, and how a store left with it by a crash reopens and appends.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "journal/format.h"
#include "journal/journal_reader.h"
#include "journal/record_codec.h"
#include "journal/segment_reader.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"
#include "pa_journal/store.h"
#include "tests/fault_file_system.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

constexpr char kFill = format::kReservedFill;

class RecordingReporter : public Reporter {
 public:
  void report(const Damage& damage) override { damage_.push_back(damage); }
  std::vector<Damage> damage_;
};

// A segment of `count` commits of records 1..count, and where its frames end.
struct Built {
  std::string data;
  std::vector<uint64_t> ends;
};

Built build_segment(size_t count) {
  Built b{encode_segment_header(1), {}};
  for (size_t i = 0; i < count; ++i) {
    Record record{i + 1, static_cast<int64_t>(i + 1), {}, {}};
    record.ops = {{OpKind::kPut, "notes", "k" + std::to_string(i), "{\"n\":1}"}};
    append_frame(&b.data, format::kTypeCommit, encode_payload(record));
    b.ends.push_back(b.data.size());
  }
  return b;
}

struct ReadResult {
  std::vector<Frame> frames;
  std::vector<Damage> damage;
  uint64_t good_end = 0;
  uint64_t data_end = 0;
};

ReadResult read_segment(const std::string& data, bool newest) {
  RecordingReporter reporter;
  SegmentReader reader("journal/x.log", data, newest, &reporter);
  ReadResult r;
  EXPECT_TRUE(reader.read_header());
  Frame frame;
  while (reader.next(&frame)) r.frames.push_back(frame);
  r.damage = reporter.damage_;
  r.good_end = reader.good_end();
  r.data_end = reader.data_end();
  return r;
}

// r read `frames` frames and reported exactly one damage, of kind at offset.
void expect_one_damage(const ReadResult& r, size_t frames, Damage::Kind kind,
                       uint64_t offset) {
  EXPECT_EQ(r.frames.size(), frames);
  ASSERT_EQ(r.damage.size(), 1u);
  EXPECT_EQ(r.damage[0].kind, kind) << r.damage[0].describe();
  EXPECT_EQ(r.damage[0].offset, offset);
}

TEST(ReservedSpaceReaderTest, FillAfterTheLastFrameIsACleanEndInAnySegment) {
  Built b = build_segment(5);
  uint64_t end = b.data.size();
  b.data.append(8192, kFill);
  for (bool newest : {true, false}) {
    ReadResult r = read_segment(b.data, newest);
    EXPECT_EQ(r.frames.size(), 5u);
    EXPECT_TRUE(r.damage.empty()) << r.damage.front().describe();
    EXPECT_EQ(r.data_end, end);
  }
}

TEST(ReservedSpaceReaderTest, HeaderFollowedOnlyByFillHasNoFramesAndNoDamage) {
  Built b = build_segment(0);
  b.data.append(4096, kFill);
  ReadResult r = read_segment(b.data, true);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_TRUE(r.damage.empty());
  EXPECT_EQ(r.data_end, format::kSegmentHeaderSize);
}

TEST(ReservedSpaceReaderTest, FrameEndingInFillBytesIsKeptWhole) {
  Built b = build_segment(2);
  // Padding frames may end in bytes equal to the fill; the data end must not
  // fall inside such a frame.
  append_frame(&b.data, format::kTypePadding, std::string(24, kFill));
  uint64_t end = b.data.size();
  b.data.append(4096, kFill);
  ReadResult r = read_segment(b.data, true);
  ASSERT_EQ(r.frames.size(), 3u);
  EXPECT_EQ(r.frames.back().type, format::kTypePadding);
  EXPECT_TRUE(r.damage.empty());
  EXPECT_EQ(r.data_end, end);
}

TEST(ReservedSpaceReaderTest, AppendTornInsideTheReservationIsATornTail) {
  Built b = build_segment(4);
  uint64_t start = b.ends[2];
  const std::string full = b.data + std::string(4096, kFill);
  for (uint64_t cut = start + 1; cut < b.ends[3]; ++cut) {
    std::string data = full;
    std::fill(data.begin() + static_cast<long>(cut), data.end(), kFill);
    SCOPED_TRACE("cut at " + std::to_string(cut));
    ReadResult r = read_segment(data, true);
    expect_one_damage(r, 3, Damage::Kind::kTornTail, start);
    EXPECT_EQ(r.good_end, start);
  }
}

TEST(ReservedSpaceReaderTest, AppendTornInsideTheReservationIsCorruptionInOlderSegment) {
  Built b = build_segment(4);
  std::string data = b.data.substr(0, b.ends[3] - 5) + std::string(4096, kFill);
  expect_one_damage(read_segment(data, false), 3, Damage::Kind::kCorruption, b.ends[2]);
}

TEST(ReservedSpaceReaderTest, ZeroedLastFrameBeforeTheFillIsATornTail) {
  Built b = build_segment(3);
  std::string data = b.data + std::string(4096, kFill);
  std::fill(data.begin() + static_cast<long>(b.ends[1]),
            data.begin() + static_cast<long>(b.ends[2]), '\0');
  expect_one_damage(read_segment(data, true), 2, Damage::Kind::kTornTail, b.ends[1]);
}

TEST(ReservedSpaceReaderTest, FillBetweenFramesIsCorruptionNotAnEnd) {
  Built b = build_segment(4);
  std::fill(b.data.begin() + static_cast<long>(b.ends[1]),
            b.data.begin() + static_cast<long>(b.ends[2]), kFill);
  ReadResult r = read_segment(b.data, true);
  // Three frames: the one after the fill is still read.
  expect_one_damage(r, 3, Damage::Kind::kCorruption, b.ends[1]);
  EXPECT_EQ(r.damage[0].bytes, b.ends[2] - b.ends[1]);
}

// ---------------------------------------------------------------------------
// The POSIX file.

// Both ways of appending into a reservation: through a map and with pwrite.
TEST(ReservedSpaceFileTest, AppendsFillTheReservationAndCloseCutsTheRest) {
  for (bool rarely_synced : {true, false}) {
    testing::TempDir dir;
    auto fs = posix_file_system();
    std::string path = dir / "f";
    auto file = fs->new_writable(path);
    file->append("head");
    file->reserve(100, kFill, rarely_synced);
    EXPECT_EQ(fs->file_size(path), 104u);
    file->append("abc");
    file->sync();
    EXPECT_EQ(testing::read_bytes(path), "headabc" + std::string(97, kFill))
        << "a reader sees the appended bytes at once, then the fill";
    file->reserve(10, kFill, rarely_synced);  // already reserved: no change
    EXPECT_EQ(fs->file_size(path), 104u);
    file->close();
    EXPECT_EQ(testing::read_bytes(path), "headabc");
  }
}

// The map is a window of at least 64 MiB that doubles when a reservation
// outgrows it; appends on both sides of the remap must land where they belong.
TEST(ReservedSpaceFileTest, MappedAppendsPastTheFirstMapWindowLandInPlace) {
  testing::TempDir dir;
  auto fs = posix_file_system();
  std::string path = dir / "f";
  auto file = fs->new_writable(path);
  std::string expected;
  std::string chunk(1 << 20, '\0');
  for (int i = 0; i < 70; ++i) {  // 70 MiB: one remap
    for (size_t j = 0; j < chunk.size(); ++j)
      chunk[j] = static_cast<char>('a' + (i + j) % 26);
    file->reserve(chunk.size() + 100, kFill, /*rarely_synced=*/true);
    file->append(chunk);
    expected += chunk;
  }
  file->close();
  EXPECT_TRUE(testing::read_bytes(path) == expected);
}

TEST(ReservedSpaceFileTest, AnAppendPastTheReservationGrowsTheFile) {
  testing::TempDir dir;
  auto fs = posix_file_system();
  std::string path = dir / "f";
  auto file = fs->new_writable(path);
  file->reserve(8, kFill, false);
  file->append("0123456");
  file->append(std::string(20, 'x'));  // runs past the reservation
  file->append("!");
  file->close();
  EXPECT_EQ(testing::read_bytes(path), "0123456" + std::string(20, 'x') + "!");
}

TEST(ReservedSpaceFileTest, AReservationLeftWithoutCloseStaysAndReopenAppendsAtItsEnd) {
  testing::TempDir dir;
  auto fs = posix_file_system();
  std::string path = dir / "f";
  {
    auto file = fs->new_writable(path);
    file->append("data");
    file->reserve(12, kFill, true);
  }  // destroyed without close(), as by a crash: the fill stays
  EXPECT_EQ(testing::read_bytes(path), "data" + std::string(12, kFill));
  fs->truncate(path, 4);
  auto file = fs->open_appendable(path);
  file->append("more");
  file->close();
  EXPECT_EQ(testing::read_bytes(path), "datamore");
}

// ---------------------------------------------------------------------------
// A store with a reservation, as a crash leaves it.

class ReservedSpaceStoreTest : public ::testing::TestWithParam<Durability> {
 protected:
  Options options() const {
    Options o;
    o.durability = GetParam();
    o.auto_compact = false;
    return o;
  }

  // Commits `count` puts to the store at dir, and copies its directory, while
  // it is open, to `copy`: the copy is what a kill -9 at that moment leaves.
  void commit_and_copy_open(const std::string& dir, const std::string& copy, int count) {
    auto store = Store::open(dir, options());
    for (int i = 0; i < count; ++i) {
      store->put("notes", "k" + std::to_string(i), "{\"i\":" + std::to_string(i) + "}");
    }
    std::filesystem::copy(dir, copy, std::filesystem::copy_options::recursive);
  }

  static void expect_documents(Store& store, int count) {
    EXPECT_EQ(store.list("notes").size(), static_cast<size_t>(count));
    for (int i = 0; i < count; ++i) {
      EXPECT_EQ(store.get("notes", "k" + std::to_string(i)),
                "{\"i\":" + std::to_string(i) + "}");
    }
  }

  testing::TempDir tmp_;
};

TEST_P(ReservedSpaceStoreTest, AnOpenWritersSegmentEndsInFill) {
  commit_and_copy_open(tmp_ / "s", tmp_ / "copy", 3);
  std::string segment = testing::read_bytes(testing::segment_path(tmp_ / "copy"));
  ASSERT_GT(segment.size(), 1000u);
  EXPECT_EQ(segment.back(), kFill);
  std::string closed = testing::read_bytes(testing::segment_path(tmp_ / "s"));
  EXPECT_NE(closed.back(), kFill) << "close cuts the reservation off";
  EXPECT_LT(closed.size(), segment.size());
}

TEST_P(ReservedSpaceStoreTest, ReopenAfterACrashReadsEveryCommitAndReportsNoDamage) {
  commit_and_copy_open(tmp_ / "s", tmp_ / "copy", 20);
  auto store = Store::open(tmp_ / "copy", options());
  EXPECT_TRUE(store->recovery().damage.empty()) << store->recovery().damage[0].describe();
  EXPECT_EQ(store->last_seq(), 20u);
  expect_documents(*store, 20);
}

TEST_P(ReservedSpaceStoreTest, CommitsAfterACrashFollowTheLastRecordAndSurviveReopen) {
  commit_and_copy_open(tmp_ / "s", tmp_ / "copy", 10);
  {
    auto store = Store::open(tmp_ / "copy", options());
    for (int i = 10; i < 25; ++i) {
      store->put("notes", "k" + std::to_string(i), "{\"i\":" + std::to_string(i) + "}");
    }
  }
  Options strict = options();
  strict.recovery = RecoveryMode::kStrict;
  auto store = Store::open(tmp_ / "copy", strict);
  EXPECT_EQ(store->last_seq(), 25u);
  expect_documents(*store, 25);
}

TEST_P(ReservedSpaceStoreTest, ARecordTornInsideTheReservationIsCutAndLogged) {
  commit_and_copy_open(tmp_ / "s", tmp_ / "copy", 6);
  std::string path = testing::segment_path(tmp_ / "copy");
  std::string data = testing::read_bytes(path);
  auto frames = testing::frames_of(data.substr(0, data.find_last_not_of(kFill) + 1));
  ASSERT_EQ(frames.size(), 6u);
  const auto& last = frames.back();
  std::fill(data.begin() + static_cast<long>(last.offset + last.size / 2), data.end(),
            kFill);
  testing::write_bytes(path, data);
  {
    auto store = Store::open(tmp_ / "copy", options());
    ASSERT_EQ(store->recovery().damage.size(), 1u);
    EXPECT_EQ(store->recovery().damage[0].kind, Damage::Kind::kTornTail);
    EXPECT_EQ(store->last_seq(), 5u);
    store->put("notes", "k5", "{\"i\":5}");
  }
  Options strict = options();
  strict.recovery = RecoveryMode::kStrict;
  auto store = Store::open(tmp_ / "copy", strict);
  EXPECT_EQ(store->last_seq(), 6u);
  expect_documents(*store, 6);
}

INSTANTIATE_TEST_SUITE_P(Modes, ReservedSpaceStoreTest,
                         ::testing::Values(Durability::kAlways, Durability::kInterval,
                                           Durability::kNone),
                         [](const auto& param) {
                           return std::string(to_string(param.param));
                         });

}  // namespace
}  // namespace pa_journal

namespace pa_journal {
namespace {

// A writer killed right after it created a segment and reserved its space,
// before the first record landed: the segment is a header and fill.
TEST(ReservedSpaceCrashTest, ASegmentOfOnlyHeaderAndFillIsReusedByTheNextWriters) {
  testing::TempDir tmp;
  std::string dir = tmp / "s";
  Options small;
  small.segment_bytes = 4096;
  small.auto_compact = false;
  uint64_t next = 0;
  {
    auto store = Store::open(dir, small);
    for (int i = 0; i < 40; ++i)
      store->put("notes", "k" + std::to_string(i), "{\"v\":1}");
    next = store->last_seq() + 1;
  }
  testing::write_bytes(dir + "/journal/" + segment_name(next),
                       encode_segment_header(next) + std::string(4464, kFill));
  for (Options options : {Options{}, small, Options{}, small}) {
    options.auto_compact = false;
    auto store = Store::open(dir, options);
    EXPECT_TRUE(store->recovery().damage.empty())
        << store->recovery().damage[0].describe();
    store->compact();
    for (int i = 0; i < 30; ++i)
      store->put("notes", "x" + std::to_string(i), "{\"v\":2}");
  }
  Options strict;
  strict.recovery = RecoveryMode::kStrict;
  auto store = Store::open(dir, strict);
  EXPECT_EQ(store->last_seq(), next - 1 + 4 * 30);
}

}  // namespace
}  // namespace pa_journal

namespace pa_journal {
namespace {

// A disk with about `room` bytes left for reservations: a file's reserve()
// beyond that fails as a full disk would, appends still fit.
class NearlyFullFileSystem : public testing::FaultFileSystem {
 public:
  explicit NearlyFullFileSystem(uint64_t room) : room_(room) {}
  std::unique_ptr<WritableFile> new_writable(const std::string& path) override {
    return std::make_unique<File>(FaultFileSystem::new_writable(path), room_);
  }

 private:
  class File : public WritableFile {
   public:
    File(std::unique_ptr<WritableFile> base, uint64_t room)
        : base_(std::move(base)), room_(room) {}
    void append(std::string_view data) override { base_->append(data); }
    void sync() override { base_->sync(); }
    void append_durably(std::string_view data) override { base_->append_durably(data); }
    void close() override { base_->close(); }
    void reserve(uint64_t bytes, char fill, bool rarely_synced) override {
      if (bytes > room_) throw IoError("pwrite: No space left on device");
      base_->reserve(bytes, fill, rarely_synced);
    }

   private:
    std::unique_ptr<WritableFile> base_;
    uint64_t room_;
  };
  uint64_t room_;
};

// The megabyte reserved ahead is an optimisation: with less than that free,
// commits still go in (reserving only what each needs), in every mode.
TEST(ReservedSpaceWriterTest, ANearlyFullDiskStillTakesCommits) {
  for (Durability durability :
       {Durability::kAlways, Durability::kInterval, Durability::kNone}) {
    testing::TempDir dir;
    Options options;
    options.file_system = std::make_shared<NearlyFullFileSystem>(64 << 10);
    options.durability = durability;
    {
      auto store = Store::open(dir.path(), options);
      for (int i = 0; i < 20; ++i) {
        store->put("notes", "n" + std::to_string(i), R"({"text":"still fits"})");
      }
    }
    auto store = Store::open(dir.path(), options);
    EXPECT_EQ(store->list("notes").size(), 20u);
    EXPECT_EQ(store->last_seq(), 20u);
  }
}

}  // namespace
}  // namespace pa_journal
