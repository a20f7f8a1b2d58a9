// The keys of replication on the command line (tools/key_options.h): the
// keygen command, end to end through the built tool, and the key source that
// --key-file and --passphrase name, which only the commands that seal or
// open a stream ask for.
#include "tools/key_options.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/ioctl.h>
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

// What the terminal shows a child asked for a passphrase (confirmed) that
// answers first and then second, each typed once its prompt shows; and the
// child's exit status: 0 if it read first, 1 if it read another passphrase,
// 2 for a KeyError. The child's controlling terminal is a new pseudo-terminal.
struct Dialogue {
  std::string shown;
  int status = -1;
};

Dialogue answer_prompts(const std::string& first, const std::string& second) {
  int master = -1, slave = -1;
  EXPECT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(master);
    ::setsid();
    ::ioctl(slave, TIOCSCTTY, 0);
    ::unsetenv(cli::kPassphraseVariable);
    try {
      replication::SecretBytes got = cli::read_passphrase(/*confirm=*/true);
      _exit(got.size() == first.size() &&
                    std::memcmp(got.data(), first.data(), first.size()) == 0
                ? 0
                : 1);
    } catch (const KeyError&) {
      _exit(2);
    }
  }
  ::close(slave);
  Dialogue d;
  const std::string answers[] = {first + "\n", second + "\n"};
  size_t answered = 0;
  // Bounded: 100 polls of at most 100 ms.
  for (int i = 0; i < 100; ++i) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[256];
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // the child is gone: EIO
    d.shown.append(buffer, static_cast<size_t>(n));
    const size_t prompts = (d.shown.find("Passphrase: ") != std::string::npos) +
                           (d.shown.find("again: ") != std::string::npos);
    while (answered < prompts) {
      EXPECT_GT(::write(master, answers[answered].data(), answers[answered].size()), 0);
      ++answered;
    }
  }
  ::close(master);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  d.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return d;
}

TEST(KeySourceOptionTest, PassphraseIsAskedTwiceOnTheTerminalWithoutEcho) {
  Dialogue d = answer_prompts("correct horse", "correct horse");
  EXPECT_EQ(d.status, 0) << d.shown;
  EXPECT_TRUE(contains(d.shown, "Passphrase: ")) << d.shown;
  EXPECT_TRUE(contains(d.shown, "The same passphrase again: ")) << d.shown;
  EXPECT_FALSE(contains(d.shown, "horse")) << d.shown;
}

TEST(KeySourceOptionTest, TwoDifferentAnswersAreAKeyError) {
  Dialogue d = answer_prompts("correct horse", "correct hose");
  EXPECT_EQ(d.status, 2) << d.shown;
  EXPECT_FALSE(contains(d.shown, "horse")) << d.shown;
}

}  // namespace
}  // namespace pa_journal::testing
