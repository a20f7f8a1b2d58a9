// The man page pa-journal(1) that the build makes with help2man from the
// tool's --help and packaging/pa-journal.h2m (packaging/packaging.cmake), as
// `man -l` shows it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/cli_util.h"
#include "tests/run_command.h"

namespace pa_journal::testing {
namespace {

// The generated page: beside the built tool, in man/ of the build.
std::string man_page() {
  const std::string binary = pa_journal_binary();
  return binary.substr(0, binary.rfind('/')) + "/man/pa-journal.1.gz";
}

// The page as `man -l` renders it (plain text, since stdout is a pipe), or
// skips the test where the build could not make it.
class ManPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    struct stat st;
    if (stat(man_page().c_str(), &st) != 0 &&
        run_command({"help2man", "--version"}).exit_code != 0) {
      GTEST_SKIP() << "help2man is not installed (scripts/run.sh installs it), so the "
                      "build made no man page";
    }
    CommandOptions wide;
    wide.env = {{"MANWIDTH", "100"}, {"MAN_KEEP_FORMATTING", ""}};
    CommandResult man = run_command({"man", "-l", man_page()}, wide);
    ASSERT_EQ(man.exit_code, 0) << man.describe();
    text_ = man.out;
    for (char c : text_) {  // justified and wrapped text, with single spaces
      const bool space = c == ' ' || c == '\n';
      if (!space || (!words_.empty() && words_.back() != ' ')) words_ += space ? ' ' : c;
    }
  }
  std::string text_;   // as rendered
  std::string words_;  // the same, each run of spaces and newlines one space
};

TEST_F(ManPageTest, ListsEveryCommandOfTheHelp) {
  const std::vector<std::string> commands = commands_of_help();
  ASSERT_GE(commands.size(), 20u);
  for (const std::string& command : commands) {
    // Each command starts an indented entry: "       put    replace ...".
    EXPECT_TRUE(contains(text_, "\n       " + command + " ") ||
                contains(text_, "\n       " + command + "\n"))
        << command << " is not in the man page:\n"
        << text_;
  }
}

// The usage line of `pa-journal command --help` without the program's path,
// and the long option names it lists.
struct CommandHelp {
  std::string usage;
  std::vector<std::string> options;
};

CommandHelp help_of(const std::string& command) {
  const std::string help = run_pa_journal({command, "--help"}).out;
  CommandHelp result;
  const size_t usage = help.find("Usage: ");
  const size_t line_end = help.find('\n', usage);
  const size_t name = help.find(" " + command + " ", usage);
  if (usage != std::string::npos && name < line_end) {
    result.usage = "pa-journal" + help.substr(name, line_end - name);
  }
  for (size_t at = help.find("\n  --"); at != std::string::npos;
       at = help.find("\n  --", at + 1)) {
    result.options.push_back(
        help.substr(at + 3, help.find_first_of(" \n", at + 3) - at - 3));
  }
  return result;
}

TEST_F(ManPageTest, DescribesEachCommandsUsageAndOptions) {
  for (const std::string& command : commands_of_help()) {
    const CommandHelp help = help_of(command);
    ASSERT_FALSE(help.usage.empty()) << command;
    EXPECT_TRUE(contains(words_, help.usage)) << help.usage << " is not in the man page";
    for (const std::string& option : help.options) {
      EXPECT_TRUE(contains(words_, " " + option + " ")) << command << " " << option;
    }
  }
  EXPECT_TRUE(
      contains(words_, "--continue-on-error apply later lines after a refused one"))
      << text_;
}

TEST_F(ManPageTest, HasTheNameGlobalOptionsAndVersion) {
  EXPECT_TRUE(contains(text_, "pa-journal - look at, check, repair and restore"))
      << text_;
  for (const char* option : {"--dir DIR", "--json", "--durability", "--recovery"}) {
    EXPECT_TRUE(contains(text_, option)) << option;
  }
  std::string version = run_pa_journal({"--version"}).out;  // "pa-journal 0.1.0\n"
  version.pop_back();
  EXPECT_TRUE(contains(text_, version + " ")) << version << "\n" << text_;
}

TEST_F(ManPageTest, StatesTheExitCodesAndTheEnvironment) {
  for (const char* part :
       {"EXIT STATUS", "corruption found", "usage error", "ENVIRONMENT", "PA_JOURNAL_DIR",
        "bash-completion/completions/pa-journal"}) {
    EXPECT_TRUE(contains(words_, part)) << part << " is not in the man page:\n" << text_;
  }
}

}  // namespace
}  // namespace pa_journal::testing
