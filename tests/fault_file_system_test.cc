// FaultFileSystem, the test seam itself: counting, the Nth call failing once
// or from then on, failed calls having no effect, healing.
#include "tests/fault_file_system.h"

#include <gtest/gtest.h>

#include "pa_journal/errors.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

class FaultFileSystemTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_ / name; }

  TempDir dir_;
  FaultFileSystem fs_;
};

TEST_F(FaultFileSystemTest, CountsEveryCallOfEachKind) {
  auto file = fs_.new_writable(path("a"));
  file->append("x");
  file->append("y");
  file->sync();
  file->close();
  fs_.rename(path("a"), path("b"));
  EXPECT_EQ(fs_.read_file(path("b")), "xy");
  fs_.sync_dir(dir_.path());
  EXPECT_EQ(fs_.count(FsOp::kOpen), 1u);
  EXPECT_EQ(fs_.count(FsOp::kAppend), 2u);
  EXPECT_EQ(fs_.count(FsOp::kSync), 1u);
  EXPECT_EQ(fs_.count(FsOp::kClose), 1u);
  EXPECT_EQ(fs_.count(FsOp::kRename), 1u);
  EXPECT_EQ(fs_.count(FsOp::kRead), 1u);
  EXPECT_EQ(fs_.count(FsOp::kSyncDir), 1u);
  EXPECT_EQ(fs_.count(FsOp::kTruncate), 0u);
  fs_.reset_counts();
  EXPECT_EQ(fs_.count(FsOp::kAppend), 0u);
}

TEST_F(FaultFileSystemTest, NthCallFailsOnceAndHasNoEffect) {
  auto file = fs_.new_writable(path("a"));
  file->append("0");
  fs_.fail(FsOp::kAppend, 3, FaultMode::kOnce);  // counted from now
  file->append("1");
  file->append("2");
  EXPECT_THROW(file->append("3"), IoError);
  file->append("4");
  file->close();
  EXPECT_EQ(read_bytes(path("a")), "0124");
  EXPECT_EQ(fs_.failures(FsOp::kAppend), 1u);
  EXPECT_EQ(fs_.count(FsOp::kAppend), 5u);
}

TEST_F(FaultFileSystemTest, PersistentFaultFailsTheNthAndEveryLaterCallUntilHealed) {
  write_bytes(path("a"), "data");
  fs_.fail(FsOp::kRename, 2, FaultMode::kPersistent);
  fs_.rename(path("a"), path("b"));
  EXPECT_THROW(fs_.rename(path("b"), path("c")), IoError);
  EXPECT_THROW(fs_.rename(path("b"), path("c")), IoError);
  EXPECT_TRUE(fs_.exists(path("b")));
  EXPECT_FALSE(fs_.exists(path("c")));
  fs_.heal();
  fs_.rename(path("b"), path("c"));
  EXPECT_EQ(read_bytes(path("c")), "data");
  EXPECT_EQ(fs_.failures(FsOp::kRename), 2u);
}

TEST_F(FaultFileSystemTest, FaultsOfOneKindLeaveOtherKindsAlone) {
  fs_.fail(FsOp::kSync, 1, FaultMode::kPersistent);
  auto file = fs_.new_writable(path("a"));
  file->append("x");
  EXPECT_THROW(file->sync(), IoError);
  fs_.truncate(path("a"), 0);
  fs_.sync_dir(dir_.path());
  EXPECT_EQ(fs_.file_size(path("a")), 0u);
}

TEST_F(FaultFileSystemTest, ErrorNamesTheCallAndThePath) {
  fs_.fail(FsOp::kOpen, 1);
  try {
    fs_.new_writable(path("a"));
    FAIL() << "no fault";
  } catch (const IoError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("open"), std::string::npos) << what;
    EXPECT_NE(what.find(path("a")), std::string::npos) << what;
  }
  EXPECT_FALSE(fs_.exists(path("a")));
}

TEST_F(FaultFileSystemTest, FilesOutliveTheFileSystemThatOpenedThem) {
  auto fs = std::make_shared<FaultFileSystem>();
  auto file = fs->new_writable(path("a"));
  fs.reset();
  file->append("still counted");
  file->close();
  EXPECT_EQ(read_bytes(path("a")), "still counted");
}

}  // namespace
}  // namespace pa_journal::testing
