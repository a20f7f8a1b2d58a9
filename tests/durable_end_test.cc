// The durable-end file (journal/durable_end.h, docs/journal-format.md): a
// round trip, a torn or damaged slot passed over for the other one, and a
// missing or wholly damaged file read as no file (readers then read as
// before). The writer's side: published at open, after each sync, at close.
#include "journal/durable_end.h"

#include <gtest/gtest.h>

#include <string>

#include "journal/format.h"
#include "journal/layout.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

const DurableEnd kOlder{41, 1'795'600'800'000'000'000, 1, 2000};
const DurableEnd kNewer{42, 1'795'600'800'000'001'000, 1, 2096};

std::string two_slots(uint64_t older_counter) {
  // Counter c lives in slot c % 2.
  std::string a = encode_durable_end_slot(kOlder, older_counter);
  std::string b = encode_durable_end_slot(kNewer, older_counter + 1);
  return older_counter % 2 == 0 ? a + b : b + a;
}

TEST(DurableEndFormatTest, SlotRoundTrips) {
  std::string slot = encode_durable_end_slot(kNewer, 7);
  ASSERT_EQ(slot.size(), format::kDurableEndSlotSize);
  auto decoded = decode_durable_end(slot);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->end, kNewer);
  EXPECT_EQ(decoded->counter, 7u);
}

TEST(DurableEndFormatTest, NewestSlotThatVerifiesWinsWhicheverSlotItIsIn) {
  for (uint64_t counter : {2u, 3u}) {
    auto decoded = decode_durable_end(two_slots(counter));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->end, kNewer) << counter;
  }
}

TEST(DurableEndFormatTest, TornNewestSlotIsPassedOverForTheOlderOne) {
  std::string file = two_slots(2);  // newer in slot 1
  // A write in progress: the slot's second half still holds the old bytes.
  for (size_t i = 40; i < format::kDurableEndSlotSize; ++i)
    file[format::kDurableEndSlotSize + i] = '\0';
  auto decoded = decode_durable_end(file);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->end, kOlder);
}

TEST(DurableEndFormatTest, DamagedSlotIsPassedOverAndAShortFileKeepsItsWholeSlot) {
  std::string file = two_slots(2);
  file[format::kDurableEndSlotSize + 20] ^= 1;  // the newer one's seq
  ASSERT_TRUE(decode_durable_end(file).has_value());
  EXPECT_EQ(decode_durable_end(file)->end, kOlder);
  EXPECT_EQ(decode_durable_end(two_slots(2).substr(0, 70))->end, kOlder);
}

TEST(DurableEndFormatTest, NoSlotThatVerifiesReadsAsNoFile) {
  EXPECT_FALSE(decode_durable_end("").has_value());
  EXPECT_FALSE(decode_durable_end(std::string(128, '\0')).has_value());
  std::string file = two_slots(2);
  file[0] = 'X';
  file[format::kDurableEndSlotSize] = 'X';
  EXPECT_FALSE(decode_durable_end(file).has_value());
}

TEST(DurableEndFileTest, MissingFileMeansReadAsBefore) {
  testing::TempDir tmp;
  EXPECT_FALSE(read_durable_end(*posix_file_system(), tmp.path()).has_value());
}

TEST(DurableEndFileTest, PublisherAlternatesSlotsAndNeverMovesTheEndBack) {
  testing::TempDir tmp;
  auto fs = posix_file_system();
  {
    DurableEndPublisher publisher(fs, tmp.path());
    publisher.publish(kOlder);
    publisher.publish(kNewer);
    publisher.publish(kOlder);  // a slower sync finishing late: ignored
  }
  std::string file = testing::read_bytes(durable_end_file_name(tmp.path()));
  ASSERT_EQ(file.size(), 2 * format::kDurableEndSlotSize);
  EXPECT_EQ(read_durable_end(*fs, tmp.path()), kNewer);
  // A later writer counts on from the file, so its first value is the newest.
  const DurableEnd reopened{40, kNewer.time_ns, 1, 1900};  // a repair cut it back
  DurableEndPublisher(fs, tmp.path()).publish(reopened);
  EXPECT_EQ(read_durable_end(*fs, tmp.path()), reopened);
}

TEST(DurableEndFileTest, StorePublishesAtOpenAfterEachCommitAndAtClose) {
  testing::TempDir tmp;
  std::string dir = tmp / "store";
  auto fs = posix_file_system();
  const std::string journal = journal_dir(dir);
  for (Durability mode : {Durability::kAlways, Durability::kNone}) {
    Options options;
    options.durability = mode;
    auto store = Store::open(dir, options);
    uint64_t opened = store->last_seq();
    ASSERT_TRUE(read_durable_end(*fs, journal).has_value());
    EXPECT_EQ(read_durable_end(*fs, journal)->seq, opened);
    store->put("notes", "k", R"({"n":1})");
    // Under none, other processes see a commit once it is synced (here at close).
    EXPECT_EQ(read_durable_end(*fs, journal)->seq,
              mode == Durability::kAlways ? opened + 1 : opened);
    store.reset();
    std::optional<DurableEnd> closed = read_durable_end(*fs, journal);
    ASSERT_TRUE(closed.has_value());
    EXPECT_EQ(closed->seq, opened + 1);
    EXPECT_EQ(closed->end, testing::read_bytes(testing::segment_path(dir)).size());
  }
}

}  // namespace
}  // namespace pa_journal
