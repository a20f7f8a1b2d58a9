// The bench's command-line phase (tools/bench/child.h, bench_cli.h): a child
// process's exit code, output, time to first byte and peak resident size, its
// input from a file or through a pipe, the disk a tree takes as du counts it,
// and the inputs both programs get. The figures themselves are the bench's;
// these tests check only what is exact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_command.h"
#include "tests/test_util.h"
#include "tools/bench/bench_cli.h"
#include "tools/bench/child.h"

namespace pa_journal {
namespace {

using bench::ChildIo;
using bench::ChildRun;

#ifdef PA_BENCH_LAUNCHER
const std::string kLauncher = PA_BENCH_LAUNCHER;
#else
const std::string kLauncher;
#endif

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class BenchChildTest : public ::testing::TestWithParam<bool> {
 protected:
  // The launcher when the parameter asks for it and the build has it.
  std::string launcher() const { return GetParam() ? kLauncher : std::string(); }
  void SetUp() override {
    if (GetParam() && kLauncher.empty()) GTEST_SKIP() << "no pa-journal-bench-launch";
  }

  testing::TempDir tmp;
};

TEST_P(BenchChildTest, ExitCodeOutputAndFirstByteAreReported) {
  ChildIo io;
  io.read_stdout = true;
  io.keep_stdout = 3;
  ChildRun run =
      bench::run_child({"/bin/sh", "-c", "printf hello; exit 7"}, io, launcher());
  EXPECT_EQ(run.exit_code, 7);
  EXPECT_EQ(run.stdout_bytes, 5u);
  EXPECT_EQ(run.out, "hel") << "only keep_stdout bytes are kept";
  EXPECT_GE(run.first_byte_seconds, 0);
  EXPECT_LE(run.first_byte_seconds, run.seconds + 0.01);
  EXPECT_GT(run.max_rss_bytes, 0u);
}

TEST_P(BenchChildTest, NoOutputHasNoFirstByte) {
  ChildIo io;
  io.read_stdout = true;
  ChildRun run = bench::run_child({"/bin/true"}, io, launcher());
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.stdout_bytes, 0u);
  EXPECT_LT(run.first_byte_seconds, 0);
}

TEST_P(BenchChildTest, InputFedThroughAPipeArrivesWhole) {
  std::string input = tmp / "input";
  std::string text(3 << 20, 'x');  // more than a pipe holds at once
  testing::write_bytes(input, text);
  ChildIo io;
  io.feed_path = input;
  io.read_stdout = true;
  ChildRun run = bench::run_child({"/bin/cat"}, io, launcher());
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.stdout_bytes, text.size());
}

TEST_P(BenchChildTest, AChildThatStopsReadingEndsThePipeWithoutKillingTheBench) {
  std::string input = tmp / "input";
  testing::write_bytes(input, std::string(4 << 20, 'x'));
  ChildIo io;
  io.feed_path = input;
  ChildRun run = bench::run_child({"/usr/bin/head", "-c", "10"}, io, launcher());
  EXPECT_EQ(run.exit_code, 0);
}

TEST_P(BenchChildTest, InputFromAFileAndStandardErrorKeptForTheFailure) {
  std::string input = tmp / "input";
  testing::write_bytes(input, "abc");
  ChildIo io;
  io.stdin_path = input;
  io.read_stdout = true;
  io.keep_stdout = 16;
  io.stderr_path = tmp / "stderr";
  ChildRun run =
      bench::run_child({"/bin/sh", "-c", "cat; echo broken >&2; exit 3"}, io, launcher());
  EXPECT_EQ(run.out, "abc");
  EXPECT_EQ(read_text(io.stderr_path), "broken\n");
  try {
    bench::expect_success(run, "the child", io);
    ADD_FAILURE() << "exit 3 must throw";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("the child exited 3: broken"), std::string::npos)
        << e.what();
  }
}

TEST_P(BenchChildTest, AProgramThatDoesNotExistIsAnError) {
  EXPECT_THROW(bench::run_child({(tmp / "missing").c_str()}, ChildIo{}, launcher()),
               std::runtime_error);
}

INSTANTIATE_TEST_SUITE_P(DirectAndLaunched, BenchChildTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? "Launched" : "Direct";
                         });

// Linux counts the spawning process's resident size into a child's
// ru_maxrss: through the launcher, a small child stays small beside a large
// bench.
TEST(BenchLauncherTest, PeakResidentSizeIsTheChildsOwnBesideALargeParent) {
  if (kLauncher.empty()) GTEST_SKIP() << "no pa-journal-bench-launch";
  const size_t kParentBytes = 256u << 20;
  std::unique_ptr<char[]> big(new char[kParentBytes]);
  std::memset(big.get(), 1, kParentBytes);
  ChildRun run = bench::run_child({"/bin/true"}, ChildIo{}, kLauncher);
  EXPECT_EQ(big[kParentBytes - 1], 1);
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_GT(run.max_rss_bytes, 0u);
  EXPECT_LT(run.max_rss_bytes, 64u << 20);
}

TEST(BenchDiskUsageTest, AHardLinkedFileCountsOnceAndAFileAloneCountsItsBlocks) {
  testing::TempDir tmp;
  std::filesystem::create_directories(tmp / "d/sub");
  testing::write_bytes(tmp / "d/sub/a", std::string(64 << 10, 'a'));
  uint64_t one = bench::disk_usage(tmp / "d");
  EXPECT_GE(one, 64u << 10);
  std::filesystem::create_hard_link(tmp / "d/sub/a", tmp / "d/b");
  EXPECT_EQ(bench::disk_usage(tmp / "d"), one);
  uint64_t file = bench::disk_usage(tmp / "d/sub/a");
  EXPECT_GE(file, 64u << 10);
  EXPECT_LE(file, one) << "the directories' own blocks count too, as du counts them";
  EXPECT_EQ(bench::disk_usage(tmp / "missing"), 0u);
}

TEST(BenchFindOnPathTest, FindsAnExecutableAndNotAMissingName) {
  EXPECT_FALSE(bench::find_on_path("sh").empty());
  EXPECT_TRUE(bench::find_on_path("no-such-program-pa-journal").empty());
}

// The NDJSON the tool applies: one put per line, each document 205 bytes,
// keys in order; the tool takes them all.
TEST(BenchCliInputTest, PutLinesHold205ByteDocumentsThatTheToolApplies) {
  testing::TempDir tmp;
  std::string lines = tmp / "puts.ndjson";
  bench::write_put_lines(lines, 0, 50);
  std::ifstream in(lines);
  std::string line;
  size_t count = 0;
  while (std::getline(in, line)) {
    auto op = nlohmann::json::parse(line);
    EXPECT_EQ(op.at("key"), bench::cli_key(count));
    EXPECT_EQ(op.at("value").dump().size(), bench::kCliDocumentBytes) << line;
    ++count;
  }
  EXPECT_EQ(count, 50u);
  auto applied = testing::run_pa_journal(
      {"--dir", tmp / "store", "--durability", "none", "apply", lines});
  ASSERT_EQ(applied.exit_code, 0) << applied.describe();
  auto got = testing::run_pa_journal(
      {"--dir", tmp / "store", "--json", "get", "contacts", bench::cli_key(49)});
  ASSERT_EQ(got.exit_code, 0) << got.describe();
  EXPECT_EQ(got.out.size(), bench::kCliDocumentBytes + 1) << got.out;  // and a newline
}

// The same rows for the sqlite3 shell: the shell takes the script and holds
// every row.
TEST(BenchCliInputTest, TheSqlScriptGivesTheShellTheSameRows) {
  std::string sqlite = bench::find_on_path("sqlite3");
  if (sqlite.empty()) GTEST_SKIP() << "no sqlite3 on PATH";
  testing::TempDir tmp;
  for (int per_txn : {1, 7}) {
    std::string script = tmp / ("rows" + std::to_string(per_txn) + ".sql");
    std::string db = tmp / ("rows" + std::to_string(per_txn) + ".db");
    bench::write_sql_script(script, 20, per_txn == 1 ? "FULL" : "NORMAL", per_txn);
    ChildIo io;
    io.stdin_path = script;
    io.stderr_path = tmp / "stderr";
    bench::expect_success(bench::run_child({sqlite, "-bail", db}, io), "sqlite3", io);
    ChildIo out;
    out.read_stdout = true;
    out.keep_stdout = 4096;
    ChildRun count = bench::run_child(
        {sqlite, db, "SELECT count(*), min(length(doc)), max(key) FROM contacts"}, out);
    EXPECT_EQ(count.out, "20|205|" + bench::cli_key(19) + "\n") << per_txn;
  }
}

}  // namespace
}  // namespace pa_journal
