// `pa-journal bench` (docs/cli.md section 12): the short benchmark runs on the
// user's own disk and judges every target of docs/design.md 7; it refuses a
// directory that does not exist and a measuring time that is not positive,
// creating nothing; it never opens the store and leaves nothing behind.
// Measuring times are tiny: the figures are not what these tests check.
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/vfs.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal {
namespace {

using nlohmann::json;
using testing::CommandResult;
using testing::contains;
using testing::kExitOk;
using testing::kExitUsage;

class CliBenchTest : public ::testing::Test {
 protected:
  // pa-journal --dir <store> [--json] bench args...
  CommandResult bench(std::vector<std::string> args, bool as_json = true) {
    std::vector<std::string> argv{"--dir", store};
    if (as_json) argv.push_back("--json");
    argv.push_back("bench");
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::run_pa_journal(argv);
  }

  testing::TempDir tmp;
  std::string store = tmp / "store";
  std::string in = tmp.path();
};

// Each measured target's verdict must be what its ratio says against what it
// requires; the figure it names must be in the report.
void expect_targets_judged(const json& report) {
  ASSERT_TRUE(report.is_object()) << report;
  const json& targets = report.at("targets");
  ASSERT_EQ(targets.size(), 14u) << "docs/design.md 7 names fourteen targets";
  std::vector<std::string> figure_ids;
  for (const auto& f : report.at("figures")) figure_ids.push_back(f.at("id"));
  size_t passed = 0, measured = 0;
  for (const auto& t : targets) {
    SCOPED_TRACE(t.dump());
    ASSERT_TRUE(t.at("measured").get<bool>()) << "the short run measures every target";
    ++measured;
    double ratio = t.at("ratio"), required = t.at("required");
    bool pass = t.at("comparison") == ">=" ? ratio >= required : ratio <= required;
    EXPECT_EQ(t.at("pass").get<bool>(), pass);
    EXPECT_GT(ratio, 0);
    passed += pass;
    EXPECT_NE(std::find(figure_ids.begin(), figure_ids.end(), t.at("figure")),
              figure_ids.end());
  }
  EXPECT_EQ(report.at("targets_measured").get<size_t>(), measured);
  EXPECT_EQ(report.at("targets_held").get<size_t>(), passed);
}

TEST_F(CliBenchTest, ShortRunJudgesEveryTargetAndLeavesNothingBehind) {
  CommandResult r = bench({"--in", in, "--seconds", "0.03"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  expect_targets_judged(testing::parse_json(r.out));
  EXPECT_TRUE(std::filesystem::is_empty(in))
      << "the temporary directory or the store was left";
}

TEST_F(CliBenchTest, TextReportEndsWithTheTargetsAndNamesTheFullRun) {
  CommandResult r = bench({"--in", in, "--seconds", "0.03"}, /*as_json=*/false);
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  EXPECT_TRUE(contains(r.out, "Targets of docs/design.md 7")) << r.out;
  EXPECT_TRUE(contains(r.out, "measured targets hold")) << r.out;
  EXPECT_TRUE(contains(r.out, "pa-journal-bench runs the full one")) << r.out;
}

TEST_F(CliBenchTest, KeepLeavesTheTemporaryDirectoryWithTheContendersFiles) {
  CommandResult r = bench({"--in", in, "--seconds", "0.03", "--keep"});
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  std::string kept = testing::parse_json(r.out).at("machine").at("dir");
  EXPECT_EQ(std::filesystem::path(kept).parent_path(), std::filesystem::path(in));
  EXPECT_FALSE(std::filesystem::is_empty(kept));
}

TEST_F(CliBenchTest, ADirectoryThatDoesNotExistIsRefusedAndNotCreated) {
  std::string missing = tmp / "missing/deeper";
  CommandResult r = bench({"--in", missing, "--seconds", "0.03"});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, "--in")) << r.err;
  EXPECT_TRUE(contains(r.err, missing)) << r.err;
  EXPECT_FALSE(std::filesystem::exists(tmp / "missing"));
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST_F(CliBenchTest, AFileInsteadOfADirectoryIsRefused) {
  std::string file = tmp / "a-file";
  testing::write_bytes(file, "x");
  CommandResult r = bench({"--in", file, "--seconds", "0.03"});
  EXPECT_EQ(r.exit_code, kExitUsage) << r.describe();
  EXPECT_TRUE(contains(r.err, file)) << r.err;
}

TEST_F(CliBenchTest, AMeasuringTimeThatIsNotAPositiveNumberIsRefused) {
  for (std::string seconds : {"0", "-1", "abc", "1e999", ""}) {
    CommandResult r = bench({"--in", in, "--seconds", seconds});
    EXPECT_EQ(r.exit_code, kExitUsage) << seconds << ": " << r.describe();
    EXPECT_TRUE(contains(r.err, "greater than 0")) << seconds << ": " << r.err;
    EXPECT_TRUE(std::filesystem::is_empty(in)) << seconds;
  }
}

// On tmpfs fdatasync costs nothing: the report says so, and names this
// command's option (not pa-journal-bench's) for measuring elsewhere.
TEST_F(CliBenchTest, OnTmpfsTheReportSaysDurableFiguresMeanNothing) {
  struct statfs fs {};
  if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) {
    GTEST_SKIP() << "no tmpfs at /dev/shm";
  }
  std::string shm = "/dev/shm/pa-journal-cli-bench-XXXXXX";
  ASSERT_NE(::mkdtemp(shm.data()), nullptr);
  CommandResult r = bench({"--in", shm, "--seconds", "0.03"});
  bool left = !std::filesystem::is_empty(shm);
  std::filesystem::remove_all(shm);
  ASSERT_EQ(r.exit_code, kExitOk) << r.describe();
  json report = testing::parse_json(r.out);
  EXPECT_EQ(report.at("machine").at("filesystem"), "tmpfs");
  std::string notes = report.at("notes").dump();
  EXPECT_TRUE(contains(notes, "tmpfs")) << notes;
  EXPECT_TRUE(contains(notes, "pa-journal bench --in DIR")) << notes;
  EXPECT_FALSE(left);
}

}  // namespace
}  // namespace pa_journal
