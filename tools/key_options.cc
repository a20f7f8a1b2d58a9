#include "tools/key_options.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <iterator>
#include <memory>
#include <utility>

#include "pa_journal/errors.h"
#include "tools/cli_checks.h"

namespace pa_journal::cli {
namespace {

using replication::KeySource;
using replication::SecretBytes;

constexpr size_t kMaxPassphraseBytes = 1024;

// The terminal's settings while echo is off, for the signal handler below.
int quiet_fd = -1;
termios quiet_saved{};

// A signal that ends the process while the passphrase is asked (Ctrl-C) must
// not leave the user's terminal without echo: restore it, then let the
// signal do what it would have done. tcsetattr is async-signal-safe.
extern "C" void restore_echo_and_reraise(int signal) {
  ::tcsetattr(quiet_fd, TCSANOW, &quiet_saved);
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

constexpr int kEndingSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The terminal (/dev/tty) with echo off for as long as the object lives, and
// restored if one of kEndingSignals ends the process meanwhile. One at a time.
class QuietTerminal {
 public:
  explicit QuietTerminal(int fd) : fd_(fd) {
    quiet_ = ::tcgetattr(fd_, &saved_) == 0;
    if (!quiet_) return;
    quiet_fd = fd_;
    quiet_saved = saved_;
    struct sigaction restore {};
    restore.sa_handler = restore_echo_and_reraise;
    for (size_t i = 0; i < std::size(kEndingSignals); ++i) {
      ::sigaction(kEndingSignals[i], &restore, &previous_[i]);
    }
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd_, TCSAFLUSH, &quiet);
  }
  QuietTerminal(const QuietTerminal&) = delete;
  QuietTerminal& operator=(const QuietTerminal&) = delete;
  ~QuietTerminal() {
    if (!quiet_) return;
    ::tcsetattr(fd_, TCSAFLUSH, &saved_);
    for (size_t i = 0; i < std::size(kEndingSignals); ++i) {
      ::sigaction(kEndingSignals[i], &previous_[i], nullptr);
    }
  }

 private:
  int fd_;
  termios saved_{};
  bool quiet_ = false;
  struct sigaction previous_[std::size(kEndingSignals)]{};
};

void say(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) return;  // a prompt that cannot be shown is no reason to stop
    text.remove_prefix(static_cast<size_t>(n));
  }
}

// One line typed on the terminal fd after prompt, without its newline.
// Echo goes off before the prompt shows: turning it off drops what was typed
// before (TCSAFLUSH, as getpass does), so nothing typed after the prompt is lost.
SecretBytes ask(int fd, std::string_view prompt) {
  SecretBytes line(kMaxPassphraseBytes + 1);
  size_t size = 0;
  {
    QuietTerminal quiet(fd);
    say(fd, prompt);
    char c = 0;
    while (size < line.size() && ::read(fd, &c, 1) == 1 && c != '\n') {
      line.data()[size++] = static_cast<unsigned char>(c);
    }
  }
  say(fd, "\n");
  if (size > kMaxPassphraseBytes) {
    throw KeyError("the passphrase is longer than " +
                   std::to_string(kMaxPassphraseBytes) + " bytes");
  }
  line.shrink(size);
  return line;
}

SecretBytes from_terminal(bool confirm) {
  int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    throw KeyError(std::string("no passphrase: set ") + kPassphraseVariable +
                   ", or run on a terminal to be asked for it");
  }
  try {
    SecretBytes passphrase = ask(fd, "Passphrase: ");
    if (confirm && !passphrase.equals(ask(fd, "The same passphrase again: "))) {
      throw KeyError("the two passphrases differ");
    }
    ::close(fd);
    return passphrase;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace

void add_key_options(CLI::App& app, Globals& g) {
  app.add_option("--key-file", g.key_file,
                 "seal a replicated stream with the 32-byte key in FILE (made by keygen, "
                 "mode 0600)")
      ->check(non_empty("a key file"))
      ->type_name("FILE");
  app.add_flag("--passphrase", g.passphrase,
               "seal a replicated stream with a key derived from a passphrase "
               "($PA_JOURNAL_PASSPHRASE, else asked on the terminal)");
}

void add_keygen_command(CLI::App& app, const Globals& g, std::function<int()>& run) {
  auto* keygen = app.add_subcommand(
      "keygen",
      "write a new random key (32 bytes, mode 0600) into a new FILE, for "
      "--key-file");
  keygen->footer("Example:\n  pa-journal keygen ~/.pa-journal.key");
  auto file = std::make_shared<std::string>();
  keygen->add_option("file", *file, "the key file to create (never overwritten)")
      ->required()
      ->check(non_empty("a file"));
  keygen->callback(
      [&g, &run, file] { run = [&g, file] { return run_keygen(g, *file); }; });
}

KeySource key_source(const Globals& g, bool confirm_passphrase) {
  if (!g.key_file.empty() && g.passphrase) {
    throw UsageError("--key-file and --passphrase: give one of them, not both");
  }
  if (!g.key_file.empty()) return KeySource::from_key_file(g.key_file);
  if (g.passphrase)
    return KeySource::from_passphrase(read_passphrase(confirm_passphrase));
  return KeySource();
}

SecretBytes read_passphrase(bool confirm) {
  const char* variable = std::getenv(kPassphraseVariable);
  if (variable == nullptr || *variable == '\0') return from_terminal(confirm);
  const size_t size = std::strlen(variable);
  if (size > kMaxPassphraseBytes) {
    throw KeyError(std::string(kPassphraseVariable) + " is longer than " +
                   std::to_string(kMaxPassphraseBytes) + " bytes");
  }
  SecretBytes passphrase(size);
  std::memcpy(passphrase.data(), variable, size);
  return passphrase;
}

int run_keygen(const Globals& g, const std::string& file) {
  replication::generate_key_file(file);
  if (g.json) {
    print_json({{"key_file", file}, {"bytes", replication::kKeyBytes}});
  } else {
    std::cout << "wrote a new " << replication::kKeyBytes << "-byte key to " << file
              << " (mode 0600); keep a copy apart from the store: without it an "
                 "encrypted replica cannot be read\n";
  }
  return kExitOk;
}

}  // namespace pa_journal::cli
