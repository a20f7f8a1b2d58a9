// The bars pa-journal draws on stderr from the library's progress reports
// (tools/progress.h): drawn on a terminal and nowhere else, every new
// percentage drawn at once and in increasing order, with the rate and the
// time left once a task has run a while, erased before whatever comes next.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pty.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pa_journal/store.h"
#include "tests/run_command.h"
#include "tests/test_util.h"
#include "tools/progress.h"

namespace pa_journal {
namespace {

using testing::CommandOptions;
using testing::CommandResult;

// A store of 3000 contacts in small segments (so that a scan crosses several)
// and an export of it, with one commit after the export.
class ProgressBarCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.durability = Durability::kNone;
    options.segment_bytes = 64 << 10;
    options.auto_compact = false;
    auto store = Store::open(dir, options);
    for (int i = 0; i < 3000; ++i) {
      store->put("contacts", "c" + std::to_string(i),
                 R"({"name":"Contact )" + std::to_string(i) + R"(","phone":"555-0100"})");
    }
    store->export_to(tmp / "export");
    store->put("notes", "after", R"({"text":"after the export"})");
  }

  CommandResult pj(std::vector<std::string> args, bool terminal,
                   std::vector<std::pair<std::string, std::string>> env = {}) {
    args.insert(args.begin(), {"--dir", dir});
    CommandOptions options;
    options.stderr_terminal = terminal;
    options.env = {{"TERM", "xterm"}};  // a test run may have none
    options.env.insert(options.env.end(), env.begin(), env.end());
    return testing::run_pa_journal(args, options);
  }

  // The commands that draw, each with the task its bar must name.
  struct Case {
    std::vector<std::string> args;
    std::string task;
  };
  testing::TempDir tmp;
  std::string dir = tmp / "store";

  std::vector<Case> cases() const {
    return {{{"verify"}, "verify"},
            {{"replay"}, "replay"},
            {{"compact"}, "compact"},
            {{"import", tmp / "export"}, "import"}};
  }
};

// The percentages drawn for task, in the order of the bytes of err ("\r" +
// the task's name, spaces, then "NN% [").
std::vector<int> percentages(const std::string& err, const std::string& task) {
  std::vector<int> out;
  for (size_t at = err.find("\r" + task + " "); at != std::string::npos;
       at = err.find("\r" + task + " ", at + 1)) {
    size_t digits = err.find_first_not_of(' ', at + 1 + task.size());
    size_t end = err.find("% [", digits);
    if (digits == std::string::npos || end == std::string::npos || end - digits > 3)
      continue;
    out.push_back(std::stoi(err.substr(digits, end - digits)));
  }
  return out;
}

// Several distinct percentages of task, never going back (a new run of the
// task, from 0, may follow the end of one).
void expect_bar_moves(const CommandResult& r, const std::string& task,
                      size_t min_steps = 5) {
  std::vector<int> drawn = percentages(r.err, task);
  std::set<int> between;
  for (size_t i = 0; i < drawn.size(); ++i) {
    if (drawn[i] > 0 && drawn[i] < 100) between.insert(drawn[i]);
    if (i > 0 && drawn[i] != 0) {
      EXPECT_GE(drawn[i], drawn[i - 1]) << task << " went back: " << r.describe();
    }
  }
  EXPECT_GE(between.size(), min_steps) << task << ": " << r.describe();
}

TEST_F(ProgressBarCliTest, EachLongCommandDrawsItsPercentagesInIncreasingOrder) {
  struct Moving {
    std::vector<std::string> args;
    std::vector<std::string> tasks;  // each must move
  };
  std::vector<Moving> commands = {
      {{"verify"}, {"verify"}},
      {{"replay"}, {"replay"}},
      {{"export", tmp / "exported"}, {"replay", "export"}},
      {{"restore", "--at", "-0s", "--out", tmp / "restored"}, {"replay", "write state"}},
      {{"backup", tmp / "backup"}, {"backup", "verify"}},
      {{"compact"}, {"replay", "compact"}},  // the open replays, then compacts
      {{"replay"}, {"load snapshot"}},       // after the compaction
      {{"import", tmp / "export"}, {"load snapshot", "import"}},
  };
  for (const Moving& c : commands) {
    SCOPED_TRACE(c.args[0]);
    CommandResult r = pj(c.args, /*terminal=*/true);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    for (const std::string& task : c.tasks) expect_bar_moves(r, task);
  }
}

TEST_F(ProgressBarCliTest, WithoutATerminalNoLongCommandDrawsAnything) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"export", tmp / "exported"},
        {"restore", "--at", "-0s", "--out", tmp / "restored"},
        {"backup", tmp / "backup"}}) {
    CommandResult r = pj(args, /*terminal=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.err, "") << r.describe();
  }
}

TEST_F(ProgressBarCliTest, OnATerminalEachLongCommandDrawsABarAndErasesIt) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.args[0]);
    CommandResult r = pj(c.args, /*terminal=*/true);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_NE(r.err.find("\r" + c.task), std::string::npos) << r.describe();
    EXPECT_NE(r.err.find("% ["), std::string::npos) << r.describe();
    // Erased at the end: the last bytes return to column 0 and clear the line.
    ASSERT_GE(r.err.size(), 4u);
    EXPECT_EQ(r.err.substr(r.err.size() - 4), "\r\033[K") << r.describe();
    EXPECT_EQ(r.out.find('\r'), std::string::npos) << "stdout never holds the bar";
  }
}

TEST_F(ProgressBarCliTest, WithoutATerminalNothingIsDrawn) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.args[0]);
    CommandResult r = pj(c.args, /*terminal=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.err, "") << r.describe();
  }
}

TEST_F(ProgressBarCliTest, NoProgressOrADumbTerminalDrawsNothing) {
  CommandResult off = pj({"verify", "--no-progress"}, /*terminal=*/true);
  ASSERT_EQ(off.exit_code, 0) << off.describe();
  EXPECT_EQ(off.err, "") << off.describe();
  CommandResult dumb = pj({"verify"}, /*terminal=*/true, {{"TERM", "dumb"}});
  ASSERT_EQ(dumb.exit_code, 0) << dumb.describe();
  EXPECT_EQ(dumb.err, "") << dumb.describe();
}

TEST_F(ProgressBarCliTest, JsonOutputStaysCleanWhileTheBarIsOnStderr) {
  CommandResult r = pj({"verify", "--json"}, /*terminal=*/true);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.err.find("\rverify"), std::string::npos) << r.describe();
  nlohmann::json v = nlohmann::json::parse(r.out);
  EXPECT_EQ(v.at("ok"), true);
}

TEST_F(ProgressBarCliTest, AnErrorIsPrintedOnACleanLine) {
  std::string segment = testing::segment_path(dir, 1);
  std::string bytes = testing::read_bytes(segment);
  bytes[100] ^= 0x01;
  testing::write_bytes(segment, bytes);
  CommandResult r = pj({"replay", "--mode", "strict"}, /*terminal=*/true);
  ASSERT_EQ(r.exit_code, 3) << r.describe();
  size_t message = r.err.find("pa-journal: ");
  ASSERT_NE(message, std::string::npos) << r.describe();
  ASSERT_GE(message, 4u) << "the bar was drawn before the damage was found";
  EXPECT_EQ(r.err.substr(message - 4, 4), "\r\033[K") << r.describe();
}

// ------------------------------------------------- the bar's text and redraws

TEST(ProgressBarText, ShowsTheRateAndTheTimeLeftOnceTheTaskHasRunAWhile) {
  Progress p{"replay", "bytes", 1 << 20, 3 << 20};  // 1 MiB of 3, in 2 s
  std::string text = cli::format_progress(p, 2.0, 100);
  EXPECT_NE(text.find(" 33% ["), std::string::npos) << text;
  EXPECT_NE(text.find("1.0 MiB / 3.0 MiB  512.0 KiB/s  4s left"), std::string::npos)
      << text;
  Progress docs{"compact", "documents", 250, 1000};  // in 0.5 s
  text = cli::format_progress(docs, 0.5, 100);
  EXPECT_NE(text.find("250 / 1000 documents  500 documents/s  2s left"),
            std::string::npos)
      << text;
}

TEST(ProgressBarText, ShowsNoRateInTheTaskFirstMoments) {
  Progress p{"replay", "bytes", 1 << 20, 3 << 20};
  std::string text = cli::format_progress(p, 0.1, 100);
  EXPECT_EQ(text.find("/s"), std::string::npos) << text;
  EXPECT_EQ(text.find("left"), std::string::npos) << text;
}

TEST(ProgressBarText, TimeLeftIsRoundedUpToTheSecond) {
  EXPECT_EQ(cli::duration_text(0.2), "1s");
  EXPECT_EQ(cli::duration_text(59), "59s");
  EXPECT_EQ(cli::duration_text(61), "1m01s");
  EXPECT_EQ(cli::duration_text(3725), "1h02m");
}

// A pseudo-terminal the bar draws on; reads back what it drew.
class ProgressBarTerminalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    termios raw{};
    ::cfmakeraw(&raw);
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 80;
    ASSERT_EQ(::openpty(&master_, &slave_, nullptr, &raw, &size), 0);
    ::fcntl(master_, F_SETFL, O_NONBLOCK);
    const char* term = std::getenv("TERM");
    if (term) saved_term_ = term;
    ::setenv("TERM", "xterm", 1);
  }
  void TearDown() override {
    if (saved_term_) {
      ::setenv("TERM", saved_term_->c_str(), 1);
    } else {
      ::unsetenv("TERM");
    }
    ::close(master_);
    ::close(slave_);
  }
  std::string drawn() {
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = ::read(master_, buffer, sizeof buffer)) > 0;)
      out.append(buffer, n);
    return out;
  }
  int master_ = -1, slave_ = -1;
  std::optional<std::string> saved_term_;
};

TEST_F(ProgressBarTerminalTest, EveryNewPercentageIsDrawnAtOnceWithoutWaiting) {
  cli::ProgressBar bar(/*enabled=*/true, slave_);
  ASSERT_TRUE(bar.active());
  for (uint64_t done = 0; done < 20; ++done) bar.update({"replay", "bytes", done, 20});
  std::vector<int> expected;
  for (int percent = 0; percent < 100; percent += 5) expected.push_back(percent);
  EXPECT_EQ(percentages(drawn(), "replay"), expected);
  bar.update({"replay", "bytes", 20, 20});
  EXPECT_EQ(drawn(), "\r\033[K") << "erased when the task completes";
}

TEST_F(ProgressBarTerminalTest, ADisabledBarDrawsNothing) {
  cli::ProgressBar bar(/*enabled=*/false, slave_);
  EXPECT_FALSE(bar.active());
  for (uint64_t done = 0; done <= 20; ++done) bar.update({"replay", "bytes", done, 20});
  EXPECT_EQ(drawn(), "");
}

}  // namespace
}  // namespace pa_journal
