// The bash completion of pa-journal (packaging/gen_completion.sh writes it at
// build time from the tool's --help; packaging/completion.bash is its logic),
// run by bash itself: each test sources the generated script in
// `bash --norc --noprofile`, sets COMP_WORDS and COMP_CWORD as bash does for a
// TAB at the end of the line, calls the completion function and reads
// COMPREPLY back.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

using Words = std::vector<std::string>;

// The generated script: beside the built tool, in completion/ of the build.
std::string completion_script() {
  const std::string binary = pa_journal_binary();
  return binary.substr(0, binary.rfind('/')) + "/completion/pa-journal";
}

// Sources the script, completes the last of words (words[0] is the program
// that the line runs), prints each completion on its own line.
constexpr const char* kCompleteScript = R"(
source "$1" || exit 99
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_pa_journal
printf '%s\n' "${COMPREPLY[@]}"
)";

struct Completion {
  CommandResult run;
  Words words;  // COMPREPLY, sorted
};

Completion complete(const Words& words, const CommandOptions& options = {}) {
  Words argv = {"bash",          "--norc", "--noprofile",      "-c",
                kCompleteScript, "bash",   completion_script()};
  argv.insert(argv.end(), words.begin(), words.end());
  Completion result{run_command(argv, options), {}};
  std::string line;
  for (char c : result.run.out) {
    if (c != '\n') {
      line += c;
    } else if (!line.empty()) {
      result.words.push_back(line);
      line.clear();
    }
  }
  std::sort(result.words.begin(), result.words.end());
  return result;
}

// The words that completing the last of words offers, with the built tool
// as the program on the line; fails the test if bash or the script fails.
Words offered(Words words, const CommandOptions& options = {}) {
  words.insert(words.begin(), pa_journal_binary());
  Completion c = complete(words, options);
  EXPECT_EQ(c.run.exit_code, 0) << c.run.describe();
  EXPECT_EQ(c.run.err, "") << c.run.describe();
  return c.words;
}

// A program that stands for pa-journal: it appends its arguments to
// dir/args, prints `output` and exits with `status`.
std::string stub_tool(const TempDir& dir, const std::string& output, int status) {
  const std::string path = dir / "stub-pa-journal";
  write_bytes(path, "#!/bin/sh\necho \"$*\" >>'" + dir.path() + "/args'\nprintf '" +
                        output + "'\nexit " + std::to_string(status) + "\n");
  chmod(path.c_str(), 0700);
  return path;
}

TEST(CompletionTest, TheScriptRegistersItselfForPaJournal) {
  CommandResult run = run_command({"bash", "--norc", "--noprofile", "-c",
                                   "source \"$1\" && complete -p pa-journal", "bash",
                                   completion_script()});
  EXPECT_EQ(run.exit_code, 0) << run.describe();
  EXPECT_EQ(run.out, "complete -F _pa_journal pa-journal\n");
}

TEST(CompletionTest, CommandPrefixCompletesToTheCommand) {
  EXPECT_EQ(offered({"li"}), Words{"list"});
  EXPECT_EQ(offered({"ba"}), (Words{"backup", "backups"}));
}

TEST(CompletionTest, EmptyFirstWordOffersEveryCommandOfTheHelp) {
  Words commands = commands_of_help();
  std::sort(commands.begin(), commands.end());
  ASSERT_GE(commands.size(), 20u);
  EXPECT_EQ(offered({""}), commands);
}

TEST(CompletionTest, CommandOptionPrefixCompletesToTheOption) {
  EXPECT_EQ(offered({"get", "--a"}), Words{"--at"});
  EXPECT_EQ(offered({"inspect", "--from"}), Words{"--from-seq"});
  EXPECT_EQ(offered({"inspect", "--rec"}), (Words{"--records", "--recovery"}));
  EXPECT_EQ(offered({"import", "/tmp/x", "--m"}), Words{"--merge"});
}

TEST(CompletionTest, GlobalOptionsCompleteBeforeAndAfterTheCommand) {
  EXPECT_EQ(offered({"--dur"}), Words{"--durability"});
  EXPECT_EQ(offered({"list", "contacts", "--no-p"}), Words{"--no-progress"});
  // --version is taken by the bare tool only.
  EXPECT_EQ(offered({"get", "--v"}), Words{});
}

TEST(CompletionTest, OptionValuesCompleteFromTheToolsChoices) {
  EXPECT_EQ(offered({"--recovery", "s"}), (Words{"salvage", "strict"}));
  EXPECT_EQ(offered({"replay", "--mode", "p"}), Words{"point-in-time"});
  EXPECT_EQ(offered({"--durability", ""}), (Words{"always", "interval", "none"}));
  // bash splits --durability=n into --durability, = and n.
  EXPECT_EQ(offered({"--durability", "=", "n"}), Words{"none"});
}

TEST(CompletionTest, DirectoryArgumentsCompleteDirectoriesOnly) {
  TempDir dir;
  write_files(dir.path(), {{"storedir/x", ""}, {"storefile", ""}});
  CommandOptions in_dir;
  in_dir.cwd = dir.path();
  EXPECT_EQ(offered({"--dir", "sto"}, in_dir), Words{"storedir"});
  EXPECT_EQ(offered({"export", "sto"}, in_dir), Words{"storedir"});
  EXPECT_EQ(offered({"restore", "--out", "sto"}, in_dir), Words{"storedir"});
}

TEST(CompletionTest, KeyFilesCompleteToFiles) {
  TempDir dir;
  write_files(dir.path(), {{"keys/x", ""}, {"key.bin", ""}});
  CommandOptions in_dir;
  in_dir.cwd = dir.path();
  EXPECT_EQ(offered({"--key-f"}), Words{"--key-file"});
  EXPECT_EQ(offered({"--key-file", "key"}, in_dir), (Words{"key.bin", "keys"}));
  EXPECT_EQ(offered({"keygen", "key"}, in_dir), (Words{"key.bin", "keys"}));
}

TEST(CompletionTest, ValuesThatCannotBeListedCompleteToNothing) {
  // A time, a key, a document: nothing to offer, and never a command name.
  EXPECT_EQ(offered({"get", "--at", ""}), Words{});
  EXPECT_EQ(offered({"diff", "--from", ""}), Words{});
  EXPECT_EQ(offered({"--dir", "/nonexistent-dir", "get", "contacts", ""}), Words{});
}

TEST(CompletionTest, CollectionNamesComeFromTheCollectionsCommandOfTheDirOnTheLine) {
  TempDir dir;
  const std::string stub =
      stub_tool(dir, "contacts 2 documents\\nnotes 1 document\\n", 0);
  Completion c = complete({stub, "--json", "--dir", "/some/store", "get", ""});
  EXPECT_EQ(c.words, (Words{"contacts", "notes"})) << c.run.describe();
  c = complete({stub, "--dir", "=", "/other/store", "inspect", "--collection", "n"});
  EXPECT_EQ(c.words, Words{"notes"}) << c.run.describe();
  EXPECT_EQ(read_bytes(dir / "args"),
            "--dir /some/store --no-progress collections\n"
            "--dir /other/store --no-progress collections\n");
}

TEST(CompletionTest, WithoutDirTheToolChoosesTheStoreAndTheDirIsUnquoted) {
  TempDir dir;
  const std::string stub = stub_tool(dir, "contacts\\n", 0);
  CommandOptions home;
  home.env = {{"HOME", "/home/someone"}};
  EXPECT_EQ(complete({stub, "put", "c"}, home).words, Words{"contacts"});
  EXPECT_EQ(complete({stub, "--dir", "~/store", "list", ""}, home).words,
            Words{"contacts"});
  EXPECT_EQ(complete({stub, "--dir", "'/my store'", "list", ""}, home).words,
            Words{"contacts"});
  EXPECT_EQ(complete({stub, "--dir", "/my\\ store", "list", ""}, home).words,
            Words{"contacts"});
  EXPECT_EQ(read_bytes(dir / "args"),
            "--no-progress collections\n"
            "--dir /home/someone/store --no-progress collections\n"
            "--dir /my store --no-progress collections\n"
            "--dir /my store --no-progress collections\n");
}

TEST(CompletionTest, FailingCollectionsCommandGivesNoNamesAndNoNoise) {
  TempDir dir;
  const std::string stub = stub_tool(dir, "", 2);
  Completion c = complete({stub, "get", ""});
  EXPECT_EQ(c.run.exit_code, 0) << c.run.describe();
  EXPECT_EQ(c.words, Words{});
  EXPECT_EQ(c.run.err, "");
  // The real tool, on a store that does not exist.
  EXPECT_EQ(offered({"--dir", dir / "no-store", "get", ""}), Words{});
}

TEST(CompletionTest, CollectionNamesOfARealStore) {
  TempDir dir;
  const std::string store = dir / "store";
  ASSERT_EQ(run_in_store(store, {"put", "contacts", "alice", "{}"}).exit_code, kExitOk);
  ASSERT_EQ(run_in_store(store, {"put", "notes", "n1", "{}"}).exit_code, kExitOk);
  EXPECT_EQ(offered({"--dir", store, "get", ""}), (Words{"contacts", "notes"}));
  EXPECT_EQ(offered({"--dir", store, "inspect", "--collection", "c"}), Words{"contacts"});
  CommandOptions env;
  env.env = {{"PA_JOURNAL_DIR", store}};
  EXPECT_EQ(offered({"history", "n"}, env), Words{"notes"});
}

}  // namespace
}  // namespace pa_journal::testing
