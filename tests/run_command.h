// Running programs from tests: a one-shot run that captures stdout, stderr and
// the exit status (feeding stdin), and a child process that a test talks to
// while it runs (pipes on stdin and stdout) and may kill at any moment.
//
// Both use fork/exec directly (no shell), so arguments reach the program
// byte for byte, empty and non-UTF-8 ones included. The child starts with
// SIGPIPE at its default disposition even though the test process ignores it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pa_journal::testing {

struct CommandResult {
  int exit_code = -1;      // the exit status, or -1 if a signal ended the program
  int signal = 0;          // the signal that ended it, 0 if it exited
  bool timed_out = false;  // killed by run_command after the timeout
  std::string out, err;

  // "exit 2" / "signal 9" and both streams, for assertion messages.
  std::string describe() const;
};

struct CommandOptions {
  std::string stdin_data;  // written to the program's stdin, which is then closed
  // Variables set (or, with an empty value, removed) in the program's
  // environment; the rest is inherited.
  std::vector<std::pair<std::string, std::string>> env;
  std::string cwd;          // working directory; empty = inherited
  int timeout_ms = 60'000;  // SIGKILL after this long
  // run_command only: the program's stderr is a pseudo-terminal (80 columns,
  // raw mode, so err holds exactly the bytes written) instead of a pipe.
  bool stderr_terminal = false;
};

// Runs argv[0] (looked up in PATH if it has no '/') with argv and waits for it.
CommandResult run_command(const std::vector<std::string>& argv,
                          const CommandOptions& options = {});

// The built pa-journal (PA_JOURNAL_BINARY) with args.
std::string pa_journal_binary();
// The project's source tree (PA_JOURNAL_SOURCE_DIR). The paths of the build
// are compiled into the support library only, so that a test file compiles
// the same in every checkout.
std::string source_dir();
CommandResult run_pa_journal(const std::vector<std::string>& args,
                             const CommandOptions& options = {});

// A running child with a pipe on its stdin and one on its stdout; its stderr
// goes to an anonymous temporary file, read back by stderr_text(). The
// destructor SIGKILLs and reaps the child if it is still running.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv,
                        const CommandOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Writes as much of data as the pipe takes without blocking; returns the
  // number of bytes written (0 when the pipe is full or closed).
  size_t write_some(std::string_view data);
  // Writes all of data, blocking as needed; false if the child closed its end.
  bool write_all(std::string_view data);
  void close_stdin();

  // Appends what arrives on stdout to *out, waiting at most timeout_ms for the
  // first byte (0: do not wait). Returns false once stdout is at end of file.
  bool read_stdout(std::string* out, int timeout_ms);
  // Waits at most timeout_ms until stdout has something to read or, with
  // want_write, stdin has room. Returns true if either is ready.
  bool wait_io(bool want_write, int timeout_ms);

  void kill(int signal);
  // Closes stdin, reads stdout to its end, reaps the child and returns its
  // status with the stdout not yet consumed by read_stdout and all of stderr.
  // A child still running after timeout_ms is SIGKILLed (timed_out is set).
  CommandResult wait(int timeout_ms = 60'000);
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool reaped_ = false;
  CommandResult result_;
};

}  // namespace pa_journal::testing
