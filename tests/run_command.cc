#include "tests/run_command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>

extern char** environ;

namespace pa_journal::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + ::strerror(errno));
}

// A test process writing to a child that has died must see EPIPE, not die.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
    read = fds[0];
    write = fds[1];
  }
  Pipe(int read_fd, int write_fd) : read(read_fd), write(write_fd) {}
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) fail("fcntl");
}

// Forks and execs argv with the given descriptors as its 0, 1 and 2. Every
// descriptor the test process holds is close-on-exec (pipe2 / mkostemp), so
// none leaks into this or a concurrently started child.
pid_t spawn(const std::vector<std::string>& argv, const CommandOptions& options, int in,
            int out, int err) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty argv");
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env_map[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [name, value] : options.env) {
    if (value.empty()) {
      env_map.erase(name);
    } else {
      env_map[name] = value;
    }
  }
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env_map) env_strings.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* cwd = options.cwd.empty() ? nullptr : options.cwd.c_str();

  pid_t pid = ::fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(127);
    if (cwd != nullptr && ::chdir(cwd) != 0) ::_exit(127);
    ::execvpe(args[0], args.data(), envp.data());
    const char msg[] = "run_command: exec failed\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  return pid;
}

void decode_status(int status, CommandResult* result) {
  if (WIFEXITED(status)) {
    result->exit_code = WEXITSTATUS(status);
    result->signal = 0;
  } else if (WIFSIGNALED(status)) {
    result->exit_code = -1;
    result->signal = WTERMSIG(status);
  }
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("waitpid");
  }
  return status;
}

// Reads what is there (the descriptor is non-blocking) onto *out; false at EOF.
bool drain(int fd, std::string* out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EIO) return false;  // a pseudo-terminal whose other side closed
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
    fail("read");
  }
}

// A pseudo-terminal in raw mode: its master (read) and slave (write) sides.
Pipe terminal() {
  int master = -1, slave = -1;
  termios raw{};
  ::cfmakeraw(&raw);
  winsize size{};
  size.ws_row = 24;
  size.ws_col = 80;
  if (::openpty(&master, &slave, nullptr, &raw, &size) != 0) fail("openpty");
  for (int fd : {master, slave}) {
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) fail("fcntl");
  }
  return Pipe(master, slave);
}

int temp_file() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base && *base ? base : "/tmp") + "/pa-journal-stderr-XXXXXX";
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) fail("mkostemp");
  ::unlink(pattern.c_str());
  return fd;
}

}  // namespace

std::string CommandResult::describe() const {
  std::string text =
      signal ? "signal " + std::to_string(signal) : "exit " + std::to_string(exit_code);
  if (timed_out) text += " (timed out)";
  return text + "\n--- stdout:\n" + out + "\n--- stderr:\n" + err;
}

CommandResult run_command(const std::vector<std::string>& argv,
                          const CommandOptions& options) {
  ignore_sigpipe();
  Pipe in, out;
  Pipe err = options.stderr_terminal ? terminal() : Pipe();
  pid_t pid = spawn(argv, options, in.read, out.write, err.write);
  close_fd(in.read);
  close_fd(out.write);
  close_fd(err.write);
  set_nonblocking(in.write);
  set_nonblocking(out.read);
  set_nonblocking(err.read);

  CommandResult result;
  size_t written = 0;
  if (options.stdin_data.empty()) close_fd(in.write);
  auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
  while (out.read >= 0 || err.read >= 0) {
    std::vector<pollfd> fds;
    if (in.write >= 0) fds.push_back({in.write, POLLOUT, 0});
    if (out.read >= 0) fds.push_back({out.read, POLLIN, 0});
    if (err.read >= 0) fds.push_back({err.read, POLLIN, 0});
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 && !result.timed_out) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      close_fd(in.write);
      continue;
    }
    int ready = ::poll(fds.data(), fds.size(),
                       result.timed_out ? 1000 : static_cast<int>(left.count()) + 1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    for (const pollfd& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in.write) {
        ssize_t n = ::write(in.write, options.stdin_data.data() + written,
                            options.stdin_data.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
            written == options.stdin_data.size()) {
          close_fd(in.write);  // done, or the program closed its stdin
        }
      } else if (p.fd == out.read) {
        if (!drain(out.read, &result.out)) close_fd(out.read);
      } else if (p.fd == err.read) {
        if (!drain(err.read, &result.err)) close_fd(err.read);
      }
    }
  }
  close_fd(in.write);
  decode_status(reap(pid), &result);
  return result;
}

std::string pa_journal_binary() { return PA_JOURNAL_BINARY; }

std::string source_dir() { return PA_JOURNAL_SOURCE_DIR; }

CommandResult run_pa_journal(const std::vector<std::string>& args,
                             const CommandOptions& options) {
  std::vector<std::string> argv{pa_journal_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, options);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const CommandOptions& options) {
  ignore_sigpipe();
  Pipe in, out;
  stderr_fd_ = temp_file();
  pid_ = spawn(argv, options, in.read, out.write, stderr_fd_);
  ::close(in.read);
  ::close(out.write);
  stdin_fd_ = in.write;
  stdout_fd_ = out.read;
  set_nonblocking(stdin_fd_);
  set_nonblocking(stdout_fd_);
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    reap(pid_);
  }
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

size_t ChildProcess::write_some(std::string_view data) {
  if (stdin_fd_ < 0 || data.empty()) return 0;
  for (;;) {
    ssize_t n = ::write(stdin_fd_, data.data(), data.size());
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    close_fd(stdin_fd_);  // EPIPE: the child is gone
    return 0;
  }
}

bool ChildProcess::write_all(std::string_view data) {
  while (!data.empty()) {
    if (stdin_fd_ < 0) return false;
    size_t n = write_some(data);
    data.remove_prefix(n);
    if (n == 0 && stdin_fd_ >= 0) {
      pollfd p{stdin_fd_, POLLOUT, 0};
      ::poll(&p, 1, 100);
    }
  }
  return true;
}

void ChildProcess::close_stdin() { close_fd(stdin_fd_); }

bool ChildProcess::read_stdout(std::string* out, int timeout_ms) {
  if (stdout_fd_ < 0) return false;
  if (timeout_ms > 0) {
    pollfd p{stdout_fd_, POLLIN, 0};
    ::poll(&p, 1, timeout_ms);
  }
  if (drain(stdout_fd_, out)) return true;
  close_fd(stdout_fd_);
  return false;
}

bool ChildProcess::wait_io(bool want_write, int timeout_ms) {
  std::vector<pollfd> fds;
  if (stdout_fd_ >= 0) fds.push_back({stdout_fd_, POLLIN, 0});
  if (want_write && stdin_fd_ >= 0) fds.push_back({stdin_fd_, POLLOUT, 0});
  if (fds.empty()) return false;
  return ::poll(fds.data(), fds.size(), timeout_ms) > 0;
}

void ChildProcess::kill(int signal) {
  if (!reaped_ && pid_ > 0) ::kill(pid_, signal);
}

CommandResult ChildProcess::wait(int timeout_ms) {
  close_stdin();
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (stdout_fd_ >= 0) {
    if (!reaped_ && !result_.timed_out && Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      result_.timed_out = true;
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    ::poll(&p, 1, 100);
    if (!drain(stdout_fd_, &result_.out)) close_fd(stdout_fd_);
  }
  if (!reaped_) {
    decode_status(reap(pid_), &result_);
    reaped_ = true;
  }
  result_.err = stderr_text();
  return result_;
}

std::string ChildProcess::stderr_text() const {
  std::string text;
  char buffer[65536];
  off_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(stderr_fd_, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
  return text;
}

}  // namespace pa_journal::testing
