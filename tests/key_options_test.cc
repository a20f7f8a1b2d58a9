// The keys of replication on the command line (tools/key_options.h): the
// keygen command, end to end through the built tool, and the key source that
// --key-file and --passphrase name, which only the commands that seal or
// open a stream ask for.
#include "tools/key_options.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "pa_journal/errors.h"
#include "tests/cli_util.h"
#include "tests/run_command.h"
#include "tests/test_util.h"

namespace pa_journal::testing {
namespace {

using replication::KeySource;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(KeygenCliTest, WritesA32ByteKeyWithMode0600) {
  TempDir dir;
  const std::string key = dir / "stream.key";
  CommandResult run = run_pa_journal({"keygen", key});
  ASSERT_EQ(run.exit_code, kExitOk) << run.describe();
  EXPECT_TRUE(contains(run.out, "wrote a new 32-byte key to " + key)) << run.out;
  EXPECT_EQ(read_bytes(key).size(), 32u);
  EXPECT_EQ(mode_of(key), 0600u);
}

TEST(KeygenCliTest, TwoKeysDiffer) {
  TempDir dir;
  ASSERT_EQ(run_pa_journal({"keygen", dir / "a"}).exit_code, kExitOk);
  ASSERT_EQ(run_pa_journal({"keygen", dir / "b"}).exit_code, kExitOk);
  EXPECT_NE(read_bytes(dir / "a"), read_bytes(dir / "b"));
}

TEST(KeygenCliTest, RefusesToOverwriteAnExistingFileWithExit1) {
  TempDir dir;
  const std::string key = dir / "stream.key";
  ASSERT_EQ(run_pa_journal({"keygen", key}).exit_code, kExitOk);
  const std::string before = read_bytes(key);
  CommandResult run = run_pa_journal({"keygen", key});
  EXPECT_EQ(run.exit_code, kExitError) << run.describe();
  EXPECT_EQ(run.err, "pa-journal: error: " + key +
                         " exists: a key file is never overwritten (it may hold the only "
                         "copy of a key); choose another name, or remove it first\n");
  EXPECT_EQ(read_bytes(key), before);
}

TEST(KeygenCliTest, JsonSaysTheFileAndItsSize) {
  TempDir dir;
  CommandResult run = run_pa_journal({"keygen", dir / "k", "--json"});
  ASSERT_EQ(run.exit_code, kExitOk) << run.describe();
  EXPECT_EQ(parse_json(run.out),
            (nlohmann::json{{"key_file", dir / "k"}, {"bytes", 32}}));
}

TEST(KeygenCliTest, MissingOrEmptyFileIsAUsageError) {
  EXPECT_EQ(run_pa_journal({"keygen"}).exit_code, kExitUsage);
  EXPECT_EQ(run_pa_journal({"keygen", ""}).exit_code, kExitUsage);
}

TEST(KeyFileOptionTest, AcceptedBeforeOrAfterACommandThatDoesNotUseIt) {
  TempDir dir;
  const std::string store = dir / "store";
  ASSERT_EQ(run_in_store(store, {"put", "contacts", "alice", "{}"}).exit_code, kExitOk);
  // A command that seals nothing neither reads nor checks the file.
  for (const auto& args : {std::vector<std::string>{"--key-file", dir / "none", "list",
                                                    "contacts", "--dir", store},
                           std::vector<std::string>{"--dir", store, "list", "contacts",
                                                    "--key-file", dir / "none"},
                           std::vector<std::string>{"--dir", store, "--passphrase", "get",
                                                    "contacts", "alice"}}) {
    CommandResult run = run_pa_journal(args);
    EXPECT_EQ(run.exit_code, kExitOk) << run.describe();
  }
}

TEST(KeySourceOptionTest, NoOptionMeansNoKey) {
  cli::Globals g;
  EXPECT_EQ(cli::key_source(g).kind(), KeySource::Kind::kNone);
}

TEST(KeySourceOptionTest, KeyFileIsLoadedAndNamed) {
  TempDir dir;
  replication::generate_key_file(dir / "k");
  cli::Globals g;
  g.key_file = dir / "k";
  KeySource source = cli::key_source(g);
  EXPECT_EQ(source.kind(), KeySource::Kind::kKey);
  EXPECT_EQ(source.name(), "the key in " + (dir / "k"));
  EXPECT_EQ(std::memcmp(source.secret().data(), read_bytes(dir / "k").data(), 32), 0);
}

TEST(KeySourceOptionTest, KeyFileOpenToOthersOrMissingIsAKeyError) {
  TempDir dir;
  replication::generate_key_file(dir / "k");
  ASSERT_EQ(::chmod((dir / "k").c_str(), 0644), 0);
  cli::Globals g;
  g.key_file = dir / "k";
  try {
    cli::key_source(g);
    FAIL() << "a key file of mode 0644 was taken";
  } catch (const KeyError& e) {
    EXPECT_TRUE(contains(e.what(), "chmod 600 " + (dir / "k"))) << e.what();
  }
  g.key_file = dir / "missing";
  EXPECT_THROW(cli::key_source(g), KeyError);
}

TEST(KeySourceOptionTest, KeyFileAndPassphraseTogetherAreAUsageError) {
  cli::Globals g;
  g.key_file = "k";
  g.passphrase = true;
  EXPECT_THROW(cli::key_source(g), cli::UsageError);
}

TEST(KeySourceOptionTest, PassphraseComesFromTheEnvironmentVariable) {
  ASSERT_EQ(::setenv(cli::kPassphraseVariable, "correct horse", 1), 0);
  cli::Globals g;
  g.passphrase = true;
  KeySource source = cli::key_source(g, /*confirm_passphrase=*/true);
  ::unsetenv(cli::kPassphraseVariable);
  EXPECT_EQ(source.kind(), KeySource::Kind::kPassphrase);
  ASSERT_EQ(source.secret().size(), 13u);
  EXPECT_EQ(std::memcmp(source.secret().data(), "correct horse", 13), 0);
}

TEST(KeySourceOptionTest, PassphraseWithoutVariableOrTerminalIsAKeyError) {
  // In a child of its own session, which has no controlling terminal.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::setsid();
    ::unsetenv(cli::kPassphraseVariable);
    try {
      cli::read_passphrase(false);
    } catch (const KeyError& e) {
      _exit(std::strstr(e.what(), "PA_JOURNAL_PASSPHRASE") != nullptr ? 0 : 2);
    } catch (...) {
      _exit(3);
    }
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace pa_journal::testing
