// The real file system. Files are opened O_NOFOLLOW|O_CLOEXEC and created 0600;
// directories 0700. Every failing call becomes an IoError naming the call, the
// path and errno's text.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "journal/layout.h"
#include "journal/posix_writable_file.h"
#include "pa_journal/errors.h"
#include "pa_journal/file_system.h"

namespace pa_journal {
namespace {

[[noreturn]] void fail(const std::string& call, const std::string& path, int err) {
  throw IoError(call + " " + path + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Asks for transparent huge pages for the whole 2 MiB pages inside a large,
// not yet touched buffer: a 200 MB file then costs a hundred page faults
// instead of fifty thousand. Only a hint; ignored where THP is off.
void advise_huge_pages(char* data, size_t size) {
  constexpr uintptr_t kHuge = 2u << 20;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

int open_or_throw(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) fail("open", path, errno);
  return fd;
}

// How often a writer waiting for LOCK tries again.
constexpr std::chrono::milliseconds kLockRetry{20};

// The command line of a running process as one line, its program named
// without its directory ("pa-journal apply -"); empty where /proc does not
// tell (another system, a process that has just ended).
std::string command_line_of(long pid) {
  std::string proc = "/proc/" + std::to_string(pid) + "/cmdline";
  Fd fd(::open(proc.c_str(), O_RDONLY | O_CLOEXEC));
  char buf[512];
  ssize_t n = fd.get() < 0 ? -1 : ::read(fd.get(), buf, sizeof buf);
  if (n <= 0) return {};
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && text.back() == '\0') text.pop_back();
  size_t slash = text.rfind('/', text.find('\0'));
  if (slash != std::string::npos) text.erase(0, slash + 1);
  for (char& c : text) {
    if (c == '\0') c = ' ';
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return n == static_cast<ssize_t>(sizeof buf) ? text + "..." : text;
}

// Who a LOCK file names, if that process is running: a writer killed with
// -9 leaves its pid behind, and the lock may since have been taken by a
// program that writes none. "pid 1234 (pa-journal apply -)".
std::string describe_holder(const std::string& pid_text) {
  char* end = nullptr;
  long pid = std::strtol(pid_text.c_str(), &end, 10);
  bool parsed = !pid_text.empty() && *end == '\0' && pid > 0;
  if (!parsed) return "another program (pid unknown)";
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
    return "another program (pid unknown; the lock file names pid " + pid_text +
           ", which is not running)";
  }
  std::string command = command_line_of(pid);
  return "pid " + pid_text + (command.empty() ? "" : " (" + command + ")");
}

// Why a writer could not take the lock at path: the store it guards, who
// holds it, and how long the writer waited (if at all). How to wait is the
// caller's to say (the CLI's --wait, Options::lock_wait_ms).
std::string locked_message(const std::string& path, const std::string& holder,
                           uint32_t wait_ms) {
  size_t slash = path.find_last_of('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string text = "the store in " + dir + " is locked by " + describe_holder(holder);
  if (wait_ms == 0) return text;
  char waited[32];
  std::snprintf(waited, sizeof waited, "%g", wait_ms / 1000.0);
  return text + ", still after waiting " + waited + " s";
}

// Takes the flock on fd, trying again every kLockRetry while another process
// holds it, for wait_ms at most. Returns false if it is held all that time.
bool flock_within(int fd, const std::string& path, uint32_t wait_ms) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return true;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) fail("flock", path, errno);
    Clock::duration left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(left, kLockRetry));
  }
}

// A lock file pa-journal wrote holds nothing (closed) or a pid (a holder
// killed with -9). Anything else was written by someone else, and the store
// never rewrites a file it did not write: it refuses to take that lock.
void refuse_foreign_lock_file(int fd, const std::string& path) {
  char text[64];
  ssize_t n = ::pread(fd, text, sizeof text, 0);
  if (n < 0) fail("read", path, errno);
  bool ours = n < static_cast<ssize_t>(sizeof text);
  for (ssize_t i = 0; ours && i < n; ++i) ours = text[i] >= '0' && text[i] <= '9';
  if (!ours) {
    throw StoreLockedError(path +
                               " holds something other than a process id: it is not "
                               "pa-journal's lock file, and pa-journal does not "
                               "overwrite it",
                           /*held=*/false);
  }
}

class PosixLock : public FileLock {
 public:
  explicit PosixLock(int fd) : fd_(fd) {}
  // The pid goes first, so that a later holder that is not pa-journal (and
  // writes none) is not named by ours; closing releases the flock.
  ~PosixLock() override {
    (void)::ftruncate(fd_, 0);
    ::close(fd_);
  }

 private:
  int fd_;
};

// A lock_shared lock: closing the file releases it.
class SharedLock : public FileLock {
 public:
  explicit SharedLock(int fd) : fd_(fd) {}
  ~SharedLock() override { ::close(fd_); }

 private:
  int fd_;
};

// Writes all of data at offset of the open file fd (named path in errors).
void pwrite_all(int fd, const std::string& path, uint64_t offset, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("pwrite", path, errno);
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
}

// Reads with pread, so that threads share the descriptor.
class PosixReadableFile : public ReadableFile {
 public:
  PosixReadableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  uint64_t size() const override { return size_; }
  std::string read_at(uint64_t offset, size_t n) const override {
    std::string data(n, '\0');
    size_t used = 0;
    while (used < n) {
      ssize_t got = ::pread(fd_.get(), data.data() + used, n - used,
                            static_cast<off_t>(offset + used));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail("pread", path_, errno);
      if (got == 0) throw IoError("pread " + path_ + ": the file ends before the range");
      used += static_cast<size_t>(got);
    }
    return data;
  }

 private:
  std::string path_;
  Fd fd_;
  uint64_t size_;
};

class PosixFileSystem : public FileSystem {
 public:
  std::unique_ptr<ReadableFile> open_readable(const std::string& path) override {
    Fd fd(open_or_throw(path, O_RDONLY | O_NONBLOCK));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail("fstat", path, errno);
    if (!S_ISREG(st.st_mode)) throw IoError("open " + path + ": not a regular file");
    return std::make_unique<PosixReadableFile>(path, fd.release(),
                                               static_cast<uint64_t>(st.st_size));
  }

  static constexpr size_t kReadChunk = 1 << 16;

  std::unique_ptr<WritableFile> new_writable(const std::string& path) override {
    int fd = open_or_throw(path, O_RDWR | O_CREAT | O_TRUNC);
    return posix_writable_file(path, fd, 0);
  }

  std::unique_ptr<WritableFile> open_appendable(const std::string& path) override {
    Fd fd(open_or_throw(path, O_RDWR));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail("fstat", path, errno);
    return posix_writable_file(path, fd.release(), static_cast<uint64_t>(st.st_size));
  }

  // One allocation of the size fstat reports, read straight into; a file that
  // grows meanwhile (a live journal segment) is read on to its end.
  std::string read_file(const std::string& path) override {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused.
    Fd fd(open_or_throw(path, O_RDONLY | O_NONBLOCK));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) fail("fstat", path, errno);
    if (!S_ISREG(st.st_mode)) throw IoError("read " + path + ": not a regular file");
    std::string data;
    data.reserve(static_cast<size_t>(st.st_size) + kReadChunk);
    advise_huge_pages(data.data(), data.capacity());
    data.resize(data.capacity());
    size_t used = 0;
    for (;;) {
      if (data.size() - used < kReadChunk) data.resize(data.size() + 4 * kReadChunk);
      ssize_t n = ::read(fd.get(), data.data() + used, data.size() - used);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail("read", path, errno);
      if (n == 0) break;
      used += static_cast<size_t>(n);
    }
    data.resize(used);
    return data;
  }

  bool exists(const std::string& path) override {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
  }

  uint64_t file_size(const std::string& path) override {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) fail("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  std::vector<std::string> list_dir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) fail("opendir", dir, errno);
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }

  void create_dir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0700) == 0) return;
    struct stat st;
    if (errno == EEXIST && ::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    fail("mkdir", dir, errno);
  }

  void rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      fail("rename", from + " -> " + to, errno);
  }

  void link(const std::string& from, const std::string& to) override {
    if (::link(from.c_str(), to.c_str()) != 0) fail("link", from + " -> " + to, errno);
  }

  std::string file_identity(const std::string& path) override {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) fail("stat", path, errno);
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  }

  void remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) fail("unlink", path, errno);
  }

  void remove_dir(const std::string& dir) override {
    if (::rmdir(dir.c_str()) != 0) fail("rmdir", dir, errno);
  }

  // weakly_canonical resolves the part of the path that exists; a dangling
  // symlink where that part ends is followed here, a bounded number of times.
  std::string real_path(const std::string& path) override {
    namespace stdfs = std::filesystem;
    std::error_code error;
    stdfs::path todo = path;
    for (int links = 0; links < 40; ++links) {
      stdfs::path real = stdfs::weakly_canonical(todo, error);
      if (error) throw IoError("realpath " + path + ": " + error.message());
      stdfs::path prefix, rest;
      bool dangling = false;
      for (const auto& part : real) {
        if (dangling) {
          rest /= part;
          continue;
        }
        prefix /= part;
        std::error_code missing;
        if (stdfs::exists(prefix, missing)) continue;
        if (!stdfs::is_symlink(stdfs::symlink_status(prefix, missing))) {
          return real.string();
        }
        dangling = true;
      }
      if (!dangling) return real.string();
      stdfs::path target = stdfs::read_symlink(prefix, error);
      if (error) throw IoError("readlink " + prefix.string() + ": " + error.message());
      todo = (target.is_absolute() ? target : prefix.parent_path() / target) / rest;
    }
    throw IoError("realpath " + path + ": too many levels of symbolic links");
  }

  void truncate(const std::string& path, uint64_t size) override {
    Fd fd(open_or_throw(path, O_WRONLY));
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
      fail("ftruncate", path, errno);
    if (::fsync(fd.get()) != 0) fail("fsync", path, errno);
  }

  void overwrite(const std::string& path, uint64_t offset,
                 std::string_view data) override {
    Fd fd(open_or_throw(path, O_WRONLY));
    pwrite_all(fd.get(), path, offset, data);
    if (::fdatasync(fd.get()) != 0) fail("fdatasync", path, errno);
  }

  void write_at(const std::string& path, uint64_t offset,
                std::string_view data) override {
    Fd fd(open_or_throw(path, O_WRONLY | O_CREAT));
    pwrite_all(fd.get(), path, offset, data);
  }

  // flock, not fcntl: each open file description is a holder of its own, so
  // that a reader and a compaction in one process exclude each other too.
  std::unique_ptr<FileLock> lock_shared(const std::string& path,
                                        bool exclusive) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return nullptr;
    Fd owned(fd);
    while (::flock(owned.get(), exclusive ? LOCK_EX : LOCK_SH) != 0) {
      if (errno != EINTR) return nullptr;
    }
    return std::make_unique<SharedLock>(owned.release());
  }

  void sync_dir(const std::string& dir) override {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) fail("open", dir, errno);
    if (::fsync(fd.get()) != 0) fail("fsync", dir, errno);
  }

  std::unique_ptr<FileLock> lock(const std::string& path) override {
    return lock_within(path, 0);
  }

  std::unique_ptr<FileLock> lock_within(const std::string& path,
                                        uint32_t wait_ms) override {
    Fd fd(open_or_throw(path, O_RDWR | O_CREAT));
    if (!flock_within(fd.get(), path, wait_ms)) {
      throw StoreLockedError(locked_message(path, holder_pid(path), wait_ms));
    }
    refuse_foreign_lock_file(fd.get(), path);
    std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd.get(), 0) != 0) fail("ftruncate", path, errno);
    if (::pwrite(fd.get(), pid.data(), pid.size(), 0) !=
        static_cast<ssize_t>(pid.size())) {
      fail("write", path, errno);
    }
    return std::make_unique<PosixLock>(fd.release());
  }

 private:
  // The pid in the lock file at path. A holder that has just taken the lock
  // writes its pid a moment later (truncate, then write): wait up to about
  // 50 ms for it.
  std::string holder_pid(const std::string& path) {
    std::string holder = read_file(path);
    for (int i = 0; i < 50 && holder.empty(); ++i) {
      ::usleep(1000);
      holder = read_file(path);
    }
    return holder;
  }
};

}  // namespace

std::shared_ptr<FileSystem> posix_file_system() {
  static const std::shared_ptr<FileSystem> instance = std::make_shared<PosixFileSystem>();
  return instance;
}

void create_dir_durably(FileSystem& fs, const std::string& dir) {
  if (fs.exists(dir)) return;
  fs.create_dir(dir);
  auto slash = dir.find_last_of('/');
  fs.sync_dir(slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash));
}

void create_dirs_durably(FileSystem& fs, const std::string& dir) {
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    create_dir_durably(fs, dir.substr(0, slash));
  }
  create_dir_durably(fs, dir);
}

std::unique_ptr<FileLock> FileSystem::lock_within(const std::string& path,
                                                  uint32_t wait_ms) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
  for (;;) {
    try {
      return lock(path);
    } catch (const StoreLockedError&) {
      Clock::duration left = deadline - Clock::now();
      if (left <= Clock::duration::zero()) throw;
      std::this_thread::sleep_for(std::min<Clock::duration>(left, kLockRetry));
    }
  }
}

void FileSystem::write_at(const std::string& path, uint64_t offset,
                          std::string_view data) {
  if (!exists(path)) new_writable(path)->close();
  uint64_t size = file_size(path);
  if (offset > size) {  // overwrite writes only inside the file
    auto file = open_appendable(path);
    file->append(std::string(offset - size, '\0'));
    file->close();
    size = offset;
  }
  std::string_view inside = data.substr(0, size - offset);
  if (!inside.empty()) overwrite(path, offset, inside);
  if (inside.size() < data.size()) {
    auto file = open_appendable(path);
    file->append(data.substr(inside.size()));
    file->close();
  }
}

bool FileSystem::lock_held(const std::string& path) {
  std::string text;
  try {
    if (!exists(path)) return false;
    text = read_file(path);
  } catch (const StorageError&) {
    return false;
  }
  char* end = nullptr;
  long pid = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

namespace {

// The default ReadableFile: the whole file, read once.
class InMemoryReadableFile : public ReadableFile {
 public:
  InMemoryReadableFile(std::string path, std::string data)
      : path_(std::move(path)), data_(std::move(data)) {}
  uint64_t size() const override { return data_.size(); }
  std::string read_at(uint64_t offset, size_t n) const override {
    if (offset > data_.size() || n > data_.size() - offset)
      throw IoError("read " + path_ + ": the file ends before the range");
    return data_.substr(offset, n);
  }

 private:
  std::string path_;
  std::string data_;
};

}  // namespace

std::unique_ptr<ReadableFile> FileSystem::open_readable(const std::string& path) {
  std::string data = read_file(path);
  return std::make_unique<InMemoryReadableFile>(path, std::move(data));
}

std::unique_ptr<FileLock> FileSystem::lock_shared(const std::string&, bool) {
  return nullptr;
}

void FileSystem::remove_dir(const std::string& dir) {
  throw IoError("rmdir " + dir + ": not supported by this file system");
}

bool is_directory(FileSystem& fs, const std::string& path) {
  try {
    fs.list_dir(path);
    return true;
  } catch (const IoError&) {
    return false;
  }
}

bool path_within(FileSystem& fs, const std::string& path, const std::string& dir) {
  auto real = [&fs](const std::string& p) {
    std::string r = fs.real_path(p);
    while (r.size() > 1 && r.back() == '/') r.pop_back();
    return r;
  };
  std::string inner = real(path), outer = real(dir);
  if (inner == outer || outer == "/") return true;
  return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
         inner[outer.size()] == '/';
}

std::string FileSystem::real_path(const std::string& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) throw IoError("realpath " + path + ": " + error.message());
  return absolute.lexically_normal().string();
}

std::string FileSystem::file_identity(const std::string&) { return {}; }

void FileSystem::link(const std::string& from, const std::string& to) {
  throw IoError("link " + from + " -> " + to + ": not supported by this file system");
}

void write_file_via_temp(FileSystem& fs, const std::string& path,
                         const std::function<void(WritableFile&)>& fill) {
  std::string temp = temp_file_name(path);
  try {
    auto file = fs.new_writable(temp);
    fill(*file);
    file->sync();
    file->close();
    fs.rename(temp, path);
  } catch (...) {
    if (fs.exists(temp)) {
      try {
        fs.remove(temp);
      } catch (const StorageError&) {
      }
    }
    throw;
  }
}

void write_file_atomically(FileSystem& fs, const std::string& path,
                           std::string_view data) {
  write_file_via_temp(fs, path, [data](WritableFile& file) { file.append(data); });
  auto dir_end = path.find_last_of('/');
  fs.sync_dir(dir_end == std::string::npos ? "." : path.substr(0, dir_end));
}

}  // namespace pa_journal
