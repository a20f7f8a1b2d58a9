// RecordFollower (pa_journal/inspect.h): each poll delivers the records that
// became readable since the last one, once each, and says which records a
// compaction removed before it could read them.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pa_journal/inspect.h"
#include "pa_journal/store.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

class RecordFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.segment_bytes = 1024;
    options.backup_count = 1;
    options.auto_compact = false;
    store_ = Store::open(dir_, options);
  }

  void commit(int n) {
    for (int i = 0; i < n; ++i, ++next_)
      store_->put("contacts", "k" + std::to_string(next_), R"({"v":1})");
  }

  RecordPoll poll(RecordFollower& follower) {
    return follower.poll([&](const Record& r) { seqs_.push_back(r.seq); });
  }

  static std::vector<uint64_t> range(uint64_t from, uint64_t to) {
    std::vector<uint64_t> out;
    for (uint64_t i = from; i <= to; ++i) out.push_back(i);
    return out;
  }

  testing::TempDir tmp_;
  std::string dir_ = tmp_ / "store";
  std::unique_ptr<Store> store_;
  uint64_t next_ = 0;
  std::vector<uint64_t> seqs_;
};

TEST_F(RecordFollowerTest, EachPollDeliversOnlyTheNewRecords) {
  commit(5);
  RecordFollower follower(dir_, {});
  EXPECT_EQ(poll(follower).delivered, 5u);
  EXPECT_EQ(poll(follower).delivered, 0u);  // nothing new
  commit(40);                               // rolls segments
  EXPECT_EQ(poll(follower).delivered, 40u);
  EXPECT_EQ(seqs_, range(1, 45));
}

TEST_F(RecordFollowerTest, RecordsCompactedAwayBeforeAPollAreReportedAsRemoved) {
  commit(5);
  RecordFollower follower(dir_, {});
  poll(follower);
  commit(60);
  store_->compact();
  commit(60);
  store_->compact();  // keeps one snapshot: the segments of 6..N are gone
  commit(3);
  RecordPoll p = poll(follower);
  EXPECT_EQ(p.removed_first, 6u);
  ASSERT_GT(p.removed_last, 6u);
  EXPECT_LE(p.removed_last, 125u);
  EXPECT_EQ(p.delivered, 128 - p.removed_last);
  std::vector<uint64_t> expected = range(1, 5);
  for (uint64_t s : range(p.removed_last + 1, 128)) expected.push_back(s);
  EXPECT_EQ(seqs_, expected);
}

TEST_F(RecordFollowerTest, LimitCountsOverAllPolls) {
  commit(3);
  RecordFilter filter;
  filter.limit = 5;
  RecordFollower follower(dir_, filter);
  EXPECT_EQ(poll(follower).delivered, 3u);
  EXPECT_FALSE(follower.done());
  commit(4);
  EXPECT_EQ(poll(follower).delivered, 2u);
  EXPECT_TRUE(follower.done());
  EXPECT_EQ(seqs_, range(1, 5));
}

TEST_F(RecordFollowerTest, AFirstPollWithoutAStoreThrowsALaterOneSaysItIsGone) {
  RecordFollower missing(tmp_ / "nothing", {});
  EXPECT_THROW(poll(missing), NotFoundError);
  commit(1);
  RecordFollower follower(dir_, {});
  poll(follower);
  store_.reset();
  std::filesystem::remove_all(dir_);
  EXPECT_TRUE(poll(follower).store_gone);
}

}  // namespace
}  // namespace pa_journal
