#include "tools/bench/child.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

#include "tools/bench/measure.h"

extern char** environ;

namespace pa_journal::bench {

namespace {

// The launcher's report pipe in the launcher (launch.c).
constexpr int kReportFd = 3;

// Both ends close-on-exec: the child gets its end by dup2 only, so it sees
// the end of its input when this process closes the writing end.
std::pair<int, int> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  return {fds[0], fds[1]};
}

bool write_all(int fd, const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    ssize_t w = ::write(fd, data + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

// Streams the file at path into fd, then closes fd. A child that exits
// before reading it all ends the stream (EPIPE): SIGPIPE is blocked on this
// thread, which then ends with the signal still pending and discarded.
void feed(const std::string& path, int fd) {
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  std::vector<char> buf(1 << 20);
  ssize_t n = 0;
  while (in >= 0 && (n = ::read(in, buf.data(), buf.size())) > 0 &&
         write_all(fd, buf.data(), static_cast<size_t>(n))) {
  }
  if (in >= 0) ::close(in);
  ::close(fd);
}

// Reads fd to its end into run (the count and the head kept); *first: when
// the first byte came.
void drain(int fd, size_t keep, ChildRun* run, Clock::time_point* first) {
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (run->stdout_bytes == 0) *first = Clock::now();
    run->stdout_bytes += static_cast<uint64_t>(n);
    size_t room = keep - std::min(keep, run->out.size());
    run->out.append(buf.data(), std::min(room, static_cast<size_t>(n)));
  }
  ::close(fd);
}

std::string read_all(int fd) {
  std::string text;
  char buf[256];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

int64_t steady_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch())
      .count();
}

// The launcher's line (launch.c) into run; *start_ns: when it spawned the
// child. Throws if the launcher could not run the child.
void parse_report(const std::string& line, const std::string& program, ChildRun* run,
                  int64_t* start_ns) {
  long long start = 0, end = 0;
  long rss_kib = 0;
  int status = 0;
  if (std::sscanf(line.c_str(), "%lld %lld %ld %d", &start, &end, &rss_kib, &status) !=
      4) {
    throw std::runtime_error("cannot run " + program + ": " + line);
  }
  *start_ns = start;
  run->seconds = static_cast<double>(end - start) / 1e9;
  run->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run->max_rss_bytes = static_cast<uint64_t>(rss_kib) * 1024;
}

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  void open(int fd, const std::string& path, int flags) {
    posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, 0600);
  }
  void dup2(int from, int to) { posix_spawn_file_actions_adddup2(&actions_, from, to); }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

}  // namespace

ChildRun run_child(const std::vector<std::string>& argv, const ChildIo& io,
                   const std::string& launcher) {
  FileActions actions;
  int feed_write = -1, out_read = -1, report_read = -1;
  std::vector<int> child_ends;
  if (!io.stdin_path.empty()) {
    actions.open(STDIN_FILENO, io.stdin_path, O_RDONLY);
  } else if (!io.feed_path.empty()) {
    auto [r, w] = make_pipe();
    actions.dup2(r, STDIN_FILENO);
    child_ends.push_back(r);
    feed_write = w;
  } else {
    actions.open(STDIN_FILENO, "/dev/null", O_RDONLY);
  }
  if (io.read_stdout) {
    auto [r, w] = make_pipe();
    actions.dup2(w, STDOUT_FILENO);
    child_ends.push_back(w);
    out_read = r;
  } else {
    actions.open(STDOUT_FILENO, "/dev/null", O_WRONLY);
  }
  actions.open(STDERR_FILENO, io.stderr_path.empty() ? "/dev/null" : io.stderr_path,
               O_WRONLY | O_CREAT | O_TRUNC);
  std::vector<std::string> full = argv;
  if (!launcher.empty()) {
    auto [r, w] = make_pipe();
    actions.dup2(w, kReportFd);
    child_ends.push_back(w);
    report_read = r;
    full.insert(full.begin(), {launcher, std::to_string(kReportFd)});
  }
  std::vector<char*> args;
  for (const auto& a : full) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  ChildRun run;
  pid_t pid = 0;
  Clock::time_point start = Clock::now(), first{};
  int rc = ::posix_spawn(&pid, args[0], actions.get(), nullptr, args.data(), environ);
  for (int fd : child_ends) ::close(fd);
  if (rc != 0) {
    for (int fd : {feed_write, out_read, report_read}) {
      if (fd >= 0) ::close(fd);
    }
    throw std::runtime_error("cannot run " + full[0] + ": " + std::strerror(rc));
  }
  std::thread feeder;
  if (feed_write >= 0) feeder = std::thread(feed, io.feed_path, feed_write);
  if (out_read >= 0) drain(out_read, io.keep_stdout, &run, &first);
  std::string report = report_read >= 0 ? read_all(report_read) : std::string();
  int status = 0;
  struct rusage usage {};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  Clock::time_point end = Clock::now();
  if (feeder.joinable()) feeder.join();
  int64_t start_ns = steady_ns(start);
  if (launcher.empty()) {
    run.seconds = std::chrono::duration<double>(end - start).count();
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.max_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
  } else {
    parse_report(report, argv[0], &run, &start_ns);
  }
  if (run.stdout_bytes > 0) {
    run.first_byte_seconds = static_cast<double>(steady_ns(first) - start_ns) / 1e9;
  }
  return run;
}

void expect_success(const ChildRun& run, const std::string& what, const ChildIo& io) {
  if (run.exit_code == 0) return;
  std::string err;
  if (!io.stderr_path.empty()) {
    std::ifstream in(io.stderr_path);
    err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (err.size() > 2000) err = "..." + err.substr(err.size() - 2000);
  }
  throw std::runtime_error(
      what + " exited " +
      (run.exit_code < 0 ? std::string("on a signal") : std::to_string(run.exit_code)) +
      (err.empty() ? "" : ": " + err));
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t begin = 0; begin <= dirs.size();) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    begin = end + 1;
  }
  return {};
}

uint64_t disk_usage(const std::string& path) {
  namespace fs = std::filesystem;
  std::set<std::pair<dev_t, ino_t>> seen;
  uint64_t total = 0;
  struct stat top {};
  if (::lstat(path.c_str(), &top) == 0 && !S_ISDIR(top.st_mode)) {
    return static_cast<uint64_t>(top.st_blocks) * 512;
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    struct stat st {};
    // A file deleted while the directory is walked (a compaction's) is skipped.
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
    total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

}  // namespace pa_journal::bench
