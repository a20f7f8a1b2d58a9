// A FileSystem decorator for tests: it forwards every call to another file
// system (the real POSIX one by default), counts the calls of each kind, and
// can make the Nth call of a chosen kind fail with IoError, once or from then
// on. It can also slow a kind of call down, to make a slow disk.
//
//   auto fs = std::make_shared<FaultFileSystem>();
//   options.file_system = fs;
//   fs->fail(FsOp::kSync, 1, FaultMode::kPersistent);  // the next sync and all after
//   ...
//   EXPECT_LT(fs->count(FsOp::kSync), commits);
//
// A failing call throws before it reaches the wrapped file system, so it has no
// effect at all: a failed append writes nothing, a failed sync syncs nothing, a
// failed rename leaves both names as they were.
//
// Every call, whether on the file system or on a file it opened, passes through
// one choke point, State::before(op, path), with the path it concerns, and
// every file knows its path. That is where a later extension can keep, per
// path, the bytes appended since the last sync (and the entries created since
// the last directory sync) in order to simulate power loss.
//
// Thread-safety: like the FileSystem contract, any number of threads may call
// it at once. Counters and faults are shared with the files it opened, which
// may outlive it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "pa_journal/file_system.h"

namespace pa_journal::testing {

// The kinds of call that are counted and can be made to fail.
enum class FsOp {
  kAppend,     // WritableFile::append and reserve
  kSync,       // WritableFile::sync
  kClose,      // WritableFile::close
  kOpen,       // new_writable, open_appendable
  kRead,       // read_file
  kRename,     // rename
  kRemove,     // remove, remove_dir
  kTruncate,   // truncate
  kOverwrite,  // overwrite
  kSyncDir,    // sync_dir
  kCreateDir,  // create_dir
  kListDir,    // list_dir
  kLink,       // link
};
inline constexpr size_t kFsOpCount = 13;

const char* to_string(FsOp op);

enum class FaultMode {
  kOnce,        // only the Nth call fails; later calls succeed
  kPersistent,  // the Nth call and every later call of that kind fail
};

class FaultFileSystem : public FileSystem {
 public:
  explicit FaultFileSystem(std::shared_ptr<FileSystem> base = posix_file_system());

  // Makes the nth call of op from now on (1 = the very next one) throw
  // IoError. Replaces any fault already armed for op.
  void fail(FsOp op, uint64_t nth, FaultMode mode = FaultMode::kOnce);
  // Disarms every fault; calls succeed again (a "healthy" file system).
  void heal();
  // Every call of op sleeps this long before it runs (a slow disk).
  void set_latency(FsOp op, std::chrono::microseconds latency);
  // Every call of op first calls hook(path) on the calling thread (to act at
  // a chosen moment of a protocol); an empty hook removes it.
  using Hook = std::function<void(const std::string& path)>;
  void set_hook(FsOp op, Hook hook);

  // Calls of op made so far, failed ones included.
  uint64_t count(FsOp op) const;
  // Calls of op that were made to fail.
  uint64_t failures(FsOp op) const;
  void reset_counts();

  std::unique_ptr<WritableFile> new_writable(const std::string& path) override;
  std::unique_ptr<WritableFile> open_appendable(const std::string& path) override;
  std::string read_file(const std::string& path) override;
  bool exists(const std::string& path) override;
  uint64_t file_size(const std::string& path) override;
  std::vector<std::string> list_dir(const std::string& dir) override;
  void create_dir(const std::string& dir) override;
  void rename(const std::string& from, const std::string& to) override;
  void link(const std::string& from, const std::string& to) override;
  void remove(const std::string& path) override;
  void remove_dir(const std::string& dir) override;  // counted as kRemove
  std::string real_path(const std::string& path) override;
  void truncate(const std::string& path, uint64_t size) override;
  void overwrite(const std::string& path, uint64_t offset,
                 std::string_view data) override;
  void sync_dir(const std::string& dir) override;
  std::unique_ptr<FileLock> lock(const std::string& path) override;
  // Forwarded as they are: neither counted nor made to fail.
  bool lock_held(const std::string& path) override;
  std::unique_ptr<FileLock> lock_shared(const std::string& path, bool exclusive) override;

  // Shared by the file system and the files it opened.
  class State {
   public:
    // Counts a call of op on path, sleeps its latency, and throws IoError if
    // an armed fault says this call fails.
    void before(FsOp op, const std::string& path);

    void arm(FsOp op, uint64_t nth, FaultMode mode);
    void heal();
    void set_latency(FsOp op, std::chrono::microseconds latency);
    void set_hook(FsOp op, Hook hook);
    uint64_t count(FsOp op) const;
    uint64_t failures(FsOp op) const;
    void reset_counts();

   private:
    struct Fault {
      uint64_t fail_at = 0;  // value of calls that fails first; 0 = none
      FaultMode mode = FaultMode::kOnce;
    };
    struct PerOp {
      uint64_t calls = 0;        // since construction or reset_counts()
      uint64_t failures = 0;     // since construction or reset_counts()
      uint64_t armed_calls = 0;  // since the fault was armed
      Fault fault;
      std::chrono::microseconds latency{0};
      Hook hook;
    };
    mutable std::mutex mu_;
    std::array<PerOp, kFsOpCount> ops_;  // indexed by FsOp; guarded by mu_
  };

 private:
  std::shared_ptr<FileSystem> base_;
  std::shared_ptr<State> state_;
};

}  // namespace pa_journal::testing
